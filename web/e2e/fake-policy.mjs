// Agent policies in the fake API: the spec checks the center makes (strict
// fields, ranges) and the effective policy of an agent.

const fields = {
  revision: 'revision',
  name: 'name',
  collectors: 'collectors',
  sensors: 'sensors',
  budget: 'budget',
  heartbeatIntervalSeconds: 'heartbeatIntervalSeconds',
  heartbeat_interval_seconds: 'heartbeatIntervalSeconds',
  spoolMaxMb: 'spoolMaxMb',
  spool_max_mb: 'spoolMaxMb',
  maxEventsPerSecond: 'maxEventsPerSecond',
  max_events_per_second: 'maxEventsPerSecond',
};
const budgetFields = { cpuPercent: 'cpuPercent', cpu_percent: 'cpuPercent', memoryMb: 'memoryMb', memory_mb: 'memoryMb' };
const pluginFields = { enabled: 'enabled', intervalSeconds: 'intervalSeconds', interval_seconds: 'intervalSeconds' };
const pluginName = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

const invalid = (msg) => `spec: invalid agent policy: ${msg}`;

function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** normalize renames fields to lowerCamelCase, or returns an error text. */
function normalize(v, names, where) {
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    if (!Object.hasOwn(names, k)) return { error: invalid(`proto: unknown field "${k}"${where ? ` in ${where}` : ''}`) };
    out[names[k]] = x;
  }
  return { value: out };
}

function range(field, v, min, max) {
  const n = Number(v ?? 0);
  if (Number.isNaN(n)) return invalid(`proto: invalid value for ${field}`);
  return n !== 0 && (n < min || n > max) ? invalid(`${field}: ${n} is out of range ${min} to ${max}`) : '';
}

/** checkSpec returns the spec in lowerCamelCase, or the error the center answers. */
export function checkSpec(spec) {
  if (!isObject(spec)) return { error: invalid('spec must be a JSON object') };
  const top = normalize(spec, fields, '');
  if (top.error) return top;
  const p = top.value;
  let err = range('heartbeatIntervalSeconds', p.heartbeatIntervalSeconds, 1, 300);
  if (!err && p.budget !== undefined) {
    if (!isObject(p.budget)) return { error: invalid('proto: budget: want an object') };
    const b = normalize(p.budget, budgetFields, 'vigil.bus.v1.Budget');
    if (b.error) return b;
    p.budget = b.value;
    err = range('budget.cpuPercent', p.budget.cpuPercent, 1, 100) || range('budget.memoryMb', p.budget.memoryMb, 32, 1 << 20);
  }
  err = err || range('spoolMaxMb', p.spoolMaxMb, 16, 1 << 20);
  for (const kind of ['collectors', 'sensors']) {
    if (err || p[kind] === undefined) continue;
    if (!isObject(p[kind])) return { error: invalid(`proto: ${kind}: want an object`) };
    for (const [name, pp] of Object.entries(p[kind])) {
      if (!pluginName.test(name)) return { error: invalid(`${kind}: "${name}" is not a plugin name`) };
      if (!isObject(pp)) return { error: invalid(`${kind}.${name}: empty entry`) };
      const n = normalize(pp, pluginFields, 'vigil.bus.v1.PluginPolicy');
      if (n.error) return n;
      p[kind][name] = n.value;
      const iv = Number(n.value.intervalSeconds ?? 0);
      if (iv !== 0 && kind === 'sensors') err = invalid(`sensors.${name}.intervalSeconds: only collectors run on an interval`);
      else err = err || range(`${kind}.${name}.intervalSeconds`, iv, 10, 30 * 24 * 3600);
    }
  }
  return err ? { error: err } : { value: p };
}

const defaults = () => ({
  revision: '0',
  name: 'default',
  collectors: {},
  sensors: {},
  budget: { cpuPercent: 10, memoryMb: '256' },
  heartbeatIntervalSeconds: '5',
  spoolMaxMb: '256',
  maxEventsPerSecond: 0,
});

function matches(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

/** effective is the policy document an agent with these labels gets (protojson: 64-bit numbers as strings). */
export function effective(policies, labels) {
  let chosen = null;
  for (const p of policies) {
    if (!matches(p.selector, labels)) continue;
    if (!chosen || p.priority > chosen.priority || (p.priority === chosen.priority && p.name < chosen.name)) chosen = p;
  }
  const out = defaults();
  if (!chosen) {
    out.revision = '2166136261';
    return out;
  }
  const spec = checkSpec(structuredClone(chosen.spec)).value ?? {};
  Object.assign(out.collectors, spec.collectors ?? {});
  Object.assign(out.sensors, spec.sensors ?? {});
  if (spec.budget?.cpuPercent) out.budget.cpuPercent = spec.budget.cpuPercent;
  if (spec.budget?.memoryMb) out.budget.memoryMb = String(spec.budget.memoryMb);
  if (spec.heartbeatIntervalSeconds) out.heartbeatIntervalSeconds = String(spec.heartbeatIntervalSeconds);
  if (spec.spoolMaxMb) out.spoolMaxMb = String(spec.spoolMaxMb);
  if (spec.maxEventsPerSecond) out.maxEventsPerSecond = spec.maxEventsPerSecond;
  out.name = chosen.name;
  out.revision = String((BigInt(chosen.revision) << 32n) | 40503n);
  return out;
}
