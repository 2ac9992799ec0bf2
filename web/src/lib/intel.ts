// Threat intelligence and login baselines without React: the indicators'
// filter between the URL and the API's query, the forms of an addition
// and of a feed import turned into what the center takes, the
// intelligence matches and the login baseline's verdict read from an
// event, and a profile's logins per hour.
import type { Query } from '../api/client';
import { indicatorTypes, type AddIndicatorsRequest, type EcsEvent, type Indicator, type IndicatorType, type NewIndicator, type Severity } from '../api/types';
import { parseDuration } from './duration';
import { field } from './ecs';
import { parseTime, toRFC3339 } from './time';

/** Indicators per page of the listing. */
export const intelPageSize = 100;

/** Severities of indicators, least first as a form offers them. */
export const intelSeverities: Severity[] = ['low', 'medium', 'high', 'critical'];

/** The feed formats an import may name; left out, the center detects it. */
export const importFormats = ['text', 'csv', 'stix', 'misp'] as const;
export type ImportFormat = (typeof importFormats)[number];

/** The largest feed the center takes. */
export const maxImportBytes = 64 << 20;

/** The source of indicators added one by one when none is given. */
export const manualSource = 'manual';

export function isIndicatorType(v: string): v is IndicatorType {
  return (indicatorTypes as string[]).includes(v);
}

// ---- the listing's filter ----

/** IndicatorFilter is the indicators' filter as the URL keeps it. */
export interface IndicatorFilter {
  type: string;
  source: string;
  q: string;
  /** Include the indicators that expired. */
  expired: boolean;
}

/** readIndicatorFilter reads the filter from the page's query. */
export function readIndicatorFilter(query: URLSearchParams): IndicatorFilter {
  return { type: query.get('type') ?? '', source: query.get('source') ?? '', q: query.get('q') ?? '', expired: query.get('expired') === 'true' };
}

/** filterValues is the filter as query values of the page's URL ("" left out). */
export function filterValues(f: IndicatorFilter): Record<string, string> {
  return { type: f.type, source: f.source, q: f.q.trim(), expired: f.expired ? 'true' : '' };
}

/** indicatorQuery is the query of GET /intel for a filter and a page. */
export function indicatorQuery(f: IndicatorFilter, cursor = '', limit = intelPageSize): Query {
  return { type: f.type || undefined, source: f.source || undefined, q: f.q.trim() || undefined, expired: f.expired ? 'true' : undefined, limit, cursor: cursor || undefined };
}

/** isExpired reports whether an indicator stopped matching at now. */
export function isExpired(i: Pick<Indicator, 'expires_at'>, now: number): boolean {
  const d = parseTime(i.expires_at);
  return !!d && d.getTime() <= now;
}

// ---- adding indicators ----

/** splitValues reads pasted values: one a line, trimmed, blank lines and # comments skipped, each once. */
export function splitValues(text: string): string[] {
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const v = line.trim();
    if (v && !v.startsWith('#')) seen.add(v);
  }
  return [...seen];
}

/** splitTags reads tags separated by commas or spaces, each once. */
export function splitTags(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** confidenceOK accepts "" (the center's default) or a whole number from 0 to 100. */
export function confidenceOK(s: string): boolean {
  const v = s.trim();
  return v === '' || (/^\d{1,3}$/.test(v) && Number(v) <= 100);
}

/** AddForm is the "add indicators" dialog's fields. */
export interface AddForm {
  /** One value a line. */
  values: string;
  /** '' lets the center detect each value's type. */
  type: IndicatorType | '';
  source: string;
  severity: Severity | '';
  confidence: string;
  tags: string;
  description: string;
  /** A datetime-local value; '' for never. */
  expiresAt: string;
}

export function newAddForm(): AddForm {
  return { values: '', type: '', source: manualSource, severity: '', confidence: '', tags: '', description: '', expiresAt: '' };
}

export type AddProblem = 'values' | 'source' | 'confidence' | 'expiresAt';

/** addProblems lists the fields that keep the form from being sent. */
export function addProblems(f: AddForm, now: number): AddProblem[] {
  const out: AddProblem[] = [];
  if (splitValues(f.values).length === 0) out.push('values');
  if (f.source.trim() && !sourceOK(f.source)) out.push('source');
  if (!confidenceOK(f.confidence)) out.push('confidence');
  if (f.expiresAt) {
    const at = Date.parse(toRFC3339(f.expiresAt));
    if (Number.isNaN(at) || at <= now) out.push('expiresAt');
  }
  return out;
}

/** buildAddRequest is the body of POST /intel: the same settings for every value, what is empty left out. */
export function buildAddRequest(f: AddForm): AddIndicatorsRequest {
  const common: Omit<NewIndicator, 'value'> = {};
  if (f.type) common.type = f.type;
  if (f.description.trim()) common.description = f.description.trim();
  if (f.severity) common.severity = f.severity;
  if (f.confidence.trim()) common.confidence = Number(f.confidence.trim());
  const tags = splitTags(f.tags);
  if (tags.length) common.tags = tags;
  const expires = toRFC3339(f.expiresAt);
  if (expires) common.expires_at = expires;
  return { source: f.source.trim() || manualSource, indicators: splitValues(f.values).map((value) => ({ ...common, value })) };
}

// ---- importing a feed ----

/** ImportForm is the import dialog's fields besides the file. */
export interface ImportForm {
  source: string;
  /** '' lets the center detect the format. */
  format: ImportFormat | '';
  /** Remove the source's indicators that the file no longer lists. */
  replace: boolean;
  severity: Severity | '';
  confidence: string;
  tags: string;
  /** A Go duration such as 720h; '' for never. */
  expiresIn: string;
}

export function newImportForm(): ImportForm {
  return { source: '', format: '', replace: false, severity: '', confidence: '', tags: '', expiresIn: '' };
}

export type ImportProblemKey = 'file' | 'tooBig' | 'source' | 'confidence' | 'expiresIn';

/** sourceOK accepts a source name: not empty, at most 64 characters (the center's bound), no control characters. */
export function sourceOK(s: string): boolean {
  const v = s.trim();
  // eslint-disable-next-line no-control-regex
  return v.length > 0 && v.length <= 64 && !/[\u0000-\u001f\u007f]/.test(v);
}

/** expiresInOK accepts "" (never) or a positive Go duration (720h, 90m). */
export function expiresInOK(s: string): boolean {
  const v = s.trim();
  if (v === '') return true;
  const ms = parseDuration(v);
  return ms !== null && ms > 0;
}

/** importProblems lists what keeps an import from being sent. */
export function importProblems(f: ImportForm, file: { size: number } | null): ImportProblemKey[] {
  const out: ImportProblemKey[] = [];
  if (!file) out.push('file');
  else if (file.size > maxImportBytes) out.push('tooBig');
  if (!sourceOK(f.source)) out.push('source');
  if (!confidenceOK(f.confidence)) out.push('confidence');
  if (!expiresInOK(f.expiresIn)) out.push('expiresIn');
  return out;
}

/** importQuery is the query of POST /intel/import: what is empty left out, tags joined by commas. */
export function importQuery(f: ImportForm): Query {
  const tags = splitTags(f.tags);
  return {
    source: f.source.trim(),
    format: f.format || undefined,
    severity: f.severity || undefined,
    confidence: f.confidence.trim() || undefined,
    tags: tags.length ? tags.join(',') : undefined,
    expires_in: f.expiresIn.trim() || undefined,
    replace: f.replace ? 'true' : undefined,
  };
}

/** suggestSource names a source after a feed's file: its name without the extension, in lower case. */
export function suggestSource(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  return base
    .replace(/\.[A-Za-z0-9]{1,5}$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

// ---- what an event carries ----

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function strings(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(str).filter(Boolean);
  const s = str(v);
  return s ? [s] : [];
}

/** IntelMatch is one indicator an event's field matched. */
export interface IntelMatch {
  /** The event's field, e.g. source.ip. */
  field: string;
  /** The value that matched. */
  value: string;
  /** The indicator's ECS type (ipv4-addr, domain-name, url, file). */
  type: string;
  /** The indicator's source. */
  source: string;
  description: string;
  /** Low, Medium or High. */
  confidence: string;
  reference: string;
  /** The indicator's id. */
  id: string;
}

/** IntelEvidence is what the center's intelligence matching added to an event. */
export interface IntelEvidence {
  matches: IntelMatch[];
  fields: string[];
  sources: string[];
  severity: string;
  ids: string[];
}

/** indicatorValue reads the value an ECS threat.indicator holds. */
function indicatorValue(ind: Record<string, unknown>): string {
  const direct = str(ind.ip) || str(ind.domain);
  if (direct) return direct;
  if (isObject(ind.url)) return str(ind.url.full) || str(ind.url.original);
  if (isObject(ind.file) && isObject(ind.file.hash)) {
    const h = ind.file.hash;
    return str(h.sha256) || str(h.sha1) || str(h.md5);
  }
  return '';
}

/** readIntelEvidence reads threat.enrichments and vigil.intel.* of an event; null when it has neither. */
export function readIntelEvidence(e: EcsEvent | null | undefined): IntelEvidence | null {
  if (!e) return null;
  const raw = field(e, 'threat.enrichments');
  const list = Array.isArray(raw) ? raw : isObject(raw) ? [raw] : [];
  const matches: IntelMatch[] = [];
  for (const item of list) {
    if (!isObject(item)) continue;
    const ind = isObject(item.indicator) ? item.indicator : {};
    const m = isObject(item.matched) ? item.matched : {};
    matches.push({
      field: str(m.field),
      value: str(m.atomic) || indicatorValue(ind),
      type: str(ind.type),
      source: str(ind.provider),
      description: str(ind.description),
      confidence: str(ind.confidence),
      reference: str(ind.reference),
      id: str(m.id),
    });
  }
  const fields = strings(field(e, 'vigil.intel.fields'));
  const sources = strings(field(e, 'vigil.intel.sources'));
  const severity = str(field(e, 'vigil.intel.severity'));
  const ids = strings(field(e, 'vigil.intel.ids'));
  if (matches.length === 0 && fields.length === 0 && sources.length === 0 && !severity && ids.length === 0) return null;
  return { matches, fields, sources, severity, ids };
}

/** LoginVerdict is what the login baseline said of a successful login. */
export interface LoginVerdict {
  status: string;
  /** The hour of the day in the baseline's time zone. */
  hour: number | null;
  /** Logins learned before this one. */
  logins: number | null;
  /** Addresses learned before this one. */
  knownSources: number | null;
  /** Only once learned: undefined while learning. */
  newSource?: boolean;
  newNetwork?: boolean;
  unusualHour?: boolean;
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}

function flag(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

/** readLoginVerdict reads vigil.baseline.login.* of an event; null when it has no status. */
export function readLoginVerdict(e: EcsEvent | null | undefined): LoginVerdict | null {
  if (!e) return null;
  const get = (k: string) => field(e, `vigil.baseline.login.${k}`);
  const status = str(get('status'));
  if (!status) return null;
  const out: LoginVerdict = { status, hour: num(get('hour')), logins: num(get('logins')), knownSources: num(get('known_sources')) };
  const newSource = flag(get('new_source'));
  const newNetwork = flag(get('new_network'));
  const unusualHour = flag(get('unusual_hour'));
  if (newSource !== undefined) out.newSource = newSource;
  if (newNetwork !== undefined) out.newNetwork = newNetwork;
  if (unusualHour !== undefined) out.unusualHour = unusualHour;
  return out;
}

/** anomalies lists the signs a learned baseline found in a login, in a fixed order. */
export function anomalies(v: LoginVerdict): ('newSource' | 'newNetwork' | 'unusualHour')[] {
  return (['newSource', 'newNetwork', 'unusualHour'] as const).filter((k) => v[k] === true);
}

// ---- login profiles ----

/** HourBar is one hour of a profile's histogram. */
export interface HourBar {
  hour: number;
  count: number;
  /** Its height against the busiest hour, 0 to 100. */
  pct: number;
}

/** hourBars turns a profile's 24 counts into bars; missing or bad counts are 0. */
export function hourBars(hours: readonly unknown[] | null | undefined): HourBar[] {
  const counts = Array.from({ length: 24 }, (_, h) => {
    const v = hours?.[h];
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
  });
  const max = Math.max(...counts);
  return counts.map((count, hour) => ({ hour, count, pct: max > 0 ? Math.round((count / max) * 100) : 0 }));
}

/** hourLabel writes an hour of the day as 09:00. */
export function hourLabel(h: number): string {
  return `${String(h).padStart(2, '0')}:00`;
}

/** busiestHours lists the hours holding the most logins, busiest first (at most n, none without logins). */
export function busiestHours(bars: HourBar[], n = 3): number[] {
  return [...bars]
    .filter((b) => b.count > 0)
    .sort((a, b) => b.count - a.count || a.hour - b.hour)
    .slice(0, n)
    .map((b) => b.hour);
}

/** profileKey names a profile among others: its agent and user. */
export function profileKey(p: { agent_id: string; user: string }): string {
  return `${p.agent_id}\u0000${p.user}`;
}
