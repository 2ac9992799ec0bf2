// A refresh loop for live views: one request at a time, the next one an
// interval after the last ended, nothing while live is off or the page is
// hidden, and nothing at all once disposed.
import { useEffect, useRef, useState, type DependencyList } from 'react';

/** Timers lets tests drive the loop with a fake clock. */
export interface Timers {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (id: unknown) => void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
};

export interface PollerHooks<T> {
  load: (signal: AbortSignal) => Promise<T>;
  onData: (data: T) => void;
  onError: (err: unknown) => void;
  onBusy?: (busy: boolean) => void;
}

/**
 * Poller runs load on refresh() and, while live and visible, again
 * intervalMs after each run ends. A refresh while a run is under way is
 * ignored (never two requests at once); dispose aborts the run and stops.
 */
export class Poller<T> {
  private live = false;
  private visible = true;
  private disposed = false;
  private running: AbortController | null = null;
  private timer: unknown = null;

  constructor(
    private readonly hooks: PollerHooks<T>,
    private readonly intervalMs: number,
    private readonly timers: Timers = realTimers,
  ) {}

  /** busy reports whether a run is under way. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** refresh runs now unless a run is under way; it reports whether it started one. */
  refresh(): boolean {
    if (this.disposed || this.running) return false;
    this.cancelTimer();
    void this.run();
    return true;
  }

  /** setLive turns the loop on (running at once) or off (the run under way finishes). */
  setLive(on: boolean): void {
    if (this.live === on) return;
    this.live = on;
    if (!on) this.cancelTimer();
    else if (this.visible) this.refresh();
  }

  /** setVisible pauses the loop while the page is hidden and catches up when it shows again. */
  setVisible(visible: boolean): void {
    if (this.visible === visible) return;
    this.visible = visible;
    if (!visible) this.cancelTimer();
    else if (this.live) this.refresh();
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    this.running?.abort();
    this.running = null;
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.disposed || !this.live || !this.visible || this.timer !== null || this.running) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.refresh();
    }, this.intervalMs);
  }

  private async run(): Promise<void> {
    const ctl = new AbortController();
    this.running = ctl;
    this.hooks.onBusy?.(true);
    try {
      const data = await this.hooks.load(ctl.signal);
      if (ctl.signal.aborted || this.disposed) return;
      this.hooks.onData(data);
    } catch (err) {
      if (ctl.signal.aborted || this.disposed) return;
      this.hooks.onError(err);
    } finally {
      if (this.running === ctl) {
        this.running = null;
        this.hooks.onBusy?.(false);
        this.schedule();
      }
    }
  }
}

/** usePageVisible follows document.visibilityState. */
export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => typeof document === 'undefined' || document.visibilityState !== 'hidden');
  useEffect(() => {
    const on = () => setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', on);
    return () => document.removeEventListener('visibilitychange', on);
  }, []);
  return visible;
}

export interface LiveOptions<T> extends PollerHooks<T> {
  intervalMs: number;
  live: boolean;
}

/**
 * usePoller keeps a Poller for the component's life: a new one (run at
 * once) when deps change, live and page visibility passed on, disposed on
 * unmount. The hooks are read fresh at each call.
 */
export function usePoller<T>(opts: LiveOptions<T>, deps: DependencyList): { busy: boolean; refresh: () => void } {
  const hooks = useRef(opts);
  hooks.current = opts;
  const visible = usePageVisible();
  const [busy, setBusy] = useState(false);
  const poller = useRef<Poller<T> | null>(null);

  useEffect(() => {
    const p = new Poller<T>(
      {
        load: (signal) => hooks.current.load(signal),
        onData: (d) => hooks.current.onData(d),
        onError: (e) => hooks.current.onError(e),
        onBusy: setBusy,
      },
      opts.intervalMs,
    );
    poller.current = p;
    p.setVisible(visible);
    p.refresh();
    p.setLive(hooks.current.live);
    return () => {
      p.dispose();
      poller.current = null;
      setBusy(false);
    };
    // the caller's deps decide when the view starts over
  }, [...deps, opts.intervalMs]);

  useEffect(() => poller.current?.setLive(opts.live), [opts.live]);
  useEffect(() => poller.current?.setVisible(visible), [visible]);

  return { busy, refresh: () => poller.current?.refresh() };
}
