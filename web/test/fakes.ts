// Stand-ins for the browser in tests without one: the session storage with
// a user signed in, fetch recording each request and answering as a test
// tells it, and XMLHttpRequest recording an upload and playing its
// progress and answer.
import { afterEach, beforeEach, vi } from 'vitest';
import type { Role } from '../src/api/types';
import { setSession } from '../src/session';

/** signedIn stands for the session storage in each test and signs in with an API token of role. */
export function signedIn(role: Role, token = 'vgt_test', name = 'ops'): void {
  beforeEach(() => {
    const store = new Map<string, string>();
    vi.stubGlobal('sessionStorage', { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v), removeItem: (k: string) => store.delete(k) });
    setSession({ token, name, role, kind: 'api' });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });
}

/** Sent is a request given to fetch. */
export interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** FetchRecord is what fetch was given in a test, and how it answers. */
export interface FetchRecord {
  sent: Sent[];
  /** answer makes the answer to each request: an empty listing unless the test changes it */
  answer: () => Response;
  /** last is the latest request */
  last: () => Sent;
}

const emptyListing = () => new Response('{"items":[],"next_cursor":""}', { status: 200, headers: { 'Content-Type': 'application/json' } });

/** recordFetch stands for fetch in each test, recording what it is given and answering with answer(). */
export function recordFetch(): FetchRecord {
  const record: FetchRecord = {
    sent: [],
    answer: emptyListing,
    last: () => {
      const s = record.sent.at(-1);
      if (!s) throw new Error('nothing fetched');
      return s;
    },
  };
  beforeEach(() => {
    record.sent = [];
    record.answer = emptyListing;
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      record.sent.push({ url, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, body: init.body as string | undefined });
      return record.answer();
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });
  return record;
}

/** FakeXHR stands for the browser's XMLHttpRequest and records what is sent. */
export class FakeXHR {
  static last: FakeXHR | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown = undefined;
  status = 0;
  statusText = '';
  responseText = '';
  aborted = false;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null; onload: (() => void) | null } = { onprogress: null, onload: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXHR.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  /** progress tells of bytes sent. */
  progress(loaded: number, total: number, lengthComputable = true) {
    this.upload.onprogress?.({ loaded, total, lengthComputable });
  }
  /** respond ends the upload and answers. */
  respond(status: number, text: string, statusText = '') {
    this.upload.onload?.();
    this.status = status;
    this.statusText = statusText;
    this.responseText = text;
    this.onload?.();
  }
}

/** fakeUploads stands for XMLHttpRequest in each test with FakeXHR. */
export function fakeUploads(): void {
  beforeEach(() => {
    FakeXHR.last = null;
    vi.stubGlobal('XMLHttpRequest', FakeXHR);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });
}

/** lastUpload is the latest request sent with XMLHttpRequest. */
export function lastUpload(): FakeXHR {
  if (!FakeXHR.last) throw new Error('nothing sent');
  return FakeXHR.last;
}
