// Notification channels in the browser, against the fake API's channels,
// in English or Chinese: the listing (the file's channels first and
// read-only, counters, last errors, a stored channel's problem); a channel
// created with a refused field shown where it is, then created; a test
// message delivered and one failed, a test refused (409) explained; the
// channel edited with its secret kept, then replaced, and the URL cleared
// and refused; a name of the file refused (409) explained; and the channel
// deleted after a confirmation. A viewer reads the listing and changes
// nothing.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { dictionaries, type Lang, type MessageKey } from '../src/i18n/messages';
import { apiRequest, apiResponse, signIn, until } from './steps';

interface Server {
  url: string;
  notify: { channels: { source: string; config: Record<string, any> }[] };
}

interface Shots {
  dir: string;
  always: boolean;
}

function tr(lang: Lang, key: MessageKey, vars: Record<string, string | number> = {}): string {
  return dictionaries[lang][key].replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** notifyWalk creates, tests, edits and deletes a channel as an admin, in one language. */
export async function notifyWalk(page: Page, server: Server, token: string, shots: Shots, lang: Lang): Promise<void> {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => tr(lang, key, vars);
  const shot = async (name: string) => {
    if (shots.always) await page.screenshot({ path: join(shots.dir, `notify-${name}-${lang}.png`) });
  };
  const name = `ui-hook-${lang}`;
  const path = `/notify/channels/${name}`;
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  if (lang === 'zh') {
    await page.click('.topbar .lang-switch button:has-text("中文")');
    await expect.poll(() => page.locator('[data-testid=admin-nav]').textContent()).toContain('告警通知渠道');
  }

  // ---- The listing ----
  await page.click('.nav a[href="/notify-channels"]');
  await page.waitForURL((u) => u.pathname === '/notify-channels');
  expect(await page.locator('.topbar h1').textContent()).toBe(t('nav.notifyChannels'));
  const table = page.locator('[data-testid=notify-channels-table]');
  await table.waitFor();
  const rows = table.locator('tbody tr');
  expect(await rows.evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-source')}:${r.getAttribute('data-channel')}`))).toEqual([
    'file:soc-webhook',
    'file:siem-syslog',
    'api:old-mail',
    'api:ops-dingtalk',
  ]);
  const soc = table.locator('tr[data-channel=soc-webhook]');
  expect(await soc.locator('[data-stat=sent]').textContent()).toContain('42');
  expect(await soc.locator('[data-testid=last-error]').textContent()).toContain('502 Bad Gateway');
  expect(await soc.textContent()).toContain(t('notify.fileReadOnly'));
  expect(await soc.locator('button[data-action=edit], button[data-action=delete]').count()).toBe(0);
  expect(await table.locator('tr[data-channel=siem-syslog] [data-stat=queued]').textContent()).toBe('1');
  const oldMail = table.locator('tr[data-channel=old-mail]');
  expect(await oldMail.getAttribute('data-state')).toBe('problem');
  expect(await oldMail.textContent()).toContain('sealed with another key');
  await shot('list');

  // A stored channel that cannot run: its test is refused (409), explained.
  await oldMail.locator('button[data-action=test]').click();
  await expect.poll(() => oldMail.locator('[data-testid=test-result]').getAttribute('data-ok')).toBe('error');
  expect(await oldMail.locator('[data-testid=test-result]').textContent()).toContain(t('notify.conflict', { message: '' }).slice(0, 12));

  // ---- Create: a refused field shown in place, then created ----
  await page.click('[data-testid=new-notify-channel]');
  const dialog = page.locator('[data-testid=notify-channel-dialog]');
  expect(await dialog.locator('h2').textContent()).toBe(t('notify.new'));
  await dialog.locator('input[name=name]').fill(name);
  await dialog.locator('select[name=type]').selectOption('webhook');
  await dialog.locator('select[name=language]').selectOption(lang);
  await dialog.locator('input[name=time_zone]').fill('Asia/Shanghai');
  await dialog.locator('select[name=min_severity]').selectOption('high');
  await dialog.locator('input[name=techniques]').fill('T1059 Tbad');
  await dialog.locator('select[name=url_mode]').selectOption('replace');
  await dialog.locator('input[name=url]').fill('https://hooks.example.com/unreachable/vigil');
  await dialog.locator('select[name=secret_mode]').selectOption('replace');
  await dialog.locator('input[name=secret]').fill('first-secret');
  await dialog.locator('textarea[name=section]').fill('{"headers": {"X-Team": "soc"}}');
  const put = async (act: () => Promise<void>) => {
    const [req, res] = await Promise.all([page.waitForRequest(apiRequest('PUT', path)), page.waitForResponse(apiResponse('PUT', path)), act()]);
    return { body: req.postDataJSON() as Record<string, any>, status: res.status() };
  };
  const refused = await put(() => dialog.locator('button[type=submit]').click());
  expect(refused.status).toBe(400);
  expect(refused.body).toEqual({
    name,
    type: 'webhook',
    language: lang,
    time_zone: 'Asia/Shanghai',
    filter: { min_severity: 'high', techniques: ['T1059', 'Tbad'] },
    webhook: { headers: { 'X-Team': 'soc' }, url: 'https://hooks.example.com/unreachable/vigil', secret: 'first-secret' },
  });
  await expect.poll(() => dialog.locator('[data-problem="filter.techniques[1]"]').textContent()).toContain('not an ATT&CK technique');
  expect(await dialog.textContent()).toContain(t('notify.problems'));
  await shot('refused');
  await dialog.locator('input[name=techniques]').fill('T1059');
  const created = await put(() => dialog.locator('button[type=submit]').click());
  expect(created.status).toBe(201);
  await dialog.waitFor({ state: 'detached' });
  const row = table.locator(`tr[data-channel="${name}"]`);
  await row.waitFor();
  expect(await row.getAttribute('data-source')).toBe('api');
  expect(await row.getAttribute('data-state')).toBe('running');
  const stored = server.notify.channels.find((c) => c.config.name === name)!;
  expect(stored.config.webhook).toEqual({ url: 'https://hooks.example.com/unreachable/vigil', secret: 'first-secret', headers: { 'X-Team': 'soc' } });

  // ---- Test: the endpoint is unreachable ----
  const test = async (r = row) => {
    const [res] = await Promise.all([page.waitForResponse(apiResponse('POST', `/notify/channels/${await r.getAttribute('data-channel')}/test`)), r.locator('button[data-action=test]').click()]);
    expect(res.status()).toBe(200);
    return r.locator('[data-testid=test-result]');
  };
  let outcome = await test();
  await expect.poll(() => outcome.getAttribute('data-ok')).toBe('false');
  expect(await outcome.textContent()).toContain('connection refused');
  await shot('test-failed');

  // ---- Edit: the secret kept, the URL replaced; then the URL cleared and refused ----
  await row.locator('button[data-action=edit]').click();
  expect(await dialog.locator('h2').textContent()).toBe(t('notify.editTitle', { name }));
  expect(await dialog.locator('[data-secret=url]').getAttribute('data-set')).toBe('true');
  expect(await dialog.locator('[data-secret=url]').textContent()).toContain('https://hooks.example.com/unreachable/vigil');
  expect(await dialog.locator('[data-secret=secret]').textContent()).toContain(t('notify.secret.set'));
  expect(await dialog.locator('textarea[name=section]').inputValue()).toContain('"set": true');
  expect(await dialog.locator('input[name=techniques]').inputValue()).toBe('T1059');
  await dialog.locator('select[name=url_mode]').selectOption('replace');
  await dialog.locator('input[name=url]').fill('https://hooks.example.com/vigil');
  await shot('edit');
  const edited = await put(() => dialog.locator('button[type=submit]').click());
  expect(edited.status).toBe(200);
  expect(edited.body.webhook).toEqual({ headers: { 'X-Team': { set: true } }, url: 'https://hooks.example.com/vigil' });
  await dialog.waitFor({ state: 'detached' });
  expect(stored.config.webhook).toEqual({ url: 'https://hooks.example.com/vigil', secret: 'first-secret', headers: { 'X-Team': 'soc' } });
  await until(async () => !(await row.locator('[data-testid=test-result]').count()), 'the old test outcome gone');
  outcome = await test();
  await expect.poll(() => outcome.getAttribute('data-ok')).toBe('true');
  expect(await outcome.textContent()).toMatch(lang === 'en' ? /Delivered in \d+ ms/ : /已送达，用时 \d+ 毫秒/);

  await row.locator('button[data-action=edit]').click();
  await dialog.locator('select[name=url_mode]').selectOption('clear');
  await dialog.locator('select[name=secret_mode]').selectOption('clear');
  const cleared = await put(() => dialog.locator('button[type=submit]').click());
  expect(cleared.status).toBe(400);
  expect(cleared.body.webhook).toMatchObject({ url: '', secret: '' });
  await expect.poll(() => dialog.locator('[data-secret=url] [data-problem="webhook.url"]').textContent()).toContain('is required');
  await dialog.locator('button:has-text("✕")').click();
  await dialog.waitFor({ state: 'detached' });
  expect(stored.config.webhook.url).toBe('https://hooks.example.com/vigil');

  // ---- A name the file takes: refused (409), explained ----
  await page.click('[data-testid=new-notify-channel]');
  await dialog.locator('input[name=name]').fill('soc-webhook');
  await dialog.locator('select[name=url_mode]').selectOption('replace');
  await dialog.locator('input[name=url]').fill('https://hooks.example.com/x');
  const [res409] = await Promise.all([page.waitForResponse(apiResponse('PUT', '/notify/channels/soc-webhook')), dialog.locator('button[type=submit]').click()]);
  expect(res409.status()).toBe(409);
  await expect.poll(() => dialog.locator('.error-banner').textContent()).toContain(t('notify.conflict', { message: '' }).slice(0, 12));
  expect(await dialog.locator('.error-banner').textContent()).toContain('defined in the notification file');
  await shot('conflict');
  await dialog.locator('button:has-text("✕")').click();

  // ---- Delete after a confirmation ----
  await row.locator('button[data-action=delete]').click();
  const confirm = page.locator('[data-testid=confirm]');
  expect(await confirm.locator('h2').textContent()).toBe(t('notify.deleteTitle', { name }));
  const [del] = await Promise.all([page.waitForResponse(apiResponse('DELETE', path)), page.click('[data-testid=confirm-ok]')]);
  expect(del.status()).toBe(204);
  await row.waitFor({ state: 'detached' });
  expect(server.notify.channels.some((c) => c.config.name === name)).toBe(false);
}

/** notifyViewerWalk reads the channels as a viewer: no change offered. */
export async function notifyViewerWalk(page: Page, server: Server, token: string): Promise<void> {
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  await expect.poll(() => page.locator('.topbar .user-role').textContent()).toBe('viewer');
  expect(await page.locator('[data-testid=admin-nav] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual(['/notify-channels']);
  await page.click('.nav a[href="/notify-channels"]');
  const table = page.locator('[data-testid=notify-channels-table]');
  await table.waitFor();
  expect(await table.locator('tbody tr').count()).toBe(4);
  expect(await table.locator('tr[data-channel=soc-webhook] [data-testid=last-error]').textContent()).toContain('502');
  expect(await table.locator('button').count()).toBe(0);
  expect(await page.locator('[data-testid=new-notify-channel]').isDisabled()).toBe(true);
  expect(await page.locator('[data-testid=new-notify-channel]').getAttribute('title')).toBe(tr('en', 'notify.adminOnly'));
}
