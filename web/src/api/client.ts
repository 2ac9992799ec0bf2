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

/** A file the center answered: its body, the name it gives it (Content-Disposition) and its type. */
export interface FileAnswer {
  blob: Blob;
  filename: string;
  type: string;
}

/** requestFile calls the API for a file (a report to download or print), with the session's token like every call. */
export async function requestFile(path: string, opts: RequestOptions = {}): Promise<FileAnswer> {
  const res = await send('GET', path, opts, '*/*');
  const blob = await res.blob();
  return { blob, filename: dispositionFilename(res.headers.get('Content-Disposition')), type: res.headers.get('Content-Type') ?? blob.type };
}

/**
 * dispositionFilename reads the file name of a Content-Disposition header
 * (filename*=UTF-8''... before filename="..."), keeping its last path
 * part only; '' when there is none.
 */
export function dispositionFilename(header: string | null | undefined): string {
  if (!header) return '';
  let name = '';
  const star = /filename\*\s*=\s*([^;]+)/i.exec(header);
  if (star) {
    const v = star[1]!.trim().replace(/^"(.*)"$/, '$1');
    const m = /^[\w!#$&+.^`|~-]*'[^']*'(.*)$/.exec(v);
    try {
      name = decodeURIComponent(m ? m[1]! : v);
    } catch {
      name = '';
    }
  }
  if (!name) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(header);
    if (plain) name = plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : plain[2]!;
  }
  return name.split(/[\\/]/).pop()!.trim();
}

/** call sends one request and returns the status and body of a successful answer. */
async function call(method: string, path: string, opts: RequestOptions, accept: string): Promise<{ status: number; text: string }> {
  const res = await send(method, path, opts, accept);
  return { status: res.status, text: await res.text() };
}

/** send sends one request and returns a successful answer, its body unread; a failure is thrown as ApiError. */
async function send(method: string, path: string, opts: RequestOptions, accept: string): Promise<Response> {
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
  if (!res.ok) {
    const apiErr = decodeError(res.status, res.statusText, await res.text());
    if (res.status === 401 && !opts.noAuthRedirect) endSession();
    throw apiErr;
  }
  return res;
}

/** endSession forgets the session and tells the listeners (a 401). */
function endSession(): void {
  clearSession();
  for (const fn of unauthorizedListeners) fn();
}

/** Progress of an upload: bytes sent and in all (total 0 when unknown). */
export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadOptions {
  query?: Query;
  /** The body's type (application/octet-stream by default). */
  contentType?: string;
  signal?: AbortSignal;
  /** Called as the body is sent. */
  onProgress?: (p: UploadProgress) => void;
}

/**
 * upload sends a file or text as the request body with XMLHttpRequest, whose
 * upload events tell how much was sent, and returns the decoded JSON
 * answer; errors and a 401 are handled as request handles them.
 */
export function upload<T>(method: string, path: string, body: Blob | string, opts: UploadOptions = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, base + path + buildQuery(opts.query));
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', opts.contentType ?? 'application/octet-stream');
    const token = getSession()?.token;
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    const size = typeof body === 'string' ? new Blob([body]).size : body.size;
    if (opts.onProgress) {
      const progress = opts.onProgress;
      xhr.upload.onprogress = (e) => progress({ loaded: e.loaded, total: e.lengthComputable ? e.total : size });
      xhr.upload.onload = () => progress({ loaded: size, total: size });
    }
    const onAbort = () => xhr.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => opts.signal?.removeEventListener('abort', onAbort);
    xhr.onabort = () => {
      done();
      reject(new DOMException('the upload was cancelled', 'AbortError'));
    };
    xhr.onerror = () => {
      done();
      reject(new ApiError(0, 'network', `${method} ${path} failed`));
    };
    xhr.onload = () => {
      done();
      const text = xhr.responseText;
      if (xhr.status < 200 || xhr.status > 299) {
        const err = decodeError(xhr.status, xhr.statusText, text);
        if (xhr.status === 401) endSession();
        reject(err);
        return;
      }
      if (!text) {
        resolve(undefined as T);
        return;
      }
      try {
        resolve(JSON.parse(text) as T);
      } catch {
        reject(new ApiError(xhr.status, 'bad_response', `invalid JSON from ${method} ${path}`));
      }
    };
    if (opts.signal?.aborted) {
      done();
      reject(new DOMException('the upload was cancelled', 'AbortError'));
      return;
    }
    xhr.send(body);
  });
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
