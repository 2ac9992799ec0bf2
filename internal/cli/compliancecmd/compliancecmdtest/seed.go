package compliancecmdtest

import (
	"context"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/center/compliance"
	"github.com/vigilsec/vigil/internal/store"
)

// BaselinePolicy is an operator's policy in Vigil's format: six checks of
// Debian 12 servers, one of each outcome on the seeded hosts.
const BaselinePolicy = `format: 1
policy:
  id: acme_baseline
  version: "1.2"
  name: {en: ACME Debian baseline, zh: ACME Debian 安全基线}
  description:
    en: The rules every ACME server keeps.
    zh: ACME 每台服务器都遵守的规则。
requirements:
  condition: all
  rules:
    - os: {id: debian, version: "12"}
checks:
  - id: acme_baseline.1
    title: {en: Ensure sshd PermitRootLogin is disabled, zh: 确保 sshd 禁止 root 直接登录}
    rationale: {en: Root logins cannot be traced to a person., zh: root 登录无法追溯到个人。}
    remediation:
      en: "Set PermitRootLogin no in /etc/ssh/sshd_config,\nthen reload sshd."
      zh: "在 /etc/ssh/sshd_config 中设置 PermitRootLogin no，\n然后重新加载 sshd。"
    severity: high
    references: {cis: ["5.1.20"]}
    rules:
      - config: {path: /etc/ssh/sshd_config, format: sshd, key: PermitRootLogin, op: eq, value: "no"}
  - id: acme_baseline.2
    title: {en: Ensure telnetd is not installed, zh: 确保未安装 telnetd}
    rationale: {en: Telnet sends passwords in clear text., zh: telnet 明文传输口令。}
    remediation: {en: apt-get purge telnetd, zh: 执行 apt-get purge telnetd}
    severity: high
    rules:
      - package: {name: telnetd, installed: false}
  - id: acme_baseline.3
    title: {en: Ensure password expiration is 365 days or less, zh: 确保口令有效期不超过 365 天}
    rationale: {en: Old passwords leak., zh: 旧口令会泄露。}
    remediation: {en: Set PASS_MAX_DAYS 365 in /etc/login.defs., zh: 在 /etc/login.defs 中设置 PASS_MAX_DAYS 365。}
    severity: medium
    rules:
      - content: {path: /etc/login.defs, regex: '^\s*PASS_MAX_DAYS\s+([0-9]+)', compare: {op: le, value: 365}}
  - id: acme_baseline.4
    title: {en: Ensure sshd MaxAuthTries is 4 or less, zh: 确保 sshd MaxAuthTries 不超过 4}
    rationale: {en: Few tries slow down guessing., zh: 限制尝试次数可减缓口令猜测。}
    remediation: {en: Set MaxAuthTries 4 in /etc/ssh/sshd_config., zh: 在 /etc/ssh/sshd_config 中设置 MaxAuthTries 4。}
    severity: medium
    rules:
      - command: {run: "sshd -T", regex: '^maxauthtries\s+([0-9]+)$', compare: {op: le, value: 4}}
  - id: acme_baseline.5
    title: {en: Ensure nginx does not tell its version, zh: 确保 nginx 不暴露版本号}
    rationale: {en: A version helps attackers pick an exploit., zh: 版本号便于攻击者选择漏洞利用。}
    remediation: {en: Set server_tokens off; in /etc/nginx/nginx.conf., zh: 在 /etc/nginx/nginx.conf 中设置 server_tokens off;。}
    severity: low
    applies_if:
      rules:
        - package: {name: nginx, installed: true}
    rules:
      - content: {path: /etc/nginx/nginx.conf, regex: '^\s*server_tokens\s+off;'}
  - id: acme_baseline.6
    title: {en: Ensure no hosts.equiv, zh: 确保没有 hosts.equiv}
    rationale: {en: Trust by host name is weak., zh: 基于主机名的信任很弱。}
    remediation: {en: Remove /etc/hosts.equiv., zh: 删除 /etc/hosts.equiv。}
    severity: critical
    rules:
      - file: {path: /etc/hosts.equiv, exists: false}
`

// LoggingPolicy is a second small policy, assigned to the database hosts.
const LoggingPolicy = `format: 1
policy:
  id: acme_logging
  version: "1.0"
  name: {en: ACME logging, zh: ACME 日志要求}
  description: {en: Logs are kept., zh: 日志须保留。}
checks:
  - id: acme_logging.1
    title: {en: Ensure rsyslog is installed, zh: 确保已安装 rsyslog}
    rationale: {en: Logs leave the host., zh: 日志须发送到主机之外。}
    remediation: {en: apt-get install rsyslog, zh: 执行 apt-get install rsyslog}
    severity: medium
    rules:
      - package: {name: rsyslog, installed: true}
  - id: acme_logging.2
    title: {en: Ensure journald keeps logs on disk, zh: 确保 journald 将日志保存到磁盘}
    rationale: {en: Logs in memory are lost at reboot., zh: 内存中的日志在重启后丢失。}
    remediation: {en: Set Storage=persistent in /etc/systemd/journald.conf., zh: 在 /etc/systemd/journald.conf 中设置 Storage=persistent。}
    severity: low
    rules:
      - config: {path: /etc/systemd/journald.conf, format: ini, key: Journal.Storage, op: eq, value: persistent}
`

// Agents of the seeded fleet.
const (
	Web = "7f3c9a" // web-1: env=prod, role=web, Debian 12
	DB  = "b81d02" // db-1: env=prod, role=db, Debian 12
	App = "c4e5f6" // app-1: env=prod, role=app, Ubuntu 22.04
	Dev = "9d0e1f" // dev-1: env=dev, no policy assigned
)

// The exceptions Seed stores.
const (
	// ExceptionEquiv accepts web-1's hosts.equiv until Now + 30 days.
	ExceptionEquiv = "ex-equiv"
	// ExceptionExpired accepted db-1's password expiry until a day ago.
	ExceptionExpired = "ex-expired"
)

// osRelease is /etc/os-release of a Debian 12 host.
const osRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
ID=debian
`

// dpkgStatus is a package database holding the packages.
func dpkgStatus(pkgs ...string) string {
	var b strings.Builder
	for _, p := range pkgs {
		name, version, _ := strings.Cut(p, "=")
		b.WriteString("Package: " + name + "\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + version + "\n\n")
	}
	return b.String()
}

// Seed fills the center as a running fleet would have: the policies
// BaselinePolicy (assigned to env=prod, every 12 hours) and LoggingPolicy
// (role=db) uploaded, four hosts (Web, DB, App, Dev), an exception in
// force and an expired one, and the hosts' results of two evaluations:
// three days ago, and two hours ago after web-1's sshd started to allow
// root logins and db-1's telnetd was removed. It returns the hosts by
// agent ID.
func (e *Env) Seed() map[string]*Host {
	t := e.TB
	t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	_, _, err := e.Compliance.PutPolicy(ctx, "acme_baseline", "acme_baseline.yml", []byte(BaselinePolicy), compliance.FormatVigil, "token:admin")
	must("acme_baseline", err)
	_, _, err = e.Compliance.PutPolicy(ctx, "acme_logging", "acme_logging.yml", []byte(LoggingPolicy), compliance.FormatVigil, "token:admin")
	must("acme_logging", err)
	must("assign acme_baseline", e.Compliance.PutAssignment(ctx, store.ComplianceAssignment{PolicyID: "acme_baseline",
		Selector: map[string]string{"env": "prod"}, IntervalSeconds: 12 * 3600, Author: "token:admin", UpdatedAt: Now.AddDate(0, 0, -5)}))
	must("assign acme_logging", e.Compliance.PutAssignment(ctx, store.ComplianceAssignment{PolicyID: "acme_logging",
		Selector: map[string]string{"role": "db"}, Author: "token:admin", UpdatedAt: Now.AddDate(0, 0, -5)}))

	hosts := map[string]*Host{
		Web: e.AddHost(Web, "web-1", map[string]string{"env": "prod", "role": "web"}, map[string]string{
			"/etc/os-release":            osRelease,
			"/etc/ssh/sshd_config":       "# managed by ansible\nPermitRootLogin no\nPasswordAuthentication no\n",
			"/etc/login.defs":            "PASS_MAX_DAYS\t90\nPASS_MIN_DAYS\t1\n",
			"/var/lib/dpkg/status":       dpkgStatus("openssh-server=1:9.2p1-2+deb12u5", "nginx=1.22.1-9+deb12u1"),
			"/etc/nginx/nginx.conf":      "http {\n    server_tokens off;\n}\n",
			"/etc/hosts.equiv":           "legacy-batch.acme.internal\n",
			"/etc/systemd/journald.conf": "[Journal]\nStorage=persistent\n",
		}),
		DB: e.AddHost(DB, "db-1", map[string]string{"env": "prod", "role": "db"}, map[string]string{
			"/etc/os-release":            osRelease,
			"/etc/ssh/sshd_config":       "PermitRootLogin no\n",
			"/etc/login.defs":            "PASS_MAX_DAYS\t99999\n",
			"/var/lib/dpkg/status":       dpkgStatus("openssh-server=1:9.2p1-2+deb12u5", "rsyslog=8.2302.0-1", "telnetd=0.17+2.4-2+deb12u1"),
			"/etc/systemd/journald.conf": "[Journal]\nStorage=auto\n",
		}),
		App: e.AddHost(App, "app-1", map[string]string{"env": "prod", "role": "app"}, map[string]string{
			"/etc/os-release":      "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\n",
			"/etc/ssh/sshd_config": "PermitRootLogin prohibit-password\n",
		}),
		Dev: e.AddHost(Dev, "dev-1", map[string]string{"env": "dev"}, map[string]string{"/etc/os-release": osRelease}),
	}
	for _, ex := range []store.ComplianceException{
		{PolicyID: "acme_baseline", CheckID: "acme_baseline.6", AgentID: Web, Reason: "legacy batch host, removal planned for April",
			ExpiresAt: Now.AddDate(0, 0, 30), Author: "token:analyst", CreatedAt: Now.AddDate(0, 0, -10)},
		{PolicyID: "acme_baseline", CheckID: "acme_baseline.3", AgentID: DB, Reason: "migration window",
			ExpiresAt: Now.AddDate(0, 0, -1), Author: "token:analyst", CreatedAt: Now.AddDate(0, 0, -20)},
	} {
		created, err := e.Store.Compliance().CreateException(ctx, ex)
		must("exception", err)
		id := ExceptionEquiv
		if ex.CheckID == "acme_baseline.3" {
			id = ExceptionExpired
		}
		e.ExceptionIDs[id] = created.ID
	}
	e.Publish()

	first := Now.Add(-3 * 24 * time.Hour)
	for _, id := range []string{Web, DB, App} {
		hosts[id].Collect(first)
	}
	hosts[Web].Write("/etc/ssh/sshd_config", "# managed by ansible\nPermitRootLogin yes\nPasswordAuthentication no\n")
	hosts[DB].Write("/var/lib/dpkg/status", dpkgStatus("openssh-server=1:9.2p1-2+deb12u5", "rsyslog=8.2302.0-1"))
	second := Now.Add(-2 * time.Hour)
	for _, id := range []string{Web, DB, App} {
		hosts[id].Collect(second)
	}
	return hosts
}
