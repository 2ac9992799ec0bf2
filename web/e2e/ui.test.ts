// The console scenario against the fake API on 127.0.0.1, serving the
// built app (npm run build first).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './browser';
import { fakeToken, fakeUser, liveAgent, startFakeServer } from './fake-server.mjs';
import { runScenario, signIn } from './scenario';
import { screenshotDir } from './shots';

const distIndex = new URL('../../internal/center/console/dist/index.html', import.meta.url);

describe('console against the fake API', () => {
  let server: Awaited<ReturnType<typeof startFakeServer>>;
  let browser: Browser;
  const shots = screenshotDir('vigil-console-ui');

  beforeAll(async () => {
    if (!existsSync(distIndex)) throw new Error('the console is not built: run npm run build first');
    server = await startFakeServer();
    browser = await openBrowser({ locale: 'en-US' });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (!shots.always && readdirSync(shots.dir).length === 0) rmSync(shots.dir, { recursive: true, force: true });
  });

  it('runs the analyst scenario', async () => {
    const page = await browser.context.newPage();
    await runScenario(page, {
      baseURL: server.url,
      credentials: fakeUser,
      agents: { 'web-01': 'online', 'db-01': 'lost', 'build-02': 'stopped', 'old-ws': 'uninstalled' },
      liveChange: { id: liveAgent.id, to: 'lost' },
      loginErrorText: 'missing or invalid token',
      requireNewAlert: true,
      requireMoreEvents: true,
      eventFilter: { category: 'process', q: 'sh' },
      shotsDir: shots.dir,
      shotsAlways: shots.always,
    });
    await page.close();

    // What the fake center received, seen from its side.
    const ack = server.requests.find((r) => r.method === 'POST' && r.path === '/alerts/al-0001/state');
    expect(ack?.body).toMatchObject({ state: 'acknowledged' });
    const filtered = server.requests.find((r) => r.path === '/events' && r.query.category?.[0] === 'process');
    expect(filtered?.query).toMatchObject({ category: ['process'], q: ['sh'], limit: ['100'] });
    expect(server.requests.some((r) => r.method === 'POST' && r.path === '/logout')).toBe(true);
  });

  it('shows the wrong password message and signs in with a token', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/login`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'wrong');
    await page.click('[data-testid=login-password] button[type=submit]');
    await expect.poll(() => page.locator('.error-banner').textContent()).toContain('invalid username or password');
    await expect.poll(() => page.locator('.error-banner .error-code').textContent()).toBe('unauthorized');
    await signIn(page, { token: fakeToken });
    await expect.poll(() => page.locator('.topbar .user-name').textContent()).toBe('token:e2e');
    await page.close();
  });

  it('opens an agent by URL and shows its plugins, stats and history', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/agents/7f1c2a9e-0001`);
    await signIn(page, { token: fakeToken });
    await page.waitForURL((u) => u.pathname === '/agents/7f1c2a9e-0001');
    const drawer = page.locator('[data-testid=agent-drawer]');
    await drawer.locator('[data-testid=plugins-table]').waitFor();
    await expect.poll(() => drawer.locator('tr[data-plugin="exec/ebpf"]').textContent()).toContain('lacks BTF');
    await expect.poll(() => drawer.locator('[data-testid=stats]').textContent()).toContain('42 MiB');
    await expect.poll(() => drawer.locator('[data-testid=agent-history] tbody tr').count()).toBe(4);
    await drawer.locator('button[data-command=status]').click();
    await expect.poll(() => drawer.locator('[data-testid=command-result] .result').getAttribute('data-ok')).toBe('true');
    if (shots.always) await page.screenshot({ path: join(shots.dir, 'agent-plugins.png') });
    await page.close();
  });

  it('starts in Chinese for a Chinese browser', async () => {
    const zh = await openBrowser({ locale: 'zh-CN' });
    try {
      const page = await zh.context.newPage();
      await page.goto(`${server.url}/login`);
      await expect.poll(() => page.locator('.login-card h1').textContent()).toBe('登录');
      if (shots.always) await page.screenshot({ path: join(shots.dir, 'login-zh.png') });
    } finally {
      await zh.close();
    }
  });
});
