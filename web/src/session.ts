// The signed-in session, kept in sessionStorage so that it ends with the tab.
import { useSyncExternalStore } from 'react';
import type { Role } from './api/types';
import { hasRole } from './lib/roles';

export interface Session {
  token: string;
  name: string;
  role: Role | '';
  /** "session" for a username/password sign-in, "api" for an API token. */
  kind: string;
  expiresAt?: string;
}

const key = 'vigil.session';
const listeners = new Set<() => void>();
let cached: Session | null | undefined;

function read(): Session | null {
  try {
    const raw = sessionStorage.getItem(key);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    return typeof s.token === 'string' && s.token ? s : null;
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  if (cached === undefined) cached = typeof sessionStorage === 'undefined' ? null : read();
  return cached;
}

export function setSession(s: Session): void {
  cached = s;
  sessionStorage.setItem(key, JSON.stringify(s));
  listeners.forEach((fn) => fn());
}

export function clearSession(): void {
  cached = null;
  if (typeof sessionStorage !== 'undefined') sessionStorage.removeItem(key);
  listeners.forEach((fn) => fn());
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, getSession, () => null);
}

/** allows reports whether the session's role includes the given one; an unknown role is let through (the center decides). */
export function allows(s: Session | null, need: Role): boolean {
  if (!s || !s.role) return true;
  return hasRole(s.role, need);
}

/** refreshWho keeps the session's name and role in step with GET /me (a user's role may change while signed in). */
export function refreshWho(token: string, name: string, role: Role | ''): void {
  const s = getSession();
  if (!s || s.token !== token || (s.name === name && s.role === role)) return;
  setSession({ ...s, name, role });
}
