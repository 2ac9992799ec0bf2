// The fake API's risk routes, answered as the center answers them:
// findings with their filters (a bad severity or flag refused with the
// center's message) paged by an offset cursor, counted per host and per
// vulnerability, one vulnerability with its advisories and known exploited
// entry, patches grouped per host or across the fleet with their commands,
// weak passwords with their filters, word lists (admin), and the
// vulnerability database: its state, imports of OSV JSON or the known
// exploited catalogue and syncs as jobs that move on a phase each time
// they are read (read, store, index, as the center's importer goes; the
// fleet is matched again after the job), and its advisories. Changes are
// audited.
import { createHash, randomBytes } from 'node:crypto';
import { compareVersions } from './fake-inventory.mjs';
import { allowed, fail, noContent, page, send } from './fake-http.mjs';
import { makeAdvisories, makeFindings, makeJobs, makeKnownExploited, makeSources, makeWeakPasswords, makeWordlists, pypiError } from './fixtures-risk.mjs';

const severities = ['critical', 'high', 'medium', 'low', 'none', 'unknown'];
const rank = (s) => (severities.includes(s) ? severities.indexOf(s) : severities.length);
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const maxQueryLen = 256;
const sourcePattern = /^[A-Za-z0-9][A-Za-z0-9 ._:+-]{0,63}$/;
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** packageManager names an OS ecosystem's package manager ('' for a language ecosystem). */
function packageManager(ecosystem) {
  const family = ecosystem.split(':')[0];
  if (['Debian', 'Ubuntu'].includes(family)) return 'apt';
  if (family === 'Alpine') return 'apk';
  if (['Red Hat', 'Rocky Linux', 'AlmaLinux', 'CentOS', 'Oracle Linux', 'Fedora', 'openEuler'].includes(family)) return 'dnf';
  if (['SUSE', 'openSUSE'].includes(family)) return 'zypper';
  return '';
}

/** shellQuote quotes a word for a POSIX shell when it needs it. */
function shellQuote(s) {
  return s !== '' && /^[A-Za-z0-9\-_.+:@/=]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function managerCommand(manager, pkgs) {
  const list = pkgs.map(shellQuote).join(' ');
  switch (manager) {
    case 'apt':
      return `apt-get update && apt-get install --only-upgrade -y ${list}`;
    case 'apk':
      return `apk upgrade --update-cache ${list}`;
    case 'dnf':
      return `dnf upgrade -y ${list}`;
    case 'zypper':
      return `zypper update -y ${list}`;
  }
  return '';
}

/** upgradeCommand is the command that applies one upgrade, '' when none does. */
function upgradeCommand(ecosystem, kind, name, fixed) {
  if (kind === 'package') return managerCommand(packageManager(ecosystem), [name]);
  switch (ecosystem) {
    case 'PyPI':
      return `pip install --upgrade ${shellQuote(`${name}>=${fixed}`)}`;
    case 'npm':
      return `npm install ${shellQuote(`${name}@${fixed}`)}`;
    case 'Go':
      return `go get ${shellQuote(`${name}@${fixed.startsWith('v') ? fixed : `v${fixed}`}`)} && go mod tidy`;
    case 'crates.io':
      return `cargo update -p ${shellQuote(name)} --precise ${shellQuote(fixed)}`;
  }
  return '';
}

/** groupPatches groups fixable findings per agent (or fleet), ecosystem, kind and package, as the center does. */
function groupPatches(findings, perAgent) {
  const groups = new Map();
  for (const f of findings) {
    if (!f.fixed_version) continue;
    const agent = perAgent ? f.agent_id : '';
    const k = [agent, f.ecosystem, f.asset_kind, f.package].join('\u0000');
    let p = groups.get(k);
    if (!p) {
      p = { ...(agent ? { agent_id: agent } : {}), ecosystem: f.ecosystem, kind: f.asset_kind, package: f.package, fixed_version: f.fixed_version, versions: [], paths: [], vulns: [], severity: f.severity, known_exploited: false, hosts: 0, agents: new Set() };
      groups.set(k, p);
    }
    if (compareVersions(f.fixed_version, p.fixed_version) > 0) p.fixed_version = f.fixed_version;
    if (!p.versions.includes(f.version)) p.versions.push(f.version);
    if (f.path && !p.paths.includes(f.path)) p.paths.push(f.path);
    if (!p.vulns.includes(f.vuln_id)) p.vulns.push(f.vuln_id);
    if (rank(f.severity) < rank(p.severity)) p.severity = f.severity;
    p.known_exploited ||= f.known_exploited;
    p.agents.add(f.agent_id);
  }
  const out = [...groups.values()].map(({ agents, ...p }) => {
    const patch = { ...p, hosts: agents.size, versions: p.versions.sort(), vulns: p.vulns.sort() };
    if (p.paths.length) patch.paths = p.paths.sort();
    else delete patch.paths;
    const command = upgradeCommand(p.ecosystem, p.kind, p.package, patch.fixed_version);
    if (command) patch.command = command;
    return patch;
  });
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort(
    (a, b) =>
      cmp(a.agent_id ?? '', b.agent_id ?? '') ||
      rank(a.severity) - rank(b.severity) ||
      Number(b.known_exploited) - Number(a.known_exploited) ||
      b.vulns.length - a.vulns.length ||
      b.hosts - a.hosts ||
      cmp(a.ecosystem, b.ecosystem) ||
      cmp(a.package, b.package),
  );
}

/** hostCommand is the command applying all of one host's OS package upgrades. */
function hostCommand(patches) {
  const by = new Map();
  for (const p of patches) {
    if (p.kind !== 'package') continue;
    const m = packageManager(p.ecosystem);
    by.set(m, [...(by.get(m) ?? []), p.package]);
  }
  return [...by.keys()]
    .sort()
    .map((m) => managerCommand(m, by.get(m)))
    .filter(Boolean)
    .join(' && ');
}

/** parseWordlist reads one word per line as the center does; it throws the center's 400 message. */
function parseWordlist(text) {
  const seen = new Set();
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '' || line.startsWith('#')) continue;
    // eslint-disable-next-line no-control-regex
    if (Buffer.byteLength(line) > 128 || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(line)) throw new Error(`line ${i + 1}: a word is at most 128 printable bytes`);
    seen.add(line);
  }
  if (seen.size === 0) throw new Error('the word list is empty (one word per line)');
  if (seen.size > 20_000) throw new Error(`${seen.size} words, at most 20000`);
  return [...seen];
}

/** readRecords reads an upload as an OSV record, an array of them, or CISA's catalogue. */
function readUpload(data) {
  if (data.length >= 4 && data.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004') throw new Error('zip archives are not read by this fake center: send OSV JSON');
  let doc;
  try {
    doc = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new Error(`upload.json: not a JSON array of records: ${err.message}`);
  }
  if (doc && !Array.isArray(doc) && Array.isArray(doc.vulnerabilities) && typeof doc.catalogVersion === 'string') return { kev: doc };
  return { records: Array.isArray(doc) ? doc : [doc] };
}

/** checkRecord returns an OSV record's problem, '' when the fake can store it. */
function checkRecord(r) {
  if (!r || typeof r !== 'object' || Array.isArray(r)) return 'invalid OSV record: not an object';
  const id = typeof r.id === 'string' ? r.id.trim() : '';
  if (!id) return 'invalid OSV record: id: missing';
  if (typeof r.modified !== 'string') return `invalid OSV record: ${id}: modified: missing`;
  if (Number.isNaN(Date.parse(r.modified))) return `invalid OSV record: ${id}: modified: ${JSON.stringify(r.modified)} is not an RFC 3339 time`;
  return '';
}

/** severityOf reads a record's severity as the center would, roughly: its database_specific severity, else unknown. */
function severityOf(r) {
  const s = String(r.database_specific?.severity ?? '').toLowerCase();
  if (s === 'moderate') return 'medium';
  return severities.includes(s) ? s : 'unknown';
}

/** toAdvisory turns an OSV record into an advisory. */
function toAdvisory(r, source) {
  const affected = Array.isArray(r.affected) ? r.affected : [];
  return {
    id: r.id.trim(),
    source,
    modified: new Date(r.modified).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(r.published ? { published: r.published } : {}),
    aliases: Array.isArray(r.aliases) ? r.aliases : [],
    summary: String(r.summary || String(r.details ?? '').split('\n')[0]).slice(0, 300),
    severity: severityOf(r),
    ecosystems: [...new Set(affected.map((a) => a?.package?.ecosystem).filter(Boolean))].sort(),
    packages: [...new Set(affected.map((a) => a?.package?.name).filter(Boolean))].sort(),
    record: r,
  };
}

/**
 * createRisk keeps the risk state of one fake center.
 * @param {{ now: number, agents: any[], record: (who: any, action: string, target: string, result: string, detail?: any) => void }} opts
 */
export function createRisk({ now, agents, record }) {
  const findings = makeFindings(now);
  const advisories = makeAdvisories();
  let kev = makeKnownExploited();
  const weakPasswords = makeWeakPasswords(now);
  const wordlists = makeWordlists(now);
  const countSources = () => {
    const m = new Map();
    for (const a of advisories) m.set(a.source, (m.get(a.source) ?? 0) + 1);
    return m;
  };
  const sources = makeSources(now, countSources());
  const jobs = makeJobs(now);
  const service = {
    index_built_at: iso(now - 3 * 3600_000 + 40_000),
    last_fleet_match: iso(now - 3 * 3600_000 + 42_000),
    last_fleet_match_took: '1.84s',
    hosts_matched: 412,
    host_errors: 0,
  };
  /** Steps of the running job still to come: each read of the job takes one. */
  const pending = new Map();
  const hostname = (id) => agents.find((a) => a.id === id)?.hostname ?? '';

  const need = (res, who, role, action, target) => {
    if (allowed(who.role, role)) return true;
    record(who, action, target, 'denied', { status: 403 });
    fail(res, 403, 'forbidden', `role ${who.role} may not do this (needs ${role})`);
    return false;
  };

  /** filterOf reads the findings filter; it answers 400 and returns null for a bad one. */
  const filterOf = (res, query) => {
    const f = { agent_id: query.get('agent_id') ?? '', vuln_id: query.get('vuln_id') ?? '', ecosystem: query.get('ecosystem') ?? '', package: query.get('package') ?? '', q: query.get('q') ?? '', severity: [] };
    for (const [k, v] of Object.entries(f)) {
      if (typeof v === 'string' && v.length > maxQueryLen) return fail(res, 400, 'bad_request', `${k}: at most ${maxQueryLen} printable bytes`), null;
    }
    const sev = query.get('severity');
    if (sev) {
      for (const s of sev.split(',')) {
        if (!severities.includes(s)) return fail(res, 400, 'bad_request', `severity "${s}": want critical, high, medium, low, none or unknown (several separated by commas)`), null;
        f.severity.push(s);
      }
    }
    for (const k of ['known_exploited', 'running', 'fixable']) {
      const v = query.get(k);
      if (v === null || v === '') continue;
      if (!['true', 'false', '1', '0', 't', 'f', 'TRUE', 'FALSE', 'True', 'False'].includes(v)) return fail(res, 400, 'bad_request', `${k} "${v}": want true or false`), null;
      f[k] = ['true', '1', 't', 'TRUE', 'True'].includes(v);
    }
    const limit = query.get('limit');
    if (limit && (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000)) return fail(res, 400, 'bad_request', `limit "${limit}": want 1 to 1000`), null;
    return f;
  };

  /** matching lists the findings of a filter in the center's order. */
  const matching = (f) => {
    const q = f.q.toLowerCase();
    return findings
      .filter(
        (x) =>
          (!f.agent_id || x.agent_id === f.agent_id) &&
          (!f.vuln_id || x.vuln_id === f.vuln_id) &&
          (!f.ecosystem || x.ecosystem === f.ecosystem) &&
          (!f.package || x.package === f.package) &&
          (f.severity.length === 0 || f.severity.includes(x.severity)) &&
          (!f.known_exploited || x.known_exploited) &&
          (!f.running || x.running) &&
          (!f.fixable || !!x.fixed_version) &&
          (!q || [x.vuln_id, ...x.advisories, x.package, x.summary ?? ''].some((s) => s.toLowerCase().includes(q))),
      )
      .sort(
        (a, b) =>
          rank(a.severity) - rank(b.severity) ||
          (b.score ?? 0) - (a.score ?? 0) ||
          a.agent_id.localeCompare(b.agent_id) ||
          a.vuln_id.localeCompare(b.vuln_id) ||
          a.asset_key.localeCompare(b.asset_key),
      );
  };

  /** summaries counts the findings per vulnerability. */
  const summaries = (list) => {
    const by = new Map();
    for (const x of list) {
      let v = by.get(x.vuln_id);
      if (!v) {
        v = { vuln_id: x.vuln_id, severity: x.severity, known_exploited: false, summary: x.summary ?? '', agents: new Set(), packages: new Set(), fixable: false };
        by.set(x.vuln_id, v);
      }
      if (rank(x.severity) < rank(v.severity)) v.severity = x.severity;
      if ((x.score ?? 0) > (v.score ?? 0)) v.score = x.score;
      v.known_exploited ||= x.known_exploited;
      v.agents.add(x.agent_id);
      v.packages.add(x.package);
      v.fixable ||= !!x.fixed_version;
    }
    return [...by.values()]
      .map(({ agents: a, packages: p, ...v }) => ({ ...v, hosts: a.size, packages: [...p].sort() }))
      .sort((a, b) => rank(a.severity) - rank(b.severity) || b.hosts - a.hosts || a.vuln_id.localeCompare(b.vuln_id));
  };

  const status = () => {
    const counts = Object.fromEntries(countSources());
    return {
      advisories: counts,
      known_exploited: kev.length,
      sources,
      service: { ...service, index: { advisories: advisories.length, packages: new Set(advisories.flatMap((a) => a.packages)).size, ecosystems: {} } },
      jobs: [...jobs],
    };
  };

  /** startJob records a running job and the steps it will take. */
  const startJob = (kind, source, author, steps) => {
    const job = { id: randomBytes(8).toString('hex'), kind, ...(source ? { source } : {}), state: 'running', phase: steps[0]?.phase ?? '', done: 0, total: 0, added: 0, updated: 0, unchanged: 0, rejected: 0, started_at: iso(Date.now()), ...(author ? { author } : {}) };
    jobs.unshift(job);
    pending.set(job.id, steps);
    return job;
  };

  /** advance moves a running job on by one step. */
  const advance = (job) => {
    const steps = pending.get(job.id);
    if (!steps) return;
    const step = steps.shift();
    if (step) {
      const { apply, ...fields } = step;
      Object.assign(job, fields);
      apply?.(job);
    }
    if (steps.length === 0) {
      pending.delete(job.id);
      job.state = job.error ? 'failed' : 'done';
      delete job.phase;
      job.ended_at = iso(Date.now());
    }
  };

  /** importSteps imports an upload under a source, a phase at a time. */
  const importSteps = (data, source) => {
    let read;
    try {
      read = readUpload(data);
    } catch (err) {
      return [{ phase: 'read', error: `import ${source}: ${err.message}` }];
    }
    if (read.kev) {
      const list = read.kev.vulnerabilities;
      return [
        { phase: 'store', done: 0, total: list.length },
        {
          phase: 'store',
          done: list.length,
          apply: (job) => {
            const problems = [];
            const entries = [];
            list.forEach((v, i) => {
              if (!/^CVE-\d{4}-\d{4,}$/.test(v?.cveID ?? '')) problems.push(`vulnerabilities[${i}]: cveID ${JSON.stringify(v?.cveID ?? '')} is not a CVE id`);
              else entries.push({ cve: v.cveID, vendor: v.vendorProject, product: v.product, name: v.vulnerabilityName, date_added: `${v.dateAdded}T00:00:00Z`, due_date: `${v.dueDate}T00:00:00Z`, ...(v.knownRansomwareCampaignUse === 'Known' ? { ransomware: true } : {}) });
            });
            kev = entries.sort((a, b) => (a.cve < b.cve ? -1 : 1));
            for (const f of findings) f.known_exploited = kev.some((k) => k.cve === f.vuln_id);
            Object.assign(job, { added: entries.length, rejected: problems.length, problems: problems.slice(0, 20), message: `known exploited catalogue ${read.kev.catalogVersion}: ${entries.length} vulnerabilities` });
            putSource(source, entries.length, problems.length);
          },
        },
        { phase: 'index', apply: rematched },
      ];
    }
    const total = read.records.length;
    const half = Math.floor(total / 2);
    let good = [];
    const problems = [];
    return [
      { phase: 'read', done: 0, total },
      {
        phase: 'read',
        done: half,
        apply: (job) => {
          read.records.forEach((r, i) => {
            const p = checkRecord(r);
            if (p) problems.push(`upload.json[${i}]: ${p}`);
            else good.push(toAdvisory(r, source));
          });
          job.rejected = problems.filter((_, i) => i < half).length;
        },
      },
      { phase: 'read', done: total, apply: (job) => Object.assign(job, { rejected: problems.length, problems: problems.slice(0, 20) }) },
      {
        phase: 'store',
        apply: (job) => {
          const at = new Map(advisories.map((x, i) => [x.id, i]));
          for (const a of good) {
            const i = at.get(a.id);
            if (i === undefined) {
              at.set(a.id, advisories.length);
              advisories.push(a);
              job.added++;
            } else if (Date.parse(a.modified) > Date.parse(advisories[i].modified)) {
              // A record whose severity the fake cannot read keeps the one held.
              const old = advisories[i];
              advisories[i] = a.severity === 'unknown' ? { ...a, severity: old.severity, ...(old.score ? { score: old.score } : {}) } : a;
              job.updated++;
            } else job.unchanged++;
          }
          advisories.sort((a, b) => (a.id < b.id ? -1 : 1));
          good = [];
          putSource(source, total - problems.length, problems.length);
        },
      },
      { phase: 'index' },
      { phase: 'index', apply: rematched },
    ];
  };

  /** rematched records the index rebuilt and the fleet matched again, as the center does after a job changed the database. */
  const rematched = () => {
    service.index_built_at = iso(Date.now());
    service.last_fleet_match = iso(Date.now());
    service.hosts_matched += agents.length;
  };

  /** putSource records an import's outcome in its source's state. */
  const putSource = (name, records, rejected) => {
    let s = sources.find((x) => x.name === name);
    if (!s) {
      s = { name, configured: false, records: 0, rejected: 0 };
      sources.push(s);
      sources.sort((a, b) => (a.name < b.name ? -1 : 1));
    }
    Object.assign(s, { records, rejected, synced_at: iso(Date.now()), updated_at: iso(Date.now()) });
    delete s.error;
  };

  /** syncSteps syncs the configured sources: the feeds are not modified, PyPI cannot be reached. */
  const syncSteps = (name) => {
    const list = sources.filter((s) => s.configured && !s.disabled && (!name || s.name === name));
    const steps = [];
    for (const s of list) steps.push({ phase: 'download', source: s.name, done: 0, total: 0 });
    steps.push({
      phase: 'index',
      apply: (job) => {
        const failed = [];
        const messages = [];
        for (const s of list) {
          if (s.name === 'PyPI') {
            failed.push(s.name);
            s.error = pypiError;
            s.updated_at = iso(Date.now());
            job.problems = [...(job.problems ?? []), pypiError];
          } else {
            messages.push(`${s.name}: not modified`);
            s.synced_at = iso(Date.now());
            s.updated_at = s.synced_at;
          }
        }
        job.message = messages.join('; ');
        if (failed.length) job.error = `${failed.length} of ${list.length} sources failed: ${failed.join(', ')}`;
      },
    });
    return steps;
  };

  const running = () => jobs.find((j) => j.state === 'running');

  /** handle answers the routes of this module; false when the route is another's. */
  const handle = (req, res, { path, query, raw, who }) => {
    const m = req.method;
    let x;
    if (m === 'GET' && path === '/vulns') {
      const f = filterOf(res, query);
      if (!f) return true;
      return send(res, 200, page(matching(f).map((v) => ({ ...v, hostname: hostname(v.agent_id) })), query)), true;
    }
    if (m === 'GET' && path === '/vulns/hosts') {
      const id = query.get('agent_id') ?? '';
      const by = new Map();
      for (const f of findings) {
        if (id && f.agent_id !== id) continue;
        const h = by.get(f.agent_id) ?? { agent_id: f.agent_id, hostname: hostname(f.agent_id), critical: 0, high: 0, medium: 0, low: 0, other: 0, known_exploited: 0, fixable: 0, total: 0 };
        if (['critical', 'high', 'medium', 'low'].includes(f.severity)) h[f.severity]++;
        else h.other++;
        if (f.known_exploited) h.known_exploited++;
        if (f.fixed_version) h.fixable++;
        h.total++;
        by.set(f.agent_id, h);
      }
      const items = [...by.values()].sort((a, b) => b.known_exploited - a.known_exploited || b.critical - a.critical || b.high - a.high || b.total - a.total || a.agent_id.localeCompare(b.agent_id));
      return send(res, 200, { items, next_cursor: '' }), true;
    }
    if (m === 'GET' && path === '/vulns/cves') {
      const f = filterOf(res, query);
      if (!f) return true;
      return send(res, 200, page(summaries(matching(f)), query)), true;
    }
    if (m === 'GET' && (x = path.match(/^\/vulns\/cves\/([^/]+)$/))) {
      const id = decodeURIComponent(x[1]);
      const sums = summaries(matching({ agent_id: '', vuln_id: id, ecosystem: '', package: '', q: '', severity: [] }));
      const advs = advisories.filter((a) => a.id === id || a.aliases.includes(id));
      if (sums.length === 0 && advs.length === 0) return fail(res, 404, 'not_found', `vulnerability ${id} not found`), true;
      const entry = kev.find((k) => k.cve.toLowerCase() === id.toLowerCase());
      const base = sums[0] ?? { vuln_id: id, severity: advs[0]?.severity ?? 'unknown', known_exploited: !!entry, hosts: 0, packages: [], fixable: false };
      return send(res, 200, { ...base, advisories: advs, ...(entry ? { known_exploited_entry: entry } : {}) }), true;
    }
    if (m === 'GET' && path === '/patches') {
      const f = filterOf(res, query);
      if (!f) return true;
      const list = matching({ ...f, fixable: true });
      if (f.agent_id) {
        const items = groupPatches(list, true);
        return send(res, 200, { agent_id: f.agent_id, hostname: hostname(f.agent_id), command: hostCommand(items) || undefined, items }), true;
      }
      return send(res, 200, { items: groupPatches(list, false) }), true;
    }
    if (m === 'GET' && path === '/weak-passwords') {
      const want = Object.fromEntries(['agent_id', 'target', 'type', 'severity'].map((k) => [k, query.get(k) ?? '']));
      const q = (query.get('q') ?? '').toLowerCase();
      const items = weakPasswords
        .map((w) => ({ ...w, hostname: hostname(w.agent_id) }))
        .filter((w) => Object.entries(want).every(([k, v]) => !v || w[k] === v) && (!q || `${w.key} ${w.name} ${w.hostname} ${w.reason}`.toLowerCase().includes(q)))
        .sort((a, b) => a.agent_id.localeCompare(b.agent_id) || a.collector.localeCompare(b.collector) || a.key.localeCompare(b.key));
      return send(res, 200, page(items, query)), true;
    }
    if (path === '/weak-passwords/wordlists' && m === 'GET') {
      if (!need(res, who, 'admin', 'wordlist.list', '')) return true;
      return send(res, 200, { items: wordlists.map(({ words, ...l }) => l), next_cursor: '' }), true;
    }
    if ((x = path.match(/^\/weak-passwords\/wordlists\/([^/]+)$/)) && (m === 'PUT' || m === 'DELETE')) {
      const name = decodeURIComponent(x[1]);
      if (!need(res, who, 'admin', `wordlist.${m === 'PUT' ? 'put' : 'delete'}`, name)) return true;
      if (m === 'DELETE') {
        const i = wordlists.findIndex((l) => l.name === name);
        if (i < 0) return fail(res, 404, 'not_found', `word list ${name} not found`), true;
        wordlists.splice(i, 1);
        record(who, 'wordlist.delete', name, 'ok');
        return noContent(res), true;
      }
      if (!namePattern.test(name)) return fail(res, 400, 'bad_request', `name "${name}": want 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`), true;
      if (raw.length > 256 << 10) return fail(res, 413, 'too_large', `word list larger than ${256 << 10} bytes`), true;
      let words;
      try {
        words = parseWordlist(raw.toString('utf8'));
      } catch (err) {
        record(who, 'wordlist.put', name, 'error', { status: 400, message: err.message });
        return fail(res, 400, 'bad_request', err.message), true;
      }
      const others = wordlists.filter((l) => l.name !== name).reduce((n, l) => n + l.count, 0);
      if (others + words.length > 20_000) return fail(res, 400, 'bad_request', `the word lists would hold ${others + words.length} words, at most 20000 in all (they travel in every agent's policy)`), true;
      const at = iso(Date.now());
      const old = wordlists.find((l) => l.name === name);
      const list = { name, words, count: words.length, sha256: createHash('sha256').update(words.join('\n')).digest('hex'), author: who.kind === 'api' ? `token:${who.name.replace(/^token:/, '')}` : who.name, created_at: old?.created_at ?? at, updated_at: at };
      if (old) Object.assign(old, list);
      else wordlists.push(list), wordlists.sort((a, b) => (a.name < b.name ? -1 : 1));
      record(who, 'wordlist.put', name, 'ok', { words: words.length });
      const { words: _, ...view } = list;
      return send(res, old ? 200 : 201, view), true;
    }
    if (m === 'GET' && path === '/vulndb') return send(res, 200, status()), true;
    if (m === 'POST' && path === '/vulndb/import') {
      const source = query.get('source') ?? '';
      if (!need(res, who, 'responder', 'vulndb.import', source)) return true;
      if (!source) return fail(res, 400, 'bad_request', 'source: name the feed the file is (e.g. Debian, Maven, kev)'), true;
      if (!sourcePattern.test(source)) return fail(res, 400, 'bad_request', `source: name "${source}": letters, digits and . _ : + - and blanks, at most 64`), true;
      if (raw.length === 0) return fail(res, 400, 'bad_request', 'the upload is empty'), true;
      if (running()) return fail(res, 409, 'conflict', 'another import or sync of the vulnerability database is running'), true;
      const job = startJob('import', source, who.kind === 'api' ? `token:${who.name.replace(/^token:/, '')}` : who.name, importSteps(raw, source));
      record(who, 'vulndb.import', source, 'ok', { bytes: raw.length, job: job.id });
      return send(res, 202, job), true;
    }
    if (m === 'POST' && path === '/vulndb/sync') {
      const name = query.get('source') ?? '';
      if (!need(res, who, 'responder', 'vulndb.sync', name)) return true;
      if (name && !sources.some((s) => s.configured && s.name === name)) return fail(res, 404, 'not_found', `no such vulnerability source: "${name}"`), true;
      if (running()) return fail(res, 409, 'conflict', 'another import or sync of the vulnerability database is running'), true;
      const job = startJob('sync', name, who.kind === 'api' ? `token:${who.name.replace(/^token:/, '')}` : who.name, syncSteps(name));
      record(who, 'vulndb.sync', name, 'ok', { job: job.id });
      return send(res, 202, job), true;
    }
    if (m === 'GET' && (x = path.match(/^\/vulndb\/jobs\/([^/]+)$/))) {
      const job = jobs.find((j) => j.id === decodeURIComponent(x[1]));
      if (!job) return fail(res, 404, 'not_found', `job ${x[1]} not found`), true;
      const copy = { ...job, problems: job.problems ? [...job.problems] : undefined };
      advance(job);
      return send(res, 200, copy), true;
    }
    if (m === 'GET' && path === '/vulndb/advisories') {
      const f = Object.fromEntries(['id', 'ecosystem', 'source', 'severity', 'q'].map((k) => [k, query.get(k) ?? '']));
      const q = f.q.toLowerCase();
      const items = advisories
        .filter(
          (a) =>
            (!f.id || a.id === f.id || a.aliases.includes(f.id)) &&
            (!f.ecosystem || a.ecosystems.includes(f.ecosystem)) &&
            (!f.source || a.source === f.source) &&
            (!f.severity || a.severity === f.severity) &&
            (!q || [a.id, ...a.aliases, a.summary, ...a.packages].some((s) => s.toLowerCase().includes(q))),
        )
        .map(({ record: _, ...a }) => a);
      return send(res, 200, page(items, query)), true;
    }
    if (m === 'GET' && (x = path.match(/^\/vulndb\/advisories\/([^/]+)$/))) {
      const id = decodeURIComponent(x[1]);
      const a = advisories.find((y) => y.id === id);
      return (a ? send(res, 200, a) : fail(res, 404, 'not_found', `advisory ${id} not found`)), true;
    }
    return false;
  };

  return { handle, state: { findings, advisories, get kev() { return kev; }, weakPasswords, wordlists, sources, jobs, service } };
}
