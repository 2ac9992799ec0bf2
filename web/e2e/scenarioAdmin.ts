// Administration in the console scenario: a join token (shown once, with
// its install command), a user through every change, an API token used to
// sign in as a viewer (who sees no admin page but the notification
// channels), and the audit log listing
// all of these actions. What the run creates it deletes again.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { FleetRun } from './scenarioFleet';
import { apiRequest, apiResponse, goNav, signIn, until, type Ctx } from './steps';

interface Made {
  joinToken: string;
  userId: string;
  apiToken: string;
}

/** localInput formats a time for a datetime-local input. */
function localInput(d: Date): string {
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

async function confirmDelete(page: Page, method: string, path: string): Promise<void> {
  const [res] = await Promise.all([page.waitForResponse(apiResponse(method, path)), page.click('[data-testid=confirm-ok]')]);
  assert.equal(res.status(), 204, `${method} ${path} answered ${res.status()}`);
  await page.locator('[data-testid=confirm]').waitFor({ state: 'detached' });
}

export async function adminSteps(ctx: Ctx, fleet: FleetRun, opts: { requireMoreAudit: boolean }): Promise<void> {
  const { page, step, base, stamp } = ctx;
  const made: Made = { joinToken: '', userId: '', apiToken: '' };

  await step('join tokens', async () => {
    await goNav(ctx, '/join-tokens', 'join-tokens-table');
    await page.click('[data-testid=new-join-token]');
    const dialog = page.locator('[data-testid=join-token-dialog]');
    const description = `console e2e ${stamp}`;
    await dialog.locator('input[name=description]').fill(description);
    await dialog.locator('input[name=ttl]').fill('2h');
    await dialog.locator('input[name=usage_limit]').fill('3');
    await dialog.locator('[data-testid=add-label]').click();
    await dialog.locator('input.label-key').last().fill('env');
    await dialog.locator('input.label-value').last().fill('console-e2e');
    const [req, res] = await Promise.all([
      page.waitForRequest(apiRequest('POST', '/tokens')),
      page.waitForResponse(apiResponse('POST', '/tokens')),
      dialog.locator('button[type=submit]').click(),
    ]);
    assert.deepEqual(req.postDataJSON(), { ttl: '2h', labels: { env: 'console-e2e' }, usage_limit: 3, description });
    assert.equal(res.status(), 201);
    const created = (await res.json()) as { id: string; token: string };
    made.joinToken = created.id;
    const shown = page.locator('[data-testid=join-token-created]');
    const secret = (await shown.locator('[data-testid=join-token-secret] code').textContent())?.trim();
    assert.equal(secret, created.token, 'the token shown is not the one created');
    assert.match(secret ?? '', /^vgl1\./);
    const install = (await shown.locator('[data-testid=install-command] code').textContent())?.trim();
    assert.equal(install, `vigil-agent --center ${base} --token ${secret} --data /var/lib/vigil-agent`);
    if (ctx.shotsAlways) await ctx.shot('join-token-created');
    await shown.locator('[data-testid=done]').click();
    const row = page.locator(`[data-testid=join-tokens-table] tr[data-token-id="${created.id}"]`);
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    assert.ok(text.includes(description) && text.includes('0 / 3'), `the listed token reads "${text}"`);
    if (ctx.shotsAlways) await ctx.shot('join-tokens');
    await row.locator('button[data-action=delete]').click();
    await confirmDelete(page, 'DELETE', `/tokens/${created.id}`);
    await row.waitFor({ state: 'detached' });
  });

  await step('users', async () => {
    await goNav(ctx, '/users', 'users-table');
    await page.click('[data-testid=new-user]');
    const dialog = page.locator('[data-testid=user-dialog]');
    const name = `console-${stamp}`;
    await dialog.locator('input[name=name]').fill(name);
    await dialog.locator('select[name=role]').selectOption('analyst');
    await dialog.locator('input[name=password]').fill('console-e2e-password-1');
    await dialog.locator('input[name=password_again]').fill('console-e2e-password-1');
    const [res] = await Promise.all([page.waitForResponse(apiResponse('POST', '/users')), dialog.locator('button[type=submit]').click()]);
    assert.equal(res.status(), 201);
    const user = (await res.json()) as { id: string };
    made.userId = user.id;
    const path = `/users/${encodeURIComponent(user.id)}`;
    const row = page.locator(`[data-testid=users-table] tr[data-user="${name}"]`);
    await row.waitFor();
    const patch = async (act: () => Promise<void>) => {
      const [req, answer] = await Promise.all([page.waitForRequest(apiRequest('PATCH', path)), page.waitForResponse(apiResponse('PATCH', path)), act()]);
      assert.equal(answer.status(), 200);
      return req.postDataJSON() as Record<string, unknown>;
    };
    assert.deepEqual(await patch(() => row.locator('select[name=role]').selectOption('responder').then(() => undefined)), { role: 'responder' });
    await until(async () => (await row.locator('select[name=role]').inputValue()) === 'responder', 'the new role shown');
    await row.locator('button[data-action=disable]').click();
    assert.deepEqual(await patch(() => page.click('[data-testid=confirm-ok]')), { disabled: true });
    await until(async () => (await row.getAttribute('data-disabled')) === 'true', 'the user shown disabled');
    assert.deepEqual(await patch(() => row.locator('button[data-action=enable]').click()), { disabled: false });
    await row.locator('button[data-action=password]').click();
    const pw = page.locator('[data-testid=password-dialog]');
    await pw.locator('input[name=password]').fill('console-e2e-password-2');
    await pw.locator('input[name=password_again]').fill('console-e2e-password-2');
    assert.deepEqual(await patch(() => pw.locator('button[type=submit]').click()), { password: 'console-e2e-password-2' });
    await pw.waitFor({ state: 'detached' });
    if (ctx.shotsAlways) await ctx.shot('users');
    await row.locator('button[data-action=delete]').click();
    await confirmDelete(page, 'DELETE', path);
    await row.waitFor({ state: 'detached' });
  });

  await step('API token and a viewer', async () => {
    await goNav(ctx, '/api-tokens', 'api-tokens-table');
    await page.click('[data-testid=new-api-token]');
    const dialog = page.locator('[data-testid=api-token-dialog]');
    const name = `console-${stamp}`;
    await dialog.locator('input[name=name]').fill(name);
    await dialog.locator('select[name=role]').selectOption('viewer');
    await dialog.locator('input[name=ttl]').fill('1h');
    const [req, res] = await Promise.all([
      page.waitForRequest(apiRequest('POST', '/api-tokens')),
      page.waitForResponse(apiResponse('POST', '/api-tokens')),
      dialog.locator('button[type=submit]').click(),
    ]);
    assert.deepEqual(req.postDataJSON(), { name, role: 'viewer', ttl: '1h' });
    assert.equal(res.status(), 201);
    const created = (await res.json()) as { id: string; token: string };
    made.apiToken = created.id;
    const shown = page.locator('[data-testid=api-token-created]');
    const secret = (await shown.locator('[data-testid=api-token-secret] code').textContent())?.trim() ?? '';
    assert.equal(secret, created.token);
    assert.match(secret, /^vgt_/);
    if (ctx.shotsAlways) await ctx.shot('api-token-created');
    await shown.locator('[data-testid=done]').click();
    const row = page.locator(`[data-testid=api-tokens-table] tr[data-token-id="${created.id}"]`);
    await row.waitFor();
    assert.ok(((await row.textContent()) ?? '').includes(name));

    // Signed in with the new token in another tab, a viewer sees no admin
    // entries and is told which role an admin page needs.
    const viewer = await page.context().newPage();
    try {
      await viewer.goto(`${base}/login`);
      await signIn(viewer, { token: secret });
      await until(async () => (await viewer.locator('.topbar .user-role').textContent()) === 'viewer', 'the viewer role shown');
      const adminEntries = await viewer.locator('[data-testid=admin-nav] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(adminEntries, ['/notify-channels'], 'a viewer sees admin entries besides the notification channels');
      assert.equal(await viewer.locator('.nav a[href="/policies"]').count(), 1);
      await viewer.goto(`${base}/audit`);
      const needs = viewer.locator('[data-testid=needs-role]');
      await needs.waitFor();
      assert.match((await needs.textContent()) ?? '', /Needs role admin/);
      if (ctx.shotsAlways) await ctx.shot('viewer-needs-admin', viewer);
      await viewer.goto(`${base}/policies`);
      await viewer.locator('[data-testid=policies-table], .empty').first().waitFor();
      assert.ok(await viewer.locator('[data-testid=new-policy]').isDisabled(), 'a viewer may start a policy');
    } finally {
      await viewer.close();
    }
    await row.locator('button[data-action=delete]').click();
    await confirmDelete(page, 'DELETE', `/api-tokens/${created.id}`);
    await row.waitFor({ state: 'detached' });
  });

  await step('audit log', async () => {
    await goNav(ctx, '/audit', 'audit-table');
    const checks: [string, (target: string) => boolean][] = [
      ['token.create', (t) => t === made.joinToken],
      ['token.delete', (t) => t === made.joinToken],
      ['user.create', (t) => t === made.userId],
      ['user.update', (t) => t === made.userId],
      ['user.delete', (t) => t === made.userId],
      ['apitoken.create', (t) => t === made.apiToken],
      ['apitoken.delete', (t) => t === made.apiToken],
      ['policy.put', (t) => t === fleet.policyName],
      ['agent.labels', (t) => t === fleet.agentId],
      ['command.ping', (t) => fleet.commandAgents.every((id) => t.includes(id))],
    ];
    const targets = (action: string) =>
      page.$$eval(`[data-testid=audit-table] tbody tr[data-action="${action}"] td.target-cell`, (tds) => tds.map((td) => td.textContent ?? ''));
    for (const [action, want] of checks) {
      await page.fill('input[name=action]', action);
      await Promise.all([
        page.waitForRequest(apiRequest('GET', '/audit', (u) => u.searchParams.get('action') === action)),
        page.click('[data-testid=audit-filter] button[type=submit]'),
      ]);
      await until(async () => (await targets(action)).some(want), `an audit entry ${action} for what the run did`);
    }
    // The policy change, opened: its detail is the JSON the center noted.
    await page.fill('input[name=action]', 'policy.');
    await Promise.all([page.waitForRequest(apiRequest('GET', '/audit', (u) => u.searchParams.get('action') === 'policy.')), page.click('[data-testid=audit-filter] button[type=submit]')]);
    const entry = page.locator(`[data-testid=audit-table] tbody tr[data-action="policy.put"]`, { hasText: fleet.policyName }).first();
    await entry.waitFor();
    const actor = ((await entry.locator('td:nth-child(3) > div').first().textContent()) ?? '').trim();
    await entry.click();
    await until(async () => ((await page.locator('tr.expanded .json-body').textContent()) ?? '').includes('"revision"'), 'the detail of policy.put');
    if (ctx.shotsAlways) await ctx.shot('audit');
    // Actor and time filters.
    await page.fill('input[name=action]', '');
    await page.fill('input[name=actor]', actor);
    await page.fill('input[name=since]', localInput(new Date(Date.now() - 3_600_000)));
    await page.fill('input[name=until]', localInput(new Date(Date.now() + 3_600_000)));
    const [req] = await Promise.all([
      page.waitForRequest(apiRequest('GET', '/audit', (u) => u.searchParams.get('actor') === actor)),
      page.click('[data-testid=audit-filter] button[type=submit]'),
    ]);
    const q = new URL(req.url()).searchParams;
    assert.ok(q.get('since') && q.get('until'), 'since and until not sent');
    assert.equal(q.get('action'), null);
    await until(
      async () => {
        const actors = await page.$$eval('[data-testid=audit-table] tbody tr[data-action] td:nth-child(3) > div:first-child', (ds) => ds.map((d) => d.textContent?.trim()));
        return actors.length > 0 && actors.every((a) => a === actor);
      },
      `only entries of ${actor}`,
    );
    // Paging.
    await page.click('[data-testid=audit-filter] button.btn-ghost');
    await page.waitForURL((u) => u.pathname === '/audit' && u.search === '');
    await page.locator('[data-testid=audit-table]').waitFor();
    const more = page.locator('[data-testid=load-more]');
    if ((await more.count()) === 0) {
      assert.ok(!opts.requireMoreAudit, 'no second page of audit entries');
      return;
    }
    const rows = page.locator('[data-testid=audit-table] tbody tr[data-action]');
    const shown = await rows.count();
    await Promise.all([page.waitForRequest(apiRequest('GET', '/audit', (u) => !!u.searchParams.get('cursor'))), more.click()]);
    await until(async () => (await rows.count()) > shown, 'more audit entries listed');
  });
}
