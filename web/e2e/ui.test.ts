// The console scenario against the fake API on 127.0.0.1, serving the
// built app (npm run build first).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './browser';
import { fakeToken, fakeUser, fakeViewerToken, liveAgent, startFakeServer } from './fake-server.mjs';
import { runScenario, signIn } from './scenario';
import { apiRequest } from './steps';
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
      requireMoreAudit: true,
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
    // What the administration steps left: nothing they created remains.
    expect(server.admin.joinTokens.some((t) => t.description.startsWith('console e2e'))).toBe(false);
    expect(server.admin.users.some((u) => u.name.startsWith('console-'))).toBe(false);
    expect(server.admin.apiTokens.some((t) => t.name.startsWith('console-'))).toBe(false);
    expect(server.admin.policies.map((p) => p.name).sort()).toEqual(['baseline', 'web']);
    const actions = new Set(server.admin.audit.map((e) => e.action));
    for (const a of ['token.create', 'user.create', 'apitoken.create', 'policy.put', 'agent.labels', 'command.ping']) expect(actions).toContain(a);
  });

  it('keeps a viewer to reading', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/login`);
    await signIn(page, { token: fakeViewerToken });
    await expect.poll(() => page.locator('.topbar .user-role').textContent()).toBe('viewer');
    expect(await page.locator('[data-testid=admin-nav]').count()).toBe(0);
    for (const path of ['/join-tokens', '/users', '/api-tokens', '/audit']) {
      await page.goto(`${server.url}${path}`);
      await expect.poll(() => page.locator('[data-testid=needs-role]').textContent()).toContain('Needs role admin');
    }
    // Policies read-only, no agent changes, no commands above the role.
    await page.goto(`${server.url}/policies/web`);
    const editor = page.locator('[data-testid=policy-editor]');
    await editor.locator('.info-banner').waitFor();
    expect(await editor.locator('[data-testid=save-policy]').count()).toBe(0);
    expect(await editor.locator('textarea[name=spec]').getAttribute('readonly')).not.toBeNull();
    await page.goto(`${server.url}/agents/7f1c2a9e-0001`);
    const drawer = page.locator('[data-testid=agent-drawer]');
    await drawer.locator('[data-testid=agent-policy]').waitFor();
    expect(await drawer.locator('[data-testid=edit-labels]').isDisabled()).toBe(true);
    expect(await drawer.locator('[data-testid=delete-agent]').count()).toBe(0);
    await page.keyboard.press('Escape');
    await page.click('[data-testid=open-command]');
    const cmd = page.locator('[data-testid=command-drawer]');
    expect(await cmd.locator('[data-testid=send-command]').isDisabled()).toBe(true);
    expect(await cmd.locator('[data-testid=command-note]').textContent()).toContain('analyst');
    if (shots.always) await page.screenshot({ path: join(shots.dir, 'viewer-command.png') });
    await page.close();
  });

  it('sends collect to a label selector, refuses to demote the last admin and deletes an agent', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/agents`);
    await signIn(page, { token: fakeToken });
    await page.click('[data-testid=open-command]');
    const cmd = page.locator('[data-testid=command-drawer]');
    await cmd.locator('input[name=target][value=selector]').check();
    await cmd.locator('input[name=selector]').fill('role=web');
    await cmd.locator('select[name=command]').selectOption('collect');
    await cmd.locator('input[name=collector]').fill('host/facts');
    const [req] = await Promise.all([page.waitForRequest(apiRequest('POST', '/agents/commands')), cmd.locator('[data-testid=send-command]').click()]);
    expect(req.postDataJSON()).toEqual({ command: 'collect', selector: { role: 'web' }, args: { name: 'host/facts' }, timeout: '10s' });
    await expect.poll(() => cmd.locator('[data-testid=command-results] tbody tr[data-agent-id]').count()).toBe(2);
    await cmd.locator('tr[data-ok=true] button').first().click();
    await expect.poll(() => cmd.locator('tr.expanded .json-body').textContent()).toContain('host/facts');
    if (shots.always) await page.screenshot({ path: join(shots.dir, 'collect-selector.png') });
    await page.keyboard.press('Escape');

    await page.goto(`${server.url}/users`);
    const admin = page.locator('[data-testid=users-table] tr[data-user=admin]');
    await admin.locator('select[name=role]').selectOption('viewer');
    await expect.poll(() => page.locator('.error-banner').textContent()).toContain('last enabled admin');
    expect(await admin.locator('select[name=role]').inputValue()).toBe('admin');

    await page.goto(`${server.url}/agents/7f1c2a9e-0005`);
    const drawer = page.locator('[data-testid=agent-drawer]');
    await drawer.locator('[data-testid=delete-agent]').click();
    const [del] = await Promise.all([page.waitForRequest(apiRequest('DELETE', '/agents/7f1c2a9e-0005')), page.click('[data-testid=confirm-ok]')]);
    expect(del).toBeTruthy();
    await page.waitForURL((u) => u.pathname === '/agents');
    await drawer.waitFor({ state: 'detached' });
    await expect.poll(() => page.locator('tr[data-agent-id="7f1c2a9e-0005"]').count()).toBe(0);
    await page.close();
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
      await signIn(page, { token: fakeToken });
      await expect.poll(() => page.locator('[data-testid=admin-nav] a[href="/join-tokens"]').textContent()).toBe('接入令牌');
      await page.click('.nav a[href="/join-tokens"]');
      await expect.poll(() => page.locator('.topbar h1').textContent()).toBe('接入令牌');
      await page.click('[data-testid=new-join-token]');
      await expect.poll(() => page.locator('[data-testid=join-token-dialog] h2').textContent()).toBe('新建接入令牌');
      if (shots.always) await page.screenshot({ path: join(shots.dir, 'join-token-zh.png') });
      await page.goto(`${server.url}/audit`);
      await page.locator('[data-testid=audit-table]').waitFor();
      if (shots.always) await page.screenshot({ path: join(shots.dir, 'audit-zh.png') });
    } finally {
      await zh.close();
    }
  });
});
