// Detection's components rendered to HTML (no browser): an alert's
// evidence, the incident's timeline and process tree, the match editor,
// import problems and the badges, in English and Chinese.
import { describe, expect, it } from 'vitest';
import type { Timeline } from '../src/api/types';
import { IncidentStateBadge, LevelBadge } from '../src/components/badges';
import { MatchEditor } from '../src/components/MatchEditor';
import { TechniqueList } from '../src/components/Techniques';
import { matchFromRows } from '../src/lib/exceptionMatch';
import { AlertEvidence, readEvidence } from '../src/pages/AlertEvidence';
import { IncidentTimeline } from '../src/pages/IncidentTimeline';
import { IncidentTree } from '../src/pages/IncidentTree';
import { ProblemsByFile } from '../src/pages/RuleImportDialog';
import { paragraphs } from '../src/pages/RulePage';
import { count, html, inLanguage, setLang } from './render';

inLanguage();

const event = {
  '@timestamp': '2026-11-29T10:27:31Z',
  event: { id: 'dev-0002', category: 'process', action: 'exec' },
  process: { pid: 31001, executable: '/usr/bin/dash', command_line: 'sh -c id;uname -a' },
  user: { name: 'www-data' },
};

describe('alert evidence', () => {
  it('splits the event, the correlation, the rule and the rest', () => {
    const ev = readEvidence({ event, rule: { kind: 'detection' }, correlation: { type: 'value_count', group: { 'source.ip': '198.51.100.7' }, count: 4, values: ['root', 'admin'] }, status: 'lost' });
    expect(ev.event).toBe(event);
    expect(ev.correlation).toMatchObject({ type: 'value_count', group: { 'source.ip': '198.51.100.7' }, count: 4, values: ['root', 'admin'] });
    expect(ev.rule).toEqual({ kind: 'detection' });
    expect(ev.other).toEqual({ status: 'lost' });
    expect(readEvidence(null)).toEqual({ event: null, correlation: null, rule: null, other: {} });
    expect(readEvidence({ event: 'x', correlation: [1] }).event).toBeNull();
  });

  it('shows a correlation: type, group, count, values and window', () => {
    const out = html(
      <AlertEvidence
        evidence={{
          correlation: { type: 'value_count', group: { 'host.id': 'e9d0', 'source.ip': '198.51.100.7' }, count: 4, values: ['admin', 'oracle'], first: '2026-11-29T10:00:00Z', last: '2026-11-29T10:02:30Z', timespan: '1h0m0s' },
          event,
        }}
      />,
    );
    expect(out).toContain('Correlation');
    expect(out).toContain('value_count');
    expect(out).toContain('>source.ip</span><span class="chip-v mono">198.51.100.7</span>');
    expect(out).toContain('data-testid="correlation-count">4<');
    expect(out).toContain('>admin</span>');
    expect(out).toContain('timespan 1h0m0s');
    expect(out).toContain('Last event');
    expect(out).toContain('sh -c id;uname -a');
  });

  it('says when there is none, and shows unknown evidence as JSON', () => {
    expect(html(<AlertEvidence evidence={{}} />)).toContain('No evidence attached.');
    expect(html(<AlertEvidence evidence={{ status: 'lost', reason: 'no heartbeat' }} />)).toContain('Other evidence');
    setLang('zh');
    expect(html(<AlertEvidence evidence={{ correlation: { type: 'event_count', group: {}, count: 12 } }} />)).toContain('关联分析');
  });
});

const timeline: Timeline = {
  incident: { id: 'inc-1', title: 't', severity: 'high', state: 'open', agent_ids: ['a1'], techniques: [], alert_count: 1, first_seen: '2026-11-29T10:27:31Z', last_seen: '2026-11-29T10:27:31Z' },
  alerts: [
    { id: 'al-2', agent_id: 'a1', rule_id: 'r', title: 'Web server process starts a shell', severity: 'high', state: 'new', techniques: [], dedup_key: '', count: 1, created_at: '', updated_at: '', last_seen: '' },
  ],
  entries: [
    { time: '2026-11-29T10:27:32Z', agent_id: 'a1', hostname: 'web-01', category: 'process', action: 'exec', summary: 'exec id (pid 31002, www-data)', event_id: 'dev-0003', event: {} },
    { time: '2026-11-29T10:27:31Z', agent_id: 'a1', hostname: 'web-01', category: 'process', action: 'exec', summary: 'exec sh -c id (pid 31001, www-data)', event_id: 'dev-0002', event, alert_ids: ['al-2'] },
  ],
  processes: [
    {
      entity_id: 'e2210',
      agent_id: 'a1',
      pid: 2210,
      executable: '/usr/sbin/php-fpm8.2',
      command_line: 'php-fpm: pool www',
      user: 'www-data',
      events: 1,
      children: [{ entity_id: 'e31001', agent_id: 'a1', pid: 31001, executable: '/usr/bin/dash', command_line: 'sh -c id', user: 'www-data', events: 1, alert_ids: ['al-2'], children: [{ entity_id: 'e31002', agent_id: 'a1', pid: 31002, executable: '/usr/bin/id', events: 1 }] }],
    },
  ],
  peers: [],
  files: [],
  techniques: null,
  truncated: true,
  since: '2026-11-29T09:57:31Z',
  until: '2026-11-29T10:57:31Z',
};

describe('incident views', () => {
  it('lists the timeline oldest first, the alerted entries marked with their alerts', () => {
    const out = html(<IncidentTimeline timeline={timeline} before="30m" after="30m" onSpan={() => undefined} />);
    expect(out.indexOf('exec sh -c id')).toBeLessThan(out.indexOf('exec id (pid'));
    expect(count(out, 'data-alerted="true"')).toBe(1);
    expect(out).toContain('href="/alerts/al-2"');
    expect(out).toContain('Web server process starts a shell');
    expect(out).toContain('2 events · 1 raised alerts · 2 shown');
    expect(out).toContain('The timeline was cut short');
    setLang('zh');
    const zh = html(<IncidentTimeline timeline={timeline} before="30m" after="30m" onSpan={() => undefined} />);
    expect(zh).toContain('首条告警之前');
    expect(zh).toContain('共 2 条事件 · 1 条触发告警 · 显示 2 条');
  });

  it('draws the process tree with command lines, the alerted process highlighted', () => {
    const out = html(<IncidentTree timeline={timeline} />);
    expect(count(out, 'proc-row')).toBe(3);
    expect(out).toContain('data-pid="31001" data-key="e31001" data-depth="1" data-alerted="true"');
    expect(out).toContain('itree-alerted');
    expect(out).toContain('itree-path');
    expect(out).toContain('>sh -c id</div>');
    expect(out).toContain('3 processes · 1 raised alerts · 3 shown');
    expect(html(<IncidentTree timeline={{ ...timeline, processes: null }} />)).toContain('The timeline names no processes.');
  });

  it('opens a large tree on the paths to its alerts', () => {
    const kids = Array.from({ length: 117 }, (_, i) => ({ entity_id: `k${i}`, agent_id: 'a1', pid: 1000 + i, executable: '/usr/bin/true', events: 1 }));
    const processes = [
      {
        entity_id: 'root',
        agent_id: 'a1',
        pid: 1,
        executable: '/usr/bin/bash',
        events: 1,
        children: [
          { entity_id: 'shell', agent_id: 'a1', pid: 2, executable: '/usr/bin/dash', events: 1, alert_ids: ['al-2'] },
          { entity_id: 'jobs', agent_id: 'a1', pid: 3, executable: '/usr/bin/make', events: 1, children: kids },
        ],
      },
    ];
    const out = html(<IncidentTree timeline={{ ...timeline, processes }} />);
    expect(out).toContain('120 processes · 1 raised alerts · 3 shown');
    expect(out).toContain('data-pid="3" data-key="jobs" data-depth="1" aria-expanded="false"');
  });
});

describe('detection widgets', () => {
  it('shows the match editor with the problems of each row', () => {
    const rows = [
      { field: 'Process Name', patterns: 'x' },
      { field: 'user.name', patterns: '' },
    ];
    const out = html(<MatchEditor rows={rows} onChange={() => undefined} issues={matchFromRows(rows).issues} />);
    expect(count(out, 'class="match-row"')).toBe(2);
    expect(out).toContain('Field “Process Name”: a dotted ECS field');
    expect(out).toContain('Give at least one pattern.');
    expect(out).toContain('* any run of characters');
  });

  it('lists import problems under their file as file:line: reason', () => {
    const out = html(
      <ProblemsByFile
        problems={[
          { source: 'imported', file: 'custom/bad.yml', line: 8, rule_id: 'x', title: 'Broken', reason: 'process.name|nosuchmod: unknown modifier "nosuchmod"' },
          { source: 'imported', file: 'custom/bad.yml', line: 3, reason: 'title is missing' },
        ]}
      />,
    );
    expect(out.indexOf('custom/bad.yml:3: title is missing')).toBeLessThan(out.indexOf('custom/bad.yml:8: process.name|nosuchmod'));
    expect(out).toContain('(Broken)');
  });

  it('shows technique ids linking to the matrix, names once they are known', () => {
    const out = html(<TechniqueList ids={['T1059.004', 'T1190']} names />);
    expect(out).toContain('href="/attack?technique=T1059.004"');
    expect(count(out, 'class="tech-id mono"')).toBe(2);
    expect(html(<TechniqueList ids={[]} />)).toContain('—');
  });

  it('says levels and incident states in both languages', () => {
    expect(html(<LevelBadge level="informational" />)).toContain('class="badge sev-info" data-level="informational">Informational<');
    expect(html(<IncidentStateBadge state="investigating" />)).toContain('>Investigating<');
    expect(html(<IncidentStateBadge state="archived" />)).toContain('istate-unknown');
    setLang('zh');
    expect(html(<IncidentStateBadge state="investigating" />)).toContain('>调查中<');
    expect(html(<LevelBadge level="critical" />)).toContain('>严重<');
  });

  it('reflows a rule description, keeping its paragraphs', () => {
    expect(paragraphs('A web server\nstarted a shell.\n\nWeb applications\n  run few commands.\n')).toEqual(['A web server started a shell.', 'Web applications run few commands.']);
  });
});
