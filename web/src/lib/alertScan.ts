// Alerts of one ATT&CK technique. The center filters alerts by state,
// severity, agent, rule and incident but not by technique, so the console
// reads the listing (newest first) and keeps the alerts of the technique,
// page by page, until it has enough, reaches the start of the period or
// has read its share of pages; "load more" goes on from there.
import type { Alert, Listing } from '../api/types';
import { techniqueMatches } from './attack';

/** A listing page found by scanning, with how many alerts were read for it. */
export interface ScanPage extends Listing<Alert> {
  items: Alert[];
  /** The listing's cursor to go on from; "" at the end. */
  next_cursor: string;
  scanned: number;
  /** The scan stopped at an alert older than since: there is no more. */
  reachedSince: boolean;
}

export interface ScanOptions {
  /** The technique (a technique also takes its sub-techniques). */
  technique: string;
  /** RFC 3339: alerts created before it end the scan. */
  since?: string;
  /** Stop once this many alerts matched (default 50). */
  want?: number;
  /** Read at most this many pages of the listing per call (default 5). */
  maxPages?: number;
}

/**
 * scanAlerts reads pages of the listing from cursor on with load and keeps
 * the alerts of the technique. next_cursor is the listing's cursor to go on
 * from, "" once the listing or the period is exhausted.
 */
export async function scanAlerts(load: (cursor: string) => Promise<Listing<Alert>>, cursor: string, opts: ScanOptions): Promise<ScanPage> {
  const want = opts.want ?? 50;
  const maxPages = opts.maxPages ?? 5;
  const since = opts.since ? Date.parse(opts.since) : Number.NaN;
  const items: Alert[] = [];
  let scanned = 0;
  let next = cursor;
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await load(next);
    const list = page.items ?? [];
    for (const a of list) {
      if (!Number.isNaN(since) && Date.parse(a.created_at) < since) {
        return { items, next_cursor: '', scanned, reachedSince: true };
      }
      scanned++;
      if (techniqueMatches(a.techniques, opts.technique)) items.push(a);
    }
    next = page.next_cursor ?? '';
    if (!next || items.length >= want) break;
  }
  return { items, next_cursor: next, scanned, reachedSince: false };
}
