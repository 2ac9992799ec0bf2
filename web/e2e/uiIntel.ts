// Threat intelligence and login baselines in the browser, against the
// fake API's indicators and login profiles, in English or Chinese: the
// indicators paged, filtered by type, expiry and text (the queries
// checked, kept in the URL), one opened in its drawer; a small text feed
// imported under a new source with its defaults (the query checked, the
// upload's progress, the result with its problem by line), imported again
// replacing the source; values checked (an address, a subdomain, a value
// that is none); indicators added by hand (the POST checked, a refusal's
// problems shown), one deleted; the source deleted from the sources tab.
// Then the login baselines: filtered by host and user (the queries
// checked), a profile opened to its hours in the baseline's time zone and
// its addresses, reset after a confirmation (the DELETE checked), and the
// host drawer's link to its baselines. A viewer reads it all and changes
// nothing.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Indicator, LoginProfileView } from '../src/api/types';
import { dictionaries, type Lang, type MessageKey } from '../src/i18n/messages';
import { apiRequest, apiResponse, signIn, until } from './steps';

interface Server {
  url: string;
  requests: { method: string; path: string; query: Record<string, string[]>; body: unknown }[];
  intel: { indicators: Indicator[]; profiles: Omit<LoginProfileView, 'hostname' | 'time_zone'>[] };
}

interface Shots {
  dir: string;
  always: boolean;
}

/** tr reads a text of the dictionaries, with its placeholders filled. */
function tr(lang: Lang, key: MessageKey, vars: Record<string, string | number> = {}): string {
  return dictionaries[lang][key].replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

const hosts: Record<string, string> = { '7f1c2a9e-0001': 'web-01', '7f1c2a9e-0002': 'web-02', '7f1c2a9e-0003': 'db-01' };

/** open signs in (in the language asked) and follows the sidebar to a page. */
async function open(page: Page, server: Server, token: string, lang: Lang, path: string): Promise<void> {
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  if (lang === 'zh') {
    await page.click('.topbar .lang-switch button:has-text("中文")');
    await expect.poll(() => page.locator('[data-testid=detect-nav]').textContent()).toContain('威胁情报');
  }
  await page.click(`.nav a[href="${path}"]`);
  await page.waitForURL((u) => u.pathname === path);
}

/** intelWalk walks threat intelligence in one language, as an admin. */
export async function intelWalk(page: Page, server: Server, token: string, shots: Shots, lang: Lang): Promise<void> {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => tr(lang, key, vars);
  const shot = async (name: string) => {
    if (shots.always) await page.screenshot({ path: join(shots.dir, `intel-${name}-${lang}.png`) });
  };
  const source = `ui-feed-${lang}`;
  const domain = `ui-${lang}.example.net`;
  const active = () => server.intel.indicators.filter((i) => !i.expires_at || Date.parse(i.expires_at) > Date.now());
  const listed = (check: (u: URL) => boolean = () => true) => page.waitForRequest(apiRequest('GET', '/intel', check));
  await open(page, server, token, lang, '/intel');
  expect(await page.locator('.topbar h1').textContent()).toBe(t('nav.intel'));
  const table = page.locator('[data-testid=intel-table]');
  const rows = table.locator('tbody tr');
  await table.waitFor();

  // ---- The listing, a page at a time ----
  const total = active().length;
  await expect.poll(() => page.locator('[data-testid=intel-count]').textContent()).toBe(t('intel.countMore', { n: 100 }));
  expect(await rows.count()).toBe(100);
  const [more] = await Promise.all([listed((u) => u.searchParams.get('cursor') === '100'), page.click('[data-testid=more-intel]')]);
  expect(new URL(more.url()).searchParams.get('limit')).toBe('100');
  await expect.poll(() => rows.count()).toBe(total);
  expect(await page.locator('[data-testid=intel-count]').textContent()).toBe(t('intel.count', { n: total }));
  expect(await table.locator('thead').textContent()).toContain(t('intel.col.lastHit'));
  await shot('list');

  // ---- Filters: type, expired ones, text (in the URL) ----
  const filter = page.locator('[data-testid=intel-filter]');
  const [byType] = await Promise.all([listed((u) => u.searchParams.get('type') === 'domain'), filter.locator('select[name=type]').selectOption('domain')]);
  expect(new URL(byType.url()).searchParams.get('expired')).toBeNull();
  await until(async () => (await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-value')))).join() === 'evil.example.com', 'the active domain only');
  const [withExpired] = await Promise.all([listed((u) => u.searchParams.get('expired') === 'true'), filter.locator('input[name=expired]').check()]);
  expect(new URL(withExpired.url()).searchParams.get('type')).toBe('domain');
  await expect.poll(() => table.locator('tr[data-value="bad.example.org"]').getAttribute('data-expired')).toBe('true');
  expect(await table.locator('tr[data-value="bad.example.org"] [data-testid=expired]').textContent()).toBe(t('intel.expired'));
  await page.waitForURL((u) => u.searchParams.get('type') === 'domain' && u.searchParams.get('expired') === 'true');
  await filter.locator('button:has-text("' + t('action.reset') + '")').click();
  await page.waitForURL((u) => u.pathname === '/intel' && u.search === '');
  await filter.locator('input[name=q]').fill('cobalt');
  const [byText] = await Promise.all([listed((u) => u.searchParams.get('q') === 'cobalt'), filter.locator('input[name=q]').press('Enter')]);
  expect(new URL(byText.url()).searchParams.get('limit')).toBe('100');
  await until(async () => (await rows.count()) === 1 && (await rows.first().getAttribute('data-value')) === '203.0.113.7', 'the Cobalt Strike server only');

  // ---- One indicator in its drawer ----
  await rows.first().click();
  await page.waitForURL((u) => u.searchParams.get('q') === 'cobalt' && !!u.searchParams.get('id'));
  const drawer = page.locator('[data-testid=indicator-drawer]');
  const facts = drawer.locator('[data-testid=indicator-facts]');
  await expect.poll(() => facts.textContent()).toContain('https://intel.example.com/reports/42');
  expect(await facts.textContent()).toContain('T1071.001');
  expect(await facts.textContent()).toContain(t('intel.type.ip'));
  await shot('drawer');
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });
  expect(new URL(page.url()).searchParams.get('id')).toBeNull();
  await filter.locator('button:has-text("' + t('action.reset') + '")').click();
  await page.waitForURL((u) => u.pathname === '/intel' && u.search === '');

  // ---- Import a small text feed under a new source ----
  const feed = `# a feed for the console\n203.0.113.90\n${domain}\nnot a value\nhttp://${domain}/payload.sh\n`;
  await page.click('[data-testid=intel-import]');
  const dialog = page.locator('[data-testid=intel-import-dialog]');
  expect(await dialog.locator('h2').textContent()).toBe(t('intel.importTitle'));
  expect(await dialog.locator('[data-testid=intel-import-send]').isDisabled()).toBe(true);
  await dialog.locator('[data-testid=intel-import-file]').setInputFiles({ name: `${source}.txt`, mimeType: 'text/plain', buffer: Buffer.from(feed) });
  expect(await dialog.locator('input[name=source]').inputValue()).toBe(source);
  await dialog.locator('select[name=severity]').selectOption('high');
  await dialog.locator('input[name=confidence]').fill('85');
  await dialog.locator('input[name=tags]').fill('c2, ui');
  await dialog.locator('input[name=expires_in]').fill('30d');
  expect(await dialog.textContent()).toContain(t('intel.importExpiresInBad'));
  expect(await dialog.locator('[data-testid=intel-import-send]').isDisabled()).toBe(true);
  await dialog.locator('input[name=expires_in]').fill('720h');
  expect(await dialog.locator('[data-testid=replace-hint]').textContent()).toBe(t('intel.importReplaceOff'));
  await shot('import');
  const [imported] = await Promise.all([
    page.waitForRequest(apiRequest('POST', '/intel/import')),
    dialog.locator('[data-testid=intel-import-send]').click(),
  ]);
  // The fake center reads uploads slowly: the progress shows meanwhile.
  await dialog.locator('[data-testid=intel-upload]').waitFor();
  expect(Object.fromEntries(new URL(imported.url()).searchParams)).toEqual({ source, severity: 'high', confidence: '85', tags: 'c2,ui', expires_in: '720h' });
  const result = dialog.locator('[data-testid=intel-result]');
  await result.waitFor();
  const counts = async () => Object.fromEntries(await result.locator('[data-count]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-count'), e.textContent])));
  expect(await counts()).toEqual({
    read: t('intel.result.read', { n: 4 }),
    added: t('intel.result.added', { n: 3 }),
    updated: t('intel.result.updated', { n: 0 }),
    removed: t('intel.result.removed', { n: 0 }),
    skipped: t('intel.result.skipped', { n: 1 }),
  });
  expect(await result.getAttribute('data-format')).toBe('text');
  expect(await result.locator('tr[data-line="4"]').textContent()).toContain('"not a value" is not an IP address, domain, URL or file hash');
  await shot('imported');
  await dialog.locator('[data-testid=intel-dialog-done]').click();
  await dialog.waitFor({ state: 'detached' });
  const stored = server.intel.indicators.filter((i) => i.source === source);
  expect(stored.map((i) => i.value).sort()).toEqual(['203.0.113.90', `http://${domain}/payload.sh`, domain].sort());
  expect(stored.every((i) => i.severity === 'high' && i.confidence === 85 && i.tags?.join() === 'c2,ui' && !!i.expires_at)).toBe(true);

  // The new source in the filter, its indicators listed.
  await until(async () => (await filter.locator(`select[name=source] option[value="${source}"]`).count()) === 1, 'the new source offered');
  await Promise.all([listed((u) => u.searchParams.get('source') === source), filter.locator('select[name=source]').selectOption(source)]);
  await until(async () => (await rows.count()) === 3, `the 3 indicators of ${source}`);
  expect(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-source')))).toEqual([source, source, source]);

  // ---- Import again, replacing the source ----
  await page.click('[data-testid=intel-import]');
  await dialog.locator('[data-testid=intel-import-file]').setInputFiles({ name: 'smaller.txt', mimeType: 'text/plain', buffer: Buffer.from('203.0.113.90\n') });
  await dialog.locator('input[name=source]').fill(source);
  await dialog.locator('input[name=replace]').check();
  expect(await dialog.locator('[data-testid=replace-hint]').textContent()).toBe(t('intel.importReplaceOn', { source }));
  const [replaced] = await Promise.all([page.waitForRequest(apiRequest('POST', '/intel/import')), dialog.locator('[data-testid=intel-import-send]').click()]);
  expect(Object.fromEntries(new URL(replaced.url()).searchParams)).toEqual({ source, replace: 'true' });
  await result.waitFor();
  expect(await counts()).toMatchObject({ updated: t('intel.result.updated', { n: 1 }), removed: t('intel.result.removed', { n: 2 }), skipped: t('intel.result.skipped', { n: 0 }) });
  await dialog.locator('[data-testid=intel-dialog-done]').click();
  await until(async () => (await rows.count()) === 1 && (await rows.first().getAttribute('data-value')) === '203.0.113.90', 'the source replaced');

  // ---- Check values ----
  const check = page.locator('[data-testid=intel-check]');
  const checkValue = async (value: string) => {
    await check.locator('input[name=check]').fill(value);
    const [res] = await Promise.all([page.waitForResponse(apiResponse('GET', '/intel/check')), check.locator('[data-testid=intel-check-submit]').click()]);
    expect(new URL(res.url()).searchParams.get('value')).toBe(value);
    return res.status();
  };
  expect(await checkValue('203.0.113.90')).toBe(200);
  await expect.poll(() => check.locator('[data-testid=check-result]').getAttribute('data-matches')).toBe('1');
  expect(await check.locator('[data-testid=check-matches]').textContent()).toContain(source);
  expect(await check.locator('[data-testid=check-result]').textContent()).toContain(t('intel.check.read', { type: t('intel.type.ip') }));
  expect(await checkValue('WWW.Evil.Example.COM')).toBe(200);
  await expect.poll(() => check.locator('[data-testid=check-normalized]').textContent()).toBe('www.evil.example.com');
  expect(await check.locator('[data-testid=check-matches] tbody tr').count()).toBe(1);
  expect(await check.locator('[data-testid=check-matches]').textContent()).toContain('evil.example.com');
  await shot('check');
  expect(await checkValue(`x.${domain}`)).toBe(200);
  await expect.poll(() => check.locator('[data-testid=check-none]').textContent()).toBe(t('intel.check.none'));
  expect(await checkValue('not a value')).toBe(400);
  await expect.poll(() => check.locator('[data-testid=check-error]').textContent()).toContain('is not an IP address, domain, URL or file hash');

  // ---- Add indicators by hand ----
  await page.click('[data-testid=intel-add]');
  const add = page.locator('[data-testid=intel-add-dialog]');
  expect(await add.locator('input[name=source]').inputValue()).toBe('manual');
  await add.locator('textarea[name=values]').fill(`203.0.113.91\n\nzzz-${lang}\n# skipped\n203.0.113.91`);
  await add.locator('input[name=source]').fill(source);
  await add.locator('select[name=severity]').selectOption('critical');
  await add.locator('input[name=tags]').fill('by-hand');
  expect(await add.locator('[data-testid=intel-add-send]').textContent()).toBe(t('intel.addSend', { n: 2 }));
  const post = async () => {
    const [req, res] = await Promise.all([page.waitForRequest(apiRequest('POST', '/intel')), page.waitForResponse(apiResponse('POST', '/intel')), add.locator('[data-testid=intel-add-send]').click()]);
    return { body: req.postDataJSON(), status: res.status() };
  };
  const sent = await post();
  expect(sent.status).toBe(200);
  expect(sent.body).toEqual({
    source,
    indicators: [
      { value: '203.0.113.91', severity: 'critical', tags: ['by-hand'] },
      { value: `zzz-${lang}`, severity: 'critical', tags: ['by-hand'] },
    ],
  });
  const addResult = add.locator('[data-testid=intel-result]');
  await addResult.waitFor();
  expect(await addResult.locator('[data-count=added]').textContent()).toBe(t('intel.result.added', { n: 1 }));
  expect(await addResult.locator('[data-testid=intel-problems]').textContent()).toContain(`zzz-${lang}`);
  await add.locator('[data-testid=intel-dialog-done]').click();
  await add.waitFor({ state: 'detached' });
  // Nothing valid: refused, its problems shown.
  await page.click('[data-testid=intel-add]');
  await add.locator('textarea[name=values]').fill('nothing.valid here');
  const refused = await post();
  expect(refused.status).toBe(400);
  await expect.poll(() => add.locator('[data-testid=intel-refused]').textContent()).toContain('"nothing.valid here" is not an IP address, domain, URL or file hash');
  expect(await add.locator('.error-banner').textContent()).toContain('no valid indicator');
  await shot('refused');
  await add.locator('button:has-text("' + t('action.cancel') + '")').click();
  await add.waitFor({ state: 'detached' });

  // ---- Delete one indicator ----
  const handRow = table.locator('tr[data-value="203.0.113.91"]');
  await until(async () => (await handRow.count()) === 1, 'the added indicator listed');
  const id = (await handRow.getAttribute('data-indicator-id'))!;
  await handRow.locator('button[data-action=delete]').click();
  const confirm = page.locator('[data-testid=confirm]');
  expect(await confirm.locator('h2').textContent()).toBe(t('intel.deleteTitle'));
  expect(await confirm.textContent()).toContain(t('intel.deleteText', { value: '203.0.113.91', source }));
  const [deleted] = await Promise.all([page.waitForResponse(apiResponse('DELETE', `/intel/${id}`)), page.click('[data-testid=confirm-ok]')]);
  expect(deleted.status()).toBe(204);
  await handRow.waitFor({ state: 'detached' });
  expect(server.intel.indicators.some((i) => i.id === id)).toBe(false);

  // ---- The sources: the new one deleted ----
  await page.click('[data-testid=intel-tabs] [data-tab=sources]');
  await page.waitForURL((u) => u.pathname === '/intel/sources');
  const sources = page.locator('[data-testid=intel-sources-table]');
  const mine = sources.locator(`tr[data-source="${source}"]`);
  await expect.poll(() => mine.locator('[data-testid=source-count]').textContent()).toBe('1');
  expect(await sources.locator('tr[data-source="feodo-ips"] [data-testid=source-count]').textContent()).toBe('130');
  await shot('sources');
  await mine.locator('button[data-action=delete]').click();
  expect(await confirm.locator('h2').textContent()).toBe(t('intel.sources.deleteTitle', { name: source }));
  expect(await confirm.textContent()).toContain(t('intel.sources.deleteText', { name: source, n: 1 }));
  const [dropped] = await Promise.all([page.waitForResponse(apiResponse('DELETE', `/intel/sources/${source}`)), page.click('[data-testid=confirm-ok]')]);
  expect(await dropped.json()).toEqual({ removed: 1 });
  await mine.waitFor({ state: 'detached' });
  expect(server.intel.indicators.some((i) => i.source === source)).toBe(false);
}

/** baselinesWalk walks the login baselines in one language, as an admin: en resets web-01's deploy, zh web-02's alice. */
export async function baselinesWalk(page: Page, server: Server, token: string, shots: Shots, lang: Lang): Promise<void> {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => tr(lang, key, vars);
  const shot = async (name: string) => {
    if (shots.always) await page.screenshot({ path: join(shots.dir, `baselines-${name}-${lang}.png`) });
  };
  const agentId = lang === 'en' ? '7f1c2a9e-0001' : '7f1c2a9e-0002';
  const user = lang === 'en' ? 'deploy' : 'alice';
  const host = hosts[agentId]!;
  const profile = server.intel.profiles.find((p) => p.agent_id === agentId && p.user === user)!;
  expect(profile).toBeTruthy();
  await open(page, server, token, lang, '/baselines/logins');
  expect(await page.locator('.topbar h1').textContent()).toBe(t('nav.loginBaselines'));
  const table = page.locator('[data-testid=baseline-table]');
  const rows = table.locator('tbody tr:not(.expanded)');
  await table.waitFor();
  await expect.poll(() => rows.count()).toBe(server.intel.profiles.length);
  expect(await page.locator('[data-testid=baseline-count]').textContent()).toBe(t('baseline.count', { n: server.intel.profiles.length }));
  expect(await table.locator('tr[data-status=learning]').first().textContent()).toContain(t('baseline.status.learning'));

  // ---- Filters: the host, then the user ----
  const filter = page.locator('[data-testid=baseline-filter]');
  const listed = (check: (u: URL) => boolean) => page.waitForRequest(apiRequest('GET', '/baselines/logins', check));
  await Promise.all([listed((u) => u.searchParams.get('agent_id') === agentId), filter.locator('select[name=agent_id]').selectOption(agentId)]);
  await until(async () => {
    const ids = await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-agent-id')));
    return ids.length === server.intel.profiles.filter((p) => p.agent_id === agentId).length && ids.every((id) => id === agentId);
  }, `the profiles of ${host}`);
  await filter.locator('input[name=user]').fill(user);
  const [byUser] = await Promise.all([listed((u) => u.searchParams.get('user') === user), filter.locator('input[name=user]').press('Enter')]);
  expect(new URL(byUser.url()).searchParams.get('agent_id')).toBe(agentId);
  await page.waitForURL((u) => u.searchParams.get('agent_id') === agentId && u.searchParams.get('user') === user);
  const row = table.locator(`tr[data-agent-id="${agentId}"][data-user="${user}"]`);
  await until(async () => (await rows.count()) === 1 && (await row.count()) === 1, `${user} on ${host} only`);
  expect(await row.textContent()).toContain(host);
  expect(await row.getAttribute('data-status')).toBe('learned');

  // ---- Its hours and addresses ----
  await row.click();
  const detail = table.locator('[data-testid=profile-detail]');
  await detail.waitFor();
  const hist = detail.locator('[data-testid=hour-histogram]');
  expect(await hist.getAttribute('data-time-zone')).toBe('Asia/Shanghai');
  expect(await hist.locator('figcaption').textContent()).toContain(t('baseline.timeZone', { zone: 'Asia/Shanghai' }));
  const hours = await hist.locator('li[data-hour]').evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-count'))));
  expect(hours).toEqual(profile.hours);
  expect(hours.reduce((a, b) => a + b, 0)).toBe(profile.logins);
  const busiest = hours.indexOf(Math.max(...hours));
  expect(await hist.locator(`li[data-hour="${busiest}"]`).getAttribute('title')).toBe(t('baseline.hourCount', { hour: `${String(busiest).padStart(2, '0')}:00`, n: hours[busiest]! }));
  expect(await detail.locator('[data-testid=profile-sources] tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-ip')))).toEqual((profile.sources ?? []).map((s) => s.ip));
  await shot('profile');

  // ---- Reset it: learning starts again ----
  await row.locator('button[data-action=reset]').click();
  const confirm = page.locator('[data-testid=confirm]');
  expect(await confirm.locator('h2').textContent()).toBe(t('baseline.resetTitle', { user, host }));
  expect(await confirm.textContent()).toContain(t('baseline.resetLearning'));
  await shot('reset');
  const [req, res] = await Promise.all([page.waitForRequest(apiRequest('DELETE', '/baselines/logins')), page.waitForResponse(apiResponse('DELETE', '/baselines/logins')), page.click('[data-testid=confirm-ok]')]);
  expect(Object.fromEntries(new URL(req.url()).searchParams)).toEqual({ agent_id: agentId, user });
  expect(await res.json()).toEqual({ removed: 1 });
  await row.waitFor({ state: 'detached' });
  expect(await page.locator('[data-testid=baseline-notice]').textContent()).toBe(t('baseline.resetDone', { n: 1, host }));
  expect(server.intel.profiles.some((p) => p.agent_id === agentId && p.user === user)).toBe(false);
  expect(await page.locator('[data-testid=reset-host]').textContent()).toBe(t('baseline.resetHost'));

  // ---- From the host's drawer to its baselines ----
  await page.goto(`${server.url}/agents/${agentId}`);
  const drawer = page.locator('[data-testid=agent-drawer]');
  const link = drawer.locator(`a[href="/baselines/logins?agent_id=${agentId}"]`);
  await link.waitFor();
  expect(await link.textContent()).toBe(t('agent.loginBaselines'));
  await link.click();
  await page.waitForURL((u) => u.pathname === '/baselines/logins' && u.searchParams.get('agent_id') === agentId);
  await until(async () => (await rows.count()) === server.intel.profiles.filter((p) => p.agent_id === agentId).length, `the remaining profiles of ${host}`);
  await expect.poll(() => filter.locator('select[name=agent_id] option:checked').textContent()).toBe(host);
}

/** intelViewerWalk reads threat intelligence and login baselines as a viewer: no change offered. */
export async function intelViewerWalk(page: Page, server: Server, token: string): Promise<void> {
  const t = (key: MessageKey) => tr('en', key);
  const writes = () => server.requests.filter((r) => r.method !== 'GET' && (r.path.startsWith('/intel') || r.path.startsWith('/baselines'))).length;
  const before = writes();
  await open(page, server, token, 'en', '/intel');
  await expect.poll(() => page.locator('.topbar .user-role').textContent()).toBe('viewer');
  const table = page.locator('[data-testid=intel-table]');
  await table.locator('tbody tr').first().waitFor();
  for (const id of ['intel-add', 'intel-import']) {
    expect(await page.locator(`[data-testid=${id}]`).isDisabled()).toBe(true);
    expect(await page.locator(`[data-testid=${id}]`).getAttribute('title')).toBe(t('error.needAnalyst'));
  }
  expect(await table.locator('button[data-action=delete]').count()).toBe(0);
  // Checking reads: a viewer may.
  await page.locator('[data-testid=intel-check] input[name=check]').fill('203.0.113.7');
  await page.click('[data-testid=intel-check-submit]');
  await expect.poll(() => page.locator('[data-testid=check-result]').getAttribute('data-matches')).toBe('1');
  await table.locator('tbody tr').first().click();
  const drawer = page.locator('[data-testid=indicator-drawer]');
  await drawer.locator('[data-testid=indicator-facts]').waitFor();
  expect(await drawer.locator('[data-testid=delete-indicator]').count()).toBe(0);
  await page.keyboard.press('Escape');
  await page.goto(`${server.url}/intel/sources`);
  await page.locator('[data-testid=intel-sources-table]').waitFor();
  expect(await page.locator('[data-testid=intel-sources-table] button[data-action=delete]').count()).toBe(0);
  await page.goto(`${server.url}/baselines/logins?agent_id=7f1c2a9e-0001`);
  const rows = page.locator('[data-testid=baseline-table] tbody tr:not(.expanded)');
  await rows.first().waitFor();
  expect(await page.locator('[data-testid=baseline-table] button[data-action=reset]').count()).toBe(0);
  expect(await page.locator('[data-testid=reset-host]').count()).toBe(0);
  await rows.first().click();
  await page.locator('[data-testid=hour-histogram]').waitFor();
  expect(writes()).toBe(before);
}
