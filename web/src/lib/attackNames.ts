// Technique names for the pages that show ATT&CK ids: read once from the
// coverage answer (the center's table) and shared, asked again after a
// failure (detection may be off) no sooner than a minute later.
import { useEffect, useState } from 'react';
import { attackCoverage } from '../api/detect';
import type { AttackCoverage } from '../api/types';
import { techniqueIndex, type TechniqueInfo } from './attack';

type Index = Map<string, TechniqueInfo>;

const retryMs = 60_000;
let index: Index | null = null;
let pending: Promise<Index> | null = null;
let failedAt = 0;
const listeners = new Set<(i: Index) => void>();

/** rememberCoverage keeps the names of a coverage answer a page has read anyway. */
export function rememberCoverage(cov: AttackCoverage): void {
  if (index && index.size > 0) return;
  index = techniqueIndex(cov);
  listeners.forEach((fn) => fn(index!));
}

function load(): Promise<Index> {
  if (index) return Promise.resolve(index);
  if (pending) return pending;
  if (Date.now() - failedAt < retryMs) return Promise.resolve(new Map());
  // Counting from now reads no alerts: only the names are wanted.
  const since = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  pending = attackCoverage(since)
    .then((cov) => {
      index = techniqueIndex(cov);
      listeners.forEach((fn) => fn(index!));
      return index;
    })
    .catch(() => {
      failedAt = Date.now();
      return new Map() as Index;
    })
    .finally(() => {
      pending = null;
    });
  return pending;
}

/** useTechniqueIndex returns the technique names (empty until they have arrived, or when they cannot be read). */
export function useTechniqueIndex(): Index {
  const [value, setValue] = useState<Index>(() => index ?? new Map());
  useEffect(() => {
    let live = true;
    const fn = (i: Index) => live && setValue(i);
    listeners.add(fn);
    void load().then(fn);
    return () => {
      live = false;
      listeners.delete(fn);
    };
  }, []);
  return value;
}
