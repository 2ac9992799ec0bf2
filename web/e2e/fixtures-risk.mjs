// Fixture risk data for the fake API, telling the same story as the
// fixture inventory: log4j-core 2.14.1 bundled twice on web-01 (one copy
// running and listening: Log4Shell, known exploited), lodash and requests
// there too; web-02 kept the old Debian OpenSSL (fixed by 3.0.13-1~deb12u1,
// one apt-get command); db-01 runs a redis-server and a mariadb-server
// with fixes waiting; build-02's Rocky OpenSSL; an OpenSSH flaw without a
// fix on the Debian hosts. The vulnerability database holds the OSV
// records behind them, CISA's catalogue, its sources (one failing) and
// its jobs; weak passwords of several targets and one uploaded word list.
// Times are relative to the moment the fixtures are made.
import { createHash } from 'node:crypto';
import { hosts } from './fixtures-inventory.mjs';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

/** @param {number} now @param {number} ms */
function ago(now, ms) {
  return new Date(now - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An OSV record's reference. */
const ref = (type, url) => ({ type, url });

/** range is an ECOSYSTEM range from introduced to fixed ("" for none). */
function range(introduced, fixed) {
  const events = [{ introduced }];
  if (fixed) events.push({ fixed });
  return { type: 'ECOSYSTEM', events };
}

/**
 * advisory builds an advisory with its OSV record.
 * @param {{id: string, source: string, modified: string, published?: string, aliases?: string[], summary: string, details?: string, severity: string, score?: number, vector?: string, affected: {ecosystem: string, name: string, purl?: string, ranges: any[]}[], references?: {type: string, url: string}[]}} a
 */
function advisory(a) {
  const record = {
    schema_version: '1.6.0',
    id: a.id,
    modified: a.modified,
    ...(a.published ? { published: a.published } : {}),
    aliases: a.aliases ?? [],
    summary: a.summary,
    ...(a.details ? { details: a.details } : {}),
    ...(a.vector ? { severity: [{ type: 'CVSS_V3', score: a.vector }] } : {}),
    affected: a.affected.map((p) => ({ package: { ecosystem: p.ecosystem, name: p.name, ...(p.purl ? { purl: p.purl } : {}) }, ranges: p.ranges })),
    references: a.references ?? [],
  };
  return {
    id: a.id,
    source: a.source,
    modified: a.modified,
    ...(a.published ? { published: a.published } : {}),
    aliases: a.aliases ?? [],
    summary: a.summary,
    severity: a.severity,
    ...(a.score ? { score: a.score } : {}),
    ecosystems: [...new Set(a.affected.map((p) => p.ecosystem))].sort(),
    packages: [...new Set(a.affected.map((p) => p.name))].sort(),
    record,
  };
}

const log4j = 'org.apache.logging.log4j:log4j-core';
const maven = (ranges) => ({ ecosystem: 'Maven', name: log4j, purl: 'pkg:maven/org.apache.logging.log4j/log4j-core', ranges });
const nvd = (cve) => ref('ADVISORY', `https://nvd.nist.gov/vuln/detail/${cve}`);
const debTracker = (cve) => ref('WEB', `https://security-tracker.debian.org/tracker/${cve}`);

/** makeAdvisories returns the vulnerability database's advisories, by id. */
export function makeAdvisories() {
  const list = [
    advisory({
      id: 'GHSA-jfh8-c2jp-5v3q',
      source: 'Maven',
      modified: '2024-06-27T20:51:48Z',
      published: '2021-12-10T00:40:56Z',
      aliases: ['CVE-2021-44228'],
      summary: 'Remote code injection in Log4j',
      details:
        'Apache Log4j2 2.0-beta9 through 2.15.0 (excluding security releases 2.12.2, 2.12.3, and 2.3.1) JNDI features used in configuration, log messages, and parameters do not protect against attacker controlled LDAP and other JNDI related endpoints. An attacker who can control log messages or log message parameters can execute arbitrary code loaded from LDAP servers when message lookup substitution is enabled.',
      severity: 'critical',
      score: 10,
      vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H',
      affected: [maven([range('2.13.0', '2.15.0'), range('2.4', '2.12.2'), range('2.0-beta9', '2.3.1')])],
      references: [
        nvd('CVE-2021-44228'),
        ref('WEB', 'https://logging.apache.org/log4j/2.x/security.html'),
        ref('PACKAGE', 'https://github.com/apache/logging-log4j2'),
        ref('WEB', 'https://www.cisa.gov/news-events/news/apache-log4j-vulnerability-guidance'),
      ],
    }),
    advisory({
      id: 'DEBIAN-CVE-2021-44228',
      source: 'Debian',
      modified: '2024-09-04T01:49:20Z',
      published: '2021-12-10T10:15:09Z',
      aliases: ['CVE-2021-44228'],
      summary: 'apache-log4j2: JNDI lookup remote code execution (Log4Shell)',
      details: 'Apache Log4j2 JNDI features do not protect against attacker controlled LDAP and other JNDI related endpoints.',
      severity: 'critical',
      score: 10,
      affected: [{ ecosystem: 'Debian:11', name: 'apache-log4j2', ranges: [range('0', '2.15.0-1~deb11u1')] }],
      references: [debTracker('CVE-2021-44228'), ref('ADVISORY', 'https://www.debian.org/security/2021/dsa-5020')],
    }),
    advisory({
      id: 'GHSA-7rjr-3q55-vv33',
      source: 'Maven',
      modified: '2024-02-22T19:28:26Z',
      published: '2021-12-14T18:01:28Z',
      aliases: ['CVE-2021-45046'],
      summary: 'Incomplete fix for Apache Log4j vulnerability',
      details: 'It was found that the fix to address CVE-2021-44228 in Apache Log4j 2.15.0 was incomplete in certain non-default configurations, allowing information leaks and remote code execution in some environments.',
      severity: 'critical',
      score: 9,
      vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H',
      affected: [maven([range('2.13.0', '2.16.0'), range('2.0-beta9', '2.12.2')])],
      references: [nvd('CVE-2021-45046'), ref('WEB', 'https://logging.apache.org/log4j/2.x/security.html')],
    }),
    advisory({
      id: 'GHSA-p6xc-xr62-6r2g',
      source: 'Maven',
      modified: '2024-03-14T21:36:40Z',
      published: '2021-12-18T18:00:07Z',
      aliases: ['CVE-2021-45105'],
      summary: 'Apache Log4j2 vulnerable to Improper Input Validation and Uncontrolled Recursion',
      severity: 'medium',
      score: 5.9,
      vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H',
      affected: [maven([range('2.13.0', '2.17.0'), range('2.0-beta9', '2.12.3')])],
      references: [nvd('CVE-2021-45105')],
    }),
    advisory({
      id: 'GHSA-8489-44mv-ggj8',
      source: 'Maven',
      modified: '2024-02-22T19:27:40Z',
      published: '2021-12-28T21:31:06Z',
      aliases: ['CVE-2021-44832'],
      summary: 'Improper Input Validation and Injection in Apache Log4j2',
      severity: 'medium',
      score: 6.6,
      vector: 'CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H',
      affected: [maven([range('2.0-beta7', '2.17.1')])],
      references: [nvd('CVE-2021-44832')],
    }),
    advisory({
      id: 'GHSA-35jh-r3h4-6jhm',
      source: 'npm',
      modified: '2023-09-13T14:55:30Z',
      published: '2021-05-06T16:05:51Z',
      aliases: ['CVE-2021-23337'],
      summary: 'Command Injection in lodash',
      severity: 'high',
      score: 7.2,
      vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H',
      affected: [{ ecosystem: 'npm', name: 'lodash', purl: 'pkg:npm/lodash', ranges: [range('0', '4.17.21')] }],
      references: [nvd('CVE-2021-23337'), ref('PACKAGE', 'https://github.com/lodash/lodash')],
    }),
    advisory({
      id: 'GHSA-9wx4-h78v-vm56',
      source: 'PyPI',
      modified: '2024-06-10T22:12:30Z',
      published: '2024-05-20T20:15:00Z',
      aliases: ['CVE-2024-35195'],
      summary: 'Requests `Session` object does not verify requests after making first request with verify=False',
      severity: 'medium',
      score: 5.6,
      vector: 'CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N',
      affected: [{ ecosystem: 'PyPI', name: 'requests', purl: 'pkg:pypi/requests', ranges: [range('0', '2.32.0')] }],
      references: [nvd('CVE-2024-35195')],
    }),
  ];
  const debOpenssl = (cve, summary, severity, score, modified) =>
    advisory({
      id: `DEBIAN-${cve}`,
      source: 'Debian',
      modified,
      aliases: [cve],
      summary,
      severity,
      score,
      affected: [{ ecosystem: 'Debian:12', name: 'openssl', purl: 'pkg:deb/debian/openssl?arch=source', ranges: [range('0', '3.0.13-1~deb12u1')] }],
      references: [debTracker(cve), nvd(cve)],
    });
  list.push(
    debOpenssl('CVE-2023-5678', 'openssl: excessive time spent in DH check / generation with large Q parameter value', 'medium', 5.3, '2024-08-08T03:22:14Z'),
    debOpenssl('CVE-2023-6129', 'openssl: POLY1305 MAC implementation corrupts vector registers on PowerPC', 'medium', 6.5, '2024-08-08T03:22:15Z'),
    debOpenssl('CVE-2024-0727', 'openssl: denial of service via null dereference in PKCS12 decoding', 'medium', 5.5, '2024-08-08T03:22:16Z'),
    debOpenssl('CVE-2023-6237', 'openssl: excessive time spent checking invalid RSA public keys', 'unknown', 0, '2024-08-08T03:22:17Z'),
    advisory({
      id: 'DEBIAN-CVE-2023-51767',
      source: 'Debian',
      modified: '2024-09-18T03:29:06Z',
      aliases: ['CVE-2023-51767'],
      summary: 'openssh: authentication bypass via row hammer attack on memory (no fix in bookworm)',
      severity: 'high',
      score: 7,
      affected: [{ ecosystem: 'Debian:12', name: 'openssh', ranges: [range('0', '')] }],
      references: [debTracker('CVE-2023-51767')],
    }),
    advisory({
      id: 'DEBIAN-CVE-2023-29383',
      source: 'Debian',
      modified: '2024-09-18T03:29:06Z',
      aliases: ['CVE-2023-29383'],
      summary: 'shadow: chfn lets control characters into /etc/passwd',
      severity: 'low',
      score: 3.3,
      affected: [{ ecosystem: 'Debian:12', name: 'shadow', ranges: [range('0', '1:4.13+dfsg1-1+deb12u1')] }],
      references: [debTracker('CVE-2023-29383')],
    }),
    advisory({
      id: 'DEBIAN-CVE-2024-31449',
      source: 'Debian',
      modified: '2024-10-22T05:11:31Z',
      aliases: ['CVE-2024-31449'],
      summary: 'redis: Lua bit library stack overflow',
      severity: 'high',
      score: 7,
      affected: [{ ecosystem: 'Debian:12', name: 'redis', ranges: [range('0', '5:7.0.15-1~deb12u2')] }],
      references: [debTracker('CVE-2024-31449')],
    }),
    advisory({
      id: 'DEBIAN-CVE-2024-46981',
      source: 'Debian',
      modified: '2025-01-08T05:12:43Z',
      aliases: ['CVE-2024-46981'],
      summary: 'redis: Lua garbage collector use-after-free may lead to remote code execution',
      severity: 'high',
      score: 7,
      affected: [{ ecosystem: 'Debian:12', name: 'redis', ranges: [range('0', '5:7.0.15-1~deb12u3')] }],
      references: [debTracker('CVE-2024-46981')],
    }),
    advisory({
      id: 'DEBIAN-CVE-2024-21096',
      source: 'Debian',
      modified: '2025-02-18T05:04:18Z',
      aliases: ['CVE-2024-21096'],
      summary: 'mariadb: mysqldump unspecified vulnerability',
      severity: 'medium',
      score: 4.9,
      affected: [{ ecosystem: 'Debian:12', name: 'mariadb', ranges: [range('0', '1:10.11.11-0+deb12u1')] }],
      references: [debTracker('CVE-2024-21096')],
    }),
    advisory({
      id: 'RLSA-2024:2447',
      source: 'Rocky Linux',
      modified: '2024-05-22T13:04:52Z',
      published: '2024-04-30T00:00:00Z',
      aliases: ['CVE-2024-0727'],
      summary: 'Moderate: openssl security and bug fix update',
      severity: 'medium',
      score: 5.5,
      affected: [{ ecosystem: 'Rocky Linux:9', name: 'openssl', ranges: [range('0', '1:3.0.7-28.el9_4')] }],
      references: [ref('ADVISORY', 'https://errata.rockylinux.org/RLSA-2024:2447')],
    }),
  );
  return list.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** makeKnownExploited returns CISA's catalogue, by CVE. */
export function makeKnownExploited() {
  return [
    { cve: 'CVE-2021-44228', vendor: 'Apache', product: 'Log4j2', name: 'Apache Log4j2 Remote Code Execution Vulnerability', date_added: '2021-12-10T00:00:00Z', due_date: '2021-12-24T00:00:00Z', ransomware: true },
    { cve: 'CVE-2021-45046', vendor: 'Apache', product: 'Log4j2', name: 'Apache Log4j2 Deserialization of Untrusted Data Vulnerability', date_added: '2023-05-01T00:00:00Z', due_date: '2023-05-22T00:00:00Z' },
    { cve: 'CVE-2023-4966', vendor: 'Citrix', product: 'NetScaler ADC and NetScaler Gateway', name: 'Citrix NetScaler ADC and NetScaler Gateway Buffer Overflow Vulnerability', date_added: '2023-10-18T00:00:00Z', due_date: '2023-11-08T00:00:00Z', ransomware: true },
    { cve: 'CVE-2024-3400', vendor: 'Palo Alto Networks', product: 'PAN-OS', name: 'Palo Alto Networks PAN-OS Command Injection Vulnerability', date_added: '2024-04-12T00:00:00Z', due_date: '2024-04-19T00:00:00Z' },
  ].sort((a, b) => (a.cve < b.cve ? -1 : 1));
}

/**
 * makeFindings returns the hosts' findings as the center matched them.
 * @param {number} now
 */
export function makeFindings(now) {
  const { web1, web2, db1, build2 } = hosts;
  const advs = new Map(makeAdvisories().map((a) => [a.id, a]));
  const kev = new Set(makeKnownExploited().map((k) => k.cve));
  const first = ago(now, 20 * day);
  const matched = ago(now, 3 * hour);
  const out = [];
  /** finding adds one finding of advisory ids (the first names the CVE, severity and summary). */
  const finding = (host, kind, key, ecosystem, pkg, version, fixed, ids, over = {}) => {
    const a = advs.get(ids[0]);
    const vuln = a.aliases.find((x) => x.startsWith('CVE-')) ?? a.id;
    out.push({
      agent_id: host.id,
      asset_kind: kind,
      asset_key: key,
      vuln_id: vuln,
      advisories: ids,
      aliases: [...new Set([...ids.flatMap((id) => advs.get(id).aliases), ...ids])].filter((x) => x !== vuln).sort(),
      ecosystem,
      package: pkg,
      version,
      ...(fixed ? { fixed_version: fixed } : {}),
      severity: a.severity,
      ...(a.score ? { score: a.score } : {}),
      known_exploited: kev.has(vuln),
      summary: a.summary,
      running: false,
      listening: false,
      first_seen: first,
      updated_at: matched,
      ...over,
    });
  };
  // web-01: log4j-core 2.14.1 in a Spring Boot jar that runs and listens, and in a war that does not.
  const jar = '/opt/boot/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar';
  const war = '/var/lib/tomcat10/webapps/shop.war!/WEB-INF/lib/log4j-core-2.14.1.jar';
  for (const [path, run] of [
    [jar, { running: true, listening: true }],
    [war, {}],
  ]) {
    const key = `maven:${log4j}@2.14.1:${path}`;
    finding(web1, 'library', key, 'Maven', log4j, '2.14.1', '2.15.0', ['GHSA-jfh8-c2jp-5v3q'], { path, ...run });
    finding(web1, 'library', key, 'Maven', log4j, '2.14.1', '2.16.0', ['GHSA-7rjr-3q55-vv33'], { path, ...run });
    finding(web1, 'library', key, 'Maven', log4j, '2.14.1', '2.17.0', ['GHSA-p6xc-xr62-6r2g'], { path, ...run });
    finding(web1, 'library', key, 'Maven', log4j, '2.14.1', '2.17.1', ['GHSA-8489-44mv-ggj8'], { path, ...run });
  }
  const lodashPath = '/srv/shop/node_modules/lodash/package.json';
  finding(web1, 'library', `npm:lodash@4.17.20:${lodashPath}`, 'npm', 'lodash', '4.17.20', '4.17.21', ['GHSA-35jh-r3h4-6jhm'], { path: lodashPath });
  const reqPath = '/opt/api/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA';
  finding(web1, 'library', `pypi:requests@2.31.0:${reqPath}`, 'PyPI', 'requests', '2.31.0', '2.32.0', ['GHSA-9wx4-h78v-vm56'], { path: reqPath, running: true });
  // web-02 kept the old OpenSSL.
  for (const cve of ['CVE-2023-5678', 'CVE-2023-6129', 'CVE-2024-0727', 'CVE-2023-6237']) {
    finding(web2, 'package', 'deb:openssl:amd64', 'Debian:12', 'openssl', '3.0.11-1~deb12u2', '3.0.13-1~deb12u1', [`DEBIAN-${cve}`]);
  }
  // OpenSSH without a fix and shadow's login on the Debian hosts; sshd runs and listens.
  for (const host of [web1, web2, db1]) {
    finding(host, 'package', 'deb:openssh-server:amd64', 'Debian:12', 'openssh-server', '1:9.2p1-2+deb12u3', '', ['DEBIAN-CVE-2023-51767'], { running: true, listening: true });
    finding(host, 'package', 'deb:login:amd64', 'Debian:12', 'login', '1:4.13+dfsg1-1+b1', '1:4.13+dfsg1-1+deb12u1', ['DEBIAN-CVE-2023-29383']);
  }
  // db-01: redis-server and mariadb-server, running and listening.
  finding(db1, 'package', 'deb:redis-server:amd64', 'Debian:12', 'redis-server', '5:7.0.15-1~deb12u1', '5:7.0.15-1~deb12u2', ['DEBIAN-CVE-2024-31449'], { running: true, listening: true });
  finding(db1, 'package', 'deb:redis-server:amd64', 'Debian:12', 'redis-server', '5:7.0.15-1~deb12u1', '5:7.0.15-1~deb12u3', ['DEBIAN-CVE-2024-46981'], { running: true, listening: true });
  finding(db1, 'package', 'deb:mariadb-server:amd64', 'Debian:12', 'mariadb-server', '1:10.11.6-0+deb12u1', '1:10.11.11-0+deb12u1', ['DEBIAN-CVE-2024-21096'], { running: true, listening: true });
  // build-02: Rocky's OpenSSL.
  finding(build2, 'package', 'rpm:openssl:x86_64', 'Rocky Linux:9', 'openssl', '1:3.0.7-27.el9', '1:3.0.7-28.el9_4', ['RLSA-2024:2447']);
  return out;
}

/**
 * weak builds a weak-password item as the risk collectors write it.
 * @param {{id: string, hostname: string}} host
 */
function weak(host, collector, key, target, type, severity, reason, wp, other, firstSeen) {
  return {
    agent_id: host.id,
    collector,
    key,
    name: target,
    target,
    type,
    severity,
    reason,
    fields: { vigil: { weak_password: { target, type, severity, reason, ...wp } }, ...other },
    first_seen: firstSeen,
    updated_at: firstSeen,
  };
}

/**
 * makeWeakPasswords returns the weak passwords found on the hosts.
 * @param {number} now
 */
export function makeWeakPasswords(now) {
  const { web1, web2, db1, build2 } = hosts;
  const base = ago(now, 10 * day);
  const accounts = 'risk/accounts';
  const services = 'risk/services';
  return [
    weak(web1, accounts, 'account:alice:dictionary', 'account', 'dictionary', 'critical', 'the password of alice (sudo, login shell) is a dictionary word', { login: true, privileged: true, scheme: 'yescrypt', source: 'account', hint: 'a*******3', length: 9 }, { user: { name: 'alice', id: '1000' } }, base),
    weak(web1, accounts, 'account:support:empty', 'account', 'empty', 'high', 'support has no password and a login shell', { login: true, privileged: false }, { user: { name: 'support', id: '1001' } }, ago(now, 19 * minute)),
    weak(web1, accounts, 'account:sysops:uid0', 'account', 'uid0', 'critical', 'sysops has uid 0 and a login shell', { login: true, privileged: true }, { user: { name: 'sysops', id: '0' } }, ago(now, 19 * minute)),
    weak(web2, services, 'redis:127.0.0.1:6379:no_auth', 'redis', 'no_auth', 'critical', 'redis answers commands without a password', { evidence: 'PING answered +PONG without AUTH', listen: ['tcp/127.0.0.1:6379'] }, { server: { address: '127.0.0.1', port: 6379 }, file: { path: '/etc/redis/redis.conf' }, process: { executable: '/usr/local/bin/redis-server', pid: 1204 } }, base),
    weak(db1, services, 'mysql:127.0.0.1:3306:anonymous_access', 'mysql', 'anonymous_access', 'high', "the anonymous account ''@localhost gets in with an empty password", { evidence: "connected as ''@localhost with an empty password", anonymous: true, listen: ['tcp/10.0.2.20:3306'] }, { server: { address: '127.0.0.1', port: 3306 }, process: { executable: '/usr/sbin/mariadbd', pid: 977 } }, base),
    weak(db1, services, 'mysql:127.0.0.1:3306:root:dictionary_password', 'mysql', 'dictionary_password', 'high', 'root logs in to MariaDB with a dictionary password', { evidence: 'login as root@127.0.0.1 accepted', account: 'root', password_hint: 'r**t', password_length: 4 }, { server: { address: '127.0.0.1', port: 3306 }, process: { executable: '/usr/sbin/mariadbd', pid: 977 } }, base),
    weak(db1, services, 'redis:10.0.2.20:6379:default_password', 'redis', 'default_password', 'high', 'requirepass is one of the well-known defaults', { evidence: 'AUTH with a default password accepted', password_hint: 'f*****d', password_length: 7 }, { server: { address: '10.0.2.20', port: 6379 }, file: { path: '/etc/redis/redis.conf' } }, base),
    weak(db1, services, 'ssh:/etc/ssh/sshd_config:permit_root_login', 'ssh', 'permit_root_login', 'medium', 'root may log in over SSH with a password', { evidence: 'PermitRootLogin yes (line 33)' }, { file: { path: '/etc/ssh/sshd_config' } }, base),
    weak(build2, services, 'ssh:/etc/ssh/sshd_config:password_authentication', 'ssh', 'password_authentication', 'low', 'SSH accepts password logins', { evidence: 'PasswordAuthentication yes (default)' }, { file: { path: '/etc/ssh/sshd_config' } }, base),
  ];
}

/**
 * makeWordlists returns the uploaded word lists with their words.
 * @param {number} now
 */
export function makeWordlists(now) {
  const words = ['Acme2024!', 'acme@123', 'Welcome1!'];
  return [{ name: 'company', words, count: words.length, sha256: createHash('sha256').update(words.join('\n')).digest('hex'), author: 'admin', created_at: ago(now, 30 * day), updated_at: ago(now, 12 * day) }];
}

/**
 * The configured sources and where they are synced from.
 * @type {[string, string][]}
 */
const feeds = [
  ['Debian', 'https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip'],
  ['Maven', 'https://osv-vulnerabilities.storage.googleapis.com/Maven/all.zip'],
  ['npm', 'https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip'],
  ['PyPI', 'https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip'],
  ['Rocky Linux', 'https://osv-vulnerabilities.storage.googleapis.com/Rocky%20Linux/all.zip'],
  ['kev', 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json'],
];

/** The error the failing source keeps (the center cannot resolve the host). */
export const pypiError = 'download PyPI: Get "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip": dial tcp: lookup osv-vulnerabilities.storage.googleapis.com: no such host';

/**
 * makeSources returns the sources' state: synced 3 hours ago, PyPI failing since 2 days.
 * @param {number} now
 * @param {Map<string, number>} counts advisories per source
 */
export function makeSources(now, counts) {
  return feeds.map(([name, url]) => {
    const failing = name === 'PyPI';
    const n = name === 'kev' ? makeKnownExploited().length : (counts.get(name) ?? 0);
    return {
      name,
      url,
      configured: true,
      etag: `"${createHash('sha256').update(name).digest('hex').slice(0, 16)}"`,
      sha256: createHash('sha256').update(`${name} feed`).digest('hex'),
      records: n,
      rejected: name === 'Debian' ? 2 : 0,
      synced_at: ago(now, failing ? 2 * day : 3 * hour),
      ...(failing ? { error: pypiError } : {}),
      updated_at: ago(now, 3 * hour),
    };
  });
}

/**
 * makeJobs returns the recent jobs, newest first: last night's scheduled
 * sync, with PyPI failing, and an earlier import.
 * @param {number} now
 */
export function makeJobs(now) {
  return [
    {
      id: '5c1e0a4f9b3d2e71',
      kind: 'sync',
      state: 'failed',
      done: 0,
      total: 0,
      added: 3,
      updated: 12,
      unchanged: 0,
      rejected: 2,
      problems: ['Debian/all.zip!/DEBIAN-CVE-2005-2541.json: invalid OSV record: DEBIAN-CVE-2005-2541: affected[0].ranges[0]: no introduced, fixed, last_affected or limit key', pypiError],
      message: 'Debian: 12.4 MiB downloaded; Maven: not modified; npm: not modified; Rocky Linux: not modified; kev: not modified',
      error: '1 of 6 sources failed: PyPI',
      started_at: ago(now, 3 * hour + 2 * minute),
      ended_at: ago(now, 3 * hour),
    },
    {
      id: '0b7f3c2d8e9a1f45',
      kind: 'import',
      source: 'Rocky Linux',
      state: 'done',
      done: 1,
      total: 1,
      added: 1,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      started_at: ago(now, 6 * day),
      ended_at: ago(now, 6 * day - 5000),
      author: 'admin',
    },
  ];
}

/** ghsa writes a GitHub advisory id for a number, in GitHub's alphabet. */
function ghsa(n) {
  const alphabet = '23456789cfghjmpqrvwx';
  let s = '';
  let v = n * 7919 + 104729;
  for (let i = 0; i < 12; i++) {
    s += alphabet[v % alphabet.length];
    v = Math.floor(v / alphabet.length) + i * 31;
  }
  return `GHSA-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}`;
}

/** The Log4j 1.x advisories each run of the import adds. */
const newLog4j1 = {
  en: {
    id: 'GHSA-fp5r-v3w9-4333',
    cve: 'CVE-2021-4104',
    summary: 'Deserialization of Untrusted Data in Log4j 1.x JMSAppender',
    severity: 'HIGH',
  },
  zh: {
    id: 'GHSA-w9p3-5cr8-m3jj',
    cve: 'CVE-2022-23302',
    summary: 'Deserialization of Untrusted Data in Log4j 1.x JMSSink',
    severity: 'HIGH',
  },
};

/**
 * makeMavenExport returns an OSV export of Maven advisories to import, as
 * a JSON array of about 8 MiB (larger than what the loopback socket takes
 * at once, so that the browser's upload progress moves): a Log4j 1.x
 * advisory new to the database, a newer Log4Shell record, an unchanged
 * one, a record without its modified time (rejected) and the bulk of
 * the export. run picks the new advisory and the newer time.
 * @param {'en' | 'zh'} run
 * @param {number} [bulk]
 */
export function makeMavenExport(run, bulk = 12_000) {
  const advs = new Map(makeAdvisories().map((a) => [a.id, a]));
  const fresh = newLog4j1[run];
  const records = [
    {
      schema_version: '1.6.0',
      id: fresh.id,
      modified: '2025-03-03T17:51:50Z',
      published: '2021-12-14T18:01:09Z',
      aliases: [fresh.cve],
      summary: fresh.summary,
      details: 'Log4j 1.x is end of life: it gets no fix. JMS appenders and sinks deserialize what they receive; an attacker with write access to the Log4j configuration can execute code.',
      affected: [{ package: { ecosystem: 'Maven', name: 'log4j:log4j', purl: 'pkg:maven/log4j/log4j' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.2' }, { last_affected: '1.2.17' }] }] }],
      references: [{ type: 'ADVISORY', url: `https://nvd.nist.gov/vuln/detail/${fresh.cve}` }],
      database_specific: { severity: fresh.severity },
    },
    { ...advs.get('GHSA-jfh8-c2jp-5v3q').record, modified: run === 'en' ? '2025-02-01T00:00:00Z' : '2025-08-01T00:00:00Z' },
    advs.get('GHSA-p6xc-xr62-6r2g').record,
    { schema_version: '1.6.0', id: 'GHSA-8q4f-xm3h-5x2r', summary: 'A record sent without its modified time', affected: [] },
  ];
  for (let n = 0; n < bulk; n++) {
    const group = `org.example.group${n % 97}`;
    const artifact = `artifact-${n % 401}`;
    records.push({
      schema_version: '1.6.0',
      id: ghsa(n),
      modified: '2024-11-05T09:12:00Z',
      published: '2023-06-01T00:00:00Z',
      aliases: [`CVE-2023-${String(30000 + n).padStart(5, '0')}`],
      summary: `Denial of service in ${group}:${artifact} when parsing crafted input`,
      affected: [{ package: { ecosystem: 'Maven', name: `${group}:${artifact}`, purl: `pkg:maven/${group}/${artifact}` }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `2.${n % 23}.${n % 7}` }] }] }],
      references: [{ type: 'WEB', url: `https://github.com/example/${artifact}/security/advisories/${ghsa(n)}` }],
      database_specific: { severity: n % 5 === 0 ? 'HIGH' : 'MODERATE' },
    });
  }
  return {
    name: 'maven-export.json',
    buffer: Buffer.from(JSON.stringify(records, null, 1)),
    fresh: fresh.id,
    freshCve: fresh.cve,
    bulkIds: records.slice(4).map((r) => r.id),
    problem: 'upload.json[3]: invalid OSV record: GHSA-8q4f-xm3h-5x2r: modified: missing',
  };
}
