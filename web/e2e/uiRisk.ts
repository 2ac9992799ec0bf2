// Risk management in the browser, against the fake API's fixture findings,
// weak passwords and vulnerability database, in English or Chinese: the
// overview (counts, hosts riskiest first, top vulnerabilities, weak
// passwords by target, the database's warnings), the findings with their
// filters (kept in the URL and sent as the center reads them), the view by
// vulnerability, a CVE's page (KEV entry, advisories, fixed versions,
// references, hosts), patches with a command copied, an agent's
// vulnerabilities tab, weak passwords with their filters and the word
// lists (uploaded and deleted), and the vulnerability database: an import
// of an 8 MiB export with its upload progress and its job followed phase
// by phase to the end, the advisory found and its record opened, and a
// sync. A viewer reads it all and changes nothing.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Advisory, VulnFinding, VulnJob, WeakPassword, Wordlist } from '../src/api/types';
import { dictionaries, type Lang, type MessageKey } from '../src/i18n/messages';
import { bytes } from '../src/lib/format';
import { makeMavenExport } from './fixtures-risk.mjs';
import { apiRequest, signIn, until } from './steps';

interface Server {
  url: string;
  requests: { method: string; path: string; query: Record<string, string[]>; body: unknown }[];
  risk: {
    findings: VulnFinding[];
    advisories: Advisory[];
    weakPasswords: WeakPassword[];
    wordlists: (Wordlist & { words: string[] })[];
    sources: { name: string; synced_at?: string }[];
    jobs: VulnJob[];
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

/** clipboard reads what the page copied. */
async function clipboard(page: Page): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText());
}

/** riskWalk walks every risk page in one language, as an admin. */
export async function riskWalk(page: Page, server: Server, token: string, shots: Shots, lang: Lang): Promise<void> {
  const shot = async (name: string) => {
    if (shots.always) await page.screenshot({ path: join(shots.dir, `risk-${name}-${lang}.png`) });
  };
  const t = (key: MessageKey, vars?: Record<string, string | number>) => tr(lang, key, vars);
  const risk = server.risk;
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  if (lang === 'zh') {
    await page.click('.topbar .lang-switch button:has-text("中文")');
    await expect.poll(() => page.locator('[data-testid=risk-nav]').textContent()).toContain('风险概览');
  }

  // ---- The overview ----
  await page.click('.nav a[href="/risk"]');
  await page.waitForURL((u) => u.pathname === '/risk');
  expect(await page.locator('.topbar h1').textContent()).toBe(t('nav.risk'));
  const tiles = page.locator('[data-testid=risk-tiles]');
  const sev = (s: string) => risk.findings.filter((f) => f.severity === s).length;
  await expect.poll(() => tiles.locator('[data-testid=count-total]').textContent()).toBe(String(risk.findings.length));
  expect(await tiles.locator('[data-testid=count-critical]').textContent()).toBe(String(sev('critical')));
  expect(await tiles.locator('[data-testid=count-high]').textContent()).toBe(String(sev('high')));
  expect(await tiles.locator('[data-testid=count-other]').textContent()).toBe(String(sev('none') + sev('unknown')));
  expect(await tiles.locator('[data-testid=count-kev]').textContent()).toBe(String(risk.findings.filter((f) => f.known_exploited).length));
  expect(await tiles.locator('[data-testid=count-hosts]').textContent()).toBe('4');
  await expect.poll(() => tiles.locator('[data-testid=count-weak]').textContent()).toBe(String(risk.weakPasswords.length));
  // Hosts riskiest first: web-01 has the known exploited Log4Shell.
  await page.locator('[data-testid=risk-hosts]').waitFor();
  expect(await rowAttr(page, '[data-testid=risk-hosts]', 'data-agent-id')).toEqual([web01, db01, web02, '7f1c2a9e-0004']);
  await expect.poll(() => rowAttr(page, '[data-testid=top-vulns]', 'data-vuln-id')).toContain('CVE-2021-44228');
  expect((await rowAttr(page, '[data-testid=top-vulns]', 'data-vuln-id')).slice(0, 2)).toEqual(['CVE-2021-44228', 'CVE-2021-45046']);
  const weakTargets = page.locator('[data-testid=weak-targets]');
  await expect.poll(() => weakTargets.locator('tr[data-target=account] [data-testid=target-total]').textContent()).toBe('3');
  expect(await weakTargets.locator('tr[data-target=account] td').first().textContent()).toBe(t('weak.target.account'));
  expect(await rowAttr(page, '[data-testid=weak-targets]', 'data-target')).toEqual(['account', 'redis', 'mysql', 'ssh']);
  // The failing source is warned about; the database's figures are shown.
  await expect.poll(() => page.locator('[data-testid=vulndb-failing]').textContent()).toContain(t('vulndb.failing', { sources: 'PyPI' }));
  expect(await page.locator('[data-testid=db-advisories]').textContent()).toBe(risk.advisories.length.toLocaleString('en-US'));
  await shot('overview');

  // A stale database and an empty one are warned about.
  const synced = risk.sources.map((s) => s.synced_at);
  risk.sources.forEach((s) => (s.synced_at = new Date(Date.now() - 10 * 86_400_000).toISOString()));
  await page.reload();
  await expect.poll(() => page.locator('[data-testid=vulndb-stale]').textContent()).toContain(t('time.ago', { d: t('dur.d', { n: 10 }) }));
  const kept = risk.advisories.splice(0, risk.advisories.length);
  await page.reload();
  await expect.poll(() => page.locator('[data-testid=vulndb-empty]').textContent()).toContain(t('vulndb.empty'));
  expect(await page.locator('[data-testid=vulndb-stale]').count()).toBe(0);
  await shot('overview-empty');
  risk.advisories.push(...kept);
  risk.sources.forEach((s, i) => (s.synced_at = synced[i]));
  await page.reload();
  await page.locator('[data-testid=risk-hosts]').waitFor();
  expect(await page.locator('[data-testid=vulndb-empty], [data-testid=vulndb-stale]').count()).toBe(0);

  // A host's row opens its findings.
  await page.locator(`[data-testid=risk-hosts] tr[data-agent-id="${web02}"]`).click();
  await page.waitForURL((u) => u.pathname === '/vulns' && u.searchParams.get('agent_id') === web02);
  const findings = page.locator('[data-testid=findings-table]');
  const rows = () => rowAttr(page, '[data-testid=findings-table]', 'data-vuln-id');
  await expect.poll(async () => (await rowAttr(page, '[data-testid=findings-table]', 'data-agent-id')).join()).toBe(Array(6).fill(web02).join());
  expect(await page.locator('[data-testid=vuln-filter] select[name=agent_id]').inputValue()).toBe(web02);
  expect(await page.locator('[data-testid=finding-count]').textContent()).toBe(t('vulns.count', { n: 6 }));

  // ---- Findings and their filters ----
  const filter = page.locator('[data-testid=vuln-filter]');
  await filter.locator('[data-testid=reset-filter]').click();
  await page.waitForURL((u) => u.pathname === '/vulns' && u.search === '');
  await expect.poll(async () => (await rows()).length).toBe(risk.findings.length);
  // Severities: any several, sent joined by commas.
  const [sevReq] = await Promise.all([
    page.waitForRequest(apiRequest('GET', '/vulns', (u) => u.searchParams.get('severity') === 'critical')),
    filter.locator('[data-testid=severity-filter] button[data-severity=critical]').click(),
  ]);
  expect(new URL(sevReq.url()).searchParams.get('limit')).toBe('100');
  await page.waitForURL((u) => u.searchParams.get('severity') === 'critical');
  await expect.poll(async () => (await rowAttr(page, '[data-testid=findings-table]', 'data-severity')).join()).toBe(Array(sev('critical')).fill('critical').join());
  await Promise.all([
    page.waitForRequest(apiRequest('GET', '/vulns', (u) => u.searchParams.get('severity') === 'critical,high')),
    filter.locator('[data-testid=severity-filter] button[data-severity=high]').click(),
  ]);
  await expect.poll(async () => (await rows()).length).toBe(sev('critical') + sev('high'));
  expect(await filter.locator('button[data-severity=high]').getAttribute('aria-pressed')).toBe('true');
  // Known exploited and running: the running copy of Log4j only.
  await filter.locator('input[name=known_exploited]').check();
  const [flagReq] = await Promise.all([page.waitForRequest(apiRequest('GET', '/vulns', (u) => u.searchParams.get('running') === 'true')), filter.locator('input[name=running]').check()]);
  expect(Object.fromEntries(new URL(flagReq.url()).searchParams)).toMatchObject({ severity: 'critical,high', known_exploited: 'true', running: 'true' });
  await expect.poll(() => rows()).toEqual(['CVE-2021-44228', 'CVE-2021-45046']);
  expect(await findings.locator('tbody tr[data-vuln-id="CVE-2021-44228"] [data-testid=kev]').textContent()).toBe(t('risk.kev'));
  expect(await findings.locator('tbody tr[data-vuln-id="CVE-2021-44228"] [data-flag=listening]').textContent()).toBe(t('risk.listening'));
  // A row opens to its advisories and path.
  await findings.locator('tbody tr[data-vuln-id="CVE-2021-44228"]').click();
  await expect.poll(() => findings.locator('[data-testid=finding-detail]').textContent()).toContain('/opt/boot/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar');
  expect(await findings.locator('[data-testid=finding-detail]').textContent()).toContain('GHSA-jfh8-c2jp-5v3q');
  await shot('findings-filtered');
  // Back from the URL: the filter is read from it.
  await page.goto(`${server.url}/vulns?ecosystem=Debian%3A12&package=openssl&fixable=true`);
  await expect.poll(() => rows()).toEqual(['CVE-2023-6129', 'CVE-2024-0727', 'CVE-2023-5678', 'CVE-2023-6237']);
  expect(await filter.locator('input[name=package]').inputValue()).toBe('openssl');
  expect(await filter.locator('input[name=fixable]').isChecked()).toBe(true);
  // Text fields apply with the form: free text, then a host.
  await filter.locator('[data-testid=reset-filter]').click();
  await page.waitForURL((u) => u.search === '');
  await filter.locator('input[name=q]').fill('log4j');
  const [textReq] = await Promise.all([page.waitForRequest(apiRequest('GET', '/vulns', (u) => u.searchParams.get('q') === 'log4j')), filter.locator('[data-testid=apply-filter]').click()]);
  expect(new URL(textReq.url()).searchParams.get('agent_id')).toBeNull();
  await expect.poll(async () => (await rows()).length).toBe(8);
  await filter.locator('select[name=agent_id]').selectOption(db01);
  await page.waitForURL((u) => u.searchParams.get('agent_id') === db01 && u.searchParams.get('q') === 'log4j');
  await expect.poll(() => page.locator('.empty').textContent()).toBe(t('vulns.noMatch'));
  // A query the center refuses is shown as the other pages show errors.
  await page.goto(`${server.url}/vulns?q=${'x'.repeat(300)}`);
  await expect.poll(() => page.locator('.error-banner .error-message').textContent()).toBe('q: at most 256 printable bytes');
  expect(await page.locator('.error-banner .error-code').textContent()).toBe('bad_request');

  // ---- By vulnerability ----
  await page.goto(`${server.url}/vulns`);
  await rows();
  await page.click('[data-testid=vulns-tabs] [data-tab=cves]');
  await page.waitForURL((u) => u.pathname === '/vulns/cves');
  const cves = page.locator('[data-testid=cves-table]');
  await cves.waitFor();
  await expect.poll(() => cves.locator('tr[data-vuln-id="CVE-2023-51767"] [data-testid=cve-hosts]').textContent()).toBe('3');
  expect(await page.locator('[data-testid=cve-count]').textContent()).toBe(t('vulns.cveCount', { n: new Set(risk.findings.map((f) => f.vuln_id)).size }));
  await filter.locator('[data-testid=severity-filter] button[data-severity=critical]').click();
  await page.waitForURL((u) => u.pathname === '/vulns/cves' && u.searchParams.get('severity') === 'critical');
  await expect.poll(() => rowAttr(page, '[data-testid=cves-table]', 'data-vuln-id')).toEqual(['CVE-2021-44228', 'CVE-2021-45046']);
  await shot('cves');

  // ---- One CVE ----
  await cves.locator('tr[data-vuln-id="CVE-2021-44228"] a.strong').click();
  await page.waitForURL((u) => u.pathname === '/vulns/cves/CVE-2021-44228');
  const head = page.locator('[data-testid=vuln-head]');
  await head.waitFor();
  expect(await page.locator('.topbar h1').textContent()).toBe(t('vuln.title'));
  expect(await head.locator('.badge[data-severity=critical]').textContent()).toBe(`${t('severity.critical')}10.0`);
  expect(await head.locator('[data-testid=kev]').count()).toBe(1);
  expect(await head.locator('[data-testid=vuln-summary]').textContent()).toBe('Remote code injection in Log4j');
  const kevEntry = page.locator('[data-testid=kev-entry]');
  expect(await kevEntry.locator('[data-testid=kev-added]').textContent()).toBe('2021-12-10');
  expect(await kevEntry.locator('[data-testid=kev-due]').textContent()).toBe(`2021-12-24 · ${t('vuln.kevOverdue')}`);
  expect(await kevEntry.locator('[data-testid=kev-ransomware]').textContent()).toBe(t('vuln.kevRansomwareKnown'));
  const advisories = page.locator('[data-testid=vuln-advisories]');
  expect(await advisories.locator('article').evaluateAll((as) => as.map((a) => a.getAttribute('data-advisory-id')))).toEqual(['DEBIAN-CVE-2021-44228', 'GHSA-jfh8-c2jp-5v3q']);
  const ghsa = advisories.locator('article[data-advisory-id="GHSA-jfh8-c2jp-5v3q"]');
  expect(await ghsa.locator('[data-testid=fixed-in]').textContent()).toBe('2.15.0, 2.12.2, 2.3.1');
  expect(await ghsa.locator('[data-testid=advisory-references] a').first().getAttribute('href')).toBe('https://nvd.nist.gov/vuln/detail/CVE-2021-44228');
  expect(await advisories.locator('article[data-advisory-id="DEBIAN-CVE-2021-44228"] [data-testid=fixed-in]').textContent()).toBe('2.15.0-1~deb11u1');
  await ghsa.locator('.advisory-record summary').click();
  await expect.poll(() => ghsa.locator('.json-body').textContent()).toContain('"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"');
  // The hosts it affects: web-01's two copies.
  await expect.poll(() => rowAttr(page, '[data-testid=vuln-findings]', 'data-agent-id')).toEqual([web01, web01]);
  expect(await page.locator('[data-testid=vuln-findings] thead').textContent()).not.toContain(t('risk.col.vuln'));
  await shot('cve');

  // ---- Patches: a command copied ----
  await page.click('.nav a[href="/patches"]');
  await page.waitForURL((u) => u.pathname === '/patches');
  const groups = page.locator('[data-testid=patch-group]');
  await expect.poll(() => groups.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-ecosystem')))).toEqual(['Maven', 'Debian:12', 'npm', 'PyPI', 'Rocky Linux:9']);
  const log4jPatch = groups.locator('tr[data-package="org.apache.logging.log4j:log4j-core"]');
  expect(await log4jPatch.getAttribute('data-kev')).toBe('true');
  expect(await log4jPatch.locator('.patch-versions').textContent()).toBe('2.14.1 → 2.17.1');
  expect(await log4jPatch.textContent()).toContain(t('risk.rebuild'));
  const openssl = groups.locator('tr[data-package=openssl][data-ecosystem="Debian:12"]');
  expect(await openssl.locator('.patch-versions').textContent()).toBe('3.0.11-1~deb12u2 → 3.0.13-1~deb12u1');
  await openssl.locator('[data-testid=patch-command] button').click();
  await expect.poll(() => openssl.locator('[data-testid=patch-command] button').textContent()).toBe(t('action.copied'));
  expect(await clipboard(page)).toBe('apt-get update && apt-get install --only-upgrade -y openssl');
  expect(await groups.locator('tr[data-package=login] td.num').textContent()).toBe('3');
  await shot('patches');
  // A host's own upgrades and its one command.
  await page.locator('[data-testid=patch-filter] select[name=agent_id]').selectOption(db01);
  await page.waitForURL((u) => u.searchParams.get('agent_id') === db01);
  const hostCmd = page.locator('[data-testid=host-patch] [data-testid=host-patch-command] [data-value]');
  await expect.poll(() => hostCmd.textContent()).toBe('apt-get update && apt-get install --only-upgrade -y redis-server mariadb-server login');
  expect(await page.locator('[data-testid=patch-table] tr[data-package=redis-server] .patch-versions').textContent()).toBe('5:7.0.15-1~deb12u1 → 5:7.0.15-1~deb12u3');

  // ---- An agent's vulnerabilities tab ----
  await page.goto(`${server.url}/agents/${web02}`);
  const drawer = page.locator('[data-testid=agent-drawer]');
  await drawer.locator('[data-tab=vulns]').click();
  await page.waitForURL((u) => u.searchParams.get('tab') === 'vulns');
  expect(await drawer.locator('[data-tab=vulns]').textContent()).toBe(t('agent.tab.vulns'));
  const tab = drawer.locator('[data-testid=agent-risk]');
  await expect.poll(() => tab.locator('[data-testid=host-total] .stat-value').textContent()).toBe('6');
  const tabCmd = tab.locator('[data-testid=host-patch-command]');
  await expect.poll(() => tabCmd.locator('[data-value]').textContent()).toBe('apt-get update && apt-get install --only-upgrade -y openssl login');
  await tabCmd.locator('button').click();
  await expect.poll(() => clipboard(page)).toBe('apt-get update && apt-get install --only-upgrade -y openssl login');
  await expect.poll(async () => (await rowAttr(page, '[data-testid=host-findings]', 'data-vuln-id')).length).toBe(6);
  await tab.locator('[data-testid=host-severity-filter] button[data-severity=medium]').click();
  await expect.poll(async () => (await rowAttr(page, '[data-testid=host-findings]', 'data-severity')).join()).toBe('medium,medium,medium');
  await expect.poll(() => rowAttr(page, '[data-testid=host-weak]', 'data-target')).toEqual(['redis']);
  await shot('agent-tab');
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });

  // ---- Weak passwords ----
  await page.click('.nav a[href="/weak-passwords"]');
  await page.waitForURL((u) => u.pathname === '/weak-passwords');
  const weakRows = () => rowAttr(page, '[data-testid=weak-table]', 'data-key');
  await expect.poll(async () => (await weakRows()).length).toBe(risk.weakPasswords.length);
  const mysql = page.locator('[data-testid=weak-table] tr[data-key="mysql:127.0.0.1:3306:root:dictionary_password"]');
  expect(await mysql.locator('[data-testid=weak-hint]').textContent()).toBe(`r**t${t('weak.length', { n: 4 })}`);
  expect(await mysql.locator('[data-testid=weak-type]').textContent()).toBe(t('weak.type.dictionary_password'));
  const weakFilter = page.locator('[data-testid=weak-filter]');
  const [targetReq] = await Promise.all([page.waitForRequest(apiRequest('GET', '/weak-passwords', (u) => u.searchParams.get('target') === 'redis')), weakFilter.locator('select[name=target]').selectOption('redis')]);
  expect(new URL(targetReq.url()).searchParams.get('limit')).toBe('100');
  await expect.poll(() => weakRows()).toEqual(['redis:127.0.0.1:6379:no_auth', 'redis:10.0.2.20:6379:default_password']);
  await weakFilter.locator('select[name=severity]').selectOption('critical');
  await expect.poll(() => weakRows()).toEqual(['redis:127.0.0.1:6379:no_auth']);
  await page.waitForURL((u) => u.searchParams.get('target') === 'redis' && u.searchParams.get('severity') === 'critical');
  await page.goto(`${server.url}/weak-passwords?type=uid0`);
  await expect.poll(() => weakRows()).toEqual(['account:sysops:uid0']);
  expect(await weakFilter.locator('select[name=type]').inputValue()).toBe('uid0');
  await page.goto(`${server.url}/weak-passwords`);
  await weakFilter.locator('input[name=q]').fill('alice');
  await weakFilter.locator('button[type=submit]').click();
  await expect.poll(() => weakRows()).toEqual(['account:alice:dictionary']);
  const alice = page.locator('[data-testid=weak-table] tr[data-key="account:alice:dictionary"]');
  expect(await alice.locator('[data-testid=weak-hint]').textContent()).toBe(`a*******3${t('weak.length', { n: 9 })}`);
  // Nothing of the password but its hint reaches the page.
  expect(await page.locator('main').textContent()).not.toMatch(/alice@123|\$y\$/);
  await shot('weak');

  // The word lists: uploaded from a text file, then deleted.
  await page.click('[data-testid=weak-tabs] [data-tab=wordlists]');
  await page.waitForURL((u) => u.pathname === '/weak-passwords/wordlists');
  const lists = page.locator('[data-testid=wordlists-table]');
  await expect.poll(() => lists.locator('tr[data-name=company] [data-testid=wordlist-count]').textContent()).toBe('3');
  await page.click('[data-testid=upload-wordlist]');
  const dialog = page.locator('[data-testid=wordlist-dialog]');
  const listName = `ops-${lang}`;
  await dialog.locator('[data-testid=wordlist-file]').setInputFiles({ name: `${listName}.txt`, mimeType: 'text/plain', buffer: Buffer.from('# passwords seen in the ops team\nSpring2025!\nops@123\n\nSpring2025!\nChangeMe#1\n') });
  await expect.poll(() => dialog.locator('[data-testid=wordlist-check]').textContent()).toBe(t('wordlists.checked', { n: 3, skipped: 3 }));
  expect(await dialog.locator('input[name=name]').inputValue()).toBe(listName);
  const [put] = await Promise.all([page.waitForRequest(apiRequest('PUT', `/weak-passwords/wordlists/${listName}`)), dialog.locator('[data-testid=wordlist-save]').click()]);
  expect(put.headers()['content-type']).toContain('text/plain');
  await dialog.waitFor({ state: 'detached' });
  await expect.poll(() => lists.locator(`tr[data-name="${listName}"] [data-testid=wordlist-count]`).textContent()).toBe('3');
  expect(risk.wordlists.find((l) => l.name === listName)?.words).toEqual(['Spring2025!', 'ops@123', 'ChangeMe#1']);
  await shot('wordlists');
  await lists.locator(`tr[data-name="${listName}"] [data-action=delete]`).click();
  const [del] = await Promise.all([page.waitForRequest(apiRequest('DELETE', `/weak-passwords/wordlists/${listName}`)), page.click('[data-testid=confirm-ok]')]);
  expect(del).toBeTruthy();
  await expect.poll(() => lists.locator(`tr[data-name="${listName}"]`).count()).toBe(0);
  expect(risk.wordlists.map((l) => l.name)).toEqual(['company']);

  // ---- The vulnerability database: an import run to the end ----
  await page.click('.nav a[href="/vulndb"]');
  await page.waitForURL((u) => u.pathname === '/vulndb');
  await page.locator('[data-testid=vulndb-sources]').waitFor();
  expect(await page.locator('[data-testid=vulndb-sources] tr[data-source=PyPI] [data-testid=source-error]').textContent()).toContain('no such host');
  await expect.poll(() => page.locator('[data-testid=stat-advisories] .stat-value').textContent()).toBe(risk.advisories.length.toLocaleString('en-US'));
  const file = makeMavenExport(lang);
  const known = new Set(risk.advisories.map((a) => a.id));
  const bulkNew = file.bulkIds.filter((id) => !known.has(id)).length;
  const want = { added: bulkNew + 1, updated: 1, unchanged: 1 + (file.bulkIds.length - bulkNew), rejected: 1 };
  await page.click('[data-testid=vulndb-import]');
  const imp = page.locator('[data-testid=vulndb-import-dialog]');
  await imp.locator('[data-testid=import-file]').setInputFiles({ name: file.name, mimeType: 'application/json', buffer: file.buffer });
  await imp.locator('input[name=source]').fill('Maven');
  // Record what the dialog shows as it goes: the bytes sent and the job's phases.
  await page.evaluate(() => {
    const w = window as unknown as { seen: { sent: number[]; phases: string[] } };
    w.seen = { sent: [], phases: [] };
    new MutationObserver(() => {
      const up = document.querySelector<HTMLElement>('[data-testid=upload-progress]');
      if (up) w.seen.sent.push(Number(up.dataset.loaded));
      const job = document.querySelector<HTMLElement>('[data-testid=import-job]');
      if (job?.dataset.phase && w.seen.phases.at(-1) !== job.dataset.phase) w.seen.phases.push(job.dataset.phase);
    }).observe(document.body, { subtree: true, attributes: true, childList: true });
  });
  const [post] = await Promise.all([
    page.waitForRequest(apiRequest('POST', '/vulndb/import', (u) => u.searchParams.get('source') === 'Maven')),
    imp.locator('[data-testid=import-send]').click(),
  ]);
  expect(post.headers()['content-type']).toBe('application/octet-stream');
  await imp.locator('[data-testid=import-done]').waitFor({ timeout: 60_000 });
  expect(await imp.locator('[data-testid=import-done]').textContent()).toBe(
    t('vulndb.importDone', { added: want.added.toLocaleString('en-US'), updated: 1, unchanged: want.unchanged.toLocaleString('en-US'), rejected: 1 }),
  );
  expect(await imp.locator('[data-testid=job-problems]').textContent()).toBe(file.problem);
  expect(await imp.locator('[data-testid=import-job]').getAttribute('data-state')).toBe('done');
  const seen = await page.evaluate(() => (window as unknown as { seen: { sent: number[]; phases: string[] } }).seen);
  // The bar moved while the file was sent, and the job went through its phases.
  expect(seen.sent.at(-1)).toBe(file.buffer.length);
  expect(seen.sent.some((n) => n > 0 && n < file.buffer.length)).toBe(true);
  expect(seen.phases).toEqual(['read', 'store', 'index']);
  const size = bytes(file.buffer.length);
  expect(await imp.locator('[data-testid=upload-bytes]').textContent()).toBe(t('vulndb.uploadBytes', { sent: size, total: size, pct: 100 }));
  const uploaded = server.requests.filter((r) => r.method === 'POST' && r.path === '/vulndb/import' && r.query.source?.[0] === 'Maven').at(-1);
  expect(uploaded?.body).toEqual({ bytes: file.buffer.length });
  await shot('import-done');
  await imp.locator('[data-testid=import-close]').click();
  await imp.waitFor({ state: 'detached' });
  await expect.poll(() => page.locator('[data-testid=vulndb-jobs] tbody tr:not(.expanded)').first().getAttribute('data-state')).toBe('done');
  await expect.poll(() => page.locator('[data-testid=stat-advisories] .stat-value').textContent()).toBe(risk.advisories.length.toLocaleString('en-US'));

  // The new advisory is found by its CVE, and its record opens as JSON.
  const search = page.locator('[data-testid=advisory-search]');
  await search.locator('input[name=id]').fill(file.freshCve);
  await search.locator('button[type=submit]').click();
  await expect.poll(() => rowAttr(page, '[data-testid=advisories-table]', 'data-advisory-id')).toEqual([file.fresh]);
  await page.locator(`[data-testid=advisories-table] tr[data-advisory-id="${file.fresh}"]`).click();
  const adv = page.locator('[data-testid=advisory-drawer]');
  await expect.poll(() => adv.locator('.json-body').textContent()).toContain('"last_affected": "1.2.17"');
  expect(await adv.locator('.badge[data-severity=high]').count()).toBeGreaterThan(0);
  await shot('advisory');
  await page.keyboard.press('Escape');
  await adv.waitFor({ state: 'detached' });
  // The advisories page by page: the import's bulk pages with "load more".
  await search.locator('input[name=id]').fill('');
  await search.locator('input[name=q]').fill('org.example.group7:');
  await search.locator('button[type=submit]').click();
  await expect.poll(async () => (await rowAttr(page, '[data-testid=advisories-table]', 'data-advisory-id')).length).toBe(50);
  const [more] = await Promise.all([page.waitForRequest(apiRequest('GET', '/vulndb/advisories', (u) => u.searchParams.get('cursor') === '50')), page.click('[data-testid=more-advisories]')]);
  expect(new URL(more.url()).searchParams.get('q')).toBe('org.example.group7:');
  await expect.poll(async () => (await rowAttr(page, '[data-testid=advisories-table]', 'data-advisory-id')).length).toBeGreaterThan(50);

  // Sync now: PyPI cannot be reached, the others are not modified.
  const [sync] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/v1/vulndb/sync') && r.request().method() === 'POST'), page.click('[data-testid=vulndb-sync]')]);
  expect(sync.status()).toBe(202);
  const syncJob = (await sync.json()) as VulnJob;
  await expect.poll(() => page.locator(`[data-testid=vulndb-jobs] tr[data-job-id="${syncJob.id}"]`).getAttribute('data-state'), { timeout: 20_000 }).toBe('failed');
  expect(await page.locator(`[data-testid=vulndb-jobs] tr[data-job-id="${syncJob.id}"]`).textContent()).toContain('1 of 6 sources failed: PyPI');
  await shot('vulndb');
}

/** riskViewerWalk checks that a viewer reads risk and changes nothing. */
export async function riskViewerWalk(page: Page, server: Server, token: string): Promise<void> {
  await page.goto(`${server.url}/agents`);
  await signIn(page, { token });
  await page.goto(`${server.url}/risk`);
  await page.locator('[data-testid=risk-hosts]').waitFor();
  expect(await page.locator('[data-testid=risk-nav] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual(['/risk', '/vulns', '/patches', '/weak-passwords', '/compliance', '/vulndb']);
  // Word lists are the admins': no tab, and the page says the role it needs.
  await page.goto(`${server.url}/weak-passwords`);
  await page.locator('[data-testid=weak-table]').waitFor();
  expect(await page.locator('[data-testid=weak-tabs]').count()).toBe(0);
  await page.goto(`${server.url}/weak-passwords/wordlists`);
  await expect.poll(() => page.locator('[data-testid=needs-role]').textContent()).toContain('Needs role admin');
  // Import and sync need the responder role.
  await page.goto(`${server.url}/vulndb`);
  await page.locator('[data-testid=vulndb-sources]').waitFor();
  for (const b of ['vulndb-import', 'vulndb-sync']) {
    expect(await page.locator(`[data-testid=${b}]`).isDisabled(), b).toBe(true);
    expect(await page.locator(`[data-testid=${b}]`).getAttribute('title')).toBe(tr('en', 'error.needResponder'));
  }
  // The viewer still reads a CVE and a host's tab.
  await page.goto(`${server.url}/vulns/cves/CVE-2024-31449`);
  await expect.poll(() => rowAttr(page, '[data-testid=vuln-findings]', 'data-agent-id')).toEqual([db01]);
  await page.goto(`${server.url}/agents/${db01}?tab=vulns`);
  await expect.poll(() => page.locator('[data-testid=host-patch-command] [data-value]').textContent()).toBe('apt-get update && apt-get install --only-upgrade -y redis-server mariadb-server login');
  await until(async () => (await rowAttr(page, '[data-testid=host-weak]', 'data-type')).length === 4, "db-01's weak passwords");
}
