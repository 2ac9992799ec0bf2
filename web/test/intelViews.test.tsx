// Threat intelligence and login baseline views rendered to HTML (no
// browser): indicator rows and their facts, a check's outcome, an
// import's result with its problems by line, the dialogs, the sources,
// login profiles with their hours and addresses, an alert's intelligence
// matches and login verdict, and what a viewer is not offered, in English
// and Chinese.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/client';
import type { ImportResult, Indicator, LoginProfileView } from '../src/api/types';
import { detectNav } from '../src/components/nav';
import { AlertEvidence } from '../src/pages/AlertEvidence';
import { AddIndicatorsDialog, ImportIntelDialog, ImportResultView } from '../src/pages/IntelDialogs';
import { CheckOutcome, IndicatorFacts, IndicatorRows, SourcesTable, WriteButtons } from '../src/pages/IntelPage';
import { HourHistogram, ProfileDetail, ProfileRows } from '../src/pages/LoginBaselinesPage';
import { count, html, inLanguage, setLang } from './render';

inLanguage();

const none = () => undefined;

const now = Date.parse('2026-11-30T00:00:00Z');
const cobalt: Indicator = {
  id: '8e612e355d28b696a996066c',
  type: 'ip',
  value: '203.0.113.7',
  source: 'manual',
  description: 'Cobalt Strike team server',
  severity: 'critical',
  confidence: 95,
  tags: ['c2', 'cobalt-strike'],
  techniques: ['T1071.001'],
  reference: 'https://intel.example.com/reports/42',
  created_at: '2026-11-10T00:00:00Z',
  updated_at: '2026-11-28T00:00:00Z',
  updated_by: 'admin',
  hits: 1234,
  last_hit_at: '2026-11-29T23:55:00Z',
};
const stale: Indicator = { ...cobalt, id: 'old1', type: 'domain', value: 'bad.example.org', source: 'old-campaign', description: undefined, severity: 'medium', confidence: 60, tags: [], techniques: [], reference: 'javascript:alert(1)', hits: 0, last_hit_at: undefined, expires_at: '2026-11-25T00:00:00Z' };

describe('indicators', () => {
  it('show their columns, the expired ones marked, deletion only for analysts', () => {
    const rows = (canEdit: boolean) => html(<table><tbody><IndicatorRows items={[cobalt, stale]} now={now} canEdit={canEdit} selected={cobalt.id} onOpen={none} onDelete={none} /></tbody></table>);
    const out = rows(true);
    expect(out).toMatch(/<tr class="clickable selected" data-indicator-id="8e612e355d28b696a996066c" data-value="203.0.113.7" data-type="ip" data-source="manual" data-expired="false"/);
    expect(out).toContain('Cobalt Strike team server');
    expect(out).toContain('IP address');
    expect(out).toContain('sev-critical');
    expect(out).toContain('>1,234<');
    expect(out).toMatch(/data-indicator-id="old1"[^>]*data-expired="true"/);
    expect(out).toContain('row-off');
    expect(out).toContain('data-testid="expired"');
    expect(out).toContain('>never<');
    expect(count(out, 'data-action="delete"')).toBe(2);
    expect(count(rows(false), 'data-action="delete"')).toBe(0);
    setLang('zh');
    const zh = rows(false);
    expect(zh).toContain('IP 地址');
    expect(zh).toContain('已过期');
    expect(zh).toContain('域名');
  });

  it('disable adding and importing for a viewer, with the role it takes', () => {
    const viewer = html(<WriteButtons canEdit={false} onAdd={none} onImport={none} />);
    expect(viewer).toMatch(/<button[^>]*disabled=""[^>]*title="Needs the analyst role or higher"[^>]*data-testid="intel-import"/);
    expect(viewer).toMatch(/<button[^>]*disabled=""[^>]*data-testid="intel-add"/);
    expect(html(<WriteButtons canEdit onAdd={none} onImport={none} />)).not.toContain('disabled');
  });

  it('open to everything the center keeps, links only to the web', () => {
    const out = html(<IndicatorFacts indicator={cobalt} now={now} />);
    expect(out).toContain('href="https://intel.example.com/reports/42"');
    expect(out).toContain('T1071.001');
    expect(out).toContain('>cobalt-strike<');
    expect(out).toContain('href="/intel?source=manual"');
    expect(out).toContain('by admin');
    expect(out).toContain('8e612e355d28b696a996066c');
    const old = html(<IndicatorFacts indicator={stale} now={now} />);
    expect(old).not.toContain('href="javascript');
    expect(old).toContain('javascript:alert(1)');
    setLang('zh');
    expect(html(<IndicatorFacts indicator={cobalt} now={now} />)).toContain('参考链接');
  });

  it('tell what a check found: the value read, its matches, none, or why it is no value', () => {
    const found = html(<CheckOutcome result={{ value: 'WWW.Evil.example.com', type: 'domain', normalized: 'www.evil.example.com', matches: [{ ...cobalt, type: 'domain', value: 'evil.example.com', id: 'd1' }] }} error={null} />);
    expect(found).toContain('data-matches="1"');
    expect(found).toContain('Read as Domain:');
    expect(found).toContain('<code data-testid="check-normalized">www.evil.example.com</code>');
    expect(found).toContain('Indicators matched: 1');
    expect(found).toContain('href="/intel?q=evil.example.com&amp;source=manual&amp;id=d1"');
    expect(html(<CheckOutcome result={{ value: '10.0.0.1', type: 'ip', normalized: '10.0.0.1', matches: [] }} error={null} />)).toContain('No indicator matches this value.');
    const refused = html(<CheckOutcome result={null} error={new ApiError(400, 'bad_request', '"zzz" is not an IP address, domain, URL or file hash')} />);
    expect(refused).toContain('data-testid="check-error"');
    expect(refused).toContain('is not an IP address');
    expect(html(<CheckOutcome result={null} error={null} />)).toBe('');
    setLang('zh');
    expect(html(<CheckOutcome result={{ value: '10.0.0.1', type: 'ip', normalized: '10.0.0.1', matches: null }} error={null} />)).toContain('没有指标匹配此值。');
  });
});

describe('additions and imports', () => {
  const result: ImportResult = {
    format: 'text',
    source: 'feodo',
    read: 1205,
    added: 1000,
    updated: 190,
    removed: 7,
    skipped: 15,
    problems: [
      { line: 4, entry: 'not a value', reason: '"not a value" is not an IP address, domain, URL or file hash' },
      { entry: 'indicator--2', reason: 'pattern is not one comparison' },
    ],
  };

  it('show the counts and each problem with its line', () => {
    const out = html(<ImportResultView result={result} />);
    expect(out).toContain('data-format="text" data-source="feodo"');
    expect(out).toContain('Source feodo, read as text.');
    expect(out).toContain('<span data-count="read" class="">1,205 read</span>');
    expect(out).toContain('<span data-count="removed" class="">7 removed</span>');
    expect(out).toContain('<span data-count="skipped" class="text-warn">15 skipped</span>');
    expect(out).toMatch(/<tr data-line="4"><td class="num mono">4<\/td><td[^>]*>not a value<\/td><td class="problem-reason">&quot;not a value&quot; is not/);
    expect(out).toMatch(/<tr data-line=""><td class="num mono">—<\/td>/);
    const many = html(<ImportResultView result={{ ...result, problems: Array.from({ length: 130 }, (_, i) => ({ line: i + 1, reason: 'bad' })) }} />);
    expect(count(many, '<tr data-line=')).toBe(100);
    expect(many).toContain('and 30 more problems');
    setLang('zh');
    const zh = html(<ImportResultView result={result} />);
    expect(zh).toContain('删除 7');
    expect(zh).toContain('行号');
  });

  it('open the addition with manual as the source and nothing to send', () => {
    const out = html(<AddIndicatorsDialog onClose={none} onStored={none} />);
    expect(out).toContain('Add indicators');
    expect(out).toMatch(/<input[^>]*name="source" value="manual"\/>/);
    expect(out).toContain('Detect from the value');
    expect(out).toMatch(/<button type="submit" form="intel-add-form" class="btn btn-primary" disabled=""[^>]*>Add 0<\/button>/);
    for (const s of ['Low', 'Medium', 'High', 'Critical']) expect(out).toContain(`>${s}<`);
    setLang('zh');
    expect(html(<AddIndicatorsDialog onClose={none} onStored={none} />)).toContain('指标值，每行一个');
  });

  it('open the import with the formats, replace explained and the known sources offered', () => {
    const out = html(<ImportIntelDialog sources={['feodo-ips', 'manual']} onClose={none} onStored={none} />);
    expect(out).toContain('<option value="" selected="">Detect</option>');
    for (const f of ['text', 'csv', 'stix', 'misp']) expect(out).toContain(`<option value="${f}">`);
    expect(out).toContain('<option value="feodo-ips"></option>');
    expect(out).toContain('<input type="checkbox" name="replace"/>');
    expect(out).toContain("Off: the file&#x27;s indicators are added or updated, the source&#x27;s others stay.");
    expect(out).toContain('disabled="" data-testid="intel-import-send">Import</button>');
    setLang('zh');
    const zh = html(<ImportIntelDialog sources={[]} onClose={none} onStored={none} />);
    expect(zh).toContain('替换该来源');
    expect(zh).toContain('STIX 2 数据包');
  });

  it('list the sources, deletion only for analysts', () => {
    const items = [
      { name: 'feodo-ips', count: 1300, updated_at: '2026-11-28T00:00:00Z' },
      { name: 'manual', count: 7, updated_at: '2026-11-29T00:00:00Z' },
    ];
    const out = html(<SourcesTable items={items} canEdit onDelete={none} />);
    expect(out).toContain('data-source="feodo-ips"');
    expect(out).toContain('>1,300<');
    expect(out).toContain('href="/intel?source=feodo-ips&amp;expired=true"');
    expect(count(out, 'data-action="delete"')).toBe(2);
    expect(count(html(<SourcesTable items={items} canEdit={false} onDelete={none} />), 'data-action="delete"')).toBe(0);
    expect(html(<SourcesTable items={[]} canEdit onDelete={none} />)).toContain('No sources yet.');
  });
});

describe('login baselines', () => {
  const hours = Array.from({ length: 24 }, (_, h) => (h >= 9 && h <= 18 ? 10 + h : 0));
  const alice: LoginProfileView = {
    agent_id: '7f1c2a9e-0001',
    hostname: 'web-01',
    user: 'alice',
    first_seen: '2026-10-31T00:00:00Z',
    last_seen: '2026-11-29T22:00:00Z',
    logins: hours.reduce((a, b) => a + b, 0),
    hours,
    sources: [
      { ip: '10.0.0.5', first_seen: '2026-10-31T00:00:00Z', last_seen: '2026-11-29T22:00:00Z', count: 170 },
      { ip: '192.0.2.10', first_seen: '2026-11-21T00:00:00Z', last_seen: '2026-11-21T16:00:00Z', count: 4 },
    ],
    revision: 214,
    status: 'learned',
    learned_at: '2026-11-14T00:00:00Z',
    time_zone: 'Asia/Shanghai',
  };
  const root: LoginProfileView = { ...alice, user: 'root', logins: 3, hours: null, sources: null, status: 'learning', learned_at: undefined };

  it('list profiles with their status, reset only for analysts', () => {
    const rows = (canEdit: boolean) => html(<table><tbody><ProfileRows items={[alice, root]} canEdit={canEdit} isOpen={(k) => k.endsWith('alice')} onToggle={none} onReset={none} /></tbody></table>);
    const out = rows(true);
    expect(out).toContain('data-agent-id="7f1c2a9e-0001" data-user="alice" data-status="learned"');
    expect(out).toContain('href="/agents/7f1c2a9e-0001"');
    expect(out).toContain('>learned<');
    expect(out).toContain('since');
    expect(out).toContain('>learning<');
    expect(out).toContain('aria-expanded="true"');
    expect(out).toContain('data-testid="profile-detail"');
    expect(out).toContain('<td colSpan="9">');
    expect(count(out, 'data-action="reset"')).toBe(2);
    const viewer = rows(false);
    expect(count(viewer, 'data-action="reset"')).toBe(0);
    expect(viewer).toContain('<td colSpan="8">');
    setLang('zh');
    expect(rows(false)).toContain('学习中');
  });

  it('draw the logins per hour in the time zone, with each hour said', () => {
    const out = html(<HourHistogram hours={hours} timeZone="Asia/Shanghai" />);
    expect(out).toContain('data-time-zone="Asia/Shanghai"');
    expect(out).toContain('time zone Asia/Shanghai');
    expect(count(out, '<li data-hour=')).toBe(24);
    expect(out).toContain('<li data-hour="18" data-count="28" title="18:00: 28 logins">');
    expect(out).toContain('style="height:100%"');
    expect(out).toContain('<li data-hour="3" data-count="0"');
    expect(out).toContain('<span class="sr-only">09:00: 19 logins</span>');
    expect(out).toContain('busiest: 18:00, 17:00, 16:00');
    expect(out).toContain('aria-label="Logins by hour of the day, Asia/Shanghai"');
    setLang('zh');
    const zh = html(<HourHistogram hours={null} timeZone="" />);
    expect(zh).toContain('时区 UTC');
    expect(zh).not.toContain('最频繁');
  });

  it('open to the addresses a user logged in from', () => {
    const out = html(<ProfileDetail profile={alice} />);
    expect(out).toContain('Source addresses (2)');
    expect(out).toContain('<tr data-ip="192.0.2.10">');
    expect(out).toContain('>170<');
    expect(out).toContain('Revision 214');
    expect(html(<ProfileDetail profile={root} />)).toContain('No remote address');
  });

  it('are in the sidebar with threat intelligence', () => {
    expect(detectNav.map((n) => n.to)).toEqual(['/rules', '/exceptions', '/attack', '/intel', '/baselines/logins']);
  });
});

describe('alert evidence', () => {
  const event = {
    '@timestamp': '2026-11-29T02:10:00Z',
    event: { id: 'ev-9', category: 'authentication', action: 'logged-in', outcome: 'success' },
    source: { ip: '203.0.113.7' },
    user: { name: 'deploy' },
    threat: {
      enrichments: [
        {
          indicator: { type: 'ipv4-addr', ip: '203.0.113.7', provider: 'manual', description: 'Cobalt Strike team server', confidence: 'High', reference: 'https://intel.example.com/reports/42' },
          matched: { atomic: '203.0.113.7', field: 'source.ip', id: 'ind-1', type: 'indicator_match_rule' },
        },
      ],
    },
    vigil: {
      intel: { fields: ['source.ip'], sources: ['manual'], severity: 'critical', ids: ['ind-1'] },
      baseline: { login: { status: 'learned', hour: 2, logins: 96, known_sources: 1, new_source: true, new_network: true, unusual_hour: false } },
    },
  };

  it('show the intelligence matches and the login verdict', () => {
    const out = html(<AlertEvidence evidence={{ event }} />);
    expect(out).toContain('data-testid="evidence-intel"');
    expect(out).toContain('Threat intelligence matches');
    expect(out).toMatch(/<tr data-field="source.ip" data-indicator-id="ind-1"><td class="mono small">source.ip<\/td><td class="mono"><a href="\/intel\?q=203.0.113.7&amp;source=manual&amp;id=ind-1">203.0.113.7<\/a><\/td>/);
    expect(out).toContain('Cobalt Strike team server');
    expect(out).toContain('>high<');
    expect(out).toContain('sev-critical');
    expect(out).toContain('data-testid="evidence-login" data-status="learned"');
    expect(out).toContain('Unusual: a source address never seen, from a new network.');
    expect(out).toContain('data-flag="new_source" data-value="true"');
    expect(out).toContain('data-flag="unusual_hour" data-value="false"');
    expect(out).toContain('>02:00<');
    expect(out.indexOf('evidence-intel')).toBeLessThan(out.indexOf('evidence-event'));
    setLang('zh');
    const zh = html(<AlertEvidence evidence={{ event }} />);
    expect(zh).toContain('威胁情报命中');
    expect(zh).toContain('异常：从未出现过的来源地址、来自新网段。');
    expect(zh).toContain('>高<');
  });

  it('say a learning baseline did not judge, and show intelligence without enrichments', () => {
    const learning = { ...event, threat: undefined, vigil: { intel: { fields: ['dns.question.name'], sources: ['feed'] }, baseline: { login: { status: 'learning', hour: 9, logins: 3, known_sources: 0 } } } };
    const out = html(<AlertEvidence evidence={{ event: learning }} />);
    expect(out).toContain('the login was learned, not judged');
    expect(out).not.toContain('data-flag=');
    expect(out).not.toContain('data-testid="intel-matches"');
    expect(out).toContain('dns.question.name');
    const usual = { ...event, threat: undefined, vigil: { baseline: { login: { status: 'learned', hour: 10, logins: 100, known_sources: 2, new_source: false, new_network: false, unusual_hour: false } } } };
    const plain = html(<AlertEvidence evidence={{ event: usual }} />);
    expect(plain).toContain('Usual for this user on this host.');
    expect(plain).not.toContain('evidence-intel');
    const nothing = html(<AlertEvidence evidence={{ event: { event: { category: 'process' } } }} />);
    expect(nothing).not.toContain('evidence-login');
    expect(nothing).not.toContain('evidence-intel');
  });
});
