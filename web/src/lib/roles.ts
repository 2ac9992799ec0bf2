// Roles, each including the rights of those below it (docs/api.md).
import type { Role } from '../api/types';

export const roles: Role[] = ['viewer', 'analyst', 'responder', 'admin'];

const rank: Record<Role, number> = { viewer: 0, analyst: 1, responder: 2, admin: 3 };

/** isRole tells a known role from any other text. */
export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && Object.hasOwn(rank, v);
}

/** hasRole reports whether role includes need; an unknown or empty role has none. */
export function hasRole(role: string | undefined | null, need: Role): boolean {
  return isRole(role) && rank[role] >= rank[need];
}
