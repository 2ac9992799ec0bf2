// The process trees of an incident's timeline, as the center sends them
// (roots with nested children), made into table rows: depth, open or
// closed branches, the processes that raised alerts and the branches that
// lead to them. Everything is iterative, so that a very deep chain cannot
// overflow the stack, and a process met twice (bad data) is shown once.
import type { ProcessNode } from '../api/types';

/** One process of the index, with where it sits. */
export interface TreeEntry {
  key: string;
  node: ProcessNode;
  parent: string | null;
  depth: number;
  children: string[];
  /** It raised alerts itself. */
  alerted: boolean;
  /** Processes below it that raised alerts. */
  alertedBelow: number;
}

/** TreeIndex holds every process once, in display (pre-)order. */
export interface TreeIndex {
  entries: Map<string, TreeEntry>;
  order: string[];
  roots: string[];
}

/** processKey names a node: its entity id, else its agent and pid. */
export function processKey(n: ProcessNode): string {
  return n.entity_id || `${n.agent_id}:${n.pid ?? '?'}`;
}

/** indexTree flattens the trees in pre-order; a node seen before (a loop or a repeat) is left out with its children. */
export function indexTree(roots: readonly ProcessNode[] | null | undefined): TreeIndex {
  const entries = new Map<string, TreeEntry>();
  const order: string[] = [];
  const top: string[] = [];
  // The stack holds nodes to visit, last first, with their parent.
  const stack: { node: ProcessNode; parent: string | null; depth: number }[] = [];
  const list = roots ?? [];
  for (let i = list.length - 1; i >= 0; i--) stack.push({ node: list[i]!, parent: null, depth: 0 });
  while (stack.length > 0) {
    const { node, parent, depth } = stack.pop()!;
    const key = processKey(node);
    if (entries.has(key)) continue;
    const entry: TreeEntry = { key, node, parent, depth, children: [], alerted: (node.alert_ids ?? []).length > 0, alertedBelow: 0 };
    entries.set(key, entry);
    order.push(key);
    if (parent === null) top.push(key);
    else entries.get(parent)!.children.push(key);
    const kids = node.children ?? [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i]!, parent: key, depth: depth + 1 });
  }
  // Children come after their parents in pre-order: walking it backwards
  // adds every alerted process to each of its ancestors' counts once.
  for (let i = order.length - 1; i >= 0; i--) {
    const e = entries.get(order[i]!)!;
    if (e.parent === null) continue;
    const p = entries.get(e.parent)!;
    p.alertedBelow += e.alertedBelow + (e.alerted ? 1 : 0);
  }
  return { entries, order, roots: top };
}

/** One row of the tree's table. */
export interface TreeRow {
  entry: TreeEntry;
  open: boolean;
  hasChildren: boolean;
}

/** visibleTreeRows lists the processes not hidden under a closed branch. */
export function visibleTreeRows(index: TreeIndex, closed: ReadonlySet<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  let hiddenBelow = -1; // depth of the closed branch being skipped, -1 for none
  for (const key of index.order) {
    const e = index.entries.get(key)!;
    if (hiddenBelow >= 0) {
      if (e.depth > hiddenBelow) continue;
      hiddenBelow = -1;
    }
    const open = !closed.has(key);
    rows.push({ entry: e, open, hasChildren: e.children.length > 0 });
    if (!open && e.children.length > 0) hiddenBelow = e.depth;
  }
  return rows;
}

/** quietBranches are the branches without an alerted process below them: closing them leaves the paths to the alerts. */
export function quietBranches(index: TreeIndex): Set<string> {
  const out = new Set<string>();
  for (const e of index.entries.values()) if (e.children.length > 0 && e.alertedBelow === 0) out.add(e.key);
  return out;
}

/** allBranches are every process with children (to close the whole tree). */
export function allBranches(index: TreeIndex): Set<string> {
  const out = new Set<string>();
  for (const e of index.entries.values()) if (e.children.length > 0) out.add(e.key);
  return out;
}

/** ancestry lists the processes from a root down to key (key last). */
export function ancestry(index: TreeIndex, key: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (let e = index.entries.get(key); e; e = e.parent === null ? undefined : index.entries.get(e.parent)) out.push(e);
  return out.reverse();
}

/** processName is the last part of the executable, else of the command line's first word. */
export function processName(n: ProcessNode): string {
  const exe = n.executable || (n.command_line ?? '').trim().split(/\s+/)[0] || '';
  const i = exe.lastIndexOf('/');
  return i >= 0 ? exe.slice(i + 1) : exe;
}
