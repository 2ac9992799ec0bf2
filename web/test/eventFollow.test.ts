import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../src/api/types';
import { applyNewer, applyOlder, eventKey, followQuery, newestTimestamp, startFollow } from '../src/lib/eventFollow';

const ev = (id: string, at: string, extra: EcsEvent = {}): EcsEvent => ({ '@timestamp': at, event: { id, category: 'process' }, ...extra });
const ids = (events: EcsEvent[]) => events.map(eventKey);

describe('newestTimestamp', () => {
  it('takes the latest time, in ms, rounded down', () => {
    expect(newestTimestamp([ev('a', '2026-11-29T10:00:00Z'), ev('b', '2026-11-29T10:00:05.123456Z'), ev('c', '2026-11-29T09:00:00Z')])).toBe('2026-11-29T10:00:05.123Z');
  });

  it.each([[[]], [[{}]], [[ev('a', 'not a time')]], [[{ '@timestamp': 5 }]]])('is empty for %j', (events) => {
    expect(newestTimestamp(events)).toBe('');
  });
});

describe('following events', () => {
  const first = { items: [ev('e3', '2026-11-29T10:00:03Z'), ev('e2', '2026-11-29T10:00:02Z'), ev('e1', '2026-11-29T10:00:01Z')], next_cursor: '41' };

  it('starts from the newest page: newest time as since, its cursor for older pages', () => {
    const s = startFollow(first);
    expect(ids(s.events)).toEqual(['e3', 'e2', 'e1']);
    expect(s.since).toBe('2026-11-29T10:00:03.000Z');
    expect(s.older).toBe('41');
    expect(followQuery(s)).toEqual({ order: 'asc', since: '2026-11-29T10:00:03.000Z' });
  });

  it('asks for everything after an empty start (nothing matched before)', () => {
    const s = startFollow({ items: null });
    expect(followQuery(s)).toEqual({ order: 'asc', since: undefined });
    expect(s.older).toBe('');
  });

  it('puts newer events on top, skips the ones it has, and follows the cursor after that', () => {
    const s0 = startFollow(first);
    // since is inclusive: e3 comes again.
    const s1 = applyNewer(s0, { items: [ev('e3', '2026-11-29T10:00:03Z'), ev('e4', '2026-11-29T10:00:04Z'), ev('e5', '2026-11-29T10:00:04Z')], next_cursor: '57' }, 100);
    expect(ids(s1.events)).toEqual(['e5', 'e4', 'e3', 'e2', 'e1']);
    expect([...s1.fresh].sort()).toEqual(['e4', 'e5']);
    expect(s1.cursor).toBe('57');
    expect(followQuery(s1)).toEqual({ order: 'asc', cursor: '57' });
    // An event stored late with an old time still comes, by cursor.
    const s2 = applyNewer(s1, { items: [ev('late', '2026-11-29T09:00:00Z')], next_cursor: '58' }, 100);
    expect(ids(s2.events)[0]).toBe('late');
    expect(s2.cursor).toBe('58');
  });

  it('changes nothing for an empty page', () => {
    const s1 = applyNewer(startFollow(first), { items: [ev('e4', '2026-11-29T10:00:04Z')], next_cursor: '57' }, 100);
    expect(applyNewer(s1, { items: [], next_cursor: '' }, 100)).toBe(s1);
    expect(applyNewer(s1, { items: null }, 100)).toBe(s1);
    const again = applyNewer(s1, { items: [ev('e4', '2026-11-29T10:00:04Z')], next_cursor: '57' }, 100);
    expect(again).toBe(s1);
  });

  it('keeps a cursor it has when a page brings none', () => {
    const s1 = applyNewer(startFollow(first), { items: [ev('e4', '2026-11-29T10:00:04Z')], next_cursor: '57' }, 100);
    const s2 = applyNewer(s1, { items: [ev('e5', '2026-11-29T10:00:05Z')] }, 100);
    expect(s2.cursor).toBe('57');
  });

  it('cuts the oldest events beyond the maximum, and then offers no older page', () => {
    const s = applyNewer(startFollow(first), { items: [ev('e4', '2026-11-29T10:00:04Z'), ev('e5', '2026-11-29T10:00:05Z')], next_cursor: '9' }, 4);
    expect(ids(s.events)).toEqual(['e5', 'e4', 'e3', 'e2']);
    expect(s.trimmed).toBe(1);
    expect(s.older).toBe('');
  });

  it('adds older pages at the bottom', () => {
    const s = applyOlder(startFollow(first), { items: [ev('e1', '2026-11-29T10:00:01Z'), ev('e0', '2026-11-29T10:00:00Z')], next_cursor: '' });
    expect(ids(s.events)).toEqual(['e3', 'e2', 'e1', 'e0']);
    expect(s.older).toBe('');
  });

  it('names events without an id by their content', () => {
    const a = { '@timestamp': '2026-11-29T10:00:00Z', message: 'a' };
    expect(eventKey(a)).toBe(JSON.stringify(a));
    const s = applyNewer(startFollow({ items: [a] }), { items: [{ ...a }, { ...a, message: 'b' }] }, 10);
    expect(s.events).toHaveLength(2);
  });
});
