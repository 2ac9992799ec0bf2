// The fake API's compliance routes, answered as the center answers them:
// results with their filters (exceptions applied when read, texts from the
// catalogue), a host's summaries, the fleet's summaries and groups by a
// host label, checks by failing hosts, drift from the history of status
// changes, the score history (one entry per host, policy and day, made
// from the same history), the printable HTML report in English or
// Chinese, the catalogue with uploads (Vigil's format and Wazuh SCA files
// read well enough to report problems by line and untranslatable checks),
// deletions and assignments (admin), and exceptions (analyst). A run of
// the baseline collector (the collect command) re-evaluates a host: the
// next fix it waited for shows. Changes are audited.
import { actorOf, allowed, fail, labelsProblem, noContent, send } from './fake-http.mjs';
import { fixesAtNextRuns, makeAssignments, makeCatalogue, makeExceptions, makeResults } from './fixtures-compliance.mjs';

const statuses = ['pass', 'fail', 'error', 'not_applicable', 'excepted'];
const severities = ['low', 'medium', 'high', 'critical'];
const configFormats = ['sshd', 'keyvalue', 'sysctl', 'pam', 'ini'];
const maxQueryLen = 256;
const maxTextLen = 4096;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const dayOf = (at) => at.slice(0, 10);
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** emptyCounts are counts of nothing. */
const emptyCounts = () => ({ pass: 0, fail: 0, error: 0, not_applicable: 0, excepted: 0, total: 0 });
/** score is passed / (passed + failed) in percent, null with neither. */
const score = (c) => (c.pass + c.fail > 0 ? (c.pass * 100) / (c.pass + c.fail) : null);
const count = (c, status) => {
  c.total++;
  c[statuses.includes(status) ? status : 'error']++;
};
/** page cuts a listing by limit and an offset cursor, checking both as the center does; it answers 400 and returns null for a bad one. */
function pageOf(res, items, query) {
  const limit = query.get('limit') ?? '';
  if (limit && (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000)) return fail(res, 400, 'bad_request', `limit "${limit}": want 1 to 1000`), null;
  const n = Number(limit || 100);
  const offset = Number(query.get('cursor') || 0);
  if (!Number.isInteger(offset) || offset < 0) return fail(res, 400, 'bad_request', 'invalid cursor'), null;
  const slice = items.slice(offset, offset + n);
  return { items: slice, next_cursor: offset + n < items.length ? String(offset + n) : '' };
}
/** timeOf reads an optional RFC 3339 parameter; it answers 400 and returns NaN for a bad one. */
function timeOf(res, query, name) {
  const v = query.get(name);
  if (!v) return null;
  const t = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) fail(res, 400, 'bad_request', `${name} "${v}": want an RFC 3339 time such as 2025-01-02T15:04:05Z`);
  return t;
}
const escapeHTML = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]);

/**
 * createCompliance keeps the compliance state of one fake center.
 * @param {{ now: number, agents: any[], record: (who: any, action: string, target: string, result: string, detail?: any) => void }} opts
 */
export function createCompliance({ now, agents, record }) {
  const catalogue = makeCatalogue(now);
  const assignments = makeAssignments(now);
  const exceptions = makeExceptions(now);
  const made = makeResults(now);
  const results = made.results;
  const changes = made.changes;
  let nextException = exceptions.length + 1;
  const hostname = (id) => agents.find((a) => a.id === id)?.hostname ?? '';
  const policyOf = (id) => catalogue.find((p) => p.id === id);
  const checkOf = (pid, cid) => policyOf(pid)?.items.find((c) => c.id === cid);

  const need = (res, who, role, action, target) => {
    if (allowed(who.role, role)) return true;
    record(who, action, target, 'denied', { status: 403 });
    fail(res, 403, 'forbidden', `role ${who.role} may not do this (needs ${role})`);
    return false;
  };

  /** inForce lists the exceptions that apply at time t. */
  const inForce = (t = Date.now()) => exceptions.filter((e) => !e.expires_at || Date.parse(e.expires_at) > t);
  /** view is a result as the API shows it: the exception applied, hostname and texts added. */
  const view = (r, exs = inForce()) => {
    const out = { ...r, hostname: hostname(r.agent_id) };
    if (r.status === 'fail') {
      const e = exs.find((x) => x.policy_id === r.policy_id && (!x.check_id || x.check_id === r.check_id) && (!x.agent_id || x.agent_id === r.agent_id));
      if (e) Object.assign(out, { status: 'excepted', exception: e });
    }
    const c = checkOf(r.policy_id, r.check_id);
    if (c) out.check = { title: c.title, ...(c.description ? { description: c.description } : {}), rationale: c.rationale, remediation: c.remediation, severity: c.severity, ...(c.profiles ? { profiles: c.profiles } : {}), ...(c.references ? { references: c.references } : {}) };
    return out;
  };
  /** summaries counts every host's results per policy, exceptions applied. */
  const summaries = () => {
    const exs = inForce();
    const by = new Map();
    for (const r of results) {
      const k = `${r.agent_id}|${r.policy_id}`;
      let s = by.get(k);
      if (!s) {
        s = { agent_id: r.agent_id, hostname: hostname(r.agent_id), policy_id: r.policy_id, policy_version: r.policy_version, applicable: true, counts: emptyCounts(), score: null, updated_at: r.updated_at };
        by.set(k, s);
      }
      count(s.counts, view(r, exs).status);
      if (r.updated_at > s.updated_at) s.updated_at = r.updated_at;
    }
    return [...by.values()].map((s) => ({ ...s, score: score(s.counts) }));
  };
  const byScore = (a, b) => cmp(a.policy_id, b.policy_id) || (a.score === null) - (b.score === null) || (a.score ?? 0) - (b.score ?? 0) || cmp(a.hostname, b.hostname) || cmp(a.agent_id, b.agent_id);

  /** The score history: an entry when a host's results first came and at each change, one per host, policy and day. */
  const scores = [];
  const putScore = (agent_id, policy_id, at, statusOf) => {
    const c = emptyCounts();
    const exs = inForce();
    for (const r of results) if (r.agent_id === agent_id && r.policy_id === policy_id) count(c, view({ ...r, status: statusOf(r) }, exs).status);
    const entry = { agent_id, policy_id, at, passed: c.pass, failed: c.fail, errors: c.error, excepted: c.excepted, not_applicable: c.not_applicable, score: score(c) ?? 0 };
    const i = scores.findIndex((s) => s.agent_id === agent_id && s.policy_id === policy_id && dayOf(s.at) === dayOf(at));
    if (i >= 0) scores[i] = entry;
    else scores.push(entry);
  };
  {
    // Walk the history from the first reports to now.
    const status = new Map(results.map((r) => [`${r.agent_id}|${r.check_id}`, r.status]));
    for (const ch of [...changes].reverse()) status.set(`${ch.agent_id}|${ch.check_id}`, ch.before);
    const statusOf = (r) => status.get(`${r.agent_id}|${r.check_id}`);
    for (const k of new Set(results.map((r) => `${r.agent_id}|${r.policy_id}`))) {
      const [agent_id, policy_id] = k.split('|');
      putScore(agent_id, policy_id, iso(now - 35 * 86_400_000), statusOf);
    }
    for (const ch of changes) {
      status.set(`${ch.agent_id}|${ch.check_id}`, ch.after);
      putScore(ch.agent_id, ch.policy_id, ch.at, statusOf);
    }
  }

  /** matchesLabels reports whether a host has every k=v label. */
  const matchesLabels = (agentId, labels) => {
    const a = agents.find((x) => x.id === agentId);
    return labels.every((l) => {
      const i = l.indexOf('=');
      return i > 0 && a?.labels?.[l.slice(0, i)] === l.slice(i + 1);
    });
  };

  /** groups scores the groups of hosts by a label's value, per policy. */
  const groups = (label, policyId) => {
    const by = new Map();
    for (const s of summaries()) {
      if (!s.applicable || (policyId && s.policy_id !== policyId)) continue;
      const value = label ? (agents.find((a) => a.id === s.agent_id)?.labels?.[label] ?? '') : '';
      const k = `${s.policy_id}|${value}`;
      let g = by.get(k);
      if (!g) {
        g = { label, value, policy_id: s.policy_id, hosts: 0, counts: emptyCounts(), score: null };
        by.set(k, g);
      }
      g.hosts++;
      for (const f of Object.keys(g.counts)) g.counts[f] += s.counts[f];
    }
    return [...by.values()].map((g) => ({ ...g, score: score(g.counts) })).sort((a, b) => cmp(a.policy_id, b.policy_id) || cmp(a.value, b.value));
  };

  /** checks lists a policy's checks by the hosts failing them. */
  const checks = (policyId) => {
    const p = policyOf(policyId);
    const exs = inForce();
    const by = new Map();
    for (const r of results) {
      if (r.policy_id !== policyId) continue;
      let c = by.get(r.check_id);
      if (!c) {
        const v = view(r, exs);
        c = { policy_id: policyId, check_id: r.check_id, severity: r.severity, ...(v.check ? { check: v.check } : {}), hosts: emptyCounts() };
        by.set(r.check_id, c);
      }
      count(c.hosts, view(r, exs).status);
    }
    const pos = (id) => p?.items.findIndex((c) => c.id === id) ?? -1;
    return [...by.values()].sort((a, b) => b.hosts.fail - a.hosts.fail || b.hosts.error - a.hosts.error || pos(a.check_id) - pos(b.check_id) || cmp(a.check_id, b.check_id));
  };

  /** report writes the printable HTML report of a host (or a policy across the fleet) in a language. */
  const report = (agentId, policyId, lang) => {
    const zh = lang === 'zh';
    const w = (en, cn) => (zh ? cn : en);
    const text = (t) => (t ? (zh ? t.zh || t.en : t.en || t.zh) : '');
    const statusWord = { pass: w('Passed', '通过'), fail: w('Failed', '未通过'), error: w('Error', '错误'), not_applicable: w('Not applicable', '不适用'), excepted: w('Excepted', '已豁免') };
    const sums = summaries().filter((s) => (agentId ? s.agent_id === agentId : true) && (!policyId || s.policy_id === policyId));
    const host = agentId ? hostname(agentId) || agentId : '';
    const title = agentId ? `${w('Vigil compliance report', 'Vigil 合规报告')} — ${host}` : `${w('Vigil compliance report', 'Vigil 合规报告')} — ${text(policyOf(policyId)?.name) || policyId}`;
    const exs = inForce();
    const sections = sums
      .map((s) => {
        const rows = results
          .filter((r) => r.agent_id === s.agent_id && r.policy_id === s.policy_id)
          .map((r) => view(r, exs))
          .filter((r) => r.status !== 'pass')
          .map((r) => `<tr class="st-${r.status}"><td>${escapeHTML(statusWord[r.status] ?? r.status)}</td><td>${escapeHTML(r.check_id)}</td><td>${escapeHTML(text(r.check?.title))}</td></tr>`)
          .join('');
        const sc = s.score === null ? '—' : `${Math.round(s.score * 10) / 10}%`;
        return `<section><h2>${escapeHTML(text(policyOf(s.policy_id)?.name) || s.policy_id)}${agentId ? '' : ` — ${escapeHTML(s.hostname)}`}</h2><p class="score">${w('Score', '得分')}: <strong>${sc}</strong> · ${w('passed', '通过')} ${s.counts.pass} · ${w('failed', '未通过')} ${s.counts.fail} · ${w('errors', '错误')} ${s.counts.error} · ${w('excepted', '豁免')} ${s.counts.excepted}</p><table><thead><tr><th>${w('Status', '状态')}</th><th>${w('Check', '检查项')}</th><th>${w('Title', '标题')}</th></tr></thead><tbody>${rows}</tbody></table></section>`;
      })
      .join('\n');
    return `<!doctype html>
<html lang="${zh ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><title>${escapeHTML(title)}</title>
<style>
body { font-family: sans-serif; color: #111827; margin: 24px; }
h1 { font-size: 20px; border-bottom: 2px solid #1d4ed8; padding-bottom: 6px; }
table { border-collapse: collapse; width: 100%; margin-bottom: 18px; }
th, td { border: 1px solid #d1d5db; padding: 3px 6px; text-align: left; font-size: 12px; }
tr.st-fail td:first-child { color: #b91c1c; font-weight: 700; }
@media print { section { break-inside: avoid; } }
</style></head>
<body><h1>${escapeHTML(title)}</h1><p class="generated">${w('Generated', '生成时间')} ${iso(Date.now())}</p>
${sections}
</body></html>
`;
  };

  /** parseVigil reads an upload in Vigil's format well enough to report its mistakes by line. */
  const parseVigil = (id, text) => {
    const file = `${id}.yml`;
    const lines = text.replace(/\r\n/g, '\n').split('\n');
    const problems = [];
    const policy = { id: '', version: '', name: { en: '', zh: '' }, description: { en: '', zh: '' } };
    const items = [];
    if (!lines.some((l) => /^format:\s*["']?1["']?\s*$/.test(l))) problems.push({ line: 1, field: 'format', reason: 'missing: want 1' });
    let section = '';
    let block = '';
    let check = null;
    let ruleIndex = -1;
    lines.forEach((l, i) => {
      const n = i + 1;
      if (/^\S/.test(l) && !l.startsWith('#')) {
        section = l.replace(/:.*$/, '');
        block = '';
        return;
      }
      if (section === 'policy') {
        let m;
        if ((m = /^ {2}(\w+):\s*(.*)$/.exec(l))) {
          block = m[1];
          const v = m[2].replace(/^["']|["']$/g, '');
          if (block === 'id') policy.id = v;
          if (block === 'version') policy.version = v;
        } else if ((m = /^ {4}(en|zh):\s*(.*)$/.exec(l)) && (block === 'name' || block === 'description')) {
          policy[block][m[1]] = m[2];
        }
        return;
      }
      if (section !== 'checks') return;
      let m;
      if ((m = /^ {2}- id:\s*(\S+)/.exec(l))) {
        check = { id: m[1], title: { en: '', zh: '' }, rationale: { en: '', zh: '' }, remediation: { en: '', zh: '' }, severity: '' };
        items.push(check);
        ruleIndex = -1;
        if (policy.id && !check.id.startsWith(`${policy.id}.`)) problems.push({ line: n, field: `checks[${items.length - 1}].id`, reason: `"${check.id}": want <policy id>.<number>, e.g. ${policy.id}.1.1` });
        return;
      }
      if (!check) return;
      if ((m = /^ {4}(title|rationale|remediation):\s*\{en:\s*(.*?),\s*zh:\s*(.*)\}\s*$/.exec(l))) check[m[1]] = { en: m[2], zh: m[3] };
      else if ((m = /^ {4}severity:\s*(\S+)/.exec(l))) {
        check.severity = m[1];
        if (!severities.includes(m[1])) problems.push({ line: n, field: `checks[${items.length - 1}].severity`, reason: `"${m[1]}": want low, medium, high or critical` });
      } else if (/^ {6}- \w+:/.test(l)) {
        ruleIndex++;
        const f = /config:\s*\{.*\bformat:\s*([A-Za-z0-9_-]+)/.exec(l);
        if (f && !configFormats.includes(f[1])) problems.push({ line: n, field: `checks[${items.length - 1}].rules[${ruleIndex}].config.format`, reason: `unknown format "${f[1]}" (known: ${configFormats.join(', ')})` });
      }
    });
    if (!policy.id) problems.push({ line: 1, field: 'policy.id', reason: 'missing' });
    for (const [i, c] of items.entries()) if (!c.title.en) problems.push({ line: 1, field: `checks[${i}].title`, reason: 'missing' });
    problems.sort((a, b) => a.line - b.line);
    return { policy, items, problems: problems.map((p) => `${file}:${p.line}: ${p.field}: ${p.reason}`), skipped: [] };
  };

  /** The commands a Wazuh SCA c: rule may run (a part of the agent's list). */
  const allowedCommands = [/^sshd -T/, /^systemctl (is-enabled|is-active|show) /, /^auditctl -[ls]$/, /^nft list ruleset$/, /^(ip6?tables) -[SL]/, /^ufw status/, /^sestatus$/, /^getenforce$/, /^mount$/, /^findmnt /, /^lsmod$/, /^dpkg-query -W/, /^rpm -q/, /^stat /, /^id /, /^getent /];

  /** parseSCA reads a Wazuh SCA upload: its policy block and checks; a c: rule with a command the agent does not run leaves its check out. */
  const parseSCA = (id, text) => {
    const file = `${id}.yml`;
    const lines = text.replace(/\r\n/g, '\n').split('\n');
    const policy = { id: '', version: '', name: { en: '', zh: '' }, description: { en: '', zh: '' } };
    const items = [];
    const skipped = [];
    const problems = [];
    let section = '';
    let check = null;
    let ruleIndex = -1;
    lines.forEach((l, i) => {
      const n = i + 1;
      if (/^\S/.test(l) && !l.startsWith('#')) {
        section = l.replace(/:.*$/, '');
        return;
      }
      let m;
      const v = (s) => s.trim().replace(/^["']|["']$/g, '');
      if (section === 'policy' && (m = /^ {2}(id|name|description):\s*(.*)$/.exec(l))) {
        if (m[1] === 'id') policy.id = v(m[2]);
        else policy[m[1]] = { en: v(m[2]), zh: v(m[2]) };
      }
      if (section !== 'checks') return;
      if ((m = /^ {2}- id:\s*(\S+)/.exec(l))) {
        check = { id: `${policy.id}.${v(m[1])}`, title: { en: '', zh: '' }, rationale: { en: '', zh: '' }, remediation: { en: '', zh: '' }, severity: '', index: items.length + skipped.length };
        items.push(check);
        ruleIndex = -1;
      } else if (check && (m = /^ {4}title:\s*(.*)$/.exec(l))) {
        check.title = { en: v(m[1]), zh: v(m[1]) };
      } else if (check && (m = /^ {6}- ['"](.*)['"]\s*$/.exec(l))) {
        ruleIndex++;
        const c = /^c:\s*(.*?)\s*(->|$)/.exec(m[1]);
        if (c && !allowedCommands.some((re) => re.test(c[1]))) {
          skipped.push(`${file}:${n}: checks[${check.index}].rules[${ruleIndex}]: command "${c[1]}" is not allowed (the allowed commands are listed in docs/policies.md)`);
          items.splice(items.indexOf(check), 1);
          check = null;
        }
      }
    });
    if (!policy.id) problems.push(`${file}:1: policy.id: missing`);
    return { policy, items: items.map(({ index, ...c }) => c), problems, skipped };
  };

  /** policyView is a catalogue entry as listed, with its assignment. */
  const policyView = (p) => {
    const a = assignments.find((x) => x.policy_id === p.id);
    const { items, content, uploaded_at, ...rest } = p;
    return { ...rest, ...(a ? { assignment: a } : {}) };
  };

  /** collect re-evaluates a host, as the agent's compliance/baseline collector does when asked to; it returns the collect command's output. */
  const collect = (agentId) => {
    const mine = results.filter((r) => r.agent_id === agentId);
    const at = iso(Date.now());
    let changed = 0;
    const f = fixesAtNextRuns;
    const r = agentId === f.agent_id ? f.checks.map((id) => mine.find((x) => x.check_id === id)).find((x) => x?.status === 'fail') : undefined;
    if (r) {
      changes.push({ at, agent_id: agentId, policy_id: r.policy_id, check_id: r.check_id, before: r.status, after: 'pass' });
      Object.assign(r, { status: 'pass', evidence: made.evidenceOf(r.check_id, 'pass', agentId), updated_at: at });
      putScore(agentId, r.policy_id, at, (x) => x.status);
      changed++;
    }
    const policies = new Set(mine.map((x) => x.policy_id)).size;
    return { collector: 'compliance/baseline', assets: mine.length + policies, skipped: 0, unchanged: mine.length + policies - changed, added: 0, changed, removed: 0 };
  };

  /** handle answers the routes of this module; false when the route is another's. */
  const handle = (req, res, { path, query, raw, body, who }) => {
    const m = req.method;
    let x;
    if (!path.startsWith('/compliance')) return false;
    if (m === 'GET' && path === '/compliance') {
      const f = {};
      for (const k of ['agent_id', 'policy_id', 'check_id', 'status', 'severity', 'q']) {
        f[k] = query.get(k) ?? '';
        if (f[k].length > maxQueryLen) return fail(res, 400, 'bad_request', `${k}: at most ${maxQueryLen} printable bytes`), true;
      }
      if (f.status && !statuses.includes(f.status)) return fail(res, 400, 'bad_request', `status "${f.status}": want pass, fail, error, not_applicable or excepted`), true;
      const q = f.q.toLowerCase();
      const exs = inForce();
      const items = results
        .map((r) => view(r, exs))
        .filter(
          (r) =>
            (!f.agent_id || r.agent_id === f.agent_id) &&
            (!f.policy_id || r.policy_id === f.policy_id) &&
            (!f.check_id || r.check_id === f.check_id) &&
            (!f.status || r.status === f.status) &&
            (!f.severity || r.severity === f.severity) &&
            (!q || [r.check_id, r.check?.title.en ?? '', r.check?.title.zh ?? ''].some((s) => s.toLowerCase().includes(q))),
        );
      const p = pageOf(res, items, query);
      if (p) send(res, 200, p);
      return true;
    }
    if (m === 'GET' && (x = path.match(/^\/compliance\/hosts\/([^/]+)$/))) {
      const id = decodeURIComponent(x[1]);
      if (!agents.some((a) => a.id === id)) return fail(res, 404, 'not_found', `agent ${id} not found`), true;
      return send(res, 200, { items: summaries().filter((s) => s.agent_id === id), next_cursor: '' }), true;
    }
    if (m === 'GET' && path === '/compliance/summaries') {
      const labels = query.getAll('label');
      const items = summaries()
        .filter((s) => (!query.get('policy_id') || s.policy_id === query.get('policy_id')) && (!query.get('agent_id') || s.agent_id === query.get('agent_id')) && matchesLabels(s.agent_id, labels))
        .sort(byScore);
      const p = pageOf(res, items, query);
      if (p) send(res, 200, p);
      return true;
    }
    if (m === 'GET' && path === '/compliance/groups') {
      const label = query.get('label') ?? '';
      if (label && !/^[A-Za-z0-9._/-]{1,63}$/.test(label)) return fail(res, 400, 'bad_request', `label "${label}": want 1 to 63 letters, digits, '.', '_', '/' or '-'`), true;
      return send(res, 200, { items: groups(label, query.get('policy_id') ?? ''), next_cursor: '' }), true;
    }
    if (m === 'GET' && path === '/compliance/checks') {
      const id = query.get('policy_id') ?? '';
      if (!id) return fail(res, 400, 'bad_request', 'policy_id: required'), true;
      const p = pageOf(res, checks(id), query);
      if (p) send(res, 200, p);
      return true;
    }
    if (m === 'GET' && path === '/compliance/drift') {
      const since = timeOf(res, query, 'since');
      if (Number.isNaN(since)) return true;
      const until = timeOf(res, query, 'until');
      if (Number.isNaN(until)) return true;
      const regressed = query.get('regressed') === 'true';
      const items = [...changes]
        .reverse()
        .filter((c) => (since === null || Date.parse(c.at) >= since) && (until === null || Date.parse(c.at) < until))
        .filter((c) => (!query.get('agent_id') || c.agent_id === query.get('agent_id')) && (!query.get('policy_id') || c.policy_id === query.get('policy_id')))
        .map((c) => {
          const r = results.find((y) => y.agent_id === c.agent_id && y.check_id === c.check_id);
          const v = r ? view(r) : {};
          return { agent_id: c.agent_id, hostname: hostname(c.agent_id), policy_id: c.policy_id, check_id: c.check_id, severity: r?.severity, ...(v.check ? { check: v.check } : {}), before: c.before, after: c.after, regressed: c.before === 'pass' && (c.after === 'fail' || c.after === 'error'), changed_at: c.at };
        })
        .filter((d) => !regressed || d.regressed);
      const p = pageOf(res, items, query);
      if (p) send(res, 200, p);
      return true;
    }
    if (m === 'GET' && path === '/compliance/scores') {
      const since = timeOf(res, query, 'since');
      if (Number.isNaN(since)) return true;
      const until = timeOf(res, query, 'until');
      if (Number.isNaN(until)) return true;
      const items = scores
        .filter((s) => (!query.get('agent_id') || s.agent_id === query.get('agent_id')) && (!query.get('policy_id') || s.policy_id === query.get('policy_id')))
        .filter((s) => (since === null || Date.parse(s.at) >= since) && (until === null || Date.parse(s.at) < until))
        .sort((a, b) => cmp(b.at, a.at) || cmp(a.agent_id, b.agent_id));
      const p = pageOf(res, items, query);
      if (p) send(res, 200, p);
      return true;
    }
    if (m === 'GET' && path === '/compliance/report') {
      const agentId = query.get('agent_id') ?? '';
      const policyId = query.get('policy_id') ?? '';
      const lang = query.get('lang') || 'en';
      if (!['en', 'zh'].includes(lang)) return fail(res, 400, 'bad_request', `lang "${lang}": want en or zh`), true;
      if (!agentId && !policyId) return fail(res, 400, 'bad_request', 'policy_id: required without agent_id'), true;
      if (agentId && !agents.some((a) => a.id === agentId)) return fail(res, 404, 'not_found', `agent ${agentId} not found`), true;
      if (policyId && !policyOf(policyId)) return fail(res, 404, 'not_found', `policy ${policyId} not found`), true;
      const name = `vigil-compliance-${agentId ? hostname(agentId) || agentId : policyId}-${iso(Date.now()).slice(0, 10)}.html`;
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}"` });
      res.end(report(agentId, policyId, lang));
      return true;
    }
    if (m === 'GET' && path === '/compliance/policies') return send(res, 200, { items: catalogue.map(policyView), next_cursor: '' }), true;
    if ((x = path.match(/^\/compliance\/policies\/([^/]+)\/assignment$/))) {
      const id = decodeURIComponent(x[1]);
      if (m === 'PUT') {
        if (!need(res, who, 'admin', 'compliance.assign', id)) return true;
        if (!policyOf(id)) return fail(res, 404, 'not_found', `no such policy: ${id}`), true;
        const problem = labelsProblem('selector', body?.selector ?? {});
        if (problem) return fail(res, 400, 'bad_request', problem), true;
        const iv = body?.interval_seconds ?? 0;
        if (!Number.isInteger(iv) || (iv !== 0 && (iv < 600 || iv > 30 * 86400))) return fail(res, 400, 'bad_request', `interval: between 600 and ${30 * 86400} seconds, or 0 for daily`), true;
        const a = { policy_id: id, selector: body?.selector ?? {}, interval_seconds: iv, disabled: !!body?.disabled, author: actorOf(who), updated_at: iso(Date.now()) };
        const i = assignments.findIndex((y) => y.policy_id === id);
        if (i >= 0) assignments[i] = a;
        else assignments.push(a);
        record(who, 'compliance.assign', id, 'ok');
        return send(res, 200, a), true;
      }
      if (m === 'DELETE') {
        if (!need(res, who, 'admin', 'compliance.unassign', id)) return true;
        const i = assignments.findIndex((y) => y.policy_id === id);
        if (i < 0) return fail(res, 404, 'not_found', `assignment of ${id} not found`), true;
        assignments.splice(i, 1);
        record(who, 'compliance.unassign', id, 'ok');
        return noContent(res), true;
      }
    }
    if ((x = path.match(/^\/compliance\/policies\/([^/]+)$/))) {
      const id = decodeURIComponent(x[1]);
      if (m === 'GET') {
        const p = policyOf(id);
        if (!p) return fail(res, 404, 'not_found', `policy ${id} not found`), true;
        return send(res, 200, { ...policyView(p), items: p.items }), true;
      }
      if (m === 'PUT') {
        if (!need(res, who, 'admin', 'compliance.policy.put', id)) return true;
        const format = query.get('format') ?? '';
        if (format && format !== 'vigil' && format !== 'wazuh-sca') return fail(res, 400, 'bad_request', `format "${format}": want vigil or wazuh-sca`), true;
        if (raw.length > 4 << 20) return fail(res, 413, 'too_large', `policy larger than ${4 << 20} bytes`), true;
        const text = raw.toString('utf8');
        const parsed = format === 'wazuh-sca' ? parseSCA(id, text) : parseVigil(id, text);
        if (parsed.problems.length) {
          record(who, 'compliance.policy.put', id, 'failed', { status: 422 });
          return fail(res, 422, 'unprocessable', `invalid policy: ${parsed.problems.join('\n')}`), true;
        }
        if (parsed.policy.id !== id) return fail(res, 422, 'unprocessable', `invalid policy: the file's policy id is "${parsed.policy.id}", not "${id}"`), true;
        const old = policyOf(id);
        if (old?.shipped) return fail(res, 409, 'conflict', `a shipped policy cannot be replaced or deleted: ${id}`), true;
        const entry = { id, version: parsed.policy.version, name: parsed.policy.name, description: parsed.policy.description, checks: parsed.items.length, shipped: false, format: format || 'vigil', digest: [...text].reduce((h, c) => (h * 33 + c.charCodeAt(0)) >>> 0, 5381).toString(16).padStart(8, '0').repeat(8), author: actorOf(who), ...(parsed.skipped.length ? { skipped: parsed.skipped } : {}), content: text, items: parsed.items };
        if (old) catalogue.splice(catalogue.indexOf(old), 1, entry);
        else {
          catalogue.push(entry);
          catalogue.sort((a, b) => cmp(a.id, b.id));
        }
        record(who, 'compliance.policy.put', id, 'ok');
        return send(res, old ? 200 : 201, policyView(entry)), true;
      }
      if (m === 'DELETE') {
        if (!need(res, who, 'admin', 'compliance.policy.delete', id)) return true;
        const p = policyOf(id);
        if (!p) return fail(res, 404, 'not_found', `policy ${id} not found`), true;
        if (p.shipped) return fail(res, 409, 'conflict', `a shipped policy cannot be replaced or deleted: ${id}`), true;
        catalogue.splice(catalogue.indexOf(p), 1);
        const i = assignments.findIndex((y) => y.policy_id === id);
        if (i >= 0) assignments.splice(i, 1);
        record(who, 'compliance.policy.delete', id, 'ok');
        return noContent(res), true;
      }
    }
    if (path === '/compliance/exceptions' && m === 'GET') {
      const expired = query.get('expired') === 'true';
      const items = exceptions
        .filter((e) => (!query.get('policy_id') || e.policy_id === query.get('policy_id')) && (expired || !e.expires_at || Date.parse(e.expires_at) > Date.now()))
        .sort((a, b) => cmp(b.created_at, a.created_at));
      return send(res, 200, { items, next_cursor: '' }), true;
    }
    if (path === '/compliance/exceptions' && m === 'POST') {
      if (!need(res, who, 'analyst', 'compliance.exception.create', '')) return true;
      const p = policyOf(body?.policy_id ?? '');
      if (!p) return fail(res, 404, 'not_found', `policy "${body?.policy_id ?? ''}" not found`), true;
      if (body.check_id && !p.items.some((c) => c.id === body.check_id) && !results.some((r) => r.check_id === body.check_id)) return fail(res, 404, 'not_found', `policy ${p.id} has no check "${body.check_id}"`), true;
      const reason = body.reason ?? '';
      // eslint-disable-next-line no-control-regex
      if (!reason || Buffer.byteLength(reason) > maxTextLen || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(reason)) return fail(res, 400, 'bad_request', `reason: required, at most ${maxTextLen} printable bytes`), true;
      if (body.expires_at && !(Date.parse(body.expires_at) > Date.now())) return fail(res, 400, 'bad_request', 'expires_at: must be in the future'), true;
      const e = { id: `cex-${String(nextException++).padStart(4, '0')}`, policy_id: p.id, check_id: body.check_id ?? '', agent_id: body.agent_id ?? '', reason, ...(body.expires_at ? { expires_at: iso(Date.parse(body.expires_at)) } : {}), author: actorOf(who), created_at: iso(Date.now()) };
      exceptions.push(e);
      record(who, 'compliance.exception.create', e.id, 'ok');
      return send(res, 201, e), true;
    }
    if ((x = path.match(/^\/compliance\/exceptions\/([^/]+)$/)) && m === 'DELETE') {
      const id = decodeURIComponent(x[1]);
      if (!need(res, who, 'analyst', 'compliance.exception.delete', id)) return true;
      const i = exceptions.findIndex((e) => e.id === id);
      if (i < 0) return fail(res, 404, 'not_found', `compliance exception ${id} not found`), true;
      exceptions.splice(i, 1);
      record(who, 'compliance.exception.delete', id, 'ok');
      return noContent(res), true;
    }
    return false;
  };

  /** forget drops a deleted agent's results and score history. */
  const forget = (agentId) => {
    for (let i = results.length - 1; i >= 0; i--) if (results[i].agent_id === agentId) results.splice(i, 1);
    for (let i = scores.length - 1; i >= 0; i--) if (scores[i].agent_id === agentId) scores.splice(i, 1);
  };

  return { handle, collect, forget, state: { catalogue, assignments, exceptions, results, changes, scores, summaries, checks, groups } };
}
