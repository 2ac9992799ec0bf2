// Fleet management in the console scenario: a command to several agents,
// an agent's labels, an agent policy (with a refused spec first) seen as
// the agent's effective policy, and the cleanup of all of it. Only what the
// run itself creates is changed; nothing assumes fixture ids.
import assert from 'node:assert/strict';
import { apiRequest, apiResponse, goNav, until, type Ctx } from './steps';

/** What the fleet steps made, for the audit check and the cleanup. */
export interface FleetRun {
  agentId: string;
  commandAgents: string[];
  policyName: string;
  labelKey: string;
  labelValue: string;
}

const labelKey = 'console-e2e';

export async function fleetSteps(ctx: Ctx): Promise<FleetRun> {
  const { page, step, base } = ctx;
  const run: FleetRun = { agentId: '', commandAgents: [], policyName: `console-e2e-${ctx.stamp}`, labelKey, labelValue: `run-${ctx.stamp}` };

  await step('commands to several agents', async () => {
    await page.locator('[data-testid=agents-table] tbody tr').first().waitFor();
    const listed = await page.$$eval('[data-testid=agents-table] tbody tr', (rows) =>
      rows.map((r) => ({ id: (r as HTMLElement).dataset.agentId ?? '', status: (r as HTMLElement).dataset.status ?? '' })),
    );
    const online = listed.find((a) => a.status === 'online');
    assert.ok(online, 'no online agent listed');
    run.agentId = online.id;
    run.commandAgents = [online.id, ...listed.filter((a) => a.id !== online.id).map((a) => a.id)].slice(0, 3);
    for (const id of run.commandAgents) await page.check(`input[data-select="${id}"]`);
    await until(async () => ((await page.locator('[data-testid=selection]').textContent()) ?? '').includes(`${run.commandAgents.length} selected`), 'the selection count');
    await page.click('[data-testid=open-command]');
    const drawer = page.locator('[data-testid=command-drawer]');
    await drawer.waitFor();
    assert.ok(await drawer.locator('input[name=target][value=selected]').isChecked(), 'the checked agents are not the target');
    await drawer.locator('input[name=timeout]').fill('5s');
    const [req] = await Promise.all([page.waitForRequest(apiRequest('POST', '/agents/commands')), drawer.locator('[data-testid=send-command]').click()]);
    const body = req.postDataJSON() as { command: string; agent_ids: string[]; timeout: string; selector?: unknown };
    assert.equal(body.command, 'ping');
    assert.deepEqual([...body.agent_ids].sort(), [...run.commandAgents].sort());
    assert.equal(body.timeout, '5s');
    assert.equal(body.selector, undefined);
    const results = drawer.locator('[data-testid=command-results] tbody tr[data-agent-id]');
    await until(async () => (await results.count()) === run.commandAgents.length, 'one result row per agent', 30_000);
    assert.equal(await drawer.locator(`tr[data-agent-id="${online.id}"]`).getAttribute('data-ok'), 'true');
    if (ctx.shotsAlways) await ctx.shot('command-results');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    await page.click('[data-testid=selection] button');
    await page.locator('[data-testid=selection]').waitFor({ state: 'detached' });
  });

  await step('agent labels', async () => {
    await page.click(`[data-testid=agents-table] tr[data-agent-id="${run.agentId}"] td.c-host`);
    const drawer = page.locator('[data-testid=agent-drawer]');
    await drawer.locator('[data-testid=edit-labels]').click();
    const editor = drawer.locator('[data-testid=labels-editor]');
    const before = await editor.locator('.label-row').count();
    await editor.locator('[data-testid=add-label]').click();
    await editor.locator('input.label-key').last().fill(labelKey);
    await editor.locator('input.label-value').last().fill(run.labelValue);
    const [req] = await Promise.all([
      page.waitForRequest(apiRequest('PUT', `/agents/${encodeURIComponent(run.agentId)}/labels`)),
      drawer.locator('[data-testid=save-labels]').click(),
    ]);
    const labels = (req.postDataJSON() as { labels: Record<string, string> }).labels;
    assert.equal(labels[labelKey], run.labelValue);
    assert.equal(Object.keys(labels).length, before + 1, 'the other labels were not kept');
    await until(async () => ((await drawer.locator('[data-testid=agent-labels]').textContent()) ?? '').includes(run.labelValue), 'the new label shown');
    // Deleting asks first and says what it does; here it is cancelled.
    await drawer.locator('[data-testid=delete-agent]').click();
    const confirm = page.locator('[data-testid=confirm]');
    assert.match((await confirm.textContent()) ?? '', /revoked at once/);
    if (ctx.shotsAlways) await ctx.shot('agent-delete-confirm');
    await confirm.locator('.modal-foot .btn:not(.btn-danger)').click();
    await confirm.waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });

  await step('agent policies', async () => {
    await goNav(ctx, '/policies', 'policies-table');
    await page.click('[data-testid=new-policy]');
    const editor = page.locator('[data-testid=policy-editor]');
    const spec = editor.locator('textarea[name=spec]');
    await spec.waitFor();
    await editor.locator('input[name=name]').fill(run.policyName);
    await editor.locator('input[name=priority]').fill('900');
    const selector = editor.locator('[data-testid=policy-selector]');
    await selector.locator('[data-testid=add-label]').click();
    await selector.locator('input.label-key').last().fill(labelKey);
    await selector.locator('input.label-value').last().fill(run.labelValue);
    // Broken JSON is caught before anything is sent.
    await spec.fill('{"budget": ');
    await until(async () => (await editor.locator('[data-testid=spec-note]').getAttribute('class')) === 'field-error', 'the JSON syntax error');
    assert.ok(await editor.locator('[data-testid=save-policy]').isDisabled(), 'save allowed with broken JSON');
    // A spec the center refuses shows the center's message.
    await spec.fill('{"budget": {"cpuPercent": 500}}');
    const [bad] = await Promise.all([
      page.waitForResponse(apiResponse('PUT', `/agent-policies/${run.policyName}`)),
      editor.locator('[data-testid=save-policy]').click(),
    ]);
    assert.equal(bad.status(), 400);
    await until(async () => ((await editor.locator('[data-testid=policy-error] .error-banner').textContent()) ?? '').includes('cpuPercent'), 'the validation error shown');
    if (ctx.shotsAlways) await ctx.shot('policy-validation-error');
    await spec.fill('{"spoolMaxMb": 128}');
    const [req, ok] = await Promise.all([
      page.waitForRequest(apiRequest('PUT', `/agent-policies/${run.policyName}`)),
      page.waitForResponse(apiResponse('PUT', `/agent-policies/${run.policyName}`)),
      editor.locator('[data-testid=save-policy]').click(),
    ]);
    assert.equal(ok.status(), 200, `saving the policy answered ${ok.status()}`);
    assert.deepEqual(req.postDataJSON(), { selector: { [labelKey]: run.labelValue }, priority: 900, spec: { spoolMaxMb: 128 } });
    await page.waitForURL((u) => u.pathname === `/policies/${run.policyName}`);
    const row = page.locator(`[data-testid=policies-table] tr[data-policy="${run.policyName}"]`);
    await row.waitFor();
    assert.ok(((await row.textContent()) ?? '').includes(run.labelValue), 'the selector is not listed');
    await editor.locator('[data-testid=policy-saved], textarea[name=spec]').first().waitFor();
    if (ctx.shotsAlways) await ctx.shot('policy-saved');
    await page.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });
  });

  await step('effective policy', async () => {
    await page.goto(`${base}/agents/${encodeURIComponent(run.agentId)}`);
    const drawer = page.locator('[data-testid=agent-drawer]');
    const section = drawer.locator('[data-testid=agent-policy]');
    await section.locator(`[data-policy-name="${run.policyName}"]`).waitFor({ timeout: 20_000 });
    assert.ok(((await section.textContent()) ?? '').includes('128 MB'), 'the spool limit of the policy is not shown');
    await drawer.locator('[data-testid=policy-json-toggle]').click();
    assert.ok(((await section.locator('.json-body').textContent()) ?? '').includes('"spoolMaxMb"'));
    if (ctx.shotsAlways) await ctx.shot('agent-effective-policy');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });

  return run;
}

/** fleetCleanup deletes the policy and removes the label the run added. */
export async function fleetCleanup(ctx: Ctx, run: FleetRun): Promise<void> {
  const { page, step, base } = ctx;
  await step('delete the policy', async () => {
    await page.goto(`${base}/policies/${encodeURIComponent(run.policyName)}`);
    const editor = page.locator('[data-testid=policy-editor]');
    await editor.locator('[data-testid=delete-policy]').click();
    const [res] = await Promise.all([
      page.waitForResponse(apiResponse('DELETE', `/agent-policies/${run.policyName}`)),
      page.click('[data-testid=confirm-ok]'),
    ]);
    assert.equal(res.status(), 204);
    await page.waitForURL((u) => u.pathname === '/policies');
    await page.locator(`tr[data-policy="${run.policyName}"]`).waitFor({ state: 'detached' });
  });

  await step('remove the label', async () => {
    await page.goto(`${base}/agents/${encodeURIComponent(run.agentId)}`);
    const drawer = page.locator('[data-testid=agent-drawer]');
    await drawer.locator('[data-testid=edit-labels]').click();
    const editor = drawer.locator('[data-testid=labels-editor]');
    const i = await editor.locator('input.label-key').evaluateAll((els, k) => els.findIndex((e) => (e as HTMLInputElement).value === k), run.labelKey);
    assert.ok(i >= 0, 'the added label is not in the editor');
    await editor.locator('.label-row').nth(i).locator('button').click();
    const [req] = await Promise.all([
      page.waitForRequest(apiRequest('PUT', `/agents/${encodeURIComponent(run.agentId)}/labels`)),
      drawer.locator('[data-testid=save-labels]').click(),
    ]);
    assert.equal((req.postDataJSON() as { labels: Record<string, string> }).labels[run.labelKey], undefined);
    await until(async () => !((await drawer.locator('[data-testid=agent-labels]').textContent()) ?? run.labelValue).includes(run.labelValue), 'the label gone');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });
}
