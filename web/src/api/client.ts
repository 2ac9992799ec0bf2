// The HTTP client: bearer token, JSON in and out, the error envelope turned
// into ApiError, and a 401 that ends the session.
import { clearSession, getSession } from '../session';
import type { ErrorEnvelope } from './types';

/** ApiError is a failed call: the HTTP status and the envelope's code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The decoded JSON body, for answers that say more than the envelope (a refused rule import lists its problems). */
  readonly body: unknown;

  constructor(status: number, code: string, message: string, body?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** Query values; empty strings and undefined are left out, arrays repeat the key. */
export type Query = Record<string, string | number | undefined | string[]>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** Do not end the session on 401 (sign-in attempts). */
  noAuthRedirect?: boolean;
  /** Use this token instead of the session's. */
  token?: string;
}

const base = '/api/v1';

/** Listeners told when a call got 401 (the app sends the user to sign-in). */
const unauthorizedListeners = new Set<() => void>();

export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      for (const v of value) if (v !== '') params.append(key, v);
    } else {
      params.append(key, String(value));
    }
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** request calls the API and returns the decoded JSON body (undefined for 204). */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const { status, text } = await call(method, path, opts, 'application/json');
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(status, 'bad_response', `invalid JSON from ${method} ${path}`);
  }
}

/** requestText calls the API for a text answer (a rule's YAML source), returned as it came. */
export async function requestText(method: string, path: string, opts: RequestOptions = {}): Promise<string> {
  return (await call(method, path, opts, 'text/yaml, text/plain, */*')).text;
}

/** call sends one request and returns the status and body of a successful answer. */
async function call(method: string, path: string, opts: RequestOptions, accept: string): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { Accept: accept };
  const token = opts.token ?? getSession()?.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(base + path + buildQuery(opts.query), { method, headers, body, signal: opts.signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  const text = await res.text();
  if (!res.ok) {
    const apiErr = decodeError(res.status, res.statusText, text);
    if (res.status === 401 && !opts.noAuthRedirect) {
      clearSession();
      for (const fn of unauthorizedListeners) fn();
    }
    throw apiErr;
  }
  return { status: res.status, text };
}

/** decodeError reads the error envelope, falling back to the HTTP status line. */
export function decodeError(status: number, statusText: string, text: string): ApiError {
  let code = '';
  let message = '';
  let body: unknown;
  try {
    body = JSON.parse(text);
    const env = body as ErrorEnvelope;
    code = env?.error?.code ?? '';
    message = env?.error?.message ?? '';
  } catch {
    // not JSON: keep the status line
  }
  if (!message) message = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  return new ApiError(status, code || `http_${status}`, message, body);
}
