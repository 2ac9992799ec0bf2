import { describe, expect, it } from 'vitest';
import { buildCommand, tally, type CommandForm } from '../src/lib/commands';
import { checkDuration, parseDuration } from '../src/lib/duration';
import { storedRevision, summarizePolicy } from '../src/lib/effectivePolicy';
import { formatLabels, labelsFromRows, parseLabelText, rowsFromLabels, sameLabels } from '../src/lib/labels';
import { formatSpec, lineColumn, parseSpec } from '../src/lib/policySpec';

describe('labels', () => {
  it('round-trips labels through sorted rows', () => {
    const rows = rowsFromLabels({ role: 'web', env: 'prod' });
    expect(rows).toEqual([
      { key: 'env', value: 'prod' },
      { key: 'role', value: 'web' },
    ]);
    expect(labelsFromRows(rows)).toEqual({ labels: { env: 'prod', role: 'web' }, issues: [] });
    expect(rowsFromLabels(null)).toEqual([]);
  });

  it('ignores blank rows and trims', () => {
    expect(labelsFromRows([{ key: ' env ', value: ' prod ' }, { key: '', value: '' }])).toEqual({ labels: { env: 'prod' }, issues: [] });
  });

  it.each([
    [{ key: '', value: 'x' }, 'emptyKey'],
    [{ key: 'a b', value: '' }, 'badKey'],
    [{ key: 'k=v', value: '' }, 'badKey'],
    [{ key: 'k'.repeat(64), value: '' }, 'longKey'],
    [{ key: 'k', value: 'tab\there' }, 'badValue'],
    [{ key: 'k', value: 'v'.repeat(256) }, 'longValue'],
    [{ key: 'k', value: '中'.repeat(86) }, 'longValue'],
  ])('finds %j %s', (row, problem) => {
    const { issues } = labelsFromRows([row]);
    expect(issues.map((i) => i.problem)).toEqual([problem]);
    expect(issues[0]!.row).toBe(0);
  });

  it('takes keys that are names of object properties as plain keys', () => {
    const { labels, issues } = labelsFromRows([{ key: 'constructor', value: '1' }, { key: '__proto__', value: '2' }]);
    expect(issues).toEqual([]);
    expect(JSON.parse(JSON.stringify(labels))).toEqual(JSON.parse('{"constructor":"1","__proto__":"2"}'));
  });

  it('accepts the widest valid key and value', () => {
    expect(labelsFromRows([{ key: `a.b_c/d-${'k'.repeat(55)}`, value: 'v'.repeat(255) }]).issues).toEqual([]);
  });

  it('finds duplicates and too many labels', () => {
    expect(labelsFromRows([{ key: 'a', value: '1' }, { key: 'a', value: '2' }]).issues).toEqual([{ row: 1, problem: 'duplicate', key: 'a' }]);
    const many = Array.from({ length: 65 }, (_, i) => ({ key: `k${i}`, value: '' }));
    expect(labelsFromRows(many).issues).toEqual([{ row: -1, problem: 'tooMany', key: '' }]);
  });

  it('reads and writes k=v text', () => {
    expect(parseLabelText('env=prod, role=web\nflag,x=a=b')).toEqual([
      { key: 'env', value: 'prod' },
      { key: 'role', value: 'web' },
      { key: 'flag', value: '' },
      { key: 'x', value: 'a=b' },
    ]);
    expect(formatLabels({ role: 'web', env: 'prod' })).toBe('env=prod, role=web');
    expect(sameLabels({ a: '1', b: '2' }, { b: '2', a: '1' })).toBe(true);
    expect(sameLabels({ a: '1' }, null)).toBe(false);
  });
});

describe('durations', () => {
  it.each([
    ['24h', 86_400_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['0', 0],
    [' 10s ', 10_000],
  ])('parses %s', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

  it.each(['', '24', 'h', '1d', '-1h', '1h 30m', 'abc'])('refuses %j', (s) => {
    expect(parseDuration(s)).toBeNull();
  });

  it('checks ranges', () => {
    expect(checkDuration('30s', 60_000, 3_600_000)).toBe('range');
    expect(checkDuration('1m', 60_000, 3_600_000)).toBe('ok');
    expect(checkDuration('60m', 60_000, 3_600_000)).toBe('ok');
    expect(checkDuration('61m', 60_000, 3_600_000)).toBe('range');
    expect(checkDuration('soon', 60_000, 3_600_000)).toBe('invalid');
  });
});

describe('policy spec text', () => {
  it('parses an object', () => {
    expect(parseSpec('{"budget": {"cpuPercent": 500}}')).toEqual({ ok: true, value: { budget: { cpuPercent: 500 } } });
  });

  it('says where a syntax error is', () => {
    const r = parseSpec('{\n  "budget": {\n    "cpuPercent": 5,\n  }\n}');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('syntax');
    expect(r.line).toBe(4);
    expect(r.column).toBeGreaterThan(0);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['[1]', 'notObject'],
    ['null', 'notObject'],
    ['"x"', 'notObject'],
    ['{', 'syntax'],
  ])('refuses %j as %s', (text, code) => {
    const r = parseSpec(text);
    expect(r.ok ? 'ok' : r.code).toBe(code);
  });

  it('finds lines and columns', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn('ab', 99)).toEqual({ line: 1, column: 3 });
  });

  it('pretty-prints objects and JSON text, and leaves other text alone', () => {
    expect(formatSpec({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(formatSpec('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(formatSpec('{broken')).toBe('{broken');
    expect(formatSpec(undefined)).toBe('{}');
  });
});

describe('commands', () => {
  const form: CommandForm = { command: 'ping', collector: 'host/facts', target: 'selected', selected: ['a1', 'a2'], selectorText: '', timeout: '10s' };

  it('sends to the checked agents', () => {
    expect(buildCommand(form)).toEqual({ ok: true, body: { command: 'ping', agent_ids: ['a1', 'a2'], timeout: '10s' } });
  });

  it('sends collect with its collector to a selector', () => {
    expect(buildCommand({ ...form, command: 'collect', target: 'selector', selectorText: 'env=prod, role=web', timeout: '' })).toEqual({
      ok: true,
      body: { command: 'collect', selector: { env: 'prod', role: 'web' }, args: { name: 'host/facts' } },
    });
  });

  it.each([
    [{ selected: [] }, 'noAgents'],
    [{ target: 'selector' as const, selectorText: ' ' }, 'noSelector'],
    [{ target: 'selector' as const, selectorText: 'bad key=1' }, 'badSelector'],
    [{ command: 'collect' as const, collector: ' ' }, 'noCollector'],
    [{ timeout: '10m' }, 'badTimeout'],
    [{ timeout: '500ms' }, 'badTimeout'],
    [{ timeout: 'soon' }, 'badTimeout'],
  ])('refuses %j: %s', (over, problem) => {
    const r = buildCommand({ ...form, ...over });
    expect(r.ok ? 'ok' : r.problem).toBe(problem);
  });

  it('counts results', () => {
    expect(tally([
      { agent_id: 'a', ok: true, duration_ms: 1 },
      { agent_id: 'b', ok: false, error: 'agent offline', duration_ms: 0 },
      { agent_id: 'c', ok: true, duration_ms: 3 },
    ])).toEqual({ ok: 2, failed: 1 });
    expect(tally(null)).toEqual({ ok: 0, failed: 0 });
  });
});

describe('effective policy', () => {
  it('takes the stored revision from the upper 32 bits', () => {
    expect(storedRevision(String((3n << 32n) | 12345n))).toBe(3);
    expect(storedRevision('2166136261')).toBe(0);
    expect(storedRevision(5 * 2 ** 32 + 7)).toBe(5);
    expect(storedRevision('junk')).toBe(0);
    expect(storedRevision(undefined)).toBe(0);
  });

  it('reads protojson with string numbers, and proto names', () => {
    const camel = {
      revision: String((2n << 32n) | 99n),
      name: 'web',
      collectors: { 'os/dpkg': { enabled: true, intervalSeconds: '3600' } },
      sensors: { 'exec/ebpf': { enabled: false, intervalSeconds: '0' } },
      budget: { cpuPercent: 2.5, memoryMb: '256' },
      heartbeatIntervalSeconds: '5',
      spoolMaxMb: '128',
      maxEventsPerSecond: 0,
    };
    const want = {
      name: 'web',
      storedRevision: 2,
      heartbeatSeconds: 5,
      cpuPercent: 2.5,
      memoryMb: 256,
      spoolMaxMb: 128,
      maxEventsPerSecond: 0,
      plugins: [
        { name: 'exec/ebpf', kind: 'sensor', enabled: false, intervalSeconds: 0 },
        { name: 'os/dpkg', kind: 'collector', enabled: true, intervalSeconds: 3600 },
      ],
    };
    expect(summarizePolicy(camel)).toEqual(want);
    const snake = {
      revision: camel.revision,
      name: 'web',
      collectors: { 'os/dpkg': { enabled: true, interval_seconds: 3600 } },
      sensors: { 'exec/ebpf': { enabled: false } },
      budget: { cpu_percent: 2.5, memory_mb: 256 },
      heartbeat_interval_seconds: 5,
      spool_max_mb: 128,
    };
    expect(summarizePolicy(snake)).toEqual(want);
    expect(summarizePolicy('x')).toBeNull();
  });
});
