// Compliance in the console scenario, against any center, reading only:
// the overview, the catalogue with the shipped policies, CIS Debian 12's
// checks (a check's drawer when there are results), the exceptions, and
// the online agent's compliance tab with its report downloaded. With
// requireCompliance (the center assigned a policy to the agent) the tab
// must show the agent's results, a run now must succeed and the report
// must come.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { apiRequest, until, type Ctx } from './steps';

/** Any of these shows that a page has loaded: its content, an empty notice or an error. */
const settled = (testIds: string[]) => [...testIds.map((id) => `[data-testid=${id}]`), '.empty', '.error-banner'].join(', ');

/** The policies every center ships. */
export const shippedPolicyIds = ['cis_debian12', 'cis_rhel9', 'cis_ubuntu2204', 'mlps_level2', 'mlps_level3'];

export async function complianceSteps(ctx: Ctx, agentId: string, requireCompliance: boolean): Promise<void> {
  const { page, step, log, base } = ctx;

  await step('compliance overview and catalogue', async () => {
    await page.click('.nav a[href="/compliance"]');
    await page.waitForURL((u) => u.pathname === '/compliance');
    await page.locator(settled(['fleet-policies'])).first().waitFor({ timeout: 30_000 });
    log(`compliance: ${await page.locator('[data-testid=fleet-policies] tbody tr').count()} policies with results or assigned`);
    if (ctx.shotsAlways) await ctx.shot('compliance-overview');
    await page.click('[data-testid=compliance-tabs] [data-tab=policies]');
    await page.waitForURL((u) => u.pathname === '/compliance/policies');
    await page.locator('[data-testid=policies-table]').waitFor({ timeout: 30_000 });
    const ids = await page.locator('[data-testid=policies-table] tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-policy-id') ?? ''));
    for (const id of shippedPolicyIds) assert.ok(ids.includes(id), `the catalogue lacks the shipped policy ${id}: ${ids.join(', ')}`);
  });

  await step('a policy and its checks', async () => {
    await page.click('[data-testid=policies-table] tr[data-policy-id=cis_debian12] a.strong');
    await page.waitForURL((u) => u.pathname === '/compliance/policies/cis_debian12');
    await page.locator('[data-testid=policy-head]').waitFor();
    await page.locator(settled(['checks-table'])).first().waitFor({ timeout: 30_000 });
    const rows = page.locator('[data-testid=checks-table] tbody tr[data-check-id]');
    const n = await rows.count();
    log(`cis_debian12: ${n} checks reported`);
    if (n === 0) return;
    const id = (await rows.first().getAttribute('data-check-id')) ?? '';
    await rows.first().click();
    await page.waitForURL((u) => u.searchParams.get('check') === id);
    await page.locator('[data-testid=check-drawer] [data-testid=check-rationale]').waitFor();
    await page.locator('[data-testid=check-drawer]').locator(settled(['check-hosts'])).first().waitFor();
    if (ctx.shotsAlways) await ctx.shot('compliance-check');
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=check-drawer]').waitFor({ state: 'detached' });
  });

  await step('compliance exceptions', async () => {
    await page.goto(`${base}/compliance/exceptions`);
    await page.locator(settled(['compliance-exceptions'])).first().waitFor();
  });

  await step("the agent's compliance and its report", async () => {
    await page.goto(`${base}/agents/${encodeURIComponent(agentId)}?tab=compliance`);
    const tab = page.locator('[data-testid=agent-compliance]');
    await tab.locator(settled(['host-policies'])).first().waitFor({ timeout: 30_000 });
    if (requireCompliance) {
      const [run] = await Promise.all([page.waitForRequest(apiRequest('POST', '/agents/commands')), tab.locator('[data-testid=run-baseline]').click()]);
      assert.deepEqual(run.postDataJSON(), { command: 'collect', args: { name: 'compliance/baseline' }, agent_ids: [agentId], timeout: '3m' });
      await tab.locator('[data-testid=run-result], .error-banner').first().waitFor({ timeout: 200_000 });
      assert.equal(await tab.locator('[data-testid=run-result]').getAttribute('data-ok'), 'true', (await tab.locator('[data-testid=run-result], .error-banner').first().textContent()) ?? '');
      await until(async () => (await tab.locator('[data-testid=host-policies] tbody tr').count()) > 0, "the agent's policies", 30_000);
      await until(async () => (await tab.locator('[data-testid=host-results] tbody tr').count()) > 0, "the agent's results", 30_000);
    }
    log(`agent compliance: ${await tab.locator('[data-testid=host-policies] tbody tr').count()} policies`);
    if (ctx.shotsAlways) await ctx.shot('agent-compliance');
    const download = page.waitForEvent('download', { timeout: 30_000 });
    await tab.locator('[data-testid=report-download]').click();
    const failed = tab.locator('[data-testid=report-error] .error-message');
    const got = await Promise.race([download.then((d) => ({ d })), failed.first().waitFor({ timeout: 30_000 }).then(async () => ({ error: (await failed.first().textContent()) ?? '' }))]);
    if ('error' in got) {
      download.catch(() => undefined);
      if (requireCompliance) throw new Error(`compliance report: ${got.error}`);
      log(`compliance report: ${got.error}`);
    } else {
      assert.match(got.d.suggestedFilename(), /\.html$/);
      const html = await readFile((await got.d.path())!, 'utf8');
      assert.match(html, /<html[\s>]/i);
      log(`compliance report: ${got.d.suggestedFilename()} (${html.length} bytes)`);
    }
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=agent-drawer]').waitFor({ state: 'detached' });
  });
}
