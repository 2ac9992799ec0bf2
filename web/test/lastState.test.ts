import { describe, expect, it } from 'vitest';
import { normalizeLastState } from '../src/lib/lastState';

const snake = {
  plugins: [
    { name: 'os/dpkg', kind: 'collector', state: 'running', runs: 4, last_run_unix: 1700000000 },
    { name: 'exec/ebpf', kind: 'sensor', state: 'skipped', reason: 'kernel lacks BTF', mechanism: 'ebpf' },
    { name: 'exec/proccon', kind: 'sensor', state: 'standby', provides: 'process', filtered: 7, dropped: 2, counters: { malformed_lines: 3, rescans: 0 } },
  ],
  stats: { cpu_percent: 1.5, rss_bytes: 41943040, throttled: false },
  policy_revision: 3,
};

const camel = {
  plugins: [
    { name: 'os/dpkg', kind: 'collector', state: 'running', runs: '4', lastRunUnix: '1700000000' },
    { name: 'exec/ebpf', kind: 'sensor', state: 'skipped', reason: 'kernel lacks BTF', mechanism: 'ebpf' },
    { name: 'exec/proccon', kind: 'sensor', state: 'standby', provides: 'process', filtered: '7', dropped: '2', counters: { malformed_lines: '3' } },
  ],
  stats: { cpuPercent: 1.5, rssBytes: '41943040', throttled: false },
  policyRevision: '3',
};

describe('normalizeLastState', () => {
  const base64 = Buffer.from(JSON.stringify(snake)).toString('base64');
  it.each([
    ['object, snake_case', snake],
    ['object, lowerCamelCase with string numbers', camel],
    ['JSON text', JSON.stringify(snake)],
    ['base64 of JSON', base64],
  ])('reads %s', (_, raw) => {
    const s = normalizeLastState(raw);
    expect(s).not.toBeNull();
    expect(s!.plugins.map((p) => p.name)).toEqual(['exec/ebpf', 'exec/proccon', 'os/dpkg']);
    const proccon = s!.plugins[1]!;
    expect([proccon.state, proccon.provides, proccon.filtered, proccon.dropped]).toEqual(['standby', 'process', 7, 2]);
    expect(proccon.counters).toEqual({ malformed_lines: 3 });
    const dpkg = s!.plugins[2]!;
    expect(dpkg.counters).toEqual({});
    expect(dpkg.runs).toBe(4);
    expect(dpkg.lastRun?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(s!.plugins[0]!.reason).toBe('kernel lacks BTF');
    expect(s!.stats).toEqual({ cpu_percent: 1.5, rss_bytes: 41943040, throttled: false });
    expect(Number(s!.other.policy_revision)).toBe(3);
  });

  it.each([undefined, null, '', 'not json', '[1,2]', 42])('returns null for %j', (raw) => {
    expect(normalizeLastState(raw)).toBeNull();
  });
});
