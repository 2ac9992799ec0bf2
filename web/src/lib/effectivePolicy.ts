// Reading the effective agent policy document (protojson of
// vigil.bus.v1.AgentPolicy, 64-bit numbers as strings).

export interface PluginSetting {
  name: string;
  kind: 'collector' | 'sensor';
  enabled: boolean;
  intervalSeconds: number;
}

export interface PolicySummary {
  name: string;
  /** The stored policy's revision (upper 32 bits of revision); 0 for the built-in default. */
  storedRevision: number;
  heartbeatSeconds: number;
  cpuPercent: number;
  memoryMb: number;
  spoolMaxMb: number;
  maxEventsPerSecond: number;
  plugins: PluginSetting[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pick(o: Record<string, unknown>, camel: string, snake: string): unknown {
  return camel in o ? o[camel] : o[snake];
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return 0;
}

/** storedRevision takes the upper 32 bits of a stamped revision (a number or a decimal string). */
export function storedRevision(rev: unknown): number {
  try {
    const r = typeof rev === 'string' && /^\d+$/.test(rev) ? BigInt(rev) : typeof rev === 'number' && Number.isInteger(rev) && rev >= 0 ? BigInt(rev) : 0n;
    return Number(r >> 32n);
  } catch {
    return 0;
  }
}

function plugins(v: unknown, kind: PluginSetting['kind']): PluginSetting[] {
  if (!isObject(v)) return [];
  return Object.entries(v).map(([name, p]) => {
    const o = isObject(p) ? p : {};
    return { name, kind, enabled: o.enabled === true, intervalSeconds: num(pick(o, 'intervalSeconds', 'interval_seconds')) };
  });
}

/** summarizePolicy reads the fields the console shows; null when doc is not an object. */
export function summarizePolicy(doc: unknown): PolicySummary | null {
  if (!isObject(doc)) return null;
  const budget = isObject(doc.budget) ? doc.budget : {};
  return {
    name: typeof doc.name === 'string' ? doc.name : '',
    storedRevision: storedRevision(doc.revision),
    heartbeatSeconds: num(pick(doc, 'heartbeatIntervalSeconds', 'heartbeat_interval_seconds')),
    cpuPercent: num(pick(budget, 'cpuPercent', 'cpu_percent')),
    memoryMb: num(pick(budget, 'memoryMb', 'memory_mb')),
    spoolMaxMb: num(pick(doc, 'spoolMaxMb', 'spool_max_mb')),
    maxEventsPerSecond: num(pick(doc, 'maxEventsPerSecond', 'max_events_per_second')),
    plugins: [...plugins(doc.collectors, 'collector'), ...plugins(doc.sensors, 'sensor')].sort((a, b) => a.name.localeCompare(b.name)),
  };
}
