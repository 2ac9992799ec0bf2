// The fake API's threat intelligence and login baseline routes: indicators
// listed by type, value and source with filters and a cursor, read,
// checked (a domain matching its subdomains, an address the networks
// holding it), added one by one and imported from feeds (plain text, CSV,
// JSON, STIX 2 bundles and MISP events, detected when not named; replace
// removing what the file no longer lists), deleted one by one or by
// source; and the login profiles, listed and reset. Values are read and
// normalized as the center reads them; roles are enforced and changes
// audited as the center does.
import { isIP } from 'node:net';
import { actorOf, allowed, durationMs, fail, noContent, page, send } from './fake-http.mjs';
import { indicatorId, makeIndicators, makeLoginProfiles } from './fixtures-intel.mjs';

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const types = ['ip', 'domain', 'url', 'md5', 'sha1', 'sha256'];
const severities = ['low', 'medium', 'high', 'critical'];
const formats = ['text', 'csv', 'stix', 'misp', 'json'];
const hashTypes = { 32: 'md5', 40: 'sha1', 64: 'sha256' };
const maxImport = 64 << 20;
const domainPattern = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const isObject = (v) => !!v && typeof v === 'object' && !Array.isArray(v);

/** ipv4 reads a dotted IPv4 address into its number; null when it is not one. */
function ipv4(s) {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

const dotted = (n) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** normalizeIP reads an address or a network (CIDR); a network is kept as its first address, /32 as the address. */
function normalizeIP(v) {
  const [addr, bits, ...rest] = v.split('/');
  if (rest.length) return null;
  if (isIP(addr) === 6) {
    if (bits === undefined) return addr.toLowerCase();
    return /^\d{1,3}$/.test(bits) && Number(bits) <= 128 ? `${addr.toLowerCase()}/${Number(bits)}` : null;
  }
  const n = ipv4(addr);
  if (n === null) return null;
  if (bits === undefined) return dotted(n);
  if (!/^\d{1,2}$/.test(bits) || Number(bits) > 32) return null;
  const b = Number(bits);
  if (b === 32) return dotted(n);
  const size = 2 ** (32 - b);
  return `${dotted(Math.floor(n / size) * size)}/${b}`;
}

/** normalizeAs reads a value as the given type: its normalized form, or null when it is not one. */
function normalizeAs(type, raw) {
  const v = raw.trim();
  switch (type) {
    case 'ip':
      return normalizeIP(v);
    case 'domain': {
      const d = v.toLowerCase().replace(/\.$/, '').replace(/^\*\./, '');
      return domainPattern.test(d) ? d : null;
    }
    case 'url': {
      if (!/^[a-z][a-z0-9+.-]*:\/\/[^/\s]/i.test(v)) return null;
      try {
        const u = new URL(v);
        u.hash = '';
        return u.href;
      } catch {
        return null;
      }
    }
    default: {
      const h = v.toLowerCase();
      return /^[0-9a-f]+$/.test(h) && hashTypes[h.length] === type ? h : null;
    }
  }
}

/** detect finds a value's type and normalized form, or the reason it is no indicator value. */
export function readValue(raw, type) {
  const v = typeof raw === 'string' ? raw.trim() : '';
  if (!v) return { reason: 'empty value' };
  if (type) {
    if (!types.includes(type)) return { reason: `unknown type "${type}": want ${types.join(', ')}` };
    const value = normalizeAs(type, v);
    return value === null ? { reason: `"${v}" is not a valid ${type}` } : { type, value };
  }
  const order = /^[0-9a-f]+$/i.test(v) && hashTypes[v.length] ? [hashTypes[v.length]] : ['ip', 'url', 'domain'];
  for (const t of order) {
    const value = normalizeAs(t, v);
    if (value !== null) return { type: t, value };
  }
  return { reason: `"${v}" is not an IP address, domain, URL or file hash` };
}

/** ipMatches reports whether an address lies in an indicator's address or network (IPv4 networks). */
function ipMatches(indicator, value) {
  if (indicator === value) return true;
  const [net, bits] = indicator.split('/');
  if (bits === undefined || value.includes('/')) return false;
  const n = ipv4(net);
  const a = ipv4(value);
  if (n === null || a === null) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(a / size) === Math.floor(n / size);
}

/** matches reports whether an indicator matches a normalized value of a type. */
function matches(ind, type, value) {
  if (ind.type !== type) return false;
  if (type === 'ip') return ipMatches(ind.value, value);
  if (type === 'domain') return value === ind.value || value.endsWith(`.${ind.value}`);
  return ind.value === value;
}

// ---- feeds ----

/** csvRows splits CSV text into rows of fields (quotes with doubled quotes inside). */
function csvRows(text) {
  const rows = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const fields = [];
    let cur = '';
    let quoted = false;
    for (let j = 0; j < line.length; j++) {
      const c = line[j];
      if (quoted) {
        if (c === '"' && line[j + 1] === '"') {
          cur += '"';
          j++;
        } else if (c === '"') quoted = false;
        else cur += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        fields.push(cur);
        cur = '';
      } else cur += c;
    }
    fields.push(cur);
    rows.push({ line: i + 1, fields: fields.map((f) => f.trim()) });
  }
  return rows;
}

const stixTypes = { 'ipv4-addr': 'ip', 'ipv6-addr': 'ip', 'domain-name': 'domain', url: 'url' };
const stixHashes = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', SHA1: 'sha1', SHA256: 'sha256' };
const mispTypes = { 'ip-src': 'ip', 'ip-dst': 'ip', domain: 'domain', hostname: 'domain', url: 'url', md5: 'md5', sha1: 'sha1', sha256: 'sha256' };

/** detectFormat names a feed's format from its content. */
function detectFormat(text) {
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      const doc = JSON.parse(t);
      if (isObject(doc) && doc.type === 'bundle') return 'stix';
      if (isObject(doc) && (isObject(doc.Event) || Array.isArray(doc.response))) return 'misp';
      return 'json';
    } catch {
      return 'text';
    }
  }
  const first = t.split(/\r?\n/).find((l) => l.trim() && !l.trimStart().startsWith('#')) ?? '';
  return first.includes(',') ? 'csv' : 'text';
}

/**
 * entriesOf reads a feed into entries {line?, entry, type?, value, ...}
 * (an entry it cannot take has a reason instead), and the problems of a
 * document it cannot read at all.
 */
function entriesOf(format, text) {
  const entries = [];
  const problems = [];
  if (format === 'text') {
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      entries.push({ line: i + 1, entry: line, value: line });
    }
    return { entries, problems };
  }
  if (format === 'csv') {
    const rows = csvRows(text);
    let columns = ['value', 'type', 'description'];
    if (rows.length && rows[0].fields.some((f) => /^(value|indicator)$/i.test(f))) {
      columns = rows.shift().fields.map((f) => (/^indicator$/i.test(f) ? 'value' : f.toLowerCase()));
    }
    for (const r of rows) {
      const e = { line: r.line, entry: r.fields.join(',') };
      columns.forEach((c, i) => {
        if (r.fields[i] !== undefined && r.fields[i] !== '') e[c] = r.fields[i];
      });
      if (typeof e.tags === 'string') e.tags = e.tags.split(/[;|]/).map((s) => s.trim()).filter(Boolean);
      if (e.confidence !== undefined) e.confidence = Number(e.confidence);
      entries.push(e);
    }
    return { entries, problems };
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    problems.push({ reason: `not JSON: ${err.message}` });
    return { entries, problems };
  }
  if (format === 'json') {
    const list = Array.isArray(doc) ? doc : isObject(doc) && Array.isArray(doc.indicators) ? doc.indicators : null;
    if (!list) problems.push({ reason: 'want an array of indicators or {"indicators": [...]}' });
    for (const [i, item] of (list ?? []).entries()) {
      if (!isObject(item)) entries.push({ entry: `#${i + 1}`, reason: 'want an object' });
      else entries.push({ ...item, entry: String(item.value ?? `#${i + 1}`) });
    }
    return { entries, problems };
  }
  if (format === 'stix') {
    for (const o of isObject(doc) && Array.isArray(doc.objects) ? doc.objects : []) {
      if (!isObject(o) || o.type !== 'indicator') continue;
      const m = /^\[\s*([a-z0-9-]+):(value|hashes\.'?([A-Za-z0-9-]+)'?)\s*=\s*'([^']*)'\s*\]$/.exec(String(o.pattern ?? ''));
      const type = m ? (m[3] ? stixHashes[m[3]] : stixTypes[m[1]]) : undefined;
      if (!m || !type) {
        entries.push({ entry: String(o.id ?? o.pattern ?? ''), reason: `pattern ${JSON.stringify(o.pattern ?? '')} is not one comparison of an address, domain, URL or file hash` });
        continue;
      }
      entries.push({ entry: String(o.id ?? m[4]), type, value: m[4], description: o.description ?? o.name, confidence: o.confidence, tags: o.labels, expires_at: o.valid_until });
    }
    return { entries, problems };
  }
  // misp
  const events = isObject(doc) && isObject(doc.Event) ? [doc.Event] : isObject(doc) && Array.isArray(doc.response) ? doc.response.map((r) => r?.Event).filter(isObject) : [];
  for (const ev of events) {
    const attrs = [...(Array.isArray(ev.Attribute) ? ev.Attribute : []), ...(Array.isArray(ev.Object) ? ev.Object.flatMap((o) => (Array.isArray(o?.Attribute) ? o.Attribute : [])) : [])];
    for (const a of attrs) {
      const type = mispTypes[a?.type];
      if (!type) {
        entries.push({ entry: String(a?.value ?? ''), reason: `attribute type "${a?.type}" is not an indicator type` });
        continue;
      }
      entries.push({ entry: String(a.value ?? ''), type, value: a.value, description: a.comment || ev.info });
    }
  }
  return { entries, problems };
}

/** settle checks an entry's fields and fills the defaults: the indicator's fields, or the reason it is refused. */
function settle(e, defaults) {
  if (e.reason) return { reason: e.reason };
  const read = readValue(e.value, e.type);
  if (read.reason) return { reason: read.reason };
  const severity = e.severity ?? defaults.severity;
  if (!severities.includes(severity)) return { reason: `severity "${severity}": want ${severities.join(', ')}` };
  const confidence = e.confidence ?? defaults.confidence;
  if (!Number.isInteger(confidence) || confidence < 0 || confidence > 100) return { reason: `confidence ${JSON.stringify(confidence)}: want 0 to 100` };
  let expires = e.expires_at ?? defaults.expires_at;
  if (expires !== undefined && expires !== '') {
    const t = Date.parse(expires);
    if (Number.isNaN(t)) return { reason: `expires_at ${JSON.stringify(expires)} is not RFC 3339` };
    if (t <= Date.now()) return { reason: 'expires_at is in the past' };
    expires = iso(t);
  } else expires = undefined;
  const techniques = e.techniques ?? [];
  if (!Array.isArray(techniques) || techniques.some((t) => !/^T\d{4}(\.\d{3})?$/.test(t))) return { reason: 'techniques: want ATT&CK ids (T1234 or T1234.001)' };
  return {
    type: read.type,
    value: read.value,
    description: e.description ? String(e.description) : undefined,
    severity,
    confidence,
    tags: [...new Set([...(Array.isArray(e.tags) ? e.tags.map(String) : []), ...defaults.tags])],
    techniques,
    reference: e.reference ? String(e.reference) : undefined,
    expires_at: expires,
  };
}

/**
 * createIntel keeps the indicators and login profiles of one fake center.
 * @param {{ now: number, agents: {id: string, hostname: string}[], record: Function }} opts
 */
export function createIntel({ now, agents, record }) {
  const indicators = makeIndicators(now);
  const profiles = makeLoginProfiles(now);

  const byOrder = (a, b) => a.type.localeCompare(b.type) || a.value.localeCompare(b.value) || a.source.localeCompare(b.source);
  const view = (i) => Object.fromEntries(Object.entries(i).filter(([, v]) => v !== undefined && v !== ''));
  const expired = (i, at = Date.now()) => !!i.expires_at && Date.parse(i.expires_at) <= at;

  /** need answers 403 (and audits it) unless who is an analyst. */
  const need = (res, who, action, target) => {
    if (allowed(who.role, 'analyst')) return true;
    record(who, action, target, 'denied', { status: 403 });
    fail(res, 403, 'forbidden', `role ${who.role} may not do this (needs analyst)`);
    return false;
  };
  const refuse = (res, who, action, target, message, extra = {}) => {
    record(who, action, target, 'error', { status: 400, message });
    send(res, 400, { error: { code: 'bad_request', message }, ...extra });
  };

  /** store writes settled indicators of a source: how many were added and updated, and their ids. */
  const store = (list, source, who) => {
    let added = 0;
    let updated = 0;
    const ids = new Set();
    const at = iso(Date.now());
    for (const s of list) {
      const id = indicatorId(s.type, s.value, source);
      ids.add(id);
      const prev = indicators.find((i) => i.id === id);
      const next = { id, ...s, source, updated_at: at, updated_by: actorOf(who) };
      if (prev) {
        Object.assign(prev, next, { created_at: prev.created_at, hits: prev.hits, last_hit_at: prev.last_hit_at });
        for (const k of ['description', 'reference', 'expires_at']) if (next[k] === undefined) delete prev[k];
        updated++;
      } else {
        indicators.push({ ...next, created_at: at, hits: 0 });
        added++;
      }
    }
    return { added, updated, ids };
  };

  /** take reads entries into indicators: the settled ones once each, and the problems. */
  const take = (entries, defaults) => {
    const settled = [];
    const problems = [];
    const seen = new Map();
    for (const e of entries) {
      const s = settle(e, defaults);
      const where = { ...(e.line ? { line: e.line } : {}), ...(e.entry ? { entry: e.entry } : {}) };
      if (s.reason) {
        problems.push({ ...where, reason: s.reason });
        continue;
      }
      const key = `${s.type}\0${s.value}`;
      if (seen.has(key)) {
        problems.push({ ...where, reason: `${s.value} is listed already${seen.get(key) ? ` (line ${seen.get(key)})` : ''}` });
        continue;
      }
      seen.set(key, e.line ?? 0);
      settled.push(s);
    }
    return { settled, problems };
  };

  const listIndicators = (res, query) => {
    const type = query.get('type') ?? '';
    if (type && !types.includes(type)) return fail(res, 400, 'bad_request', `type "${type}": want ${types.join(', ')}`);
    const source = query.get('source') ?? '';
    const q = (query.get('q') ?? '').toLowerCase();
    const withExpired = query.get('expired') === 'true';
    const items = indicators
      .filter((i) => (!type || i.type === type) && (!source || i.source === source) && (!q || i.value.toLowerCase().includes(q) || (i.description ?? '').toLowerCase().includes(q)) && (withExpired || !expired(i)))
      .sort(byOrder);
    const cursor = query.get('cursor') ?? '';
    if (cursor && !/^\d+$/.test(cursor)) return fail(res, 400, 'bad_request', 'invalid cursor');
    const out = page(items, query);
    return send(res, 200, { items: out.items.map(view), next_cursor: out.next_cursor });
  };

  const sources = () => {
    const m = new Map();
    for (const i of indicators) {
      const s = m.get(i.source) ?? { name: i.source, count: 0, updated_at: i.updated_at };
      s.count++;
      if (i.updated_at > s.updated_at) s.updated_at = i.updated_at;
      m.set(i.source, s);
    }
    return [...m.values()].sort((a, b) => a.name.localeCompare(b.name));
  };

  const importFeed = (res, query, raw, who) => {
    const source = (query.get('source') ?? '').trim();
    const action = 'intel.import';
    if (!source) return refuse(res, who, action, '', 'source is required');
    if (raw.length > maxImport) {
      record(who, action, source, 'error', { status: 413 });
      return fail(res, 413, 'too_large', `the file is larger than ${maxImport} bytes`);
    }
    let format = query.get('format') ?? '';
    if (format && !formats.includes(format)) return refuse(res, who, action, source, `format "${format}": want ${formats.join(', ')}`);
    const severity = query.get('severity') || 'medium';
    if (!severities.includes(severity)) return refuse(res, who, action, source, `severity "${severity}": want ${severities.join(', ')}`);
    const confidenceText = query.get('confidence') || '50';
    if (!/^\d{1,3}$/.test(confidenceText) || Number(confidenceText) > 100) return refuse(res, who, action, source, `confidence "${confidenceText}": want 0 to 100`);
    const expiresIn = query.get('expires_in') ?? '';
    const ms = expiresIn ? durationMs(expiresIn) : 0;
    if (ms === null || (expiresIn && ms <= 0)) return refuse(res, who, action, source, `expires_in "${expiresIn}": want a duration such as 720h`);
    const replace = query.get('replace') ?? '';
    if (!['', 'true', 'false'].includes(replace)) return refuse(res, who, action, source, `replace "${replace}": want true or false`);
    const text = raw.toString('utf8');
    format ||= detectFormat(text);
    const tags = (query.get('tags') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const { entries, problems: unread } = entriesOf(format, text);
    const { settled, problems } = take(entries, { severity, confidence: Number(confidenceText), tags, expires_at: ms ? iso(Date.now() + ms) : undefined });
    const { added, updated, ids } = store(settled, source, who);
    let removed = 0;
    // A file of which nothing could be read does not empty its source.
    if (replace === 'true' && settled.length > 0) {
      for (let i = indicators.length - 1; i >= 0; i--) {
        if (indicators[i].source === source && !ids.has(indicators[i].id)) {
          indicators.splice(i, 1);
          removed++;
        }
      }
    }
    const all = [...unread, ...problems];
    const result = { format, source, read: entries.length, added, updated, removed, skipped: entries.length - settled.length, problems: all };
    record(who, action, source, 'ok', { format, bytes: raw.length, read: result.read, added, updated, removed, skipped: result.skipped, replace: replace === 'true' });
    return send(res, 200, result);
  };

  const addIndicators = (res, body, who) => {
    const action = 'intel.add';
    if (!isObject(body)) return refuse(res, who, action, '', 'want a JSON object', { fields: [{ path: '', reason: 'want a JSON object' }] });
    const source = body.source === undefined || body.source === '' ? 'manual' : body.source;
    if (typeof source !== 'string' || !source.trim()) return refuse(res, who, action, '', 'source: want a name', { fields: [{ path: 'source', reason: 'want a name' }] });
    if (!Array.isArray(body.indicators) || body.indicators.length === 0) {
      return refuse(res, who, action, source, 'indicators: want at least one', { fields: [{ path: 'indicators', reason: 'want at least one' }] });
    }
    const entries = body.indicators.map((e, i) => (isObject(e) ? { ...e, entry: typeof e.value === 'string' ? e.value : `indicators[${i}]` } : { entry: `indicators[${i}]`, value: '' }));
    const { settled, problems } = take(entries, { severity: 'medium', confidence: 50, tags: [] });
    if (settled.length === 0) {
      return refuse(res, who, action, source, `no valid indicator: ${problems.map((p) => p.reason).join('; ')}`, { problems });
    }
    const { added, updated } = store(settled, source.trim(), who);
    const result = { format: 'json', source: source.trim(), read: entries.length, added, updated, removed: 0, skipped: entries.length - settled.length, problems };
    record(who, action, source.trim(), 'ok', { read: result.read, added, updated, skipped: result.skipped });
    return send(res, 200, result);
  };

  const hostname = (id) => agents.find((a) => a.id === id)?.hostname ?? '';
  const profileView = (p) => ({ ...p, hostname: hostname(p.agent_id), time_zone: 'Asia/Shanghai' });

  /** handle answers the routes of this module; false when the route is another's. */
  const handle = (req, res, { path, query, body, raw, who }) => {
    const m = req.method;
    if (path === '/intel') {
      if (m === 'GET') return listIndicators(res, query), true;
      if (m === 'POST') return need(res, who, 'intel.add', '') && addIndicators(res, body, who), true;
      return false;
    }
    if (path === '/intel/sources' && m === 'GET') return send(res, 200, { items: sources(), next_cursor: '' }), true;
    if (path === '/intel/check' && m === 'GET') {
      const value = query.get('value') ?? '';
      const read = readValue(value);
      if (read.reason) return fail(res, 400, 'bad_request', read.reason), true;
      const found = indicators.filter((i) => !expired(i) && matches(i, read.type, read.value)).sort(byOrder);
      return send(res, 200, { value, type: read.type, normalized: read.value, matches: found.map(view) }), true;
    }
    if (path === '/intel/import' && m === 'POST') return need(res, who, 'intel.import', query.get('source') ?? '') && importFeed(res, query, raw, who), true;
    let x = path.match(/^\/intel\/sources\/([^/]+)$/);
    if (x && m === 'DELETE') {
      const name = decodeURIComponent(x[1]);
      if (!need(res, who, 'intel.source.delete', name)) return true;
      let removed = 0;
      for (let i = indicators.length - 1; i >= 0; i--) {
        if (indicators[i].source === name) {
          indicators.splice(i, 1);
          removed++;
        }
      }
      if (removed === 0) return fail(res, 404, 'not_found', `intelligence source ${name} not found`), true;
      record(who, 'intel.source.delete', name, 'ok', { removed });
      return send(res, 200, { removed }), true;
    }
    x = path.match(/^\/intel\/([^/]+)$/);
    if (x) {
      const id = decodeURIComponent(x[1]);
      const i = indicators.find((y) => y.id === id);
      if (m === 'GET') return i ? send(res, 200, view(i)) : fail(res, 404, 'not_found', `indicator ${id} not found`), true;
      if (m === 'DELETE') {
        if (!need(res, who, 'intel.delete', id)) return true;
        if (!i) return fail(res, 404, 'not_found', `indicator ${id} not found`), true;
        indicators.splice(indicators.indexOf(i), 1);
        record(who, 'intel.delete', id, 'ok', { type: i.type, value: i.value, source: i.source });
        return noContent(res), true;
      }
      return false;
    }
    if (path === '/baselines/logins') {
      const agentId = query.get('agent_id') ?? '';
      const user = query.get('user') ?? '';
      if (m === 'GET') {
        const items = profiles.filter((p) => (!agentId || p.agent_id === agentId) && (!user || p.user === user)).sort((a, b) => a.agent_id.localeCompare(b.agent_id) || a.user.localeCompare(b.user));
        const out = page(items, query);
        return send(res, 200, { items: out.items.map(profileView), next_cursor: out.next_cursor }), true;
      }
      if (m === 'DELETE') {
        const target = user ? `${agentId}/${user}` : agentId;
        if (!need(res, who, 'baseline.login.reset', target)) return true;
        if (!agentId) return refuse(res, who, 'baseline.login.reset', '', 'agent_id is required'), true;
        let removed = 0;
        for (let i = profiles.length - 1; i >= 0; i--) {
          if (profiles[i].agent_id === agentId && (!user || profiles[i].user === user)) {
            profiles.splice(i, 1);
            removed++;
          }
        }
        record(who, 'baseline.login.reset', target, 'ok', { removed });
        return send(res, 200, { removed }), true;
      }
    }
    return false;
  };

  /** forget drops a deleted agent's login profiles. */
  const forget = (agentId) => {
    for (let i = profiles.length - 1; i >= 0; i--) if (profiles[i].agent_id === agentId) profiles.splice(i, 1);
  };

  return { handle, forget, state: { indicators, profiles } };
}
