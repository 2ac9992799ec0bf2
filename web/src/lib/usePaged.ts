// A listing read page by page with the API's cursor ("load more").
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';
import type { Listing } from '../api/types';

export interface Paged<T> {
  items: T[];
  nextCursor: string;
  loading: boolean;
  /** true until the first page has arrived */
  initial: boolean;
  error: unknown;
  loadMore: () => void;
  reload: () => void;
  /** patch changes the loaded items in place (after an update). */
  patch: (fn: (items: T[]) => T[]) => void;
}

/** usePaged loads the first page when deps change, and further pages on loadMore. */
export function usePaged<T>(load: (cursor: string, signal: AbortSignal) => Promise<Listing<T>>, deps: DependencyList): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNext] = useState('');
  const [loading, setLoading] = useState(true);
  const [initial, setInitial] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [gen, setGen] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const ctl = useRef<AbortController | null>(null);

  const fetchPage = useCallback(async (cursor: string, replace: boolean) => {
    ctl.current?.abort();
    const c = new AbortController();
    ctl.current = c;
    setLoading(true);
    setError(null);
    try {
      const res = await loadRef.current(cursor, c.signal);
      if (c.signal.aborted) return;
      const page = res.items ?? [];
      setItems((prev) => (replace ? page : [...prev, ...page]));
      setNext(res.next_cursor ?? '');
      setInitial(false);
    } catch (err) {
      if (c.signal.aborted) return;
      setError(err);
      setInitial(false);
    } finally {
      if (!c.signal.aborted) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setItems([]);
    setNext('');
    setInitial(true);
    void fetchPage('', true);
    return () => ctl.current?.abort();
    // the caller's deps decide when the listing starts over
  }, [...deps, gen]);

  const loadMore = useCallback(() => {
    if (nextCursor) void fetchPage(nextCursor, false);
  }, [nextCursor, fetchPage]);
  const reload = useCallback(() => setGen((g) => g + 1), []);
  return { items, nextCursor, loading, initial, error, loadMore, reload, patch: setItems };
}
