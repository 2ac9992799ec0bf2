// The console scenario run in headless Chromium, against the fake API
// (npm run test:ui) and against a real center (npm run test:e2e). It walks
// the console as an analyst would and checks what the pages show and what
// requests they send.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { AgentStatus } from '../src/api/types';
import { adminSteps } from './scenarioAdmin';
import { complianceSteps } from './scenarioCompliance';
import { detectSteps } from './scenarioDetect';
import { riskSteps } from './scenarioRisk';
import { fleetCleanup, fleetSteps } from './scenarioFleet';
import { apiRequest, goNav, signIn, until, type Credentials, type Ctx } from './steps';

export { signIn, until, type Credentials } from './steps';

export interface ScenarioOptions {
  baseURL: string;
  credentials: Credentials;
  /** Agents that must be listed with these statuses, by id or hostname. */
  agents?: Record<string, AgentStatus>;
  /** An agent whose status must change while the page stays open. */
  liveChange?: { id: string; to: AgentStatus };
  /** Text the error for a wrong token must contain (any message when unset). */
  loginErrorText?: string;
  /** Fail when there is no new alert to triage (else that part is skipped). */
  requireNewAlert?: boolean;
  /** Fail when the filtered events have no second page. */
  requireMoreEvents?: boolean;
  /** The events filter to apply. */
  eventFilter?: { category: string; q: string };
  /** Where screenshots go: on failure always, after every step when shotsAlways. */
  shotsDir: string;
  shotsAlways?: boolean;
  /** Fail when the audit log has no second page. */
  requireMoreAudit?: boolean;
  /** Fail when the online agent keeps no process table (a process sensor
   * runs where the agent is root). */
  requireProcesses?: boolean;
  /** Fail when the online agent has no compliance results, its run now
   * fails or its report does not come (a policy is assigned to it). */
  requireCompliance?: boolean;
  log?: (msg: string) => void;
}

/** rowStatus returns the status shown for an agent given by id or hostname. */
async function rowStatus(page: Page, key: string): Promise<string | null> {
  return page.evaluate((k) => {
    for (const tr of document.querySelectorAll<HTMLTableRowElement>('[data-testid=agents-table] tbody tr')) {
      const host = tr.querySelector('td.c-host .strong')?.textContent?.trim();
      if (tr.dataset.agentId === k || host === k) return tr.dataset.status ?? null;
    }
    return null;
  }, key);
}

const englishStatus: Record<AgentStatus, string> = { enrolled: 'Enrolled', online: 'Online', stopped: 'Stopped', uninstalled: 'Uninstalled', lost: 'Lost' };

export async function runScenario(page: Page, opts: ScenarioOptions): Promise<void> {
  const log = opts.log ?? (() => undefined);
  const base = opts.baseURL.replace(/\/$/, '');
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  let agentListings = 0;
  page.on('request', (r) => {
    if (apiRequest('GET', '/agents')(r)) agentListings++;
  });

  let n = 0;
  const shot = async (name: string, other?: Page) => {
    const file = join(opts.shotsDir, `${String(++n).padStart(2, '0')}-${name}.png`);
    await (other ?? page).screenshot({ path: file }).catch(() => undefined);
    return file;
  };
  const step = async (name: string, fn: () => Promise<void>) => {
    log(`step: ${name}`);
    try {
      await fn();
      assert.deepEqual(problems, [], 'the page reported errors');
    } catch (err) {
      const file = await shot(`${name}-failure`);
      const msg = err instanceof Error ? err.message : String(err);
      throw new Error(`step "${name}" failed: ${msg}\nscreenshot: ${file}`, { cause: err });
    }
    if (opts.shotsAlways) await shot(name);
  };

  await step('sign-in page', async () => {
    await page.goto(`${base}/agents`);
    await page.waitForURL((u) => u.pathname === '/login');
    await page.locator('input[name=username]').waitFor();
    assert.equal(await page.locator('.login-card h1').textContent(), 'Sign in');
  });

  await step('wrong token is refused', async () => {
    await page.fill('input[name=token]', `vgt_wrong_${Date.now()}`);
    await page.click('[data-testid=login-token] button[type=submit]');
    const banner = page.locator('.error-banner');
    await banner.waitFor();
    const text = (await banner.textContent()) ?? '';
    assert.ok(text.replace('Error:', '').trim().length > 0, 'the error banner is empty');
    if (opts.loginErrorText) assert.ok(text.includes(opts.loginErrorText), `error "${text}" lacks "${opts.loginErrorText}"`);
    assert.equal(new URL(page.url()).pathname, '/login');
  });

  await step('sign in', () => signIn(page, opts.credentials));

  await step('agents', async () => {
    for (const [key, status] of Object.entries(opts.agents ?? {})) {
      await until(async () => (await rowStatus(page, key)) === status, `agent ${key} shown as ${status}`, 15_000);
      const row = page.locator(`[data-testid=agents-table] tbody tr[data-status=${status}]`).first();
      assert.equal((await row.locator('.badge').first().textContent())?.trim(), englishStatus[status]);
    }
    const before = agentListings;
    await until(() => agentListings >= before + 1, 'the agents listing to refresh by itself', 8_000);
  });

  if (opts.liveChange) {
    const { id, to } = opts.liveChange;
    await step('live status change', async () => {
      const url = page.url();
      await until(async () => (await rowStatus(page, id)) === to, `agent ${id} to turn ${to} without reload`, 20_000);
      assert.equal(page.url(), url);
    });
  }

  await step('agents status filter', async () => {
    const [req] = await Promise.all([
      page.waitForRequest(apiRequest('GET', '/agents', (u) => u.searchParams.get('status') === 'online')),
      page.selectOption('select[name=status]', 'online'),
    ]);
    assert.ok(req);
    await until(
      () => page.$$eval('[data-testid=agents-table] tbody tr', (rows) => rows.every((r) => (r as HTMLElement).dataset.status === 'online')),
      'only online agents listed',
    );
    assert.match(page.url(), /status=online/);
    await page.selectOption('select[name=status]', '');
    await until(async () => !/status=/.test(page.url()), 'the status filter to clear');
  });

  await step('agent detail and ping', async () => {
    const rows = page.locator('[data-testid=agents-table] tbody tr');
    await rows.first().waitFor();
    const online = page.locator('[data-testid=agents-table] tbody tr[data-status=online]');
    const row = (await online.count()) > 0 ? online.first() : rows.first();
    const id = await row.getAttribute('data-agent-id');
    assert.ok(id, 'row without agent id');
    await row.click();
    const drawer = page.locator('[data-testid=agent-drawer]');
    await drawer.waitFor();
    await page.waitForURL((u) => u.pathname === `/agents/${encodeURIComponent(id)}`);
    await drawer.locator('[data-testid=agent-history], .section .empty').first().waitFor();
    const [req] = await Promise.all([
      page.waitForRequest(apiRequest('POST', '/agents/commands')),
      drawer.locator('button[data-command=ping]').click(),
    ]);
    const body = req.postDataJSON() as { command: string; agent_ids: string[] };
    assert.equal(body.command, 'ping');
    assert.deepEqual(body.agent_ids, [id]);
    await drawer.locator('[data-testid=command-result], .error-banner').first().waitFor({ timeout: 30_000 });
    if (opts.shotsAlways) await shot('agent-drawer');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    assert.equal(new URL(page.url()).pathname, '/agents');
  });

  // Fleet management and administration, then their cleanup: the changes
  // made on the way are checked again in the audit log.
  const ctx: Ctx = { page, base, step, shot, log, shotsAlways: !!opts.shotsAlways, stamp: String(Date.now() % 1_000_000_000) };
  const fleet = await fleetSteps(ctx);
  await adminSteps(ctx, fleet, { requireMoreAudit: !!opts.requireMoreAudit });
  await fleetCleanup(ctx, fleet);

  await step("the agent's processes and events", async () => {
    await goNav(ctx, '/agents', 'agents-table');
    await page.click(`[data-testid=agents-table] tr[data-agent-id="${fleet.agentId}"] td.c-host`);
    const drawer = page.locator('[data-testid=agent-drawer]');
    await drawer.waitFor();
    await drawer.locator('[data-tab=processes]').click();
    const tree = drawer.locator('[data-testid=process-tree]');
    const failed = drawer.locator('[data-testid=processes-error]');
    await until(async () => (await tree.count()) > 0 || (await failed.count()) > 0, 'the process tree or why there is none', 30_000);
    if ((await tree.count()) > 0) {
      // The real host's table: pid 1 at the root, every process counted.
      await until(async () => (await tree.locator('tr[data-pid="1"]').count()) === 1, 'pid 1 in the tree');
      const counts = (await drawer.locator('[data-testid=process-count]').textContent()) ?? '';
      assert.match(counts, /^\d+ processes/);
      log(`process tree: ${counts}`);
      if (opts.shotsAlways) await shot('agent-processes');
    } else {
      const why = (await failed.textContent()) ?? '';
      assert.ok(!opts.requireProcesses, `no process tree: ${why}`);
      log(`no process tree on this agent: ${why}`);
    }
    await drawer.locator('[data-tab=events]').click();
    await drawer.locator('[data-testid=agent-events-table]').waitFor({ timeout: 30_000 });
    assert.ok((await drawer.locator('[data-testid=agent-events-table] tbody tr').count()) > 0, "no event in the agent's events tab");
    if (opts.shotsAlways) await shot('agent-events');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });

  await step('language switch', async () => {
    await page.click('.topbar .lang-switch button:has-text("中文")');
    await until(async () => (await page.locator('.topbar h1').textContent()) === '主机代理', 'the title in Chinese');
    assert.equal(await page.locator('.nav a[href="/alerts"]').textContent(), '告警');
    assert.ok((await page.locator('[data-testid=agents-table] thead').textContent())?.includes('主机名'));
    assert.equal(await page.evaluate(() => localStorage.getItem('vigil.lang')), 'zh');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    await page.reload();
    await until(async () => (await page.locator('.topbar h1').textContent()) === '主机代理', 'Chinese kept after reload');
    if (opts.shotsAlways) await shot('agents-zh');
    await page.click('.topbar .lang-switch button:has-text("English")');
    await until(async () => (await page.locator('.topbar h1').textContent()) === 'Agents', 'the title back in English');
  });

  await step('alerts', async () => {
    await page.click('.nav a[href="/alerts"]');
    await page.waitForURL((u) => u.pathname === '/alerts');
    await page.locator('[data-testid=alerts-table], .empty').first().waitFor();
    const [req] = await Promise.all([
      page.waitForRequest(apiRequest('GET', '/alerts', (u) => u.searchParams.get('state') === 'new')),
      page.selectOption('select[name=state]', 'new'),
    ]);
    assert.ok(req);
    await page.locator('[data-testid=alerts-table], .empty').first().waitFor();
    const row = page.locator('[data-testid=alerts-table] tbody tr[data-state=new]').first();
    if ((await row.count()) === 0) {
      assert.ok(!opts.requireNewAlert, 'no new alert to triage');
      log('no new alert: triage skipped');
      return;
    }
    const id = await row.getAttribute('data-alert-id');
    assert.ok(id);
    // The title's cell: other cells hold links (the alert's incident).
    await row.locator('td').nth(1).click();
    const drawer = page.locator('[data-testid=alert-drawer]');
    await drawer.locator('button[data-action=acknowledged]').waitFor();
    await drawer.locator('[data-testid=alert-rule]').waitFor();
    const comment = `checked from the console ${Date.now()}`;
    await drawer.locator('textarea[name=comment]').fill(comment);
    const [post] = await Promise.all([
      page.waitForRequest(apiRequest('POST', `/alerts/${encodeURIComponent(id)}/state`)),
      drawer.locator('button[data-action=acknowledged]').click(),
    ]);
    assert.deepEqual(post.postDataJSON(), { state: 'acknowledged', comment });
    await drawer.locator('.drawer-sub [data-state=acknowledged]').waitFor();
    await until(async () => ((await drawer.locator('[data-testid=alert-comments]').textContent()) ?? '').includes(comment), 'the comment listed');
    await drawer.locator('button[data-action=new]').waitFor();
    if (opts.shotsAlways) await shot('alert-drawer');
    await page.keyboard.press('Escape');
    await until(async () => (await page.locator(`tr[data-alert-id="${id}"]`).getAttribute('data-state')) === 'acknowledged', 'the row updated');
    await page.selectOption('select[name=state]', '');
  });

  await step('events', async () => {
    await page.click('.nav a[href="/events"]');
    await page.waitForURL((u) => u.pathname === '/events');
    await page.locator('[data-testid=events-table], .empty').first().waitFor();
    const filter = opts.eventFilter ?? { category: 'process', q: 'sh' };
    const since = new Date(Date.now() - 2 * 86_400_000);
    const pad = (x: number) => String(x).padStart(2, '0');
    const local = `${since.getFullYear()}-${pad(since.getMonth() + 1)}-${pad(since.getDate())}T${pad(since.getHours())}:${pad(since.getMinutes())}`;
    await page.fill('input[name=category]', filter.category);
    await page.fill('input[name=q]', filter.q);
    await page.fill('input[name=since]', local);
    const [req] = await Promise.all([
      page.waitForRequest(apiRequest('GET', '/events', (u) => u.searchParams.get('category') === filter.category)),
      page.click('[data-testid=events-filter] button[type=submit]'),
    ]);
    const q = new URL(req.url()).searchParams;
    assert.equal(q.get('q'), filter.q);
    assert.equal(q.get('since'), new Date(local).toISOString().replace('.000Z', 'Z'));
    assert.equal(q.get('cursor'), null);
    await page.locator('[data-testid=events-table], .empty').first().waitFor();
    const rows = page.locator('[data-testid=events-table] tbody tr[data-event-id]');
    if ((await rows.count()) > 0) {
      await rows.first().click();
      const json = page.locator('tr.expanded .json-body');
      await json.waitFor();
      assert.ok(((await json.textContent()) ?? '').includes(`"${filter.category}"`), 'the expanded JSON lacks the category');
    }
    const more = page.locator('[data-testid=load-more]');
    if ((await more.count()) === 0) {
      assert.ok(!opts.requireMoreEvents, 'no second page of events');
      return;
    }
    const shown = await rows.count();
    const [next] = await Promise.all([
      page.waitForRequest(apiRequest('GET', '/events', (u) => !!u.searchParams.get('cursor'))),
      more.click(),
    ]);
    assert.equal(new URL(next.url()).searchParams.get('category'), filter.category);
    await until(async () => (await rows.count()) > shown, 'more events listed');
  });

  await step('inventory', async () => {
    await goNav(ctx, '/inventory', 'kind-tiles');
    const tiles = page.locator('[data-testid=kind-tiles] button[data-kind]:not([data-kind=all])');
    if ((await tiles.count()) > 0) {
      // A kind's tile lists that kind, and a row opens to its fields.
      const kind = (await tiles.first().getAttribute('data-kind')) ?? '';
      await tiles.first().click();
      await page.locator(`[data-testid=assets-table][data-kind="${kind}"]`).waitFor();
      await page.locator('[data-testid=assets-table] tbody tr').first().click();
      const drawer = page.locator('[data-testid=asset-drawer]');
      await drawer.locator('[data-testid=asset-detail]').waitFor();
      log(`inventory: ${await page.locator('[data-testid=kind-tiles] [data-kind=all] [data-testid=tile-count]').textContent()} items, first kind ${kind}`);
      if (opts.shotsAlways) await shot('inventory-detail');
      await page.keyboard.press('Escape');
      await drawer.waitFor({ state: 'detached' });
    } else {
      log('inventory: no agent has reported one');
    }
    // A search the center refuses is explained by the box.
    await page.fill('[data-testid=inventory-search] input[name=q]', 'colour:red');
    await page.click('[data-testid=inventory-search] button[type=submit]');
    await until(async () => ((await page.locator('[data-testid=search-error]').textContent()) ?? '').includes('unknown field "colour"'), "the center's reason for refusing the search");
    await page.click('[data-testid=inventory-tabs] [data-tab=changes]');
    await page.waitForURL((u) => u.pathname === '/inventory/changes');
    await page.locator('[data-testid=changes-table], .empty').first().waitFor();
    await page.goto(`${base}/agents/${encodeURIComponent(fleet.agentId)}?tab=inventory`);
    await page.locator('[data-testid=agent-inventory] [data-testid=host-kind-tiles], [data-testid=agent-inventory] .empty').first().waitFor({ timeout: 30_000 });
    if (opts.shotsAlways) await shot('agent-inventory');
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=agent-drawer]').waitFor({ state: 'detached' });
  });

  await detectSteps(ctx);

  await riskSteps(ctx, fleet.agentId);

  await complianceSteps(ctx, fleet.agentId, !!opts.requireCompliance);

  await step('expired session returns to sign-in', async () => {
    await page.evaluate(() =>
      sessionStorage.setItem('vigil.session', JSON.stringify({ token: 'vgt_expired', name: 'x', role: 'admin', kind: 'api' })),
    );
    await page.goto(`${base}/agents`);
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('expired') === '1');
    await page.locator('.info-banner').waitFor();
    await signIn(page, opts.credentials);
  });

  await step('sign out', async () => {
    await page.click('.topbar button:has-text("Sign out")');
    await page.waitForURL((u) => u.pathname === '/login');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('vigil.session')), null);
    await page.goto(`${base}/events`);
    await page.waitForURL((u) => u.pathname === '/login');
  });
}
