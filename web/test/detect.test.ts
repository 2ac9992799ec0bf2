// Detection's logic without a browser: the incident's process tree, the
// timeline's span and filters, incident moves, the ATT&CK matrix layout
// and names, technique scanning of alerts, the exception match editor and
// rule import checks.
import { describe, expect, it } from 'vitest';
import { ApiError, decodeError } from '../src/api/client';
import type { AttackCell, AttackCoverage, ProcessNode, TimelineEntry } from '../src/api/types';
import {
  cellKey,
  coverageTotals,
  expandableKeys,
  findCell,
  heat,
  isPeriod,
  layoutMatrix,
  maxFired,
  parentId,
  periodSince,
  techniqueIndex,
  techniqueMatches,
  techniqueName,
} from '../src/lib/attack';
import {
  checkException,
  checkFieldPath,
  escapePattern,
  eventMatchRows,
  isExpired,
  matchFromRows,
  rowsFromMatch,
  splitPatterns,
  type MatchRow,
} from '../src/lib/exceptionMatch';
import { allBranches, ancestry, indexTree, processKey, processName, quietBranches, visibleTreeRows } from '../src/lib/incidentTree';
import { canMoveIncident, incidentHosts, incidentMoves } from '../src/lib/incidents';
import { checkChosen, checkRuleFileName, groupProblems, importName, importProblems, problemLine } from '../src/lib/ruleImport';
import { checkSpan, entryCategories, filterEntries, sortEntries } from '../src/lib/timeline';

const node = (pid: number, over: Partial<ProcessNode> = {}, children: ProcessNode[] = []): ProcessNode => ({
  entity_id: `e${pid}`,
  agent_id: 'a1',
  pid,
  executable: `/usr/bin/p${pid}`,
  events: 1,
  ...over,
  children,
});

/** The web shell's tree: php-fpm -> sh (alert) -> id, uname; php-fpm -> sh -> kworker -> sh (alert) -> bash; cron apart. */
function webTree(): ProcessNode[] {
  return [
    node(2210, { executable: '/usr/sbin/php-fpm8.2', alert_ids: ['al-1'] }, [
      node(31001, { executable: '/usr/bin/dash', command_line: 'sh -c id', alert_ids: ['al-2'] }, [node(31002), node(31003)]),
      node(31020, { executable: '/usr/bin/dash' }, [node(31022, { executable: '/tmp/.ops/kworker' }, [node(31030, { alert_ids: ['al-3', 'al-4'] }, [node(31031)])])]),
      node(31040, {}, [node(31041)]),
    ]),
    node(500, { executable: '/usr/sbin/cron' }, [node(501)]),
  ];
}

describe('incident process tree', () => {
  it('indexes every process once in pre-order with depth, parent and the alerted processes below', () => {
    const idx = indexTree(webTree());
    expect(idx.order).toEqual(['e2210', 'e31001', 'e31002', 'e31003', 'e31020', 'e31022', 'e31030', 'e31031', 'e31040', 'e31041', 'e500', 'e501']);
    expect(idx.roots).toEqual(['e2210', 'e500']);
    const e = (k: string) => idx.entries.get(k)!;
    expect(e('e31031').depth).toBe(4);
    expect(e('e31031').parent).toBe('e31030');
    expect(e('e2210').children).toEqual(['e31001', 'e31020', 'e31040']);
    expect(e('e2210').alerted).toBe(true);
    expect(e('e2210').alertedBelow).toBe(2);
    expect(e('e31020').alertedBelow).toBe(1);
    expect(e('e31030').alertedBelow).toBe(0);
    expect(e('e500').alertedBelow).toBe(0);
  });

  it('shows a process met twice once, and stops at a loop', () => {
    const shared = node(7);
    const a = node(1, {}, [shared, node(2, {}, [shared])]);
    const loop = node(10);
    loop.children = [node(11, {}, [loop])];
    const idx = indexTree([a, loop]);
    expect(idx.order).toEqual(['e1', 'e7', 'e2', 'e10', 'e11']);
    expect(idx.entries.get('e7')!.parent).toBe('e1');
  });

  it('keys a process without an entity id by agent and pid', () => {
    expect(processKey(node(5, { entity_id: '' }))).toBe('a1:5');
    expect(processKey(node(5, { entity_id: '', pid: undefined }))).toBe('a1:?');
  });

  it('handles a chain 20,000 deep without recursion', () => {
    let leaf = node(20_000, { alert_ids: ['deep'] });
    for (let pid = 19_999; pid >= 1; pid--) leaf = node(pid, {}, [leaf]);
    const idx = indexTree([leaf]);
    expect(idx.order).toHaveLength(20_000);
    expect(idx.entries.get('e20000')!.depth).toBe(19_999);
    expect(idx.entries.get('e1')!.alertedBelow).toBe(1);
    expect(ancestry(idx, 'e20000')).toHaveLength(20_000);
  });

  it('hides the processes under a closed branch and nothing else', () => {
    const idx = indexTree(webTree());
    const rows = visibleTreeRows(idx, new Set(['e31020']));
    expect(rows.map((r) => r.entry.key)).toEqual(['e2210', 'e31001', 'e31002', 'e31003', 'e31020', 'e31040', 'e31041', 'e500', 'e501']);
    const closed = rows.find((r) => r.entry.key === 'e31020')!;
    expect(closed.open).toBe(false);
    expect(closed.hasChildren).toBe(true);
    expect(visibleTreeRows(idx, allBranches(idx)).map((r) => r.entry.key)).toEqual(['e2210', 'e500']);
    expect(visibleTreeRows(idx, new Set())).toHaveLength(12);
  });

  it('closes the quiet branches to leave the paths to the alerts', () => {
    const idx = indexTree(webTree());
    const quiet = quietBranches(idx);
    expect([...quiet].sort()).toEqual(['e31001', 'e31030', 'e31040', 'e500']);
    expect(visibleTreeRows(idx, quiet).map((r) => r.entry.key)).toEqual(['e2210', 'e31001', 'e31020', 'e31022', 'e31030', 'e31040', 'e500']);
  });

  it('names a process by its executable, else by its command line', () => {
    expect(processName(node(1, { executable: '/tmp/.ops/kworker' }))).toBe('kworker');
    expect(processName(node(1, { executable: '', command_line: '/usr/bin/python3 -c x' }))).toBe('python3');
    expect(processName(node(1, { executable: '', command_line: '' }))).toBe('');
  });
});

const entry = (time: string, category: string, alerts: string[] = [], agent = 'a1'): TimelineEntry => ({
  time,
  agent_id: agent,
  category,
  action: 'x',
  summary: `${category} at ${time}`,
  event_id: `${category}-${time}`,
  event: {},
  alert_ids: alerts,
});

describe('timeline', () => {
  it('keeps spans the center accepts', () => {
    expect(checkSpan('1h')).toBe('1h');
    expect(checkSpan('24h')).toBe('24h');
    expect(checkSpan('90s')).toBe('90s');
    expect(checkSpan('25h')).toBe('30m');
    expect(checkSpan('500ms')).toBe('30m');
    expect(checkSpan('soon')).toBe('30m');
    expect(checkSpan(null)).toBe('30m');
  });

  it('orders entries by time, equal times in the order given', () => {
    const list = [entry('2026-11-29T10:00:02Z', 'b'), entry('2026-11-29T10:00:01Z', 'a'), entry('2026-11-29T10:00:02Z', 'c')];
    expect(sortEntries(list).map((e) => e.category)).toEqual(['a', 'b', 'c']);
    expect(sortEntries(null)).toEqual([]);
  });

  it('filters to the alerted entries, a category or a host, and lists categories by frequency', () => {
    const list = [entry('1', 'process', ['al']), entry('2', 'network'), entry('3', 'process', [], 'a2'), entry('4', 'file')];
    expect(filterEntries(list, { alertedOnly: true, category: '', agentId: '' })).toHaveLength(1);
    expect(filterEntries(list, { alertedOnly: false, category: 'process', agentId: '' })).toHaveLength(2);
    expect(filterEntries(list, { alertedOnly: false, category: 'process', agentId: 'a2' })).toHaveLength(1);
    expect(entryCategories(list)).toEqual(['process', 'file', 'network']);
  });
});

describe('incidents', () => {
  it('allows the moves the center allows', () => {
    expect(canMoveIncident('open', 'investigating')).toBe(true);
    expect(canMoveIncident('investigating', 'open')).toBe(true);
    expect(canMoveIncident('resolved', 'investigating')).toBe(false);
    expect(canMoveIncident('open', 'open')).toBe(false);
    expect(canMoveIncident('archived', 'open')).toBe(false);
    expect(incidentMoves.false_positive).toEqual(['open']);
  });

  it('pairs hosts with their names', () => {
    expect(incidentHosts({ agent_ids: ['a', 'b'], hostnames: ['web-01'] })).toEqual([
      { id: 'a', name: 'web-01' },
      { id: 'b', name: '' },
    ]);
    expect(incidentHosts({ agent_ids: null, hostnames: null })).toEqual([]);
  });
});

const cell = (id: string, name: string, nameZh: string, covered = 0, fired = 0, subs?: AttackCell[]): AttackCell => {
  const c: AttackCell = { id, name, name_zh: nameZh, covered, fired, total_covered: covered, total_fired: fired, ...(subs ? { sub_techniques: subs } : {}) };
  for (const s of subs ?? []) {
    c.total_covered += s.covered;
    c.total_fired += s.fired;
  }
  return c;
};

function coverage(): AttackCoverage {
  const cron = () => cell('T1053.003', 'Cron', 'Cron', 2, 1);
  const tasks = () => cell('T1053', 'Scheduled Task/Job', '计划任务/作业', 0, 0, [cron()]);
  return {
    version: '18.1',
    rules: 9,
    since: '2026-11-01T00:00:00Z',
    alerts: 12,
    truncated: false,
    columns: [
      {
        tactic: { id: 'TA0002', short_name: 'execution', name: 'Execution', name_zh: '执行' },
        techniques: [
          cell('T1059', 'Command and Scripting Interpreter', '命令和脚本解释器', 1, 0, [cell('T1059.004', 'Unix Shell', 'Unix Shell', 6, 9), cell('T1059.006', 'Python', 'Python', 0, 0)]),
          tasks(),
          cell('T1204', 'User Execution', '用户执行'),
        ],
        covered_techniques: 2,
        fired_techniques: 2,
      },
      {
        tactic: { id: 'TA0004', short_name: 'privilege-escalation', name: 'Privilege Escalation', name_zh: '权限提升' },
        techniques: [cell('T1068', 'Exploitation for Privilege Escalation', '利用漏洞提权', 1, 2), tasks()],
        covered_techniques: 2,
        fired_techniques: 2,
      },
    ],
    unmapped: [cell('T1086', 'PowerShell', '', 1, 0)],
  };
}

describe('ATT&CK names', () => {
  const idx = techniqueIndex(coverage());

  it('come from the coverage, with the parent for a sub-technique, in either language', () => {
    expect(techniqueName(idx, 'T1059.004', 'en')).toBe('Command and Scripting Interpreter: Unix Shell');
    expect(techniqueName(idx, 't1059.004', 'zh')).toBe('命令和脚本解释器：Unix Shell');
    expect(techniqueName(idx, 'T1059.004', 'en', false)).toBe('Unix Shell');
    expect(techniqueName(idx, 'T1068', 'zh')).toBe('利用漏洞提权');
    expect(techniqueName(idx, 'T1086', 'zh')).toBe('PowerShell');
    expect(techniqueName(idx, 'T9999', 'en')).toBe('');
    expect(techniqueName(techniqueIndex(null), 'T1059', 'en')).toBe('');
  });

  it('match a technique with its sub-techniques, not the other way round', () => {
    expect(techniqueMatches(['T1059.004'], 'T1059')).toBe(true);
    expect(techniqueMatches(['t1059.004'], 'T1059.004')).toBe(true);
    expect(techniqueMatches(['T1059'], 'T1059.004')).toBe(false);
    expect(techniqueMatches(['T10590'], 'T1059')).toBe(false);
    expect(techniqueMatches(null, 'T1059')).toBe(false);
    expect(parentId('T1059.004')).toBe('T1059');
    expect(parentId('T1059')).toBe('');
  });
});

describe('ATT&CK matrix', () => {
  const cov = coverage();

  it('grades cells by alerts against the largest count, else by rules', () => {
    expect(maxFired(cov)).toBe(9);
    expect(heat(0, 9, 9)).toBe('fired-3');
    expect(heat(0, 4, 9)).toBe('fired-2');
    expect(heat(5, 1, 9)).toBe('fired-1');
    expect(heat(3, 0, 9)).toBe('covered');
    expect(heat(0, 0, 9)).toBe('none');
    expect(heat(0, 1, 0)).toBe('fired-3');
  });

  it('lays out tactics as columns and techniques as cells, sub-techniques under an open one', () => {
    const closed = layoutMatrix(cov, 'all', new Set());
    expect(closed.map((c) => c.column.tactic.short_name)).toEqual(['execution', 'privilege-escalation']);
    expect(closed[0]!.cells.map((c) => [c.cell.id, c.heat, c.subs])).toEqual([
      ['T1059', 'fired-3', 2],
      ['T1053', 'fired-1', 1],
      ['T1204', 'none', 0],
    ]);
    const open = layoutMatrix(cov, 'all', new Set([cellKey('execution', 'T1059'), cellKey('execution', 'T1053')]));
    expect(open[0]!.cells.map((c) => `${c.sub ? '  ' : ''}${c.cell.id}`)).toEqual(['T1059', '  T1059.004', '  T1059.006', 'T1053', '  T1053.003', 'T1204']);
    expect(open[0]!.cells[1]!.key).toBe('execution/T1059.004');
    // The same technique under another tactic stays closed.
    expect(open[1]!.cells.map((c) => c.cell.id)).toEqual(['T1068', 'T1053']);
  });

  it('shows only covered or only fired techniques (and sub-techniques) when asked', () => {
    const open = new Set([cellKey('execution', 'T1059')]);
    const covered = layoutMatrix(cov, 'covered', open);
    expect(covered[0]!.cells.map((c) => c.cell.id)).toEqual(['T1059', 'T1059.004', 'T1053']);
    expect(covered[0]!.shown).toBe(2);
    const fired = layoutMatrix(cov, 'fired', open);
    expect(fired[0]!.cells.map((c) => c.cell.id)).toEqual(['T1059', 'T1059.004', 'T1053']);
    expect(fired[1]!.cells.map((c) => c.cell.id)).toEqual(['T1068', 'T1053']);
    expect(layoutMatrix(null, 'all', new Set())).toEqual([]);
  });

  it('counts each technique once across tactics, and finds a cell with its tactics', () => {
    expect(coverageTotals(cov)).toEqual({ techniques: 4, covered: 3, fired: 3, subTechniques: 3, subCovered: 2 });
    const found = findCell(cov, 'T1053.003');
    expect(found?.cell.name).toBe('Cron');
    expect(found?.tactics.map((t) => t.short_name)).toEqual(['execution', 'privilege-escalation']);
    expect(findCell(cov, 'T1086')?.tactics).toEqual([]);
    expect(findCell(cov, 'T9999')).toBeNull();
    expect([...expandableKeys(cov)].sort()).toEqual(['execution/T1053', 'execution/T1059', 'privilege-escalation/T1053']);
  });

  it('starts a period at the minute', () => {
    const now = Date.parse('2026-11-29T10:31:45.500Z');
    expect(periodSince('24h', now)).toBe('2026-11-28T10:31:00Z');
    expect(periodSince('30d', now)).toBe('2026-10-30T10:31:00Z');
    expect(isPeriod('7d')).toBe(true);
    expect(isPeriod('1y')).toBe(false);
    expect(isPeriod('toString')).toBe(false);
  });
});

describe('exception match editor', () => {
  it('accepts dotted ECS fields, @timestamp included', () => {
    for (const f of ['process.executable', '@timestamp', 'process.parent.command_line', 'vigil.fim.web_root', 'a-b_c']) expect(checkFieldPath(f), f).toBe(true);
    for (const f of ['', 'Process Name', 'process..name', '.process', 'process.', 'a.@b', 'a.b.c.d.e.f.g.h.i.j.k', 'x'.repeat(129), 'proc/exe']) expect(checkFieldPath(f), f).toBe(false);
  });

  it('reads one pattern a line, keeping spaces, leaving out blank lines', () => {
    expect(splitPatterns('sh -c id\r\n\n  \n*zabbix* ')).toEqual(['sh -c id', '*zabbix* ']);
    expect(splitPatterns('')).toEqual([]);
  });

  it('builds the match from valid rows, leaving out blank rows', () => {
    const rows: MatchRow[] = [
      { field: ' process.executable ', patterns: '/usr/bin/backup-*\n/opt/backup/bin/*' },
      { field: '', patterns: '' },
      { field: 'user.name', patterns: 'backup' },
    ];
    expect(matchFromRows(rows)).toEqual({ match: { 'process.executable': ['/usr/bin/backup-*', '/opt/backup/bin/*'], 'user.name': ['backup'] }, issues: [] });
  });

  it.each([
    [[{ field: '', patterns: 'x' }], 'emptyField'],
    [[{ field: 'Process Name', patterns: 'x' }], 'badField'],
    [[{ field: 'user.name', patterns: 'a' }, { field: 'user.name', patterns: 'b' }], 'duplicate'],
    [[{ field: 'user.name', patterns: '\n \n' }], 'noPatterns'],
    [[{ field: 'user.name', patterns: Array.from({ length: 65 }, (_, i) => `u${i}`).join('\n') }], 'tooManyPatterns'],
    [[{ field: 'user.name', patterns: 'x'.repeat(1025) }], 'longPattern'],
    [[{ field: 'user.name', patterns: 'a\u0007b' }], 'badPattern'],
    [Array.from({ length: 33 }, (_, i) => ({ field: `f${i}`, patterns: 'x' })), 'tooManyFields'],
  ] as [MatchRow[], string][])('says what is wrong: %#', (rows, problem) => {
    const { issues } = matchFromRows(rows);
    expect(issues.map((i) => i.problem)).toContain(problem);
  });

  it('lists a match back as rows, by field', () => {
    expect(rowsFromMatch({ 'user.name': ['a', 'b'], 'file.path': ['/x'] })).toEqual([
      { field: 'file.path', patterns: '/x' },
      { field: 'user.name', patterns: 'a\nb' },
    ]);
    expect(rowsFromMatch(null)).toEqual([]);
  });

  it('escapes values so that they match exactly', () => {
    expect(escapePattern('/usr/bin/[*]?')).toBe('/usr/bin/[\\*]\\?');
    expect(escapePattern('C:\\tmp')).toBe('C:\\\\tmp');
    expect(escapePattern('line1\nline2\ttab')).toBe('line1?line2?tab');
    expect(escapePattern('plain')).toBe('plain');
  });

  it('takes the main fields of an alert event, by its category', () => {
    const proc = {
      event: { category: ['process'], action: 'exec' },
      process: { executable: '/usr/bin/dash', command_line: "sh -c 'id;uname -a'", parent: { executable: '/usr/sbin/php-fpm8.2' } },
      user: { name: 'www-data' },
    };
    expect(eventMatchRows(proc)).toEqual([
      { field: 'process.executable', patterns: '/usr/bin/dash' },
      { field: 'process.command_line', patterns: "sh -c 'id;uname -a'" },
      { field: 'process.parent.executable', patterns: '/usr/sbin/php-fpm8.2' },
      { field: 'user.name', patterns: 'www-data' },
    ]);
    const auth = { 'event.category': 'authentication', 'user.name': 'root', source: { ip: '198.51.100.7' } };
    expect(eventMatchRows(auth)).toEqual([
      { field: 'user.name', patterns: 'root' },
      { field: 'source.ip', patterns: '198.51.100.7' },
    ]);
    const odd = { event: { category: 'intrusion_detection' }, file: { path: '/tmp/*x' }, process: { command_line: 'y'.repeat(2000) } };
    expect(eventMatchRows(odd)).toEqual([{ field: 'file.path', patterns: '/tmp/\\*x' }]);
    expect(eventMatchRows(null)).toEqual([]);
  });

  it('marks expired exceptions', () => {
    const now = Date.parse('2026-11-29T10:00:00Z');
    expect(isExpired({ expires_at: '2026-11-29T09:59:59Z' }, now)).toBe(true);
    expect(isExpired({ expires_at: '2026-11-29T10:00:00Z' }, now)).toBe(true);
    expect(isExpired({ expires_at: '2026-11-30T00:00:00Z' }, now)).toBe(false);
    expect(isExpired({}, now)).toBe(false);
    expect(isExpired({ expires_at: '0001-01-01T00:00:00Z' }, now)).toBe(false);
  });

  it('checks the whole form and builds the body', () => {
    const now = Date.parse('2026-11-29T10:00:00Z');
    const empty = checkException({ ruleId: '', agentId: '', rows: [], reason: ' ', expiresAt: '2026-11-29T09:00:00Z' }, now);
    expect(empty.problems).toEqual(['noMatch', 'noReason', 'pastExpiry']);
    const ok = checkException({ ruleId: ' r1 ', agentId: '', rows: [], reason: 'backup job', expiresAt: '' }, now);
    expect(ok.problems).toEqual([]);
    expect(ok.body).toEqual({ rule_id: 'r1', match: {}, reason: 'backup job' });
    const full = checkException({ ruleId: '', agentId: 'a1', rows: [{ field: 'user.name', patterns: 'x' }], reason: 'why', expiresAt: '2026-12-01T00:00:00Z' }, now);
    expect(full.body).toEqual({ agent_id: 'a1', match: { 'user.name': ['x'] }, reason: 'why', expires_at: '2026-12-01T00:00:00Z' });
    expect(checkException({ ruleId: 'r', agentId: '', rows: [], reason: 'x'.repeat(4097), expiresAt: '' }, now).problems).toEqual(['longReason']);
    expect(checkException({ ruleId: 'r', agentId: '', rows: [], reason: 'bell\u0007', expiresAt: '' }, now).problems).toEqual(['badReason']);
    expect(checkException({ ruleId: 'r', agentId: '', rows: [], reason: 'two\nlines\ttab', expiresAt: '' }, now).problems).toEqual([]);
  });
});

describe('rule import', () => {
  it.each([
    ['linux/curl.yml', ''],
    ['custom/a+b-c_d.yaml', ''],
    ['', 'empty'],
    [`${'a'.repeat(252)}.yml`, 'long'],
    ['/etc/x.yml', 'absolute'],
    ['a//b.yml', 'badPart'],
    ['a/../b.yml', 'badPart'],
    ['.hidden/x.yml', 'dotPart'],
    ['my rule.yml', 'badChars'],
    ['规则.yml', 'badChars'],
    ['x.test.yml', 'ruleTest'],
    ['x.TEST.yaml', 'ruleTest'],
    ['x.json', 'notYaml'],
  ])('checks the name %j', (name, want) => {
    expect(checkRuleFileName(name)).toBe(want);
  });

  it('puts chosen files under a folder', () => {
    expect(importName('custom/linux/', 'a.yml')).toBe('custom/linux/a.yml');
    expect(importName(' /custom// ', 'C:\\rules\\b.yml')).toBe('custom/b.yml');
    expect(importName('', 'c.yml')).toBe('c.yml');
  });

  it('refuses files too big or given twice', () => {
    expect(checkChosen([{ name: 'a.yml', size: 10 }, { name: 'a.yml', size: 10 }, { name: 'b.yml', size: (1 << 20) + 1 }, { name: 'c.txt', size: 1 }]).map((c) => c.problem)).toEqual(['', 'twice', 'tooBig', 'notYaml']);
  });

  it('reads the problems of a refused import', () => {
    const body = JSON.stringify({
      error: { code: 'unprocessable', message: '1 of 2 files have problems; nothing was imported (force imports the files that load)' },
      problems: [{ source: 'imported', file: 'x/bad.yml', line: 8, reason: 'unknown modifier' }],
    });
    const err = decodeError(422, 'Unprocessable Entity', body);
    expect(err.message).toContain('nothing was imported');
    expect(importProblems(err)).toEqual([{ source: 'imported', file: 'x/bad.yml', line: 8, reason: 'unknown modifier' }]);
    expect(importProblems(new ApiError(422, 'unprocessable', 'x'))).toEqual([]);
    expect(importProblems(new ApiError(400, 'bad_request', 'x'))).toBeNull();
    expect(importProblems(new Error('x'))).toBeNull();
  });

  it('says a problem as file:line: reason and groups them by file, by line', () => {
    expect(problemLine({ source: 'imported', file: 'a.yml', line: 4, reason: 'detection has no condition' })).toBe('a.yml:4: detection has no condition');
    expect(problemLine({ source: 'imported', file: 'a.yml', reason: 'invalid YAML' })).toBe('a.yml: invalid YAML');
    const groups = groupProblems([
      { source: 'imported', file: 'b.yml', line: 9, reason: 'x' },
      { source: 'imported', file: 'a.yml', line: 3, reason: 'y' },
      { source: 'imported', file: 'b.yml', line: 2, reason: 'z' },
    ]);
    expect(groups.map((g) => [g.file, g.problems.map((p) => p.line)])).toEqual([
      ['b.yml', [2, 9]],
      ['a.yml', [3]],
    ]);
    expect(groupProblems(null)).toEqual([]);
  });
});
