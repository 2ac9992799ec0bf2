package engine

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/detect/sigma"
)

func TestProblems(t *testing.T) {
	tests := []struct {
		name, logsource, detection string
		reason                     string
		line                       int
	}{
		{"windows", "{product: windows, category: process_creation}", "    s:\n        Image: x\n    condition: s\n",
			"logsource windows/process_creation is not collected by Vigil (product windows)", 5},
		{"macos", "{product: macos, category: process_creation}", "    s:\n        Image: x\n    condition: s\n",
			"logsource macos/process_creation is not collected by Vigil (product macos)", 5},
		{"syslog", "{product: linux, service: syslog}", "    k:\n        - x\n    condition: k\n",
			"logsource linux/syslog is not collected by Vigil: the authlog sensor reads the authentication log only", 5},
		{"cron", "{product: linux, service: cron}", "    k:\n        - x\n    condition: k\n",
			"logsource linux/cron is not collected by Vigil: cron's log lines are not read", 5},
		{"unknown service", "{product: linux, service: nginx}", "    k:\n        - x\n    condition: k\n",
			"logsource linux/nginx is not collected by Vigil", 5},
		{"unknown category", "{product: linux, category: proxy}", "    s:\n        c-uri: x\n    condition: s\n",
			"logsource linux/proxy is not collected by Vigil", 5},
		{"file access", "{product: linux, category: file_access}", "    s:\n        TargetFilename: x\n    condition: s\n",
			"logsource linux/file_access is not collected by Vigil: its file events report changes, not reads", 5},
		{"category and service", "{product: linux, category: process_creation, service: sshd}", "    s:\n        Image: x\n    condition: s\n",
			"names both a category and a service", 5},
		{"windows field", lsProc, "    s:\n        Hashes|contains: 'SHA256=AB'\n    condition: s\n",
			"field Hashes cannot be evaluated: a Windows list of several digests; use process.hash.sha256 or file.hash.sha256", 8},
		{"field of another log source", lsProc, "    s:\n        TargetFilename: /etc/passwd\n    condition: s\n",
			"field TargetFilename has no mapping for linux/process_creation: its events do not carry it (it is mapped for file_event, file_create, file_change, file_delete, file_rename)", 8},
		{"process field of authentication lines", "{product: linux, service: sshd}", "    s:\n        Image|endswith: /sshd\n    condition: s\n",
			"field Image has no mapping for linux/sshd: its events do not carry it (it is mapped for process_creation,", 8},
		{"unknown field", lsProc, "    s:\n        Imagepath: /bin/sh\n    condition: s\n",
			"field Imagepath has no mapping for linux/process_creation: it is neither a Sigma field of the mapping table nor an ECS name (a name with a dot)", 8},
		{"unknown auditd field", lsAudit, "    s:\n        type: SYSCALL\n        saddr: 0200\n    condition: s\n",
			"field saddr has no mapping for linux/auditd: it is not a field of the EXECVE, SYSCALL, CWD or PATH records Vigil's events stand for", 9},
		{"auditd field elsewhere", lsProc, "    s:\n        a0: chmod\n    condition: s\n",
			"field a0 has no mapping for linux/process_creation", 8},
		{"auditd field for every event", "{product: linux}", "    s:\n        a0: chmod\n    condition: s\n",
			"field a0 has no mapping for linux", 8},
		{"service as category", "{product: linux, category: auditd}", "    s:\n        a0: chmod\n    condition: s\n",
			"logsource linux/auditd names auditd as a category: it is a service in Sigma's taxonomy (service: auditd)", 5},
		{"logon id", lsProc, "    s:\n        LogonId: 0\n    condition: s\n",
			"field LogonId cannot be evaluated: a Windows logon session number", 8},
		{"regex RE2 cannot compile", lsProc, "    s:\n        CommandLine|re: 'curl (?=http)'\n    condition: s\n",
			"CommandLine|re: regular expression \"curl (?=http)\" cannot be compiled (Go's RE2 syntax)", 8},
		{"regex backreference", lsProc, "    s:\n        CommandLine|re: '(a)\\1'\n    condition: s\n",
			"cannot be compiled", 8},
		{"windash too many", lsProc, "    s:\n        CommandLine|windash|contains: ' -a -b -c -d -e'\n    condition: s\n",
			"at most 4 can be expanded", 8},
		{"auditd record type", lsAudit, "    s:\n        type: USER_LOGIN\n    condition: s\n",
			"field type: auditd record type USER_LOGIN has no counterpart in Vigil's events (mapped: EXECVE, SYSCALL, CWD, PATH)", 8},
		{"auditd syscall", lsAudit, "    s:\n        type: SYSCALL\n        syscall: ptrace\n    condition: s\n",
			"field syscall: value ptrace has no counterpart in Vigil's events", 9},
		{"auditd key", lsAudit, "    s:\n        key: susp_activity\n    condition: s\n",
			"field key cannot be evaluated: audit rule keys name rules of the host's audit configuration", 8},
		{"auditd keywords", lsAudit, "    k:\n        - 'execve'\n    condition: k\n",
			"keyword searches cannot be evaluated for linux/auditd", 8},
		{"auditd only ecs", lsAudit, "    s:\n        message: x\n    condition: s\n",
			"no field of this auditd rule maps onto Vigil's process or file events", 7},
		{"auditd type with modifier", lsAudit, "    s:\n        type|contains: EXEC\n    condition: s\n",
			"field type takes plain values (EXECVE, SYSCALL, CWD, PATH), not modifier contains", 8},
		{"initiated value", lsNet, "    s:\n        Initiated: 'maybe'\n    condition: s\n",
			"field Initiated: value maybe has no counterpart in Vigil's events (mapped: true, false)", 8},
		{"fieldref to unknown field", lsProc, "    s:\n        Image|fieldref: OriginalFileName\n    condition: s\n",
			"fieldref: field OriginalFileName cannot be evaluated", 8},
		{"fieldref to translated", lsNet, "    s:\n        network.direction|fieldref: Initiated\n    condition: s\n",
			"fieldref: field Initiated has translated values", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, problems := compileRules(t, ruleText("r-1", tt.logsource, tt.detection), Options{})
			if len(e.Rules()) != 0 {
				t.Error("the rule was loaded")
			}
			if len(problems) == 0 {
				t.Fatal("no problem")
			}
			p := problems[0]
			if !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("reason %q, want %q", p.Reason, tt.reason)
			}
			if p.Pos.File != "test.yml" || p.Pos.Line != tt.line || p.RuleID != "r-1" || p.Title != "Rule r-1" {
				t.Errorf("problem at %v of %s (%s), want test.yml line %d", p.Pos, p.RuleID, p.Title, tt.line)
			}
		})
	}
}

func TestProblemError(t *testing.T) {
	p := Problem{Pos: sigma.Pos{File: "rules/linux/x.yml", Line: 12, Column: 9}, RuleID: "abc", Title: "Curl", Reason: "field Hashes has no mapping"}
	if got := p.Error(); got != "rules/linux/x.yml:12: rule abc (Curl): field Hashes has no mapping" {
		t.Errorf("Error() = %q", got)
	}
}

func TestOtherProblems(t *testing.T) {
	dup := ruleText("r-1", lsProc, "    s:\n        Image: /a\n    condition: s\n")
	e, problems := compileRules(t, dup+"---\n"+dup, Options{})
	if len(e.Rules()) != 1 || len(problems) != 1 || !strings.Contains(problems[0].Reason, "id already loaded from test.yml:1:1") {
		t.Errorf("duplicate id: %d rules, %v", len(e.Rules()), problems)
	}
	unsupported := strings.Replace(dup, "status: test", "status: unsupported", 1)
	if _, problems := compileRules(t, unsupported, Options{}); len(problems) != 1 || !strings.Contains(problems[0].Reason, "status unsupported") {
		t.Errorf("unsupported: %v", problems)
	}
	// Several problems of one rule are all reported.
	many := ruleText("r-2", lsProc, "    s:\n        Hashes: x\n        Company: y\n    condition: s\n")
	if _, problems := compileRules(t, many, Options{}); len(problems) != 2 {
		t.Errorf("two bad fields gave %v", problems)
	}
	// nil rules are skipped; a rule without condition is a problem.
	if e, problems := New([]*sigma.Rule{nil, {Meta: sigma.Meta{ID: "x", Title: "t"}}}, Options{}); len(e.Rules()) != 0 || len(problems) != 1 {
		t.Errorf("empty rule: %v", problems)
	}
}
