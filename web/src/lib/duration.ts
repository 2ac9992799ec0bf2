// Go durations ("24h", "90s", "1h30m"), as the API takes them.

const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const whole = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/** parseDuration returns a Go duration in milliseconds, or null when it is not one. "0" is 0. */
export function parseDuration(s: string): number | null {
  const v = s.trim();
  if (v === '0') return 0;
  if (!whole.test(v)) return null;
  let ms = 0;
  for (const m of v.matchAll(part)) ms += Number(m[1]) * units[m[2]!]!;
  return ms;
}

/** checkDuration says whether s is a duration within [minMs, maxMs]: "ok", "invalid" or "range". */
export function checkDuration(s: string, minMs: number, maxMs: number): 'ok' | 'invalid' | 'range' {
  const ms = parseDuration(s);
  if (ms === null) return 'invalid';
  return ms < minMs || ms > maxMs ? 'range' : 'ok';
}

export const minute = 60_000;
export const hour = 3_600_000;
