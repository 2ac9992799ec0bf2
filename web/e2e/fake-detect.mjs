// The fake API's detection routes: incidents (state moves, assignee,
// comments, alerts, the timeline rebuilt from the fixture events as the
// center builds it), rules (the shipped ones of fixtures-rules.mjs and the
// imported files, with the center's filters and settings), rule problems,
// imports checked with the center's messages for the problems a small
// reader of Sigma YAML can see, imported files, exceptions and the ATT&CK
// coverage. Roles are enforced as the center does (403 audited as denied)
// and changes are written to the audit log.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { actorOf, allowed, durationMs, fail, nameProblem, noContent, page, send } from './fake-http.mjs';
import { loadAttack, matrix } from './fake-attack.mjs';
import { makeDetection } from './fixtures-detect.mjs';
import { builtinRules } from './fixtures-rules.mjs';

const rulePack = new URL('../../rules/', import.meta.url);
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const levels = ['informational', 'low', 'medium', 'high', 'critical'];
const severities = ['low', 'medium', 'high', 'critical'];
const incidentMoves = {
  open: ['investigating', 'resolved', 'false_positive'],
  investigating: ['resolved', 'false_positive', 'open'],
  resolved: ['open'],
  false_positive: ['open'],
};
const modifiers = ['all', 'base64', 'base64offset', 'cased', 'cidr', 'contains', 'day', 'endswith', 'exists', 'expand', 'fieldref', 'gt', 'gte', 'hour', 'i', 'lt', 'lte', 'm', 'minute', 'month', 'neq', 're', 's', 'startswith', 'utf16', 'utf16be', 'utf16le', 'week', 'wide', 'windash', 'year'];
const rank = { low: 0, medium: 1, high: 2, critical: 3 };

/** severityOf is the alert severity of a level: informational and low are low. */
const severityOf = (level) => (['critical', 'high', 'medium'].includes(level) ? level : 'low');

/** techniquesOf reads the ATT&CK ids of attack.tNNNN tags. */
function techniquesOf(tags) {
  const out = [];
  for (const t of tags ?? []) {
    const m = /^attack\.(t\d{4}(\.\d{3})?)$/i.exec(t);
    if (m && !out.includes(m[1].toUpperCase())) out.push(m[1].toUpperCase());
  }
  return out;
}

/** unquote strips YAML quotes from a scalar. */
function unquote(v) {
  const s = v.trim();
  if ((s.startsWith("'") && s.endsWith("'")) || (s.startsWith('"') && s.endsWith('"'))) return s.slice(1, -1);
  return s;
}

/**
 * readDoc reads what the fake needs of one Sigma document: top-level
 * scalars (with | blocks), lists and the log source, where detection,
 * condition and correlation are, and the detection's field modifiers.
 * first is the document's first line in its file.
 */
function readDoc(lines, first) {
  const doc = { scalars: {}, lists: {}, logsource: {}, at: {}, mods: [] };
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const no = first + i;
    if (/^\s*(#|$)/.test(line)) continue;
    if (line.includes('\t')) return { ...doc, yamlError: { line: no, reason: 'invalid YAML: found character that cannot start any token' } };
    const top = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (top) {
      const [, key, rest] = top;
      section = key;
      doc.at[key] = no;
      if (rest === '|' || rest === '>') {
        const block = [];
        while (i + 1 < lines.length && (/^\s+\S/.test(lines[i + 1]) || lines[i + 1] === '')) block.push(lines[++i].trim());
        doc.scalars[key] = `${block.join(rest === '|' ? '\n' : ' ').trim()}\n`;
      } else if (rest !== '') doc.scalars[key] = unquote(rest);
      continue;
    }
    const item = /^\s+-\s+(.*)$/.exec(line);
    if (item && ['tags', 'falsepositives', 'references'].includes(section)) {
      (doc.lists[section] ??= []).push(unquote(item[1]));
      continue;
    }
    const sub = /^\s+([^\s:][^:]*):\s*(.*)$/.exec(line);
    if (sub && section === 'logsource') doc.logsource[sub[1]] = unquote(sub[2]);
    if (sub && section === 'detection') {
      if (sub[1] === 'condition') doc.at.condition = no;
      const parts = sub[1].split('|');
      for (const mod of parts.slice(1)) if (!modifiers.includes(mod)) doc.mods.push({ line: no, field: sub[1], mod });
    }
  }
  return doc;
}

/** splitDocs cuts a YAML file at its --- lines: each document's lines and first line number. */
function splitDocs(content) {
  const lines = content.replace(/\r\n/g, '\n').split('\n');
  const docs = [];
  let cur = [];
  let first = 1;
  lines.forEach((l, i) => {
    if (/^---\s*$/.test(l)) {
      docs.push({ lines: cur, first });
      cur = [];
      first = i + 2;
    } else cur.push(l);
  });
  docs.push({ lines: cur, first });
  return docs.filter((d) => d.lines.some((l) => l.trim() !== ''));
}

/**
 * loadFile reads the rules of an imported file; an id already taken
 * (by a rule loaded before) or a document in error is a problem.
 */
function loadFile(name, content, taken) {
  const rules = [];
  const problems = [];
  for (const { lines, first } of splitDocs(content)) {
    const d = readDoc(lines, first);
    const id = d.scalars.id ?? '';
    const title = d.scalars.title ?? '';
    const problem = (line, reason) => problems.push({ source: 'imported', file: name, line, ...(id && !d.yamlError ? { rule_id: id } : {}), ...(title && !d.yamlError ? { title } : {}), reason });
    if (d.yamlError) {
      problem(d.yamlError.line, d.yamlError.reason);
      continue;
    }
    if (!title) problem(first, 'title is missing');
    else if (!d.at.detection && !d.at.correlation) problem(first, 'document has no detection, correlation or filter section');
    else if (d.at.detection && !d.at.condition) problem(d.at.detection, 'detection has no condition');
    else if (d.mods.length > 0) problem(d.mods[0].line, `${d.mods[0].field}: unknown modifier "${d.mods[0].mod}" (known: ${modifiers.join(', ')})`);
    else if (d.scalars.level && !levels.includes(d.scalars.level)) problem(d.at.level, `unknown level "${d.scalars.level}" (${levels.join(', ')})`);
    else if (id && taken.has(id)) problem(first, `id "${id}" is already used by the document at ${taken.get(id)}`);
    else {
      if (id) taken.set(id, `${name}:${first}:1`);
      rules.push({
        id,
        title,
        ...(d.scalars.name ? { name: d.scalars.name } : {}),
        ...(d.scalars.description ? { description: d.scalars.description } : {}),
        kind: d.at.correlation ? 'correlation' : 'detection',
        level: d.scalars.level || 'medium',
        ...(d.scalars.status ? { status: d.scalars.status } : {}),
        ...(d.scalars.author ? { author: d.scalars.author } : {}),
        source: 'imported',
        file: name,
        line: first,
        tags: d.lists.tags ?? [],
        falsepositives: d.lists.falsepositives ?? [],
        references: d.lists.references ?? [],
        logsource: d.logsource,
      });
    }
  }
  return { rules, problems };
}

/** checkFileName refuses what the center refuses in an imported file's name; '' when fine. */
function checkFileName(name) {
  if (typeof name !== 'string' || name === '' || Buffer.byteLength(name) > 255) return `file name "${name}": want 1 to 255 bytes`;
  if (name.startsWith('/')) return `file name "${name}": want a relative path`;
  const parts = name.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return `file name "${name}": want a clean relative path without '.', '..' or empty parts`;
  if (parts.some((p) => p.startsWith('.'))) return `file name "${name}": parts may not start with '.'`;
  if (parts.some((p) => !/^[A-Za-z0-9._+-]+$/.test(p))) return `file name "${name}": want letters, digits, '.', '_', '-', '+' and '/'`;
  const lower = name.toLowerCase();
  if (lower.endsWith('.test.yml')) return `file name "${name}": rule tests are not imported`;
  if (!lower.endsWith('.yml') && !lower.endsWith('.yaml')) return `file name "${name}": want a .yml or .yaml file`;
  return '';
}

// ---- the timeline, built as the center builds it ----

const str = (v) => (v === undefined || v === null ? '' : String(v));
const get = (doc, path) => path.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), doc);

/** summary is one line saying what an event is. */
function summary(e) {
  const action = str(get(e, 'event.action'));
  switch (str(get(e, 'event.category'))) {
    case 'process':
      return `${action} ${str(get(e, 'process.command_line')) || str(get(e, 'process.executable'))} (pid ${str(get(e, 'process.pid'))}, ${str(get(e, 'user.name'))})`;
    case 'network':
      return `${action} ${str(get(e, 'process.name'))} ${str(get(e, 'source.ip'))}:${str(get(e, 'source.port'))} -> ${str(get(e, 'destination.ip'))}:${str(get(e, 'destination.port'))}`;
    case 'file':
      return `${action} ${str(get(e, 'file.path'))} by ${str(get(e, 'process.executable'))}`;
    case 'authentication':
    case 'session': {
      const ip = str(get(e, 'source.ip'));
      return `${action} ${str(get(e, 'user.name'))}${ip ? ` from ${ip}` : ''}`;
    }
  }
  return str(get(e, 'message')) || action;
}

/** processTree makes the trees of the processes the events name, from their parent links. */
function processTree(evs, alertOf) {
  const nodes = new Map();
  const parent = new Map();
  for (const e of evs) {
    const id = str(get(e, 'process.entity_id'));
    if (!id) continue;
    let n = nodes.get(id);
    if (!n) {
      n = { entity_id: id, agent_id: e.agent.id, events: 0 };
      nodes.set(id, n);
    }
    n.events++;
    const isExec = get(e, 'event.category') === 'process' && get(e, 'event.action') === 'exec';
    const set = (k, v) => {
      if (v && (!n[k] || isExec)) n[k] = v;
    };
    set('executable', str(get(e, 'process.executable')));
    set('command_line', str(get(e, 'process.command_line')));
    set('user', str(get(e, 'user.name')));
    set('start', str(get(e, 'process.start')));
    if (!n.pid && get(e, 'process.pid')) n.pid = Number(get(e, 'process.pid'));
    for (const a of alertOf.get(e.event.id) ?? []) if (!(n.alert_ids ??= []).includes(a)) n.alert_ids.push(a);
    const p = str(get(e, 'process.parent.entity_id'));
    if (p) parent.set(id, p);
  }
  const roots = [];
  for (const [id, n] of nodes) {
    const p = nodes.get(parent.get(id));
    if (p && p !== n) (p.children ??= []).push(n);
    else roots.push(n);
  }
  return roots;
}

function peers(evs) {
  const byIP = new Map();
  for (const e of evs) {
    if (get(e, 'event.category') !== 'network') continue;
    const dir = str(get(e, 'network.direction'));
    const side = dir === 'inbound' || dir === 'ingress' ? 'source' : 'destination';
    const ip = str(get(e, `${side}.ip`));
    if (!ip) continue;
    let p = byIP.get(ip);
    if (!p) {
      p = { ip, ports: [], direction: dir || undefined, count: 0, first: e['@timestamp'], last: e['@timestamp'], processes: [] };
      byIP.set(ip, p);
    }
    p.count++;
    p.last = e['@timestamp'];
    const port = Number(get(e, `${side}.port`));
    if (port > 0 && !p.ports.includes(port)) p.ports.push(port);
    const exe = str(get(e, 'process.executable'));
    if (exe && !p.processes.includes(exe)) p.processes.push(exe);
  }
  return [...byIP.values()].map((p) => ({ ...p, ports: p.ports.sort((a, b) => a - b) })).sort((a, b) => b.count - a.count);
}

function files(evs) {
  const byPath = new Map();
  for (const e of evs) {
    const path = str(get(e, 'file.path'));
    if (!path || get(e, 'event.category') !== 'file') continue;
    const key = `${e.agent.id}:${path}`;
    let f = byPath.get(key);
    if (!f) {
      f = { agent_id: e.agent.id, path, actions: [], count: 0, processes: [] };
      byPath.set(key, f);
    }
    f.count++;
    const a = str(get(e, 'event.action'));
    if (a && !f.actions.includes(a)) f.actions.push(a);
    const exe = str(get(e, 'process.executable'));
    if (exe && !f.processes.includes(exe)) f.processes.push(exe);
  }
  return [...byPath.values()];
}

/**
 * createDetection keeps the detection state of one fake center.
 * @param {{ now: number, agents: any[], record: (who: any, action: string, target: string, result: string, detail?: object) => void }} opts
 */
export function createDetection({ now, agents, record }) {
  const fixture = makeDetection(now);
  const alerts = fixture.alerts;
  const incidents = fixture.incidents;
  const exceptions = fixture.exceptions;
  /** Imported files by name, with their content. */
  const ruleFiles = new Map(fixture.ruleFiles.map((f) => [f.name, f]));
  /** Settings by rule id. */
  const settings = new Map();
  const attack = loadAttack();
  let nextException = 4;

  /** ruleSet loads the shipped rules and the imported files (by name), as the center does. */
  const ruleSet = (files = ruleFiles) => {
    const taken = new Map();
    const rules = [];
    const problems = [];
    for (const r of builtinRules) {
      taken.set(r.id, `${r.file}:${r.line}:1`);
      rules.push({ ...r, source: 'builtin' });
    }
    for (const name of [...files.keys()].sort()) {
      const loaded = loadFile(name, files.get(name).content, taken);
      rules.push(...loaded.rules);
      problems.push(...loaded.problems);
    }
    return { rules, problems };
  };
  /** view is a rule as the API shows it, with its setting applied. */
  const view = (r) => {
    const s = settings.get(r.id);
    return {
      ...r,
      techniques: techniquesOf(r.tags),
      tags: r.tags ?? [],
      falsepositives: r.falsepositives ?? [],
      references: r.references ?? [],
      logsource: r.logsource ?? {},
      disabled: s?.disabled ?? false,
      alerts: r.alerts ?? r.level !== 'informational',
      correlated: r.correlated ?? false,
      severity: s?.severity || severityOf(r.level),
      ...(s ? { setting: s } : {}),
    };
  };
  const findRule = (id) => ruleSet().rules.find((r) => r.id === id);

  /** incidentView is an incident with what its alerts give it. */
  const incidentView = (inc) => {
    const list = alerts.filter((a) => a.incident_id === inc.id).sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    const hosts = [];
    const techniques = [];
    const rules = [];
    let severity = 'low';
    for (const a of list) {
      if (!hosts.includes(a.agent_id)) hosts.push(a.agent_id);
      for (const t of a.techniques ?? []) if (!techniques.includes(t)) techniques.push(t);
      if (!rules.includes(a.rule_id)) rules.push(a.rule_id);
      if (rank[a.severity] > rank[severity]) severity = a.severity;
    }
    const first = list.length ? Math.min(...list.map((a) => Date.parse(a.created_at))) : Date.parse(inc.created_at);
    const last = list.length ? Math.max(...list.map((a) => Date.parse(a.last_seen))) : Date.parse(inc.created_at);
    return {
      id: inc.id,
      title: inc.title,
      severity,
      state: inc.state,
      agent_ids: hosts,
      hostnames: hosts.map((h) => fixture.hostnames[h] ?? agents.find((x) => x.id === h)?.hostname ?? ''),
      techniques,
      rule_ids: rules,
      entities: inc.entities,
      alert_count: list.length,
      ...(inc.assignee ? { assignee: inc.assignee } : {}),
      first_seen: iso(first),
      last_seen: iso(last),
      created_at: inc.created_at,
      updated_at: inc.updated_at ?? inc.created_at,
      ...(inc.comments.length ? { comments: inc.comments } : {}),
    };
  };

  /** timeline rebuilds what happened around an incident from its events within the span. */
  const timeline = (inc, before, after) => {
    const v = incidentView(inc);
    const since = Date.parse(v.first_seen) - before;
    const until = Date.parse(v.last_seen) + after;
    const list = alerts.filter((a) => a.incident_id === inc.id).sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    const alertOf = new Map();
    const techniques = new Map();
    for (const a of list) {
      for (const id of a.event_ids ?? []) alertOf.set(id, [...(alertOf.get(id) ?? []), a.id]);
      for (const t of a.techniques ?? []) techniques.set(t, (techniques.get(t) ?? 0) + 1);
    }
    const evs = (fixture.events[inc.id] ?? [])
      .filter((e) => {
        const t = Date.parse(e['@timestamp']);
        return t >= since && t < until;
      })
      .sort((a, b) => Date.parse(a['@timestamp']) - Date.parse(b['@timestamp']));
    return {
      incident: v,
      alerts: list,
      entries: evs.map((e) => ({
        time: e['@timestamp'],
        agent_id: e.agent.id,
        hostname: e.host?.name,
        category: str(get(e, 'event.category')),
        action: str(get(e, 'event.action')),
        summary: summary(e),
        event_id: e.event.id,
        event: e,
        ...(alertOf.has(e.event.id) ? { alert_ids: alertOf.get(e.event.id) } : {}),
      })),
      processes: evs.some((e) => get(e, 'process.entity_id')) ? processTree(evs, alertOf) : null,
      peers: peers(evs),
      files: files(evs),
      techniques: techniques.size ? [...techniques].map(([id, n]) => ({ id, alerts: n })).sort((a, b) => (a.id < b.id ? -1 : 1)) : null,
      truncated: false,
      since: iso(since),
      until: iso(until),
    };
  };

  /** need answers 403 (and audits it) unless who has the role. */
  const need = (res, who, role, action, target) => {
    if (allowed(who.role, role)) return true;
    record(who, action, target, 'denied', { status: 403 });
    fail(res, 403, 'forbidden', `role ${who.role} may not do this (needs ${role})`);
    return false;
  };
  const bad = (res, who, action, target, message) => {
    if (who) record(who, action, target, 'error', { status: 400, message });
    fail(res, 400, 'bad_request', message);
    return true;
  };

  /** checkException checks an exception's body as the center does; '' when fine. */
  const checkException = (b) => {
    if (!b || typeof b !== 'object') return 'body: want an object';
    for (const k of Object.keys(b)) if (!['rule_id', 'agent_id', 'match', 'reason', 'expires_at'].includes(k)) return `json: unknown field "${k}"`;
    if (b.rule_id && !findRule(b.rule_id)) return `rule_id "${b.rule_id}": no such rule is loaded`;
    if (b.agent_id && !/^[A-Za-z0-9-]{1,64}$/.test(b.agent_id)) return `agent_id "${b.agent_id}": not an agent id`;
    const match = b.match ?? {};
    if (typeof match !== 'object' || Array.isArray(match)) return 'match: want an object of field -> patterns';
    const fields = Object.keys(match).sort();
    if (fields.length === 0 && !b.rule_id && !b.agent_id) return 'match: at least one field, unless rule_id or agent_id narrows the exception';
    if (fields.length > 32) return 'match: at most 32 fields';
    for (const f of fields) {
      const parts = f.split('.');
      if (f.length > 128 || parts.length > 10 || !parts.every((p, i) => /^[A-Za-z0-9_-]+$/.test(i === 0 ? p.replace(/^@/, '') : p))) {
        return `match: field "${f}": want a dotted ECS field such as process.executable (at most 128 bytes)`;
      }
      const ps = match[f];
      if (!Array.isArray(ps) || ps.length === 0 || ps.length > 64) return `match: field ${f}: want 1 to 64 patterns`;
      // eslint-disable-next-line no-control-regex
      if (ps.some((p) => typeof p !== 'string' || p === '' || Buffer.byteLength(p) > 1024 || /[\u0000-\u001f\u007f-\u009f]/.test(p))) {
        return `match: field ${f}: a pattern is empty, longer than 1024 bytes or not printable`;
      }
    }
    if (typeof b.reason !== 'string' || !b.reason.trim() || Buffer.byteLength(b.reason) > 4096) return 'reason: required, at most 4096 bytes of text';
    if (b.expires_at !== undefined) {
      const t = Date.parse(b.expires_at);
      if (Number.isNaN(t)) return `expires_at "${b.expires_at}": want RFC 3339`;
      if (t <= Date.now()) return `expires_at ${b.expires_at}: want a time in the future`;
    }
    return '';
  };

  /** handle answers the routes of this module; false when the route is another's. */
  const handle = (req, res, { path, query, body, who }) => {
    const m = req.method;
    let x;

    // ---- incidents ----
    if (m === 'GET' && path === '/incidents') {
      const state = query.get('state') ?? '';
      const severity = query.get('severity') ?? '';
      if (state && !incidentMoves[state]) return fail(res, 400, 'bad_request', `state "${state}": want open, investigating, resolved or false_positive`), true;
      if (severity && !severities.includes(severity)) return fail(res, 400, 'bad_request', `severity "${severity}": want low, medium, high or critical`), true;
      const agent = query.get('agent_id') ?? '';
      const items = incidents
        .map(incidentView)
        .filter((i) => (!state || i.state === state) && (!severity || i.severity === severity) && (!agent || i.agent_ids.includes(agent)))
        .sort((a, b) => Date.parse(b.last_seen) - Date.parse(a.last_seen) || (a.id < b.id ? 1 : -1));
      return send(res, 200, page(items, query)), true;
    }
    if ((x = path.match(/^\/incidents\/([^/]+)(\/(state|alerts|timeline))?$/))) {
      const id = decodeURIComponent(x[1]);
      const inc = incidents.find((i) => i.id === id);
      const what = x[3] ?? '';
      if (what === 'state' && m === 'POST') {
        if (!need(res, who, 'analyst', 'incident.state', id)) return true;
        if (!inc) return fail(res, 404, 'not_found', `incident ${id} not found`), true;
        const to = body?.state || inc.state;
        if (body?.state && !incidentMoves[body.state]) return bad(res, who, 'incident.state', id, `state "${body.state}": want open, investigating, resolved or false_positive`);
        if (body?.assignee) {
          const p = nameProblem('assignee', body.assignee);
          if (p) return bad(res, who, 'incident.state', id, p);
        }
        if (!body?.state && !body?.assignee && !body?.comment) return bad(res, who, 'incident.state', id, 'state, assignee or comment: at least one is required');
        if (typeof body.comment === 'string' && Buffer.byteLength(body.comment) > 4096) return bad(res, who, 'incident.state', id, 'comment: at most 4096 bytes of text');
        if ((to !== inc.state && !incidentMoves[inc.state].includes(to)) || (to === inc.state && !body.assignee && !body.comment)) {
          record(who, 'incident.state', id, 'error', { status: 409 });
          return fail(res, 409, 'conflict', `incident ${id} is ${inc.state} and cannot become ${to}`), true;
        }
        const at = iso(Date.now());
        inc.state = to;
        if (body.assignee) inc.assignee = body.assignee;
        inc.updated_at = at;
        inc.comments.push({ at, author: actorOf(who), state: to, text: body.comment ?? '' });
        record(who, 'incident.state', id, 'ok', { to, ...(body.assignee ? { assignee: body.assignee } : {}), ...(body.comment ? { comment: body.comment } : {}) });
        return send(res, 200, incidentView(inc)), true;
      }
      if (m !== 'GET') return false;
      if (!inc) return fail(res, 404, 'not_found', `incident ${id} not found`), true;
      if (what === '') return send(res, 200, incidentView(inc)), true;
      if (what === 'alerts') {
        const list = alerts.filter((a) => a.incident_id === id).sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
        return send(res, 200, page(list, query)), true;
      }
      const span = (k) => {
        const v = query.get(k);
        if (!v) return 30 * 60_000;
        const ms = durationMs(v);
        return ms === null || ms < 1000 || ms > 24 * 3_600_000 ? null : ms;
      };
      const before = span('before');
      const after = span('after');
      if (before === null) return fail(res, 400, 'bad_request', `before "${query.get('before')}": want a duration from 1s to 24h0m0s`), true;
      if (after === null) return fail(res, 400, 'bad_request', `after "${query.get('after')}": want a duration from 1s to 24h0m0s`), true;
      return send(res, 200, timeline(inc, before, after)), true;
    }

    // ---- rules ----
    if (m === 'GET' && path === '/rules') {
      const f = Object.fromEntries(['q', 'kind', 'level', 'status', 'source', 'technique', 'disabled'].map((k) => [k, query.get(k) ?? '']));
      const allowedValues = { kind: ['detection', 'correlation'], level: levels, status: ['stable', 'test', 'experimental', 'deprecated', 'unsupported'], source: ['builtin', 'imported'], disabled: ['true', 'false'] };
      for (const [k, vals] of Object.entries(allowedValues)) if (f[k] && !vals.includes(f[k])) return fail(res, 400, 'bad_request', `${k} "${f[k]}": want ${vals.join(', ')}`), true;
      const tech = f.technique.toUpperCase();
      if (tech && !/^T\d{4}(\.\d{3})?$/.test(tech)) return fail(res, 400, 'bad_request', `technique "${f.technique}": want an ATT&CK id such as T1059 or T1059.004`), true;
      const q = f.q.toLowerCase();
      const items = ruleSet()
        .rules.map(view)
        .filter(
          (r) =>
            (!f.kind || r.kind === f.kind) &&
            (!f.level || r.level === f.level) &&
            (!f.status || r.status === f.status) &&
            (!f.source || r.source === f.source) &&
            (!f.disabled || String(r.disabled) === f.disabled) &&
            (!tech || r.techniques.some((t) => t === tech || t.startsWith(`${tech}.`))) &&
            (!q || [r.id, r.title, r.description ?? '', ...r.tags].some((s) => s.toLowerCase().includes(q))),
        );
      return send(res, 200, page(items, query)), true;
    }
    if (m === 'GET' && path === '/rules/problems') return send(res, 200, page(ruleSet().problems, query)), true;
    if (m === 'POST' && path === '/rules/import') {
      if (!need(res, who, 'responder', 'rule.import', '')) return true;
      const list = body?.files;
      if (!Array.isArray(list) || list.length === 0 || list.length > 1000) return bad(res, who, 'rule.import', '', 'files: want 1 to 1000 files');
      const seen = new Set();
      for (const f of list) {
        const p = checkFileName(f?.name);
        if (p) return bad(res, who, 'rule.import', '', p);
        if (seen.has(f.name)) return bad(res, who, 'rule.import', '', `file ${f.name}: given twice`);
        seen.add(f.name);
        if (typeof f.content !== 'string' || Buffer.byteLength(f.content) > 1 << 20) return bad(res, who, 'rule.import', '', `file ${f.name}: at most 1048576 bytes`);
      }
      // The new files are loaded with the rules in use, last.
      const trial = new Map([...ruleFiles].filter(([n]) => !seen.has(n)));
      const taken = new Map();
      for (const r of ruleSet(trial).rules) taken.set(r.id, `${r.file}:${r.line}:1`);
      const problems = [];
      const accepted = [];
      for (const f of [...list].sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const loaded = loadFile(f.name, f.content, taken);
        if (loaded.problems.length > 0) problems.push(...loaded.problems);
        else accepted.push({ ...f, rules: loaded.rules.length });
      }
      const names = list.map((f) => f.name);
      if (problems.length > 0 && !body.force) {
        record(who, 'rule.import', '', 'ok', { files: names, problems: problems.length, force: false, stored: 0 });
        const bad = new Set(problems.map((p) => p.file)).size;
        return send(res, 422, { error: { code: 'unprocessable', message: `${bad} of ${list.length} files have problems; nothing was imported (force imports the files that load)` }, problems }), true;
      }
      const at = iso(Date.now());
      const stored = accepted.map((f) => {
        const old = ruleFiles.get(f.name);
        ruleFiles.set(f.name, { name: f.name, content: f.content, author: actorOf(who), created_at: old?.created_at ?? at, updated_at: at });
        return { name: f.name, sha256: createHash('sha256').update(f.content).digest('hex'), created: !old, rules: f.rules };
      });
      const skipped = list.filter((f) => !accepted.some((a) => a.name === f.name)).map((f) => f.name);
      record(who, 'rule.import', '', 'ok', { files: names, problems: problems.length, force: !!body.force, stored: stored.length, skipped: skipped.length });
      return send(res, 200, { stored, skipped, problems }), true;
    }
    if ((x = path.match(/^\/rules\/([^/]+)(\/(source|setting))?$/))) {
      const id = decodeURIComponent(x[1]);
      const what = x[3] ?? '';
      const write = m === 'PUT' || m === 'DELETE';
      if (write && what === 'setting' && !need(res, who, 'responder', m === 'PUT' ? 'rule.setting' : 'rule.setting.delete', id)) return true;
      const r = findRule(id);
      if (!r) return fail(res, 404, 'not_found', `rule ${id} not found`), true;
      if (m === 'GET' && what === '') return send(res, 200, view(r)), true;
      if (m === 'GET' && what === 'source') {
        const text = r.source === 'builtin' ? readFileSync(new URL(r.file, rulePack), 'utf8') : ruleFiles.get(r.file)?.content ?? '';
        res.writeHead(200, { 'Content-Type': 'text/yaml; charset=utf-8' });
        res.end(text);
        return true;
      }
      if (m === 'PUT' && what === 'setting') {
        for (const k of Object.keys(body ?? {})) if (!['disabled', 'severity'].includes(k)) return bad(res, who, 'rule.setting', id, `json: unknown field "${k}"`);
        const sev = body?.severity ?? '';
        if (sev !== '' && !severities.includes(sev)) return bad(res, who, 'rule.setting', id, `severity "${sev}": want low, medium, high, critical or empty (the rule's level)`);
        const s = { rule_id: id, disabled: !!body?.disabled, author: actorOf(who), updated_at: iso(Date.now()) };
        if (sev) s.severity = sev;
        settings.set(id, s);
        record(who, 'rule.setting', id, 'ok', { title: r.title, disabled: s.disabled, severity: sev });
        return send(res, 200, view(r)), true;
      }
      if (m === 'DELETE' && what === 'setting') {
        if (!settings.delete(id)) return fail(res, 404, 'not_found', `setting of rule ${id} not found`), true;
        record(who, 'rule.setting.delete', id, 'ok', { title: r.title });
        return noContent(res), true;
      }
      return false;
    }
    if (m === 'GET' && path === '/rule-files') {
      const { rules, problems } = ruleSet();
      const items = [...ruleFiles.values()]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((f) => ({
          name: f.name,
          sha256: createHash('sha256').update(f.content).digest('hex'),
          size: Buffer.byteLength(f.content),
          author: f.author,
          created_at: f.created_at,
          updated_at: f.updated_at,
          rules: rules.filter((r) => r.source === 'imported' && r.file === f.name).length,
          problems: problems.filter((p) => p.file === f.name).length,
        }));
      return send(res, 200, page(items, query)), true;
    }
    if (m === 'DELETE' && path.startsWith('/rule-files/')) {
      const name = path.slice('/rule-files/'.length).split('/').map(decodeURIComponent).join('/');
      if (!need(res, who, 'responder', 'rulefile.delete', name)) return true;
      if (!ruleFiles.delete(name)) return fail(res, 404, 'not_found', `rule file ${name} not found`), true;
      record(who, 'rulefile.delete', name, 'ok');
      return noContent(res), true;
    }

    // ---- coverage ----
    if (m === 'GET' && path === '/attack/coverage') {
      const s = query.get('since');
      const since = s ? Date.parse(s) : Date.now() - 30 * 86_400_000;
      if (Number.isNaN(since)) return fail(res, 400, 'bad_request', `since "${s}": want RFC 3339`), true;
      const covered = {};
      let enabled = 0;
      for (const r of ruleSet().rules.map(view)) {
        if (r.disabled) continue;
        enabled++;
        for (const t of r.techniques) covered[t] = (covered[t] ?? 0) + 1;
      }
      const fired = {};
      let counted = 0;
      for (const a of alerts) {
        if (Date.parse(a.created_at) < since) continue;
        counted++;
        for (const t of a.techniques ?? []) fired[t] = (fired[t] ?? 0) + 1;
      }
      return send(res, 200, { ...matrix(attack, covered, fired), rules: enabled, since: iso(since), alerts: counted, truncated: false }), true;
    }

    // ---- exceptions ----
    if (path === '/exceptions' && m === 'GET') {
      const rule = query.get('rule_id') ?? '';
      const agent = query.get('agent_id') ?? '';
      const active = query.get('active') === 'true';
      const items = exceptions
        .filter((e) => (!rule || e.rule_id === rule) && (!agent || e.agent_id === agent) && (!active || !e.expires_at || Date.parse(e.expires_at) > Date.now()))
        .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
      return send(res, 200, page(items, query)), true;
    }
    if (path === '/exceptions' && m === 'POST') {
      if (!need(res, who, 'analyst', 'exception.create', '')) return true;
      const p = checkException(body);
      if (p) return bad(res, who, 'exception.create', '', p);
      const at = iso(Date.now());
      const e = { id: `ex-${String(nextException++).padStart(4, '0')}`, ...pick(body), author: actorOf(who), created_at: at, updated_at: at, hits: 0 };
      exceptions.push(e);
      record(who, 'exception.create', e.id, 'ok', { rule_id: e.rule_id ?? '', agent_id: e.agent_id ?? '', match: e.match, reason: e.reason });
      return send(res, 201, e), true;
    }
    if ((x = path.match(/^\/exceptions\/([^/]+)$/))) {
      const id = decodeURIComponent(x[1]);
      const action = { PUT: 'exception.update', DELETE: 'exception.delete' }[m];
      if (action && !need(res, who, 'analyst', action, id)) return true;
      const i = exceptions.findIndex((e) => e.id === id);
      if (i < 0) return fail(res, 404, 'not_found', `exception ${id} not found`), true;
      if (m === 'GET') return send(res, 200, exceptions[i]), true;
      if (m === 'PUT') {
        const p = checkException(body);
        if (p) return bad(res, who, action, id, p);
        const { rule_id: _r, agent_id: _a, expires_at: _x, ...kept } = exceptions[i];
        exceptions[i] = { ...kept, ...pick(body), updated_at: iso(Date.now()) };
        record(who, action, id, 'ok', { match: exceptions[i].match, reason: exceptions[i].reason });
        return send(res, 200, exceptions[i]), true;
      }
      if (m === 'DELETE') {
        exceptions.splice(i, 1);
        record(who, action, id, 'ok');
        return noContent(res), true;
      }
    }
    return false;
  };

  return { handle, alerts, state: { alerts, incidents, exceptions, ruleFiles, settings } };
}

/** pick keeps the fields of an exception's body that are set. */
function pick(b) {
  return {
    ...(b.rule_id ? { rule_id: b.rule_id } : {}),
    ...(b.agent_id ? { agent_id: b.agent_id } : {}),
    match: b.match ?? {},
    reason: b.reason,
    ...(b.expires_at ? { expires_at: iso(Date.parse(b.expires_at)) } : {}),
  };
}
