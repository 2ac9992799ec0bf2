// Notification channels without a browser: the routes the console calls,
// the refused fields it reads, the form split from a channel and put back
// together as PUT takes it (write-only fields kept, replaced or cleared),
// refused fields placed next to the form's fields, and the fake center's
// routes answering in the center's shapes.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/client';
import { deleteNotifyChannel, fieldProblems, getNotifyChannel, listNotifyChannels, putNotifyChannel, testNotifyChannel } from '../src/api/notify';
import type { NotifyChannel } from '../src/api/types';
import { buildConfig, channelForm, channelHealth, newChannelForm, placeProblems, splitList, withType, type ChannelForm } from '../src/lib/notifyChannels';
import { fakeViewerToken } from '../e2e/fake-server.mjs';
import { recordFetch, signedIn } from './fakes';
import { fakeCenter } from './fakeCenter';

const stats = { sent: 0, failed: 0, retried: 0, dropped: 0, queued: 0 };

const dingtalk: NotifyChannel = {
  name: 'ops-dingtalk',
  type: 'dingtalk',
  source: 'api',
  disabled: false,
  running: true,
  config: {
    name: 'ops-dingtalk',
    type: 'dingtalk',
    language: 'zh',
    filter: { min_severity: 'medium', techniques: ['T1059', 'T1562.001'], rule_ids: ['vigil.agent.*'] },
    delivery: { max_attempts: 3 },
    dingtalk: { url: { set: true, redacted: 'https://oapi.dingtalk.com/robot/send?access_token=REDACTED' }, secret: { set: true }, at_all: true },
  },
  revision: 2,
  stats,
};

function config(form: ChannelForm) {
  const out = buildConfig(form);
  if (!('config' in out)) throw new Error(`the form does not build: ${JSON.stringify(out.problem)}`);
  return out.config;
}

describe('the routes', () => {
  signedIn('admin');
  const api = recordFetch();
  const last = api.last;

  it('read, change, test and delete channels by their escaped name', async () => {
    await listNotifyChannels();
    expect(last()).toMatchObject({ url: '/api/v1/notify/channels', method: 'GET' });
    await getNotifyChannel('a/b');
    expect(last().url).toBe('/api/v1/notify/channels/a%2Fb');
    await putNotifyChannel('ops', { type: 'wecom', wecom: { url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k' } });
    expect(last()).toMatchObject({ url: '/api/v1/notify/channels/ops', method: 'PUT' });
    expect(JSON.parse(last().body!)).toEqual({ type: 'wecom', wecom: { url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k' } });
    api.answer = () => new Response('{"ok":false,"error":"connection refused","permanent":true,"duration_ms":31}', { status: 200 });
    expect(await testNotifyChannel('ops')).toEqual({ ok: false, error: 'connection refused', permanent: true, duration_ms: 31 });
    expect(last()).toMatchObject({ url: '/api/v1/notify/channels/ops/test', method: 'POST' });
    api.answer = () => new Response(null, { status: 204 });
    await deleteNotifyChannel('ops');
    expect(last()).toMatchObject({ url: '/api/v1/notify/channels/ops', method: 'DELETE' });
  });

  it('read the fields of a refused configuration from a 400 only', async () => {
    const fields = [
      { path: 'dingtalk.url', reason: "must carry the robot's access_token" },
      { path: 'filter.techniques[1]', reason: 'not a technique' },
    ];
    api.answer = () => new Response(JSON.stringify({ error: { code: 'bad_request', message: 'invalid notification channel: ...' }, fields }), { status: 400 });
    const err = await putNotifyChannel('ops', { type: 'dingtalk' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(fieldProblems(err)).toEqual(fields);
    api.answer = () => new Response(JSON.stringify({ error: { code: 'conflict', message: 'defined in the notification file' } }), { status: 409 });
    const conflict = await putNotifyChannel('soc', { type: 'webhook' }).catch((e: unknown) => e);
    expect((conflict as ApiError).status).toBe(409);
    expect(fieldProblems(conflict)).toEqual([]);
    expect(fieldProblems(new ApiError(400, 'bad_request', 'x', { fields: [{ path: 1 }, null, { path: 'name', reason: 'r' }] }))).toEqual([{ path: 'name', reason: 'r' }]);
    expect(fieldProblems(new Error('x'))).toEqual([]);
  });
});

describe('the channel form', () => {
  it('splits a channel into its fields and puts it back unchanged, every secret kept', () => {
    const form = channelForm(dingtalk);
    expect(form).toMatchObject({ name: 'ops-dingtalk', type: 'dingtalk', language: 'zh', minSeverity: 'medium', techniques: 'T1059 T1562.001' });
    expect(JSON.parse(form.section)).toEqual({ at_all: true });
    expect(form.secrets.url!.shown).toEqual({ set: true, redacted: 'https://oapi.dingtalk.com/robot/send?access_token=REDACTED' });
    expect(form.secrets.secret!.shown).toEqual({ set: true });
    expect(config(form)).toEqual({
      name: 'ops-dingtalk',
      type: 'dingtalk',
      language: 'zh',
      filter: { min_severity: 'medium', techniques: ['T1059', 'T1562.001'], rule_ids: ['vigil.agent.*'] },
      delivery: { max_attempts: 3 },
      dingtalk: { at_all: true },
    });
  });

  it('replaces one write-only field and clears another', () => {
    const form = channelForm(dingtalk);
    form.secrets.url = { ...form.secrets.url!, mode: 'replace', value: 'https://oapi.dingtalk.com/robot/send?access_token=new' };
    form.secrets.secret = { ...form.secrets.secret!, mode: 'clear' };
    expect(config(form).dingtalk).toEqual({ at_all: true, url: 'https://oapi.dingtalk.com/robot/send?access_token=new', secret: '' });
  });

  it('keeps a webhook header shown as set in the section', () => {
    const form = channelForm({
      ...dingtalk,
      name: 'hook',
      type: 'webhook',
      config: { name: 'hook', type: 'webhook', webhook: { url: { set: true, redacted: 'https://h.example/x' }, secret: { set: false }, headers: { Authorization: { set: true } } } },
    });
    expect(form.secrets.secret!.shown.set).toBe(false);
    expect(config(form)).toEqual({ name: 'hook', type: 'webhook', webhook: { headers: { Authorization: { set: true } } } });
  });

  it('starts a new channel from its type and leaves out what is empty', () => {
    const form = newChannelForm();
    expect(Object.keys(form.secrets)).toEqual(['url', 'secret']);
    form.name = ' soc-hook ';
    form.secrets.url = { ...form.secrets.url!, mode: 'replace', value: 'https://soc.example/h' };
    form.disabled = true;
    form.timeZone = 'Asia/Shanghai';
    expect(config(form)).toEqual({ name: 'soc-hook', type: 'webhook', disabled: true, time_zone: 'Asia/Shanghai', webhook: { url: 'https://soc.example/h' } });
    const mail = withType(form, 'email');
    expect(Object.keys(mail.secrets)).toEqual(['password']);
    expect(JSON.parse(mail.section)).toMatchObject({ host: '', to: [] });
    expect(withType(mail, 'syslog').secrets).toEqual({});
    expect(withType(mail, 'email')).toBe(mail);
  });

  it('refuses a section that is not a JSON object', () => {
    const form = newChannelForm();
    form.section = '{"url": ';
    expect(buildConfig(form)).toMatchObject({ problem: { slot: 'section', reason: 'json' } });
    form.section = '[1]';
    expect(buildConfig(form)).toEqual({ problem: { slot: 'section', reason: 'object', detail: '' } });
    form.section = '  ';
    expect(config(form).webhook).toEqual({});
  });

  it('splits technique lists', () => {
    expect(splitList(' T1059, T1562.001\nT1003 ')).toEqual(['T1059', 'T1562.001', 'T1003']);
    expect(splitList('')).toEqual([]);
  });

  it('places refused fields next to the form fields', () => {
    const placed = placeProblems(
      [
        { path: 'name', reason: 'a' },
        { path: 'filter.techniques[0]', reason: 'b' },
        { path: 'filter.min_severity', reason: 'c' },
        { path: 'dingtalk.url', reason: 'd' },
        { path: 'dingtalk.at_mobiles[0]', reason: 'e' },
        { path: 'delivery.burst', reason: 'f' },
        { path: '', reason: 'g' },
        { path: 'webhook', reason: 'h' },
      ],
      'dingtalk',
    );
    expect(Object.fromEntries(Object.entries(placed).map(([k, v]) => [k, v!.map((p) => p.reason).join('')]))).toEqual({
      name: 'a',
      techniques: 'b',
      min_severity: 'c',
      'secret:url': 'd',
      section: 'e',
      other: 'fgh',
    });
  });

  it('tells a channel that runs from one with a problem', () => {
    expect(channelHealth(dingtalk)).toBe('running');
    expect(channelHealth({ ...dingtalk, running: false, disabled: true })).toBe('disabled');
    expect(channelHealth({ ...dingtalk, running: false, problem: 'sealed with another key', disabled: true })).toBe('problem');
    expect(channelHealth({ ...dingtalk, running: false })).toBe('stopped');
  });
});

describe('the fake notification routes', () => {
  const center = fakeCenter();
  const call = center.call;
  const viewKeys = ['config', 'disabled', 'name', 'running', 'source', 'stats', 'type'];
  const storedKeys = [...viewKeys, 'created_at', 'created_by', 'revision', 'updated_at', 'updated_by'].sort();

  it('list the file first, then the API by name, in the center shapes and never a secret', async () => {
    const { status, json } = await call('GET', '/notify/channels', undefined, fakeViewerToken);
    expect(status).toBe(200);
    expect(json.next_cursor).toBe('');
    expect(json.items.map((c: NotifyChannel) => `${c.source}:${c.name}`)).toEqual(['file:soc-webhook', 'file:siem-syslog', 'api:old-mail', 'api:ops-dingtalk']);
    expect(Object.keys(json.items[0]).sort()).toEqual(viewKeys);
    expect(Object.keys(json.items[3]).sort()).toEqual(storedKeys);
    expect(Object.keys(json.items[2]).sort()).toEqual([...storedKeys, 'problem'].sort());
    expect(Object.keys(json.items[0].stats).sort()).toEqual(['dropped', 'failed', 'last_error', 'last_error_at', 'last_sent_at', 'queued', 'retried', 'sent']);
    expect(json.items[0].config.webhook).toEqual({ url: { set: true, redacted: 'https://soc.example.com/hooks/vigil' }, secret: { set: true }, headers: { Authorization: { set: true } } });
    expect(json.items[3].config.dingtalk.url).toEqual({ set: true, redacted: 'https://oapi.dingtalk.com/robot/send?access_token=REDACTED' });
    expect(JSON.stringify(json)).not.toMatch(/SEC0123|file-signing|file-token|0f6b2c8e/);
  });

  it('keep, replace and clear write-only fields, refuse invalid fields, the file and viewers', async () => {
    const name = 'unit-hook';
    const made = await call('PUT', `/notify/channels/${name}`, { type: 'webhook', webhook: { url: 'https://hooks.example/a', secret: 's1', headers: { 'X-Key': 'k' } } });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ name, source: 'api', running: true, revision: 1, config: { webhook: { url: { set: true }, secret: { set: true }, headers: { 'X-Key': { set: true } } } } });
    const kept = await call('PUT', `/notify/channels/${name}`, { type: 'webhook', webhook: { secret: { set: true }, headers: { 'X-Key': { set: true } } } });
    expect(kept.status).toBe(200);
    expect(kept.json.config.webhook).toEqual({ url: { set: true, redacted: 'https://hooks.example/a' }, secret: { set: true }, headers: { 'X-Key': { set: true } } });
    const cleared = await call('PUT', `/notify/channels/${name}`, { type: 'webhook', webhook: { secret: '' } });
    expect(cleared.json.config.webhook.secret).toEqual({ set: false });
    const refused = await call('PUT', `/notify/channels/${name}`, { type: 'webhook', language: 'fr', filter: { techniques: ['T1059', 'x'] }, webhook: { url: '' } });
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('bad_request');
    expect(refused.json.fields.map((f: { path: string }) => f.path)).toEqual(['language', 'filter.techniques[1]', 'webhook.url']);
    expect((await call('PUT', '/notify/channels/soc-webhook', { type: 'webhook', webhook: {} })).status).toBe(409);
    expect((await call('DELETE', '/notify/channels/siem-syslog')).status).toBe(409);
    expect((await call('POST', '/notify/channels/old-mail/test')).status).toBe(409);
    expect((await call('POST', `/notify/channels/${name}/test`, undefined, fakeViewerToken)).status).toBe(403);
    const tested = await call('POST', `/notify/channels/${name}/test`);
    expect(tested.json).toMatchObject({ ok: true });
    expect(Object.keys(tested.json).sort()).toEqual(['duration_ms', 'ok']);
    expect((await call('DELETE', `/notify/channels/${name}`)).status).toBe(204);
    expect((await call('GET', `/notify/channels/${name}`)).status).toBe(404);
    expect(center.server.admin.audit.filter((e) => e.target === name).map((e) => e.action)).toEqual(
      expect.arrayContaining(['notify.channel.put', 'notify.channel.test', 'notify.channel.delete']),
    );
  });
});
