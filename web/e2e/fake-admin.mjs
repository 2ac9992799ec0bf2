// The fake API's administration and agent management routes: join tokens,
// API tokens, users, agent policies, agent labels, deletion and effective
// policy, and the audit log every change is written to. Roles are enforced
// as the center does (403 audited as denied).
import { randomBytes } from 'node:crypto';
import { makeApiTokens, makeAudit, makeJoinTokens, makePolicies, makeUsers } from './fixtures-admin.mjs';
import { actorOf, allowed, durationMs, fail, labelsProblem, nameProblem, noContent, page, roles, send } from './fake-http.mjs';
import { checkSpec, effective } from './fake-policy.mjs';

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const hex = (n) => randomBytes(n).toString('hex');

/**
 * createAdmin keeps the administration state of one fake center.
 * @param {{ now: number, tokens: Map<string, any>, agents: any[] }} opts
 */
export function createAdmin({ now, tokens, agents }) {
  const joinTokens = makeJoinTokens(now);
  const users = makeUsers(now);
  const apiTokens = makeApiTokens(now);
  const policies = makePolicies(now);
  const audit = makeAudit(now, 230);
  const passwords = new Map([['admin', 'correct-horse']]);
  let nextAudit = audit.length + 1;

  /** record writes one audit entry. */
  const record = (who, action, target, result, detail = {}) => {
    audit.unshift({ id: nextAudit++, at: iso(Date.now()), actor: who ? actorOf(who) : 'system', role: who?.role ?? '', action, target: target ?? '', result, detail, source_ip: '127.0.0.1' });
  };

  /** need answers 403 (and audits it) unless who has the role. */
  const need = (res, who, role, action, target) => {
    if (allowed(who.role, role)) return true;
    record(who, action, target, 'denied', { status: 403 });
    fail(res, 403, 'forbidden', `role ${who.role} may not do this (needs ${role})`);
    return false;
  };

  /** bad answers 400 and audits the failed change. */
  const bad = (res, who, action, target, message) => {
    record(who, action, target, 'error', { status: 400, message });
    fail(res, 400, 'bad_request', message);
  };

  /** login checks a user's password; the user, or null. */
  const login = (username, password) => {
    const u = users.find((x) => x.name === username && !x.disabled);
    return u && passwords.get(username) === password ? u : null;
  };

  /** handle answers the routes of this module; false when the route is another's. */
  const handle = (req, res, { path, query, body, who }) => {
    const m = req.method;
    let x;
    if ((x = path.match(/^\/agents\/([^/]+)\/labels$/)) && m === 'PUT') {
      const id = decodeURIComponent(x[1]);
      if (!need(res, who, 'responder', 'agent.labels', id)) return true;
      const a = agents.find((y) => y.id === id);
      if (!a) return fail(res, 404, 'not_found', `agent ${id} not found`), true;
      if (!body || body.labels === undefined || body.labels === null) return bad(res, who, 'agent.labels', id, 'labels: required (an empty object removes every label)'), true;
      const p = labelsProblem('labels', body.labels);
      if (p) return bad(res, who, 'agent.labels', id, p), true;
      a.labels = { ...body.labels };
      record(who, 'agent.labels', id, 'ok', { labels: a.labels });
      const { last_state: _, ...view } = a;
      return send(res, 200, view), true;
    }
    if ((x = path.match(/^\/agents\/([^/]+)\/policy$/)) && m === 'GET') {
      const a = agents.find((y) => y.id === decodeURIComponent(x[1]));
      return a ? send(res, 200, effective(policies, a.labels)) : fail(res, 404, 'not_found', `agent ${x[1]} not found`), true;
    }
    if ((x = path.match(/^\/agents\/([^/]+)$/)) && m === 'DELETE') {
      const id = decodeURIComponent(x[1]);
      if (!need(res, who, 'admin', 'agent.delete', id)) return true;
      const i = agents.findIndex((y) => y.id === id);
      if (i < 0) return fail(res, 404, 'not_found', `agent ${id} not found`), true;
      record(who, 'agent.delete', id, 'ok', { hostname: agents[i].hostname });
      agents.splice(i, 1);
      return noContent(res), true;
    }

    if (path === '/tokens' || path.startsWith('/tokens/')) {
      const action = m === 'GET' ? 'token.list' : m === 'POST' ? 'token.create' : 'token.delete';
      if (!need(res, who, 'admin', action, '')) return true;
      if (m === 'GET' && path === '/tokens') return send(res, 200, page(joinTokens, query)), true;
      if (m === 'POST' && path === '/tokens') {
        const ttl = body?.ttl ? durationMs(body.ttl) : 24 * 3_600_000;
        if (ttl === null || ttl < 60_000 || ttl > 720 * 3_600_000) return bad(res, who, action, '', `ttl "${body.ttl}": want a duration from 1m0s to 720h0m0s (e.g. 24h)`), true;
        const p = labelsProblem('labels', body?.labels ?? {});
        if (p) return bad(res, who, action, '', p), true;
        const limit = body?.usage_limit ?? 0;
        if (!Number.isInteger(limit) || limit < 0 || limit > 1_000_000) return bad(res, who, action, '', 'usage_limit: want 0 (unlimited) to 1000000'), true;
        const id = hex(8);
        const t = { id, description: body?.description ?? '', labels: body?.labels ?? {}, created_at: iso(Date.now()), created_by: actorOf(who), expires_at: iso(Date.now() + ttl), usage_limit: limit, uses: 0 };
        joinTokens.unshift(t);
        record(who, action, id, 'ok', { ttl: body?.ttl ?? '24h', labels: t.labels, usage_limit: limit });
        return send(res, 201, { ...t, token: `vgl1.${id}.${hex(16)}.${hex(8)}` }), true;
      }
      if ((x = path.match(/^\/tokens\/([^/]+)$/)) && m === 'DELETE') {
        const id = decodeURIComponent(x[1]);
        const i = joinTokens.findIndex((t) => t.id === id);
        if (i < 0) return fail(res, 404, 'not_found', `join token ${id} not found`), true;
        joinTokens.splice(i, 1);
        record(who, action, id, 'ok');
        return noContent(res), true;
      }
      return false;
    }

    if (path === '/api-tokens' || path.startsWith('/api-tokens/')) {
      const action = m === 'GET' ? 'apitoken.list' : m === 'POST' ? 'apitoken.create' : 'apitoken.delete';
      if (!need(res, who, 'admin', action, '')) return true;
      if (m === 'GET' && path === '/api-tokens') return send(res, 200, page(apiTokens, query)), true;
      if (m === 'POST' && path === '/api-tokens') {
        const p = nameProblem('name', body?.name);
        if (p) return bad(res, who, action, '', p), true;
        if (!roles.includes(body?.role)) return bad(res, who, action, '', `role "${body?.role ?? ''}": want viewer, analyst, responder or admin`), true;
        const ttl = body?.ttl ? durationMs(body.ttl) : 0;
        if (ttl === null || (body?.ttl && ttl < 60_000)) return bad(res, who, action, '', `ttl "${body.ttl}": want a duration from 1m0s`), true;
        const id = hex(6);
        const bearer = `vgt_${id}_${hex(16)}`;
        const t = { id, name: body.name, kind: 'api', role: body.role, created_at: iso(Date.now()), ...(ttl ? { expires_at: iso(Date.now() + ttl) } : {}) };
        apiTokens.unshift(t);
        tokens.set(bearer, { name: body.name, role: body.role, kind: 'api', id });
        record(who, action, id, 'ok', { name: t.name, role: t.role, ...(body.ttl ? { ttl: body.ttl } : {}) });
        return send(res, 201, { ...t, token: bearer }), true;
      }
      if ((x = path.match(/^\/api-tokens\/([^/]+)$/)) && m === 'DELETE') {
        const id = decodeURIComponent(x[1]);
        const i = apiTokens.findIndex((t) => t.id === id);
        if (i < 0) return fail(res, 404, 'not_found', `API token ${id} not found`), true;
        apiTokens.splice(i, 1);
        for (const [bearer, w] of tokens) if (w.id === id) tokens.delete(bearer);
        record(who, action, id, 'ok');
        return noContent(res), true;
      }
      return false;
    }

    if (path === '/users' || path.startsWith('/users/')) {
      const action = { GET: path === '/users' ? 'user.list' : 'user.get', POST: 'user.create', PATCH: 'user.update', DELETE: 'user.delete' }[m] ?? 'user';
      if (!need(res, who, 'admin', action, '')) return true;
      if (m === 'GET' && path === '/users') return send(res, 200, page(users, query)), true;
      if (m === 'POST' && path === '/users') {
        const p = nameProblem('name', body?.name) || (roles.includes(body?.role) ? '' : `role "${body?.role ?? ''}": want viewer, analyst, responder or admin`);
        if (p) return bad(res, who, action, '', p), true;
        if (typeof body.password !== 'string' || Buffer.byteLength(body.password) < 10 || Buffer.byteLength(body.password) > 1024) return bad(res, who, action, '', 'password: want 10 to 1024 bytes'), true;
        if (users.some((u) => u.name === body.name)) {
          record(who, action, '', 'error', { status: 409, name: body.name });
          return fail(res, 409, 'conflict', `user ${body.name}: already exists`), true;
        }
        const u = { id: `u-${hex(4)}`, name: body.name, role: body.role, disabled: false, created_at: iso(Date.now()), updated_at: iso(Date.now()) };
        users.push(u);
        passwords.set(u.name, body.password);
        record(who, action, u.id, 'ok', { name: u.name, role: u.role });
        return send(res, 201, u), true;
      }
      if ((x = path.match(/^\/users\/([^/]+)$/))) {
        const u = users.find((y) => y.id === decodeURIComponent(x[1]));
        if (!u) return fail(res, 404, 'not_found', `user ${x[1]} not found`), true;
        const otherAdmin = users.some((y) => y.id !== u.id && y.role === 'admin' && !y.disabled);
        const lastAdmin = () => {
          record(who, action, u.id, 'error', { status: 409, name: u.name });
          fail(res, 409, 'conflict', 'this is the last enabled admin; make another admin first');
        };
        if (m === 'GET') return send(res, 200, u), true;
        if (m === 'PATCH') {
          if (body?.role !== undefined && !roles.includes(body.role)) return bad(res, who, action, u.id, `role "${body.role}": want viewer, analyst, responder or admin`), true;
          if (body?.password !== undefined && (Buffer.byteLength(body.password) < 10 || Buffer.byteLength(body.password) > 1024)) return bad(res, who, action, u.id, 'password: want 10 to 1024 bytes'), true;
          const demoted = (body?.role !== undefined && body.role !== 'admin') || body?.disabled === true;
          if (u.role === 'admin' && !u.disabled && demoted && !otherAdmin) return lastAdmin(), true;
          const detail = { name: u.name };
          if (body?.role !== undefined) u.role = detail.role = body.role;
          if (body?.password !== undefined) {
            passwords.set(u.name, body.password);
            detail.password_changed = true;
          }
          if (body?.disabled !== undefined) u.disabled = detail.disabled = body.disabled;
          u.updated_at = iso(Date.now());
          record(who, action, u.id, 'ok', detail);
          return send(res, 200, u), true;
        }
        if (m === 'DELETE') {
          if (u.role === 'admin' && !u.disabled && !otherAdmin) return lastAdmin(), true;
          users.splice(users.indexOf(u), 1);
          passwords.delete(u.name);
          record(who, action, u.id, 'ok', { name: u.name });
          return noContent(res), true;
        }
      }
      return false;
    }

    if (path === '/agent-policies' && m === 'GET') return send(res, 200, page([...policies].sort((a, b) => a.name.localeCompare(b.name)), query)), true;
    if ((x = path.match(/^\/agent-policies\/([^/]+)$/))) {
      const name = decodeURIComponent(x[1]);
      const i = policies.findIndex((p) => p.name === name);
      if (m === 'GET') return i < 0 ? fail(res, 404, 'not_found', `agent policy ${name} not found`) : send(res, 200, policies[i]), true;
      const action = m === 'PUT' ? 'policy.put' : 'policy.delete';
      if (!need(res, who, 'admin', action, name)) return true;
      if (m === 'DELETE') {
        if (i < 0) return fail(res, 404, 'not_found', `agent policy ${name} not found`), true;
        policies.splice(i, 1);
        record(who, action, name, 'ok');
        return noContent(res), true;
      }
      if (m === 'PUT') {
        const p = nameProblem('policy name', name) || labelsProblem('selector', body?.selector ?? {});
        if (p) return bad(res, who, action, name, p), true;
        const spec = checkSpec(structuredClone(body?.spec));
        if (spec.error) return bad(res, who, action, name, spec.error), true;
        const stored = { name, selector: body.selector ?? {}, priority: body.priority ?? 0, spec: body.spec, revision: (i < 0 ? 0 : policies[i].revision) + 1, updated_at: iso(Date.now()), updated_by: actorOf(who) };
        if (i < 0) policies.push(stored);
        else policies[i] = stored;
        record(who, action, name, 'ok', { revision: stored.revision, priority: stored.priority, selector: stored.selector });
        return send(res, 200, stored), true;
      }
    }

    if (path === '/audit' && m === 'GET') {
      if (!need(res, who, 'admin', 'audit.list', '')) return true;
      const since = query.get('since') ? Date.parse(query.get('since')) : -Infinity;
      const until = query.get('until') ? Date.parse(query.get('until')) : Infinity;
      if (Number.isNaN(since) || Number.isNaN(until)) return fail(res, 400, 'bad_request', 'since and until must be RFC 3339'), true;
      const actor = query.get('actor') ?? '';
      const action = query.get('action') ?? '';
      const items = audit.filter((e) => (!actor || e.actor === actor) && e.action.startsWith(action) && Date.parse(e.at) >= since && Date.parse(e.at) < until);
      return send(res, 200, page(items, query)), true;
    }
    return false;
  };

  return { handle, record, login, state: { joinTokens, users, apiTokens, policies, audit } };
}
