// The busy and error state of an action a dialog runs.
import { useState } from 'react';

/** Action is the state of an action run from a dialog. */
export interface Action {
  busy: boolean;
  error: unknown;
  /** run starts the action; on failure it keeps the error and ends busy. */
  run: () => Promise<void>;
}

/** useAction runs fn, marking it busy and keeping its error. */
export function useAction(fn: () => Promise<unknown>): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return { busy, error, run };
}
