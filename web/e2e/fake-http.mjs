// JSON answers of the fake API, in the center's shapes.

/** send writes a JSON answer (no body for undefined). */
export function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

/** fail writes the error envelope. */
export function fail(res, status, code, message) {
  send(res, status, { error: { code, message } });
}

/** noContent answers 204. */
export function noContent(res) {
  res.writeHead(204).end();
}

/** page cuts a listing by limit and an offset cursor. */
export function page(items, query) {
  const limit = Math.min(Number(query.get('limit') || 100), 1000);
  const offset = Number(query.get('cursor') || 0);
  const slice = items.slice(offset, offset + limit);
  return { items: slice, next_cursor: offset + limit < items.length ? String(offset + limit) : '' };
}

const rank = { viewer: 0, analyst: 1, responder: 2, admin: 3 };

/** allowed reports whether role includes need. */
export function allowed(role, need) {
  return (rank[role] ?? -1) >= rank[need];
}

export const roles = Object.keys(rank);

/** actorOf names a caller as the audit log does: a user's name, or token:<name>. */
export function actorOf(who) {
  if (who.kind !== 'api') return who.name;
  return who.name.startsWith('token:') ? who.name : `token:${who.name}`;
}

const keyPattern = /^[A-Za-z0-9._/-]{1,63}$/;

/** labelsProblem checks labels or a selector as the center does; '' when fine. */
export function labelsProblem(what, labels) {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) return `${what}: want an object`;
  const entries = Object.entries(labels);
  if (entries.length > 64) return `${what}: at most 64 labels`;
  for (const [k, v] of entries) {
    if (!keyPattern.test(k)) return `${what}: key "${k}": want 1 to 63 letters, digits, '.', '_', '/' or '-'`;
    // eslint-disable-next-line no-control-regex
    if (typeof v !== 'string' || Buffer.byteLength(v) > 255 || /[\u0000-\u001f\u007f]/.test(v)) return `${what}: value of "${k}": want at most 255 printable bytes`;
  }
  return '';
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** nameProblem checks a user, token or policy name; '' when fine. */
export function nameProblem(what, name) {
  return typeof name === 'string' && namePattern.test(name) ? '' : `${what} "${name ?? ''}": want 1 to 64 letters, digits, '.', '_', '@' or '-'`;
}

/** durationMs reads a Go duration such as 24h or 1h30m; null when it is not one. */
export function durationMs(s) {
  if (typeof s !== 'string' || !/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s)) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * unit[m[2]];
  return ms;
}
