import { describe, expect, it } from 'vitest';
import { ApiError, buildQuery, decodeError } from '../src/api/client';
import { field, summary, text } from '../src/lib/ecs';
import { bytes, labelPairs } from '../src/lib/format';
import { parseTime, span, toRFC3339 } from '../src/lib/time';
import { match, withQuery } from '../src/router';

describe('time', () => {
  it('treats Go zero time and junk as absent', () => {
    expect(parseTime('0001-01-01T00:00:00Z')).toBeNull();
    expect(parseTime('garbage')).toBeNull();
    expect(parseTime(undefined)).toBeNull();
    expect(parseTime('2024-05-01T10:00:00Z')?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
  });

  it.each([
    [0, 's', 0],
    [59_999, 's', 59],
    [60_000, 'm', 1],
    [3_599_000, 'm', 59],
    [7_200_000, 'h', 2],
    [47 * 3_600_000, 'h', 47],
    [3 * 86_400_000, 'd', 3],
    [-5000, 's', 0],
  ])('span(%d) = %s %d', (ms, unit, n) => {
    expect(span(ms)).toEqual({ unit, n });
  });

  it('turns a local datetime into RFC 3339 UTC', () => {
    const local = '2024-05-01T10:30';
    expect(toRFC3339(local)).toBe(new Date(local).toISOString().replace('.000Z', 'Z'));
    expect(toRFC3339('')).toBe('');
  });
});

describe('ecs', () => {
  const e = {
    '@timestamp': '2024-05-01T10:00:00Z',
    event: { category: ['process'], action: 'exec' },
    process: { executable: '/bin/sh', 'parent.executable': '/usr/sbin/sshd', command_line: 'sh -c id' },
    'source.ip': '10.0.0.1',
  };
  it('finds nested and flat dotted fields', () => {
    expect(text(e, 'process.executable')).toBe('/bin/sh');
    expect(text(e, 'process.parent.executable')).toBe('/usr/sbin/sshd');
    expect(text(e, 'source.ip')).toBe('10.0.0.1');
    expect(text(e, 'event.category')).toBe('process');
    expect(field(e, 'process.missing')).toBeUndefined();
    expect(text(e, 'process')).toBe('');
  });
  it('summarises by message, then command line, then addresses', () => {
    expect(summary({ ...e, message: 'hello' })).toBe('hello');
    expect(summary(e)).toBe('sh -c id');
    expect(summary({ source: { ip: '1.2.3.4' }, destination: { ip: '5.6.7.8', port: 22 } })).toBe('1.2.3.4 → 5.6.7.8:22');
    expect(summary({})).toBe('');
  });
});

describe('client', () => {
  it('builds queries without empty values and with repeated keys', () => {
    expect(buildQuery({ status: '', label: ['env=prod', 'role=web'], q: 'web 1', limit: 100 })).toBe(
      '?label=env%3Dprod&label=role%3Dweb&q=web+1&limit=100',
    );
    expect(buildQuery({ a: undefined })).toBe('');
  });
  it('reads the error envelope', () => {
    const e = decodeError(404, 'Not Found', '{"error":{"code":"not_found","message":"agent 42 not found"}}');
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.message]).toEqual([404, 'not_found', 'agent 42 not found']);
  });
  it('falls back to the status line', () => {
    const e = decodeError(502, 'Bad Gateway', '<html>');
    expect([e.code, e.message]).toEqual(['http_502', 'HTTP 502 Bad Gateway']);
  });
});

describe('router', () => {
  it('matches parameters', () => {
    expect(match('/agents/:id', '/agents/a%2Fb')).toEqual({ id: 'a/b' });
    expect(match('/agents/:id', '/agents')).toBeNull();
    expect(match('/agents/:id', '/alerts/1')).toBeNull();
    expect(match('/agents/:id', '/agents/%E0%A4%A')).toBeNull();
  });
  it('builds query strings from non-empty values', () => {
    expect(withQuery('/events', { q: 'x y', since: '' })).toBe('/events?q=x+y');
    expect(withQuery('/events', {})).toBe('/events');
  });
});

describe('format', () => {
  it('formats bytes and parses label filters', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(41943040)).toBe('40 MiB');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(labelPairs('env=prod, role=web junk')).toEqual(['env=prod', 'role=web']);
  });
});
