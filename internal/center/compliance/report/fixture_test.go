package report

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// generatedAt is the fixed time of the test reports.
var generatedAt = time.Date(2026, 5, 4, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// evidenceJSON is the agent's evidence of rule results.
func evidenceJSON(rules ...map[string]any) json.RawMessage {
	b, err := json.Marshal(rules)
	if err != nil {
		panic(err)
	}
	return b
}

// tally counts results as the center does.
func tally(results []Result) eval.Counts {
	var c eval.Counts
	for _, r := range results {
		countStatus(&c, r.Status)
	}
	return c
}

// withCounts sets a host report policy's counts and score from its results.
func withCounts(p Policy) Policy {
	p.Counts = tally(p.Results)
	p.Score = eval.Score(p.Counts)
	return p
}

func txt(en, zh string) policy.Text { return policy.Text{En: en, Zh: zh} }

// mlpsResults are a Debian host's results on an MLPS level 3 policy: every
// status, every severity, hostile evidence and texts in one language only.
func mlpsResults() []Result {
	return []Result{
		{CheckID: "mlps_level3.8.1.4.1.a.1", Status: StatusPass, Severity: "critical",
			Title:      txt("Ensure root is the only account with UID 0", "确保仅 root 账户的 UID 为 0"),
			References: map[string][]string{"mlps": {"8.1.4.1 a)"}, "cis": {"5.4.2.1"}}},
		{CheckID: "mlps_level3.8.1.4.1.a.4", Status: StatusFail, Severity: "critical",
			Title:       txt("Ensure no account has an empty password", "确保不存在空口令账户"),
			Rationale:   txt("An account with an empty password is not authenticated at all.", "空口令账户实际上未经任何鉴别即可登录。"),
			Remediation: txt("Set a password on, or lock, every account with an empty password field:\n  awk -F: '$2 == \"\" {print $1}' /etc/shadow\n  passwd -l <account>", "为空口令账户设置口令或锁定该账户：\n  awk -F: '$2 == \"\" {print $1}' /etc/shadow\n  passwd -l <账户>"),
			References:  map[string][]string{"mlps": {"8.1.4.1 a)"}, "cis": {"7.2.2"}},
			Evidence: evidenceJSON(map[string]any{"index": 0, "type": "account", "result": "fails",
				"evidence": []string{"/etc/shadow: backup: password empty", "/etc/shadow: deploy: password empty"}})},
		{CheckID: "mlps_level3.8.1.4.1.b.10", Status: StatusFail, Severity: "high",
			Title:       txt("Ensure SSH idle sessions time out", "确保 SSH 空闲会话超时断开"),
			Remediation: txt("Set ClientAliveInterval 900 and ClientAliveCountMax 0 in /etc/ssh/sshd_config.", "在 /etc/ssh/sshd_config 中设置 ClientAliveInterval 900 与 ClientAliveCountMax 0。"),
			References:  map[string][]string{"mlps": {"8.1.4.1 b)"}, "cis": {"5.1.7"}},
			Evidence: evidenceJSON(map[string]any{"index": 0, "type": "config", "result": "fails",
				"evidence": []string{"/etc/ssh/sshd_config:121: ClientAliveInterval 0"}},
				map[string]any{"index": 1, "type": "config", "result": "holds",
					"evidence": []string{"/etc/ssh/sshd_config: ClientAliveCountMax not set (default 3)"}})},
		{CheckID: "mlps_level3.8.1.4.1.b.9", Status: StatusFail, Severity: "high",
			Title:       txt("Ensure SSH root login is disabled", "确保禁止 root 通过 SSH 登录"),
			Rationale:   txt("Root logins cannot be traced to a person.", "root 直接登录无法追溯到具体人员。"),
			Remediation: txt("Set PermitRootLogin no in /etc/ssh/sshd_config and reload sshd.", ""),
			References:  map[string][]string{"mlps": {"8.1.4.1 b)", "8.1.4.2 c)"}, "cis": {"5.1.20"}},
			Evidence: evidenceJSON(map[string]any{"index": 0, "type": "config", "result": "fails",
				"evidence": []string{"/etc/ssh/sshd_config:32: PermitRootLogin yes"},
				"file":     "/etc/ssh/sshd_config", "line": 32, "value": "yes",
				"output": "<script>alert('evidence')</script>\"><img src=x onerror=alert(1)>"})},
		{CheckID: "mlps_level3.8.1.4.3.a.2", Status: StatusError, Severity: "medium",
			Title:  txt("Ensure auditd is enabled and running", "确保 auditd 已启用并运行"),
			Reason: "a rule could not be evaluated",
			Remediation: txt("Install and enable auditd:\n  apt-get install auditd\n  systemctl enable --now auditd",
				"安装并启用 auditd：\n  apt-get install auditd\n  systemctl enable --now auditd"),
			References: map[string][]string{"mlps": {"8.1.4.3 a)"}, "cis": {"6.2.1.2"}},
			Evidence: evidenceJSON(map[string]any{"index": 0, "type": "service", "result": "error",
				"error": "systemd: connect to the system bus: permission denied"})},
		{CheckID: "mlps_level3.8.1.4.2.d.1", Status: StatusFail, Severity: "low",
			Title:      txt("", "确保 /etc/motd 中不含系统版本信息"),
			References: map[string][]string{"mlps": {"8.1.4.2 d)"}},
			Evidence: evidenceJSON(map[string]any{"index": 0, "type": "content", "not": true, "result": "fails",
				"evidence": []string{"/etc/motd:1: Debian GNU/Linux 12 \\n \\l"}})},
		{CheckID: "mlps_level3.8.1.4.4.c.1", Status: StatusExcepted, Severity: "medium",
			Title:      txt("Ensure only approved ports listen", "确保仅监听经批准的端口"),
			References: map[string][]string{"mlps": {"8.1.4.4 c)"}},
			Evidence: evidenceJSON(map[string]any{"index": 0, "type": "port", "result": "fails",
				"evidence": []string{"tcp 0.0.0.0:443 nginx", "tcp 0.0.0.0:80 nginx"}}),
			Exception: &Exception{Reason: "Public web server: ports 80 and 443 approved by change CHG-2231.",
				ExpiresAt: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), CreatedBy: "li.wei"}},
		{CheckID: "mlps_level3.8.1.4.4.a.3", Status: StatusExcepted, Severity: "low",
			Title:      txt("Ensure the legacy FTP client is not installed", "确保未安装旧式 FTP 客户端"),
			References: map[string][]string{"mlps": {"8.1.4.4 a)"}},
			Exception:  &Exception{Reason: "Needed by the nightly export job.", CreatedBy: "admin"}},
		{CheckID: "mlps_level3.8.1.4.1.c.2", Status: StatusNotApplicable, Severity: "high",
			Title:  txt("Ensure password quality on RHEL (pwquality)", "确保 RHEL 口令复杂度（pwquality）"),
			Reason: "applies_if does not hold", References: map[string][]string{"mlps": {"8.1.4.1 a)"}}},
		{CheckID: "mlps_level3.8.1.4.1.a.2", Status: StatusPass, Severity: "high",
			Title:      txt("Ensure no two accounts share a UID", "确保不存在重复的 UID"),
			References: map[string][]string{"mlps": {"8.1.4.1 a)", "8.1.4.2 c)"}, "cis": {"7.2.5"}}},
		{CheckID: "mlps_level3.8.1.4.3.b.1", Status: StatusPass, Severity: "medium",
			Title:      txt("Ensure audit logs are kept 180 days", ""),
			References: map[string][]string{"mlps": {"8.1.4.3 c)"}}},
	}
}

func cisResults() []Result {
	return []Result{
		{CheckID: "cis_debian12.1.1.1.1", Status: StatusPass, Severity: "low",
			Title:      txt("Ensure cramfs kernel module is not available", "确保 cramfs 内核模块不可用"),
			References: map[string][]string{"cis": {"1.1.1.1"}, "mlps": {"8.1.4.4 a)"}}},
		{CheckID: "cis_debian12.5.2.7", Status: StatusFail, Severity: "medium",
			Title:       txt("Ensure access to the su command is restricted", "确保限制 su 命令的使用"),
			Remediation: txt("Add auth required pam_wheel.so use_uid group=sugroup to /etc/pam.d/su.", "在 /etc/pam.d/su 中加入 auth required pam_wheel.so use_uid group=sugroup。"),
			References:  map[string][]string{"cis": {"5.2.7"}},
			Evidence: evidenceJSON(map[string]any{"index": 0, "type": "config", "result": "fails",
				"evidence": []string{"/etc/pam.d/su: no auth line of pam_wheel.so"}})},
	}
}

// hostReport is a host report on two policies.
func hostReport(lang string) *Report {
	return &Report{
		Lang: lang, GeneratedAt: generatedAt, Center: "vigil-center.corp.example:8443",
		Host: &Host{AgentID: "7f3c2a1e-5b8d-4c61-9a0e-2d4f6b8c1e3a", Hostname: "web-01.prod", OS: "Debian GNU/Linux 12 (bookworm)",
			Labels: map[string]string{"role": "web", "env": "prod"}},
		Policies: []Policy{
			withCounts(Policy{ID: "mlps_level3", Version: "1.0.0", Applicable: true,
				Name:      txt("China MLPS 2.0 Level 3 (GB/T 22239-2019), Linux secure computing environment", "网络安全等级保护 2.0 第三级（GB/T 22239-2019）Linux 安全计算环境"),
				UpdatedAt: time.Date(2026, 5, 4, 1, 12, 40, 0, time.UTC), Results: mlpsResults()}),
			withCounts(Policy{ID: "cis_debian12", Version: "1.1.0", Applicable: true,
				Name:      txt("CIS Debian Linux 12 Benchmark", "CIS Debian Linux 12 基准"),
				UpdatedAt: time.Date(2026, 5, 4, 1, 12, 41, 0, time.UTC), Results: cisResults()}),
			{ID: "cis_rhel9", Version: "1.0.0", Applicable: false, Name: txt("CIS Red Hat Enterprise Linux 9 Benchmark", "CIS RHEL 9 基准"),
				UpdatedAt: time.Date(2026, 5, 4, 1, 12, 41, 0, time.UTC)},
		},
	}
}

func score(v float64) *float64 { return &v }

// fleetReport is a fleet report of one policy on five hosts.
func fleetReport(lang string) *Report {
	hosts := []HostScore{
		{AgentID: "a-1", Hostname: "web-01.prod", Applicable: true, Counts: eval.Counts{Pass: 40, Fail: 6, Error: 1, NotApplicable: 8, Excepted: 2, Total: 57}, Score: score(100 * 40.0 / 46)},
		{AgentID: "a-2", Hostname: "db-01.prod", Applicable: true, Counts: eval.Counts{Pass: 44, Fail: 2, NotApplicable: 11, Total: 57}, Score: score(100 * 44.0 / 46)},
		{AgentID: "a-3", Hostname: "build-07", Applicable: true, Counts: eval.Counts{Pass: 20, Fail: 26, NotApplicable: 11, Total: 57}, Score: score(100 * 20.0 / 46)},
		{AgentID: "a-4", Hostname: "win-jump", Applicable: false},
		{AgentID: "a-5", Hostname: "fresh-01", Applicable: true, Counts: eval.Counts{Error: 57, Total: 57}},
		{AgentID: "a-6", Hostname: "app-02.prod", Applicable: true, Counts: eval.Counts{Pass: 31, Fail: 15, NotApplicable: 11, Total: 57}, Score: score(100 * 31.0 / 46)},
	}
	var sum eval.Counts
	for i := range hosts {
		h := &hosts[i]
		if h.Applicable {
			h.UpdatedAt = time.Date(2026, 5, 4, 1, i*7, 0, 0, time.UTC)
		}
		sum.Pass += h.Counts.Pass
		sum.Fail += h.Counts.Fail
		sum.Error += h.Counts.Error
		sum.NotApplicable += h.Counts.NotApplicable
		sum.Excepted += h.Counts.Excepted
		sum.Total += h.Counts.Total
	}
	checks := []CheckStanding{
		{CheckID: "mlps_level3.8.1.4.1.a.1", Severity: "critical", Title: txt("Ensure root is the only account with UID 0", "确保仅 root 账户的 UID 为 0"),
			References: map[string][]string{"mlps": {"8.1.4.1 a)"}}, Hosts: eval.Counts{Pass: 4, Error: 1, Total: 5}},
		{CheckID: "mlps_level3.8.1.4.1.b.9", Severity: "high", Title: txt("Ensure SSH root login is disabled", "确保禁止 root 通过 SSH 登录"),
			References: map[string][]string{"mlps": {"8.1.4.1 b)"}, "cis": {"5.1.20"}}, Hosts: eval.Counts{Pass: 1, Fail: 3, Error: 1, Total: 5}},
		{CheckID: "mlps_level3.8.1.4.1.a.4", Severity: "critical", Title: txt("Ensure no account has an empty password", "确保不存在空口令账户"),
			References: map[string][]string{"mlps": {"8.1.4.1 a)"}}, Hosts: eval.Counts{Pass: 3, Fail: 1, Error: 1, Total: 5}},
		{CheckID: "mlps_level3.8.1.4.4.c.1", Severity: "medium", Title: txt("Ensure only approved ports listen", ""),
			References: map[string][]string{"mlps": {"8.1.4.4 c)"}}, Hosts: eval.Counts{Pass: 1, Fail: 1, Excepted: 2, Error: 1, Total: 5}},
		{CheckID: "mlps_level3.8.1.4.2.d.1", Severity: "low", Title: txt("", "确保 /etc/motd 中不含系统版本信息"),
			Hosts: eval.Counts{Pass: 1, Fail: 3, Error: 1, Total: 5}},
		{CheckID: "mlps_level3.8.1.4.1.c.2", Severity: "high", Title: txt("Ensure password quality on RHEL (pwquality)", "确保 RHEL 口令复杂度（pwquality）"),
			Hosts: eval.Counts{NotApplicable: 4, Error: 1, Total: 5}},
	}
	return &Report{
		Lang: lang, GeneratedAt: generatedAt, Center: "vigil-center.corp.example:8443",
		Policies: []Policy{{ID: "mlps_level3", Version: "1.0.0", Applicable: true,
			Name:   txt("China MLPS 2.0 Level 3 (GB/T 22239-2019), Linux secure computing environment", "网络安全等级保护 2.0 第三级（GB/T 22239-2019）Linux 安全计算环境"),
			Counts: sum, Score: eval.Score(sum), UpdatedAt: time.Date(2026, 5, 4, 1, 12, 40, 0, time.UTC),
			Hosts: hosts, Checks: checks}},
	}
}

// largeReport is a host report of one policy with n checks: a fifth
// failing with long evidence, the others passing.
func largeReport(n int, evidenceBytes int) *Report {
	sevs := []string{"critical", "high", "medium", "low"}
	results := make([]Result, n)
	for i := range results {
		r := Result{CheckID: fmt.Sprintf("big.%d.%d", i/10, i%10), Severity: sevs[i%4], Status: StatusPass,
			Title:       txt(fmt.Sprintf("Check number %d of the large policy", i), fmt.Sprintf("大型策略的第 %d 个检查项", i)),
			Remediation: txt("Edit the configuration file and reload the service.", "修改配置文件并重新加载服务。"),
			References:  map[string][]string{"cis": {fmt.Sprintf("%d.%d", i/10, i%10)}, "mlps": {"8.1.4.1 a)"}}}
		if i%5 == 0 {
			r.Status = StatusFail
			line := make([]byte, 0, 200)
			for len(line) < 200 {
				line = append(line, "<x>&\"' "...)
			}
			var lines []string
			for size := 0; size < evidenceBytes; size += len(line) {
				lines = append(lines, string(line))
			}
			r.Evidence = evidenceJSON(map[string]any{"index": 0, "type": "content", "result": "fails", "evidence": lines})
		}
		results[i] = r
	}
	return &Report{Lang: English, GeneratedAt: generatedAt,
		Host:     &Host{AgentID: "agent-big", Hostname: "big-host"},
		Policies: []Policy{withCounts(Policy{ID: "big", Version: "1", Applicable: true, Name: txt("Large policy", "大型策略"), Results: results})}}
}
