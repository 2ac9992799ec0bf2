// Following an agent's events: the newest page first, then what the center
// stores after it, read in ingest order with the cursor of the last page
// (the way `vigil events tail` follows), newest shown on top.
import type { EventFilter } from '../api/endpoints';
import type { EcsEvent, Listing } from '../api/types';
import { field, text } from './ecs';

/** FollowState is what a live event list holds between polls. */
export interface FollowState {
  /** Newest first. */
  events: EcsEvent[];
  /** The ascending cursor after the newest event read, once the center gave one. */
  cursor: string;
  /** Until there is a cursor: the newest @timestamp seen, as since= (inclusive). */
  since: string;
  /** The cursor of older events (newest-first paging), '' at the end or once the list was cut. */
  older: string;
  /** Keys of the events that came by following, for highlighting. */
  fresh: ReadonlySet<string>;
  /** Events dropped from the bottom to keep the list bounded. */
  trimmed: number;
}

/** eventKey names an event: its event.id, or the whole document when it has none. */
export function eventKey(e: EcsEvent): string {
  return text(e, 'event.id') || JSON.stringify(e);
}

/** newestTimestamp is the latest @timestamp among the events in RFC 3339 (ms, rounded down), '' when none has one. */
export function newestTimestamp(events: readonly EcsEvent[]): string {
  let best = -Infinity;
  for (const e of events) {
    const v = field(e, '@timestamp');
    const ms = typeof v === 'string' ? Date.parse(v) : NaN;
    if (!Number.isNaN(ms) && ms > best) best = ms;
  }
  return Number.isFinite(best) ? new Date(best).toISOString() : '';
}

/** startFollow makes the state from the first (newest-first) page. */
export function startFollow(page: Listing<EcsEvent>): FollowState {
  const events = page.items ?? [];
  return { events, cursor: '', since: newestTimestamp(events), older: page.next_cursor ?? '', fresh: new Set(), trimmed: 0 };
}

/**
 * followQuery is the request for what came after: by cursor once there is
 * one; before that, from the newest time seen (an empty list needs no
 * bound: everything stored from now on is new).
 */
export function followQuery(s: FollowState): Pick<EventFilter, 'order' | 'cursor' | 'since'> {
  if (s.cursor) return { order: 'asc', cursor: s.cursor };
  return { order: 'asc', since: s.since || undefined };
}

/**
 * applyNewer adds an ascending page on top, skipping events already listed,
 * and keeps at most max events (cutting the oldest, after which older
 * events can no longer be paged in without a gap).
 */
export function applyNewer(s: FollowState, page: Listing<EcsEvent>, max: number): FollowState {
  const items = page.items ?? [];
  const known = new Set(s.events.map(eventKey));
  const added: EcsEvent[] = [];
  for (const e of items) {
    const k = eventKey(e);
    if (known.has(k)) continue;
    known.add(k);
    added.push(e);
  }
  const cursor = page.next_cursor || s.cursor;
  if (added.length === 0) return cursor === s.cursor ? s : { ...s, cursor };
  const all = [...added.reverse(), ...s.events];
  const cut = Math.max(0, all.length - max);
  return {
    events: cut > 0 ? all.slice(0, max) : all,
    cursor,
    since: newestTimestamp([...added, ...(s.since ? [{ '@timestamp': s.since }] : [])]),
    older: cut > 0 ? '' : s.older,
    fresh: new Set(added.map(eventKey)),
    trimmed: s.trimmed + cut,
  };
}

/** applyOlder adds a newest-first page of older events at the bottom. */
export function applyOlder(s: FollowState, page: Listing<EcsEvent>): FollowState {
  const known = new Set(s.events.map(eventKey));
  const older = (page.items ?? []).filter((e) => !known.has(eventKey(e)));
  return { ...s, events: [...s.events, ...older], older: page.next_cursor ?? '' };
}
