// Routes of threat intelligence (indicators of compromise, their sources,
// additions, feed imports and checks) and of the login baselines.
import { ApiError, request, upload, type Query, type UploadProgress } from './client';
import type { AddIndicatorsRequest, ImportProblem, ImportResult, Indicator, IntelCheck, IntelSource, Listing, LoginProfileView } from './types';

const one = (s: string) => encodeURIComponent(s);

/** listIndicators lists indicators; query is built by indicatorQuery (lib/intel). */
export function listIndicators(query: Query, signal?: AbortSignal): Promise<Listing<Indicator>> {
  return request('GET', '/intel', { query, signal });
}

export function getIndicator(id: string, signal?: AbortSignal): Promise<Indicator> {
  return request('GET', `/intel/${one(id)}`, { signal });
}

export function deleteIndicator(id: string): Promise<void> {
  return request('DELETE', `/intel/${one(id)}`);
}

/** listIntelSources lists the sources with their counts, in one answer. */
export function listIntelSources(signal?: AbortSignal): Promise<Listing<IntelSource>> {
  return request('GET', '/intel/sources', { signal });
}

/** deleteIntelSource removes every indicator of a source and says how many. */
export function deleteIntelSource(name: string): Promise<{ removed: number }> {
  return request('DELETE', `/intel/sources/${one(name)}`);
}

/** checkIntel says how the center reads a value and which indicators it matches; a value that is no indicator is a 400. */
export function checkIntel(value: string, signal?: AbortSignal): Promise<IntelCheck> {
  return request('GET', '/intel/check', { query: { value }, signal });
}

/** addIndicators stores indicators given one by one (analyst); a body without any valid indicator is a 400. */
export function addIndicators(body: AddIndicatorsRequest): Promise<ImportResult> {
  return request('POST', '/intel', { body });
}

/** importIntel sends a feed's bytes to import under a source (analyst); query is built by importQuery (lib/intel). */
export function importIntel(file: Blob, query: Query, onProgress?: (p: UploadProgress) => void, signal?: AbortSignal): Promise<ImportResult> {
  return upload('POST', '/intel/import', file, { query, onProgress, signal });
}

/** The reasons of a refused addition or import (a 400): the entries' problems and the body's invalid fields. */
export interface Refusal {
  problems: ImportProblem[];
  fields: { path: string; reason: string }[];
}

/** refusal reads the reasons a 400 gives; empty lists for any other error. */
export function refusal(err: unknown): Refusal {
  const out: Refusal = { problems: [], fields: [] };
  if (!(err instanceof ApiError) || err.status !== 400 || !err.body || typeof err.body !== 'object') return out;
  const body = err.body as { problems?: unknown; fields?: unknown };
  if (Array.isArray(body.problems)) {
    out.problems = body.problems.filter((p): p is ImportProblem => !!p && typeof p === 'object' && typeof (p as ImportProblem).reason === 'string');
  }
  if (Array.isArray(body.fields)) {
    out.fields = body.fields.filter((f): f is Refusal['fields'][number] => !!f && typeof f === 'object' && typeof f.path === 'string' && typeof f.reason === 'string');
  }
  return out;
}

export interface LoginProfileFilter {
  agent_id?: string;
  user?: string;
  cursor?: string;
  limit?: number;
}

/** listLoginProfiles lists login profiles by agent, then user. */
export function listLoginProfiles(f: LoginProfileFilter, signal?: AbortSignal): Promise<Listing<LoginProfileView>> {
  return request('GET', '/baselines/logins', { query: { ...f, limit: f.limit ?? 100 }, signal });
}

/** resetLoginProfiles forgets what was learned of an agent's logins, of one user when given (analyst): learning starts again. */
export function resetLoginProfiles(agentId: string, user?: string): Promise<{ removed: number }> {
  return request('DELETE', '/baselines/logins', { query: { agent_id: agentId, user } });
}
