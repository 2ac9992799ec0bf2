// Reading inventory items for display: kinds and their names, the columns
// of each kind's table, the kind a search is about, one line per change,
// and item fields as paths for the field tree and the change diffs.
import { assetKinds, type Asset, type AssetChange, type AssetKind } from '../api/types';
import type { MessageKey } from '../i18n';
import { field, text } from './ecs';

/** Translate is the t() of useI18n, passed in so that the column logic stays testable. */
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** isAssetKind tells a known kind from a kind a newer center may send. */
export function isAssetKind(k: string): k is AssetKind {
  return (assetKinds as readonly string[]).includes(k);
}

/** kindName is a kind's name for lists and tiles ("Packages"); an unknown kind as it is. */
export function kindName(t: Translate, kind: string): string {
  return isAssetKind(kind) ? t(`inv.kind.${kind}` as MessageKey) : kind;
}

/** kindOne is a kind's name for one item ("package"); an unknown kind as it is. */
export function kindOne(t: Translate, kind: string): string {
  return isAssetKind(kind) ? t(`inv.kind1.${kind}` as MessageKey) : kind;
}

/** terms cuts a search into its terms as the center does: at spaces, quoted phrases whole. */
export function searchTerms(q: string): { text: string; quoted: boolean }[] {
  const out: { text: string; quoted: boolean }[] = [];
  let cur = '';
  let inQuote = false;
  const flush = (quoted: boolean) => {
    if (cur) out.push({ text: cur, quoted });
    cur = '';
  };
  for (const ch of q) {
    if (ch === '"') {
      flush(inQuote);
      inQuote = !inQuote;
    } else if (/\s/.test(ch) && !inQuote) {
      flush(false);
    } else {
      cur += ch;
    }
  }
  flush(inQuote);
  return out;
}

/**
 * queryKind is the kind a search names: kind:K (or kind=K), or port for
 * port:N; '' when it names none or an unknown kind (the center says why).
 */
export function queryKind(q: string): string {
  let kind = '';
  for (const term of searchTerms(q)) {
    if (term.quoted) continue;
    const m = /^(kind|port)[:=](.+)$/i.exec(term.text);
    if (!m) continue;
    const k = m[1]!.toLowerCase() === 'port' ? 'port' : m[2]!;
    if (!isAssetKind(k)) return '';
    if (kind && kind !== k) return '';
    kind = k;
  }
  return kind;
}

/**
 * tableKind decides the columns of a listing: the kind filtered on, else
 * the kind the search names, else the one kind every item has; '' for
 * items of several kinds (the generic columns, with the kind).
 */
export function tableKind(filterKind: string, q: string, items: readonly Pick<Asset, 'kind'>[]): string {
  if (filterKind) return filterKind;
  const k = queryKind(q);
  if (k) return k;
  const first = items[0]?.kind ?? '';
  return first && items.every((a) => a.kind === first) ? first : '';
}

/** One table cell: its text, a second line, the full text on hover and a warning tone. */
export interface Cell {
  text: string;
  sub?: string;
  title?: string;
  tone?: 'bad' | 'warn';
  /** Show in the monospace font (versions, paths, addresses). */
  mono?: boolean;
}

/** A column of an inventory table; the host column is drawn as a link by the table. */
export interface AssetColumn {
  id: string;
  label: MessageKey;
  cell: (a: Asset, t: Translate) => Cell;
}

/** f reads a field of an item as text (lists joined). */
function f(a: Asset, path: string): string {
  return a.fields ? text(a.fields, path) : '';
}

/** first is the first of several fields that has a value. */
function first(a: Asset, ...paths: string[]): string {
  for (const p of paths) {
    const v = f(a, p);
    if (v) return v;
  }
  return '';
}

/** cut shortens a long text in the middle, keeping both ends (paths end in what matters). */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const head = Math.ceil((max - 1) * 0.4);
  return `${s.slice(0, head)}…${s.slice(s.length - (max - 1 - head))}`;
}

const hostColumn: AssetColumn = {
  id: 'host',
  label: 'inv.col.host',
  cell: (a) => ({ text: a.hostname || a.agent_id, sub: a.hostname ? a.agent_id : undefined }),
};

const nameColumn: AssetColumn = { id: 'name', label: 'inv.col.name', cell: (a) => ({ text: a.name }) };
const versionColumn: AssetColumn = { id: 'version', label: 'inv.col.version', cell: (a) => ({ text: a.version ?? '', mono: true }) };

/** passwordStates are the states of vigil.account.password.status that have a text. */
const passwordStates = ['set', 'locked', 'empty', 'disabled'];

/** sudoCell says whether an account may use sudo, and warns of NOPASSWD rules. */
function sudoCell(a: Asset, t: Translate): Cell {
  const rules = a.fields ? field(a.fields, 'vigil.sudo.rules') : undefined;
  const n = Array.isArray(rules) ? rules.length : 0;
  const nopasswd = a.fields ? field(a.fields, 'vigil.sudo.nopasswd') === true : false;
  if (n === 0 && !nopasswd) return { text: '' };
  return {
    text: nopasswd ? t('inv.sudo.nopasswd') : t('inv.sudo.yes'),
    sub: n === 1 ? t('inv.sudo.rule1') : n > 1 ? t('inv.sudo.rules', { n }) : undefined,
    tone: nopasswd ? 'warn' : undefined,
  };
}

const columns: Record<string, AssetColumn[]> = {
  package: [
    { id: 'name', label: 'inv.col.name', cell: (a) => ({ text: a.name, sub: f(a, 'package.type') }) },
    versionColumn,
    { id: 'arch', label: 'inv.col.arch', cell: (a) => ({ text: f(a, 'package.architecture'), mono: true }) },
  ],
  port: [
    {
      id: 'port',
      label: 'inv.col.port',
      cell: (a) => ({ text: f(a, 'server.port') || a.name, sub: f(a, 'network.transport'), mono: true }),
    },
    {
      id: 'address',
      label: 'inv.col.address',
      cell: (a) => ({ text: f(a, 'server.ip') || a.key, sub: f(a, 'network.type'), mono: true }),
    },
    {
      id: 'process',
      label: 'inv.col.process',
      cell: (a, t) => {
        const exe = f(a, 'process.executable');
        const deleted = a.fields ? field(a.fields, 'vigil.process.executable_deleted') === true : false;
        const container = f(a, 'container.id');
        return {
          text: f(a, 'process.name') || exe,
          sub: [exe, deleted ? t('inv.exeDeleted') : '', container ? t('inv.inContainer', { id: container.slice(0, 12) }) : ''].filter(Boolean).join(' · '),
          title: exe,
          tone: deleted ? 'warn' : undefined,
        };
      },
    },
    {
      id: 'user',
      label: 'inv.col.user',
      cell: (a) => {
        const id = f(a, 'user.id');
        const name = f(a, 'user.name');
        return { text: name || id, sub: name && id ? `uid ${id}` : undefined };
      },
    },
  ],
  user: [
    { id: 'name', label: 'inv.col.name', cell: (a) => ({ text: a.name, sub: f(a, 'user.full_name') }) },
    {
      id: 'uid',
      label: 'inv.col.uid',
      cell: (a, t) => {
        const uid = f(a, 'user.id');
        // A second account with uid 0 is root under another name.
        const root = uid === '0' && a.name !== 'root';
        return { text: uid, sub: root ? t('inv.uid0') : f(a, 'user.group.name'), tone: root ? 'bad' : undefined, mono: true };
      },
    },
    { id: 'shell', label: 'inv.col.shell', cell: (a) => ({ text: f(a, 'vigil.account.shell'), sub: f(a, 'vigil.account.home'), mono: true }) },
    { id: 'sudo', label: 'inv.col.sudo', cell: sudoCell },
    {
      id: 'password',
      label: 'inv.col.password',
      cell: (a, t) => {
        const s = f(a, 'vigil.account.password.status');
        const changed = f(a, 'vigil.account.password.last_changed');
        return {
          text: passwordStates.includes(s) ? t(`inv.pw.${s}` as MessageKey) : s,
          sub: changed ? t('inv.pw.changed', { date: changed }) : undefined,
          // An empty password lets anyone in who can reach a login.
          tone: s === 'empty' ? 'bad' : undefined,
        };
      },
    },
  ],
  middleware: [
    {
      id: 'product',
      label: 'inv.col.product',
      cell: (a) => {
        const product = a.name;
        const type = first(a, 'service.type');
        return { text: product, sub: type.toLowerCase() === product.toLowerCase() ? undefined : type };
      },
    },
    versionColumn,
    {
      id: 'ports',
      label: 'inv.col.ports',
      cell: (a) => ({ text: first(a, 'destination.port', 'vigil.middleware.ports', 'server.port'), mono: true }),
    },
    {
      id: 'config',
      label: 'inv.col.config',
      cell: (a) => {
        const path = first(a, 'file.path');
        return { text: cut(path, 48), title: path, mono: true };
      },
    },
  ],
  library: [
    { id: 'name', label: 'inv.col.name', cell: (a) => ({ text: a.name, sub: f(a, 'package.type') }) },
    versionColumn,
    {
      id: 'path',
      label: 'inv.col.path',
      cell: (a) => {
        const path = f(a, 'package.path');
        return { text: cut(path, 48), title: path, mono: true };
      },
    },
  ],
};

const generic: AssetColumn[] = [
  nameColumn,
  { id: 'key', label: 'inv.col.key', cell: (a) => ({ text: cut(a.key, 48), title: a.key, mono: true }) },
  versionColumn,
];

const kindColumn: AssetColumn = { id: 'kind', label: 'inv.col.kind', cell: (a, t) => ({ text: kindOne(t, a.kind) }) };

/**
 * columnsFor returns the columns of a table of items of one kind ('' for
 * several kinds: the generic ones with the kind first), with the host
 * last unless the table is one host's.
 */
export function columnsFor(kind: string, withHost: boolean): AssetColumn[] {
  const own = columns[kind] ?? (kind ? generic : [kindColumn, ...generic]);
  return withHost ? [...own, hostColumn] : own;
}

/** versionChange shows a change's versions: "3.0.11 → 3.0.13", or the one there is. */
export function versionChange(c: Pick<AssetChange, 'before' | 'after' | 'action'>): string {
  const b = c.before ?? '';
  const a = c.after ?? '';
  if (b && a && b !== a) return `${b} → ${a}`;
  return a || b;
}

/** actionName is a change's action in words; an unknown one as it is. */
export function actionName(t: Translate, action: string): string {
  return ['added', 'changed', 'removed'].includes(action) ? t(`inv.action.${action}` as MessageKey) : action;
}

/** changeLine tells a change in one line: "web-01 · package openssl 3.0.11 → 3.0.13 · changed". */
export function changeLine(t: Translate, c: AssetChange, withHost = true): string {
  const item = [kindOne(t, c.kind), c.name || c.key, versionChange(c)].filter(Boolean).join(' ');
  return [withHost ? c.hostname || c.agent_id : '', item, actionName(t, c.action)].filter(Boolean).join(' · ');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value at a path of an item's fields: a text, number, boolean, null or a list of those. */
export interface FieldLeaf {
  path: string;
  value: unknown;
}

/**
 * flattenFields lists the leaves of a fields document as dotted paths
 * (lists of objects by index: vigil.sudo.rules[0].commands), in the
 * document's order. Lists of plain values are one leaf; empty objects and
 * lists are leaves too, so that nothing is lost. It walks with a stack, so
 * that a deeply nested document cannot exhaust the call stack.
 */
export function flattenFields(doc: unknown): FieldLeaf[] {
  const out: FieldLeaf[] = [];
  if (!isObject(doc)) return doc === undefined || doc === null ? out : [{ path: '', value: doc }];
  const stack: [string, unknown][] = Object.entries(doc).reverse();
  while (stack.length > 0) {
    const [path, v] = stack.pop()!;
    if (isObject(v) && Object.keys(v).length > 0) {
      const kids = Object.entries(v);
      for (let i = kids.length - 1; i >= 0; i--) stack.push([`${path}.${kids[i]![0]}`, kids[i]![1]]);
    } else if (Array.isArray(v) && v.some((x) => isObject(x) || Array.isArray(x))) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([`${path}[${i}]`, v[i]]);
    } else {
      out.push({ path, value: v });
    }
  }
  return out;
}

/** showValue writes a leaf for people: text as it is, lists joined, the rest as JSON. */
export function showValue(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => !isObject(x) && !Array.isArray(x))) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
  return JSON.stringify(v);
}

/** One path of a change's fields: its value before and after. */
export interface FieldDiff {
  path: string;
  before?: unknown;
  after?: unknown;
  change: 'added' | 'removed' | 'changed' | 'same';
}

/**
 * diffFields compares an item's fields before and after a change, path by
 * path: the paths of the new fields in their order, then those that went.
 */
export function diffFields(before: unknown, after: unknown): FieldDiff[] {
  const b = new Map(flattenFields(before).map((l) => [l.path, l.value]));
  const out: FieldDiff[] = [];
  for (const { path, value } of flattenFields(after)) {
    if (!b.has(path)) {
      out.push({ path, after: value, change: 'added' });
      continue;
    }
    const old = b.get(path);
    b.delete(path);
    out.push({ path, before: old, after: value, change: JSON.stringify(old) === JSON.stringify(value) ? 'same' : 'changed' });
  }
  for (const [path, value] of b) out.push({ path, before: value, change: 'removed' });
  return out;
}

/** countText says how many items a listing holds, and whether more can be loaded. */
export function countText(t: Translate, n: number, more: boolean): string {
  if (more) return t('inv.countMore', { n });
  return n === 1 ? t('inv.count1') : t('inv.count', { n });
}
