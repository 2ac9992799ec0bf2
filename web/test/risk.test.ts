// Risk management's data shaping: the findings filter between the URL and
// the API's query, severities in order, the fleet's counts and bars, weak
// passwords counted and read (never more than the masked hint), the
// database's freshness and sources, patches grouped for display, jobs'
// progress and their watch, OSV records, and word lists as the center
// reads them.
import { describe, expect, it } from 'vitest';
import { ApiError, buildQuery } from '../src/api/client';
import type { Patch, VulnDBStatus, VulnHostSummary, VulnJob, WeakPassword } from '../src/api/types';
import { watchJob } from '../src/lib/jobWatch';
import type { Timers } from '../src/lib/poller';
import {
  bySeverity,
  checkSourceName,
  checkWordlist,
  countByTarget,
  dateOnly,
  emptyFindingFilter,
  filterCount,
  findingParams,
  findingQuery,
  firstOf,
  fleetCounts,
  freshness,
  groupPatches,
  jobPercent,
  kevOverdue,
  osvAffected,
  osvDetails,
  osvReferences,
  parseSeverities,
  patchVersions,
  readFindingFilter,
  readWeakPassword,
  runningJob,
  severityBar,
  severityRank,
  sortHosts,
  sourceRows,
  staleAfterMs,
  suggestSource,
  toggleSeverity,
  uploadPercent,
  worstSeverity,
  wordlistLimits,
} from '../src/lib/risk';
import { withQuery } from '../src/router';

describe('severities', () => {
  it('rank critical first and words that are no severity last', () => {
    expect(['low', 'bogus', 'critical', 'unknown', 'none', 'medium', 'high'].sort((a, b) => severityRank(a) - severityRank(b))).toEqual([
      'critical',
      'high',
      'medium',
      'low',
      'none',
      'unknown',
      'bogus',
    ]);
    expect(worstSeverity(['low', 'high', 'medium'])).toBe('high');
    expect(worstSeverity([])).toBe('unknown');
    expect(worstSeverity(['none', 'weird'])).toBe('none');
  });

  it('order items by severity, then score, keeping ties in place', () => {
    const items = [
      { id: 'a', severity: 'medium', score: 5.3 },
      { id: 'b', severity: 'critical', score: 9 },
      { id: 'c', severity: 'medium', score: 6.6 },
      { id: 'd', severity: 'critical', score: 10 },
      { id: 'e', severity: 'medium' },
      { id: 'f', severity: 'medium' },
    ];
    expect(bySeverity(items).map((x) => x.id)).toEqual(['d', 'b', 'c', 'a', 'e', 'f']);
    expect(items[0]!.id).toBe('a');
  });

  it('parse a comma list, dropping other words and repeats, most severe first', () => {
    expect(parseSeverities('low,critical, HIGH ,bogus,low')).toEqual(['critical', 'high', 'low']);
    expect(parseSeverities('')).toEqual([]);
    expect(parseSeverities(null)).toEqual([]);
    expect(toggleSeverity(['critical', 'low'], 'high')).toEqual(['critical', 'high', 'low']);
    expect(toggleSeverity(['critical', 'high'], 'critical')).toEqual(['high']);
  });
});

describe('the findings filter', () => {
  it('goes to the URL and the API with severities joined and flags as true', () => {
    const f = { ...emptyFindingFilter, severity: toggleSeverity(['critical'], 'high'), known_exploited: true, package: ' openssl ', agent_id: 'a1' };
    expect(findingParams(f)).toEqual({
      agent_id: 'a1',
      vuln_id: undefined,
      ecosystem: undefined,
      package: 'openssl',
      q: undefined,
      severity: 'critical,high',
      known_exploited: 'true',
      running: undefined,
      fixable: undefined,
    });
    expect(withQuery('/vulns', findingParams(f))).toBe('/vulns?agent_id=a1&package=openssl&severity=critical%2Chigh&known_exploited=true');
    expect(buildQuery(findingQuery(f, 'c100', 100))).toBe('?agent_id=a1&package=openssl&severity=critical%2Chigh&known_exploited=true&cursor=c100&limit=100');
    expect(buildQuery(findingQuery(emptyFindingFilter))).toBe('');
  });

  it('is read back from the URL as it was written', () => {
    const f = { ...emptyFindingFilter, severity: parseSeverities('medium,none'), running: true, fixable: true, q: 'log4j', ecosystem: 'Debian:12', vuln_id: 'CVE-2021-44228' };
    const url = withQuery('/vulns', findingParams(f));
    expect(readFindingFilter(new URL(url, 'http://x').searchParams)).toEqual(f);
    expect(filterCount(f)).toBe(6);
    expect(filterCount(emptyFindingFilter)).toBe(0);
  });

  it('reads flags as the center does and drops what is no severity', () => {
    const f = readFindingFilter(new URLSearchParams('known_exploited=1&running=false&fixable=yes&severity=critical,oops&q=%20x%20'));
    expect(f).toMatchObject({ known_exploited: true, running: false, fixable: false, severity: ['critical'], q: 'x' });
  });
});

const host = (id: string, over: Partial<VulnHostSummary>): VulnHostSummary => ({
  agent_id: id,
  critical: 0,
  high: 0,
  medium: 0,
  low: 0,
  other: 0,
  known_exploited: 0,
  fixable: 0,
  total: 0,
  ...over,
});

describe('hosts', () => {
  it('are ordered riskiest first: known exploited, critical, high, total, then id', () => {
    const hosts = [
      host('h-total', { medium: 40, total: 40 }),
      host('h-high', { high: 3, total: 3 }),
      host('h-kev', { critical: 1, known_exploited: 1, total: 1 }),
      host('h-crit', { critical: 2, total: 2 }),
      host('a-total', { medium: 40, total: 40 }),
    ];
    expect(sortHosts(hosts).map((h) => h.agent_id)).toEqual(['h-kev', 'h-crit', 'h-high', 'a-total', 'h-total']);
  });

  it('add up to the fleet, counting hosts with findings', () => {
    const c = fleetCounts([host('a', { critical: 4, high: 2, medium: 5, low: 1, known_exploited: 4, fixable: 11, total: 12 }), host('b', { other: 1, fixable: 0, total: 1 }), host('c', {})]);
    expect(c).toEqual({ critical: 4, high: 2, medium: 5, low: 1, other: 1, known_exploited: 4, fixable: 11, total: 13, hosts: 2 });
  });

  it('draw a bar of their severities without the empty ones', () => {
    expect(severityBar(host('a', { critical: 1, high: 0, medium: 2, low: 1, other: 0 }))).toEqual([
      { severity: 'critical', n: 1, pct: 25 },
      { severity: 'medium', n: 2, pct: 50 },
      { severity: 'low', n: 1, pct: 25 },
    ]);
    expect(severityBar(host('b', {}))).toEqual([]);
  });
});

const wp = (over: Partial<WeakPassword>): WeakPassword => ({
  agent_id: 'a1',
  collector: 'risk/services',
  key: 'k',
  name: 'redis',
  target: 'redis',
  type: 'no_auth',
  severity: 'critical',
  first_seen: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  ...over,
});

describe('weak passwords', () => {
  it('are counted by target, most first, with their hosts', () => {
    const counts = countByTarget([
      wp({ target: 'account', severity: 'critical' }),
      wp({ target: 'account', severity: 'high', agent_id: 'a2' }),
      wp({ target: 'redis', severity: 'critical' }),
      wp({ target: 'account', severity: 'critical' }),
      wp({ target: 'ssh', severity: 'low' }),
      wp({ target: '', severity: 'medium' }),
    ]);
    expect(counts.map((c) => [c.target, c.total, c.critical, c.high, c.hosts])).toEqual([
      ['account', 3, 2, 1, 2],
      ['redis', 1, 1, 0, 1],
      ['ssh', 1, 0, 0, 1],
      ['unknown', 1, 0, 0, 1],
    ]);
  });

  it('show a service password only as its masked hint and length', () => {
    const d = readWeakPassword(
      wp({
        target: 'mysql',
        fields: {
          vigil: { weak_password: { evidence: 'login as root@127.0.0.1 accepted', account: 'root', password_hint: 'r**t', password_length: 4, password: 'root', hash: '$6$x' } },
          server: { address: '127.0.0.1', port: 3306 },
        },
      }),
    );
    expect(d).toEqual({
      account: 'root',
      anonymous: false,
      evidence: 'login as root@127.0.0.1 accepted',
      hint: 'r**t',
      length: 4,
      address: '127.0.0.1:3306',
      file: '',
      listen: [],
      scheme: '',
      source: '',
    });
    expect(JSON.stringify(d)).not.toContain('$6$x');
  });

  it('read an account finding: the user, the hint and length, the scheme and list', () => {
    const d = readWeakPassword(
      wp({ target: 'account', name: 'alice', fields: { user: { name: 'alice' }, vigil: { weak_password: { hint: 'a*******3', length: 9, scheme: 'yescrypt', source: 'account' } } } }),
    );
    expect(d).toMatchObject({ account: 'alice', hint: 'a*******3', length: 9, scheme: 'yescrypt', source: 'account', evidence: '' });
    expect(readWeakPassword(wp({ target: 'account', name: 'bob' })).account).toBe('bob');
  });

  it('read an anonymous access on IPv6, a file and listening addresses, and survive odd fields', () => {
    const d = readWeakPassword(wp({ fields: { vigil: { weak_password: { anonymous: true, listen: ['tcp/[::1]:3306', 7] } }, server: { address: '::1', port: '3306' }, file: { path: '/etc/mysql/my.cnf' } } }));
    expect(d).toMatchObject({ anonymous: true, address: '[::1]:3306', listen: ['tcp/[::1]:3306'], file: '/etc/mysql/my.cnf' });
    expect(readWeakPassword(wp({ fields: { vigil: 'x' } as unknown as Record<string, unknown> }))).toMatchObject({ hint: '', length: 0, account: '' });
  });
});

const status = (over: Partial<VulnDBStatus>): VulnDBStatus => ({
  advisories: {},
  known_exploited: 0,
  sources: [],
  service: { hosts_matched: 0, host_errors: 0 },
  jobs: [],
  ...over,
});
const now = Date.parse('2026-03-10T12:00:00Z');
const src = (name: string, over: Record<string, unknown> = {}) => ({ name, configured: true, records: 0, rejected: 0, ...over });

describe('the vulnerability database', () => {
  it('is empty without advisories', () => {
    const f = freshness(status({ sources: [src('Debian')] }), now);
    expect(f).toMatchObject({ advisories: 0, empty: true, stale: false, lastSync: '', lastMatch: '' });
  });

  it('is fresh when a source was synced lately, stale after a week or never synced', () => {
    const synced = (ms: number) => status({ advisories: { Debian: 10, Maven: 4 }, sources: [src('Debian', { synced_at: new Date(now - ms).toISOString() }), src('Maven', { synced_at: '0001-01-01T00:00:00Z' })] });
    expect(freshness(synced(3 * 3600_000), now)).toMatchObject({ advisories: 14, empty: false, stale: false, lastSync: new Date(now - 3 * 3600_000).toISOString() });
    expect(freshness(synced(staleAfterMs + 1000), now).stale).toBe(true);
    expect(freshness(synced(staleAfterMs - 1000), now).stale).toBe(false);
    expect(freshness(status({ advisories: { upload: 3 } }), now)).toMatchObject({ stale: true, lastSync: '' });
  });

  it('names the sources whose last attempt failed, and the last fleet match', () => {
    const f = freshness(
      status({
        advisories: { Debian: 1 },
        sources: [src('PyPI', { error: 'no such host' }), src('Debian', { synced_at: new Date(now).toISOString() })],
        service: { hosts_matched: 4, host_errors: 0, last_fleet_match: '2026-03-10T11:00:00Z' },
      }),
      now,
    );
    expect(f.failing).toEqual(['PyPI']);
    expect(f.lastMatch).toBe('2026-03-10T11:00:00Z');
  });

  it('lists sources with their advisories, including one known only by them', () => {
    const rows = sourceRows(
      status({
        advisories: { Maven: 4, 'my-file': 2 },
        sources: [src('Maven', { url: 'https://x/Maven/all.zip', records: 4, synced_at: '2026-03-10T09:00:00Z' }), src('PyPI', { error: 'down', disabled: true })],
      }),
    );
    expect(rows.map((r) => [r.name, r.configured, r.imported, r.disabled, r.advisories, r.error])).toEqual([
      ['Maven', true, true, false, 4, ''],
      ['my-file', false, true, false, 2, ''],
      ['PyPI', true, false, true, 0, 'down'],
    ]);
  });

  it('checks source names as the center does and guesses them from file names', () => {
    for (const ok of ['Debian', 'Rocky Linux', 'kev', 'Debian:12', 'a+b_c.d-e']) expect(checkSourceName(ok), ok).toBe(true);
    for (const bad of ['', ' Debian', '-x', 'a/b', 'x'.repeat(65), 'é']) expect(checkSourceName(bad), bad).toBe(false);
    expect(suggestSource('known_exploited_vulnerabilities.json')).toBe('kev');
    expect(suggestSource('/tmp/Maven-all.zip')).toBe('Maven');
    expect(suggestSource('Debian.zip')).toBe('Debian');
    expect(suggestSource('weird/na$me.json')).toBe('');
  });
});

const job = (over: Partial<VulnJob>): VulnJob => ({ id: 'j1', kind: 'import', state: 'running', done: 0, total: 0, added: 0, updated: 0, unchanged: 0, rejected: 0, started_at: '2026-03-10T12:00:00Z', ...over });

describe('jobs', () => {
  it('say their progress when the total is known, 100 once done', () => {
    expect(jobPercent(job({ done: 50, total: 200 }))).toBe(25);
    expect(jobPercent(job({ done: 1, total: 3 }))).toBe(33);
    expect(jobPercent(job({ done: 5, total: 0 }))).toBeNull();
    expect(jobPercent(job({ done: 500, total: 200 }))).toBe(100);
    expect(jobPercent(job({ state: 'done', done: 0, total: 0 }))).toBe(100);
    expect(uploadPercent({ loaded: 512, total: 2048 })).toBe(25);
    expect(uploadPercent({ loaded: 0, total: 0 })).toBe(0);
    expect(runningJob([job({ id: 'a', state: 'done' }), job({ id: 'b' })])?.id).toBe('b');
    expect(runningJob(null)).toBeNull();
  });

  /** fakeTimers runs timers when told. */
  const fakeTimers = () => {
    const queue: (() => void)[] = [];
    const timers: Timers = {
      setTimeout: (fn) => {
        queue.push(fn);
        return queue.length;
      },
      clearTimeout: () => {
        queue.length = 0;
      },
    };
    return { timers, queue, tick: async () => queue.shift()?.() };
  };
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it('are read again until they end, one read at a time', async () => {
    const states = [job({ phase: 'read', done: 1, total: 4 }), job({ phase: 'store' }), job({ state: 'done', added: 3 })];
    const seen: string[] = [];
    let ended: VulnJob | null = null;
    const clock = fakeTimers();
    let calls = 0;
    watchJob('j1', { load: async () => states[calls++]!, onJob: (j) => seen.push(j.phase ?? j.state), onError: () => undefined, onEnd: (j) => (ended = j) }, 1000, clock.timers);
    await settle();
    expect(seen).toEqual(['read']);
    expect(clock.queue.length).toBe(1);
    await clock.tick();
    await settle();
    await clock.tick();
    await settle();
    expect(seen).toEqual(['read', 'store', 'done']);
    expect(ended).toMatchObject({ state: 'done', added: 3 });
    expect(clock.queue.length).toBe(0);
    expect(calls).toBe(3);
  });

  it('try again after an error but stop when the center forgot the job, or when stopped', async () => {
    const clock = fakeTimers();
    const errors: [string, boolean][] = [];
    let calls = 0;
    const answers: (() => Promise<VulnJob>)[] = [() => Promise.reject(new ApiError(0, 'network', 'down')), () => Promise.reject(new ApiError(404, 'not_found', 'job j1 not found'))];
    watchJob('j1', { load: () => answers[calls++]!(), onJob: () => undefined, onError: (e, final) => errors.push([(e as Error).message, final]) }, 1000, clock.timers);
    await settle();
    await clock.tick();
    await settle();
    expect(errors).toEqual([
      ['down', false],
      ['job j1 not found', true],
    ]);
    expect(clock.queue.length).toBe(0);

    const c2 = fakeTimers();
    let reads = 0;
    const stop = watchJob('j2', { load: async () => (reads++, job({})), onJob: () => undefined, onError: () => undefined }, 1000, c2.timers);
    await settle();
    stop();
    await c2.tick();
    await settle();
    expect(reads).toBe(1);
  });
});

const patch = (over: Partial<Patch>): Patch => ({ ecosystem: 'Debian:12', kind: 'package', package: 'p', fixed_version: '2', versions: ['1'], vulns: ['CVE-1'], severity: 'low', known_exploited: false, hosts: 1, ...over });

describe('patches', () => {
  it('are grouped by ecosystem, the most severe group first, and ordered within', () => {
    const groups = groupPatches([
      patch({ package: 'login', severity: 'low', hosts: 3, command: 'apt-get update && apt-get install --only-upgrade -y login' }),
      patch({ ecosystem: 'npm', kind: 'library', package: 'lodash', severity: 'high', command: 'npm install lodash@4.17.21' }),
      patch({ package: 'openssl', severity: 'medium', vulns: ['a', 'b', 'c', 'd'], command: 'x' }),
      patch({ ecosystem: 'Maven', kind: 'library', package: 'log4j-core', severity: 'critical', known_exploited: true, vulns: ['CVE-2021-44228', 'CVE-2021-45046'] }),
      patch({ package: 'redis-server', severity: 'high', vulns: ['e', 'f'], command: 'y' }),
      patch({ package: 'mariadb-server', severity: 'medium', command: 'z' }),
    ]);
    expect(groups.map((g) => [g.ecosystem, g.severity, g.knownExploited, g.vulns, g.manual])).toEqual([
      ['Maven', 'critical', true, 2, 1],
      // CVE-1 is fixed by two of its patches: counted once.
      ['Debian:12', 'high', false, 7, 0],
      ['npm', 'high', false, 1, 0],
    ]);
    expect(groups[1]!.patches.map((p) => p.package)).toEqual(['redis-server', 'openssl', 'mariadb-server', 'login']);
  });

  it('say what they replace and show their first vulnerabilities', () => {
    expect(patchVersions(patch({ versions: ['3.0.11-1~deb12u2'], fixed_version: '3.0.13-1~deb12u1' }))).toBe('3.0.11-1~deb12u2 → 3.0.13-1~deb12u1');
    expect(patchVersions(patch({ versions: ['2.14.1', '2.16.0'], fixed_version: '2.17.1' }))).toBe('2.14.1, 2.16.0 → 2.17.1');
    expect(patchVersions(patch({ versions: null, fixed_version: '2' }))).toBe('→ 2');
    expect(firstOf(['a', 'b', 'c', 'd'], 3)).toEqual({ shown: ['a', 'b', 'c'], more: 1 });
    expect(firstOf(null, 3)).toEqual({ shown: [], more: 0 });
  });
});

describe('OSV records', () => {
  const record = {
    id: 'GHSA-jfh8-c2jp-5v3q',
    details: '  Apache Log4j2 JNDI features ...\n',
    references: [
      { type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228' },
      { type: 'WEB', url: 'javascript:alert(1)' },
      { url: 'http://example.org/a' },
      { type: 'WEB', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228' },
      'junk',
    ],
    affected: [
      {
        package: { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core', purl: 'pkg:maven/org.apache.logging.log4j/log4j-core' },
        ranges: [
          { type: 'ECOSYSTEM', events: [{ introduced: '2.13.0' }, { fixed: '2.15.0' }, { introduced: '2.0-beta9' }, { fixed: '2.12.2' }] },
          { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '1.2.17' }] },
        ],
        versions: ['2.0', '2.1'],
      },
      { package: { ecosystem: 'Debian:12' } },
      null,
    ],
  };

  it('give their web references, each once', () => {
    expect(osvReferences(record)).toEqual([
      { type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228' },
      { type: 'WEB', url: 'http://example.org/a' },
    ]);
    expect(osvReferences(undefined)).toEqual([]);
    expect(osvReferences({ references: 'x' })).toEqual([]);
  });

  it('give their affected packages with the versions that fix them', () => {
    expect(osvAffected(record)).toEqual([
      {
        ecosystem: 'Maven',
        name: 'org.apache.logging.log4j:log4j-core',
        purl: 'pkg:maven/org.apache.logging.log4j/log4j-core',
        introduced: ['2.13.0', '2.0-beta9', '0'],
        fixed: ['2.15.0', '2.12.2'],
        lastAffected: ['1.2.17'],
        versions: 2,
      },
      { ecosystem: 'Debian:12', name: '', purl: '', introduced: [], fixed: [], lastAffected: [], versions: 0 },
      { ecosystem: '', name: '', purl: '', introduced: [], fixed: [], lastAffected: [], versions: 0 },
    ]);
    expect(osvDetails(record)).toBe('Apache Log4j2 JNDI features ...');
    expect(osvAffected({ affected: {} })).toEqual([]);
  });

  it('date the known exploited entries and tell when they are overdue', () => {
    expect(dateOnly('2021-12-24T00:00:00Z')).toBe('2021-12-24');
    expect(dateOnly('0001-01-01T00:00:00Z')).toBe('');
    expect(dateOnly(undefined)).toBe('');
    expect(kevOverdue({ due_date: '2021-12-24T00:00:00Z' }, now)).toBe(true);
    expect(kevOverdue({ due_date: '2027-01-01T00:00:00Z' }, now)).toBe(false);
    expect(kevOverdue(undefined, now)).toBe(false);
  });
});

describe('word lists', () => {
  it('are read as the center reads them: comments, blanks and repeats skipped', () => {
    expect(checkWordlist('# ours\nAcme2024!\n\nacme@123\r\nAcme2024!\n')).toEqual({ words: 2, skipped: 3, badLine: 0, problem: '' });
    expect(checkWordlist('one')).toEqual({ words: 1, skipped: 0, badLine: 0, problem: '' });
    expect(checkWordlist('tab\tword\n')).toMatchObject({ words: 1, problem: '' });
  });

  it('say what the center would refuse, and where', () => {
    expect(checkWordlist('ok\n' + 'x'.repeat(129) + '\n')).toMatchObject({ problem: 'long', badLine: 2 });
    expect(checkWordlist('ok\nbad\u0007word\n')).toMatchObject({ problem: 'unprintable', badLine: 2 });
    expect(checkWordlist('# only comments\n\n')).toMatchObject({ problem: 'empty' });
    expect(checkWordlist('x', wordlistLimits.bytes + 1)).toMatchObject({ problem: 'tooBig' });
    const many = Array.from({ length: wordlistLimits.words + 1 }, (_, i) => `w${i}`).join('\n');
    expect(checkWordlist(many)).toMatchObject({ problem: 'tooMany', words: wordlistLimits.words + 1 });
  });
});
