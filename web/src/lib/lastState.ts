// The agent's last reported state (plugins and stats) arrives as a JSON
// object, as JSON text, or as base64 of JSON text, with protobuf JSON names
// in snake_case or lowerCamelCase and 64-bit numbers possibly as strings.
// normalizeLastState turns all of these into one shape.

export interface PluginState {
  name: string;
  kind: string;
  state: string;
  reason: string;
  lastRun: Date | null;
  lastError: string;
  runs: number;
  failures: number;
  events: number;
  dropped: number;
  /** Events dropped on purpose by the policy's filters. */
  filtered: number;
  mechanism: string;
  /** What the sensor observes when it is one of several mechanisms. */
  provides: string;
  /** The plugin's own counters (malformed_lines, lost_records ...), zero ones absent. */
  counters: Record<string, number>;
}

export interface LastState {
  plugins: PluginState[];
  /** Agent stats, keys in snake_case. */
  stats: Record<string, number | boolean | string>;
  /** Other top-level scalar fields (policy revision, reported time ...). */
  other: Record<string, string | number | boolean>;
}

function snake(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function snakeKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[snake(k)] = v;
  return out;
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return 0;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function decodeBase64(s: string): string | null {
  if (!/^[A-Za-z0-9+/=\s_-]+$/.test(s)) return null;
  try {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/').replace(/\s/g, ''));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** parseStateDocument turns any accepted encoding into a plain object, or null. */
export function parseStateDocument(raw: unknown): Record<string, unknown> | null {
  if (isObject(raw)) return raw;
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  const candidates = [raw, decodeBase64(raw)];
  for (const c of candidates) {
    if (c === null) continue;
    try {
      const v: unknown = JSON.parse(c);
      if (isObject(v)) return v;
    } catch {
      // try the next encoding
    }
  }
  return null;
}

function counters(raw: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isObject(raw)) return out;
  for (const [k, v] of Object.entries(raw)) {
    const n = num(v);
    if (n !== 0) out[k] = n;
  }
  return out;
}

function plugin(raw: unknown): PluginState | null {
  if (!isObject(raw)) return null;
  const p = snakeKeys(raw);
  const lastRun = num(p.last_run_unix);
  return {
    name: str(p.name),
    kind: str(p.kind),
    state: str(p.state),
    reason: str(p.reason),
    lastRun: lastRun > 0 ? new Date(lastRun * 1000) : null,
    lastError: str(p.last_error),
    runs: num(p.runs),
    failures: num(p.failures),
    events: num(p.events),
    dropped: num(p.dropped),
    filtered: num(p.filtered),
    mechanism: str(p.mechanism),
    provides: str(p.provides),
    counters: counters(p.counters),
  };
}

/** normalizeLastState returns the state in one shape, or null when there is none. */
export function normalizeLastState(raw: unknown): LastState | null {
  const doc = parseStateDocument(raw);
  if (!doc) return null;
  const top = snakeKeys(doc);
  const plugins = (Array.isArray(top.plugins) ? top.plugins : [])
    .map(plugin)
    .filter((p): p is PluginState => p !== null)
    .sort((a, b) => a.name.localeCompare(b.name));
  const stats: LastState['stats'] = {};
  if (isObject(top.stats)) {
    for (const [k, v] of Object.entries(snakeKeys(top.stats))) {
      if (typeof v === 'boolean') stats[k] = v;
      else if (typeof v === 'number' || (typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)))) stats[k] = num(v);
      else if (typeof v === 'string') stats[k] = v;
    }
  }
  const other: LastState['other'] = {};
  for (const [k, v] of Object.entries(top)) {
    if (k === 'plugins' || k === 'stats' || k === 'facts') continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') other[k] = v;
  }
  return { plugins, stats, other };
}
