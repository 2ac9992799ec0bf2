// Compliance baselines' data shaping and routes: scores and their tones,
// texts in the user's language, references in order, the agent's evidence
// read into lines, the fleet's trend from the score history (carried
// forward, steady hosts, new hosts) and its chart, the overview's tables,
// the checks' filter between the URL and the table, a refused upload's
// problems by line, a chosen file's format and id, intervals and the
// exception form; then the API module: the requests each route sends, a
// report fetched with the token and its file name, an upload's body and
// type, and the run sent as the collect command.
import { describe, expect, it } from 'vitest';
import {
  complianceReport,
  createException,
  deleteAssignment,
  deleteException,
  deletePolicy,
  getPolicy,
  hostSummaries,
  listChecks,
  listDrift,
  listExceptions,
  listGroups,
  listPolicies,
  listResults,
  listScores,
  listSummaries,
  putAssignment,
  putPolicy,
  runBaseline,
} from '../src/api/compliance';
import { ApiError, dispositionFilename } from '../src/api/client';
import type { ComplianceGroup, CompliancePolicy, ComplianceScore, ComplianceSummary } from '../src/api/types';
import {
  checkExceptionForm,
  checkFilterParams,
  checkPolicyId,
  clipText,
  countsBar,
  defaultPolicy,
  evidenceLine,
  exceptionExpired,
  fleetTrend,
  guessPolicyFile,
  intervalText,
  labelKeys,
  localText,
  lowestHosts,
  matchesCheck,
  parseInterval,
  parsePolicyProblems,
  policyProblems,
  policyRows,
  readCheckFilter,
  readEvidence,
  referenceGroups,
  scoreOf,
  scoreText,
  scoreTone,
  toggleCheckSeverity,
  trendChart,
  trendDays,
} from '../src/lib/compliance';
import { withQuery } from '../src/router';
import { fakeUploads, lastUpload, recordFetch, signedIn } from './fakes';

const counts = (over: Partial<ComplianceSummary['counts']> = {}) => ({ pass: 0, fail: 0, error: 0, not_applicable: 0, excepted: 0, total: 0, ...over });

describe('scores', () => {
  it('are passed over passed and failed, none without either', () => {
    expect(scoreOf(10, 2)).toBeCloseTo(83.333, 2);
    expect(scoreOf(0, 0)).toBeNull();
    expect(scoreOf(0, 3)).toBe(0);
  });

  it('show one decimal at most and have a tone', () => {
    expect(scoreText(83.3333)).toBe('83.3%');
    expect(scoreText(100)).toBe('100%');
    expect(scoreText(0)).toBe('0%');
    expect(scoreText(null)).toBe('—');
    expect(scoreText(Number.NaN)).toBe('—');
    expect([95, 90, 89.9, 70, 69.9, 0].map(scoreTone)).toEqual(['good', 'good', 'fair', 'fair', 'poor', 'poor']);
    expect(scoreTone(null)).toBe('none');
  });

  it('cut counts into a bar without empty parts', () => {
    expect(countsBar(counts({ pass: 6, fail: 2, error: 0, excepted: 2, not_applicable: 5 }))).toEqual([
      { status: 'pass', n: 6, pct: 60 },
      { status: 'excepted', n: 2, pct: 20 },
      { status: 'fail', n: 2, pct: 20 },
    ]);
    expect(countsBar(counts({ not_applicable: 3 }))).toEqual([]);
  });
});

describe('texts and references', () => {
  it('take the language asked for, else the other one', () => {
    expect(localText({ en: 'Ensure', zh: '确保' }, 'zh')).toBe('确保');
    expect(localText({ en: 'Ensure', zh: '' }, 'zh')).toBe('Ensure');
    expect(localText({ en: '', zh: '确保' }, 'en')).toBe('确保');
    expect(localText(undefined, 'en')).toBe('');
  });

  it('put CIS and GB/T 22239 first, then the others by name, leaving out empty lists', () => {
    expect(referenceGroups({ nist_800_53: ['AC-6(2)'], zeta: ['1'], mlps: ['8.1.4.2 d)'], cis: ['5.1.20'], alpha: [], url: ['https://example.org/x'] })).toEqual([
      { framework: 'cis', ids: ['5.1.20'] },
      { framework: 'mlps', ids: ['8.1.4.2 d)'] },
      { framework: 'nist_800_53', ids: ['AC-6(2)'] },
      { framework: 'url', ids: ['https://example.org/x'] },
      { framework: 'zeta', ids: ['1'] },
    ]);
    expect(referenceGroups(null)).toEqual([]);
    expect(referenceGroups({ cis: null })).toEqual([]);
  });
});

describe('evidence', () => {
  it('is read from the rule results the agent sent, dropping what is not one', () => {
    const ev = readEvidence([
      { index: 0, type: 'config', result: 'fails', evidence: ['/etc/ssh/sshd_config:33: PermitRootLogin yes', 7] },
      { index: 1, type: 'package', result: 'holds', applies_if: true, not: true },
      'junk',
      null,
      { type: 'command', result: 'error', error: 'sshd -T: exit status 255' },
    ]);
    expect(ev).toEqual([
      { index: 0, type: 'config', result: 'fails', not: false, applies_if: false, error: '', evidence: ['/etc/ssh/sshd_config:33: PermitRootLogin yes'] },
      { index: 1, type: 'package', result: 'holds', not: true, applies_if: true, error: '', evidence: [] },
      { index: 2, type: 'command', result: 'error', not: false, applies_if: false, error: 'sshd -T: exit status 255', evidence: [] },
    ]);
    expect(readEvidence({ rules: [] })).toEqual([]);
    expect(readEvidence(undefined)).toEqual([]);
  });

  it('lines name their file or command and line when they have one', () => {
    expect(evidenceLine('/etc/ssh/sshd_config:33: PermitRootLogin yes')).toEqual({ source: '/etc/ssh/sshd_config', line: 33, text: 'PermitRootLogin yes', cut: false });
    expect(evidenceLine('sshd -T:2: permitrootlogin no')).toEqual({ source: 'sshd -T', line: 2, text: 'permitrootlogin no', cut: false });
    expect(evidenceLine('/etc/login.defs:165: PASS_MAX_DAYS\t99999 (want <= 365)')).toMatchObject({ line: 165, text: 'PASS_MAX_DAYS\t99999 (want <= 365)' });
    expect(evidenceLine('/etc/shadow: file root:shadow 0644 (want mode 0640 or less)')).toEqual({ source: '/etc/shadow', line: 0, text: 'file root:shadow 0644 (want mode 0640 or less)', cut: false });
    expect(evidenceLine('kernel.randomize_va_space = 2 (running)')).toEqual({ source: '', line: 0, text: 'kernel.randomize_va_space = 2 (running)', cut: false });
    expect(evidenceLine('telnet 0.17+2.4-2+deb12u1: installed')).toMatchObject({ source: '', line: 0 });
    expect(evidenceLine('... 3 more lines cut')).toMatchObject({ cut: true });
    expect(evidenceLine('... 1 more line cut')).toMatchObject({ cut: true });
  });

  it('long texts are cut with an ellipsis, by characters', () => {
    expect(clipText('abcdef', 4)).toBe('abc…');
    expect(clipText('abc', 4)).toBe('abc');
    expect(clipText('确保禁止登录', 4)).toBe('确保禁…');
  });
});

describe('the trend', () => {
  const day = 86_400_000;
  const t0 = Date.parse('2026-03-01T00:00:00Z');
  const at = (d: number, h = 10) => new Date(t0 + d * day + h * 3_600_000).toISOString();
  const score = (agent: string, d: number, passed: number, failed: number, policy = 'p'): ComplianceScore => ({ agent_id: agent, policy_id: policy, at: at(d), passed, failed, errors: 0, excepted: 0, not_applicable: 0, score: (passed * 100) / (passed + failed) });
  const summary = (agent: string, pass: number, fail: number, applicable = true): ComplianceSummary => ({ agent_id: agent, policy_id: 'p', applicable, counts: counts({ pass, fail }), score: scoreOf(pass, fail), updated_at: at(0) });

  it('carries each host forward from its last entry, and counts steady hosts with their summary', () => {
    const scores = [score('a', 0, 8, 2), score('a', 2, 10, 0), score('b', 1, 5, 5), score('a', 1, 9, 1, 'other')];
    const points = fleetTrend(scores, [summary('a', 10, 0), summary('b', 5, 5), summary('c', 4, 0), summary('d', 0, 0, false)], 'p', t0, t0 + 3 * day);
    expect(points.map((p) => [p.day, p.hosts, p.passed, p.failed])).toEqual([
      ['2026-03-01', 2, 12, 2], // a 8/2 + c 4/0 (b starts on the 2nd)
      ['2026-03-02', 3, 17, 7],
      ['2026-03-03', 3, 19, 5],
      ['2026-03-04', 3, 19, 5],
    ]);
    expect(points[0]!.score).toBeCloseTo((12 * 100) / 14, 5);
  });

  it('has no score on days without hosts', () => {
    const points = fleetTrend([score('a', 2, 1, 1)], [], 'p', t0, t0 + 2 * day);
    expect(points.map((p) => p.score)).toEqual([null, null, 50]);
  });

  it('is drawn as a line broken where a day has no score, scores upwards', () => {
    const pts = [
      { day: 'a', hosts: 1, passed: 1, failed: 0, score: 100 },
      { day: 'b', hosts: 0, passed: 0, failed: 0, score: null },
      { day: 'c', hosts: 1, passed: 0, failed: 1, score: 0 },
      { day: 'd', hosts: 1, passed: 1, failed: 1, score: 50 },
    ];
    const { path, dots } = trendChart(pts, 310, 110, 5);
    expect(path).toBe('M5,5 M205,105 L305,55');
    expect(dots.map((d) => d.point.day)).toEqual(['a', 'c', 'd']);
    expect(trendChart([{ day: 'x', hosts: 1, passed: 1, failed: 1, score: 50 }], 100, 100, 0).path).toBe('M50,50');
  });

  it('offers 7, 30 and 90 days, 30 unless told', () => {
    expect([trendDays('7'), trendDays('90'), trendDays('14'), trendDays(null)]).toEqual([7, 90, 30, 30]);
  });
});

describe('the overview', () => {
  const policy = (id: string, over: Partial<CompliancePolicy> = {}): CompliancePolicy => ({ id, version: '1', name: { en: id, zh: id }, description: { en: '', zh: '' }, checks: 10, shipped: true, format: 'vigil', digest: 'x', ...over });
  const group = (policy_id: string, hosts: number, score: number | null, label = ''): ComplianceGroup => ({ label, value: '', policy_id, hosts, counts: counts({ pass: 1 }), score });
  const sum = (agent: string, policy_id: string, fail: number, score: number | null, applicable = true): ComplianceSummary => ({ agent_id: agent, hostname: agent, policy_id, applicable, counts: counts({ fail }), score, updated_at: '' });
  const assignment = { policy_id: '', selector: {}, interval_seconds: 0, disabled: false, author: 'a', updated_at: '' };

  it('lists the policies with results lowest first, then the assigned ones without results', () => {
    const rows = policyRows(
      [policy('cis'), policy('mlps'), policy('acme', { shipped: false, assignment }), policy('off', { assignment: { ...assignment, disabled: true } }), policy('idle')],
      [group('mlps', 4, 72.3), group('cis', 3, 75.7), group('cis', 2, 10, 'role')],
      [sum('a', 'cis', 2, 80), sum('b', 'cis', 0, 100), sum('c', 'cis', 0, null, false), sum('a', 'mlps', 1, 50)],
    );
    expect(rows.map((r) => [r.id, r.hosts, r.score, r.failingHosts, r.notApplicable])).toEqual([
      ['mlps', 4, 72.3, 1, 0],
      ['cis', 3, 75.7, 1, 1],
      ['acme', 0, null, 0, 0],
    ]);
    expect(defaultPolicy(rows)).toBe('mlps');
    expect(defaultPolicy([])).toBe('');
  });

  it('finds the lowest scores, leaving out hosts without one', () => {
    const list = [sum('b', 'cis', 2, 50), sum('a', 'cis', 3, 50), sum('c', 'cis', 0, null), sum('d', 'cis', 0, 20, false), sum('e', 'mlps', 9, 10), sum('f', 'cis', 0, 90)];
    expect(lowestHosts(list, 10).map((s) => s.agent_id)).toEqual(['e', 'a', 'b', 'f']);
    expect(lowestHosts(list, 2, 'cis').map((s) => s.agent_id)).toEqual(['a', 'b']);
  });

  it('offers the label keys of the fleet', () => {
    expect(labelKeys([{ labels: { role: 'web', env: 'prod' } }, { labels: null }, { labels: { env: 'ci', site: 'sh' } }])).toEqual(['env', 'role', 'site']);
  });
});

describe('the checks filter', () => {
  const c = (check_id: string, severity: string, fail: number, error = 0) => ({ check_id, severity, check: { title: { en: `Ensure ${check_id}`, zh: `确保 ${check_id}` } }, hosts: { fail, error } });

  it('goes to the URL and back', () => {
    const f = { q: 'sshd', severity: toggleCheckSeverity(['high'], 'critical'), failing: true };
    const url = withQuery('/compliance/policies/cis', checkFilterParams(f));
    expect(url).toBe('/compliance/policies/cis?q=sshd&severity=critical%2Chigh&failing=true');
    expect(readCheckFilter(new URL(url, 'http://x').searchParams)).toEqual(f);
    expect(readCheckFilter(new URLSearchParams('severity=bogus,LOW&failing=1'))).toEqual({ q: '', severity: ['low'], failing: false });
  });

  it('matches ids and titles in both languages, severities and failures', () => {
    const base = { q: '', severity: [], failing: false };
    expect(matchesCheck(c('x.5.1.20', 'high', 0), { ...base, q: '5.1.20' })).toBe(true);
    expect(matchesCheck(c('x.5.1.20', 'high', 0), { ...base, q: '确保 X' })).toBe(true);
    expect(matchesCheck(c('x.5.1.20', 'high', 0), { ...base, q: 'nothing' })).toBe(false);
    expect(matchesCheck(c('a', 'high', 0), { ...base, severity: ['critical'] })).toBe(false);
    expect(matchesCheck(c('a', 'high', 0), { ...base, failing: true })).toBe(false);
    expect(matchesCheck(c('a', 'high', 0, 1), { ...base, failing: true })).toBe(true);
  });
});

describe('policy uploads', () => {
  it('read the problems of a refusal line by line', () => {
    const message =
      'invalid policy: acme_web.yml:9: checks[0].rules[0].config.format: unknown format "sshd2" (known: sshd, keyvalue, sysctl, pam, ini)\n' +
      'acme_web.yml:14: checks[1].id: "web.2": want <policy id>.<number>, e.g. acme_web.1.1\n' +
      'acme_web.yml:3: not valid YAML: mapping values are not allowed in this context\n' +
      'acme_web.yml: and 12 more problems';
    expect(parsePolicyProblems(message)).toEqual([
      { file: 'acme_web.yml', line: 9, field: 'checks[0].rules[0].config.format', reason: 'unknown format "sshd2" (known: sshd, keyvalue, sysctl, pam, ini)' },
      { file: 'acme_web.yml', line: 14, field: 'checks[1].id', reason: '"web.2": want <policy id>.<number>, e.g. acme_web.1.1' },
      { file: 'acme_web.yml', line: 3, field: '', reason: 'not valid YAML: mapping values are not allowed in this context' },
      { file: 'acme_web.yml', line: 0, field: '', reason: 'and 12 more problems' },
    ]);
    expect(parsePolicyProblems('invalid policy: the file\'s policy id is "a", not "b"')).toEqual([{ file: '', line: 0, field: '', reason: 'the file\'s policy id is "a", not "b"' }]);
    expect(policyProblems(new ApiError(422, 'unprocessable', 'invalid policy: a.yml:2: policy.id: want [a-z0-9_]+'))).toEqual([{ file: 'a.yml', line: 2, field: 'policy.id', reason: 'want [a-z0-9_]+' }]);
    expect(policyProblems(new ApiError(409, 'conflict', 'shipped'))).toBeNull();
    expect(policyProblems(new Error('x'))).toBeNull();
  });

  it('guess the format and id of a chosen file', () => {
    expect(guessPolicyFile('# mine\nformat: 1\npolicy:\n  # the id\n  id: acme_web\n  version: "1"\n')).toEqual({ format: 'vigil', id: 'acme_web' });
    expect(guessPolicyFile("policy:\n  id: \"cis_debian12_sca\"\n  name: CIS\nchecks:\n  - id: 1\n")).toEqual({ format: 'wazuh-sca', id: 'cis_debian12_sca' });
    expect(guessPolicyFile('checks:\n  - id: x\n')).toEqual({ format: '', id: '' });
    expect(guessPolicyFile('format: 1\npolicy:\nchecks:\n  - id: x.1\n')).toEqual({ format: 'vigil', id: '' });
    expect([checkPolicyId('acme_web'), checkPolicyId('Acme'), checkPolicyId('a-b'), checkPolicyId('')]).toEqual([true, false, false, false]);
  });

  it('write and read intervals as durations within the center bounds', () => {
    expect([intervalText(0), intervalText(86400), intervalText(5400), intervalText(600), intervalText(3661)]).toEqual(['', '24h', '1h30m', '10m', '1h1m1s']);
    expect(parseInterval('')).toEqual({ seconds: 0, problem: '' });
    expect(parseInterval('12h')).toEqual({ seconds: 43200, problem: '' });
    expect(parseInterval(' 1h30m ')).toEqual({ seconds: 5400, problem: '' });
    expect(parseInterval('5m').problem).toBe('range');
    expect(parseInterval('721h').problem).toBe('range');
    expect(parseInterval('daily').problem).toBe('invalid');
    expect(parseInterval('1.5s').problem).toBe('invalid');
  });
});

describe('exceptions', () => {
  const now = Date.parse('2026-03-10T00:00:00Z');
  it('need a printable reason of at most 4096 bytes and a future expiry', () => {
    expect(checkExceptionForm('jump host', '', now)).toEqual([]);
    expect(checkExceptionForm('  ', '2026-03-09T00:00:00Z', now)).toEqual(['noReason', 'pastExpiry']);
    expect(checkExceptionForm('x'.repeat(4097), '', now)).toEqual(['longReason']);
    expect(checkExceptionForm('a\u0007b', '2026-04-01T00:00:00Z', now)).toEqual(['badReason']);
    expect(checkExceptionForm('ok\nsecond line\ttab', '', now)).toEqual([]);
  });
  it('expire at their time', () => {
    expect(exceptionExpired({ expires_at: '2026-03-10T00:00:00Z' }, now)).toBe(true);
    expect(exceptionExpired({ expires_at: '2026-03-11T00:00:00Z' }, now)).toBe(false);
    expect(exceptionExpired({}, now)).toBe(false);
    expect(exceptionExpired({ expires_at: '0001-01-01T00:00:00Z' }, now)).toBe(false);
  });
});

describe('the routes', () => {
  signedIn('responder');
  const api = recordFetch();
  const last = api.last;

  it('send the filters each listing takes', async () => {
    await listResults({ agent_id: 'a1', policy_id: 'cis', status: 'fail', severity: '', q: 'ssh' });
    expect(last().url).toBe('/api/v1/compliance?agent_id=a1&policy_id=cis&status=fail&q=ssh&limit=100');
    await hostSummaries('a/1');
    expect(last().url).toBe('/api/v1/compliance/hosts/a%2F1');
    await listSummaries({ label: ['env=prod', 'role=web'], cursor: 'c1' });
    expect(last().url).toBe('/api/v1/compliance/summaries?label=env%3Dprod&label=role%3Dweb&cursor=c1&limit=1000');
    await listGroups('', '');
    expect(last().url).toBe('/api/v1/compliance/groups');
    await listGroups('role', 'cis');
    expect(last().url).toBe('/api/v1/compliance/groups?label=role&policy_id=cis');
    await listChecks('cis_debian12');
    expect(last().url).toBe('/api/v1/compliance/checks?policy_id=cis_debian12&limit=1000');
    await listDrift({ policy_id: 'cis', regressed: true, since: '2026-03-01T00:00:00Z', limit: 20 });
    expect(last().url).toBe('/api/v1/compliance/drift?policy_id=cis&regressed=true&since=2026-03-01T00%3A00%3A00Z&limit=20');
    await listDrift({ regressed: false });
    expect(last().url).toBe('/api/v1/compliance/drift?limit=50');
    await listScores({ policy_id: 'cis', since: '2026-01-01T00:00:00Z' });
    expect(last().url).toBe('/api/v1/compliance/scores?policy_id=cis&since=2026-01-01T00%3A00%3A00Z&limit=1000');
    await listPolicies();
    await getPolicy('acme_web');
    expect(last().url).toBe('/api/v1/compliance/policies/acme_web');
    await listExceptions({ policy_id: 'cis', expired: true });
    expect(last().url).toBe('/api/v1/compliance/exceptions?policy_id=cis&expired=true');
    await listExceptions({});
    expect(last().url).toBe('/api/v1/compliance/exceptions');
    expect(api.sent.every((s) => s.method === 'GET' && s.headers.Authorization === 'Bearer vgt_test')).toBe(true);
  });

  it('change assignments and exceptions with JSON bodies', async () => {
    api.answer = () => new Response(null, { status: 204 });
    await putAssignment('cis', { selector: { env: 'prod' }, interval_seconds: 43200, disabled: false });
    expect([last().method, last().url, JSON.parse(last().body!)]).toEqual(['PUT', '/api/v1/compliance/policies/cis/assignment', { selector: { env: 'prod' }, interval_seconds: 43200, disabled: false }]);
    await deleteAssignment('cis');
    expect([last().method, last().url]).toEqual(['DELETE', '/api/v1/compliance/policies/cis/assignment']);
    await deletePolicy('acme_web');
    expect([last().method, last().url]).toEqual(['DELETE', '/api/v1/compliance/policies/acme_web']);
    await createException({ policy_id: 'cis', check_id: 'cis.5.1.20', agent_id: 'a1', reason: 'jump host', expires_at: '2027-01-31T00:00:00Z' });
    expect([last().method, last().url, JSON.parse(last().body!)]).toEqual([
      'POST',
      '/api/v1/compliance/exceptions',
      { policy_id: 'cis', check_id: 'cis.5.1.20', agent_id: 'a1', reason: 'jump host', expires_at: '2027-01-31T00:00:00Z' },
    ]);
    await deleteException('e 1');
    expect([last().method, last().url]).toEqual(['DELETE', '/api/v1/compliance/exceptions/e%201']);
  });

  it('run the baseline collector with the collect command', async () => {
    api.answer = () => new Response('{"id":"c1","command":"collect","results":[]}', { status: 200 });
    await runBaseline('a1');
    expect([last().method, last().url, JSON.parse(last().body!)]).toEqual([
      'POST',
      '/api/v1/agents/commands',
      { command: 'collect', args: { name: 'compliance/baseline' }, agent_ids: ['a1'], timeout: '3m' },
    ]);
  });

  it('fetch the report with the token, in the language asked for, named by the center', async () => {
    api.answer = () => new Response('<!doctype html><title>r</title>', { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Disposition': 'attachment; filename="vigil-compliance-web-01-2026-03-10.html"' } });
    const f = await complianceReport({ agent_id: 'a1', lang: 'zh' });
    expect([last().url, last().headers.Authorization]).toEqual(['/api/v1/compliance/report?agent_id=a1&lang=zh', 'Bearer vgt_test']);
    expect(f.filename).toBe('vigil-compliance-web-01-2026-03-10.html');
    expect(f.type).toBe('text/html; charset=utf-8');
    expect(await f.blob.text()).toBe('<!doctype html><title>r</title>');
    await complianceReport({ policy_id: 'cis', lang: 'en' });
    expect(last().url).toBe('/api/v1/compliance/report?policy_id=cis&lang=en');
    api.answer = () => new Response('{"error":{"code":"bad_request","message":"policy_id: required without agent_id"}}', { status: 400 });
    await expect(complianceReport({ lang: 'en' })).rejects.toMatchObject({ status: 400, message: 'policy_id: required without agent_id' });
  });

  it('name files from Content-Disposition, never with a path', () => {
    expect(dispositionFilename('attachment; filename="report.html"')).toBe('report.html');
    expect(dispositionFilename('attachment; filename=report.html')).toBe('report.html');
    expect(dispositionFilename(`attachment; filename="x.html"; filename*=UTF-8''%E5%90%88%E8%A7%84.html`)).toBe('合规.html');
    expect(dispositionFilename('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(dispositionFilename('attachment; filename="a\\"b.html"')).toBe('a"b.html');
    expect(dispositionFilename('attachment')).toBe('');
    expect(dispositionFilename(null)).toBe('');
  });
});

describe('policy uploads sent', () => {
  signedIn('admin', 'vgt_admin', 'root');
  fakeUploads();

  it('send the file as YAML under its id, with the format of a Wazuh SCA file, and read a refusal', async () => {
    const done = putPolicy('acme_sca', 'policy:\n  id: acme_sca\n', 'wazuh-sca');
    const x = lastUpload();
    expect([x.method, x.url, x.headers['Content-Type'], x.headers.Authorization, x.body]).toEqual([
      'PUT',
      '/api/v1/compliance/policies/acme_sca?format=wazuh-sca',
      'application/yaml; charset=utf-8',
      'Bearer vgt_admin',
      'policy:\n  id: acme_sca\n',
    ]);
    x.respond(201, '{"id":"acme_sca","checks":3}');
    await expect(done).resolves.toMatchObject({ id: 'acme_sca' });
    const refused = putPolicy('acme_web', 'format: 1\n', 'vigil');
    const y = lastUpload();
    expect(y.url).toBe('/api/v1/compliance/policies/acme_web');
    y.respond(422, JSON.stringify({ error: { code: 'unprocessable', message: 'invalid policy: acme_web.yml:1: policy: missing' } }));
    const err = await refused.catch((e: unknown) => e);
    expect(policyProblems(err)).toEqual([{ file: 'acme_web.yml', line: 1, field: 'policy', reason: 'missing' }]);
  });
});
