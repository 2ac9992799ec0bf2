import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Poller } from '../src/lib/poller';

/** A load whose calls are answered by the test, one by one. */
function controlledLoad() {
  const calls: { signal: AbortSignal; resolve: (v: number) => void; reject: (e: unknown) => void }[] = [];
  const load = vi.fn(
    (signal: AbortSignal) =>
      new Promise<number>((resolve, reject) => {
        calls.push({ signal, resolve, reject });
      }),
  );
  return { load, calls };
}

/** settle lets the poller's promise callbacks run. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('Poller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function make() {
    const { load, calls } = controlledLoad();
    const onData = vi.fn();
    const onError = vi.fn();
    const onBusy = vi.fn();
    const p = new Poller<number>({ load, onData, onError, onBusy }, 5000);
    return { p, load, calls, onData, onError, onBusy };
  }

  it('never runs two loads at once', async () => {
    const { p, load, calls, onData } = make();
    expect(p.refresh()).toBe(true);
    expect(p.refresh()).toBe(false);
    p.setLive(true);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(load).toHaveBeenCalledTimes(1);
    expect(p.busy).toBe(true);
    calls[0]!.resolve(1);
    await settle();
    expect(onData).toHaveBeenCalledWith(1);
    expect(p.busy).toBe(false);
  });

  it('runs again an interval after each load ends while live', async () => {
    const { p, load, calls } = make();
    p.setLive(true);
    expect(load).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(7000); // a slow answer: no timer runs meanwhile
    expect(load).toHaveBeenCalledTimes(1);
    calls[0]!.resolve(1);
    await settle();
    await vi.advanceTimersByTimeAsync(4999);
    expect(load).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('does not run by itself when live is off', async () => {
    const { p, load, calls } = make();
    p.refresh();
    calls[0]!.resolve(1);
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('stops when live is turned off and runs at once when turned on', async () => {
    const { p, load, calls } = make();
    p.setLive(true);
    calls[0]!.resolve(1);
    await settle();
    p.setLive(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(load).toHaveBeenCalledTimes(1);
    p.setLive(true);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('pauses while the page is hidden and catches up when it shows', async () => {
    const { p, load, calls } = make();
    p.setLive(true);
    calls[0]!.resolve(1);
    await settle();
    p.setVisible(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(load).toHaveBeenCalledTimes(1);
    p.setVisible(true);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('does not start while hidden when live is turned on', async () => {
    const { p, load } = make();
    p.setVisible(false);
    p.setLive(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(load).not.toHaveBeenCalled();
  });

  it('reports errors and keeps polling', async () => {
    const { p, load, calls, onError, onData } = make();
    p.setLive(true);
    calls[0]!.reject(new Error('boom'));
    await settle();
    expect(onError).toHaveBeenCalledWith(new Error('boom'));
    await vi.advanceTimersByTimeAsync(5000);
    expect(load).toHaveBeenCalledTimes(2);
    calls[1]!.resolve(2);
    await settle();
    expect(onData).toHaveBeenCalledWith(2);
  });

  it('aborts the load under way and stops for good when disposed', async () => {
    const { p, load, calls, onData, onError } = make();
    p.setLive(true);
    const first = calls[0]!;
    p.dispose();
    expect(first.signal.aborted).toBe(true);
    first.resolve(1);
    await settle();
    expect(onData).not.toHaveBeenCalled();
    expect(onError).not.toHaveBeenCalled();
    expect(p.refresh()).toBe(false);
    p.setLive(false);
    p.setLive(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(load).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drops a timer when disposed between loads', async () => {
    const { p, calls } = make();
    p.setLive(true);
    calls[0]!.resolve(1);
    await settle();
    expect(vi.getTimerCount()).toBe(1);
    p.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('tells when it is busy', async () => {
    const { p, calls, onBusy } = make();
    p.refresh();
    expect(onBusy).toHaveBeenLastCalledWith(true);
    calls[0]!.resolve(1);
    await settle();
    expect(onBusy).toHaveBeenLastCalledWith(false);
  });
});
