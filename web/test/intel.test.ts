// Threat intelligence and login baselines without a browser: the routes
// the console calls (queries, bodies, escaped names, the feed's upload),
// the reasons of a refusal, the indicators' filter between the URL and the
// query, the addition and import forms turned into what the center takes,
// intelligence matches and the login baseline's verdict read from events,
// a profile's hours as bars, and the fake center's routes answering in
// the center's shapes.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/client';
import {
  addIndicators,
  checkIntel,
  deleteIndicator,
  deleteIntelSource,
  getIndicator,
  importIntel,
  listIndicators,
  listIntelSources,
  listLoginProfiles,
  refusal,
  resetLoginProfiles,
} from '../src/api/intel';
import type { UploadProgress } from '../src/api/client';
import type { Indicator, LoginProfileView } from '../src/api/types';
import {
  addProblems,
  anomalies,
  buildAddRequest,
  busiestHours,
  confidenceOK,
  expiresInOK,
  filterValues,
  hourBars,
  hourLabel,
  importProblems,
  importQuery,
  indicatorQuery,
  isExpired,
  maxImportBytes,
  newAddForm,
  newImportForm,
  readIndicatorFilter,
  readIntelEvidence,
  readLoginVerdict,
  sourceOK,
  splitTags,
  splitValues,
  suggestSource,
} from '../src/lib/intel';
import { toLocalInput } from '../src/lib/time';
import { withQuery } from '../src/router';
import { fakeToken, fakeViewerToken } from '../e2e/fake-server.mjs';
import { feedSize } from '../e2e/fixtures-intel.mjs';
import { fakeUploads, lastUpload, recordFetch, signedIn } from './fakes';
import { fakeCenter } from './fakeCenter';

describe('the routes', () => {
  signedIn('analyst');
  const api = recordFetch();
  fakeUploads();
  const last = api.last;

  it('list indicators with the filter and the cursor, leaving out what is empty', async () => {
    await listIndicators(indicatorQuery({ type: 'ip', source: 'feodo ips', q: ' 198.51 ', expired: true }, '100'));
    expect(last()).toMatchObject({ method: 'GET', url: '/api/v1/intel?type=ip&source=feodo+ips&q=198.51&expired=true&limit=100&cursor=100' });
    await listIndicators(indicatorQuery({ type: '', source: '', q: '  ', expired: false }));
    expect(last().url).toBe('/api/v1/intel?limit=100');
  });

  it('read, check and delete by escaped names', async () => {
    await getIndicator('a/b');
    expect(last()).toMatchObject({ method: 'GET', url: '/api/v1/intel/a%2Fb' });
    await listIntelSources();
    expect(last().url).toBe('/api/v1/intel/sources');
    await checkIntel('http://x.example/a?b=c&d');
    expect(last().url).toBe('/api/v1/intel/check?value=http%3A%2F%2Fx.example%2Fa%3Fb%3Dc%26d');
    api.answer = () => new Response('{"removed":130}', { status: 200 });
    expect(await deleteIntelSource('my feed/2')).toEqual({ removed: 130 });
    expect(last()).toMatchObject({ method: 'DELETE', url: '/api/v1/intel/sources/my%20feed%2F2' });
    api.answer = () => new Response(null, { status: 204 });
    await deleteIndicator('8e612e355d28b696a996066c');
    expect(last()).toMatchObject({ method: 'DELETE', url: '/api/v1/intel/8e612e355d28b696a996066c' });
  });

  it('post the indicators the dialog built', async () => {
    const form = { ...newAddForm(), values: '203.0.113.9\n\nevil.example.com\n203.0.113.9', severity: 'high' as const, tags: 'c2 botnet' };
    api.answer = () => new Response('{"format":"json","source":"manual","read":2,"added":2,"updated":0,"removed":0,"skipped":0,"problems":[]}', { status: 200 });
    expect((await addIndicators(buildAddRequest(form))).added).toBe(2);
    expect(last()).toMatchObject({ method: 'POST', url: '/api/v1/intel' });
    expect(JSON.parse(last().body!)).toEqual({
      source: 'manual',
      indicators: [
        { value: '203.0.113.9', severity: 'high', tags: ['c2', 'botnet'] },
        { value: 'evil.example.com', severity: 'high', tags: ['c2', 'botnet'] },
      ],
    });
  });

  it('read the reasons of a refusal (a 400) only', async () => {
    const problems = [{ entry: 'zzz', reason: '"zzz" is not an IP address, domain, URL or file hash' }];
    api.answer = () => new Response(JSON.stringify({ error: { code: 'bad_request', message: 'no valid indicator' }, problems, fields: [{ path: 'indicators[0].severity', reason: 'want low to critical' }] }), { status: 400 });
    const err = await addIndicators({ indicators: [{ value: 'zzz' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('no valid indicator');
    expect(refusal(err)).toEqual({ problems, fields: [{ path: 'indicators[0].severity', reason: 'want low to critical' }] });
    expect(refusal(new ApiError(400, 'bad_request', 'x', { problems: [null, { line: 2 }, { line: 3, reason: 'r' }], fields: 'no' }))).toEqual({ problems: [{ line: 3, reason: 'r' }], fields: [] });
    expect(refusal(new ApiError(403, 'forbidden', 'x', { problems }))).toEqual({ problems: [], fields: [] });
    expect(refusal(new Error('x'))).toEqual({ problems: [], fields: [] });
  });

  it('send a feed as its bytes with the import query, telling the progress', async () => {
    const seen: UploadProgress[] = [];
    const file = new Blob(['203.0.113.9\nevil.example.com\n']);
    const form = { ...newImportForm(), source: ' feodo ', format: 'text' as const, replace: true, severity: 'high' as const, confidence: '80', tags: 'c2, botnet c2', expiresIn: '720h' };
    const done = importIntel(file, importQuery(form), (p) => seen.push(p));
    const x = lastUpload();
    expect([x.method, x.url]).toEqual(['POST', '/api/v1/intel/import?source=feodo&format=text&severity=high&confidence=80&tags=c2%2Cbotnet&expires_in=720h&replace=true']);
    expect(x.headers).toEqual({ Accept: 'application/json', 'Content-Type': 'application/octet-stream', Authorization: 'Bearer vgt_test' });
    expect(x.body).toBe(file);
    x.progress(10, file.size);
    x.respond(200, '{"format":"text","source":"feodo","read":2,"added":2,"updated":0,"removed":1,"skipped":0,"problems":[]}');
    expect(await done).toMatchObject({ removed: 1 });
    expect(seen).toEqual([
      { loaded: 10, total: file.size },
      { loaded: file.size, total: file.size },
    ]);
    importIntel(file, importQuery({ ...newImportForm(), source: 'x' }));
    expect(lastUpload().url).toBe('/api/v1/intel/import?source=x');
  });

  it('list and reset login profiles', async () => {
    await listLoginProfiles({ agent_id: '7f1c2a9e-0001', user: 'alice', cursor: '100' });
    expect(last()).toMatchObject({ method: 'GET', url: '/api/v1/baselines/logins?agent_id=7f1c2a9e-0001&user=alice&cursor=100&limit=100' });
    await listLoginProfiles({ agent_id: '', user: '' });
    expect(last().url).toBe('/api/v1/baselines/logins?limit=100');
    api.answer = () => new Response('{"removed":1}', { status: 200 });
    expect(await resetLoginProfiles('7f1c2a9e-0001', 'svc deploy')).toEqual({ removed: 1 });
    expect(last()).toMatchObject({ method: 'DELETE', url: '/api/v1/baselines/logins?agent_id=7f1c2a9e-0001&user=svc+deploy' });
    await resetLoginProfiles('7f1c2a9e-0001');
    expect(last().url).toBe('/api/v1/baselines/logins?agent_id=7f1c2a9e-0001');
  });
});

describe('the indicators filter', () => {
  it('goes from the URL to the query and back', () => {
    const f = readIndicatorFilter(new URLSearchParams('type=domain&source=manual&q=evil&expired=true&id=x'));
    expect(f).toEqual({ type: 'domain', source: 'manual', q: 'evil', expired: true });
    expect(withQuery('/intel', filterValues(f))).toBe('/intel?type=domain&source=manual&q=evil&expired=true');
    expect(readIndicatorFilter(new URLSearchParams('expired=1'))).toEqual({ type: '', source: '', q: '', expired: false });
    expect(withQuery('/intel', filterValues({ type: '', source: '', q: ' ', expired: false }))).toBe('/intel');
    expect(indicatorQuery(f, '', 50)).toEqual({ type: 'domain', source: 'manual', q: 'evil', expired: 'true', limit: 50, cursor: undefined });
  });

  it('tells expired indicators', () => {
    const now = Date.parse('2026-11-30T00:00:00Z');
    expect(isExpired({ expires_at: '2026-11-29T23:59:59Z' }, now)).toBe(true);
    expect(isExpired({ expires_at: '2026-11-30T00:00:01Z' }, now)).toBe(false);
    expect(isExpired({}, now)).toBe(false);
    expect(isExpired({ expires_at: '0001-01-01T00:00:00Z' }, now)).toBe(false);
  });
});

describe('adding indicators', () => {
  const now = Date.parse('2026-11-30T00:00:00Z');

  it('reads values one a line, skipping blanks, comments and repeats', () => {
    expect(splitValues(' 203.0.113.9 \r\n# a comment\n\nevil.example.com\n203.0.113.9\n')).toEqual(['203.0.113.9', 'evil.example.com']);
    expect(splitTags(' c2, botnet  c2,,x ')).toEqual(['c2', 'botnet', 'x']);
  });

  it('checks the fields before sending', () => {
    expect(addProblems(newAddForm(), now)).toEqual(['values']);
    const ok = { ...newAddForm(), values: 'a.example' };
    expect(addProblems(ok, now)).toEqual([]);
    expect(addProblems({ ...ok, confidence: '101' }, now)).toEqual(['confidence']);
    expect(addProblems({ ...ok, confidence: '7.5' }, now)).toEqual(['confidence']);
    expect(addProblems({ ...ok, source: 'x'.repeat(129) }, now)).toEqual(['source']);
    expect(addProblems({ ...ok, source: '' }, now)).toEqual([]);
    expect(addProblems({ ...ok, expiresAt: toLocalInput('2026-11-29T00:00:00Z') }, now)).toEqual(['expiresAt']);
    expect(addProblems({ ...ok, expiresAt: toLocalInput('2026-12-29T00:00:00Z') }, now)).toEqual([]);
    expect(['', '0', '100', ' 42 '].every(confidenceOK)).toBe(true);
    expect(['-1', 'abc', '1000'].some(confidenceOK)).toBe(false);
  });

  it('builds the body with every setting, or the least', () => {
    const full = {
      values: 'http://198.51.100.9/x.sh\n44d88612fea8a8f36de82e1278abb02f',
      type: 'url' as const,
      source: ' soc-list ',
      severity: 'critical' as const,
      confidence: ' 90 ',
      tags: 'dropper',
      description: ' seen in incident 42 ',
      expiresAt: toLocalInput('2026-12-30T10:00:00Z'),
    };
    const common = { type: 'url', severity: 'critical', confidence: 90, tags: ['dropper'], description: 'seen in incident 42', expires_at: '2026-12-30T10:00:00Z' };
    expect(buildAddRequest(full)).toEqual({
      source: 'soc-list',
      indicators: [
        { ...common, value: 'http://198.51.100.9/x.sh' },
        { ...common, value: '44d88612fea8a8f36de82e1278abb02f' },
      ],
    });
    expect(buildAddRequest({ ...newAddForm(), source: ' ', values: 'a.example' })).toEqual({ source: 'manual', indicators: [{ value: 'a.example' }] });
  });
});

describe('importing a feed', () => {
  it('checks the file, source, confidence and expiry', () => {
    const f = { ...newImportForm(), source: 'feodo' };
    expect(importProblems(f, null)).toEqual(['file']);
    expect(importProblems(f, { size: 10 })).toEqual([]);
    expect(importProblems(f, { size: maxImportBytes + 1 })).toEqual(['tooBig']);
    expect(importProblems({ ...f, source: ' ' }, { size: 1 })).toEqual(['source']);
    expect(importProblems({ ...f, confidence: '200', expiresIn: '30d' }, { size: 1 })).toEqual(['confidence', 'expiresIn']);
    expect(['', '720h', '1h30m', '90m'].every(expiresInOK)).toBe(true);
    expect(['0', '30d', '-1h', 'soon'].some(expiresInOK)).toBe(false);
    expect(sourceOK('feed\u0001')).toBe(false);
  });

  it('builds the query: what is empty left out, replace only when asked', () => {
    expect(importQuery({ ...newImportForm(), source: ' feodo ' })).toEqual({ source: 'feodo', format: undefined, severity: undefined, confidence: undefined, tags: undefined, expires_in: undefined, replace: undefined });
    expect(importQuery({ source: 'misp-1', format: 'misp', replace: true, severity: 'low', confidence: '0', tags: 'a b,a', expiresIn: ' 24h ' })).toEqual({
      source: 'misp-1',
      format: 'misp',
      severity: 'low',
      confidence: '0',
      tags: 'a,b',
      expires_in: '24h',
      replace: 'true',
    });
  });

  it('names a source after its file', () => {
    expect(suggestSource('Feodo IP Blocklist.TXT')).toBe('feodo-ip-blocklist');
    expect(suggestSource('C:\\feeds\\misp.event.json')).toBe('misp.event');
    expect(suggestSource('ipblocklist')).toBe('ipblocklist');
  });
});

describe('what an event carries', () => {
  const enrichment = (field: string, atomic: string, indicator: Record<string, unknown>) => ({ indicator, matched: { atomic, field, id: `id-${atomic}`, type: 'indicator_match_rule' } });

  it('reads intelligence matches, nested or flat', () => {
    const event = {
      threat: {
        enrichments: [
          enrichment('source.ip', '203.0.113.7', { type: 'ipv4-addr', ip: '203.0.113.7', provider: 'manual', description: 'Cobalt Strike team server', confidence: 'High', reference: 'https://intel.example.com/42' }),
          enrichment('file.hash.sha256', '', { type: 'file', file: { hash: { sha256: 'ab'.repeat(32) } }, provider: 'feed', confidence: 'Low' }),
          enrichment('url.full', '', { type: 'url', url: { full: 'http://x.example/a' }, provider: 'feed' }),
        ],
      },
      'vigil.intel.fields': ['file.hash.sha256', 'source.ip', 'url.full'],
      vigil: { intel: { sources: ['feed', 'manual'], severity: 'critical', ids: ['id-203.0.113.7'] } },
    };
    const ev = readIntelEvidence(event)!;
    expect(ev.matches.map((m) => [m.field, m.value, m.type, m.source, m.confidence])).toEqual([
      ['source.ip', '203.0.113.7', 'ipv4-addr', 'manual', 'High'],
      ['file.hash.sha256', 'ab'.repeat(32), 'file', 'feed', 'Low'],
      ['url.full', 'http://x.example/a', 'url', 'feed', ''],
    ]);
    expect(ev.matches[0]).toMatchObject({ description: 'Cobalt Strike team server', reference: 'https://intel.example.com/42', id: 'id-203.0.113.7' });
    expect(ev).toMatchObject({ fields: ['file.hash.sha256', 'source.ip', 'url.full'], sources: ['feed', 'manual'], severity: 'critical', ids: ['id-203.0.113.7'] });
    expect(readIntelEvidence({ 'vigil.intel.sources': 'manual' })).toEqual({ matches: [], fields: [], sources: ['manual'], severity: '', ids: [] });
    expect(readIntelEvidence({ threat: { enrichments: [null, 'x'] } })).toBeNull();
    expect(readIntelEvidence({ event: { category: 'process' } })).toBeNull();
    expect(readIntelEvidence(null)).toBeNull();
  });

  it("reads the login baseline's verdict: learning, or learned with its signs", () => {
    expect(readLoginVerdict({ vigil: { baseline: { login: { status: 'learning', hour: 3, logins: 4, known_sources: 1 } } } })).toEqual({ status: 'learning', hour: 3, logins: 4, knownSources: 1 });
    const learned = readLoginVerdict({
      'vigil.baseline.login.status': 'learned',
      'vigil.baseline.login.hour': '2',
      'vigil.baseline.login.logins': 214,
      'vigil.baseline.login.known_sources': 3,
      'vigil.baseline.login.new_source': true,
      'vigil.baseline.login.new_network': 'false',
      'vigil.baseline.login.unusual_hour': 'true',
    })!;
    expect(learned).toEqual({ status: 'learned', hour: 2, logins: 214, knownSources: 3, newSource: true, newNetwork: false, unusualHour: true });
    expect(anomalies(learned)).toEqual(['newSource', 'unusualHour']);
    expect(anomalies({ status: 'learned', hour: 1, logins: 1, knownSources: 1, newSource: false })).toEqual([]);
    expect(readLoginVerdict({ vigil: { baseline: { login: { hour: 3 } } } })).toBeNull();
    expect(readLoginVerdict(undefined)).toBeNull();
  });
});

describe('a profile by hour', () => {
  it('draws 24 bars against the busiest hour, bad counts as none', () => {
    const hours = Array.from({ length: 24 }, (_, h) => (h === 10 ? 40 : h === 14 ? 20 : h === 3 ? 1 : 0));
    const bars = hourBars(hours);
    expect(bars).toHaveLength(24);
    expect(bars[10]).toEqual({ hour: 10, count: 40, pct: 100 });
    expect(bars[14]!.pct).toBe(50);
    expect(bars[3]!.pct).toBe(3);
    expect(busiestHours(bars)).toEqual([10, 14, 3]);
    expect(busiestHours(bars, 1).map(hourLabel)).toEqual(['10:00']);
    expect(hourBars(null).every((b) => b.count === 0 && b.pct === 0)).toBe(true);
    expect(hourBars([5, -1, Number.NaN, 'x' as never]).slice(0, 4).map((b) => b.count)).toEqual([5, 0, 0, 0]);
    expect(busiestHours(hourBars([]))).toEqual([]);
  });
});

describe('the fake intelligence and baseline routes', () => {
  const center = fakeCenter();
  const call = center.call;
  const keys = ['confidence', 'created_at', 'hits', 'id', 'severity', 'source', 'tags', 'techniques', 'type', 'updated_at', 'value'];

  it('page the indicators with the cursor, by type, value and source, expired ones on demand', async () => {
    const seen: Indicator[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const { status, json } = await call('GET', `/intel?limit=40${cursor ? `&cursor=${cursor}` : ''}`, undefined, fakeViewerToken);
      expect(status).toBe(200);
      seen.push(...json.items);
      cursor = json.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen.length).toBe(feedSize + 6);
    expect(new Set(seen.map((i) => i.id)).size).toBe(seen.length);
    const byOrder = (a: Indicator, b: Indicator) => a.type.localeCompare(b.type) || a.value.localeCompare(b.value) || a.source.localeCompare(b.source);
    expect(seen.map((i) => i.id)).toEqual([...seen].sort(byOrder).map((i) => i.id));
    expect(seen[0]!.type).toBe('domain');
    for (const i of seen) expect(Object.keys(i).filter((k) => keys.includes(k)).sort()).toEqual(keys);
    expect(seen.some((i) => i.source === 'old-campaign')).toBe(false);
    const expired = await call('GET', '/intel?source=old-campaign&expired=true');
    expect(expired.json.items.map((i: Indicator) => i.value)).toEqual(['bad.example.org', '192.0.2.66']);
    const text = await call('GET', '/intel?q=COBALT&type=ip');
    expect(text.json.items.map((i: Indicator) => i.value)).toEqual(['203.0.113.7']);
    expect((await call('GET', '/intel?type=hash')).status).toBe(400);
    const one = await call('GET', `/intel/${text.json.items[0].id}`);
    expect(one.json).toMatchObject({ value: '203.0.113.7', reference: 'https://intel.example.com/reports/42', techniques: ['T1071.001'], hits: 12 });
    expect((await call('GET', '/intel/nope')).status).toBe(404);
  });

  it('check values as the center reads them', async () => {
    const net = await call('GET', '/intel/check?value=203.0.113.200', undefined, fakeViewerToken);
    expect(net.json).toMatchObject({ value: '203.0.113.200', type: 'ip', normalized: '203.0.113.200' });
    expect(net.json.matches.map((i: Indicator) => i.value)).toEqual(['203.0.113.128/25']);
    const sub = await call('GET', `/intel/check?value=${encodeURIComponent('WWW.Evil.Example.com.')}`);
    expect(sub.json).toMatchObject({ type: 'domain', normalized: 'www.evil.example.com' });
    expect(sub.json.matches.map((i: Indicator) => i.value)).toEqual(['evil.example.com']);
    const hash = await call('GET', '/intel/check?value=44D88612FEA8A8F36DE82E1278ABB02F');
    expect(hash.json).toMatchObject({ type: 'md5', normalized: '44d88612fea8a8f36de82e1278abb02f' });
    expect((await call('GET', '/intel/check?value=192.0.2.66')).json.matches).toEqual([]);
    const bad = await call('GET', '/intel/check?value=not%20a%20value');
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('is not an IP address, domain, URL or file hash');
  });

  it('import feeds with their problems by line, replace a source, and delete it', async () => {
    const feed = '# unit feed\n203.0.113.60\nfeed.example.net  # a comment\nnot a value\n203.0.113.60\nhttp://feed.example.net/a\n';
    const first = await call('POST', '/intel/import?source=unit-feed&tags=c2,unit&confidence=70&expires_in=720h', feed, fakeToken, 'application/octet-stream');
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      format: 'text',
      source: 'unit-feed',
      read: 5,
      added: 3,
      updated: 0,
      removed: 0,
      skipped: 2,
      problems: [
        { line: 4, entry: 'not a value', reason: '"not a value" is not an IP address, domain, URL or file hash' },
        { line: 5, entry: '203.0.113.60', reason: '203.0.113.60 is listed already (line 2)' },
      ],
    });
    const stored = center.server.intel.indicators.filter((i) => i.source === 'unit-feed');
    expect(stored.map((i) => i.value).sort()).toEqual(['203.0.113.60', 'feed.example.net', 'http://feed.example.net/a']);
    expect(stored[0]).toMatchObject({ severity: 'medium', confidence: 70, tags: ['c2', 'unit'], updated_by: 'token:e2e' });
    const replaced = await call('POST', '/intel/import?source=unit-feed&replace=true', 'value,severity\nfeed.example.net,high\n', fakeToken, 'application/octet-stream');
    expect(replaced.json).toMatchObject({ format: 'csv', read: 1, added: 0, updated: 1, removed: 2, skipped: 0, problems: [] });
    expect(center.server.intel.indicators.filter((i) => i.source === 'unit-feed').map((i) => [i.value, i.severity])).toEqual([['feed.example.net', 'high']]);
    const nothing = await call('POST', '/intel/import?source=unit-feed&replace=true', 'zzz\n', fakeToken, 'application/octet-stream');
    expect(nothing.json).toMatchObject({ read: 1, skipped: 1, removed: 0 });
    const stix = await call('POST', '/intel/import?source=unit-stix', { type: 'bundle', objects: [{ type: 'indicator', id: 'indicator--1', pattern: "[domain-name:value = 'stix.example']" }, { type: 'indicator', id: 'indicator--2', pattern: "[process:name = 'x']" }] }, fakeToken, 'application/octet-stream');
    expect(stix.json).toMatchObject({ format: 'stix', read: 2, added: 1, skipped: 1 });
    expect((await call('POST', '/intel/import?format=text', 'x', fakeToken, 'application/octet-stream')).status).toBe(400);
    expect((await call('POST', '/intel/import?source=s&expires_in=30d', 'x', fakeToken, 'application/octet-stream')).status).toBe(400);
    expect((await call('POST', '/intel/import?source=s', 'x', fakeViewerToken, 'application/octet-stream')).status).toBe(403);
    const sources = await call('GET', '/intel/sources', undefined, fakeViewerToken);
    expect(sources.json.items.find((s: { name: string }) => s.name === 'unit-feed')).toMatchObject({ count: 1 });
    expect(Object.keys(sources.json.items[0]).sort()).toEqual(['count', 'name', 'updated_at']);
    expect((await call('DELETE', '/intel/sources/unit-feed', undefined, fakeViewerToken)).status).toBe(403);
    expect((await call('DELETE', '/intel/sources/unit-feed')).json).toEqual({ removed: 1 });
    expect((await call('DELETE', '/intel/sources/unit-stix')).json).toEqual({ removed: 1 });
    expect(center.server.admin.audit.filter((e) => e.target === 'unit-feed').map((e) => `${e.action}:${e.result}`)).toEqual(['intel.source.delete:ok', 'intel.source.delete:denied', 'intel.import:ok', 'intel.import:ok', 'intel.import:ok']);
  });

  it('add indicators one by one, refusing a body without a valid one', async () => {
    const refused = await call('POST', '/intel', { indicators: [{ value: 'zzz' }, { value: '203.0.113.70', severity: 'urgent' }] });
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('bad_request');
    expect(refused.json.problems).toEqual([
      { entry: 'zzz', reason: '"zzz" is not an IP address, domain, URL or file hash' },
      { entry: '203.0.113.70', reason: 'severity "urgent": want low, medium, high, critical' },
    ]);
    expect((await call('POST', '/intel', { indicators: [] })).json.fields).toEqual([{ path: 'indicators', reason: 'want at least one' }]);
    const added = await call('POST', '/intel', { indicators: [{ value: '203.0.113.70', confidence: 90, tags: ['x'] }, { type: 'domain', value: '203.0.113.71' }] });
    expect(added.json).toMatchObject({ format: 'json', source: 'manual', read: 2, added: 1, skipped: 1, problems: [{ entry: '203.0.113.71', reason: '"203.0.113.71" is not a valid domain' }] });
    const again = await call('POST', '/intel', { source: 'manual', indicators: [{ value: '203.0.113.70', description: 'again' }] });
    expect(again.json).toMatchObject({ added: 0, updated: 1 });
    const id = center.server.intel.indicators.find((i) => i.value === '203.0.113.70')!.id;
    expect((await call('POST', '/intel', { indicators: [{ value: '1.1.1.1' }] }, fakeViewerToken)).status).toBe(403);
    expect((await call('DELETE', `/intel/${id}`, undefined, fakeViewerToken)).status).toBe(403);
    expect((await call('DELETE', `/intel/${id}`)).status).toBe(204);
    expect((await call('DELETE', `/intel/${id}`)).status).toBe(404);
  });

  it('list login profiles with their hosts and reset them', async () => {
    const all = await call('GET', '/baselines/logins', undefined, fakeViewerToken);
    expect(all.json.items.map((p: LoginProfileView) => `${p.hostname}/${p.user}/${p.status}`)).toEqual(['web-01/alice/learned', 'web-01/deploy/learned', 'web-01/root/learning', 'web-02/alice/learned', 'web-02/bob/learning', 'db-01/postgres/learned']);
    for (const p of all.json.items as LoginProfileView[]) {
      expect(p.hours).toHaveLength(24);
      expect(p.hours!.reduce((a, b) => a + b, 0)).toBe(p.logins);
      expect(p.time_zone).toBe('Asia/Shanghai');
      expect('learned_at' in p).toBe(p.status === 'learned');
    }
    const paged = await call('GET', '/baselines/logins?limit=4&cursor=4');
    expect(paged.json.items.map((p: LoginProfileView) => p.user)).toEqual(['bob', 'postgres']);
    const web02 = await call('GET', '/baselines/logins?agent_id=7f1c2a9e-0002&user=alice');
    expect(web02.json.items).toHaveLength(1);
    expect((await call('DELETE', '/baselines/logins')).status).toBe(400);
    expect((await call('DELETE', '/baselines/logins?agent_id=7f1c2a9e-0002&user=alice', undefined, fakeViewerToken)).status).toBe(403);
    expect((await call('DELETE', '/baselines/logins?agent_id=7f1c2a9e-0002&user=alice')).json).toEqual({ removed: 1 });
    expect((await call('DELETE', '/baselines/logins?agent_id=7f1c2a9e-0002')).json).toEqual({ removed: 1 });
    expect((await call('GET', '/baselines/logins?agent_id=7f1c2a9e-0002')).json.items).toEqual([]);
    expect(center.server.admin.audit.filter((e) => e.action === 'baseline.login.reset').map((e) => `${e.target}:${e.result}`)).toEqual(['7f1c2a9e-0002:ok', '7f1c2a9e-0002/alice:ok', '7f1c2a9e-0002/alice:denied', ':error']);
  });
});
