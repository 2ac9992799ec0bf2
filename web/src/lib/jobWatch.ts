// Following an import or sync job of the vulnerability database: its state
// read again an interval after each answer, one request at a time, until
// it is done or failed (or the center forgot it), then no more.
import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import type { VulnJob } from '../api/types';
import type { Timers } from './poller';

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
};

export interface JobWatchHooks {
  load: (id: string, signal: AbortSignal) => Promise<VulnJob>;
  onJob: (job: VulnJob) => void;
  /** An error; final when the center no longer knows the job (404). */
  onError: (err: unknown, final: boolean) => void;
  /** The job ended (done or failed). */
  onEnd?: (job: VulnJob) => void;
}

/**
 * watchJob reads job id now and again intervalMs after each answer while it
 * runs; a failed read is tried again, except a 404, which stops. It returns
 * stop, which aborts the read under way and ends the watch.
 */
export function watchJob(id: string, hooks: JobWatchHooks, intervalMs = 1000, timers: Timers = realTimers): () => void {
  let stopped = false;
  let timer: unknown = null;
  const ctl = new AbortController();
  const run = async () => {
    timer = null;
    if (stopped) return;
    try {
      const job = await hooks.load(id, ctl.signal);
      if (stopped) return;
      hooks.onJob(job);
      if (job.state !== 'running') {
        stopped = true;
        hooks.onEnd?.(job);
        return;
      }
    } catch (err) {
      if (stopped || (err instanceof DOMException && err.name === 'AbortError')) return;
      const final = err instanceof ApiError && err.status === 404;
      hooks.onError(err, final);
      if (final) {
        stopped = true;
        return;
      }
    }
    if (!stopped) timer = timers.setTimeout(() => void run(), intervalMs);
  };
  void run();
  return () => {
    stopped = true;
    ctl.abort();
    if (timer !== null) timers.clearTimeout(timer);
  };
}

/** useJobWatch follows job id (none for null), starting from first when given; onEnd is told when it ends. */
export function useJobWatch(
  id: string | null,
  load: JobWatchHooks['load'],
  opts: { first?: VulnJob | null; onEnd?: (job: VulnJob) => void; intervalMs?: number } = {},
): { job: VulnJob | null; error: unknown } {
  const [job, setJob] = useState<VulnJob | null>(opts.first ?? null);
  const [error, setError] = useState<unknown>(null);
  const { onEnd, intervalMs } = opts;
  useEffect(() => {
    if (!id) return;
    setError(null);
    return watchJob(
      id,
      {
        load,
        onJob: (j) => {
          setJob(j);
          setError(null);
        },
        onError: (err) => setError(err),
        onEnd: (j) => onEnd?.(j),
      },
      intervalMs ?? 1000,
    );
    // load and onEnd are the caller's; a new id starts a new watch
  }, [id]);
  return { job: id && job?.id === id ? job : (opts.first ?? null), error };
}
