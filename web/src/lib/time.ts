// Parsing and showing times. The center sends RFC 3339 UTC; Go's zero time
// (0001-01-01T00:00:00Z) means "never" and is treated as absent.

/** parseTime returns the instant, or null when the value is absent, invalid or Go's zero time. */
export function parseTime(v: unknown): Date | null {
  if (typeof v !== 'string' || v === '') return null;
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1971) return null;
  return d;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** formatTime shows an instant in local time as YYYY-MM-DD HH:mm:ss. */
export function formatTime(v: unknown): string {
  const d = v instanceof Date ? v : parseTime(v);
  if (!d) return '';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A coarse duration: the largest unit that fits, and how many of it. */
export interface Span {
  unit: 's' | 'm' | 'h' | 'd';
  n: number;
}

/** span rounds a duration in milliseconds down to its largest unit. */
export function span(ms: number): Span {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return { unit: 's', n: s };
  const m = Math.floor(s / 60);
  if (m < 60) return { unit: 'm', n: m };
  const h = Math.floor(m / 60);
  if (h < 48) return { unit: 'h', n: h };
  return { unit: 'd', n: Math.floor(h / 24) };
}

/** toRFC3339 turns a datetime-local input value (local time) into RFC 3339 UTC; "" stays "". */
export function toRFC3339(local: string): string {
  if (!local) return '';
  const d = new Date(local);
  if (Number.isNaN(d.getTime())) return '';
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** toLocalInput turns RFC 3339 into a datetime-local input value. */
export function toLocalInput(v: string): string {
  const d = parseTime(v);
  if (!d) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
