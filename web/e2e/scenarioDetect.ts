// Detection in the console scenario, against any center: the incidents
// (one opened to its timeline and process tree when there is one), the
// shipped rules with a rule's page and YAML source, the problems, an
// exception created for a loaded rule and deleted again, and the ATT&CK
// matrix with a covered cell followed to its rules. Only what the run
// creates is changed.
import assert from 'node:assert/strict';
import { apiRequest, goNav, until, type Ctx } from './steps';

export async function detectSteps(ctx: Ctx): Promise<void> {
  const { page, step, log } = ctx;
  let ruleId = '';

  await step('incidents', async () => {
    await goNav(ctx, '/incidents', 'incidents-table');
    const rows = page.locator('[data-testid=incidents-table] tbody tr[data-incident-id]');
    const n = await rows.count();
    log(`incidents: ${n}`);
    if (n === 0) return;
    const id = (await rows.first().getAttribute('data-incident-id')) ?? '';
    await rows.first().locator('td').first().click();
    await page.waitForURL((u) => u.pathname === `/incidents/${encodeURIComponent(id)}`);
    await page.locator('[data-testid=incident-head] h2').waitFor();
    await page.locator('[data-testid=timeline-table], [data-testid=incident-timeline] .empty').first().waitFor({ timeout: 30_000 });
    await page.click('[data-testid=incident-tabs] [data-tab=processes]');
    await page.locator('[data-testid=process-tree], .panel-body .empty').first().waitFor();
    if (ctx.shotsAlways) await ctx.shot('incident');
  });

  await step('rules', async () => {
    await goNav(ctx, '/rules', 'rules-table');
    const rows = page.locator('[data-testid=rules-table] tbody tr[data-rule-id]');
    await until(async () => (await rows.count()) > 0, 'the loaded rules listed');
    log(`rules: ${await page.locator('[data-testid=rules-count]').textContent()}`);
    ruleId = (await rows.first().getAttribute('data-rule-id')) ?? '';
    assert.ok(ruleId, 'a rule row without its id');
    await rows.first().locator('td').first().click();
    await page.waitForURL((u) => u.pathname === `/rules/${encodeURIComponent(ruleId)}`);
    await page.locator('[data-testid=rule-page] h2').waitFor();
    await until(async () => ((await page.locator('[data-testid=rule-source]').textContent()) ?? '').includes('title:'), "the rule's YAML source");
    if (ctx.shotsAlways) await ctx.shot('rule');
    await page.goto(`${ctx.base}/rules/problems`);
    await page.locator('[data-testid=problems-table], .empty').first().waitFor();
  });

  await step('exception created and deleted', async () => {
    await goNav(ctx, '/exceptions', 'exceptions-table');
    await page.click('[data-testid=new-exception]');
    const dialog = page.locator('[data-testid=exception-dialog]');
    await dialog.waitFor();
    await dialog.locator('input[name=rule_id]').fill(ruleId);
    await dialog.locator('[data-match-field="0"]').fill('process.executable');
    await dialog.locator('[data-match-patterns="0"]').fill(`/opt/console-e2e-${ctx.stamp}/*`);
    const reason = `console e2e ${ctx.stamp}`;
    await dialog.locator('textarea[name=reason]').fill(reason);
    const submit = dialog.locator('button[type=submit]');
    await until(() => submit.isEnabled(), 'the exception form to be valid');
    const [post] = await Promise.all([page.waitForResponse((r) => apiRequest('POST', '/exceptions')(r.request())), submit.click()]);
    assert.equal(post.status(), 201, `creating the exception answered ${post.status()}`);
    const row = page.locator('[data-testid=exceptions-table] tbody tr.selected');
    await until(async () => ((await row.textContent()) ?? '').includes(reason), 'the new exception listed');
    const id = (await row.getAttribute('data-exception-id')) ?? '';
    await row.locator('button[data-action=delete]').click();
    const [del] = await Promise.all([page.waitForRequest(apiRequest('DELETE', `/exceptions/${encodeURIComponent(id)}`)), page.click('[data-testid=confirm-ok]')]);
    assert.ok(del);
    await until(async () => (await page.locator(`[data-testid=exceptions-table] tr[data-exception-id="${id}"]`).count()) === 0, 'the exception gone');
  });

  await step('ATT&CK coverage', async () => {
    await goNav(ctx, '/attack', 'attack-matrix');
    const matrix = page.locator('[data-testid=attack-matrix]');
    assert.equal(await matrix.locator('.matrix-col').count(), 14);
    const covered = matrix.locator('.matrix-cell:not([data-heat=none]) .matrix-cell-main');
    if ((await covered.count()) === 0) {
      log('ATT&CK: no technique covered');
      return;
    }
    await covered.first().click();
    const drawer = page.locator('[data-testid=technique-drawer]');
    await drawer.locator('[data-testid=technique-rules] li').first().waitFor({ timeout: 30_000 });
    if (ctx.shotsAlways) await ctx.shot('attack');
    await drawer.locator('.technique-links a').first().click();
    await page.waitForURL((u) => u.pathname === '/rules' && !!u.searchParams.get('technique'));
    await until(async () => (await page.locator('[data-testid=rules-table] tbody tr').count()) > 0, "the technique's rules");
  });
}
