package eval

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const fixtureRoot = "testdata/root"

// fixedNow is the clock of the tests: 2025-01-01 (day 20089).
var fixedNow = func() time.Time { return time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC) }

func recorded(t testing.TB) RecordedRunner {
	t.Helper()
	r, err := LoadRecorded("testdata/commands.yml")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// onePolicy wraps rule lines (YAML, indented as list items) into a
// policy of one check.
func onePolicy(t testing.TB, condition string, rules ...string) *policy.Policy {
	t.Helper()
	var b strings.Builder
	b.WriteString("format: 1\npolicy: {id: t, version: '1', name: {en: T, zh: T}, description: {en: T, zh: T}}\n")
	b.WriteString("checks:\n  - id: t.1\n    title: {en: T, zh: T}\n    rationale: {en: R, zh: R}\n    remediation: {en: F, zh: F}\n    severity: low\n")
	if condition != "" {
		b.WriteString("    condition: " + condition + "\n")
	}
	b.WriteString("    rules:\n")
	for _, r := range rules {
		b.WriteString("      - " + r + "\n")
	}
	p, err := policy.Parse("t.yml", []byte(b.String()))
	if err != nil {
		t.Fatalf("policy: %v\n%s", err, b.String())
	}
	return p
}

type ruleCase struct {
	name string
	rule string
	want string // holds, fails or error
	// evidence must appear in the rule's evidence or error.
	evidence string
}

func runRuleCases(t *testing.T, root string, runner Runner, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := onePolicy(t, "", c.rule)
			rep := Run(context.Background(), p, Env{Root: root, Runner: runner, Now: fixedNow})
			res := rep.Results[0]
			if len(res.Rules) != 1 {
				t.Fatalf("want one rule result, got %+v", res)
			}
			rr := res.Rules[0]
			if rr.Result != c.want {
				t.Errorf("result %s, want %s (evidence %q, error %q)", rr.Result, c.want, rr.Evidence, rr.Error)
			}
			all := strings.Join(rr.Evidence, "\n") + "\n" + rr.Error
			if c.evidence != "" && !strings.Contains(all, c.evidence) {
				t.Errorf("evidence %q does not hold %q", all, c.evidence)
			}
			wantStatus := map[string]Status{RuleHolds: Pass, RuleFails: Fail, RuleError: Error}[c.want]
			if res.Status != wantStatus {
				t.Errorf("check status %s, want %s", res.Status, wantStatus)
			}
		})
	}
}

func TestContentRule(t *testing.T) {
	runRuleCases(t, fixtureRoot, nil, []ruleCase{
		{"match", `content: {path: /etc/login.defs, regex: '^UMASK\s+0'}`, RuleHolds, "/etc/login.defs:7: UMASK 027"},
		{"comment skipped", `content: {path: /etc/login.defs, regex: 'PASS_MAX_DAYS\s+30'}`, RuleFails, "no line"},
		{"comment counted", `content: {path: /etc/login.defs, regex: 'PASS_MAX_DAYS\s+30', comments: true}`, RuleHolds, ":3:"},
		{"no_match holds", `content: {path: /etc/passwd, regex: '^\+:', expect: no_match}`, RuleHolds, ""},
		{"no_match fails", `content: {path: /etc/passwd, regex: '^toor:', expect: no_match}`, RuleFails, "/etc/passwd:6: toor"},
		{"compare fails", `content: {path: /etc/login.defs, regex: '^\s*PASS_MAX_DAYS\s+([0-9]+)', compare: {op: le, value: 365}}`, RuleFails, "99999 (want <= 365)"},
		{"compare holds", `content: {path: /etc/login.defs, regex: '^\s*PASS_MIN_DAYS\s+([0-9]+)', compare: {op: ge, value: 0}}`, RuleHolds, ""},
		{"compare no line", `content: {path: /etc/login.defs, regex: '^NOPE\s+([0-9]+)', compare: {op: ge, value: 0}}`, RuleFails, "no line"},
		{"glob", `content: {path: /etc/ssh/sshd_config.d/*.conf, regex: '^PermitRootLogin no'}`, RuleHolds, "10-hardening.conf:1"},
		{"missing file", `content: {path: /etc/nope, regex: x}`, RuleFails, "no such file"},
		{"missing file no_match", `content: {path: /etc/nope, regex: x, expect: no_match}`, RuleHolds, ""},
		{"regex list and exclude", `content: {path: /etc/pam.d/common-auth, regex: [pam_faillock, '^auth'], exclude: preauth}`, RuleHolds, ":3: auth\tsufficient"},
		{"shadow hash never shown", `content: {path: /etc/shadow, regex: '^root:'}`, RuleHolds, "root:[password hash]:19700"},
		{"a folder is no file", `content: {path: /etc/ssh/sshd_config.d, regex: x}`, RuleFails, ""},
	})
}

func TestConfigRule(t *testing.T) {
	runRuleCases(t, fixtureRoot, nil, []ruleCase{
		{"sshd include first wins", `config: {path: /etc/ssh/sshd_config, format: sshd, key: PermitRootLogin, op: eq, value: "no"}`, RuleHolds, "10-hardening.conf:1"},
		{"sshd key case and = form", `config: {path: /etc/ssh/sshd_config, format: sshd, key: maxauthtries, op: eq, value: 5}`, RuleHolds, "MaxAuthTries 5"},
		{"sshd match left out", `config: {path: /etc/ssh/sshd_config, format: sshd, key: X11Forwarding, op: eq, value: "no"}`, RuleHolds, "not set (default no)"},
		{"sshd default compare", `config: {path: /etc/ssh/sshd_config, format: sshd, key: ClientAliveCountMax, op: le, value: 2}`, RuleFails, "default 3"},
		{"sshd time value", `config: {path: /etc/ssh/sshd_config, format: sshd, key: LoginGraceTime, op: le, value: 60}`, RuleHolds, "1m"},
		{"sshd words fold", `config: {path: /etc/ssh/sshd_config, format: sshd, key: PermitRootLogin, op: in, value: ["NO", "prohibit-password"]}`, RuleHolds, ""},
		{"sshd regex", `config: {path: /etc/ssh/sshd_config, format: sshd, key: Ciphers, op: regex, value: '^aes256-gcm'}`, RuleHolds, ""},
		{"sshd multi values", `config: {path: /etc/ssh/sshd_config, format: sshd, key: AllowUsers, op: eq, value: "alice bob"}`, RuleHolds, ""},
		{"sshd unknown key absent", `config: {path: /etc/ssh/sshd_config, format: sshd, key: Banner2, op: absent}`, RuleHolds, ""},
		{"keyvalue last wins", `config: {path: /etc/login.defs, format: keyvalue, key: UMASK, op: eq, value: "077"}`, RuleHolds, ":8: UMASK 077"},
		{"keyvalue in", `config: {path: /etc/login.defs, format: keyvalue, key: UMASK, op: in, value: ["027", "077"]}`, RuleHolds, ""},
		{"keyvalue equals", `config: {path: /etc/security/pwquality.conf, format: keyvalue, separator: "=", key: minlen, op: ge, value: 14}`, RuleHolds, ":2: minlen 14"},
		{"keyvalue not set", `config: {path: /etc/security/pwquality.conf, format: keyvalue, separator: "=", key: ucredit, op: le, value: -1}`, RuleFails, "not set"},
		{"keyvalue missing file", `config: {path: /etc/nope.conf, format: keyvalue, key: x, op: absent}`, RuleHolds, ""},
		{"sysctl order etc hides usr lib", `config: {path: /etc/sysctl.d/*.conf, format: sysctl, key: net.ipv4.ip_forward, op: eq, value: 0}`, RuleHolds, "99-hardening.conf:1"},
		{"sysctl folder and sysctl.conf last", `config: {path: /etc/sysctl.conf, format: sysctl, key: net.ipv4.ip_forward, op: eq, value: 1}`, RuleHolds, ""},
		{"sysctl slash key", `config: {path: /etc/sysctl.d, format: sysctl, key: kernel.randomize_va_space, op: eq, value: 2}`, RuleHolds, ""},
		{"sysctl glob key", `config: {path: /usr/lib/sysctl.d/50-default.conf, format: sysctl, key: net.ipv4.conf.eth0.rp_filter, op: eq, value: 2}`, RuleHolds, ""},
		{"pam arg", `config: {path: /etc/pam.d/common-password, format: pam, type: password, module: pam_pwquality.so, arg: retry, op: le, value: 3}`, RuleHolds, "retry=3"},
		{"pam flag present", `config: {path: /etc/pam.d/common-password, format: pam, type: password, module: pam_unix.so, arg: yescrypt, op: present}`, RuleHolds, ""},
		{"pam flag absent fails", `config: {path: /etc/pam.d/common-auth, format: pam, type: auth, module: pam_unix.so, arg: nullok, op: absent}`, RuleFails, "nullok given"},
		{"pam include and full module path", `config: {path: /etc/pam.d/common-password, format: pam, type: password, module: pam_gnome_keyring.so, present: true}`, RuleHolds, "common-password-extra:1"},
		{"pam not present", `config: {path: /etc/pam.d/common-password, format: pam, type: password, module: pam_pwhistory.so, present: false}`, RuleHolds, "no password line"},
		{"pam every line", `config: {path: /etc/pam.d/common-auth, format: pam, type: auth, module: pam_faillock.so, arg: preauth, op: present}`, RuleFails, "authsucc"},
		{"ini", `config: {path: /etc/systemd/journald.conf, format: ini, key: Journal.Storage, op: eq, value: persistent}`, RuleHolds, ":4: Journal.Storage"},
		{"ini comment", `config: {path: /etc/systemd/journald.conf, format: ini, key: Journal.Compress, op: eq, value: "yes"}`, RuleHolds, ""},
	})
}

func TestCommandRule(t *testing.T) {
	rec := recorded(t)
	runRuleCases(t, fixtureRoot, rec, []ruleCase{
		{"output matches", `command: {run: "sshd -T", regex: '^permitrootlogin no$'}`, RuleHolds, "sshd -T:2"},
		{"compare", `command: {run: "sshd -T", regex: '^maxauthtries (\d+)$', compare: {op: le, value: 4}}`, RuleFails, "want <= 4"},
		{"non-zero exit with output", `command: {run: "systemctl is-active rsync.service", regex: '^inactive$'}`, RuleHolds, ""},
		{"non-zero exit without output is an error", `command: {run: "systemctl is-enabled apparmor", regex: '^enabled$'}`, RuleError, "exit status 1: Failed to get unit file state"},
		{"stderr lines", `command: {run: "systemctl is-enabled apparmor", regex: 'No such file', stderr: true}`, RuleHolds, ""},
		{"not installed", `command: {run: "aa-status", regex: x}`, RuleError, "not installed"},
		{"not recorded", `command: {run: "auditctl -l", regex: x}`, RuleError, "no recorded output"},
	})
	runRuleCases(t, fixtureRoot, nil, []ruleCase{
		{"no runner", `command: {run: "sshd -T", regex: x}`, RuleError, "no runner"},
	})
	// A command not allowed is never run, even from a policy built in code.
	p := onePolicy(t, "", `command: {run: "sshd -T", regex: x}`)
	p.Checks[0].Rules[0].Command.Run = "sh -c 'touch /x'"
	ran := false
	rep := Run(context.Background(), p, Env{Root: fixtureRoot, Runner: runnerFunc(func([]string) { ran = true })})
	if ran || rep.Results[0].Status != Error || !strings.Contains(rep.Results[0].Reason, "not allowed") {
		t.Errorf("a command not allowed: ran=%v %+v", ran, rep.Results[0])
	}
}

type runnerFunc func([]string)

func (f runnerFunc) Run(_ context.Context, argv []string) (Output, error) {
	f(argv)
	return Output{}, nil
}

func TestSysctlRule(t *testing.T) {
	runRuleCases(t, fixtureRoot, nil, []ruleCase{
		{"running", `sysctl: {key: kernel.randomize_va_space, op: eq, value: 2}`, RuleHolds, "= 2 (running)"},
		{"persistent", `sysctl: {key: kernel.randomize_va_space, op: eq, value: 2, persistent: true}`, RuleHolds, "99-hardening.conf:2"},
		{"persistent differs", `sysctl: {key: net.ipv4.ip_forward, op: eq, value: 0, persistent: true}`, RuleFails, "/etc/sysctl.conf:2"},
		{"persistent not set", `sysctl: {key: net.ipv4.conf.all.accept_redirects, op: eq, value: 0, persistent: true}`, RuleFails, "not in the running kernel"},
		{"not in kernel", `sysctl: {key: net.ipv6.conf.all.forwarding, op: eq, value: 0}`, RuleFails, "not in the running kernel"},
	})
}

func TestPackageRule(t *testing.T) {
	runRuleCases(t, fixtureRoot, nil, []ruleCase{
		{"installed", `package: {name: openssh-server, installed: true}`, RuleHolds, "1:9.2p1-2+deb12u3"},
		{"config-files is not installed", `package: {name: telnetd, installed: false}`, RuleHolds, "not installed"},
		{"list", `package: {name: [sudo, openssh-server]}`, RuleHolds, ""},
		{"list one missing", `package: {name: [sudo, auditd], installed: true}`, RuleFails, "auditd: not installed"},
		{"version ge", `package: {name: sudo, version: {op: ge, value: "1.9.13p3-1+deb12u1"}}`, RuleHolds, ""},
		{"version lt fails", `package: {name: sudo, version: {op: lt, value: "1.9.13p3-1"}}`, RuleFails, "want version <"},
		{"epoch", `package: {name: openssh-server, version: {op: gt, value: "9.9"}}`, RuleHolds, ""},
		{"multi-arch any", `package: {name: libc6, version: {op: ge, value: "2.36-9+deb12u7"}}`, RuleHolds, ""},
	})
	runRuleCases(t, t.TempDir(), nil, []ruleCase{
		{"no database", `package: {name: sudo}`, RuleError, "no package database"},
	})
}

func TestServiceRule(t *testing.T) {
	rec := recorded(t)
	runRuleCases(t, fixtureRoot, rec, []ruleCase{
		{"enabled active", `service: {name: ssh, enabled: true, active: true}`, RuleHolds, "multi-user.target.wants/ssh.service"},
		{"alias", `service: {name: sshd.service, enabled: true}`, RuleHolds, "/lib/systemd/system/ssh.service"},
		{"masked", `service: {name: rsync, enabled: false, active: false}`, RuleHolds, "masked"},
		{"masked is not enabled", `service: {name: rsync, enabled: true}`, RuleFails, ""},
		{"no unit", `service: {name: telnet.socket, enabled: false, active: false}`, RuleHolds, "not-found"},
		{"disabled", `service: {name: auditd, enabled: true}`, RuleFails, "disabled"},
	})
	// Without systemd answering, the processes tell: sshd runs, auditd does not.
	runRuleCases(t, fixtureRoot, nil, []ruleCase{
		{"process fallback runs", `service: {name: ssh, active: true}`, RuleHolds, "sshd runs, pid 200"},
		{"process fallback not", `service: {name: auditd, active: false}`, RuleHolds, "no auditd process"},
	})
}

func TestModuleRule(t *testing.T) {
	runRuleCases(t, fixtureRoot, nil, []ruleCase{
		{"blocked install", `module: {name: cramfs, loaded: false, loadable: false}`, RuleHolds, "cis.conf:1: install cramfs /bin/false"},
		{"blacklist and dash", `module: {name: usb-storage, loadable: false}`, RuleHolds, "blacklist usb-storage"},
		{"loaded", `module: {name: usb-storage, loaded: false}`, RuleFails, "loaded"},
		{"loadable from tree", `module: {name: squashfs, loadable: false}`, RuleFails, "squashfs.ko.xz"},
		{"not in tree", `module: {name: freevxfs, loadable: false}`, RuleHolds, "not in the module tree"},
		{"builtin", `module: {name: ext4, loadable: true}`, RuleHolds, "built into kernel"},
	})
}

// TestModuleRuleWithoutTree: a kernel without module support has no
// module tree; what it has built in is still available.
func TestModuleRuleWithoutTree(t *testing.T) {
	root := t.TempDir()
	for p, data := range map[string]string{
		"proc/sys/kernel/osrelease":                   "6.18.0-mono\n",
		"proc/filesystems":                            "nodev\tsysfs\n\text4\n\tsquashfs\nnodev\toverlay\n\tvxfs\n",
		"sys/module/usb_storage/parameters/delay_use": "1\n",
		"sys/module/sctp/initstate":                   "live\n",
	} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runRuleCases(t, root, nil, []ruleCase{
		{"built-in filesystem", `module: {name: squashfs, loadable: false}`, RuleFails, "built into kernel 6.18.0-mono (/proc/filesystems)"},
		{"filesystem under another name", `module: {name: freevxfs, loadable: false}`, RuleFails, "(/proc/filesystems)"},
		{"built-in with parameters", `module: {name: usb-storage, loadable: false}`, RuleFails, "(/sys/module/usb_storage)"},
		{"a loadable module's folder is not built in", `module: {name: sctp, loadable: false}`, RuleHolds, "no module tree"},
		{"absent", `module: {name: cramfs, loadable: false}`, RuleHolds, "no module tree for kernel 6.18.0-mono"},
	})
}

func TestMountRule(t *testing.T) {
	runRuleCases(t, fixtureRoot, nil, []ruleCase{
		{"options missing", `mount: {path: /tmp, options: [nodev, nosuid, noexec]}`, RuleFails, "missing noexec"},
		{"options", `mount: {path: /var/log, mounted: true, options: [nodev, nosuid, noexec], fstab: true}`, RuleHolds, "/etc/fstab:4"},
		{"not mounted", `mount: {path: /home, mounted: true}`, RuleFails, "not mounted"},
		{"escaped point", `mount: {path: /mnt/my disk, mounted: true}`, RuleHolds, ""},
		{"fstab missing", `mount: {path: /mnt/my disk, fstab: true}`, RuleFails, "not in /etc/fstab"},
	})
}

func TestAccountRules(t *testing.T) {
	runRuleCases(t, fixtureRoot, nil, []ruleCase{
		{"uid 0", `account: {select: {uid: 0}, expect: {names: [root]}}`, RuleFails, "selected: root, toor"},
		{"empty password", `account: {select: {login: true}, field: password, op: ne, value: empty}`, RuleFails, "bob: password empty"},
		{"locked", `account: {select: {name: [sshd, toor]}, field: password, op: eq, value: locked}`, RuleHolds, ""},
		{"scheme", `account: {select: {name: [root, alice]}, field: scheme, op: in, value: [yescrypt, sha512crypt]}`, RuleHolds, ""},
		{"max days", `account: {select: {uid_min: 1000, login: true}, field: pass_max_days, op: le, value: 365}`, RuleFails, "bob: pass_max_days 99999"},
		{"select by password state", `account: {select: {password: hash}, field: pass_max_days, op: le, value: 365}`, RuleFails, "root: pass_max_days 99999"},
		{"a locked or empty password is not a hash", `account: {select: {password: hash, uid_min: 1000}, field: pass_max_days, op: le, value: 365}`, RuleHolds, "1 accounts hold: alice"},
		{"inactive unset fails", `account: {select: {name: [root]}, field: inactive_days, op: le, value: 30}`, RuleFails, "not set"},
		{"last change in the past", `account: {select: {name: [alice]}, field: last_change_days, op: ge, value: 0}`, RuleHolds, ""},
		{"system accounts no login", `account: {select: {system: true, login: true}, expect: {names: [root, toor]}}`, RuleHolds, ""},
		{"count", `account: {select: {uid_min: 5000}, expect: {count: 0}}`, RuleHolds, "0 accounts"},
		{"unique uid", `account: {unique: uid}`, RuleFails, "uid 0 shared by root, toor"},
		{"unique gid", `account: {unique: gid}`, RuleHolds, ""},
		{"home owner", `account: {select: {name: [alice]}, field: home, op: eq, value: /home/alice}`, RuleHolds, ""},
		{"nothing selected", `account: {select: {name: [nobody2]}, field: shell, op: eq, value: /bin/false}`, RuleHolds, "no account selected"},
		{"group empty", `group: {name: shadow, members: []}`, RuleFails, "members: [bob]"},
		{"group exists", `group: {name: wheel, exists: true}`, RuleHolds, ""},
		{"group absent", `group: {name: sudo2, exists: false}`, RuleHolds, ""},
		{"group primary members", `group: {name: alice, members: [alice]}`, RuleHolds, ""},
	})
}

func TestPortRule(t *testing.T) {
	runRuleCases(t, fixtureRoot, nil, []ruleCase{
		{"ssh listens", `port: {port: 22, listening: true}`, RuleHolds, "tcp 0.0.0.0:22 (sshd)"},
		{"telnet does not", `port: {port: 23, protocol: tcp, listening: false}`, RuleHolds, "nothing listens"},
		{"v6 loopback", `port: {port: 25, listening: true, address: loopback}`, RuleHolds, "[::1]:25"},
		{"udp", `port: {port: [111, 2049], protocol: any, listening: false}`, RuleFails, "udp 0.0.0.0:111"},
		{"established is not listening", `port: {port: 54321, listening: false}`, RuleHolds, ""},
		{"allowed", `port: {listening: true, address: not_loopback, allowed: [22, 443]}`, RuleFails, "tcp6 [::]:8080"},
		{"allowed ok", `port: {listening: true, protocol: tcp, address: not_loopback, allowed: [22, 8080]}`, RuleHolds, ""},
	})
}

func TestOSAndProcessRules(t *testing.T) {
	runRuleCases(t, fixtureRoot, nil, []ruleCase{
		{"os", `os: {id: debian, version: "12"}`, RuleHolds, "VERSION_ID=12"},
		{"os version prefix is per part", `os: {id: debian, version: "1"}`, RuleFails, ""},
		{"os other", `os: {id: ubuntu}`, RuleFails, ""},
		{"process", `process: {name: sshd, running: true}`, RuleHolds, "pid 200"},
		{"process not", `process: {name: telnetd, running: false}`, RuleHolds, ""},
	})
	runRuleCases(t, t.TempDir(), nil, []ruleCase{
		{"no os-release is an error", `os: {id: debian}`, RuleError, "os-release"},
	})
}

func TestFileRule(t *testing.T) {
	root := t.TempDir()
	uid, gid := os.Getuid(), os.Getgid()
	write := func(p, data string, mode os.FileMode) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/passwd", fmt.Sprintf("me:x:%d:%d::/home/me:/bin/sh\n", uid, gid), 0o644)
	write("etc/group", fmt.Sprintf("mine:x:%d:\n", gid), 0o644)
	write("etc/shadow", "me:!:19000::::::\n", 0o640)
	write("etc/sudoers.d/a", "x\n", 0o440)
	write("etc/sudoers.d/b", "x\n", 0o644)
	write("etc/setuid", "x\n", 0o755|os.ModeSetuid)
	if err := os.Symlink("/etc/shadow", filepath.Join(root, "etc/shadow.link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/missing", filepath.Join(root, "etc/dangling")); err != nil {
		t.Fatal(err)
	}
	runRuleCases(t, root, nil, []ruleCase{
		{"mode max", `file: {path: /etc/shadow, type: file, owner: me, group: [root, mine], mode_max: "0640"}`, RuleHolds, "/etc/shadow: file me:mine 0640"},
		{"mode too open", `file: {path: /etc/passwd, mode_max: "0600"}`, RuleFails, "want mode 0600 or less"},
		{"numeric owner", fmt.Sprintf(`file: {path: /etc/passwd, owner: "%d"}`, uid), RuleHolds, ""},
		{"wrong owner", `file: {path: /etc/passwd, owner: nobody}`, RuleFails, "want owner nobody"},
		{"mode exact", `file: {path: /etc/sudoers.d/a, mode_exact: "0440"}`, RuleHolds, ""},
		{"glob every path", `file: {path: /etc/sudoers.d/*, mode_max: "0440"}`, RuleFails, "/etc/sudoers.d/b"},
		{"setuid beyond", `file: {path: /etc/setuid, mode_max: "0755"}`, RuleFails, "4755"},
		{"absent", `file: {path: /etc/hosts.equiv, exists: false}`, RuleHolds, "does not exist"},
		{"present but should not be", `file: {path: /etc/shadow, exists: false}`, RuleFails, "exists"},
		{"glob matches nothing", `file: {path: /etc/cron.d/*, exists: false}`, RuleHolds, ""},
		{"missing", `file: {path: /etc/nope}`, RuleFails, "does not exist"},
		{"link followed to root", `file: {path: /etc/shadow.link, type: file, mode_max: "0640"}`, RuleHolds, ""},
		{"link itself", `file: {path: /etc/shadow.link, type: link}`, RuleHolds, "link"},
		{"dangling", `file: {path: /etc/dangling}`, RuleFails, "dangling"},
		{"dir", `file: {path: /etc/sudoers.d, type: dir}`, RuleHolds, ""},
	})
}

// TestErrorIsNeverPass makes checks whose rules error and others
// decide or not.
func TestErrorIsNeverPass(t *testing.T) {
	errRule := `command: {run: "sshd -T", regex: x}` // no runner: an error
	okRule := `file: {path: /etc/passwd}`
	badRule := `file: {path: /etc/nope}`
	cases := []struct {
		cond  string
		rules []string
		want  Status
	}{
		{"all", []string{okRule, errRule}, Error},
		{"all", []string{errRule, okRule}, Error},
		{"all", []string{errRule, badRule}, Fail},
		{"any", []string{errRule, badRule}, Error},
		{"any", []string{errRule, okRule}, Pass},
		{"none", []string{errRule, badRule}, Error},
		{"none", []string{errRule, okRule}, Fail},
		{"all", []string{`{command: {run: "sshd -T", regex: x}, not: true}`}, Error},
	}
	for _, c := range cases {
		rep := Run(context.Background(), onePolicy(t, c.cond, c.rules...), Env{Root: fixtureRoot})
		if got := rep.Results[0].Status; got != c.want {
			t.Errorf("%s %v: got %s, want %s", c.cond, c.rules, got, c.want)
		}
		if rep.Results[0].Status == Error && rep.Score != nil {
			t.Errorf("an error is counted in the score: %v", *rep.Score)
		}
	}
}

func TestAppliesIfAndRequirements(t *testing.T) {
	p := onePolicy(t, "", `file: {path: /etc/passwd}`)
	p.Checks[0].AppliesIf = &policy.Condition{Condition: policy.All, Rules: []policy.Rule{{Package: &policy.PackageRule{Name: policy.Names{"nginx"}}}}}
	rep := Run(context.Background(), p, Env{Root: fixtureRoot})
	if r := rep.Results[0]; r.Status != NotApplicable || len(r.AppliesIf) != 1 {
		t.Errorf("applies_if false: %+v", r)
	}
	p.Checks[0].AppliesIf.Rules[0] = policy.Rule{Command: &policy.CommandRule{Run: "sshd -T", Regex: policy.Patterns{"x"}}}
	if r := Run(context.Background(), p, Env{Root: fixtureRoot}).Results[0]; r.Status != Error {
		t.Errorf("applies_if error: %+v", r)
	}
	p.Checks[0].AppliesIf = nil
	p.Requirements = &policy.Condition{Condition: policy.Any, Rules: []policy.Rule{{OS: &policy.OSRule{ID: "rhel"}}}}
	rep = Run(context.Background(), p, Env{Root: fixtureRoot})
	if rep.Applicable || rep.Results[0].Status != NotApplicable || rep.Score != nil {
		t.Errorf("requirements false: %+v", rep)
	}
	p.Requirements.Rules[0] = policy.Rule{OS: &policy.OSRule{ID: "debian"}}
	if rep = Run(context.Background(), p, Env{Root: fixtureRoot}); !rep.Applicable || rep.Results[0].Status != Pass {
		t.Errorf("requirements true: %+v", rep)
	}
}

func TestScoreAndExceptions(t *testing.T) {
	rep := Report{Results: []CheckResult{{ID: "a", Status: Pass}, {ID: "b", Status: Fail}, {ID: "c", Status: Fail},
		{ID: "d", Status: Error}, {ID: "e", Status: NotApplicable}}}
	rep.recount()
	if rep.Score == nil || *rep.Score < 33.33 || *rep.Score > 33.34 {
		t.Fatalf("score: %v", rep.Score)
	}
	now := fixedNow()
	rep.ApplyExceptions([]Exception{{CheckID: "b", Reason: "accepted"}, {CheckID: "c", Expires: now.Add(-time.Hour)}, {CheckID: "d"}}, now)
	if rep.Result("b").Status != Excepted || rep.Result("c").Status != Fail || rep.Result("d").Status != Error {
		t.Errorf("exceptions: %+v", rep.Results)
	}
	if rep.Counts.Excepted != 1 || *rep.Score != 50 {
		t.Errorf("recount: %+v score %v", rep.Counts, *rep.Score)
	}
}

func TestEvidenceBounded(t *testing.T) {
	var many []string
	for i := 0; i < 50; i++ {
		many = append(many, strings.Repeat("x", 1000))
	}
	ev := boundEvidence(many)
	if len(ev) != maxEvidenceItems+1 || len(ev[0]) > maxEvidenceLine+3 || !strings.Contains(ev[len(ev)-1], "40 more") {
		t.Errorf("evidence not bounded: %d items, first %d bytes, last %q", len(ev), len(ev[0]), ev[len(ev)-1])
	}
	if got := boundEvidence([]string{"x:$6$salt$abcdef:1"}); strings.Contains(got[0], "abcdef") {
		t.Errorf("a hash leaked: %q", got[0])
	}
}

// goldenReport runs the example policy on the fixture root.
func TestGoldenExample(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the fixture's files belong to root only when the tests run as root")
	}
	p, err := policy.ParseFile("testdata/example.yml")
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(context.Background(), p, Env{Root: fixtureRoot, Runner: recorded(t), Now: fixedNow})
	rep.Duration, rep.Started = 0, time.Time{}
	got, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", "example.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("the report differs from %s (run with -update to accept):\n%s", path, got)
	}
	if strings.Contains(string(got), "$6$") || strings.Contains(string(got), "$y$") {
		t.Error("a password hash is in the report")
	}
}

// TestThisHost evaluates the example policy on this machine with the
// real runner.
func TestThisHost(t *testing.T) {
	p, err := policy.ParseFile("testdata/example.yml")
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(context.Background(), p, Env{Root: "/", Runner: ExecRunner{}})
	if rep.Counts.Total != len(p.Checks) || rep.Counts.Pass+rep.Counts.Fail+rep.Counts.Error+rep.Counts.NotApplicable != rep.Counts.Total {
		t.Fatalf("counts: %+v", rep.Counts)
	}
	sshd := rep.Result("example_linux.4.1")
	if _, err := lookCommand("sshd"); err != nil {
		// sshd is not installed: never a pass.
		if sshd.Status != Error && sshd.Status != NotApplicable {
			t.Errorf("sshd -T without sshd: %s", sshd.Status)
		}
	} else if sshd.Status == Pass {
		out, err := ExecRunner{}.Run(context.Background(), []string{"sshd", "-T"})
		if err != nil || !strings.Contains(string(out.Stdout), "\npermitrootlogin no\n") {
			t.Errorf("sshd -T passed but sshd -T says otherwise: %v", err)
		}
	}
	for _, r := range rep.Results {
		t.Logf("%-20s %-14s %s", r.ID, r.Status, r.Reason)
	}
}

func TestRunnerBounds(t *testing.T) {
	r := ExecRunner{Timeout: 200 * time.Millisecond, MaxOutput: 10}
	out, err := r.Run(context.Background(), []string{"getent", "passwd"})
	if err != nil {
		t.Fatalf("getent: %v", err)
	}
	if len(out.Stdout) != 10 || !out.Truncated {
		t.Errorf("output not bounded: %d bytes, truncated %v", len(out.Stdout), out.Truncated)
	}
	if _, err := r.Run(context.Background(), []string{"no-such-command-here"}); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("missing command: %v", err)
	}
	if _, err := r.Run(context.Background(), []string{"/bin/sh"}); err == nil {
		t.Error("a command with a folder must be refused")
	}
	// env prints the environment it got: the clean one.
	out, err = ExecRunner{}.Run(context.Background(), []string{"env"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out.Stdout)); got != "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\nLANG=C" {
		t.Errorf("environment: %q", got)
	}
	start := time.Now()
	if _, err := r.Run(context.Background(), []string{"sleep", "5"}); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("timeout: %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("the timeout did not stop the command")
	}
}

// TestLongProcessNames: the kernel cuts command names at 15 bytes, so a
// longer name is told apart by the program's own name in its command
// line (journald and journal-remote share "systemd-journal").
func TestLongProcessNames(t *testing.T) {
	root := t.TempDir()
	for path, data := range map[string]string{
		"etc/os-release":   "ID=debian\nVERSION_ID=\"12\"\n",
		"proc/231/comm":    "systemd-journal\n",
		"proc/231/cmdline": "/lib/systemd/systemd-journald\x00",
		"proc/400/comm":    "systemd-logind\n",
		"proc/400/cmdline": "",
		"proc/512/comm":    "unattended-upgr\n",
		"proc/512/cmdline": "/usr/bin/python3\x00/usr/share/unattended-upgrades/unattended-upgrade-shutdown\x00",
	} {
		p := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runRuleCases(t, root, nil, []ruleCase{
		{"journald runs", `process: {name: systemd-journald, running: true}`, RuleHolds, "pid 231"},
		{"journal-remote does not", `process: {name: systemd-journal-remote, running: false}`, RuleHolds, ""},
		{"a short name needs no command line", `process: {name: systemd-logind, running: true}`, RuleHolds, "pid 400"},
		{"an interpreter's script is not its name", `process: {name: unattended-upgrade-shutdown, running: true}`, RuleFails, ""},
	})
}
