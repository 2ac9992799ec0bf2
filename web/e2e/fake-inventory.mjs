// The fake API's inventory routes: items with the inventory's search
// language (words and phrases, kind:, name: with a * prefix, version
// comparisons, port:, agent:, collector:; an unknown field is refused with
// the center's message), the history of changes with its filters, and the
// summary per kind with an agent's collector sets. Listings page with an
// offset cursor.
import { fail, page, send } from './fake-http.mjs';
import { makeInventory } from './fixtures-inventory.mjs';

const kinds = ['host', 'disk', 'mount', 'interface', 'user', 'group', 'process', 'port', 'package', 'library', 'middleware', 'website', 'service', 'task', 'module', 'sysctl', 'container', 'image', 'pod'];

const queryError = (msg) => Object.assign(new Error(`invalid inventory query: ${msg}`), { status: 400 });

/** split cuts a search into terms at spaces, keeping quoted phrases whole. */
function split(q) {
  const out = [];
  let cur = '';
  let inQuote = false;
  const flush = (quoted) => {
    if (cur) out.push({ text: cur, quoted });
    cur = '';
  };
  for (const ch of q) {
    if (ch === '"') {
      flush(inQuote);
      inQuote = !inQuote;
    } else if (/\s/.test(ch) && !inQuote) flush(false);
    else cur += ch;
  }
  if (inQuote) throw queryError('unterminated quote');
  flush(false);
  return out;
}

/** upstream drops an epoch and a package revision unless the wanted version has them. */
function upstream(v, want) {
  let s = v;
  if (!want.includes(':')) s = s.replace(/^\d+:/, '');
  if (!want.includes('-')) s = s.replace(/-[^-]*$/, '');
  return s;
}

/** compareVersions compares part by part, numbers as numbers, ~ before anything. */
export function compareVersions(a, b) {
  const parts = (s) => s.match(/\d+|[A-Za-z]+|~|[^\dA-Za-z~]+/g) ?? [];
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === q) continue;
    if (p === undefined) return q === '~' ? 1 : -1;
    if (q === undefined) return p === '~' ? -1 : 1;
    if (p === '~') return -1;
    if (q === '~') return 1;
    const np = /^\d+$/.test(p);
    const nq = /^\d+$/.test(q);
    if (np && nq) return Number(p) - Number(q) < 0 ? -1 : 1;
    if (np !== nq) return np ? 1 : -1;
    return p < q ? -1 : 1;
  }
  return 0;
}

const ops = { '<': (c) => c < 0, '<=': (c) => c <= 0, '>': (c) => c > 0, '>=': (c) => c >= 0, '=': (c) => c === 0, ':': (c) => c === 0, '!=': (c) => c !== 0 };

/**
 * parseSearch turns a search into a filter (kind, name, agent, collector)
 * and a predicate for the rest; it throws a 400 for what the center refuses.
 */
export function parseSearch(q) {
  const filter = {};
  const preds = [];
  const once = (k, v) => {
    if (filter[k] && filter[k].toLowerCase() !== v.toLowerCase()) throw queryError(`${k} given twice ("${filter[k]}" and "${v}")`);
    filter[k] = v;
  };
  for (const t of split(q)) {
    const m = t.quoted ? null : /^([A-Za-z_]+)(<=|>=|!=|<|>|=|:)(.*)$/.exec(t.text);
    if (!m) {
      const w = t.text.toLowerCase();
      preds.push((a) => `${a.key} ${a.name} ${a.version ?? ''} ${JSON.stringify(a.fields ?? {})}`.toLowerCase().includes(w));
      continue;
    }
    const [, field, op, value] = m;
    if (!value) throw queryError(`"${t.text}" has no value`);
    switch (field.toLowerCase()) {
      case 'kind':
        if (!kinds.includes(value)) throw queryError(`kind "${value}": want one of ${kinds.join(', ')}`);
        once('kind', value);
        break;
      case 'name':
        if (value.endsWith('*')) {
          const p = value.slice(0, -1).toLowerCase();
          preds.push((a) => a.name.toLowerCase().startsWith(p));
        } else once('name', value);
        break;
      case 'port':
        if (!/^\d{1,5}$/.test(value)) throw queryError(`port "${value}": want a number`);
        once('kind', 'port');
        once('name', value);
        break;
      case 'agent':
      case 'agent_id':
        once('agent', value);
        break;
      case 'collector':
        once('collector', value);
        break;
      case 'version':
        preds.push((a) => Boolean(a.version) && ops[op](compareVersions(upstream(a.version, value), value)));
        break;
      default:
        throw queryError(`unknown field "${field}"`);
    }
  }
  return { filter, match: (a) => preds.every((p) => p(a)) };
}

/**
 * createInventory keeps the inventory of one fake center.
 * @param {{ now: number, agents: any[] }} opts
 */
export function createInventory({ now, agents }) {
  const { items, changes, sets } = makeInventory(now);

  /** handle answers the inventory routes; false when the route is another's. */
  const handle = (req, res, { path, query }) => {
    if (req.method !== 'GET' || !path.startsWith('/assets')) return false;
    if (path === '/assets') {
      let parsed;
      try {
        parsed = parseSearch(query.get('q') ?? '');
      } catch (err) {
        return fail(res, 400, 'bad_request', err.message), true;
      }
      const f = parsed.filter;
      for (const [param, key] of [['kind', 'kind'], ['agent_id', 'agent'], ['collector', 'collector'], ['name', 'name']]) {
        const v = query.get(param);
        if (!v) continue;
        if (f[key] && f[key] !== v) return fail(res, 400, 'bad_request', `${param} is "${v}" and q says "${f[key]}"`), true;
        f[key] = v;
      }
      if (f.kind && !kinds.includes(f.kind)) return fail(res, 400, 'bad_request', `kind "${f.kind}": want one of ${kinds.join(' ')}`), true;
      const list = items.filter(
        (a) =>
          (!f.kind || a.kind === f.kind) &&
          (!f.agent || a.agent_id === f.agent) &&
          (!f.collector || a.collector === f.collector) &&
          (!f.name || a.name.toLowerCase() === f.name.toLowerCase()) &&
          parsed.match(a),
      );
      return send(res, 200, page(list, query)), true;
    }
    if (path === '/assets/changes') {
      const action = query.get('action') ?? '';
      if (action && !['added', 'changed', 'removed'].includes(action)) return fail(res, 400, 'bad_request', `action "${action}": want added, changed or removed`), true;
      const since = query.get('since') ? Date.parse(query.get('since')) : -Infinity;
      const until = query.get('until') ? Date.parse(query.get('until')) : Infinity;
      if (Number.isNaN(since) || Number.isNaN(until)) return fail(res, 400, 'bad_request', 'since and until must be RFC 3339'), true;
      const text = (query.get('q') ?? '').toLowerCase();
      const list = changes.filter((c) => {
        const at = Date.parse(c.at);
        return (
          (!query.get('agent_id') || c.agent_id === query.get('agent_id')) &&
          (!query.get('kind') || c.kind === query.get('kind')) &&
          (!action || c.action === action) &&
          at >= since &&
          at < until &&
          (!text || c.key.toLowerCase().includes(text) || c.name.toLowerCase().includes(text))
        );
      });
      return send(res, 200, page(list, query)), true;
    }
    if (path === '/assets/summary') {
      const agentId = query.get('agent_id') ?? '';
      if (agentId && !agents.some((a) => a.id === agentId)) return fail(res, 404, 'not_found', `agent ${agentId} not found`), true;
      const counts = new Map();
      for (const a of items) {
        if (agentId && a.agent_id !== agentId) continue;
        const k = counts.get(a.kind) ?? { kind: a.kind, items: 0, hosts: new Set() };
        k.items++;
        k.hosts.add(a.agent_id);
        counts.set(a.kind, k);
      }
      const out = {
        kinds: kinds.filter((k) => counts.has(k)).map((k) => ({ kind: k, items: counts.get(k).items, agents: counts.get(k).hosts.size })),
      };
      if (agentId) out.sets = sets.filter((s) => s.agent_id === agentId);
      return send(res, 200, out), true;
    }
    return false;
  };

  /** forget drops an agent's inventory and history, as deleting an agent does. */
  const forget = (agentId) => {
    for (const list of [items, changes, sets]) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i].agent_id === agentId) list.splice(i, 1);
    }
  };

  return { handle, forget, state: { items, changes, sets } };
}
