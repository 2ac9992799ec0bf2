// Risk in the console scenario, against any center, reading only: the
// overview, the findings (a severity filter sent as the center reads it,
// the first finding's vulnerability opened with its hosts), the view by
// vulnerability, the patches, the weak passwords, the vulnerability
// database (or the center's word that matching is off) and the online
// agent's vulnerabilities tab.
import assert from 'node:assert/strict';
import { apiRequest, until, type Ctx } from './steps';

/** Any of these shows that a page has loaded: its content, an empty notice or an error. */
const settled = (testIds: string[]) => [...testIds.map((id) => `[data-testid=${id}]`), '.empty', '.error-banner'].join(', ');

export async function riskSteps(ctx: Ctx, agentId: string): Promise<void> {
  const { page, step, log, base } = ctx;

  await step('risk overview', async () => {
    await page.click('.nav a[href="/risk"]');
    await page.waitForURL((u) => u.pathname === '/risk');
    const total = page.locator('[data-testid=risk-tiles] [data-testid=count-total]');
    await until(async () => /^\d[\d,]*$/.test((await total.textContent()) ?? ''), 'the count of findings');
    await page.locator(settled(['risk-hosts'])).first().waitFor();
    await page.locator(settled(['risk-db'])).first().waitFor();
    log(`risk: ${await total.textContent()} findings on ${await page.locator('[data-testid=count-hosts]').textContent()} hosts`);
  });

  await step('vulnerabilities', async () => {
    await page.click('.nav a[href="/vulns"]');
    await page.waitForURL((u) => u.pathname === '/vulns');
    await page.locator(settled(['findings-table'])).first().waitFor();
    const [req] = await Promise.all([
      page.waitForRequest(apiRequest('GET', '/vulns', (u) => u.searchParams.get('severity') === 'critical,high')),
      (async () => {
        await page.click('[data-testid=severity-filter] button[data-severity=critical]');
        await page.waitForURL((u) => u.searchParams.get('severity') === 'critical');
        await page.click('[data-testid=severity-filter] button[data-severity=high]');
      })(),
    ]);
    assert.equal(new URL(req.url()).searchParams.get('limit'), '100');
    await page.locator(settled(['findings-table'])).first().waitFor();
    const rows = page.locator('[data-testid=findings-table] tbody tr[data-vuln-id]');
    await page.click('[data-testid=reset-filter]');
    await page.waitForURL((u) => u.search === '');
    await page.locator(settled(['findings-table'])).first().waitFor();
    if ((await rows.count()) > 0) {
      const id = (await rows.first().getAttribute('data-vuln-id')) ?? '';
      await rows.first().locator('td.vuln-cell a').click();
      await page.waitForURL((u) => u.pathname === `/vulns/cves/${encodeURIComponent(id)}`);
      await page.locator('[data-testid=vuln-head]').waitFor();
      await until(async () => (await page.locator('[data-testid=vuln-findings] tbody tr[data-vuln-id]').count()) > 0, `the hosts of ${id}`);
      log(`vulnerability ${id}: ${await page.locator('[data-testid=vuln-hosts]').textContent()} hosts`);
      if (ctx.shotsAlways) await ctx.shot('vulnerability');
    } else {
      log('vulnerabilities: none found');
    }
    await page.goto(`${base}/vulns/cves`);
    await page.locator(settled(['cves-table'])).first().waitFor();
  });

  await step('patches and weak passwords', async () => {
    await page.click('.nav a[href="/patches"]');
    await page.waitForURL((u) => u.pathname === '/patches');
    await page.locator(settled(['patch-group'])).first().waitFor();
    await page.click('.nav a[href="/weak-passwords"]');
    await page.waitForURL((u) => u.pathname === '/weak-passwords');
    await page.locator(settled(['weak-table'])).first().waitFor();
    log(`weak passwords: ${(await page.locator('[data-testid=weak-count]').textContent()) ?? 'none'}`);
  });

  await step('vulnerability database', async () => {
    await page.click('.nav a[href="/vulndb"]');
    await page.waitForURL((u) => u.pathname === '/vulndb');
    await page.locator('[data-testid=vulndb-stats], [data-testid=vulndb-page] > .error-banner').first().waitFor();
    if ((await page.locator('[data-testid=vulndb-stats]').count()) > 0) {
      log(`vulnerability database: ${await page.locator('[data-testid=stat-advisories] .stat-value').textContent()} advisories`);
      await page.locator(settled(['advisories-table'])).first().waitFor();
    } else {
      log(`vulnerability database: ${await page.locator('.error-banner .error-message').textContent()}`);
    }
    await page.goto(`${base}/agents/${encodeURIComponent(agentId)}?tab=vulns`);
    await page.locator('[data-testid=agent-risk] [data-testid=host-risk-stats], [data-testid=agent-risk] .error-banner').first().waitFor({ timeout: 30_000 });
    if (ctx.shotsAlways) await ctx.shot('agent-vulnerabilities');
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=agent-drawer]').waitFor({ state: 'detached' });
  });
}
