// The inventory in the browser, against the fake API's fixture inventory:
// the fleet's counts, searches in the search language (kept in the URL, a
// refused one explained), the columns of each kind, an item's detail,
// paging, the history with its diffs and filters, Chinese, and an agent's
// inventory tab.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Asset, AssetChange, InventorySet } from '../src/api/types';
import { apiRequest, signIn, until } from './steps';

interface Server {
  url: string;
  requests: { method: string; path: string; query: Record<string, string[]> }[];
  inventory: { items: Asset[]; changes: AssetChange[]; sets: InventorySet[] };
}

interface Shots {
  dir: string;
  always: boolean;
}

const web01 = '7f1c2a9e-0001';

/** rowTexts reads the text of each body row of a table. */
async function rowTexts(page: Page, table: string): Promise<string[]> {
  return page.locator(`${table} > tbody > tr:not(.expanded)`).evaluateAll((rows) => rows.map((r) => (r as HTMLElement).innerText.replace(/\s+/g, ' ').trim()));
}

export async function inventoryWalk(page: Page, server: Server, token: string, shots: Shots): Promise<void> {
  const shot = async (name: string) => {
    if (shots.always) await page.screenshot({ path: join(shots.dir, `${name}.png`) });
  };
  const inv = server.inventory;
  const kindCount = (k: string) => inv.items.filter((a) => a.kind === k).length;
  const hostCount = (k: string) => new Set(inv.items.filter((a) => a.kind === k).map((a) => a.agent_id)).size;

  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  await page.click('.nav a[href="/inventory"]');
  await page.waitForURL((u) => u.pathname === '/inventory');
  expect(await page.locator('.topbar h1').textContent()).toBe('Inventory');

  // The fleet's counts per kind, from the summary.
  const tiles = page.locator('[data-testid=kind-tiles]');
  await tiles.waitFor();
  await expect.poll(() => tiles.locator('[data-kind=all] [data-testid=tile-count]').textContent()).toBe(String(inv.items.length));
  expect(await tiles.locator('[data-kind=package] [data-testid=tile-count]').textContent()).toBe(String(kindCount('package')));
  expect(await tiles.locator('[data-kind=package]').textContent()).toContain(`Packages${kindCount('package')}on ${hostCount('package')} hosts`);
  expect(await tiles.locator('[data-kind=port] [data-testid=tile-count]').textContent()).toBe(String(kindCount('port')));
  const table = page.locator('[data-testid=assets-table]');
  await table.waitFor();
  await shot('inventory');

  // A tile filters by its kind, kept in the URL; the columns follow the kind.
  await tiles.locator('[data-kind=port]').click();
  await page.waitForURL((u) => u.searchParams.get('kind') === 'port');
  await page.locator('[data-testid=assets-table][data-kind=port]').waitFor();
  await expect.poll(() => table.locator('tbody tr').count()).toBe(kindCount('port'));
  expect(await table.locator('thead').innerText()).toMatch(/PORT\s+ADDRESS\s+PROCESS\s+USER\s+HOST/);
  expect(await tiles.locator('[data-kind=port]').getAttribute('aria-pressed')).toBe('true');
  const agentd = table.locator('tr[data-asset-key="tcp/127.0.0.1:3000"]');
  expect(await agentd.innerText()).toContain('/opt/tool/agentd');
  expect(await agentd.locator('[data-col=process] .text-warn').count()).toBe(1);
  await tiles.locator('[data-kind=port]').click();
  await page.waitForURL((u) => !u.searchParams.has('kind'));

  // The search language: the fixture's redis below 6, as middleware.
  const search = page.locator('[data-testid=inventory-search]');
  await search.locator('input[name=q]').fill('name:redis version<6');
  const [req] = await Promise.all([page.waitForRequest(apiRequest('GET', '/assets', (u) => u.searchParams.get('q') === 'name:redis version<6')), search.locator('button[type=submit]').click()]);
  expect(new URL(req.url()).searchParams.get('limit')).toBe('100');
  await page.waitForURL((u) => u.searchParams.get('q') === 'name:redis version<6');
  await page.locator('[data-testid=assets-table][data-kind=middleware]').waitFor();
  await expect.poll(() => rowTexts(page, '[data-testid=assets-table]')).toEqual(['redis 5.0.7 6379 /etc/redis/redis.conf web-02']);
  expect(await table.locator('thead').innerText()).toMatch(/PRODUCT\s+VERSION\s+PORTS\s+CONFIGURATION\s+HOST/);
  expect(await page.locator('[data-testid=asset-count]').textContent()).toBe('1 item');
  await shot('inventory-search');

  // A row opens its detail: the fields as a tree, and the host's link.
  await table.locator('tbody tr').first().click();
  const drawer = page.locator('[data-testid=asset-drawer]');
  await drawer.waitFor();
  const tree = drawer.locator('[data-testid=field-tree]');
  expect(await tree.locator('[data-path="file.path"] .ft-val').textContent()).toBe('/etc/redis/redis.conf');
  expect(await tree.locator('[data-path="service.type"] .ft-val').textContent()).toBe('redis');
  await tree.locator('[data-path="vigil"] > .ft-toggle').click();
  await expect.poll(() => tree.locator('[data-path="vigil.middleware.install_path"]').count()).toBe(0);
  expect(await tree.locator('[data-path="vigil"] .ft-count').textContent()).toBe('1');
  await tree.locator('[data-path="vigil"] > .ft-toggle').click();
  expect(await drawer.locator('a.host-link').getAttribute('href')).toBe('/agents/7f1c2a9e-0002?tab=inventory');
  await shot('inventory-detail');
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });

  // The examples are searches too.
  await page.click('[data-example="port:3000"]');
  await page.waitForURL((u) => u.searchParams.get('q') === 'port:3000');
  await page.locator('[data-testid=assets-table][data-kind=port]').waitFor();
  await expect.poll(() => rowTexts(page, '[data-testid=assets-table]')).toEqual([expect.stringContaining('3000 tcp 127.0.0.1 ipv4 agentd')]);
  expect(await search.locator('input[name=q]').inputValue()).toBe('port:3000');
  await page.click('[data-example="kind:library log4j-core version<2.17"]');
  await page.locator('[data-testid=assets-table][data-kind=library]').waitFor();
  await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
  expect(await table.locator('thead').innerText()).toMatch(/NAME\s+VERSION\s+PATH\s+HOST/);
  expect((await rowTexts(page, '[data-testid=assets-table]')).every((r) => r.includes('2.14.1') && r.includes('web-01'))).toBe(true);

  // A search the center refuses: its message, by the box.
  await search.locator('input[name=q]').fill('colour:red');
  await search.locator('button[type=submit]').click();
  const refused = page.locator('[data-testid=search-error]');
  await expect.poll(() => refused.textContent()).toContain('invalid inventory query: unknown field "colour"');
  expect(await search.locator('input[name=q]').getAttribute('aria-invalid')).toBe('true');
  expect(await table.count()).toBe(0);
  await shot('inventory-bad-search');

  // The search is kept in the URL: a reload runs it again.
  await page.goto(`${server.url}/inventory?q=${encodeURIComponent('port:3000')}`);
  await page.locator('[data-testid=assets-table][data-kind=port]').waitFor();
  expect(await search.locator('input[name=q]').inputValue()).toBe('port:3000');

  // Everything, page by page.
  await search.locator('button', { hasText: 'Reset' }).click();
  await page.waitForURL((u) => u.search === '');
  await expect.poll(() => page.locator('[data-testid=asset-count]').textContent()).toBe('first 100 items · more to load');
  const [more] = await Promise.all([page.waitForRequest(apiRequest('GET', '/assets', (u) => u.searchParams.get('cursor') === '100')), page.click('[data-testid=more-assets]')]);
  expect(more).toBeTruthy();
  await expect.poll(() => table.locator('tbody tr').count()).toBe(inv.items.length);
  expect(await page.locator('[data-testid=more-assets]').count()).toBe(0);

  // The history: newest first, each change opening to its diff.
  await page.click('[data-testid=inventory-tabs] [data-tab=changes]');
  await page.waitForURL((u) => u.pathname === '/inventory/changes');
  const changes = page.locator('[data-testid=changes-table]');
  await changes.waitFor();
  await expect.poll(() => changes.locator('tbody tr').count()).toBe(inv.changes.length);
  const newest = changes.locator('tbody tr').first();
  // (the fixture's times count from the fake center's start)
  expect((await newest.innerText()).replace(/\s+/g, ' ')).toMatch(/^▸ \d+ min ago web-01 package openssl deb:openssl:amd64 3\.0\.11-1~deb12u2 → 3\.0\.13-1~deb12u1 changed$/);
  expect(await newest.getAttribute('title')).toBe('web-01 · package openssl 3.0.11-1~deb12u2 → 3.0.13-1~deb12u1 · changed');
  await newest.click();
  const diff = changes.locator('[data-testid=change-diff]');
  await diff.waitFor();
  expect(await diff.locator('tr[data-change=changed]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.path))).toEqual(['package.version']);
  expect(await diff.locator('tr[data-path="package.version"]').innerText()).toMatch(/3\.0\.11-1~deb12u2\s+3\.0\.13-1~deb12u1/);
  await diff.locator('button', { hasText: 'Show 5 unchanged fields' }).click();
  await expect.poll(() => diff.locator('tr[data-change=same]').count()).toBe(5);
  await shot('inventory-changes');

  // Filters: only additions of accounts.
  const filter = page.locator('[data-testid=changes-filter]');
  await filter.locator('select[name=action]').selectOption('added');
  await filter.locator('select[name=kind]').selectOption('user');
  const [filtered] = await Promise.all([
    page.waitForRequest(apiRequest('GET', '/assets/changes', (u) => u.searchParams.get('action') === 'added')),
    filter.locator('button[type=submit]').click(),
  ]);
  expect(new URL(filtered.url()).searchParams.get('kind')).toBe('user');
  await page.waitForURL((u) => u.searchParams.get('action') === 'added' && u.searchParams.get('kind') === 'user');
  await until(async () => /^▸ \d+ min ago web-01 account support — added$/.test((await rowTexts(page, '[data-testid=changes-table]')).join('|')), 'the added account only');

  // An agent's inventory tab, kept in the URL.
  await page.goto(`${server.url}/agents/${web01}`);
  const agent = page.locator('[data-testid=agent-drawer]');
  await agent.locator('[data-testid=plugins-table]').waitFor();
  const [summary] = await Promise.all([
    page.waitForRequest(apiRequest('GET', '/assets/summary', (u) => u.searchParams.get('agent_id') === web01)),
    agent.locator('[data-tab=inventory]').click(),
  ]);
  expect(summary).toBeTruthy();
  await page.waitForURL((u) => u.pathname === `/agents/${web01}` && u.searchParams.get('tab') === 'inventory');
  const mine = inv.items.filter((a) => a.agent_id === web01);
  const hostTiles = agent.locator('[data-testid=host-kind-tiles]');
  await expect.poll(() => hostTiles.locator('[data-kind=all] [data-testid=tile-count]').textContent()).toBe(String(mine.length));
  const sets = agent.locator('[data-testid=inventory-sets]');
  expect(await sets.locator('tbody tr').count()).toBe(inv.sets.filter((s) => s.agent_id === web01).length);
  expect((await sets.locator('tr[data-collector="os/packages"]').innerText()).replace(/\s+/g, ' ')).toMatch(/^os\/packages 50 \d+ min ago \d+ min ago [0-9a-f]{12}$/);
  const hostItems = agent.locator('[data-testid=host-assets-table]');
  await hostItems.waitFor();
  expect(await agent.locator('[data-testid=host-asset-count]').textContent()).toBe('first 50 items · more to load');
  await hostTiles.locator('[data-kind=user]').click();
  await agent.locator('[data-testid=host-assets-table][data-kind=user]').waitFor();
  await expect.poll(() => hostItems.locator('tbody tr').count()).toBe(mine.filter((a) => a.kind === 'user').length);
  expect(await hostItems.locator('thead').innerText()).toMatch(/NAME\s+UID\s+SHELL\s+SUDO\s+PASSWORD/);
  expect(await hostItems.locator('thead').innerText()).not.toContain('HOST');
  await hostItems.locator('tr[data-asset-key=alice]').click();
  const inline = hostItems.locator('[data-testid=asset-detail]');
  await inline.waitFor();
  expect(await inline.locator('[data-path="vigil.sudo.nopasswd"] .ft-val').textContent()).toBe('true');
  expect(await hostItems.locator('tr[data-asset-key=sysops] [data-col=uid] .text-bad').textContent()).toBe('0');
  await shot('agent-inventory');
  const hostChanges = agent.locator('[data-testid=host-changes-table]');
  const mineChanged = inv.changes.filter((c) => c.agent_id === web01);
  await expect.poll(() => hostChanges.locator('tbody tr').count()).toBe(20);
  expect((await hostChanges.locator('tbody tr').first().innerText()).replace(/\s+/g, ' ')).toContain('openssl deb:openssl:amd64 3.0.11-1~deb12u2 → 3.0.13-1~deb12u1 changed');
  await agent.locator('[data-testid=more-host-changes]').click();
  await expect.poll(() => hostChanges.locator('tbody tr').count()).toBe(mineChanged.length);
  expect(server.requests.filter((r) => r.path === '/assets' && r.query.agent_id?.[0] === web01 && r.query.kind?.[0] === 'user').length).toBeGreaterThan(0);
  await shot('agent-inventory-changes');

  // In Chinese: the page's headers and kinds, and the agent's tab.
  await page.keyboard.press('Escape');
  await agent.waitFor({ state: 'detached' });
  await page.click('.topbar .lang-switch button:has-text("中文")');
  await page.goto(`${server.url}/inventory?kind=user`);
  await page.locator('[data-testid=assets-table][data-kind=user]').waitFor();
  expect(await page.locator('.topbar h1').textContent()).toBe('资产');
  expect(await page.locator('.nav a[href="/inventory"]').textContent()).toBe('资产');
  expect(await table.locator('thead').innerText()).toMatch(/名称\s+用户 ID\s+登录 SHELL\s+SUDO 权限\s+密码状态\s+主机/);
  expect(await tiles.locator('[data-kind=user] .inv-tile-label').textContent()).toBe('账号');
  expect(await tiles.locator('[data-kind=package] .inv-tile-label').textContent()).toBe('软件包');
  expect(await tiles.locator('[data-kind=port] .inv-tile-label').textContent()).toBe('监听端口');
  expect(await table.locator('tr[data-asset-key=support] [data-col=password]').innerText()).toBe('空密码');
  expect(await page.locator('[data-testid=inventory-tabs] [data-tab=changes]').textContent()).toBe('变更记录');
  await shot('inventory-zh');
  await page.goto(`${server.url}/agents/${web01}?tab=inventory`);
  await agent.locator('[data-testid=host-changes-table]').waitFor();
  expect(await agent.locator('[data-tab=inventory]').textContent()).toBe('资产');
  expect(await agent.locator('[data-testid=inventory-sets] thead').innerText()).toMatch(/采集器\s+条目数\s+最近变更\s+最近上报\s+摘要/);
  expect(await agent.locator('[data-testid=host-changes-table] tbody tr').first().innerText()).toContain('变更');
  await shot('agent-inventory-zh');
  await page.keyboard.press('Escape');
  await page.click('.topbar .lang-switch button:has-text("English")');
}
