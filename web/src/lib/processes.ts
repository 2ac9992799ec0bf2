// The process table of the "processes" command: decoding the agent's
// answer, the tree of parents and children, the filter that keeps matches
// and their ancestors, and the signs worth a look (a shell on a network
// socket, a privilege change).
import type { ProcessesOutput, Role, StdioEntry } from '../api/types';

/** The least role that may send "processes" (it reads the host's process table). */
export const processesRole: Role = 'analyst';

/** The reply time allowed to the agent: large tables take a moment to encode. */
export const processesTimeout = '15s';

export type StdioKind = 'socket' | 'pipe' | 'tty' | 'other';

/** One standard stream that is a socket, a pipe or a terminal. */
export interface Stdio {
  /** 0, 1 or 2; null when the agent did not say which. */
  fd: number | null;
  kind: StdioKind;
  /** tcp, udp, unix ... for sockets; '' when unknown. */
  transport: string;
  local: string;
  remote: string;
  /** The agent's text, for display. */
  text: string;
}

/** Proc is one process, decoded and checked. */
export interface Proc {
  /** Unique within a table: the entity id, or one made from pid and start. */
  key: string;
  entityId: string;
  parentEntityId: string;
  pid: number;
  ppid: number;
  name: string;
  executable: string;
  args: string[];
  commandLine: string;
  cwd: string;
  user: string;
  uid: number | null;
  euid: number | null;
  loginUser: string;
  tty: string;
  containerId: string;
  sha256: string;
  start: string;
  stdio: Stdio[];
  /** The effective uid differs from the real one (setuid, sudo ...). */
  privilegeChange: boolean;
  risk: StdioRisk;
}

/**
 * What the standard streams tell: a shell talking over a network socket is
 * the mark of a reverse (or bind) shell; an interpreter doing so is nearly
 * as suspect; any other process with a network socket on stdio is shown but
 * not flagged. Unix sockets are left out: systemd connects services'
 * stdout and stderr to the journal through one.
 */
export type StdioRisk = 'reverse-shell' | 'interpreter-socket' | 'socket' | null;

/** A decoded answer of "processes". */
export interface ProcessTable {
  takenAt: string;
  mechanism: string;
  procs: Proc[];
  /** Entries that were not processes (not an object, no pid) or repeated an id. */
  skipped: number;
}

const shells = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ksh93', 'mksh', 'pdksh', 'ash', 'csh', 'tcsh', 'fish', 'rbash', 'yash', 'busybox']);
const interpreter = /^(python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|php[0-9.]*|lua[0-9.]*|node|nodejs|tclsh[0-9.]*|wish|awk|gawk|mawk|nawk|nc|ncat|netcat|socat|telnet|openssl)$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return '';
}

function int(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

const needsQuote = /[^A-Za-z0-9_@%+=:,./-]/;

/**
 * commandLine joins args as a shell would read them back: arguments with
 * spaces or specials quoted. A lone argument stays as it is: processes
 * that rewrite their title ("sshd: alice [priv]") leave one.
 */
export function commandLine(args: readonly string[]): string {
  if (args.length === 1) return args[0]!;
  return args.map((a) => (a === '' ? "''" : needsQuote.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a)).join(' ');
}

const fdPrefix = /^([0-2])\s*[:=]\s*(?=\S)/;
const arrow = /\s*(?:->|→)\s*/;

/**
 * parseStdio reads one stream: "socket:tcp 10.0.0.5:51234->203.0.113.9:4444",
 * "socket:unix", "socket:[81234]", "pipe", "pipe:[81234]", "/dev/pts/0", an
 * optional "0:" naming the descriptor, or the object form of events
 * ({"fd","type","transport","local","remote"}). position is the entry's
 * index, taken as the descriptor when none is named. null for an empty entry.
 */
export function parseStdio(v: StdioEntry | unknown, position: number): Stdio | null {
  const posFd = position >= 0 && position <= 2 ? position : null;
  if (isObject(v)) {
    const fd = int(v.fd);
    const type = str(v.type).toLowerCase();
    const kind: StdioKind = type === 'socket' || type === 'pipe' || type === 'tty' ? type : 'other';
    const transport = str(v.transport).toLowerCase();
    const local = str(v.local);
    const remote = str(v.remote);
    const ends = local && remote ? `${local}->${remote}` : local || remote;
    const text = kind === 'socket' ? `socket:${[transport, ends].filter(Boolean).join(' ')}` : type || 'other';
    return { fd: fd !== null && fd >= 0 && fd <= 2 ? fd : posFd, kind, transport, local, remote, text };
  }
  if (typeof v !== 'string') return null;
  let s = v.trim();
  if (!s) return null;
  let fd = posFd;
  const m = fdPrefix.exec(s);
  if (m) {
    fd = Number(m[1]);
    s = s.slice(m[0].length);
  }
  const lower = s.toLowerCase();
  if (lower === 'pipe' || lower.startsWith('pipe:')) return { fd, kind: 'pipe', transport: '', local: '', remote: '', text: s };
  if (lower === 'socket' || lower.startsWith('socket:')) {
    const rest = s.slice('socket'.length).replace(/^:/, '').trim();
    if (rest === '' || /^\[\d+\]$/.test(rest)) return { fd, kind: 'socket', transport: '', local: '', remote: '', text: s };
    const sp = rest.search(/\s/);
    const transport = (sp < 0 ? rest : rest.slice(0, sp)).toLowerCase();
    const ends = sp < 0 ? '' : rest.slice(sp).trim();
    let local = '';
    let remote = '';
    if (arrow.test(ends)) {
      const [l, r] = ends.split(arrow);
      local = l ?? '';
      remote = r ?? '';
    } else {
      remote = ends;
    }
    return { fd, kind: 'socket', transport, local, remote, text: s };
  }
  if (lower.startsWith('/dev/pts/') || lower.startsWith('/dev/tty') || lower === 'tty' || lower.startsWith('tty:')) {
    return { fd, kind: 'tty', transport: '', local: '', remote: '', text: s };
  }
  return { fd, kind: 'other', transport: '', local: '', remote: '', text: s };
}

/** isNetworkSocket is a socket that may cross the host: any but a unix one (unknown counts). */
export function isNetworkSocket(s: Stdio): boolean {
  return s.kind === 'socket' && s.transport !== 'unix' && s.transport !== 'netlink';
}

/** programNames are the names a process goes by: comm, the executable's and argv[0]'s base names. */
function programNames(name: string, executable: string, args: readonly string[]): string[] {
  const out = [name, basename(executable)];
  if (args[0]) out.push(basename(args[0]).replace(/^-/, ''));
  return out.filter(Boolean).map((s) => s.toLowerCase());
}

/** isShell tells a command shell by any of its names (login shells' "-bash" included). */
export function isShell(name: string, executable: string, args: readonly string[]): boolean {
  const names = programNames(name, executable, args);
  // busybox is a shell only when run as one.
  if (names.includes('busybox')) return names.some((n) => n !== 'busybox' && shells.has(n)) || (args[0] ? ['sh', 'ash'].includes(basename(args[0])) : false);
  return names.some((n) => shells.has(n));
}

function isInterpreter(name: string, executable: string, args: readonly string[]): boolean {
  return programNames(name, executable, args).some((n) => interpreter.test(n));
}

/** stdioRisk judges a process's standard streams (see StdioRisk); stdin and stdout matter, an unnamed stream counts. */
export function stdioRisk(name: string, executable: string, args: readonly string[], stdio: readonly Stdio[]): StdioRisk {
  const net = stdio.filter(isNetworkSocket);
  if (net.length === 0) return null;
  const inOut = net.some((s) => s.fd === null || s.fd === 0 || s.fd === 1);
  if (inOut && isShell(name, executable, args)) return 'reverse-shell';
  if (inOut && isInterpreter(name, executable, args)) return 'interpreter-socket';
  return 'socket';
}

/** decodeProcess checks one entry of the answer; null when it is not a process. */
export function decodeProcess(raw: unknown): Omit<Proc, 'key'> | null {
  if (!isObject(raw)) return null;
  const pid = int(raw.pid);
  if (pid === null || pid < 0) return null;
  const args = Array.isArray(raw.args) ? raw.args.map(str) : [];
  const executable = str(raw.executable);
  const name = str(raw.name) || basename(executable) || (args[0] ? basename(args[0]) : '');
  const stdio = (Array.isArray(raw.stdio) ? raw.stdio : []).map((s, i) => parseStdio(s, i)).filter((s): s is Stdio => s !== null);
  const uid = int(raw.uid);
  const euid = int(raw.euid);
  return {
    entityId: str(raw.entity_id),
    parentEntityId: str(raw.parent_entity_id),
    pid,
    ppid: int(raw.ppid) ?? 0,
    name,
    executable,
    args,
    commandLine: args.length > 0 ? commandLine(args) : executable,
    cwd: str(raw.working_directory),
    user: str(raw.user),
    uid,
    euid,
    loginUser: str(raw.login_user),
    tty: str(raw.tty),
    containerId: str(raw.container_id),
    sha256: str(raw.sha256),
    start: str(raw.start),
    stdio,
    privilegeChange: uid !== null && euid !== null && uid !== euid,
    risk: stdioRisk(name, executable, args, stdio),
  };
}

/** parseProcesses reads the output of "processes" (ProcessesOutput); entries that are not processes are counted, not kept. */
export function parseProcesses(output: ProcessesOutput | unknown): ProcessTable {
  const o: Record<string, unknown> = isObject(output) ? output : {};
  const raw: unknown[] = Array.isArray(o.processes) ? o.processes : [];
  const procs: Proc[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  for (const r of raw) {
    const p = decodeProcess(r);
    if (!p) {
      skipped++;
      continue;
    }
    const key = p.entityId || `pid:${p.pid}:${p.start}`;
    if (seen.has(key)) {
      skipped++;
      continue;
    }
    seen.add(key);
    procs.push({ ...p, key });
  }
  return { takenAt: str(o.taken_at), mechanism: str(o.mechanism), procs, skipped };
}

/** isFlagged: the process carries a mark worth a look (a stdio sign or a privilege change). */
export function isFlagged(p: Proc): boolean {
  return p.risk !== null || p.privilegeChange;
}

/** TreeNode is a process with its place in the tree. */
export interface TreeNode {
  proc: Proc;
  parent: string | null;
  children: string[];
  /** The process was made a root to break a parent cycle in the data. */
  cycle: boolean;
}

/** ProcessTree holds every process by key, and the roots in display order. */
export interface ProcessTree {
  nodes: Map<string, TreeNode>;
  roots: string[];
}

const byPid = (nodes: Map<string, TreeNode>) => (a: string, b: string) => {
  const x = nodes.get(a)!.proc;
  const y = nodes.get(b)!.proc;
  return x.pid - y.pid || (x.start < y.start ? -1 : x.start > y.start ? 1 : 0) || (a < b ? -1 : a > b ? 1 : 0);
};

/**
 * buildTree links each process to its parent by parent_entity_id (by ppid
 * only when the agent gave no parent id and the pid is unique). Roots are
 * the processes whose parent is not in the table; parent loops in bad data
 * are broken so that every process appears exactly once. Children and roots
 * are ordered by pid.
 */
export function buildTree(procs: readonly Proc[]): ProcessTree {
  const nodes = new Map<string, TreeNode>();
  const pidCount = new Map<number, number>();
  const pidKey = new Map<number, string>();
  for (const p of procs) {
    if (nodes.has(p.key)) continue;
    nodes.set(p.key, { proc: p, parent: null, children: [], cycle: false });
    pidCount.set(p.pid, (pidCount.get(p.pid) ?? 0) + 1);
    pidKey.set(p.pid, p.key);
  }
  for (const [key, n] of nodes) {
    const p = n.proc;
    let parent: string | undefined;
    if (p.parentEntityId) parent = p.parentEntityId;
    else if (p.ppid > 0 && p.ppid !== p.pid && pidCount.get(p.ppid) === 1) parent = pidKey.get(p.ppid);
    if (parent && parent !== key && nodes.has(parent)) {
      n.parent = parent;
      nodes.get(parent)!.children.push(key);
    }
  }
  const roots = [...nodes.keys()].filter((k) => nodes.get(k)!.parent === null);
  // Whatever the roots do not reach hangs on a loop: cut each loop once.
  const reached = new Set<string>();
  const mark = (from: string) => {
    const stack = [from];
    while (stack.length > 0) {
      const k = stack.pop()!;
      if (reached.has(k)) continue;
      reached.add(k);
      stack.push(...nodes.get(k)!.children);
    }
  };
  roots.forEach(mark);
  for (const key of nodes.keys()) {
    if (reached.has(key)) continue;
    // Walk up until a process repeats: it is on the loop.
    const path = new Set<string>();
    let k = key;
    while (!path.has(k)) {
      path.add(k);
      k = nodes.get(k)!.parent!;
    }
    const n = nodes.get(k)!;
    const parent = nodes.get(n.parent!)!;
    parent.children = parent.children.filter((c) => c !== k);
    n.parent = null;
    n.cycle = true;
    roots.push(k);
    mark(k);
  }
  const order = byPid(nodes);
  for (const n of nodes.values()) n.children.sort(order);
  roots.sort(order);
  return { nodes, roots };
}

/** ancestors lists the keys above a process, its parent first. */
export function ancestors(tree: ProcessTree, key: string): string[] {
  const out: string[] = [];
  const seen = new Set([key]);
  let k = tree.nodes.get(key)?.parent ?? null;
  while (k !== null && !seen.has(k)) {
    out.push(k);
    seen.add(k);
    k = tree.nodes.get(k)?.parent ?? null;
  }
  return out;
}

/**
 * matchProcess is the filter's test: a number matches the pid exactly (and
 * any text containing it); other text matches, ignoring case, the name,
 * user, login user, command line, executable or container id.
 */
export function matchProcess(p: Proc, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  if (/^\d+$/.test(q) && p.pid === Number(q)) return true;
  return [p.name, p.user, p.loginUser, p.commandLine, p.executable, p.containerId].some((s) => s.toLowerCase().includes(q));
}

/** FilterResult: the processes that match, and those kept to show them (the matches and their ancestors). */
export interface FilterResult {
  matched: Set<string>;
  keep: Set<string>;
}

/** filterTree keeps the matching processes and every ancestor of theirs. */
export function filterTree(tree: ProcessTree, query: string, extra?: (p: Proc) => boolean): FilterResult {
  const matched = new Set<string>();
  const keep = new Set<string>();
  for (const [key, n] of tree.nodes) {
    if (!matchProcess(n.proc, query) || (extra && !extra(n.proc))) continue;
    matched.add(key);
    // Walk up until a process already kept: each ancestor is added once.
    for (let k: string | null = key; k !== null && !keep.has(k); k = tree.nodes.get(k)?.parent ?? null) keep.add(k);
  }
  return { matched, keep };
}

/** Expansion remembers open and closed processes by key, across refreshes. */
export interface Expansion {
  /** Whether a process not toggled since the last expand/collapse all is open. */
  allOpen: boolean;
  /** Processes toggled away from allOpen. */
  flipped: ReadonlySet<string>;
}

export const allExpanded: Expansion = { allOpen: true, flipped: new Set() };
export const allCollapsed: Expansion = { allOpen: false, flipped: new Set() };

export function isOpen(e: Expansion, key: string): boolean {
  return e.allOpen !== e.flipped.has(key);
}

export function toggle(e: Expansion, key: string): Expansion {
  const flipped = new Set(e.flipped);
  if (!flipped.delete(key)) flipped.add(key);
  return { allOpen: e.allOpen, flipped };
}

/** Row is one visible line of the tree. */
export interface Row {
  key: string;
  depth: number;
  /** Children that would be shown when open. */
  childCount: number;
  open: boolean;
  /** Shown only as the ancestor of a match. */
  context: boolean;
  /** Open because a filter is on: not for the user to close. */
  forced: boolean;
}

/**
 * visibleRows flattens the tree in display order. Without a filter, closed
 * processes hide their children; with one, only kept processes show, all
 * open, and processes kept only for their descendants are marked context.
 */
export function visibleRows(tree: ProcessTree, expansion: Expansion, filter?: FilterResult): Row[] {
  const rows: Row[] = [];
  const kids = (key: string) => {
    const c = tree.nodes.get(key)!.children;
    return filter ? c.filter((k) => filter.keep.has(k)) : c;
  };
  const top = filter ? tree.roots.filter((k) => filter.keep.has(k)) : tree.roots;
  const stack: { key: string; depth: number }[] = top.map((key) => ({ key, depth: 0 })).reverse();
  while (stack.length > 0) {
    const { key, depth } = stack.pop()!;
    const children = kids(key);
    const open = filter ? true : isOpen(expansion, key);
    rows.push({ key, depth, childCount: children.length, open, context: !!filter && !filter.matched.has(key), forced: !!filter });
    if (open) for (let i = children.length - 1; i >= 0; i--) stack.push({ key: children[i]!, depth: depth + 1 });
  }
  return rows;
}

/** shortContainerId is the first 12 characters, as docker shows it. */
export function shortContainerId(id: string): string {
  const bare = id.replace(/^[a-z]+:\/\//, '');
  return bare.length > 12 ? bare.slice(0, 12) : bare;
}

/** stdioName names a descriptor: stdin, stdout, stderr; '' when unknown. */
export function stdioName(fd: number | null): 'stdin' | 'stdout' | 'stderr' | '' {
  return fd === 0 ? 'stdin' : fd === 1 ? 'stdout' : fd === 2 ? 'stderr' : '';
}

/** stdioEnds shows a socket's ends: "local → remote", or the one known. */
export function stdioEnds(s: Stdio): string {
  if (s.local && s.remote) return `${s.local} → ${s.remote}`;
  return s.remote || s.local;
}
