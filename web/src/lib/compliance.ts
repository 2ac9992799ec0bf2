// Compliance baselines' data shaping: statuses and scores, texts in the
// user's language, references by framework, the agent's evidence read
// into lines (file or command, line number, text), the fleet's score
// trend from the score history, the overview's tables, the problems of a
// refused policy upload, what a chosen policy file is, and the checks of
// the assignment and exception forms.
import { ApiError } from '../api/client';
import {
  complianceStatuses,
  type Agent,
  type ComplianceCounts,
  type ComplianceGroup,
  type CompliancePolicy,
  type ComplianceScore,
  type ComplianceStatus,
  type ComplianceSummary,
  type LocalText,
  type RuleEvidence,
} from '../api/types';
import { parseDuration } from './duration';

// ---- statuses, severities and scores ----

/** isComplianceStatus tells a status from any other word. */
export function isComplianceStatus(s: string): s is ComplianceStatus {
  return (complianceStatuses as string[]).includes(s);
}

/** The severities of checks, most severe first. */
export const checkSeverities = ['critical', 'high', 'medium', 'low'] as const;
export type CheckSeverity = (typeof checkSeverities)[number];

/** isCheckSeverity tells a check's severity from any other word (a Wazuh SCA check has none). */
export function isCheckSeverity(s: string | undefined): s is CheckSeverity {
  return (checkSeverities as readonly string[]).includes(s ?? '');
}

/** emptyCounts are counts of nothing. */
export const emptyCounts: ComplianceCounts = { pass: 0, fail: 0, error: 0, not_applicable: 0, excepted: 0, total: 0 };

/** scoreOf computes a score as the center does: passed / (passed + failed) in percent; null with neither. */
export function scoreOf(passed: number, failed: number): number | null {
  return passed + failed > 0 ? (passed * 100) / (passed + failed) : null;
}

/** scoreText shows a score with at most one decimal ("83.3%", "100%"); "—" for none. */
export function scoreText(score: number | null | undefined): string {
  if (score === null || score === undefined || !Number.isFinite(score)) return '—';
  return `${Math.round(score * 10) / 10}%`;
}

/** The tone of a score: good from 90, fair from 70, else poor; none without a score. */
export type ScoreTone = 'good' | 'fair' | 'poor' | 'none';

export function scoreTone(score: number | null | undefined): ScoreTone {
  if (score === null || score === undefined || !Number.isFinite(score)) return 'none';
  return score >= 90 ? 'good' : score >= 70 ? 'fair' : 'poor';
}

/** localText picks a policy text in the language, falling back to the other one. */
export function localText(t: LocalText | null | undefined, lang: 'en' | 'zh'): string {
  if (!t) return '';
  return (lang === 'zh' ? t.zh || t.en : t.en || t.zh) ?? '';
}

// ---- references ----

/** Frameworks shown first, in this order; the others follow by name. */
export const knownFrameworks = ['cis', 'mlps', 'nist_800_53', 'nist_sp_800_53', 'pci_dss', 'iso_27001', 'url'] as const;

/** A framework's references. */
export interface ReferenceGroup {
  framework: string;
  ids: string[];
}

/** referenceGroups orders a check's references: CIS, GB/T 22239 (mlps), then the others by name; empty lists left out. */
export function referenceGroups(refs: Record<string, string[] | null> | null | undefined): ReferenceGroup[] {
  if (!refs || typeof refs !== 'object') return [];
  const rank = (f: string) => {
    const i = (knownFrameworks as readonly string[]).indexOf(f);
    return i < 0 ? knownFrameworks.length : i;
  };
  return Object.entries(refs)
    .map(([framework, ids]) => ({ framework, ids: (Array.isArray(ids) ? ids : []).filter((x): x is string => typeof x === 'string' && x !== '') }))
    .filter((g) => g.ids.length > 0)
    .sort((a, b) => rank(a.framework) - rank(b.framework) || a.framework.localeCompare(b.framework));
}

// ---- evidence ----

/** readEvidence reads a result's evidence as rule results; anything else the agent may have sent is dropped. */
export function readEvidence(v: unknown): RuleEvidence[] {
  if (!Array.isArray(v)) return [];
  const out: RuleEvidence[] = [];
  for (const x of v) {
    if (!x || typeof x !== 'object' || Array.isArray(x)) continue;
    const r = x as Record<string, unknown>;
    const lines = Array.isArray(r.evidence) ? r.evidence.filter((l): l is string => typeof l === 'string') : [];
    out.push({
      index: typeof r.index === 'number' ? r.index : out.length,
      type: typeof r.type === 'string' ? r.type : '',
      result: typeof r.result === 'string' ? r.result : '',
      not: r.not === true,
      applies_if: r.applies_if === true,
      error: typeof r.error === 'string' ? r.error : '',
      evidence: lines,
    });
  }
  return out;
}

/** An evidence line read: where it comes from (a file or a command), its line number, and what it says. */
export interface EvidenceLine {
  /** A file path or a command line; '' when the line names none. */
  source: string;
  /** 0 when no line is named. */
  line: number;
  text: string;
  /** A note of the agent that lines were cut ("... 3 more lines cut"). */
  cut: boolean;
}

const withLine = /^(\S(?:.*?\S)?):(\d+): ([\s\S]*)$/;
const withPath = /^(\/[^\s:]*): ([\s\S]*)$/;
const cutNote = /^\.\.\. \d+ more lines? cut$/;

/** evidenceLine reads "source:line: text" (a file or a command), "/path: text", or plain text. */
export function evidenceLine(s: string): EvidenceLine {
  if (cutNote.test(s)) return { source: '', line: 0, text: s, cut: true };
  const m = withLine.exec(s);
  if (m) return { source: m[1]!, line: Number(m[2]), text: m[3]!, cut: false };
  const p = withPath.exec(s);
  if (p) return { source: p[1]!, line: 0, text: p[2]!, cut: false };
  return { source: '', line: 0, text: s, cut: false };
}

/** clipText cuts a text to n characters, ending it with "…". */
export function clipText(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`;
}

// ---- the score trend ----

/** A day of the trend: the hosts counted and their summed checks. */
export interface TrendPoint {
  /** YYYY-MM-DD, UTC. */
  day: string;
  hosts: number;
  passed: number;
  failed: number;
  score: number | null;
}

const dayMs = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * fleetTrend turns the score history of a policy into the fleet's score per
 * UTC day from since to until: each host counts with its latest entry
 * before the day's end (an entry is written only when its results change,
 * so it holds until the next one). A host without any entry in the history
 * read has not changed during it and counts with its current summary on
 * every day; a host whose first entry comes later counts from that day.
 */
export function fleetTrend(scores: readonly ComplianceScore[], summaries: readonly ComplianceSummary[], policyId: string, sinceMs: number, untilMs: number): TrendPoint[] {
  const byHost = new Map<string, { at: number; passed: number; failed: number }[]>();
  for (const s of scores) {
    if (s.policy_id !== policyId) continue;
    const at = Date.parse(s.at);
    if (Number.isNaN(at)) continue;
    const list = byHost.get(s.agent_id) ?? [];
    list.push({ at, passed: s.passed, failed: s.failed });
    byHost.set(s.agent_id, list);
  }
  for (const list of byHost.values()) list.sort((a, b) => a.at - b.at);
  const steady = summaries.filter((s) => s.policy_id === policyId && s.applicable && !byHost.has(s.agent_id));
  const first = Math.floor(sinceMs / dayMs);
  const last = Math.floor(untilMs / dayMs);
  const out: TrendPoint[] = [];
  for (let d = first; d <= last; d++) {
    const end = (d + 1) * dayMs;
    let passed = 0;
    let failed = 0;
    let hosts = 0;
    for (const list of byHost.values()) {
      let e: (typeof list)[number] | undefined;
      for (const x of list) {
        if (x.at >= end) break;
        e = x;
      }
      if (!e) continue;
      hosts++;
      passed += e.passed;
      failed += e.failed;
    }
    for (const s of steady) {
      hosts++;
      passed += s.counts.pass;
      failed += s.counts.fail;
    }
    out.push({ day: dayOf(d * dayMs), hosts, passed, failed, score: scoreOf(passed, failed) });
  }
  return out;
}

/** A drawn point of the trend. */
export interface ChartDot {
  x: number;
  y: number;
  point: TrendPoint;
}

/** trendChart places the trend in a width × height box (scores 0 to 100, bottom to top, pad around): the line's path, broken where a day has no score, and its dots. */
export function trendChart(points: readonly TrendPoint[], width: number, height: number, pad = 4): { path: string; dots: ChartDot[] } {
  const dots: ChartDot[] = [];
  let path = '';
  let pen = false;
  const n = points.length;
  const innerW = width - 2 * pad;
  const innerH = height - 2 * pad;
  points.forEach((p, i) => {
    if (p.score === null) {
      pen = false;
      return;
    }
    const x = pad + (n > 1 ? (i * innerW) / (n - 1) : innerW / 2);
    const y = pad + innerH - (Math.max(0, Math.min(100, p.score)) * innerH) / 100;
    const xy = `${Math.round(x * 10) / 10},${Math.round(y * 10) / 10}`;
    path += pen ? ` L${xy}` : `${path ? ' ' : ''}M${xy}`;
    pen = true;
    dots.push({ x, y, point: p });
  });
  return { path, dots };
}

/** The periods the overview offers, in days. */
export const trendPeriods = [7, 30, 90] as const;

/** trendDays reads a period from the URL (30 for anything else). */
export function trendDays(v: string | null | undefined): number {
  const n = Number(v);
  return (trendPeriods as readonly number[]).includes(n) ? n : 30;
}

// ---- the overview ----

/** A policy's row of the fleet table. */
export interface PolicyRow {
  id: string;
  policy?: CompliancePolicy;
  /** Hosts the policy applies to, and those it does not (another system). */
  hosts: number;
  notApplicable: number;
  /** Hosts with at least one failing check. */
  failingHosts: number;
  counts: ComplianceCounts;
  score: number | null;
}

/**
 * policyRows makes the fleet table: one row per policy that has results
 * (its fleet group) or is assigned, those with results first (lowest score
 * first), then the assigned ones without results yet, by id.
 */
export function policyRows(policies: readonly CompliancePolicy[], fleet: readonly ComplianceGroup[], summaries: readonly ComplianceSummary[]): PolicyRow[] {
  const byId = new Map(policies.map((p) => [p.id, p]));
  const rows = new Map<string, PolicyRow>();
  const row = (id: string) => {
    let r = rows.get(id);
    if (!r) {
      r = { id, policy: byId.get(id), hosts: 0, notApplicable: 0, failingHosts: 0, counts: { ...emptyCounts }, score: null };
      rows.set(id, r);
    }
    return r;
  };
  for (const g of fleet) {
    if (g.label !== '') continue;
    const r = row(g.policy_id);
    r.hosts = g.hosts;
    r.counts = { ...g.counts };
    r.score = g.score;
  }
  for (const s of summaries) {
    const r = row(s.policy_id);
    if (!s.applicable) r.notApplicable++;
    else if (s.counts.fail > 0) r.failingHosts++;
  }
  for (const p of policies) if (p.assignment && !p.assignment.disabled) row(p.id);
  const scored = (r: PolicyRow) => (r.score === null ? 1 : 0);
  return [...rows.values()].sort(
    (a, b) => scored(a) - scored(b) || (a.score ?? 0) - (b.score ?? 0) || b.hosts - a.hosts || a.id.localeCompare(b.id),
  );
}

/** defaultPolicy is the policy the overview's panels show first: the one on most hosts, else the first row. */
export function defaultPolicy(rows: readonly PolicyRow[]): string {
  let best: PolicyRow | undefined;
  for (const r of rows) if (!best || r.hosts > best.hosts) best = r;
  return best?.id ?? '';
}

/** lowestHosts lists the hosts' standings with the lowest scores first (then most failures, then by name), those without a score left out. */
export function lowestHosts(summaries: readonly ComplianceSummary[], n: number, policyId = ''): ComplianceSummary[] {
  return summaries
    .filter((s) => s.applicable && s.score !== null && (!policyId || s.policy_id === policyId))
    .sort(
      (a, b) =>
        (a.score ?? 0) - (b.score ?? 0) ||
        b.counts.fail - a.counts.fail ||
        (a.hostname ?? a.agent_id).localeCompare(b.hostname ?? b.agent_id) ||
        a.policy_id.localeCompare(b.policy_id),
    )
    .slice(0, n);
}

/** labelKeys lists the label keys of the agents, by name. */
export function labelKeys(agents: readonly Pick<Agent, 'labels'>[]): string[] {
  const keys = new Set<string>();
  for (const a of agents) for (const k of Object.keys(a.labels ?? {})) keys.add(k);
  return [...keys].sort();
}

/** countsBar cuts counts into the parts of a bar (passed, excepted, failed, errors), leaving out empty ones. */
export function countsBar(c: ComplianceCounts): { status: 'pass' | 'excepted' | 'fail' | 'error'; n: number; pct: number }[] {
  const parts = (['pass', 'excepted', 'fail', 'error'] as const).map((status) => ({ status, n: c[status] ?? 0 }));
  const total = parts.reduce((n, p) => n + p.n, 0);
  if (total === 0) return [];
  return parts.filter((p) => p.n > 0).map((p) => ({ ...p, pct: (p.n * 100) / total }));
}

// ---- the checks' filter ----

/** CheckFilter is what a policy's checks are filtered by, kept in the URL. */
export interface CheckFilter {
  q: string;
  severity: CheckSeverity[];
  /** Only checks failing (or in error) on some host. */
  failing: boolean;
}

/** readCheckFilter reads the filter from a page's URL. */
export function readCheckFilter(query: URLSearchParams): CheckFilter {
  const set = new Set((query.get('severity') ?? '').split(',').map((s) => s.trim().toLowerCase()));
  return { q: (query.get('q') ?? '').trim(), severity: checkSeverities.filter((s) => set.has(s)), failing: query.get('failing') === 'true' };
}

/** checkFilterParams writes a filter as query values, empty ones left out. */
export function checkFilterParams(f: CheckFilter): Record<string, string | undefined> {
  return { q: f.q.trim() || undefined, severity: f.severity.length ? f.severity.join(',') : undefined, failing: f.failing ? 'true' : undefined };
}

/** toggleCheckSeverity adds or removes a severity, keeping the order. */
export function toggleCheckSeverity(list: readonly CheckSeverity[], s: CheckSeverity): CheckSeverity[] {
  const set = new Set(list);
  if (set.has(s)) set.delete(s);
  else set.add(s);
  return checkSeverities.filter((x) => set.has(x));
}

/** matchesCheck reports whether a check passes the filter: its id or a title contains q (ignoring case), its severity is chosen, it fails somewhere. */
export function matchesCheck(
  c: { check_id: string; severity?: string; check?: { title: LocalText; severity?: string } | null; hosts: Pick<ComplianceCounts, 'fail' | 'error'> },
  f: CheckFilter,
): boolean {
  const q = f.q.toLowerCase();
  if (q && ![c.check_id, c.check?.title.en ?? '', c.check?.title.zh ?? ''].some((s) => s.toLowerCase().includes(q))) return false;
  if (f.severity.length > 0 && !(f.severity as string[]).includes(c.severity || c.check?.severity || '')) return false;
  if (f.failing && c.hosts.fail + c.hosts.error === 0) return false;
  return true;
}

// ---- policy uploads ----

/** A problem of a refused policy file: its file and line (0 when none is named), the field and the reason. */
export interface PolicyProblem {
  file: string;
  line: number;
  field: string;
  reason: string;
}

const problemForm = /^(\S+?):(\d+): (?:([A-Za-z_$][\w$.[\]-]*): )?([\s\S]*)$/;
const fileProblemForm = /^(\S+?\.ya?ml): (?:([A-Za-z_$][\w$.[\]-]*): )?([\s\S]*)$/;

/** policyProblems reads the problems of a refused upload (a 422), one a line "file:line: field: reason"; null for any other failure. */
export function policyProblems(err: unknown): PolicyProblem[] | null {
  if (!(err instanceof ApiError) || err.status !== 422) return null;
  return parsePolicyProblems(err.message);
}

/** parsePolicyProblems reads the lines of the center's message, the first one after "invalid policy: ". */
export function parsePolicyProblems(message: string): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  for (const raw of message.replace(/^invalid policy:\s*/, '').split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = problemForm.exec(line);
    if (m) {
      out.push({ file: m[1]!, line: Number(m[2]), field: m[3] ?? '', reason: m[4]! });
      continue;
    }
    const f = fileProblemForm.exec(line);
    if (f) out.push({ file: f[1]!, line: 0, field: f[2] ?? '', reason: f[3]! });
    else out.push({ file: '', line: 0, field: '', reason: line });
  }
  return out;
}

/** What a chosen policy file is: its format ('' when it is neither) and the id its policy block names. */
export interface PolicyGuess {
  format: 'vigil' | 'wazuh-sca' | '';
  id: string;
}

/** guessPolicyFile reads a Vigil policy (it starts with format: 1) or a Wazuh SCA file (a policy block without format), and its policy id. */
export function guessPolicyFile(text: string): PolicyGuess {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const vigil = lines.some((l) => /^format:\s*["']?1["']?\s*(#.*)?$/.test(l));
  let id = '';
  let inPolicy = false;
  let hasPolicy = false;
  for (const l of lines) {
    if (/^policy:\s*(#.*)?$/.test(l)) {
      inPolicy = hasPolicy = true;
      continue;
    }
    if (inPolicy && /^\S/.test(l) && !/^#/.test(l)) inPolicy = false;
    const m = inPolicy ? /^\s+id:\s*["']?([^"'\s#]+)["']?/.exec(l) : null;
    if (m) {
      id = m[1]!;
      break;
    }
  }
  return { format: vigil ? 'vigil' : hasPolicy ? 'wazuh-sca' : '', id };
}

/** The largest policy file the center takes. */
export const maxPolicyBytes = 4 << 20;

/** checkPolicyId says whether an id is one a policy may have: [a-z0-9_]+. */
export function checkPolicyId(id: string): boolean {
  return /^[a-z0-9_]{1,128}$/.test(id);
}

// ---- assignments ----

/** The bounds of an assignment's interval, in seconds (0 is the collector's default, daily). */
export const minIntervalSeconds = 600;
export const maxIntervalSeconds = 30 * 24 * 3600;

/** intervalText shows an interval as a Go duration ("24h", "1h30m", "10m"); '' for the default. */
export function intervalText(seconds: number): string {
  if (!seconds) return '';
  let s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0s';
}

/** parseInterval reads an interval (a Go duration; empty for the default, daily) as seconds, or says what is wrong. */
export function parseInterval(text: string): { seconds: number; problem: '' | 'invalid' | 'range' } {
  const v = text.trim();
  if (!v) return { seconds: 0, problem: '' };
  const ms = parseDuration(v);
  if (ms === null || ms % 1000 !== 0) return { seconds: 0, problem: 'invalid' };
  const seconds = ms / 1000;
  if (seconds < minIntervalSeconds || seconds > maxIntervalSeconds) return { seconds, problem: 'range' };
  return { seconds, problem: '' };
}

// ---- exceptions ----

/** The longest reason the center takes, in bytes. */
export const maxReasonBytes = 4096;

export type ExceptionProblem = 'noReason' | 'longReason' | 'badReason' | 'pastExpiry';

/** checkExceptionForm checks a reason and an expiry (RFC 3339 or '') as the center does. */
export function checkExceptionForm(reason: string, expiresAt: string, now: number): ExceptionProblem[] {
  const out: ExceptionProblem[] = [];
  if (!reason.trim()) out.push('noReason');
  else if (new TextEncoder().encode(reason).length > maxReasonBytes) out.push('longReason');
  // eslint-disable-next-line no-control-regex
  else if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(reason)) out.push('badReason');
  if (expiresAt) {
    const t = Date.parse(expiresAt);
    if (Number.isNaN(t) || t <= now) out.push('pastExpiry');
  }
  return out;
}

/** exceptionExpired reports whether an exception has ended at now. */
export function exceptionExpired(e: { expires_at?: string }, now: number): boolean {
  if (!e.expires_at) return false;
  const t = Date.parse(e.expires_at);
  return !Number.isNaN(t) && new Date(t).getUTCFullYear() > 1970 && t <= now;
}
