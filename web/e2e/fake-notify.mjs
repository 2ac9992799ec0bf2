// The fake API's notification channel routes: the file's channels
// (read-only, 409 on a change) and the API's, each configuration checked
// with the center's rules (a 400 listing every invalid field), write-only
// fields shown as {"set": true} and kept, replaced or cleared as PUT says,
// and test messages. Roles are enforced and changes audited as the center
// does.
import { makeNotifyChannels } from './fixtures-notify.mjs';
import { actorOf, allowed, fail, noContent, send } from './fake-http.mjs';

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const types = ['webhook', 'syslog', 'email', 'dingtalk', 'wecom', 'feishu'];
const writeOnly = { webhook: ['url', 'secret'], syslog: [], email: ['password'], dingtalk: ['url', 'secret'], wecom: ['url'], feishu: ['url', 'secret'] };
const needsURL = ['webhook', 'dingtalk', 'wecom', 'feishu'];
const namePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const technique = /^T\d{4}(\.\d{3})?$/;
const zones = new Set(Intl.supportedValuesOf('timeZone'));
const isObject = (v) => !!v && typeof v === 'object' && !Array.isArray(v);

/** redactURL hides a URL's credentials as the center does: user info and query values. */
function redactURL(raw) {
  try {
    const u = new URL(raw);
    if (u.username || u.password) {
      u.username = 'REDACTED';
      u.password = '';
    }
    const keys = [...new Set([...u.searchParams.keys()])].sort();
    u.search = keys.map((k) => `${encodeURIComponent(k)}=REDACTED`).join('&');
    return u.toString();
  } catch {
    return 'REDACTED';
  }
}

/** configView shows a configuration with its write-only fields as {"set": true}. */
function configView(config) {
  const out = structuredClone(config);
  const section = out[config.type];
  if (!isObject(section)) return out;
  for (const f of writeOnly[config.type] ?? []) {
    const v = section[f];
    section[f] = v ? (f === 'url' ? { set: true, redacted: redactURL(v) } : { set: true }) : { set: false };
  }
  if (config.type === 'webhook' && isObject(section.headers)) section.headers = Object.fromEntries(Object.keys(section.headers).map((k) => [k, { set: true }]));
  return out;
}

/** secretValue merges one write-only value of an update with the stored one. */
function secretValue(given, stored) {
  if (given === undefined) return stored;
  if (given === null || given === '') return undefined;
  if (isObject(given)) return given.set === true ? stored : undefined;
  return given;
}

/**
 * merge applies an update to the stored configuration (undefined for a
 * new channel): the configuration, the write-only fields that changed and
 * the invalid fields.
 */
function merge(name, body, prev) {
  const problems = [];
  const add = (path, reason) => problems.push({ path, reason });
  if (!isObject(body)) return { problems: [{ path: '', reason: 'bad JSON: want an object' }] };
  const config = structuredClone(body);
  if (config.name === undefined) config.name = name;
  else if (config.name !== name) add('name', `is ${JSON.stringify(config.name)}, but the channel updated is ${JSON.stringify(name)}`);
  if (!namePattern.test(config.name)) add('name', "must be 1 to 63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit");
  if (!types.includes(config.type)) add('type', `must be one of ${types.join(', ')}`);
  if (config.language !== undefined && !['', 'en', 'zh'].includes(config.language)) add('language', 'must be en or zh');
  if (config.time_zone && !zones.has(config.time_zone)) add('time_zone', `unknown time zone ${JSON.stringify(config.time_zone)}`);
  const filter = config.filter ?? {};
  if (filter.min_severity && !['low', 'medium', 'high', 'critical'].includes(filter.min_severity)) add('filter.min_severity', 'must be low, medium, high or critical');
  (filter.techniques ?? []).forEach((t, i) => technique.test(t) || add(`filter.techniques[${i}]`, `${JSON.stringify(t)} is not an ATT&CK technique id (T1234 or T1234.001)`));
  const changed = [];
  if (types.includes(config.type)) {
    const section = config[config.type];
    for (const other of types) if (other !== config.type && config[other] !== undefined) add(other, `a ${config.type} channel has no ${other} section`);
    if (!isObject(section)) add(config.type, `a ${config.type} channel needs its ${config.type} section`);
    else {
      const stored = prev?.type === config.type ? prev[config.type] : {};
      for (const f of writeOnly[config.type]) {
        const v = secretValue(section[f], stored?.[f]);
        if (typeof v !== 'string' && v !== undefined) {
          add(`${config.type}.${f}`, 'must be a string');
          continue;
        }
        if (v !== stored?.[f]) changed.push(`${config.type}.${f}`);
        if (v === undefined) delete section[f];
        else section[f] = v;
      }
      if (config.type === 'webhook' && section.headers !== undefined) {
        const headers = {};
        for (const [k, given] of Object.entries(section.headers ?? {})) {
          const v = secretValue(given, stored?.headers?.[k]);
          if (v !== undefined) headers[k] = v;
          if (v !== stored?.headers?.[k]) changed.push(`webhook.headers.${k}`);
        }
        section.headers = headers;
      } else if (config.type === 'webhook' && stored?.headers) section.headers = stored.headers;
      if (needsURL.includes(config.type)) {
        if (!section.url) add(`${config.type}.url`, 'is required');
        else if (!/^https?:\/\/[^/\s]+/.test(section.url)) add(`${config.type}.url`, `${JSON.stringify(redactURL(section.url))}: want an http or https URL`);
        else if (config.type === 'dingtalk' && !new URL(section.url).searchParams.get('access_token')) add('dingtalk.url', "must carry the robot's access_token (https://oapi.dingtalk.com/robot/send?access_token=...)");
      }
      if (config.type === 'syslog') {
        if (!['udp', 'tcp', 'tls'].includes(section.network)) add('syslog.network', 'must be udp, tcp or tls');
        if (!/^[^:\s]+:\d+$/.test(section.address ?? '')) add('syslog.address', 'must be host:port');
      }
      if (config.type === 'email') {
        if (!section.host) add('email.host', 'is required');
        if (!section.from) add('email.from', 'is required');
        if (!Array.isArray(section.to) || section.to.length === 0) add('email.to', 'needs at least one address');
      }
    }
  }
  return { config, changed, problems };
}

/**
 * createNotify keeps the notification channels of one fake center.
 * @param {{ now: number, record: Function }} opts
 */
export function createNotify({ now, record }) {
  const channels = makeNotifyChannels(now);

  const find = (name) => channels.find((c) => c.config.name === name);
  const view = (c) => ({
    name: c.config.name,
    type: c.config.type,
    source: c.source,
    disabled: !!c.config.disabled,
    running: !c.problem && !c.config.disabled,
    ...(c.problem ? { problem: c.problem } : {}),
    config: configView(c.config),
    ...(c.source === 'api' ? { revision: c.revision, created_at: c.created_at, created_by: c.created_by, updated_at: c.updated_at, updated_by: c.updated_by } : {}),
    stats: c.problem || c.config.disabled ? { sent: 0, failed: 0, retried: 0, dropped: 0, queued: 0 } : c.stats,
  });
  const listed = () => [...channels.filter((c) => c.source === 'file'), ...channels.filter((c) => c.source === 'api').sort((a, b) => a.config.name.localeCompare(b.config.name))];

  /** need answers 403 (and audits it) unless who is an admin. */
  const need = (res, who, action, target) => {
    if (allowed(who.role, 'admin')) return true;
    record(who, action, target, 'denied', { status: 403 });
    fail(res, 403, 'forbidden', `role ${who.role} may not do this (needs admin)`);
    return false;
  };
  const conflict = (res, who, action, name, message) => {
    record(who, action, name, 'error', { status: 409, message });
    fail(res, 409, 'conflict', message);
  };
  const readOnly = (name) => `notification channel ${name} is defined in the notification file and cannot be changed through the API`;

  /** handle answers the routes of this module; false when the route is another's. */
  const handle = (req, res, { path, body, who }) => {
    const m = req.method;
    if (path === '/notify/channels' && m === 'GET') return send(res, 200, { items: listed().map(view), next_cursor: '' }), true;
    let x = path.match(/^\/notify\/channels\/([^/]+)\/test$/);
    if (x && m === 'POST') {
      const name = decodeURIComponent(x[1]);
      if (!need(res, who, 'notify.channel.test', name)) return true;
      const c = find(name);
      if (!c) return fail(res, 404, 'not_found', `notification channel ${name} not found`), true;
      if (c.problem) return conflict(res, who, 'notify.channel.test', name, `notification channel cannot be used: ${name}: ${c.problem}`), true;
      const started = Date.now();
      const url = c.config[c.config.type]?.url ?? '';
      const unreachable = /unreachable/.test(url);
      const result = unreachable
        ? { ok: false, error: `POST ${redactURL(url)}: dial tcp: connection refused`, duration_ms: Date.now() - started + 31 }
        : { ok: true, duration_ms: Date.now() - started + 84 };
      record(who, 'notify.channel.test', name, 'ok', unreachable ? { ok: false, failure: result.error } : { ok: true });
      return send(res, 200, result), true;
    }
    x = path.match(/^\/notify\/channels\/([^/]+)$/);
    if (!x) return false;
    const name = decodeURIComponent(x[1]);
    const c = find(name);
    if (m === 'GET') return c ? send(res, 200, view(c)) : fail(res, 404, 'not_found', `notification channel ${name} not found`), true;
    if (m === 'PUT') {
      if (!need(res, who, 'notify.channel.put', name)) return true;
      if (c?.source === 'file') return conflict(res, who, 'notify.channel.put', name, readOnly(name)), true;
      const { config, changed, problems } = merge(name, body, c?.config);
      if (problems.length) {
        record(who, 'notify.channel.put', name, 'error', { status: 400, problems });
        const message = 'invalid notification channel: ' + problems.map((p) => (p.path ? `${p.path}: ${p.reason}` : p.reason)).join('; ');
        return send(res, 400, { error: { code: 'bad_request', message }, fields: problems }), true;
      }
      const at = iso(Date.now());
      const stored = c ?? { source: 'api', created_at: at, created_by: actorOf(who), revision: 0, stats: { sent: 0, failed: 0, retried: 0, dropped: 0, queued: 0 } };
      Object.assign(stored, { config, revision: stored.revision + 1, updated_at: at, updated_by: actorOf(who) });
      delete stored.problem;
      if (!c) channels.push(stored);
      record(who, 'notify.channel.put', name, 'ok', { type: config.type, created: !c, revision: stored.revision, secrets_changed: changed, config: configView(config) });
      return send(res, c ? 200 : 201, view(stored)), true;
    }
    if (m === 'DELETE') {
      if (!need(res, who, 'notify.channel.delete', name)) return true;
      if (!c) return fail(res, 404, 'not_found', `notification channel ${name} not found`), true;
      if (c.source === 'file') return conflict(res, who, 'notify.channel.delete', name, readOnly(name)), true;
      channels.splice(channels.indexOf(c), 1);
      record(who, 'notify.channel.delete', name, 'ok', { dropped: c.stats.queued });
      return noContent(res), true;
    }
    return false;
  };

  return { handle, state: { channels } };
}
