// The fake center's compliance routes answer in the center's shapes (the
// JSON tags of internal/center/compliance and internal/center/api), so
// that the browser walks test the console against what a center sends:
// the fields of every item, the listing envelope, the orders, the
// refusals with the center's messages, roles, the report's headers, and
// a run of the baseline collector.
import { describe, expect, it } from 'vitest';
import { fakeToken, fakeViewerToken } from '../e2e/fake-server.mjs';
import { badUpload, goodUpload } from '../e2e/fixtures-compliance.mjs';
import { fakeCenter } from './fakeCenter';

const center = fakeCenter();

async function call(method: string, path: string, opts: { token?: string; body?: string; type?: string } = {}) {
  const res = await fetch(`${center.server.url}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${opts.token ?? fakeToken}`, ...(opts.type ? { 'Content-Type': opts.type } : {}) },
    body: opts.body,
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const keys = (o: object) => Object.keys(o).sort();
const counts = ['error', 'excepted', 'fail', 'not_applicable', 'pass', 'total'];

describe('the fake compliance routes', () => {
  it('list results with the center result fields, exceptions applied', async () => {
    const r = await call('GET', '/compliance?agent_id=7f1c2a9e-0001&status=excepted');
    expect(keys(r.json)).toEqual(['items', 'next_cursor']);
    const cramfs = r.json.items.find((x: any) => x.check_id === 'cis_debian12.1.1.1.1');
    expect(keys(cramfs)).toEqual(['agent_id', 'check', 'check_id', 'evidence', 'exception', 'first_seen', 'hostname', 'policy_id', 'policy_version', 'severity', 'status', 'updated_at']);
    expect(keys(cramfs.check)).toEqual(['profiles', 'rationale', 'references', 'remediation', 'severity', 'title']);
    expect(keys(cramfs.exception)).toEqual(['agent_id', 'author', 'check_id', 'created_at', 'expires_at', 'id', 'policy_id', 'reason']);
    expect(keys(cramfs.evidence[0])).toEqual(['evidence', 'index', 'result', 'type']);
    expect((await call('GET', '/compliance?status=bogus')).json.error.message).toBe('status "bogus": want pass, fail, error, not_applicable or excepted');
    const paged = await call('GET', '/compliance?limit=5');
    expect([paged.json.items.length, paged.json.next_cursor]).toEqual([5, '5']);
    expect((await call('GET', '/compliance?limit=5000')).status).toBe(400);
  });

  it('give summaries, groups and checks as the center does', async () => {
    const host = await call('GET', '/compliance/hosts/7f1c2a9e-0001');
    expect(keys(host.json.items[0])).toEqual(['agent_id', 'applicable', 'counts', 'hostname', 'policy_id', 'policy_version', 'score', 'updated_at']);
    expect(keys(host.json.items[0].counts)).toEqual(counts);
    expect((await call('GET', '/compliance/hosts/nope')).status).toBe(404);
    const sums = (await call('GET', '/compliance/summaries?label=role=web&policy_id=cis_debian12')).json.items;
    expect(sums.map((s: any) => s.hostname)).toEqual(['web-02', 'web-01']);
    const groups = (await call('GET', '/compliance/groups')).json.items;
    expect(keys(groups[0])).toEqual(['counts', 'hosts', 'label', 'policy_id', 'score', 'value']);
    expect(groups.every((g: any) => g.label === '' && g.value === '')).toBe(true);
    const byRole = (await call('GET', '/compliance/groups?label=role&policy_id=cis_debian12')).json.items;
    expect(byRole.map((g: any) => [g.value, g.hosts])).toEqual([
      ['db', 1],
      ['web', 2],
    ]);
    const checks = (await call('GET', '/compliance/checks?policy_id=cis_debian12')).json.items;
    expect(keys(checks[0])).toEqual(['check', 'check_id', 'hosts', 'policy_id', 'severity']);
    const fails = checks.map((c: any) => c.hosts.fail);
    expect(fails).toEqual([...fails].sort((a: number, b: number) => b - a));
    expect((await call('GET', '/compliance/checks')).json.error.message).toBe('policy_id: required');
  });

  it('give drift newest first and the score history', async () => {
    const drift = (await call('GET', '/compliance/drift?regressed=true')).json.items;
    expect(keys(drift[0])).toEqual(['after', 'agent_id', 'before', 'changed_at', 'check', 'check_id', 'hostname', 'policy_id', 'regressed', 'severity']);
    expect(drift.every((d: any) => d.regressed && d.before === 'pass')).toBe(true);
    const at = drift.map((d: any) => d.changed_at);
    expect(at).toEqual([...at].sort().reverse());
    expect((await call('GET', '/compliance/drift?since=yesterday')).status).toBe(400);
    const scores = (await call('GET', '/compliance/scores?agent_id=7f1c2a9e-0003&policy_id=cis_debian12')).json.items;
    expect(keys(scores[0])).toEqual(['agent_id', 'at', 'errors', 'excepted', 'failed', 'not_applicable', 'passed', 'policy_id', 'score']);
    expect(new Set(scores.map((s: any) => s.at.slice(0, 10))).size).toBe(scores.length);
  });

  it('serve the report as an HTML attachment in the language asked for', async () => {
    const r = await call('GET', '/compliance/report?agent_id=7f1c2a9e-0002&lang=zh');
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="vigil-compliance-web-02-\d{4}-\d\d-\d\d\.html"$/);
    expect(r.text).toContain('<html lang="zh-CN">');
    expect(r.text).not.toMatch(/<script|src=|href=/i);
    expect((await call('GET', '/compliance/report?lang=en')).status).toBe(400);
    expect((await call('GET', '/compliance/report?policy_id=cis_debian12&lang=fr')).status).toBe(400);
  });

  it('keep the catalogue: uploads refused by line, roles, assignments', async () => {
    const list = (await call('GET', '/compliance/policies')).json.items;
    expect(keys(list.find((p: any) => p.id === 'cis_debian12'))).toEqual(['assignment', 'checks', 'description', 'digest', 'format', 'id', 'name', 'shipped', 'version']);
    expect(keys(list.find((p: any) => p.id === 'cis_debian12').assignment)).toEqual(['author', 'disabled', 'interval_seconds', 'policy_id', 'selector', 'updated_at']);
    const one = (await call('GET', '/compliance/policies/mlps_level2')).json;
    expect(one.items.length).toBeGreaterThan(0);
    const bad = await call('PUT', '/compliance/policies/acme_web', { body: badUpload, type: 'application/yaml' });
    expect(bad.status).toBe(422);
    expect(bad.json.error.message.split('\n')).toHaveLength(2);
    expect(bad.json.error.message).toMatch(/^invalid policy: acme_web\.yml:\d+: checks\[0\]\.rules\[0\]\.config\.format: unknown format "sshd2"/);
    expect((await call('PUT', '/compliance/policies/acme_web', { body: goodUpload, token: fakeViewerToken })).status).toBe(403);
    expect((await call('PUT', '/compliance/policies/other', { body: goodUpload })).json.error.message).toBe('invalid policy: the file\'s policy id is "acme_web", not "other"');
    expect((await call('PUT', '/compliance/policies/acme_web', { body: goodUpload })).status).toBe(201);
    expect((await call('PUT', '/compliance/policies/acme_web', { body: goodUpload })).status).toBe(200);
    expect((await call('PUT', '/compliance/policies/acme_web/assignment', { body: '{"selector":{"role":"web"},"interval_seconds":60}', type: 'application/json' })).status).toBe(400);
    const a = await call('PUT', '/compliance/policies/acme_web/assignment', { body: '{"selector":{"role":"web"},"interval_seconds":3600}', type: 'application/json' });
    expect(a.json).toMatchObject({ policy_id: 'acme_web', selector: { role: 'web' }, interval_seconds: 3600, disabled: false });
    expect((await call('DELETE', '/compliance/policies/cis_debian12')).status).toBe(409);
    expect((await call('DELETE', '/compliance/policies/acme_web')).status).toBe(204);
  });

  it('create and delete exceptions for analysts, checked as the center checks them', async () => {
    expect((await call('POST', '/compliance/exceptions', { token: fakeViewerToken, body: '{}', type: 'application/json' })).status).toBe(403);
    expect((await call('POST', '/compliance/exceptions', { body: JSON.stringify({ policy_id: 'cis_debian12', reason: '' }), type: 'application/json' })).status).toBe(400);
    expect((await call('POST', '/compliance/exceptions', { body: JSON.stringify({ policy_id: 'cis_debian12', reason: 'x', expires_at: '2001-01-01T00:00:00Z' }), type: 'application/json' })).status).toBe(400);
    const made = await call('POST', '/compliance/exceptions', { body: JSON.stringify({ policy_id: 'cis_debian12', check_id: 'cis_debian12.5.1.6', agent_id: '7f1c2a9e-0003', reason: 'legacy client' }), type: 'application/json' });
    expect(made.status).toBe(201);
    const after = (await call('GET', '/compliance?agent_id=7f1c2a9e-0003&check_id=cis_debian12.5.1.6')).json.items[0];
    expect([after.status, after.exception.id]).toEqual(['excepted', made.json.id]);
    expect((await call('DELETE', `/compliance/exceptions/${made.json.id}`)).status).toBe(204);
    expect((await call('GET', '/compliance/exceptions')).json.items.some((e: any) => e.id === made.json.id)).toBe(false);
    expect((await call('GET', '/compliance/exceptions?expired=true')).json.items.some((e: any) => e.id === 'cex-0003')).toBe(true);
  });

  it('run the baseline collector on an online host, as the collect command', async () => {
    const body = JSON.stringify({ command: 'collect', args: { name: 'compliance/baseline' }, agent_ids: ['7f1c2a9e-0001'], timeout: '3m' });
    expect((await call('POST', '/agents/commands', { token: fakeViewerToken, body, type: 'application/json' })).status).toBe(403);
    const r = (await call('POST', '/agents/commands', { body, type: 'application/json' })).json.results[0];
    expect(r.ok).toBe(true);
    expect(keys(r.output)).toEqual(['added', 'assets', 'changed', 'collector', 'removed', 'skipped', 'unchanged']);
    expect(r.output.changed).toBe(1);
    const offline = (await call('POST', '/agents/commands', { body: body.replace('7f1c2a9e-0001', '7f1c2a9e-0003'), type: 'application/json' })).json.results[0];
    expect([offline.ok, offline.error]).toEqual([false, 'agent offline']);
  });
});
