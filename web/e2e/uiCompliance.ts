// Compliance baselines in the browser, against the fake API's fixture
// results, in English or Chinese: the overview (the fleet's score per
// policy, a policy's trend, its score by host label, its regressions and
// its lowest hosts), a policy's checks by failing hosts with their
// filters (kept in the URL), a check's drawer (texts, references, the
// failing hosts and their evidence), the catalogue (a refused upload's
// problems by line, uploads in Vigil's format and as a Wazuh SCA file, an
// assignment, deletions), an agent's compliance tab (filters, evidence,
// an exception shown, a run now sent as the collect command and its
// result, a new exception, the report downloaded and printed), and the
// exceptions list. A viewer reads it all and changes nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { CheckStanding, ComplianceException, ComplianceGroup, ComplianceSummary } from '../src/api/types';
import { dictionaries, type Lang, type MessageKey } from '../src/i18n/messages';
import { badUpload, fixesAtNextRuns, goodUpload, scaUpload } from './fixtures-compliance.mjs';
import { apiRequest, signIn, until } from './steps';

interface Result {
  agent_id: string;
  policy_id: string;
  check_id: string;
  status: string;
  severity: string;
  evidence: { result: string; evidence?: string[] }[];
}

interface Server {
  url: string;
  requests: { method: string; path: string; query: Record<string, string[]>; body: unknown }[];
  compliance: {
    catalogue: { id: string; shipped: boolean; items: { id: string; title: { en: string; zh: string }; remediation: { en: string; zh: string } }[] }[];
    exceptions: ComplianceException[];
    results: Result[];
    summaries: () => ComplianceSummary[];
    checks: (policyId: string) => CheckStanding[];
    groups: (label: string, policyId: string) => ComplianceGroup[];
  };
}

interface Shots {
  dir: string;
  always: boolean;
}

const web01 = '7f1c2a9e-0001';
const web02 = '7f1c2a9e-0002';
const db01 = '7f1c2a9e-0003';

/** tr reads a text of the dictionaries, with its placeholders filled. */
function tr(lang: Lang, key: MessageKey, vars: Record<string, string | number> = {}): string {
  return dictionaries[lang][key].replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** rowAttr reads one data attribute of each body row of a table (opened rows left out). */
async function rowAttr(page: Page, table: string, attr: string): Promise<string[]> {
  return page.locator(`${table} > tbody > tr:not(.expanded)`).evaluateAll((rows, a) => rows.map((r) => r.getAttribute(a) ?? ''), attr);
}

/** round1 rounds a score as the console shows it in data-score. */
const round1 = (v: number | null) => (v === null ? '' : String(Math.round(v * 10) / 10));

/** failingLine reads the first line of the first failing rule of a result's evidence as file, line and text. */
function failingLine(r: Result): { source: string; line: number; text: string } {
  const l = r.evidence.find((e) => e.result === 'fails')?.evidence?.[0] ?? '';
  const m = /^(\S+):(\d+): (.*)$/.exec(l);
  if (!m) throw new Error(`no file and line in ${JSON.stringify(l)}`);
  return { source: m[1]!, line: Number(m[2]), text: m[3]! };
}

/** lineOf is the 1-based line of the first line of text that contains s. */
const lineOf = (text: string, s: string) => text.split('\n').findIndex((l) => l.includes(s)) + 1;

/** localInput is a datetime-local value for a time some days ahead. */
function localInput(daysAhead: number): string {
  const d = new Date(Date.now() + daysAhead * 86_400_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** complianceWalk walks every compliance page in one language, as an admin. */
export async function complianceWalk(page: Page, server: Server, token: string, shots: Shots, lang: Lang): Promise<void> {
  const shot = async (name: string, other: Page = page) => {
    if (shots.always) await other.screenshot({ path: join(shots.dir, `compliance-${name}-${lang}.png`) });
  };
  const t = (key: MessageKey, vars?: Record<string, string | number>) => tr(lang, key, vars);
  const c = server.compliance;
  const text = (x: { en: string; zh: string }) => x[lang] || x.en;
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  if (lang === 'zh') {
    await page.click('.topbar .lang-switch button:has-text("中文")');
    await expect.poll(() => page.locator('[data-testid=risk-nav] a[href="/compliance"]').textContent()).toBe('合规基线');
  }

  // ---- The overview ----
  await page.click('.nav a[href="/compliance"]');
  await page.waitForURL((u) => u.pathname === '/compliance');
  expect(await page.locator('.topbar h1').textContent()).toBe(t('nav.compliance'));
  const fleet = c.groups('', '');
  const fleetOrder = [...fleet].sort((a, b) => (a.score ?? 0) - (b.score ?? 0)).map((g) => g.policy_id);
  await expect.poll(() => rowAttr(page, '[data-testid=fleet-policies]', 'data-policy-id')).toEqual(fleetOrder);
  for (const g of fleet) {
    const row = page.locator(`[data-testid=fleet-policies] tr[data-policy-id="${g.policy_id}"]`);
    expect(await row.locator('[data-testid=fleet-score]').getAttribute('data-score'), g.policy_id).toBe(round1(g.score));
    expect(await row.locator('[data-testid=fleet-hosts]').textContent()).toBe(String(g.hosts));
  }
  const failingOn = (policy: string) => c.summaries().filter((s) => s.policy_id === policy && s.applicable && s.counts.fail > 0).length;
  expect(await page.locator('[data-testid=fleet-policies] tr[data-policy-id=cis_debian12] [data-testid=fleet-failing]').textContent()).toBe(String(failingOn('cis_debian12')));
  expect(await page.locator('[data-testid=fleet-policies] tr[data-policy-id=cis_debian12] a.strong').textContent()).toBe(lang === 'zh' ? 'CIS Debian Linux 12 安全基线 v1.1.0' : 'CIS Debian Linux 12 Benchmark v1.1.0');

  // One policy: its trend, groups, regressions and lowest hosts, kept in the URL.
  const [drift] = await Promise.all([
    page.waitForRequest(apiRequest('GET', '/compliance/drift', (u) => u.searchParams.get('policy_id') === 'cis_debian12')),
    page.locator('[data-testid=compliance-focus] select[name=policy]').selectOption('cis_debian12'),
  ]);
  expect(new URL(drift.url()).searchParams.get('regressed')).toBe('true');
  await page.waitForURL((u) => u.searchParams.get('policy') === 'cis_debian12');
  const cis = fleet.find((g) => g.policy_id === 'cis_debian12')!;
  const chart = page.locator('[data-testid=trend-chart]');
  await expect.poll(() => chart.getAttribute('data-last')).toBe(round1(cis.score));
  expect(await chart.getAttribute('data-points')).toBe('30');
  await expect.poll(() => rowAttr(page, '[data-testid=drift-table]', 'data-check-id')).toEqual(['cis_debian12.6.1.1.1', 'cis_debian12.5.1.20', 'cis_debian12.7.1.5']);
  expect(await rowAttr(page, '[data-testid=drift-table]', 'data-agent-id')).toEqual([web02, web02, db01]);
  const lowest = c
    .summaries()
    .filter((s) => s.policy_id === 'cis_debian12' && s.score !== null)
    .sort((a, b) => (a.score ?? 0) - (b.score ?? 0))
    .map((s) => s.agent_id);
  expect(await rowAttr(page, '[data-testid=lowest-hosts]', 'data-agent-id')).toEqual(lowest);
  // Grouped by role.
  const [groupsReq] = await Promise.all([page.waitForRequest(apiRequest('GET', '/compliance/groups', (u) => u.searchParams.get('label') === 'role')), page.locator('[data-testid=group-label]').selectOption('role')]);
  expect(new URL(groupsReq.url()).searchParams.get('policy_id')).toBe('cis_debian12');
  await page.waitForURL((u) => u.searchParams.get('label') === 'role');
  const byRole = c.groups('role', 'cis_debian12');
  await expect.poll(() => rowAttr(page, '[data-testid=groups-table]', 'data-value')).toEqual(byRole.map((g) => g.value));
  for (const g of byRole) expect(await page.locator(`[data-testid=groups-table] tr[data-value="${g.value}"] [data-testid=group-score]`).getAttribute('data-score')).toBe(round1(g.score));
  await shot('overview');
  // A shorter period: seven days, read from the URL on reload.
  await page.locator('[data-testid=compliance-focus] select[name=days]').selectOption('7');
  await page.reload();
  await expect.poll(() => chart.getAttribute('data-points')).toBe('7');
  expect(await page.locator('[data-testid=group-label]').inputValue()).toBe('role');
  await expect.poll(() => rowAttr(page, '[data-testid=drift-table]', 'data-check-id')).toEqual(['cis_debian12.6.1.1.1', 'cis_debian12.5.1.20']);

  // ---- A policy's failures ----
  await page.locator('[data-testid=fleet-policies] tr[data-policy-id=cis_debian12] a.strong').click();
  await page.waitForURL((u) => u.pathname === '/compliance/policies/cis_debian12');
  expect(await page.locator('.topbar h1').textContent()).toBe(t('cpol.title'));
  const standing = c.checks('cis_debian12');
  const checks = () => rowAttr(page, '[data-testid=checks-table]', 'data-check-id');
  await expect.poll(() => checks()).toEqual(standing.map((s) => s.check_id));
  expect(await page.locator('[data-testid=policy-head] [data-testid=policy-score]').getAttribute('data-score')).toBe(round1(cis.score));
  const first = page.locator(`[data-testid=checks-table] tr[data-check-id="${standing[0]!.check_id}"]`);
  expect(await first.locator('[data-testid=failing-hosts]').textContent()).toBe(String(standing[0]!.hosts.fail));
  const policy = c.catalogue.find((p) => p.id === 'cis_debian12')!;
  const rootLogin = page.locator('[data-testid=checks-table] tr[data-check-id="cis_debian12.5.1.20"]');
  expect(await rootLogin.locator('.check-title .strong').textContent()).toBe(text(policy.items.find((x) => x.id === 'cis_debian12.5.1.20')!.title));
  expect(await rootLogin.locator('[data-framework=cis] .ref-v').textContent()).toBe('5.1.20');
  expect(await rootLogin.locator('[data-framework=mlps] .ref-v').textContent()).toBe('8.1.4.2 d)');
  expect(await rootLogin.locator('[data-framework=mlps] .ref-k').textContent()).toBe(t('framework.mlps'));
  // Filters: severities, failing only and text, in the URL.
  await page.click('[data-testid=check-severity] button[data-severity=critical]');
  await page.waitForURL((u) => u.searchParams.get('severity') === 'critical');
  await expect.poll(() => checks()).toEqual(standing.filter((s) => s.severity === 'critical').map((s) => s.check_id));
  await page.click('[data-testid=check-severity] button[data-severity=critical]');
  await page.locator('[data-testid=check-filter] input[name=failing]').check();
  await page.waitForURL((u) => u.searchParams.get('failing') === 'true' && !u.searchParams.has('severity'));
  await expect.poll(() => checks()).toEqual(standing.filter((s) => s.hosts.fail + s.hosts.error > 0).map((s) => s.check_id));
  await page.locator('[data-testid=check-filter] input[name=q]').fill('5.1.2');
  await page.locator('[data-testid=check-filter] button[type=submit]').click();
  await page.waitForURL((u) => u.searchParams.get('q') === '5.1.2');
  await expect.poll(() => checks()).toEqual(['cis_debian12.5.1.20']);
  await page.goto(`${server.url}/compliance/policies/cis_debian12`);
  await expect.poll(() => checks()).toEqual(standing.map((s) => s.check_id));
  await shot('policy');

  // ---- A check's drawer: texts and the failing hosts with their evidence ----
  const [hostsReq] = await Promise.all([
    page.waitForRequest(apiRequest('GET', '/compliance', (u) => u.searchParams.get('check_id') === 'cis_debian12.5.4.1.1')),
    page.locator('[data-testid=checks-table] tr[data-check-id="cis_debian12.5.4.1.1"]').click(),
  ]);
  expect(Object.fromEntries(new URL(hostsReq.url()).searchParams)).toMatchObject({ policy_id: 'cis_debian12', status: 'fail', limit: '50' });
  await page.waitForURL((u) => u.searchParams.get('check') === 'cis_debian12.5.4.1.1');
  const drawer = page.locator('[data-testid=check-drawer]');
  const expiry = policy.items.find((x) => x.id === 'cis_debian12.5.4.1.1')!;
  expect(await drawer.locator('h2').textContent()).toBe(text(expiry.title));
  expect(await drawer.locator('[data-testid=check-remediation] .pre-wrap').textContent()).toBe(text(expiry.remediation));
  const failingHosts = c.results.filter((r) => r.check_id === 'cis_debian12.5.4.1.1' && r.status === 'fail');
  await expect.poll(() => drawer.locator('[data-testid=check-hosts] > li').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-agent-id')))).toEqual(failingHosts.map((r) => r.agent_id));
  const evidence = drawer.locator(`[data-testid=check-hosts] > li[data-agent-id="${failingHosts[0]!.agent_id}"] [data-testid=evidence]`);
  const fails = evidence.locator('li[data-result=fails]').first();
  const want = failingLine(failingHosts[0]!);
  expect(await fails.locator('[data-testid=ev-source]').first().textContent()).toBe(want.source);
  expect(await fails.locator('[data-testid=ev-line]').first().textContent()).toBe(t('evidence.line', { n: want.line }));
  expect(await fails.locator('[data-testid=ev-text]').first().textContent()).toBe(want.text);
  // A long list shows its first lines and the rest on demand.
  const accounts = evidence.locator('li[data-rule-type=account]');
  expect(await accounts.locator('.evidence-line').count()).toBe(6);
  await accounts.locator('[data-testid=evidence-more]').click();
  expect(await accounts.locator('.evidence-line').count()).toBe(10);
  expect(await accounts.locator('.evidence-cut').textContent()).toBe(t('evidence.agentCut', { text: '... 4 more lines cut' }));
  await shot('check');
  await drawer.locator('[data-testid=check-host-status]').selectOption('not_applicable');
  await expect.poll(() => drawer.locator('.empty').textContent()).toBe(t('cpol.noHosts', { status: t('cstatus.not_applicable') }));
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });
  await page.waitForURL((u) => !u.searchParams.has('check'));

  // ---- The catalogue: uploads, an assignment, deletions ----
  await page.goto(`${server.url}/compliance/policies`);
  const catalogue = page.locator('[data-testid=policies-table]');
  await expect.poll(() => rowAttr(page, '[data-testid=policies-table]', 'data-policy-id')).toEqual(c.catalogue.map((p) => p.id));
  await page.click('[data-testid=upload-policy]');
  const upload = page.locator('[data-testid=policy-upload-dialog]');
  await upload.locator('[data-testid=policy-file]').setInputFiles({ name: 'acme_web.yml', mimeType: 'application/yaml', buffer: Buffer.from(badUpload) });
  await expect.poll(() => upload.locator('input[name=id]').inputValue()).toBe('acme_web');
  expect(await upload.locator('select[name=format]').inputValue()).toBe('vigil');
  const [refused] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/v1/compliance/policies/acme_web') && r.request().method() === 'PUT'), upload.locator('[data-testid=policy-upload-send]').click()]);
  expect(refused.status()).toBe(422);
  const problems = upload.locator('[data-testid=policy-problems]');
  await expect.poll(() => problems.locator('tbody tr').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-line'))))).toEqual([lineOf(badUpload, 'sshd2'), lineOf(badUpload, 'id: web.2')]);
  expect(await problems.locator('.strong').first().textContent()).toBe(t('cpol.refused', { n: 2 }));
  expect(await problems.locator('tbody tr').first().textContent()).toContain('checks[0].rules[0].config.format');
  expect(await problems.locator('tbody tr').first().textContent()).toContain('unknown format "sshd2"');
  await shot('upload-refused');
  await upload.locator('[data-testid=policy-file]').setInputFiles({ name: 'acme_web.yml', mimeType: 'application/yaml', buffer: Buffer.from(goodUpload) });
  await expect.poll(() => problems.count()).toBe(0);
  const [put] = await Promise.all([page.waitForRequest(apiRequest('PUT', '/compliance/policies/acme_web')), upload.locator('[data-testid=policy-upload-send]').click()]);
  expect(put.headers()['content-type']?.toLowerCase()).toBe('application/yaml; charset=utf-8');
  expect(put.postData()).toBe(goodUpload);
  await upload.waitFor({ state: 'detached' });
  const acmeWeb = catalogue.locator('tr[data-policy-id=acme_web]');
  await expect.poll(() => acmeWeb.locator('td.num .strong').textContent()).toBe('2');
  expect(await acmeWeb.textContent()).toContain(t('cpol.uploaded'));
  // A Wazuh SCA file: its format is seen, a check it cannot translate is said.
  await page.click('[data-testid=upload-policy]');
  await upload.locator('[data-testid=policy-file]').setInputFiles({ name: 'acme_sca.yml', mimeType: 'application/yaml', buffer: Buffer.from(scaUpload) });
  await expect.poll(() => upload.locator('select[name=format]').inputValue()).toBe('wazuh-sca');
  expect(await upload.locator('input[name=id]').inputValue()).toBe('acme_sca');
  const [scaPut] = await Promise.all([page.waitForRequest(apiRequest('PUT', '/compliance/policies/acme_sca')), upload.locator('[data-testid=policy-upload-send]').click()]);
  expect(new URL(scaPut.url()).searchParams.get('format')).toBe('wazuh-sca');
  await upload.waitFor({ state: 'detached' });
  await expect.poll(() => catalogue.locator('tr[data-policy-id=acme_sca] [data-testid=policy-skipped]').textContent()).toBe(t('cpol.skipped', { n: 1 }));
  expect(await catalogue.locator('tr[data-policy-id=acme_sca] [data-testid=policy-skipped]').getAttribute('title')).toContain(`acme_sca.yml:${lineOf(scaUpload, "c:ps -ef")}: checks[2].rules[0]`);
  // The assignment: labels and an interval, checked before sending.
  await acmeWeb.locator('[data-action=assign]').click();
  const assign = page.locator('[data-testid=assignment-dialog]');
  await assign.locator('[data-testid=add-label]').click();
  await assign.locator('[data-label-key="0"]').fill('role');
  await assign.locator('[data-label-value="0"]').fill('web');
  await assign.locator('input[name=interval]').fill('5m');
  expect(await assign.locator('[data-testid=interval-note]').textContent()).toBe(t('cpol.intervalRange'));
  expect(await assign.locator('button[type=submit]').isDisabled()).toBe(true);
  await assign.locator('input[name=interval]').fill('6h');
  const [assigned] = await Promise.all([page.waitForRequest(apiRequest('PUT', '/compliance/policies/acme_web/assignment')), assign.locator('button[type=submit]').click()]);
  expect(assigned.postDataJSON()).toEqual({ selector: { role: 'web' }, interval_seconds: 21600, disabled: false });
  await assign.waitFor({ state: 'detached' });
  await expect.poll(() => acmeWeb.locator('[data-testid=policy-assignment] .chip').getAttribute('title')).toBe('role=web');
  await expect.poll(() => acmeWeb.locator('[data-testid=policy-assignment] .sub').textContent()).toBe(t('cpol.every', { d: '6h' }));
  await shot('catalogue');
  // The uploads deleted; a shipped policy offers no deletion.
  expect(await catalogue.locator('tr[data-policy-id=cis_debian12] [data-action=delete]').count()).toBe(0);
  for (const id of ['acme_web', 'acme_sca']) {
    await catalogue.locator(`tr[data-policy-id=${id}] [data-action=delete]`).click();
    const [del] = await Promise.all([page.waitForRequest(apiRequest('DELETE', `/compliance/policies/${id}`)), page.click('[data-testid=confirm-ok]')]);
    expect(del).toBeTruthy();
    await expect.poll(() => catalogue.locator(`tr[data-policy-id=${id}]`).count()).toBe(0);
  }
  expect(c.catalogue.some((p) => p.id === 'acme_web' || p.id === 'acme_sca')).toBe(false);

  // ---- An agent's compliance tab ----
  await page.goto(`${server.url}/agents/${web01}`);
  const agent = page.locator('[data-testid=agent-drawer]');
  await agent.locator('[data-tab=compliance]').click();
  await page.waitForURL((u) => u.searchParams.get('tab') === 'compliance');
  expect(await agent.locator('[data-tab=compliance]').textContent()).toBe(t('agent.tab.compliance'));
  const tab = agent.locator('[data-testid=agent-compliance]');
  const mine = () => c.summaries().filter((s) => s.agent_id === web01);
  await expect.poll(() => rowAttr(page, '[data-testid=host-policies]', 'data-policy-id')).toEqual(mine().map((s) => s.policy_id));
  const hostScore = (policy: string) => tab.locator(`[data-testid=host-policies] tr[data-policy-id=${policy}] [data-testid=host-score]`).getAttribute('data-score');
  for (const s of mine()) expect(await hostScore(s.policy_id), s.policy_id).toBe(round1(s.score));
  // Filters: status, severity and text, sent as the center reads them.
  const filter = tab.locator('[data-testid=host-result-filter]');
  const [statusReq] = await Promise.all([page.waitForRequest(apiRequest('GET', '/compliance', (u) => u.searchParams.get('status') === 'fail')), filter.locator('select[name=status]').selectOption('fail')]);
  expect(Object.fromEntries(new URL(statusReq.url()).searchParams)).toEqual({ agent_id: web01, status: 'fail', limit: '50' });
  const failingHere = () => c.results.filter((r) => r.agent_id === web01 && r.status === 'fail' && !c.exceptions.some((e) => e.policy_id === r.policy_id && (!e.check_id || e.check_id === r.check_id) && (!e.agent_id || e.agent_id === web01) && (!e.expires_at || Date.parse(e.expires_at) > Date.now())));
  await expect.poll(() => rowAttr(page, '[data-testid=host-results]', 'data-check-id')).toEqual(failingHere().map((r) => r.check_id));
  // The next fix the host will report: its failing evidence, found by severity and text.
  const pending = fixesAtNextRuns.checks.map((id) => c.results.find((r) => r.agent_id === web01 && r.check_id === id)).find((r) => r?.status === 'fail')!;
  expect(pending, 'a fix still to come on web-01').toBeTruthy();
  await Promise.all([page.waitForRequest(apiRequest('GET', '/compliance', (u) => u.searchParams.get('severity') === pending.severity)), filter.locator('select[name=severity]').selectOption(pending.severity)]);
  await filter.locator('input[name=q]').fill(pending.check_id);
  const [textReq] = await Promise.all([page.waitForRequest(apiRequest('GET', '/compliance', (u) => u.searchParams.get('q') === pending.check_id)), filter.locator('button[type=submit]').click()]);
  expect(Object.fromEntries(new URL(textReq.url()).searchParams)).toMatchObject({ status: 'fail', severity: pending.severity });
  await expect.poll(() => rowAttr(page, '[data-testid=host-results]', 'data-check-id')).toEqual([pending.check_id]);
  await tab.locator(`[data-testid=host-results] tr[data-check-id="${pending.check_id}"]`).click();
  const detail = tab.locator('[data-testid=result-detail]');
  const line = failingLine(pending);
  expect(await detail.locator('[data-testid=ev-source]').first().textContent()).toBe(line.source);
  expect(await detail.locator('[data-testid=ev-line]').first().textContent()).toBe(t('evidence.line', { n: line.line }));
  expect(await detail.locator('[data-testid=ev-text]').first().textContent()).toBe(line.text);
  expect(await detail.locator('[data-testid=check-remediation]').count()).toBe(1);
  await shot('host-result');
  // An excepted result shows its exception.
  await filter.locator('input[name=q]').fill('');
  await filter.locator('select[name=severity]').selectOption('');
  await filter.locator('button[type=submit]').click();
  await filter.locator('select[name=status]').selectOption('excepted');
  const cramfs = tab.locator('[data-testid=host-results] tr[data-check-id="cis_debian12.1.1.1.1"]');
  await cramfs.waitFor();
  await cramfs.click();
  const note = tab.locator('[data-testid=exception-note]').first();
  await expect.poll(() => note.textContent()).toContain("The vendor's firmware update tool mounts a cramfs image (ticket OPS-412)");
  expect(await note.textContent()).toContain('alice');
  await cramfs.click();

  // Run now: the collect command of the baseline collector, then the tab reloads.
  const [run] = await Promise.all([page.waitForRequest(apiRequest('POST', '/agents/commands')), tab.locator('[data-testid=run-baseline]').click()]);
  expect(run.postDataJSON()).toEqual({ command: 'collect', args: { name: 'compliance/baseline' }, agent_ids: [web01], timeout: '3m' });
  const ran = tab.locator('[data-testid=run-result]');
  await expect.poll(() => ran.getAttribute('data-ok')).toBe('true');
  const items = c.results.filter((r) => r.agent_id === web01).length + mine().length;
  expect(await ran.textContent()).toBe(t('hostc.ran', { n: items, changed: 1, s: '0.0' }));
  expect(pending.status).toBe('pass');
  const fixedNow = mine().find((s) => s.policy_id === pending.policy_id)!;
  await expect.poll(() => hostScore(pending.policy_id)).toBe(round1(fixedNow.score));
  await shot('host-ran');

  // A new exception from a failing result.
  const target = lang === 'en' ? { policy: 'acme_baseline', check: 'acme_baseline.2' } : { policy: 'mlps_level2', check: 'mlps_level2.7.1.4.1.b.3' };
  await filter.locator('select[name=status]').selectOption('fail');
  const row = tab.locator(`[data-testid=host-results] tr[data-check-id="${target.check}"]`);
  await row.click();
  await tab.locator('[data-testid=result-detail] [data-testid=except-result]').click();
  const dialog = page.locator('[data-testid=compliance-exception-dialog]');
  expect(await dialog.locator('[data-testid=exception-scope]').textContent()).toContain(target.check);
  const reason = lang === 'en' ? "nginx shows its version to the vendor's monitoring on purpose" : '供应商监控需要，暂不锁定（工单 OPS-518）';
  await dialog.locator('input[name=expires_at]').fill(localInput(-1));
  await dialog.locator('textarea[name=reason]').fill(reason);
  expect(await dialog.locator('[data-testid=exception-problems]').textContent()).toBe(t('exception.pastExpiry'));
  await dialog.locator('input[name=expires_at]').fill(localInput(30));
  const [posted] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/compliance/exceptions') && r.request().method() === 'POST'), dialog.locator('button[type=submit]').click()]);
  expect(posted.status()).toBe(201);
  const body = posted.request().postDataJSON() as Record<string, string>;
  expect(body).toMatchObject({ policy_id: target.policy, check_id: target.check, agent_id: web01, reason });
  expect(Date.parse(body.expires_at!) - Date.now()).toBeGreaterThan(29 * 86_400_000);
  const created = (await posted.json()) as ComplianceException;
  await dialog.waitFor({ state: 'detached' });
  await expect.poll(() => row.count()).toBe(0);
  const after = mine().find((s) => s.policy_id === target.policy)!;
  await expect.poll(() => hostScore(target.policy)).toBe(round1(after.score));

  // The report, in the console's language: downloaded, then opened to print.
  const [download, reportReq] = await Promise.all([page.waitForEvent('download'), page.waitForRequest(apiRequest('GET', '/compliance/report')), tab.locator('[data-testid=report-download]').click()]);
  expect(Object.fromEntries(new URL(reportReq.url()).searchParams)).toEqual({ agent_id: web01, lang });
  expect(download.suggestedFilename()).toMatch(/^vigil-compliance-web-01-\d{4}-\d\d-\d\d\.html$/);
  const saved = readFileSync((await download.path())!, 'utf8');
  const reportTitle = `${lang === 'zh' ? 'Vigil 合规报告' : 'Vigil compliance report'} — web-01`;
  expect(saved).toContain(`<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">`);
  expect(saved).toContain(`<title>${reportTitle}</title>`);
  const [popup] = await Promise.all([page.context().waitForEvent('page'), tab.locator('[data-testid=report-print]').click()]);
  await until(async () => (await popup.title()) === reportTitle, 'the report in its window');
  expect(await popup.locator('h1').textContent()).toBe(reportTitle);
  expect(await popup.evaluate(() => document.documentElement.lang)).toBe(lang === 'zh' ? 'zh-CN' : 'en');
  // Its own styles apply, under the console's Content-Security-Policy.
  expect(await popup.locator('h1').evaluate((h) => getComputedStyle(h).borderBottomColor)).toBe('rgb(29, 78, 216)');
  expect(await popup.locator('section').count()).toBe(mine().length);
  await shot('report-print', popup);
  await popup.close();
  await shot('host');
  await page.keyboard.press('Escape');
  await agent.waitFor({ state: 'detached' });

  // ---- The exceptions ----
  await page.click('.nav a[href="/compliance"]');
  await page.click('[data-testid=compliance-tabs] [data-tab=exceptions]');
  await page.waitForURL((u) => u.pathname === '/compliance/exceptions');
  const list = page.locator('[data-testid=compliance-exceptions]');
  const active = c.exceptions.filter((e) => !e.expires_at || Date.parse(e.expires_at) > Date.now());
  await expect.poll(() => rowAttr(page, '[data-testid=compliance-exceptions]', 'data-exception-id')).toEqual([...active].sort((a, b) => b.created_at.localeCompare(a.created_at)).map((e) => e.id));
  expect(await list.locator(`tr[data-exception-id="${created.id}"]`).textContent()).toContain(reason);
  await page.locator('[data-testid=cexc-filter] input[name=expired]').check();
  await page.waitForURL((u) => u.searchParams.get('expired') === 'true');
  await expect.poll(() => list.locator('tr[data-exception-id=cex-0003] [data-testid=expired]').textContent()).toBe(t('exceptions.expired'));
  await shot('exceptions');
  await list.locator(`tr[data-exception-id="${created.id}"] [data-action=delete]`).click();
  const [gone] = await Promise.all([page.waitForRequest(apiRequest('DELETE', `/compliance/exceptions/${created.id}`)), page.click('[data-testid=confirm-ok]')]);
  expect(gone).toBeTruthy();
  await expect.poll(() => list.locator(`tr[data-exception-id="${created.id}"]`).count()).toBe(0);
  expect(c.exceptions.some((e) => e.id === created.id)).toBe(false);
}

/** complianceViewerWalk checks that a viewer reads compliance and changes nothing. */
export async function complianceViewerWalk(page: Page, server: Server, token: string): Promise<void> {
  const t = (key: MessageKey) => tr('en', key);
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  await page.goto(`${server.url}/compliance`);
  await page.locator('[data-testid=fleet-policies]').waitFor();
  await page.goto(`${server.url}/compliance/policies`);
  await page.locator('[data-testid=policies-table]').waitFor();
  expect(await page.locator('[data-testid=upload-policy]').isDisabled()).toBe(true);
  expect(await page.locator('[data-testid=upload-policy]').getAttribute('title')).toBe(t('error.needAdmin'));
  expect(await page.locator('[data-testid=policies-table] [data-action]').count()).toBe(0);
  await page.goto(`${server.url}/compliance/exceptions`);
  await page.locator('[data-testid=compliance-exceptions]').waitFor();
  expect(await page.locator('[data-testid=new-compliance-exception]').isDisabled()).toBe(true);
  expect(await page.locator('[data-testid=compliance-exceptions] [data-action=delete]').count()).toBe(0);
  // A host's tab: no run (the collect command is the responders'), no exception, the report still.
  await page.goto(`${server.url}/agents/${web02}?tab=compliance`);
  const tab = page.locator('[data-testid=agent-compliance]');
  await tab.locator('[data-testid=host-policies]').waitFor();
  expect(await tab.locator('[data-testid=run-baseline]').isDisabled()).toBe(true);
  expect(await tab.locator('[data-testid=run-baseline]').getAttribute('title')).toBe(t('error.needResponder'));
  await tab.locator('select[name=status]').selectOption('fail');
  await tab.locator('[data-testid=host-results] tr[data-check-id="cis_debian12.5.1.20"]').click();
  expect(await tab.locator('[data-testid=except-result]').isDisabled()).toBe(true);
  expect(await tab.locator('[data-testid=except-result]').getAttribute('title')).toBe(t('error.needAnalyst'));
  const [download] = await Promise.all([page.waitForEvent('download'), tab.locator('[data-testid=report-download]').click()]);
  expect(download.suggestedFilename()).toMatch(/^vigil-compliance-web-02-/);
}
