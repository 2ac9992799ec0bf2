// The fake center on 127.0.0.1 for a block of tests, started before them
// and stopped after, and a client calling it as the console would.
import { afterAll, beforeAll } from 'vitest';
import { fakeToken, startFakeServer } from '../e2e/fake-server.mjs';

/** FakeServer is a running fake center, with the state its routes keep. */
export type FakeServer = Awaited<ReturnType<typeof startFakeServer>>;

/** Answer is what the fake center answered: the status and the body's JSON (none when empty). */
export interface Answer {
  status: number;
  /** the body as JSON.parse reads it, checked field by field by the tests */
  json: any;
}

/** FakeCenter is the fake center of a block of tests and its client. */
export interface FakeCenter {
  /** server is the running fake center (within the block's tests) */
  readonly server: FakeServer;
  /** call sends a request with a token (the fixture admin's unless told), a string body as it is and any other as JSON */
  call: (method: string, path: string, body?: unknown, token?: string, type?: string) => Promise<Answer>;
}

/** fakeCenter starts the fake center before the tests of the block it is called in, and stops it after them. */
export function fakeCenter(): FakeCenter {
  let server: FakeServer | undefined;
  beforeAll(async () => {
    server = await startFakeServer({});
  });
  afterAll(async () => {
    await server?.close();
  });
  const running = (): FakeServer => {
    if (!server) throw new Error('the fake center is not running');
    return server;
  };
  return {
    get server() {
      return running();
    },
    call: async (method, path, body, token = fakeToken, type = 'application/json') => {
      const res = await fetch(`${running().url}/api/v1${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': type },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
  };
}
