// Risk management's components rendered to HTML (no browser): findings with
// their marks, patches with their commands, weak passwords showing only the
// masked hint, a job's progress, the database's warnings and an advisory
// read from its OSV record, in English and Chinese.
import { describe, expect, it } from 'vitest';
import type { Advisory, Patch, VulnDBStatus, VulnFinding, VulnJob, WeakPassword } from '../src/api/types';
import { FindingFilterBar } from '../src/pages/FindingFilterBar';
import { FindingsTable, FreshnessBanner, JobProgress, PatchTable, VulnSeverityBadge, WeakPasswordTable } from '../src/pages/RiskViews';
import { AdvisoryView } from '../src/pages/VulnPage';
import { emptyFindingFilter } from '../src/lib/risk';
import { html, inLanguage, rows, setLang, text } from './render';

inLanguage();

const log4shell: VulnFinding = {
  agent_id: '7f1c2a9e-0001',
  hostname: 'web-01',
  asset_kind: 'library',
  asset_key: 'maven:org.apache.logging.log4j:log4j-core@2.14.1:/opt/boot/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar',
  vuln_id: 'CVE-2021-44228',
  advisories: ['GHSA-jfh8-c2jp-5v3q'],
  aliases: ['GHSA-jfh8-c2jp-5v3q'],
  ecosystem: 'Maven',
  package: 'org.apache.logging.log4j:log4j-core',
  version: '2.14.1',
  fixed_version: '2.15.0',
  path: '/opt/boot/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar',
  severity: 'critical',
  score: 10,
  known_exploited: true,
  summary: 'Remote code injection in Log4j',
  running: true,
  listening: true,
  first_seen: '2026-02-18T10:00:00Z',
  updated_at: '2026-03-10T09:00:00Z',
};
const openssh: VulnFinding = { ...log4shell, agent_id: '7f1c2a9e-0002', hostname: 'web-02', asset_kind: 'package', asset_key: 'deb:openssh-server:amd64', vuln_id: 'CVE-2023-51767', ecosystem: 'Debian:12', package: 'openssh-server', version: '1:9.2p1-2+deb12u3', fixed_version: undefined, path: undefined, severity: 'unknown', score: undefined, known_exploited: false, running: false, listening: false, summary: '' };

describe('findings', () => {
  it('show severity and score, the vulnerability, package, versions, host and marks', () => {
    const out = html(<FindingsTable items={[log4shell, openssh]} withHost testId="t" />);
    const r = rows(out);
    expect(r[0]).toBe('▸ Critical 10.0 CVE-2021-44228 Remote code injection in Log4j org.apache.logging.log4j:log4j-core Maven · library 2.14.1 → 2.15.0 web-01 Known exploited Running Listening');
    expect(r[1]).toBe('▸ Unknown CVE-2023-51767 openssh-server Debian:12 1:9.2p1-2+deb12u3 → no fix known web-02 —');
    expect(out).toContain('href="/vulns/cves/CVE-2021-44228"');
    expect(out).toContain('href="/agents/7f1c2a9e-0001?tab=vulns"');
    expect(out).toContain('data-kev="true"');
  });

  it('leave out the host and the vulnerability where the page already says them, in Chinese', () => {
    setLang('zh');
    const out = html(<FindingsTable items={[log4shell]} withHost={false} withVuln={false} testId="t" />);
    expect(text(out)).toContain('严重程度 软件包 当前版本 → 修复版本 暴露情况');
    expect(text(out)).toContain('严重 10.0 org.apache.logging.log4j:log4j-core Maven · 依赖库 2.14.1 → 2.15.0 在野利用 运行中 监听中');
    expect(out).not.toContain('web-01');
    expect(out).not.toContain('/vulns/cves/');
  });

  it('badge the severities beyond the four of alerts', () => {
    expect(text(html(<VulnSeverityBadge severity="none" />))).toBe('None');
    expect(html(<VulnSeverityBadge severity="weird" />)).toContain('sev-unknown');
    setLang('zh');
    expect(text(html(<VulnSeverityBadge severity="unknown" score={5.5} />))).toBe('未知 5.5');
  });

  it('filter by severities that are pressed and flags that are checked', () => {
    const out = html(<FindingFilterBar value={{ ...emptyFindingFilter, severity: ['critical', 'high'], running: true, q: 'log4j' }} onChange={() => undefined} agents={[]} />);
    expect(out.match(/aria-pressed="true" data-severity="(\w+)"/g)).toEqual(['aria-pressed="true" data-severity="critical"', 'aria-pressed="true" data-severity="high"']);
    expect(out).toMatch(/name="running" checked=""/);
    expect(out).not.toMatch(/name="known_exploited" checked=""/);
    expect(out).toContain('value="log4j"');
    expect(out).toContain('data-testid="reset-filter"');
  });
});

const openssl: Patch = { agent_id: '7f1c2a9e-0002', ecosystem: 'Debian:12', kind: 'package', package: 'openssl', fixed_version: '3.0.13-1~deb12u1', versions: ['3.0.11-1~deb12u2'], vulns: ['CVE-2023-5678', 'CVE-2023-6129', 'CVE-2023-6237', 'CVE-2024-0727'], severity: 'medium', known_exploited: false, hosts: 1, command: 'apt-get update && apt-get install --only-upgrade -y openssl' };
const log4j: Patch = { ecosystem: 'Maven', kind: 'library', package: 'org.apache.logging.log4j:log4j-core', fixed_version: '2.17.1', versions: ['2.14.1'], paths: ['/opt/boot/app.jar', '/srv/shop.war'], vulns: ['CVE-2021-44228'], severity: 'critical', known_exploited: true, hosts: 2 };

describe('patches', () => {
  it('show the upgrade, what it fixes and the command to copy', () => {
    const out = html(<PatchTable patches={[openssl, log4j]} fleet testId="p" />);
    const r = rows(out);
    expect(r[0]).toBe('Medium openssl Debian:12 3.0.11-1~deb12u2 → 3.0.13-1~deb12u1 CVE-2023-5678 CVE-2023-6129 CVE-2023-6237 +1 more fixes 4 1 apt-get update && apt-get install --only-upgrade -y openssl Copy');
    expect(r[1]).toBe('Critical Known exploited org.apache.logging.log4j:log4j-core Maven · library 2 paths 2.14.1 → 2.17.1 CVE-2021-44228 fixes 1 2 Bundled in an application: rebuild it with the fixed version');
    expect(out).toContain('href="/vulns?package=openssl&amp;ecosystem=Debian%3A12&amp;fixable=true"');
  });

  it("leave out the hosts on a host's own patches, in Chinese", () => {
    setLang('zh');
    const out = html(<PatchTable patches={[openssl]} fleet={false} testId="p" />);
    expect(text(out)).toContain('严重程度 软件包 升级 修复漏洞 命令');
    expect(text(out)).toContain('另有 1 个 修复 4 个');
    expect(out).not.toContain('主机数');
  });
});

const weak = (over: Partial<WeakPassword>): WeakPassword => ({ agent_id: '7f1c2a9e-0003', hostname: 'db-01', collector: 'risk/services', key: 'k', name: 'mysql', target: 'mysql', type: 'dictionary_password', severity: 'high', reason: 'root logs in to MariaDB with a dictionary password', first_seen: '2026-03-01T00:00:00Z', updated_at: '2026-03-01T00:00:00Z', ...over });

describe('weak passwords', () => {
  it('show the masked hint and length, never a password or hash the fields might hold', () => {
    const out = html(
      <WeakPasswordTable
        items={[
          weak({
            fields: {
              vigil: { weak_password: { evidence: 'login as root@127.0.0.1 accepted', account: 'root', password_hint: 'r**t', password_length: 4, password: 'toor-secret', hash: '$6$saltsalt$hash' } },
              server: { address: '127.0.0.1', port: 3306 },
            },
          }),
          weak({ key: 'k2', target: 'redis', type: 'no_auth', severity: 'critical', reason: 'redis answers without a password', fields: { vigil: { weak_password: { evidence: 'PING answered +PONG without AUTH' } } } }),
        ]}
        withHost
        testId="w"
      />,
    );
    const r = rows(out);
    expect(r[0]).toMatch(/^High MySQL \/ MariaDB Dictionary password root 127\.0\.0\.1:3306 db-01 root logs in to MariaDB with a dictionary password login as root@127\.0\.0\.1 accepted r\*\*t 4 characters /);
    expect(r[1]).toMatch(/^Critical Redis No authentication — db-01 redis answers without a password PING answered \+PONG without AUTH — /);
    expect(out).not.toContain('toor-secret');
    expect(out).not.toContain('$6$');
  });

  it('name targets and types in Chinese, and show unknown ones as they are', () => {
    setLang('zh');
    const out = text(html(<WeakPasswordTable items={[weak({ target: 'account', type: 'uid0' }), weak({ key: 'k3', target: 'ftp', type: 'odd_type' })]} withHost={false} testId="w" />));
    expect(out).toContain('本地账户 额外的 uid 0 账户');
    expect(out).toContain('ftp odd_type');
  });
});

const running: VulnJob = { id: 'j1', kind: 'import', source: 'Maven', state: 'running', phase: 'read', done: 1, total: 4, added: 0, updated: 0, unchanged: 0, rejected: 1, problems: ['upload.json[3]: invalid OSV record: GHSA-x: modified: missing'], started_at: '2026-03-10T12:00:00Z' };

describe('jobs', () => {
  it("show a running job's phase, progress, counts and problems", () => {
    const out = html(<JobProgress job={running} />);
    expect(text(out)).toBe('Running Import Maven Reading records 1 of 4 1 added 0 updated 0 unchanged 1 rejected Problems (1) upload.json[3]: invalid OSV record: GHSA-x: modified: missing'.replace('1 added', '0 added'));
    expect(out).toContain('data-pct="25"');
    expect(out).toContain('aria-valuenow="25"');
  });

  it('show a finished one with its error, without a bar, in Chinese', () => {
    setLang('zh');
    const out = html(<JobProgress job={{ ...running, kind: 'sync', state: 'failed', phase: undefined, error: '1 of 6 sources failed: PyPI', problems: [] }} />);
    // A finished sync names no source: the last one it read would mislead.
    expect(text(out)).toBe('失败 同步 新增 0 更新 0 未变 0 拒绝 1 1 of 6 sources failed: PyPI');
    expect(out).not.toContain('progressbar');
  });
});

const db = (over: Partial<VulnDBStatus>): VulnDBStatus => ({ advisories: { Debian: 10 }, known_exploited: 4, sources: [{ name: 'Debian', configured: true, records: 10, rejected: 0, synced_at: new Date().toISOString() }], service: { hosts_matched: 4, host_errors: 0 }, jobs: [], ...over });

describe('the database warnings', () => {
  it('say nothing when the database is fresh', () => {
    expect(html(<FreshnessBanner status={db({})} />)).toBe('');
  });

  it('warn when it is empty, stale or a source fails', () => {
    expect(text(html(<FreshnessBanner status={db({ advisories: {} })} dbLink />))).toBe('The vulnerability database is empty: no host can be matched. Import a file or sync the sources. Open the vulnerability database');
    const stale = db({ sources: [{ name: 'Debian', configured: true, records: 10, rejected: 0, synced_at: new Date(Date.now() - 9 * 86_400_000).toISOString() }] });
    expect(text(html(<FreshnessBanner status={stale} />))).toMatch(/^The vulnerability database was last synced or imported (9|8) d ago: recent vulnerabilities may be missed\.$/);
    setLang('zh');
    const failing = db({ sources: [{ name: 'PyPI', configured: true, records: 0, rejected: 0, error: 'no such host' }, { name: 'Debian', configured: true, records: 10, rejected: 0, synced_at: new Date().toISOString() }] });
    expect(text(html(<FreshnessBanner status={failing} />))).toBe('以下数据源最近一次同步失败：PyPI。');
  });
});

describe('advisories', () => {
  it('show their OSV record: aliases, details, affected packages with fixed versions, references', () => {
    const a: Advisory = {
      id: 'GHSA-jfh8-c2jp-5v3q',
      source: 'Maven',
      modified: '2024-06-27T20:51:48Z',
      aliases: ['CVE-2021-44228'],
      summary: 'Remote code injection in Log4j',
      severity: 'critical',
      score: 10,
      ecosystems: ['Maven'],
      packages: ['org.apache.logging.log4j:log4j-core'],
      record: {
        id: 'GHSA-jfh8-c2jp-5v3q',
        details: 'JNDI features do not protect against attacker controlled endpoints.',
        affected: [{ package: { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.13.0' }, { fixed: '2.15.0' }] }] }],
        references: [{ type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228' }, { type: 'WEB', url: 'javascript:alert(1)' }],
      },
    };
    const out = html(<AdvisoryView a={a} />);
    expect(text(out)).toContain('GHSA-jfh8-c2jp-5v3q Critical 10.0 Maven Remote code injection in Log4j Aliases CVE-2021-44228');
    expect(text(out)).toContain('org.apache.logging.log4j:log4j-core Maven 2.13.0 2.15.0 —');
    expect(out).toContain('href="https://nvd.nist.gov/vuln/detail/CVE-2021-44228" target="_blank" rel="noopener noreferrer"');
    expect(out).not.toContain('href="javascript:');
    expect(out).toContain('JNDI features do not protect');
  });
});
