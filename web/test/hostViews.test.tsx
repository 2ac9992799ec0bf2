// The host views' components rendered to HTML (no browser): what they show
// for a process tree, its warnings and failures, and for events.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/client';
import type { CommandResponse } from '../src/api/types';
import { EventFields, EventRow, eventLines } from '../src/components/EventRow';
import { LiveSwitch } from '../src/components/LiveSwitch';
import { Tabs } from '../src/components/Tabs';
import { allExpanded, buildTree, filterTree, parseProcesses, toggle, visibleRows } from '../src/lib/processes';
import { AgentFailure, NeedsRoleNotice, readReply, RiskSummary } from '../src/pages/ProcessesTab';
import { groupStreams, Highlight, ProcessDetail, ProcessTable } from '../src/pages/ProcessTable';
import { count, html, inLanguage, setLang } from './render';

inLanguage();

const stdio = ['socket:tcp 10.0.1.11:51234->203.0.113.9:4444', 'socket:tcp 10.0.1.11:51234->203.0.113.9:4444', ''];
const output = {
  taken_at: '2026-11-29T10:00:00Z',
  mechanism: 'ebpf',
  processes: [
    { entity_id: 'e1', pid: 1, ppid: 0, name: 'systemd', executable: '/usr/lib/systemd/systemd', args: ['/sbin/init'], user: 'root', uid: 0, euid: 0, start: '2026-11-01T00:00:00Z' },
    { entity_id: 'e811', parent_entity_id: 'e1', pid: 811, ppid: 1, name: 'sshd', args: ['sshd: alice@pts/0'], user: 'alice', uid: 1000, euid: 1000, start: '2026-11-29T09:00:00Z' },
    { entity_id: 'e900', parent_entity_id: 'e811', pid: 900, ppid: 811, name: 'bash', executable: '/usr/bin/bash', args: ['bash', '-i'], user: 'alice', uid: 1000, euid: 1000, login_user: 'alice', start: '2026-11-29T09:30:00Z', stdio },
    { entity_id: 'e950', parent_entity_id: 'e900', pid: 950, ppid: 900, name: 'sudo', args: ['sudo', '-i'], user: 'root', uid: 1000, euid: 0, login_user: 'alice', start: '2026-11-29T09:31:00Z' },
    { entity_id: 'e2320', parent_entity_id: 'e1', pid: 2320, ppid: 1, name: 'node', args: ['node', 'server.js', '--title', 'a "quoted" & <tagged> arg'], user: 'node', uid: 1000, euid: 1000, container_id: '3f2a9c41d7e8b6a5c4d3e2f1a0b9c8d7', start: '2026-11-26T00:00:00Z' },
  ],
};
const table = parseProcesses(output);
const tree = buildTree(table.procs);

describe('process table', () => {
  it('shows each visible process with its depth, pid, user, command and container', () => {
    const rows = visibleRows(tree, allExpanded);
    const out = html(<ProcessTable tree={tree} rows={rows} query="" details={new Set()} onToggle={() => undefined} onDetails={() => undefined} />);
    expect(count(out, '<tr class="clickable proc-row')).toBe(5);
    expect(out).toContain('data-pid="900" data-key="e900" data-depth="2" data-risk="reverse-shell"');
    expect(out).toContain('proc-row-danger');
    expect(out).toContain('>⚠ Reverse shell</span>');
    // The privilege change of sudo, with its uids.
    expect(out).toContain('data-priv="true"');
    expect(out).toContain('1000→0');
    expect(out).toContain('login alice');
    // The container id, short, the full id on hover.
    expect(out).toContain('<span title="3f2a9c41d7e8b6a5c4d3e2f1a0b9c8d7">3f2a9c41d7e8</span>');
    // The command line, cut by CSS, in full (escaped) on hover.
    expect(out).toContain(`title="node server.js --title &#x27;a &quot;quoted&quot; &amp; &lt;tagged&gt; arg&#x27;"`);
    expect(out).not.toContain('<tagged>');
    // Parents have a toggle, leaves a dot.
    expect(count(out, 'data-toggle=')).toBe(3);
    expect(count(out, 'class="proc-leaf"')).toBe(2);
  });

  it('shows a closed process with the number of children it hides', () => {
    const rows = visibleRows(tree, toggle(allExpanded, 'e811'));
    const out = html(<ProcessTable tree={tree} rows={rows} query="" details={new Set()} onToggle={() => undefined} onDetails={() => undefined} />);
    expect(count(out, '<tr class="clickable proc-row')).toBe(3);
    expect(out).toContain('aria-expanded="false"');
    expect(out).toContain('<span class="proc-kids">1</span>');
  });

  it('marks the filter text and dims the ancestors kept for a match', () => {
    const f = filterTree(tree, 'sudo');
    const rows = visibleRows(tree, allExpanded, f);
    const out = html(<ProcessTable tree={tree} rows={rows} query="sudo" details={new Set()} onToggle={() => undefined} onDetails={() => undefined} />);
    expect(count(out, '<tr class="clickable proc-row')).toBe(4);
    expect(count(out, 'proc-context')).toBe(3);
    expect(out).toContain('<mark>sudo</mark>');
    // Under a filter the path is open and not for closing.
    expect(out).not.toContain('data-toggle=');
    expect(count(out, 'proc-toggle-fixed')).toBe(3);
  });

  it('opens the detail row of a process', () => {
    const rows = visibleRows(tree, allExpanded);
    const out = html(<ProcessTable tree={tree} rows={rows} query="" details={new Set(['e900'])} onToggle={() => undefined} onDetails={() => undefined} />);
    expect(count(out, 'data-testid="process-detail"')).toBe(1);
    expect(out).toContain('stdin: tcp 10.0.1.11:51234 → 203.0.113.9:4444');
    expect(out).toContain('systemd (1) › sshd (811) › <strong>bash (900)</strong>');
  });

  it('details everything the agent said, with the reverse shell explained', () => {
    const out = html(<ProcessDetail proc={tree.nodes.get('e900')!.proc} />);
    expect(out).toContain('proc-alert-danger');
    expect(out).toContain('The shell bash (PID 900, user alice) reads or writes a network socket instead of a terminal: stdin, stdout: tcp 10.0.1.11:51234 → 203.0.113.9:4444.');
    for (const s of ['/usr/bin/bash', '900 / 811', 'e811', 'stdout: tcp 10.0.1.11:51234 → 203.0.113.9:4444']) expect(out).toContain(s);
    expect(html(<ProcessDetail proc={tree.nodes.get('e1')!.proc} />)).not.toContain('proc-alert');
  });

  it('speaks Chinese', () => {
    setLang('zh');
    const out = html(<ProcessDetail proc={tree.nodes.get('e900')!.proc} />);
    expect(out).toContain('Shell 进程 bash（进程 ID 900，用户 alice）的输入或输出是网络套接字而非终端：标准输入, 标准输出: tcp');
    const rows = visibleRows(tree, allExpanded);
    const t = html(<ProcessTable tree={tree} rows={rows} query="" details={new Set()} onToggle={() => undefined} onDetails={() => undefined} />);
    expect(t).toContain('反弹 Shell');
    expect(t).toContain('权限切换');
    expect(t).toContain('<th>命令行</th>');
  });
});

describe('highlight', () => {
  it.each([
    ['nginx: worker', 'NGINX', '<mark>nginx</mark>: worker'],
    ['aaa', 'a', '<mark>a</mark><mark>a</mark><mark>a</mark>'],
    ['abc', '', 'abc'],
    ['<b>', 'b', '&lt;<mark>b</mark>&gt;'],
  ])('%j with %j', (text, q, want) => {
    expect(renderToStaticMarkup(<Highlight text={text} query={q} />)).toBe(want);
  });
});

describe('stream grouping', () => {
  it('joins streams that lead to the same place', () => {
    const p = tree.nodes.get('e900')!.proc;
    expect(groupStreams(p.stdio, (s) => [`fd${s.fd}`, s.remote])).toBe('fd0, fd1: 203.0.113.9:4444');
  });
});

describe('risk summary', () => {
  it('lists the flagged processes with a button each', () => {
    const out = html(<RiskSummary procs={table.procs} onShow={() => undefined} />);
    expect(count(out, 'class="proc-alert proc-alert-danger"')).toBe(1);
    expect(out).toContain('data-pid="900"');
    expect(out).toContain('Reverse shell sign');
    expect(html(<RiskSummary procs={table.procs.filter((p) => p.pid !== 900)} onShow={() => undefined} />)).toBe('');
  });
});

describe('reading the reply', () => {
  const res = (results: CommandResponse['results']): CommandResponse => ({ id: 'c1', command: 'processes', results });

  it('takes this agent\'s table', () => {
    const r = readReply(res([{ agent_id: 'other', ok: false, error: 'x', duration_ms: 0 }, { agent_id: 'a1', ok: true, output, duration_ms: 12 }]), 'a1');
    expect('kind' in r).toBe(false);
    if (!('kind' in r)) {
      expect(r.durationMs).toBe(12);
      expect(r.table.procs).toHaveLength(5);
      expect(r.tree.roots).toEqual(['e1']);
    }
  });

  it('tells the agent\'s failure and a missing reply', () => {
    expect(readReply(res([{ agent_id: 'a1', ok: false, error: 'agent offline', duration_ms: 0 }]), 'a1')).toEqual({ kind: 'agent', error: 'agent offline' });
    expect(readReply(res([]), 'a1')).toEqual({ kind: 'noReply' });
    expect(readReply(res(null), 'a1')).toEqual({ kind: 'noReply' });
  });
});

describe('failures', () => {
  it.each([
    ['agent offline', 'The agent is offline.', 'reconnects'],
    ['timeout', 'The agent did not answer within 15s.', 'try again'],
    ['unknown command "processes"', 'The agent could not list its processes: unknown command &quot;processes&quot;', ''],
  ])('says %j in words', (error, text, hint) => {
    const out = html(<AgentFailure failure={{ kind: 'agent', error }} stale={false} onRetry={() => undefined} />);
    expect(out).toContain(text);
    if (hint) expect(out).toContain(hint);
    expect(out).toContain(`data-error="${error.replace(/"/g, '&quot;')}"`);
    expect(out).toContain('Retry');
  });

  it('says when the tree shown is from before the failure', () => {
    expect(html(<AgentFailure failure={{ kind: 'agent', error: 'agent offline' }} stale onRetry={() => undefined} />)).toContain('The tree below is from the last successful refresh.');
  });

  it('tells the role needed on a 403', () => {
    const out = html(<AgentFailure failure={{ kind: 'call', error: new ApiError(403, 'forbidden', 'role viewer may not do this (needs analyst)') }} stale={false} />);
    expect(out).toContain('data-testid="processes-forbidden"');
    expect(out).toContain('Needs role analyst');
    expect(out).toContain('role viewer may not do this (needs analyst)');
  });

  it('shows other failed calls as errors', () => {
    const out = html(<AgentFailure failure={{ kind: 'call', error: new ApiError(400, 'bad_request', 'unknown command "processes"') }} stale={false} />);
    expect(out).toContain('error-banner');
    expect(out).toContain('bad_request');
  });

  it('explains the role without a session too', () => {
    expect(html(<NeedsRoleNotice />)).toContain('Listing a host&#x27;s processes needs the analyst role or higher.');
    setLang('zh');
    expect(html(<NeedsRoleNotice />)).toContain('查看主机进程需要分析员或更高角色。');
  });
});

describe('events', () => {
  const e = {
    '@timestamp': '2026-11-29T10:00:00Z',
    message: 'bash (pid 40377) connected to 203.0.113.9:4444',
    event: { id: 'ev-1', category: 'network', action: 'connection-attempted', outcome: 'success' },
    process: { pid: 40377, executable: '/usr/bin/bash', command_line: 'bash -i' },
    source: { ip: '10.0.1.11', port: 51234 },
    destination: { ip: '2001:db8::9', port: 4444 },
    network: { transport: 'tcp', direction: 'egress' },
    file: { path: '/var/www/html/up.php' },
    user: { name: 'alice', target: { name: 'root' } },
  };

  it('picks the main fields', () => {
    expect(eventLines(e).map((l) => [l.field, l.main, l.extra])).toEqual([
      ['process', '/usr/bin/bash', 'bash -i · pid 40377'],
      ['network', '10.0.1.11:51234 → [2001:db8::9]:4444', 'tcp · egress'],
      ['file', '/var/www/html/up.php', ''],
      ['user', 'alice → root', ''],
    ]);
    expect(eventLines({ dns: { question: { name: 'c2.example.net' } } }).map((l) => l.field)).toEqual(['dns']);
  });

  it('shows the message and the fields', () => {
    const out = html(<EventFields event={e} />);
    expect(out).toContain('class="ev-message"');
    expect(count(out, 'class="ev-line"')).toBe(4);
    expect(html(<EventFields event={{ url: { full: 'https://x' } }} />)).toContain('https://x');
    expect(html(<EventFields event={{}} />)).toContain('—');
  });

  it('renders a row for the agent view and for the events page, and its document when open', () => {
    const closed = html(
      <table>
        <tbody>
          <EventRow event={e} variant="agent" open={false} onToggle={() => undefined} fresh />
        </tbody>
      </table>,
    );
    expect(closed).toContain('data-event-id="ev-1"');
    expect(closed).toContain('ev-fresh');
    expect(count(closed, '<td')).toBe(4);
    expect(closed).not.toContain('json-body');
    const open = html(
      <table>
        <tbody>
          <EventRow event={e} variant="page" open onToggle={() => undefined} />
        </tbody>
      </table>,
    );
    expect(open).toContain('json-body');
    expect(open).toMatch(/colspan="7"/i);
  });
});

describe('controls', () => {
  it('shows the live switch state', () => {
    const on = html(<LiveSwitch live onChange={() => undefined} seconds={5} />);
    expect(on).toContain('data-live="true"');
    expect(on).toContain('checked=""');
    expect(on).toContain('Refresh every 5 s');
    expect(html(<LiveSwitch live={false} onChange={() => undefined} seconds={5} />)).not.toContain('checked');
  });

  it('marks the chosen tab', () => {
    const out = html(<Tabs label="views" value="b" onChange={() => undefined} tabs={[{ key: 'a', label: 'A' }, { key: 'b', label: 'B' }]} />);
    expect(out).toContain('aria-selected="true" tabindex="0" data-tab="b"');
    expect(out).toContain('aria-selected="false" tabindex="-1" data-tab="a"');
  });
});
