// Data hooks: one-shot and polling loads, and a shared clock for relative times.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore, type DependencyList } from 'react';

export interface Load<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** When the last successful load finished. */
  updatedAt: number | null;
  refresh: () => void;
}

/**
 * useLoad calls load when deps change and, with an interval, again that
 * long after each call ends (not while the page is hidden). Data of earlier
 * deps is dropped; a failed refresh keeps the last data and sets error.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList, intervalMs?: number): Load<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean; updatedAt: number | null }>({
    data: undefined,
    error: null,
    loading: true,
    updatedAt: null,
  });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const lastTick = useRef(-1);

  useEffect(() => {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    // A run caused by new deps (not by refresh) drops the old data.
    const fresh = lastTick.current === tick;
    lastTick.current = tick;
    if (fresh) setState({ data: undefined, error: null, loading: true, updatedAt: null });
    const run = async () => {
      if (stopped) return;
      if (typeof document !== 'undefined' && document.hidden && intervalMs) {
        timer = setTimeout(run, intervalMs);
        return;
      }
      setState((s) => ({ ...s, loading: true }));
      try {
        const data = await loadRef.current(ctl.signal);
        if (stopped) return;
        setState({ data, error: null, loading: false, updatedAt: Date.now() });
      } catch (error) {
        if (stopped || (error instanceof DOMException && error.name === 'AbortError')) return;
        setState((s) => ({ ...s, error, loading: false }));
      }
      if (intervalMs && !stopped) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
    // deps are the caller's; tick forces a reload
  }, [...deps, tick, intervalMs]);

  const refresh = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, refresh };
}

// One clock for every relative time on the page, ticking each second.
const clockListeners = new Set<() => void>();
let now = Date.now();
let clock: ReturnType<typeof setInterval> | undefined;

function subscribeClock(fn: () => void): () => void {
  clockListeners.add(fn);
  if (!clock) {
    clock = setInterval(() => {
      now = Date.now();
      clockListeners.forEach((l) => l());
    }, 1000);
  }
  return () => {
    clockListeners.delete(fn);
    if (clockListeners.size === 0 && clock) {
      clearInterval(clock);
      clock = undefined;
    }
  };
}

/** useNow returns the current time in ms, updated every second. */
export function useNow(): number {
  return useSyncExternalStore(subscribeClock, () => now, () => now);
}
