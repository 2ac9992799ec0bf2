// Risk management's data shaping: the findings filter read from and written
// to the URL and turned into the API's query, severities in order, the
// fleet's counts, weak passwords counted by target and read for what may
// be shown, the database's freshness, patches grouped for display, a job's
// progress, OSV records read for their references and affected packages,
// and word lists checked as the center checks them.
import type { Query } from '../api/client';
import {
  vulnSeverities,
  type KnownExploitedEntry,
  type Patch,
  type VulnDBStatus,
  type VulnHostSummary,
  type VulnJob,
  type VulnSeverity,
  type WeakPassword,
} from '../api/types';

// ---- severities ----

/** severityRank orders severities: 0 for critical, higher for less severe; a word that is no severity ranks last. */
export function severityRank(s: string): number {
  const i = vulnSeverities.indexOf(s as VulnSeverity);
  return i < 0 ? vulnSeverities.length : i;
}

/** isVulnSeverity tells a severity from any other word. */
export function isVulnSeverity(s: string): s is VulnSeverity {
  return (vulnSeverities as string[]).includes(s);
}

/** worstSeverity is the most severe of a list ('unknown' for none). */
export function worstSeverity(list: readonly string[]): string {
  let worst = 'unknown';
  for (const s of list) if (severityRank(s) < severityRank(worst)) worst = s;
  return worst;
}

/** bySeverity orders items most severe first, then by score (highest first); the order is otherwise kept. */
export function bySeverity<T extends { severity: string; score?: number }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || (b.score ?? 0) - (a.score ?? 0));
}

// ---- the findings filter ----

/** FindingFilter is what the findings, the vulnerabilities and the patches listings are filtered by. */
export interface FindingFilter {
  agent_id: string;
  vuln_id: string;
  ecosystem: string;
  package: string;
  q: string;
  /** The severities kept (none: every one), most severe first. */
  severity: VulnSeverity[];
  known_exploited: boolean;
  running: boolean;
  fixable: boolean;
}

/** The text fields of a FindingFilter. */
export const findingTextKeys = ['agent_id', 'vuln_id', 'ecosystem', 'package', 'q'] as const;
/** The yes/no fields of a FindingFilter. */
export const findingFlagKeys = ['known_exploited', 'running', 'fixable'] as const;
export type FindingFlag = (typeof findingFlagKeys)[number];

export const emptyFindingFilter: FindingFilter = {
  agent_id: '',
  vuln_id: '',
  ecosystem: '',
  package: '',
  q: '',
  severity: [],
  known_exploited: false,
  running: false,
  fixable: false,
};

/** parseSeverities reads "critical,high" into severities, most severe first, each once; other words are dropped. */
export function parseSeverities(v: string | null | undefined): VulnSeverity[] {
  const set = new Set(
    (v ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(isVulnSeverity),
  );
  return vulnSeverities.filter((s) => set.has(s));
}

/** toggleSeverity adds or removes a severity, keeping the order. */
export function toggleSeverity(list: readonly VulnSeverity[], s: VulnSeverity): VulnSeverity[] {
  const set = new Set(list);
  if (set.has(s)) set.delete(s);
  else set.add(s);
  return vulnSeverities.filter((x) => set.has(x));
}

const truthy = (v: string | null) => v === 'true' || v === '1';

/** readFindingFilter reads the filter kept in a page's URL. */
export function readFindingFilter(query: URLSearchParams): FindingFilter {
  const f: FindingFilter = { ...emptyFindingFilter, severity: parseSeverities(query.get('severity')) };
  for (const k of findingTextKeys) f[k] = (query.get(k) ?? '').trim();
  for (const k of findingFlagKeys) f[k] = truthy(query.get(k));
  return f;
}

/** findingParams writes a filter as query values: severities joined by commas, flags as "true", empty ones left out. */
export function findingParams(f: FindingFilter): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k of findingTextKeys) out[k] = f[k].trim() || undefined;
  out.severity = f.severity.length > 0 ? f.severity.join(',') : undefined;
  for (const k of findingFlagKeys) out[k] = f[k] ? 'true' : undefined;
  return out;
}

/** findingQuery is the API's query for a filter, with the page's cursor and size. */
export function findingQuery(f: FindingFilter, cursor = '', limit?: number): Query {
  return { ...findingParams(f), cursor: cursor || undefined, limit };
}

/** filterCount counts the filters in use (each severity chosen counts once). */
export function filterCount(f: FindingFilter): number {
  return findingTextKeys.filter((k) => f[k].trim() !== '').length + findingFlagKeys.filter((k) => f[k]).length + (f.severity.length > 0 ? 1 : 0);
}

// ---- hosts ----

/** sortHosts orders hosts riskiest first, as the center does: known exploited, critical, high, then all findings; then by id. */
export function sortHosts(hosts: readonly VulnHostSummary[]): VulnHostSummary[] {
  return [...hosts].sort(
    (a, b) =>
      b.known_exploited - a.known_exploited ||
      b.critical - a.critical ||
      b.high - a.high ||
      b.total - a.total ||
      (a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0),
  );
}

/** FleetCounts are the fleet's findings by severity, known exploited and fixable, and the hosts that have any. */
export interface FleetCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  other: number;
  known_exploited: number;
  fixable: number;
  total: number;
  hosts: number;
}

/** fleetCounts adds up the hosts' counts. */
export function fleetCounts(hosts: readonly VulnHostSummary[]): FleetCounts {
  const c: FleetCounts = { critical: 0, high: 0, medium: 0, low: 0, other: 0, known_exploited: 0, fixable: 0, total: 0, hosts: 0 };
  for (const h of hosts) {
    for (const k of ['critical', 'high', 'medium', 'low', 'other', 'known_exploited', 'fixable', 'total'] as const) c[k] += h[k] ?? 0;
    if ((h.total ?? 0) > 0) c.hosts++;
  }
  return c;
}

/** A part of a severity bar. */
export interface BarPart {
  severity: 'critical' | 'high' | 'medium' | 'low' | 'other';
  n: number;
  /** Its share of the bar in percent. */
  pct: number;
}

/** severityBar cuts a host's findings into the parts of a bar, leaving out empty ones. */
export function severityBar(h: Pick<VulnHostSummary, 'critical' | 'high' | 'medium' | 'low' | 'other'>): BarPart[] {
  const parts = (['critical', 'high', 'medium', 'low', 'other'] as const).map((severity) => ({ severity, n: h[severity] ?? 0 }));
  const total = parts.reduce((n, p) => n + p.n, 0);
  if (total === 0) return [];
  return parts.filter((p) => p.n > 0).map((p) => ({ ...p, pct: (p.n * 100) / total }));
}

// ---- weak passwords ----

/** The targets the weak password checks know, as the API lists them. */
export const weakTargets = ['account', 'ssh', 'redis', 'mysql', 'postgresql', 'mongodb', 'elasticsearch', 'memcached', 'tomcat'] as const;

/** The finding types of the weak password checks (accounts, then services). */
export const weakTypes = [
  'dictionary',
  'empty',
  'uid0',
  'weak_scheme',
  'no_auth',
  'empty_password',
  'anonymous_access',
  'default_password',
  'dictionary_password',
  'trust_remote',
  'trust_local',
  'cleartext_password',
  'permit_root_login',
  'password_authentication',
  'permit_empty_passwords',
] as const;

/** The severities of weak passwords. */
export const weakSeverities = ['critical', 'high', 'medium', 'low'] as const;

/** TargetCount is the weak passwords of one target, by severity. */
export interface TargetCount {
  target: string;
  total: number;
  critical: number;
  high: number;
  medium: number;
  low: number;
  hosts: number;
}

/** countByTarget counts weak passwords per target, most first (then by name). */
export function countByTarget(items: readonly Pick<WeakPassword, 'target' | 'severity' | 'agent_id'>[]): TargetCount[] {
  const by = new Map<string, TargetCount & { agents: Set<string> }>();
  for (const w of items) {
    const target = w.target || 'unknown';
    let c = by.get(target);
    if (!c) {
      c = { target, total: 0, critical: 0, high: 0, medium: 0, low: 0, hosts: 0, agents: new Set() };
      by.set(target, c);
    }
    c.total++;
    if (w.severity === 'critical' || w.severity === 'high' || w.severity === 'medium' || w.severity === 'low') c[w.severity]++;
    c.agents.add(w.agent_id);
  }
  return [...by.values()]
    .map(({ agents, ...c }) => ({ ...c, hosts: agents.size }))
    .sort((a, b) => b.total - a.total || b.critical - a.critical || a.target.localeCompare(b.target));
}

/** WeakDetail is what a weak password finding may show: never a password, only its masked hint and length. */
export interface WeakDetail {
  account: string;
  anonymous: boolean;
  evidence: string;
  /** The password's first and last characters with stars between ("p*****3"). */
  hint: string;
  /** The password's length, 0 when not told. */
  length: number;
  /** Where the service was reached (address:port), the file that says it, the addresses it listens on. */
  address: string;
  file: string;
  listen: string[];
  /** The hashing scheme and the list the password came from (accounts). */
  scheme: string;
  source: string;
}

function path(obj: unknown, keys: string[]): unknown {
  let v = obj;
  for (const k of keys) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0);

/**
 * readWeakPassword takes out of a finding's fields what the console shows:
 * the account, the evidence, the masked hint and length (accounts write
 * hint and length, services password_hint and password_length), where it
 * was found, and the scheme and list of a guessed account password.
 */
export function readWeakPassword(w: Pick<WeakPassword, 'fields' | 'name' | 'target'>): WeakDetail {
  const f = w.fields ?? {};
  const wp = (k: string) => path(f, ['vigil', 'weak_password', k]);
  const ip = str(path(f, ['server', 'address']));
  const portNo = num(path(f, ['server', 'port']));
  const listen = wp('listen');
  let account = str(wp('account'));
  if (!account && w.target === 'account') account = str(path(f, ['user', 'name'])) || w.name;
  return {
    account,
    anonymous: wp('anonymous') === true,
    evidence: str(wp('evidence')),
    hint: str(wp('hint')) || str(wp('password_hint')),
    length: num(wp('length')) || num(wp('password_length')),
    address: ip ? (portNo ? (ip.includes(':') ? `[${ip}]:${portNo}` : `${ip}:${portNo}`) : ip) : '',
    file: str(path(f, ['file', 'path'])),
    listen: Array.isArray(listen) ? listen.filter((x): x is string => typeof x === 'string') : [],
    scheme: str(wp('scheme')),
    source: str(wp('source')),
  };
}

// ---- the vulnerability database ----

/** The database counts as stale when no source was synced or imported for this long. */
export const staleAfterMs = 7 * 24 * 3600_000;

/** Freshness says whether the database can be trusted to find today's vulnerabilities. */
export interface Freshness {
  /** Advisories in all sources. */
  advisories: number;
  /** No advisory at all: no host can be matched. */
  empty: boolean;
  /** The newest sync or import of any source ('' for none). */
  lastSync: string;
  /** Nothing synced or imported for staleAfterMs (or never, with advisories there). */
  stale: boolean;
  /** Sources whose last attempt failed. */
  failing: string[];
  /** When the fleet was last matched ('' for never). */
  lastMatch: string;
}

/** freshness reads the database's state at time now (ms). */
export function freshness(s: VulnDBStatus, now: number, staleMs = staleAfterMs): Freshness {
  const advisories = Object.values(s.advisories ?? {}).reduce((n, c) => n + c, 0);
  let last = 0;
  let lastSync = '';
  for (const src of s.sources ?? []) {
    const at = src.synced_at ? Date.parse(src.synced_at) : NaN;
    if (!Number.isNaN(at) && new Date(at).getUTCFullYear() > 1970 && at > last) {
      last = at;
      lastSync = src.synced_at ?? '';
    }
  }
  const lastMatch = s.service?.last_fleet_match ?? '';
  return {
    advisories,
    empty: advisories === 0,
    lastSync,
    stale: advisories > 0 && (last === 0 || now - last > staleMs),
    failing: (s.sources ?? []).filter((src) => !!src.error).map((src) => src.name),
    lastMatch: lastMatch && !Number.isNaN(Date.parse(lastMatch)) && new Date(lastMatch).getUTCFullYear() > 1970 ? lastMatch : '',
  };
}

/** SourceRow is a source as the database page lists it, with its advisories. */
export interface SourceRow {
  name: string;
  url: string;
  configured: boolean;
  imported: boolean;
  disabled: boolean;
  advisories: number;
  records: number;
  rejected: number;
  syncedAt: string;
  error: string;
}

/** sourceRows lists the sources with their advisories, by name; a source known only by its advisories is listed too. */
export function sourceRows(s: VulnDBStatus): SourceRow[] {
  const counts = s.advisories ?? {};
  const rows = new Map<string, SourceRow>();
  for (const src of s.sources ?? []) {
    rows.set(src.name, {
      name: src.name,
      url: src.url ?? '',
      configured: !!src.configured,
      imported: !!src.synced_at || src.records > 0 || (counts[src.name] ?? 0) > 0,
      disabled: !!src.disabled,
      advisories: counts[src.name] ?? 0,
      records: src.records ?? 0,
      rejected: src.rejected ?? 0,
      syncedAt: src.synced_at ?? '',
      error: src.error ?? '',
    });
  }
  for (const [name, n] of Object.entries(counts)) {
    if (!rows.has(name)) rows.set(name, { name, url: '', configured: false, imported: true, disabled: false, advisories: n, records: 0, rejected: 0, syncedAt: '', error: '' });
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The phases of a job, in the order they come. */
export const jobPhases = ['download', 'read', 'store', 'index', 'match'] as const;

/** jobRunning reports whether a job is still going. */
export function jobRunning(j: Pick<VulnJob, 'state'> | null | undefined): boolean {
  return j?.state === 'running';
}

/** jobPercent is a job's progress in its phase (0 to 100), null when the total is not known; a finished job is at 100. */
export function jobPercent(j: Pick<VulnJob, 'state' | 'done' | 'total'>): number | null {
  if (j.state === 'done') return 100;
  if (!j.total || j.total <= 0) return null;
  return Math.max(0, Math.min(100, Math.floor((j.done * 100) / j.total)));
}

/** uploadPercent is how much of an upload was sent (0 to 100). */
export function uploadPercent(p: { loaded: number; total: number }): number {
  if (p.total <= 0) return 0;
  return Math.max(0, Math.min(100, Math.floor((p.loaded * 100) / p.total)));
}

/** runningJob is the newest running job of a listing (jobs are newest first), or null. */
export function runningJob(jobs: readonly VulnJob[] | null | undefined): VulnJob | null {
  return (jobs ?? []).find((j) => j.state === 'running') ?? null;
}

/** The name a source may have (letters, digits and . _ : + - and blanks, at most 64, starting with a letter or digit). */
const sourcePattern = /^[A-Za-z0-9][A-Za-z0-9 ._:+-]{0,63}$/;

/** checkSourceName checks an import's source name as the center does. */
export function checkSourceName(name: string): boolean {
  return sourcePattern.test(name);
}

/** suggestSource guesses a source name from a file's name: kev for CISA's catalogue, the ecosystem of an osv.dev export. */
export function suggestSource(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, '');
  if (/known_exploited|kev/i.test(base)) return 'kev';
  const stem = base.replace(/\.(zip|json)$/i, '').replace(/[-_]?all$/i, '');
  return checkSourceName(stem) ? stem : '';
}

// ---- OSV records ----

/** A reference of an OSV record: only http and https links are kept. */
export interface OsvReference {
  type: string;
  url: string;
}

/** osvReferences reads a record's references. */
export function osvReferences(record: unknown): OsvReference[] {
  const refs = path(record, ['references']);
  if (!Array.isArray(refs)) return [];
  const out: OsvReference[] = [];
  for (const r of refs) {
    const url = str(path(r, ['url']));
    if (!/^https?:\/\//i.test(url)) continue;
    if (out.some((o) => o.url === url)) continue;
    out.push({ type: str(path(r, ['type'])) || 'WEB', url });
  }
  return out;
}

/** One affected package of an OSV record and the versions that fix it. */
export interface OsvAffected {
  ecosystem: string;
  name: string;
  purl: string;
  introduced: string[];
  fixed: string[];
  lastAffected: string[];
  /** The versions listed one by one. */
  versions: number;
}

/** osvAffected reads a record's affected packages with their ranges' events. */
export function osvAffected(record: unknown): OsvAffected[] {
  const list = path(record, ['affected']);
  if (!Array.isArray(list)) return [];
  return list.map((a) => {
    const out: OsvAffected = {
      ecosystem: str(path(a, ['package', 'ecosystem'])),
      name: str(path(a, ['package', 'name'])),
      purl: str(path(a, ['package', 'purl'])),
      introduced: [],
      fixed: [],
      lastAffected: [],
      versions: Array.isArray(path(a, ['versions'])) ? (path(a, ['versions']) as unknown[]).length : 0,
    };
    const ranges = path(a, ['ranges']);
    for (const r of Array.isArray(ranges) ? ranges : []) {
      const events = path(r, ['events']);
      for (const e of Array.isArray(events) ? events : []) {
        const add = (list: string[], v: string) => v && !list.includes(v) && list.push(v);
        add(out.introduced, str(path(e, ['introduced'])));
        add(out.fixed, str(path(e, ['fixed'])));
        add(out.lastAffected, str(path(e, ['last_affected'])));
      }
    }
    return out;
  });
}

/** osvDetails is a record's details text ('' when it has none). */
export function osvDetails(record: unknown): string {
  return str(path(record, ['details'])).trim();
}

/** dateOnly shows a calendar date of the catalogue (midnight UTC) as YYYY-MM-DD; '' when absent. */
export function dateOnly(v: string | undefined): string {
  if (!v) return '';
  const at = Date.parse(v);
  if (Number.isNaN(at) || new Date(at).getUTCFullYear() <= 1970) return '';
  return new Date(at).toISOString().slice(0, 10);
}

/** kevOverdue reports whether a known exploited entry's due date has passed at now (ms). */
export function kevOverdue(e: Pick<KnownExploitedEntry, 'due_date'> | undefined, now: number): boolean {
  if (!e?.due_date) return false;
  const at = Date.parse(e.due_date);
  return !Number.isNaN(at) && new Date(at).getUTCFullYear() > 1970 && at < now;
}

// ---- patches ----

/** PatchGroup is the patches of one ecosystem, as the patches page shows them. */
export interface PatchGroup {
  ecosystem: string;
  patches: Patch[];
  /** The most severe of its patches, whether any fixes a known exploited vulnerability, and the vulnerabilities fixed. */
  severity: string;
  knownExploited: boolean;
  vulns: number;
  /** Patches without a command (libraries bundled in an application). */
  manual: number;
}

const patchOrder = (a: Patch, b: Patch) =>
  severityRank(a.severity) - severityRank(b.severity) ||
  Number(b.known_exploited) - Number(a.known_exploited) ||
  (b.vulns?.length ?? 0) - (a.vulns?.length ?? 0) ||
  b.hosts - a.hosts ||
  a.package.localeCompare(b.package);

/**
 * groupPatches groups patches by ecosystem: the group with the most severe
 * patch first (then known exploited, then the most vulnerabilities fixed,
 * then by name), and in each group the patches in the same order.
 */
export function groupPatches(items: readonly Patch[]): PatchGroup[] {
  const by = new Map<string, Patch[]>();
  for (const p of items) {
    const list = by.get(p.ecosystem) ?? [];
    list.push(p);
    by.set(p.ecosystem, list);
  }
  const groups = [...by.entries()].map(([ecosystem, list]) => {
    const patches = [...list].sort(patchOrder);
    return {
      ecosystem,
      patches,
      severity: worstSeverity(patches.map((p) => p.severity)),
      knownExploited: patches.some((p) => p.known_exploited),
      vulns: new Set(patches.flatMap((p) => p.vulns ?? [])).size,
      manual: patches.filter((p) => !p.command).length,
    };
  });
  return groups.sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      Number(b.knownExploited) - Number(a.knownExploited) ||
      b.vulns - a.vulns ||
      a.ecosystem.localeCompare(b.ecosystem),
  );
}

/** patchVersions says what a patch replaces and with what: "3.0.11-1 → 3.0.13-1" (several installed versions joined by commas). */
export function patchVersions(p: Pick<Patch, 'versions' | 'fixed_version'>): string {
  const from = (p.versions ?? []).join(', ');
  return from ? `${from} → ${p.fixed_version}` : `→ ${p.fixed_version}`;
}

/** firstOf cuts a list to its first n entries and says how many more there are. */
export function firstOf<T>(list: readonly T[] | null | undefined, n: number): { shown: T[]; more: number } {
  const l = list ?? [];
  return { shown: l.slice(0, n), more: Math.max(0, l.length - n) };
}

// ---- word lists ----

/** The center's bounds of word lists: bytes per list, bytes per word, words in all lists together. */
export const wordlistLimits = { bytes: 256 << 10, wordBytes: 128, words: 20_000 };

/** WordlistCheck is a word list read as the center reads it. */
export interface WordlistCheck {
  words: number;
  /** Blank and comment lines, and words given twice. */
  skipped: number;
  /** The first line that the center would refuse (1-based, 0 for none) and why. */
  badLine: number;
  problem: '' | 'long' | 'unprintable' | 'empty' | 'tooMany' | 'tooBig';
}

/** checkWordlist reads one word per line: blank lines and lines starting with "#" skipped, duplicates dropped. */
export function checkWordlist(text: string, bytes = new TextEncoder().encode(text).length): WordlistCheck {
  if (bytes > wordlistLimits.bytes) return { words: 0, skipped: 0, badLine: 0, problem: 'tooBig' };
  const seen = new Set<string>();
  let skipped = 0;
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '' || line.startsWith('#')) {
      if (i < lines.length - 1 || line !== '') skipped++;
      continue;
    }
    if (new TextEncoder().encode(line).length > wordlistLimits.wordBytes) return { words: seen.size, skipped, badLine: i + 1, problem: 'long' };
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(line)) return { words: seen.size, skipped, badLine: i + 1, problem: 'unprintable' };
    if (seen.has(line)) skipped++;
    else seen.add(line);
  }
  if (seen.size === 0) return { words: 0, skipped, badLine: 0, problem: 'empty' };
  if (seen.size > wordlistLimits.words) return { words: seen.size, skipped, badLine: 0, problem: 'tooMany' };
  return { words: seen.size, skipped, badLine: 0, problem: '' };
}
