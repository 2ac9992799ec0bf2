// An incident's timeline (事件还原): the span it reads, its entries in time
// order with the alerts that mark them, and the filters of the view.
import type { Alert, TimelineEntry } from '../api/types';
import { parseDuration } from './duration';

/** The spans offered before the first alert and after the last (Go durations, 1s to 24h). */
export const timelineSpans = ['5m', '30m', '1h', '6h', '24h'] as const;
export const defaultSpan = '30m';

/** checkSpan keeps a span the center accepts, else the default. */
export function checkSpan(s: string | null | undefined): string {
  const ms = parseDuration(s ?? '');
  return ms !== null && ms >= 1000 && ms <= 24 * 3_600_000 ? (s as string) : defaultSpan;
}

/** sortEntries orders entries by time, keeping the center's order for equal times. */
export function sortEntries(entries: readonly TimelineEntry[] | null | undefined): TimelineEntry[] {
  const at = (e: TimelineEntry) => {
    const t = Date.parse(e.time);
    return Number.isNaN(t) ? 0 : t;
  };
  return (entries ?? []).map((e, i) => ({ e, i, t: at(e) })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.e);
}

export interface EntryFilter {
  /** Only the entries that raised alerts. */
  alertedOnly: boolean;
  /** An event category, or "" for all. */
  category: string;
  /** An agent id, or "" for all. */
  agentId: string;
}

/** filterEntries keeps the entries the view asks for. */
export function filterEntries(entries: readonly TimelineEntry[], f: EntryFilter): TimelineEntry[] {
  return entries.filter(
    (e) => (!f.alertedOnly || (e.alert_ids ?? []).length > 0) && (!f.category || e.category === f.category) && (!f.agentId || e.agent_id === f.agentId),
  );
}

/** entryCategories lists the categories of the entries, most frequent first. */
export function entryCategories(entries: readonly TimelineEntry[]): string[] {
  const n = new Map<string, number>();
  for (const e of entries) if (e.category) n.set(e.category, (n.get(e.category) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
}

/** alertsById indexes the timeline's alerts. */
export function alertsById(alerts: readonly Alert[] | null | undefined): Map<string, Alert> {
  return new Map((alerts ?? []).map((a) => [a.id, a]));
}
