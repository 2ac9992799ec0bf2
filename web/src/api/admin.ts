// Routes of the administration pages: join tokens, API tokens, users,
// agent policies and the audit log.
import { request } from './client';
import type { AgentPolicy, ApiToken, AuditEntry, JoinToken, Labels, Listing, Role, User } from './types';

const one = (s: string) => encodeURIComponent(s);

export function listJoinTokens(cursor: string, signal?: AbortSignal): Promise<Listing<JoinToken>> {
  return request('GET', '/tokens', { query: { cursor, limit: 100 }, signal });
}

export interface JoinTokenCreate {
  ttl?: string;
  labels?: Labels;
  usage_limit?: number;
  description?: string;
}

export function createJoinToken(body: JoinTokenCreate): Promise<JoinToken> {
  return request('POST', '/tokens', { body });
}

export function deleteJoinToken(id: string): Promise<void> {
  return request('DELETE', `/tokens/${one(id)}`);
}

export function listApiTokens(cursor: string, signal?: AbortSignal): Promise<Listing<ApiToken>> {
  return request('GET', '/api-tokens', { query: { cursor, limit: 100 }, signal });
}

export function createApiToken(body: { name: string; role: Role; ttl?: string }): Promise<ApiToken> {
  return request('POST', '/api-tokens', { body });
}

export function deleteApiToken(id: string): Promise<void> {
  return request('DELETE', `/api-tokens/${one(id)}`);
}

export function listUsers(cursor: string, signal?: AbortSignal, limit = 100): Promise<Listing<User>> {
  return request('GET', '/users', { query: { cursor, limit }, signal });
}

export function createUser(body: { name: string; role: Role; password: string }): Promise<User> {
  return request('POST', '/users', { body });
}

/** UserPatch changes only the fields given. */
export interface UserPatch {
  role?: Role;
  password?: string;
  disabled?: boolean;
}

export function updateUser(id: string, patch: UserPatch): Promise<User> {
  return request('PATCH', `/users/${one(id)}`, { body: patch });
}

export function deleteUser(id: string): Promise<void> {
  return request('DELETE', `/users/${one(id)}`);
}

export function listPolicies(cursor: string, signal?: AbortSignal): Promise<Listing<AgentPolicy>> {
  return request('GET', '/agent-policies', { query: { cursor, limit: 100 }, signal });
}

export function getPolicy(name: string, signal?: AbortSignal): Promise<AgentPolicy> {
  return request('GET', `/agent-policies/${one(name)}`, { signal });
}

/** PolicyPut is the body of PUT /agent-policies/{name}; spec is sent as parsed JSON. */
export interface PolicyPut {
  selector: Labels;
  priority: number;
  spec: unknown;
}

export function putPolicy(name: string, body: PolicyPut): Promise<AgentPolicy> {
  return request('PUT', `/agent-policies/${one(name)}`, { body });
}

export function deletePolicy(name: string): Promise<void> {
  return request('DELETE', `/agent-policies/${one(name)}`);
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  cursor?: string;
}

export function listAudit(f: AuditFilter, signal?: AbortSignal): Promise<Listing<AuditEntry>> {
  return request('GET', '/audit', { query: { ...f, limit: 100 }, signal });
}
