// Fixture compliance data for the fake API, telling the same story as the
// fixture fleet: the Debian hosts (web-01, web-02, db-01) evaluate CIS
// Debian 12, build-02 (Rocky 9) CIS RHEL 9, every host MLPS level 2, and
// the web hosts an uploaded policy of the site's own. web-02 regressed two
// days ago (root may log in over SSH again) and its journald check errs
// since yesterday; db-01's /etc/shadow became world-readable; web-01 waits
// for its next runs to show the fixes made since (the SSH login grace
// time first, then password expiry); cramfs on
// web-01 is accepted by an exception. Each result carries the evidence
// the agent would send (file and line, value, command output), and the
// history of status changes is what the score history is made from.
// Times are relative to the moment the fixtures are made.
import { hosts } from './fixtures-inventory.mjs';
import { shippedPolicies } from './fixtures-policies.mjs';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

/** @param {number} now @param {number} ms */
function ago(now, ms) {
  return new Date(now - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const { web1, web2, db1, build2 } = hosts;

/** rule is one rule's result as the agent reports it. */
const rule = (index, type, result, evidence, more = {}) => ({ index, type, result, ...(evidence.length ? { evidence } : {}), ...more });

/** The site's own policy, uploaded in Vigil's format. */
export const acmeBaselineYaml = `format: 1
policy:
  id: acme_baseline
  version: "2.3.0"
  name:
    en: ACME web server baseline
    zh: ACME Web 服务器基线
  description:
    en: The site's own rules for its web servers, on top of the CIS benchmark.
    zh: 本单位针对 Web 服务器的自有规则，作为 CIS 基准的补充。
checks:
  - id: acme_baseline.1
    title: {en: Ensure the Vigil agent runs, zh: 确保 Vigil 代理正在运行}
    rationale: {en: A host without its agent is not watched., zh: 没有代理的主机不受监控。}
    remediation: {en: systemctl enable --now vigil-agent, zh: systemctl enable --now vigil-agent}
    severity: high
    rules:
      - process: {name: vigil-agent, running: true}
  - id: acme_baseline.2
    title: {en: Ensure nginx does not tell its version, zh: 确保 nginx 不暴露版本号}
    rationale: {en: A version in every error page tells attackers which flaws to try., zh: 错误页中的版本号会告诉攻击者可以尝试哪些漏洞。}
    remediation: {en: Set server_tokens off; in the http block of /etc/nginx/nginx.conf and reload nginx., zh: 在 /etc/nginx/nginx.conf 的 http 段设置 server_tokens off; 并重新加载 nginx。}
    severity: low
    applies_if:
      rules:
        - package: {name: nginx, installed: true}
    rules:
      - content: {path: /etc/nginx/nginx.conf, regex: '^\\s*server_tokens\\s+off;'}
  - id: acme_baseline.3
    title: {en: Ensure the deploy account needs a password for sudo, zh: 确保 deploy 账户使用 sudo 时需要输入口令}
    rationale: {en: A deploy key that leaks must not give root at once., zh: 部署密钥泄露时不应直接获得 root 权限。}
    remediation: {en: Remove NOPASSWD from the deploy rule in /etc/sudoers.d/deploy., zh: 从 /etc/sudoers.d/deploy 的 deploy 规则中删除 NOPASSWD。}
    severity: medium
    references: {acme: [SEC-12]}
    rules:
      - content: {path: /etc/sudoers.d/*, regex: '^\\s*deploy\\s.*NOPASSWD', expect: no_match}
`;

/** The checks of the uploaded policy, as the center reads them. */
const acmeChecks = [
  { id: 'acme_baseline.1', title: { en: 'Ensure the Vigil agent runs', zh: '确保 Vigil 代理正在运行' }, rationale: { en: 'A host without its agent is not watched.', zh: '没有代理的主机不受监控。' }, remediation: { en: 'systemctl enable --now vigil-agent', zh: 'systemctl enable --now vigil-agent' }, severity: 'high' },
  { id: 'acme_baseline.2', title: { en: 'Ensure nginx does not tell its version', zh: '确保 nginx 不暴露版本号' }, rationale: { en: 'A version in every error page tells attackers which flaws to try.', zh: '错误页中的版本号会告诉攻击者可以尝试哪些漏洞。' }, remediation: { en: 'Set server_tokens off; in the http block of /etc/nginx/nginx.conf and reload nginx.', zh: '在 /etc/nginx/nginx.conf 的 http 段设置 server_tokens off; 并重新加载 nginx。' }, severity: 'low' },
  { id: 'acme_baseline.3', title: { en: 'Ensure the deploy account needs a password for sudo', zh: '确保 deploy 账户使用 sudo 时需要输入口令' }, rationale: { en: 'A deploy key that leaks must not give root at once.', zh: '部署密钥泄露时不应直接获得 root 权限。' }, remediation: { en: 'Remove NOPASSWD from the deploy rule in /etc/sudoers.d/deploy.', zh: '从 /etc/sudoers.d/deploy 的 deploy 规则中删除 NOPASSWD。' }, severity: 'medium', references: { acme: ['SEC-12'] } },
];

/**
 * makeCatalogue returns the policies the fake center knows: the shipped
 * ones and the uploaded acme_baseline, each with its checks.
 * @param {number} now
 */
export function makeCatalogue(now) {
  const digest = (id) => [...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7).toString(16).padStart(8, '0').repeat(8);
  const shipped = shippedPolicies.map((p) => ({ ...p, shipped: true, format: 'vigil', digest: digest(p.id), items: p.items.map((c) => ({ ...c })) }));
  const acme = {
    id: 'acme_baseline',
    version: '2.3.0',
    name: { en: 'ACME web server baseline', zh: 'ACME Web 服务器基线' },
    description: { en: "The site's own rules for its web servers, on top of the CIS benchmark.", zh: '本单位针对 Web 服务器的自有规则，作为 CIS 基准的补充。' },
    checks: acmeChecks.length,
    shipped: false,
    format: 'vigil',
    digest: digest('acme_baseline'),
    author: 'alice',
    uploaded_at: ago(now, 40 * day),
    content: acmeBaselineYaml,
    items: acmeChecks,
  };
  return [...shipped, acme].sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** @param {number} now */
export function makeAssignments(now) {
  const a = (policy_id, selector, interval_seconds, days) => ({ policy_id, selector, interval_seconds, disabled: false, author: 'alice', updated_at: ago(now, days * day) });
  return [a('acme_baseline', { role: 'web' }, 43200, 40), a('cis_debian12', { env: 'prod' }, 0, 45), a('cis_rhel9', { env: 'ci' }, 0, 45), a('mlps_level2', {}, 43200, 45)];
}

/** @param {number} now */
export function makeExceptions(now) {
  return [
    { id: 'cex-0001', policy_id: 'cis_debian12', check_id: 'cis_debian12.1.1.1.1', agent_id: web1.id, reason: "The vendor's firmware update tool mounts a cramfs image (ticket OPS-412)", expires_at: ago(now, -45 * day), author: 'alice', created_at: ago(now, 20 * day) },
    { id: 'cex-0002', policy_id: 'mlps_level2', check_id: 'mlps_level2.7.1.4.3.c.4', agent_id: '', reason: 'Logs are shipped by the SIEM agent, not by rsyslog (approved by the security office)', author: 'bob', created_at: ago(now, 30 * day) },
    { id: 'cex-0003', policy_id: 'cis_debian12', check_id: 'cis_debian12.5.1.20', agent_id: web2.id, reason: 'Migration window: root logins by key during the move', expires_at: ago(now, 3 * day), author: 'bob', created_at: ago(now, 12 * day) },
  ];
}

// ---- evidence ----

const sshd = '/etc/ssh/sshd_config';
const hardening = '/etc/ssh/sshd_config.d/10-hardening.conf';
const users = ['alice', 'bob', 'carol', 'deploy', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar', 'peggy'];

/** evidenceOf is what the agent reports for a check with a status on a host. */
function evidenceOf(check, status, host) {
  const bad = status === 'fail';
  const rhel = host === build2.id;
  switch (check) {
    case 'cis_debian12.1.1.1.1':
      return bad
        ? [rule(0, 'module', 'fails', ['cramfs: not loaded', 'cramfs: loadable (/lib/modules/6.1.0-28-amd64/kernel/fs/cramfs/cramfs.ko)'])]
        : [rule(0, 'module', 'holds', ['/etc/modprobe.d/cis-filesystems.conf:1: install cramfs /bin/false'])];
    case 'cis_debian12.1.5.1':
      return [rule(0, 'sysctl', 'holds', ['kernel.randomize_va_space = 2 (running)', '/etc/sysctl.d/60-hardening.conf:3: kernel.randomize_va_space = 2'])];
    case 'cis_debian12.2.2.4':
      return bad ? [rule(0, 'package', 'fails', ['telnet 0.17+2.4-2+deb12u1: installed', 'inetutils-telnet: not installed'])] : [rule(0, 'package', 'holds', ['telnet: not installed', 'inetutils-telnet: not installed'])];
    case 'cis_debian12.3.3.1':
    case 'cis_rhel9.3.3.1':
      return bad
        ? [rule(0, 'sysctl', 'fails', ['net.ipv4.ip_forward = 1 (running)', '/etc/sysctl.d/99-docker.conf:1: net.ipv4.ip_forward = 1']), rule(1, 'sysctl', 'holds', ['net.ipv6.conf.all.forwarding = 0 (running)', '/etc/sysctl.d/60-hardening.conf:4: net.ipv6.conf.all.forwarding = 0'])]
        : [rule(0, 'sysctl', 'holds', ['net.ipv4.ip_forward = 0 (running)', '/etc/sysctl.d/60-hardening.conf:2: net.ipv4.ip_forward = 0']), rule(1, 'sysctl', 'holds', ['net.ipv6.conf.all.forwarding = 0 (running)', '/etc/sysctl.d/60-hardening.conf:4: net.ipv6.conf.all.forwarding = 0'])];
    case 'cis_debian12.5.1.6':
      return bad
        ? [rule(0, 'config', 'holds', [`${sshd}:31: Ciphers aes256-gcm@openssh.com,aes128-ctr,aes256-cbc,3des-cbc`]), rule(1, 'config', 'fails', [`${sshd}:31: Ciphers aes256-gcm@openssh.com,aes128-ctr,aes256-cbc,3des-cbc`], { not: true })]
        : [rule(0, 'config', 'holds', [`${hardening}:2: Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,chacha20-poly1305@openssh.com`]), rule(1, 'config', 'holds', [`${hardening}:2: Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,chacha20-poly1305@openssh.com`], { not: true })];
    case 'cis_debian12.5.1.9':
      return [rule(0, 'config', 'holds', [`${sshd}: GSSAPIAuthentication not set (default no)`])];
    case 'cis_debian12.5.1.13':
      return bad
        ? [rule(0, 'config', 'fails', [`${sshd}:38: LoginGraceTime 120 (want <= 60)`]), rule(1, 'config', 'holds', [`${sshd}:38: LoginGraceTime 120`])]
        : [rule(0, 'config', 'holds', [`${hardening}:4: LoginGraceTime 60`]), rule(1, 'config', 'holds', [`${hardening}:4: LoginGraceTime 60`])];
    case 'cis_debian12.5.1.19':
      return [rule(0, 'config', 'holds', [`${sshd}: PermitEmptyPasswords not set (default no)`])];
    case 'cis_debian12.5.1.20':
    case 'mlps_level2.7.1.4.2.b.4':
      return bad ? [rule(0, 'config', 'fails', [`${sshd}:33: PermitRootLogin yes`])] : [rule(0, 'config', 'holds', [`${hardening}:1: PermitRootLogin no`])];
    case 'cis_debian12.5.4.1.1':
    case 'cis_rhel9.5.4.1.1': {
      if (!bad) return [rule(0, 'config', 'holds', ['/etc/login.defs:165: PASS_MAX_DAYS 365']), rule(1, 'config', 'holds', ['/etc/login.defs:165: PASS_MAX_DAYS 365']), rule(2, 'account', 'holds', ['6 accounts hold: alice, bob, carol, deploy, dave, erin'])];
      const shown = users.map((u) => `${u}: pass_max_days 99999`);
      return [
        rule(0, 'config', 'fails', ['/etc/login.defs:165: PASS_MAX_DAYS 99999 (want <= 365)']),
        rule(1, 'config', 'holds', ['/etc/login.defs:165: PASS_MAX_DAYS 99999']),
        rule(2, 'account', 'fails', [...shown.slice(0, 10), `... ${shown.length - 10} more lines cut`]),
      ];
    }
    case 'cis_debian12.5.4.2.1':
    case 'cis_rhel9.5.4.2.1':
    case 'mlps_level2.7.1.4.1.a.1':
      return [rule(0, 'account', 'holds', ['selected: root (want exactly root)'])];
    case 'cis_debian12.6.1.1.1':
      if (status === 'error') {
        return [
          rule(0, 'command', 'error', [], { error: 'systemctl is-enabled systemd-journald: signal: killed (after the 10s limit)' }),
          rule(1, 'command', 'error', [], { error: 'systemctl is-active systemd-journald: signal: killed (after the 10s limit)' }),
        ];
      }
      return [rule(0, 'command', 'holds', ['systemctl is-enabled systemd-journald:1: static']), rule(1, 'command', 'holds', ['systemctl is-active systemd-journald:1: active'])];
    case 'cis_debian12.7.1.5':
    case 'cis_rhel9.7.1.5':
      if (bad) return [rule(0, 'file', 'fails', ['/etc/shadow: file root:shadow 0644 (want mode 0640 or less)'])];
      return [rule(0, 'file', 'holds', [rhel ? '/etc/shadow: file root:root 0000' : '/etc/shadow: file root:shadow 0640'])];
    case 'cis_rhel9.5.3.3.4.1':
      return bad
        ? [rule(0, 'config', 'holds', ['/etc/pam.d/system-auth:5: auth sufficient pam_unix.so try_first_pass nullok']), rule(1, 'config', 'holds', ['/etc/pam.d/password-auth:5: auth sufficient pam_unix.so try_first_pass nullok']), rule(2, 'config', 'fails', ['/etc/pam.d/system-auth:5: auth sufficient pam_unix.so try_first_pass nullok (nullok present)'], { not: true })]
        : [rule(0, 'config', 'holds', ['/etc/pam.d/system-auth:5: auth sufficient pam_unix.so try_first_pass'])];
    case 'cis_rhel9.6.3.1.1':
      return [rule(0, 'package', 'holds', ['audit 3.1.2-2.el9: installed', 'audit-libs 3.1.2-2.el9: installed'])];
    case 'cis_rhel9.6.3.1.4':
    case 'mlps_level2.7.1.4.3.a.2':
      if (status === 'error') return [rule(0, 'service', 'error', [], { error: 'systemctl is-active auditd: signal: killed (after the 10s limit)' })];
      if (bad) return [rule(0, 'service', 'fails', ['auditd.service: enabled (/etc/systemd/system/multi-user.target.wants/auditd.service), inactive (systemctl is-active)'])];
      return [rule(0, 'service', 'holds', ['auditd.service: enabled (/etc/systemd/system/multi-user.target.wants/auditd.service), active (systemctl is-active)'])];
    case 'mlps_level2.7.1.4.1.a.4':
      return [rule(0, 'account', 'holds', ['24 accounts hold: root, daemon, bin, sys, sync, games, man, lp, mail, news, ...'])];
    case 'mlps_level2.7.1.4.1.a.11':
      return bad ? [rule(0, 'content', 'fails', ['/etc/security/pwquality.conf:11: minlen = 6 (want >= 8)'])] : [rule(0, 'content', 'holds', ['/etc/security/pwquality.conf:11: minlen = 12'])];
    case 'mlps_level2.7.1.4.1.a.13':
      return bad ? [rule(0, 'config', 'fails', ['/etc/login.defs:165: PASS_MAX_DAYS 99999 (want <= 90)']), rule(1, 'config', 'holds', ['/etc/login.defs:165: PASS_MAX_DAYS 99999'])] : [rule(0, 'config', 'holds', ['/etc/login.defs:165: PASS_MAX_DAYS 90'])];
    case 'mlps_level2.7.1.4.1.b.3':
      return bad ? [rule(0, 'content', 'fails', ['no line of /etc/security/faillock.conf matches ^\\s*deny\\s*=\\s*([1-9][0-9]*)\\s*$'])] : [rule(0, 'content', 'holds', ['/etc/security/faillock.conf:32: deny = 5'])];
    case 'mlps_level2.7.1.4.1.b.6':
      return bad ? [rule(0, 'config', 'fails', [`${sshd}: ClientAliveInterval not set (default 0)`])] : [rule(0, 'config', 'holds', [`${hardening}:6: ClientAliveInterval 300`]), rule(1, 'config', 'holds', [`${hardening}:6: ClientAliveInterval 300`])];
    case 'mlps_level2.7.1.4.1.c.2':
      return [rule(0, 'package', 'holds', ['telnetd: not installed', 'inetutils-telnetd: not installed', 'telnetd-ssl: not installed', 'telnet-server: not installed'])];
    case 'mlps_level2.7.1.4.3.a.1':
      return rhel ? [rule(0, 'package', 'fails', ['auditd: not installed']), rule(1, 'package', 'holds', ['audit 3.1.2-2.el9: installed'])] : [rule(0, 'package', 'holds', ['auditd 1:3.0.9-1: installed']), rule(1, 'package', 'fails', ['audit: not installed'])];
    case 'mlps_level2.7.1.4.3.c.4':
      return [
        rule(0, 'content', 'fails', ['no line of /etc/rsyslog.conf matches ^\\s*[^\\s#$]\\S*\\s+@@?[A-Za-z0-9\\[(]|type\\s*=\\s*"(omfwd|omrelp)"']),
        rule(1, 'content', 'fails', ['no line of /etc/rsyslog.d/*.conf matches ^\\s*[^\\s#$]\\S*\\s+@@?[A-Za-z0-9\\[(]|type\\s*=\\s*"(omfwd|omrelp)"']),
        rule(2, 'service', 'fails', ['systemd-journal-upload.service: not found']),
      ];
    case 'mlps_level2.7.1.4.4.c.3':
      return bad
        ? [rule(0, 'content', 'fails', ['/etc/ufw/ufw.conf:4: ENABLED=no']), rule(1, 'service', 'fails', ['nftables.service: disabled, inactive (systemctl is-active)']), rule(2, 'service', 'fails', ['firewalld.service: not found'])]
        : [rule(0, 'content', 'holds', ['/etc/ufw/ufw.conf:4: ENABLED=yes'])];
    case 'acme_baseline.1':
      return [rule(0, 'process', 'holds', ['vigil-agent: runs (pid 812)'])];
    case 'acme_baseline.2':
      if (status === 'not_applicable') return [rule(0, 'package', 'fails', ['nginx: not installed'], { applies_if: true })];
      return [rule(0, 'package', 'holds', ['nginx 1.22.1-9: installed'], { applies_if: true }), rule(0, 'content', bad ? 'fails' : 'holds', [bad ? 'no line of /etc/nginx/nginx.conf matches ^\\s*server_tokens\\s+off;' : '/etc/nginx/nginx.conf:23: server_tokens off;'])];
    case 'acme_baseline.3':
      return bad ? [rule(0, 'content', 'fails', ['/etc/sudoers.d/deploy:1: deploy ALL=(ALL) NOPASSWD: ALL'])] : [rule(0, 'content', 'holds', ['no line of /etc/sudoers.d/* matches ^\\s*deploy\\s.*NOPASSWD'])];
  }
  return [];
}

/** Reasons the agent gives for a status that is not pass or fail. */
function reasonOf(check, status) {
  if (status === 'error') return 'a rule could not be evaluated: ' + (check.includes('6.1.1.1') ? 'systemctl is-enabled systemd-journald: signal: killed' : 'systemctl is-active auditd: signal: killed');
  if (status === 'not_applicable') return 'applies_if does not hold: nginx: not installed';
  return '';
}

/** The statuses each host reports now, by policy; the checks not named pass. */
const reported = {
  [web1.id]: {
    cis_debian12: { 'cis_debian12.1.1.1.1': 'fail', 'cis_debian12.5.1.13': 'fail', 'cis_debian12.5.4.1.1': 'fail' },
    mlps_level2: { 'mlps_level2.7.1.4.1.a.13': 'fail', 'mlps_level2.7.1.4.1.b.3': 'fail', 'mlps_level2.7.1.4.3.c.4': 'fail' },
    acme_baseline: { 'acme_baseline.2': 'fail' },
  },
  [web2.id]: {
    cis_debian12: { 'cis_debian12.2.2.4': 'fail', 'cis_debian12.3.3.1': 'fail', 'cis_debian12.5.1.20': 'fail', 'cis_debian12.5.4.1.1': 'fail', 'cis_debian12.6.1.1.1': 'error' },
    mlps_level2: { 'mlps_level2.7.1.4.1.a.13': 'fail', 'mlps_level2.7.1.4.1.b.3': 'fail', 'mlps_level2.7.1.4.2.b.4': 'fail', 'mlps_level2.7.1.4.3.c.4': 'fail', 'mlps_level2.7.1.4.4.c.3': 'fail' },
    acme_baseline: { 'acme_baseline.2': 'not_applicable', 'acme_baseline.3': 'fail' },
  },
  [db1.id]: {
    cis_debian12: { 'cis_debian12.5.1.6': 'fail', 'cis_debian12.5.4.1.1': 'fail', 'cis_debian12.7.1.5': 'fail' },
    mlps_level2: { 'mlps_level2.7.1.4.1.a.13': 'fail', 'mlps_level2.7.1.4.3.c.4': 'fail', 'mlps_level2.7.1.4.3.a.2': 'error' },
  },
  [build2.id]: {
    cis_rhel9: { 'cis_rhel9.5.3.3.4.1': 'fail', 'cis_rhel9.6.3.1.4': 'fail' },
    mlps_level2: { 'mlps_level2.7.1.4.1.a.13': 'fail', 'mlps_level2.7.1.4.1.b.3': 'fail', 'mlps_level2.7.1.4.3.a.2': 'fail' },
  },
};

/** The status changes of the last month, oldest first: [days ago, host, check, before, after]. */
const history = [
  [26, web1.id, 'cis_debian12.5.1.20', 'fail', 'pass'],
  [26, web1.id, 'cis_debian12.5.1.19', 'fail', 'pass'],
  [24, db1.id, 'cis_debian12.3.3.1', 'fail', 'pass'],
  [24, db1.id, 'mlps_level2.7.1.4.4.c.3', 'fail', 'pass'],
  [20, web2.id, 'mlps_level2.7.1.4.1.a.1', 'fail', 'pass'],
  [20, web2.id, 'cis_debian12.5.4.2.1', 'fail', 'pass'],
  [15, build2.id, 'cis_rhel9.5.4.1.1', 'fail', 'pass'],
  [15, build2.id, 'mlps_level2.7.1.4.1.a.11', 'fail', 'pass'],
  [12, web1.id, 'mlps_level2.7.1.4.1.b.6', 'fail', 'pass'],
  [9, db1.id, 'cis_debian12.7.1.5', 'pass', 'fail'],
  [6, build2.id, 'cis_rhel9.6.3.1.4', 'pass', 'fail'],
  [6, build2.id, 'mlps_level2.7.1.4.3.a.2', 'pass', 'fail'],
  [5, web1.id, 'cis_debian12.5.1.9', 'fail', 'pass'],
  [3, db1.id, 'mlps_level2.7.1.4.3.a.2', 'pass', 'error'],
  [2, web2.id, 'cis_debian12.5.1.20', 'pass', 'fail'],
  [2, web2.id, 'mlps_level2.7.1.4.2.b.4', 'pass', 'fail'],
  [1, web2.id, 'cis_debian12.6.1.1.1', 'pass', 'error'],
];

/** The fixes web-01 reports at its next runs, one a run: the first of these checks still failing passes. */
export const fixesAtNextRuns = { agent_id: web1.id, checks: ['cis_debian12.5.1.13', 'cis_debian12.5.4.1.1', 'mlps_level2.7.1.4.1.a.13'] };

/**
 * makeResults returns every host's results (as the agents report them,
 * exceptions not applied) and the history of their status changes.
 * @param {number} now
 */
export function makeResults(now) {
  const catalogue = makeCatalogue(now);
  const results = [];
  const firstSeen = ago(now, 40 * day);
  const changes = history.map(([days, agent_id, check_id, before, after], i) => ({ at: ago(now, days * day - i * minute), agent_id, policy_id: check_id.split('.')[0], check_id, before, after }));
  for (const [agent_id, byPolicy] of Object.entries(reported)) {
    for (const [policy_id, statuses] of Object.entries(byPolicy)) {
      const p = catalogue.find((x) => x.id === policy_id);
      for (const c of p.items) {
        const status = statuses[c.id] ?? 'pass';
        const changed = changes.filter((x) => x.agent_id === agent_id && x.check_id === c.id).at(-1);
        const reason = reasonOf(c.id, status);
        results.push({
          agent_id,
          policy_id,
          policy_version: p.version,
          check_id: c.id,
          status,
          severity: c.severity,
          ...(reason ? { reason } : {}),
          evidence: evidenceOf(c.id, status, agent_id),
          first_seen: firstSeen,
          updated_at: changed ? changed.at : firstSeen,
        });
      }
    }
  }
  return { results, changes, evidenceOf };
}

/** A policy upload the center accepts, in Vigil's format. */
export const goodUpload = `# Hardening of the ACME web tier, kept by the platform team.
format: 1
policy:
  id: acme_web
  version: "1.0.0"
  name:
    en: ACME web tier
    zh: ACME Web 层
  description:
    en: Settings every web host of the site must have.
    zh: 本单位所有 Web 主机必须具备的配置。
checks:
  - id: acme_web.1
    title: {en: Ensure sshd allows at most 4 authentication attempts, zh: 确保 sshd 最多允许 4 次认证尝试}
    rationale: {en: Fewer attempts slow down password guessing., zh: 减少尝试次数可以减缓口令猜测。}
    remediation: {en: Set MaxAuthTries 4 in /etc/ssh/sshd_config., zh: 在 /etc/ssh/sshd_config 中设置 MaxAuthTries 4。}
    severity: medium
    rules:
      - config: {path: /etc/ssh/sshd_config, format: sshd, key: MaxAuthTries, op: le, value: 4}
  - id: acme_web.2
    title: {en: Ensure telnetd is not installed, zh: 确保未安装 telnetd}
    rationale: {en: Telnet sends passwords in clear text., zh: Telnet 以明文传送口令。}
    remediation: {en: apt-get purge telnetd, zh: apt-get purge telnetd}
    severity: high
    rules:
      - package: {name: telnetd, installed: false}
`;

/** The same file with two mistakes the center reports by line. */
export const badUpload = goodUpload.replace('format: sshd, key: MaxAuthTries', 'format: sshd2, key: MaxAuthTries').replace('  - id: acme_web.2', '  - id: web.2');

/** A Wazuh SCA file: one check uses a command Vigil does not allow, and is left out. */
export const scaUpload = `# Security Configuration Assessment
policy:
  id: "acme_sca"
  file: "acme_sca.yml"
  name: "ACME checks for Linux"
  description: "Site checks written for Wazuh."
requirements:
  title: "Check that the host is Linux"
  condition: any
  rules:
    - 'f:/etc/os-release'
checks:
  - id: 90001
    title: "Ensure /etc/hosts.equiv does not exist"
    condition: none
    rules:
      - 'f:/etc/hosts.equiv'
  - id: 90002
    title: "Ensure SSH root login is disabled"
    condition: all
    rules:
      - 'f:/etc/ssh/sshd_config -> r:^\\s*PermitRootLogin\\s+no'
  - id: 90003
    title: "Ensure the cron daemon runs"
    condition: all
    rules:
      - 'c:ps -ef -> r:cron'
`;
