// Uploads with progress (word lists, vulnerability database imports): the
// request sent by XMLHttpRequest with the session's token and the body's
// type, the progress told as it is sent, the answer decoded, the error
// envelope read, a 401 ending the session, and a cancel.
import { describe, expect, it } from 'vitest';
import { ApiError, onUnauthorized, upload, type UploadProgress } from '../src/api/client';
import { importVulnDB, putWordlist } from '../src/api/risk';
import { getSession } from '../src/session';
import { FakeXHR, fakeUploads, lastUpload, signedIn } from './fakes';

signedIn('responder');
fakeUploads();

describe('uploads', () => {
  it('send the file with the token and type, tell the progress and return the answer', async () => {
    const seen: UploadProgress[] = [];
    const file = new Blob(['x'.repeat(1000)]);
    const done = importVulnDB(file, 'Rocky Linux', (p) => seen.push(p));
    const x = lastUpload();
    expect([x.method, x.url]).toEqual(['POST', '/api/v1/vulndb/import?source=Rocky+Linux']);
    expect(x.headers).toEqual({ Accept: 'application/json', 'Content-Type': 'application/octet-stream', Authorization: 'Bearer vgt_test' });
    expect(x.body).toBe(file);
    x.progress(400, 1000);
    x.progress(700, 0, false);
    x.respond(202, '{"id":"j1","kind":"import","state":"running","done":0,"total":0}');
    await expect(done).resolves.toMatchObject({ id: 'j1', state: 'running' });
    expect(seen).toEqual([
      { loaded: 400, total: 1000 },
      { loaded: 700, total: 1000 },
      { loaded: 1000, total: 1000 },
    ]);
  });

  it('send a word list as text under its escaped name', async () => {
    const done = putWordlist('ops list', 'Spring2025!\n');
    const x = lastUpload();
    expect([x.method, x.url, x.headers['Content-Type'], x.body]).toEqual(['PUT', '/api/v1/weak-passwords/wordlists/ops%20list', 'text/plain; charset=utf-8', 'Spring2025!\n']);
    x.respond(201, '{"name":"ops list","count":1}');
    await expect(done).resolves.toEqual({ name: 'ops list', count: 1 });
  });

  it("read the center's error envelope, and a body that is not JSON", async () => {
    const refused = upload('POST', '/vulndb/import', new Blob(['{}']), { query: { source: 'kev' } });
    lastUpload().respond(409, '{"error":{"code":"conflict","message":"another import or sync of the vulnerability database is running"}}', 'Conflict');
    const err = await refused.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect([(err as ApiError).status, (err as ApiError).code, (err as ApiError).message]).toEqual([409, 'conflict', 'another import or sync of the vulnerability database is running']);
    const odd = upload('POST', '/x', 'a');
    lastUpload().respond(200, '<html>');
    await expect(odd).rejects.toMatchObject({ code: 'bad_response' });
    const empty = upload('DELETE', '/x', '');
    lastUpload().respond(204, '');
    await expect(empty).resolves.toBeUndefined();
  });

  it('end the session on a 401 and say a network failure in words', async () => {
    let told = 0;
    const off = onUnauthorized(() => told++);
    const expired = upload('POST', '/vulndb/import', 'x');
    lastUpload().respond(401, '{"error":{"code":"unauthorized","message":"missing or invalid token"}}');
    await expect(expired).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(told).toBe(1);
    expect(getSession()).toBeNull();
    off();
    const lost = upload('POST', '/x', 'x');
    lastUpload().onerror?.();
    await expect(lost).rejects.toMatchObject({ status: 0, code: 'network' });
  });

  it('stop when cancelled, before or while sending', async () => {
    const ctl = new AbortController();
    const going = upload('POST', '/x', 'x', { signal: ctl.signal });
    const x = lastUpload();
    ctl.abort();
    expect(x.aborted).toBe(true);
    await expect(going).rejects.toMatchObject({ name: 'AbortError' });
    const pre = new AbortController();
    pre.abort();
    FakeXHR.last = null;
    await expect(upload('POST', '/x', 'x', { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(lastUpload().body).toBeUndefined();
  });
});
