// A small fake of the center for developing and testing the console without
// one: the REST routes the console uses, answered from fixtures (with roles
// enforced and changes audited; online agents answer ping, status, collect
// and processes; the inventory is searched with its search language;
// detection has incidents with their timelines, rules, imports, exceptions
// and the ATT&CK coverage; risk has findings, patches, weak passwords, word
// lists and the vulnerability database with its import and sync jobs;
// compliance has results with their evidence, scores and drift, the policy
// catalogue with uploads and assignments, exceptions and the report;
// notification channels of the file and of the API, changed and tested;
// threat intelligence with its feed imports and checks, and the login
// baselines),
// events paged in ingest order as the center does, and the built app served
// with the same headers as the center. Every API request is recorded so
// that tests can check what the console sent, and tests may add events as
// if an agent had just sent them.
//
//   node e2e/fake-server.mjs        (PORT=8099 by default; sign in as
//                                    admin / correct-horse or token vgt_fixture_admin;
//                                    vgt_fixture_viewer is a viewer)
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdmin } from './fake-admin.mjs';
import { createNotify } from './fake-notify.mjs';
import { createCompliance } from './fake-compliance.mjs';
import { createDetection } from './fake-detect.mjs';
import { createIntel } from './fake-intel.mjs';
import { createInventory } from './fake-inventory.mjs';
import { createRisk } from './fake-risk.mjs';
import { allowed, fail, labelsProblem, page, send } from './fake-http.mjs';
import { makeAgents, makeEvents, makeHistory } from './fixtures.mjs';
import { makeHostEvents, makeProcesses } from './fixtures-host.mjs';

export const fakeUser = { username: 'admin', password: 'correct-horse' };
export const fakeToken = 'vgt_fixture_admin';
export const fakeViewerToken = 'vgt_fixture_viewer';
/** The agent whose status turns from online to lost after a few listings. */
export const liveAgent = { id: '7f1c2a9e-0002', after: 2, to: 'lost', reason: 'connection closed' };

const csp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
const defaultDist = fileURLToPath(new URL('../../internal/center/console/dist', import.meta.url));

/**
 * readBody reads a request's body. An upload may be read slowly, as a
 * center does that writes it to disk while it arrives: stallMs before its
 * first chunk is taken (so that the socket's buffers fill up and stay
 * small), delayMs after each chunk. Then a browser's upload progress can
 * be seen to move.
 */
function readBody(req, { stallMs = 0, delayMs = 0 } = {}) {
  return new Promise((ok, ko) => {
    const chunks = [];
    const wait = (ms) => {
      if (ms <= 0) return;
      req.pause();
      setTimeout(() => req.resume(), ms);
    };
    req.on('data', (c) => {
      wait(chunks.length === 0 ? stallMs : delayMs);
      chunks.push(c);
    });
    req.on('end', () => ok(Buffer.concat(chunks)));
    req.on('error', ko);
  });
}

/** isJSON reports whether a request's body is JSON (or has no type). */
function isJSON(req) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return type === '' || type === 'application/json';
}

/** The least role of each command the fake agents answer. */
const commandRoles = { ping: 'analyst', status: 'analyst', collect: 'responder', processes: 'analyst' };

/** commandOutput is what a fake agent answers; collect of the compliance baseline evaluates the host's policies again. */
function commandOutput(command, args, a, now, compliance) {
  if (command === 'ping') return { pong: true, agent_version: a.agent_version };
  if (command === 'status') return { status: 'running', plugins: 4 };
  if (command === 'processes') return { taken_at: new Date().toISOString(), mechanism: 'ebpf', processes: makeProcesses(now, a.id) };
  if (command === 'collect' && args.name === 'compliance/baseline') return compliance.collect(a.id);
  return { collector: args.name, events: 1 };
}

/**
 * eventsPage pages stored events as the center does: in ingest order
 * (seq), newest first or with order=asc oldest first, the cursor being the
 * seq of the last event returned; an ascending page that is not empty
 * always has a cursor, so that a follower can ask for what comes after.
 * @param {{seq: number, doc: Record<string, any>}[]} stored newest first
 */
function eventsPage(stored, query) {
  const limit = Math.min(Number(query.get('limit') || 100), 1000);
  const asc = query.get('order') === 'asc';
  const cursor = query.get('cursor') ? Number(query.get('cursor')) : null;
  let list = asc ? [...stored].reverse() : stored;
  if (cursor !== null) list = list.filter((e) => (asc ? e.seq > cursor : e.seq < cursor));
  const slice = list.slice(0, limit);
  const last = slice.at(-1);
  let next = list.length > limit && last ? String(last.seq) : '';
  if (asc && !next && last) next = String(last.seq);
  return { items: slice.map((e) => e.doc), next_cursor: next };
}

/**
 * startFakeServer listens on 127.0.0.1 and returns its URL, the recorded
 * requests and close(). Bodies that are not JSON (uploads) are read
 * uploadStallMs after their first chunk arrives, and uploadDelayMs after
 * each chunk.
 * @param {{ port?: number, dist?: string, uploadStallMs?: number, uploadDelayMs?: number }} [opts]
 */
export async function startFakeServer(opts = {}) {
  const dist = resolve(opts.dist ?? defaultDist);
  const now = Date.now();
  const agents = makeAgents(now);
  const history = makeHistory(now);
  // Events in ingest order, newest first; seq numbers them as the center's store does.
  const events = [...makeEvents(now, 600), ...makeHostEvents(now, '7f1c2a9e-0001', 'web-01')]
    .sort((a, b) => Date.parse(b['@timestamp']) - Date.parse(a['@timestamp']))
    .map((doc, i, all) => ({ seq: all.length - i, doc }));
  const tokens = new Map([
    [fakeToken, { name: 'token:e2e', role: 'admin', kind: 'api', id: 'fixtureadmin' }],
    [fakeViewerToken, { name: 'dashboards', role: 'viewer', kind: 'api', id: 'fixtureviewer' }],
  ]);
  const admin = createAdmin({ now, tokens, agents });
  const detection = createDetection({ now, agents, record: admin.record });
  const alerts = detection.alerts;
  const inventory = createInventory({ now, agents });
  const risk = createRisk({ now, agents, record: admin.record });
  const compliance = createCompliance({ now, agents, record: admin.record });
  const notify = createNotify({ now, record: admin.record });
  const intel = createIntel({ now, agents, record: admin.record });
  /** @type {{method: string, path: string, query: Record<string, string[]>, body: unknown}[]} */
  const requests = [];
  let agentListings = 0;

  const api = async (req, res, url) => {
    const path = url.pathname.slice('/api/v1'.length);
    const query = url.searchParams;
    const json = isJSON(req);
    const raw = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method) ? await readBody(req, json ? {} : { stallMs: opts.uploadStallMs, delayMs: opts.uploadDelayMs }) : Buffer.alloc(0);
    let body;
    if (json) {
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        return fail(res, 400, 'bad_request', 'body is not JSON');
      }
    } else {
      // Uploads are recorded by their size, and text by its text.
      body = (req.headers['content-type'] ?? '').startsWith('text/') ? raw.toString('utf8') : { bytes: raw.length };
    }
    const q = {};
    for (const k of new Set(query.keys())) q[k] = query.getAll(k);
    requests.push({ method: req.method, path, query: q, body });

    if (req.method === 'POST' && path === '/login') {
      const user = admin.login(body?.username, body?.password);
      if (user) {
        const token = `sess-${tokens.size}`;
        const who = { name: user.name, role: user.role, kind: 'session' };
        tokens.set(token, who);
        admin.record(who, 'login', '', 'ok');
        return send(res, 200, { token, expires_at: new Date(Date.now() + 12 * 3600_000).toISOString(), user });
      }
      return fail(res, 401, 'unauthorized', 'invalid username or password');
    }
    const auth = req.headers.authorization ?? '';
    const who = tokens.get(auth.replace(/^Bearer /, ''));
    if (!who) return fail(res, 401, 'unauthorized', 'missing or invalid token');

    let m;
    if (req.method === 'POST' && path === '/logout') {
      if (who.kind === 'api') return fail(res, 400, 'bad_request', 'API tokens are removed with DELETE /api-tokens/{id}');
      admin.record(who, 'logout', '', 'ok');
      tokens.delete(auth.replace(/^Bearer /, ''));
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && path === '/me') return send(res, 200, { name: who.name, role: who.role, kind: who.kind });
    if (admin.handle(req, res, { path, query, body, who })) {
      // Deleting an agent deletes its inventory and history.
      if (req.method === 'DELETE' && res.statusCode < 300 && (m = path.match(/^\/agents\/([^/]+)$/))) {
        inventory.forget(decodeURIComponent(m[1]));
        compliance.forget(decodeURIComponent(m[1]));
        intel.forget(decodeURIComponent(m[1]));
      }
      return;
    }
    if (notify.handle(req, res, { path, body, who })) return;
    if (intel.handle(req, res, { path, query, body, raw, who })) return;
    if (inventory.handle(req, res, { path, query })) return;
    if (risk.handle(req, res, { path, query, raw, who })) return;
    if (compliance.handle(req, res, { path, query, raw, body, who })) return;
    if (req.method === 'GET' && path === '/agents') {
      agentListings++;
      const live = agents.find((a) => a.id === liveAgent.id);
      if (live && agentListings > liveAgent.after && live.status === 'online') {
        Object.assign(live, { status: liveAgent.to, status_reason: liveAgent.reason, status_changed_at: new Date().toISOString() });
      }
      for (const a of agents) if (a.status === 'online') a.last_seen = new Date().toISOString();
      const status = query.get('status') ?? '';
      const labels = query.getAll('label');
      const text = (query.get('q') ?? '').toLowerCase();
      const items = agents.filter(
        (a) =>
          (!status || a.status === status) &&
          labels.every((l) => {
            const [k, v] = l.split('=');
            return a.labels?.[k] === v;
          }) &&
          (!text || [a.hostname, a.id, ...a.ips].some((s) => s.toLowerCase().includes(text))),
      );
      return send(res, 200, page(items, query));
    }
    if (req.method === 'POST' && path === '/agents/commands') {
      const name = body?.command;
      const needs = commandRoles[name];
      if (!needs) return fail(res, 400, 'bad_request', `unknown command "${name}"`);
      if (!allowed(who.role, needs)) {
        admin.record(who, `command.${name}`, '', 'denied', { status: 403 });
        return fail(res, 403, 'forbidden', `role ${who.role} may not do this (needs ${needs})`);
      }
      const ids = body.agent_ids ?? [];
      const selector = body.selector ?? {};
      if (ids.length === 0 && Object.keys(selector).length === 0) return fail(res, 400, 'bad_request', 'agent_ids or selector: at least one is required');
      const problem = labelsProblem('selector', selector);
      if (problem) return fail(res, 400, 'bad_request', problem);
      if (name === 'collect' && !body.args?.name) return fail(res, 400, 'bad_request', 'collect: args.name is required');
      const targets = new Set(ids);
      if (Object.keys(selector).length > 0) {
        const matched = agents.filter((a) => Object.entries(selector).every(([k, v]) => a.labels?.[k] === v));
        if (matched.length === 0) return fail(res, 404, 'not_found', 'no agent matches the selector');
        for (const a of matched) targets.add(a.id);
      }
      const results = [...targets].map((id) => {
        const a = agents.find((x) => x.id === id);
        if (!a || a.status !== 'online') return { agent_id: id, hostname: a?.hostname, ok: false, error: 'agent offline', duration_ms: 0 };
        return { agent_id: id, hostname: a.hostname, ok: true, output: commandOutput(name, body.args ?? {}, a, now, compliance), duration_ms: 14 };
      });
      const ok = results.filter((r) => r.ok).length;
      admin.record(who, `command.${name}`, `agents=${[...targets].join(',')}`, 'ok', { agents: results.length, ok, failed: results.length - ok, timeout: body.timeout || '10s' });
      return send(res, 200, { id: `cmd-${requests.length}`, command: name, results });
    }
    if ((m = path.match(/^\/agents\/([^/]+)\/history$/))) {
      const id = decodeURIComponent(m[1]);
      if (!agents.some((a) => a.id === id)) return fail(res, 404, 'not_found', `agent ${id} not found`);
      return send(res, 200, { items: history.map((h) => ({ ...h, agent_id: id })), next_cursor: '' });
    }
    if ((m = path.match(/^\/agents\/([^/]+)$/))) {
      const a = agents.find((x) => x.id === decodeURIComponent(m[1]));
      return a ? send(res, 200, a) : fail(res, 404, 'not_found', `agent ${m[1]} not found`);
    }
    if (req.method === 'GET' && path === '/alerts') {
      const technique = (query.get('technique') ?? '').toUpperCase();
      const since = query.get('since');
      const items = alerts.filter(
        (a) =>
          ['state', 'severity', 'agent_id', 'rule_id', 'incident_id'].every((k) => !query.get(k) || a[k] === query.get(k)) &&
          (!technique || (a.techniques ?? []).some((t) => t === technique || t.startsWith(technique + '.'))) &&
          (!since || a.created_at >= since),
      );
      return send(res, 200, page(items, query));
    }
    if ((m = path.match(/^\/alerts\/([^/]+)\/state$/)) && req.method === 'POST') {
      if (!allowed(who.role, 'analyst')) {
        admin.record(who, 'alert.state', m[1], 'denied', { status: 403 });
        return fail(res, 403, 'forbidden', `role ${who.role} may not do this (needs analyst)`);
      }
      const a = alerts.find((x) => x.id === decodeURIComponent(m[1]));
      if (!a) return fail(res, 404, 'not_found', `alert ${m[1]} not found`);
      if (!['new', 'acknowledged', 'resolved', 'false_positive'].includes(body?.state)) {
        return fail(res, 400, 'bad_request', `invalid state "${body?.state}"`);
      }
      const at = new Date().toISOString();
      a.state = body.state;
      a.updated_at = at;
      a.comments = [...(a.comments ?? []), { at, author: who.name, state: body.state, text: body.comment ?? '' }];
      admin.record(who, 'alert.state', a.id, 'ok', { state: body.state });
      return send(res, 200, a);
    }
    if ((m = path.match(/^\/alerts\/([^/]+)$/))) {
      const a = alerts.find((x) => x.id === decodeURIComponent(m[1]));
      return a ? send(res, 200, a) : fail(res, 404, 'not_found', `alert ${m[1]} not found`);
    }
    if (req.method === 'GET' && path === '/events') {
      const since = query.get('since') ? Date.parse(query.get('since')) : -Infinity;
      const until = query.get('until') ? Date.parse(query.get('until')) : Infinity;
      if (Number.isNaN(since) || Number.isNaN(until)) return fail(res, 400, 'bad_request', 'since and until must be RFC 3339');
      if (!['', 'asc', 'desc'].includes(query.get('order') ?? '')) return fail(res, 400, 'bad_request', `order "${query.get('order')}": want asc or desc`);
      if (query.get('cursor') && !/^\d+$/.test(query.get('cursor'))) return fail(res, 400, 'bad_request', 'invalid cursor');
      const text = (query.get('q') ?? '').toLowerCase();
      const items = events.filter(({ doc: e }) => {
        const t = Date.parse(e['@timestamp']);
        return (
          (!query.get('agent_id') || e.agent.id === query.get('agent_id')) &&
          (!query.get('category') || e.event.category === query.get('category')) &&
          (!query.get('action') || e.event.action === query.get('action')) &&
          t >= since &&
          t < until &&
          (!text || JSON.stringify(e).toLowerCase().includes(text))
        );
      });
      return send(res, 200, eventsPage(items, query));
    }
    if (detection.handle(req, res, { path, query, body, who })) return;
    return fail(res, 404, 'not_found', `no route ${req.method} ${path}`);
  };

  const files = (req, res, url) => {
    const headers = {
      'Content-Security-Policy': csp,
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    };
    let rel;
    try {
      rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    } catch {
      res.writeHead(400, { ...headers, 'Content-Type': 'text/plain' }).end('bad path');
      return;
    }
    let file = join(dist, rel);
    const isAsset = rel.startsWith('assets/') || /\.[a-z0-9]+$/i.test(rel);
    if (!rel || !file.startsWith(dist) || !existsSync(file) || rel.split('/').some((s) => s.startsWith('.'))) {
      if (isAsset && rel) {
        res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      file = join(dist, 'index.html');
    }
    if (!existsSync(file)) {
      res.writeHead(503, { ...headers, 'Content-Type': 'text/plain' }).end('console not built: run make build\n');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/api/v1/') || url.pathname === '/api/v1') {
      api(req, res, url).catch((err) => fail(res, 500, 'internal', String(err)));
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      files(req, res, url);
    } else {
      fail(res, 405, 'bad_request', 'method not allowed');
    }
  });
  await new Promise((ok) => server.listen(opts.port ?? 0, '127.0.0.1', ok));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    admin: admin.state,
    inventory: inventory.state,
    detection: detection.state,
    risk: risk.state,
    compliance: compliance.state,
    notify: notify.state,
    intel: intel.state,
    /** addEvent stores an event as if an agent had just sent it. */
    addEvent: (doc) => events.unshift({ seq: (events[0]?.seq ?? 0) + 1, doc }),
    close: () => new Promise((ok) => server.close(() => ok(undefined))),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srv = await startFakeServer({ port: Number(process.env.PORT || 8099) });
  console.log(`fake center on ${srv.url} (user ${fakeUser.username} / ${fakeUser.password}, token ${fakeToken})`);
}
