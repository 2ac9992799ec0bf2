package eval

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// benchRules are rule templates in the proportions of a CIS benchmark;
// %d makes each check's rule differ where the rule takes a number.
var benchRules = []string{
	`file: {path: /etc/shadow, owner: root, group: [root, shadow], mode_max: "0640"}`,
	`file: {path: /etc/cron.d, type: dir, mode_max: "0700"}`,
	`file: {path: /etc/sudoers.d/*, mode_max: "0440"}`,
	`content: {path: /etc/login.defs, regex: '^\s*PASS_MAX_DAYS\s+([0-9]+)', compare: {op: le, value: %d}}`,
	`content: {path: /etc/passwd, regex: '^\+:', expect: no_match}`,
	`config: {path: /etc/ssh/sshd_config, format: sshd, key: MaxAuthTries, op: le, value: %d}`,
	`config: {path: /etc/ssh/sshd_config, format: sshd, key: PermitRootLogin, op: eq, value: "no"}`,
	`config: {path: /etc/login.defs, format: keyvalue, key: UMASK, op: in, value: ["027", "077"]}`,
	`config: {path: /etc/sysctl.d/*.conf, format: sysctl, key: net.ipv4.ip_forward, op: eq, value: 0}`,
	`config: {path: /etc/pam.d/common-password, format: pam, type: password, module: pam_unix.so, arg: remember, op: ge, value: %d}`,
	`sysctl: {key: kernel.randomize_va_space, op: eq, value: 2, persistent: true}`,
	`sysctl: {key: net.ipv4.conf.all.accept_redirects, op: eq, value: 0}`,
	`package: {name: telnetd, installed: false}`,
	`package: {name: sudo, version: {op: ge, value: "1.9.%d"}}`,
	`service: {name: rsync, enabled: false}`,
	`service: {name: ssh, enabled: true, active: true}`,
	`module: {name: cramfs, loaded: false, loadable: false}`,
	`mount: {path: /tmp, options: [nodev, nosuid, noexec]}`,
	`account: {select: {uid: 0}, expect: {names: [root]}}`,
	`account: {select: {login: true}, field: password, op: ne, value: empty}`,
	`account: {unique: uid}`,
	`group: {name: shadow, members: []}`,
	`port: {port: %d, listening: false}`,
	`port: {listening: true, address: not_loopback, allowed: [22, 443]}`,
	`process: {name: auditd}`,
	`os: {id: debian, version: "12"}`,
	`command: {run: "sshd -T", regex: '^maxauthtries (\d+)$', compare: {op: le, value: %d}}`,
}

func benchPolicy(b *testing.B, n int) *policy.Policy {
	b.Helper()
	var sb strings.Builder
	sb.WriteString("format: 1\npolicy: {id: bench, version: '1', name: {en: B, zh: B}, description: {en: B, zh: B}}\nchecks:\n")
	for i := 0; i < n; i++ {
		rule := benchRules[i%len(benchRules)]
		if strings.Contains(rule, "%d") {
			rule = fmt.Sprintf(rule, i%7+1)
		}
		fmt.Fprintf(&sb, "  - id: bench.%d\n    title: {en: T, zh: T}\n    rationale: {en: R, zh: R}\n    remediation: {en: F, zh: F}\n    severity: low\n    rules:\n      - %s\n", i, rule)
	}
	p, err := policy.Parse("bench.yml", []byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRunThisHost evaluates 300 synthetic checks on this machine
// with the real runner; it reports wall time (ns/op), CPU time of this
// process and its commands (cpu-ms/op), the heap in use after a run
// (heap-MB) and allocations.
func BenchmarkRunThisHost(b *testing.B) {
	p := benchPolicy(b, 300)
	env := Env{Root: "/", Runner: ExecRunner{}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var children0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children0)
	var rep Report
	for i := 0; i < b.N; i++ {
		rep = Run(context.Background(), p, env)
	}
	b.StopTimer()
	var children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	childCPU := time.Duration(children.Utime.Nano() + children.Stime.Nano() - children0.Utime.Nano() - children0.Stime.Nano())
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(childCPU.Milliseconds())/float64(b.N), "cmd-cpu-ms/op")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(float64(rep.Counts.Total), "checks")
}
