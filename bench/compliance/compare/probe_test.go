package compare

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/bench/compliance/lynis"
)

// audit builds an audit from report and log text.
func audit(t *testing.T, report, log string) *lynis.Audit {
	t.Helper()
	r, err := lynis.ParseReport(strings.NewReader(report))
	if err != nil {
		t.Fatal(err)
	}
	a := &lynis.Audit{Report: r}
	if log != "" {
		if a.Log, err = lynis.ParseLog(strings.NewReader(log)); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

const ts = "2026-11-29 21:55:00 "

func TestProbeRead(t *testing.T) {
	krnlLog := ts + "Performing test ID KRNL-6000 (Check sysctl key pairs in scan profile)\n" +
		ts + "Result: sysctl key kernel.randomize_va_space contains equal expected and current value (2)\n" +
		ts + "Result: key kernel.yama.ptrace_scope does not exist on this machine\n" +
		ts + "Result: sysctl key kernel.kptr_restrict has a different value than expected in scan profile. Expected=2, Real=0\n" + ts + "====\n"
	krnlReport := "tests_executed=KRNL-6000|\ndetails[]=KRNL-6000|sysctl|desc:x;field:kernel.kptr_restrict;prefval:2;value:0;|\n"
	permLog := ts + "Performing test ID FILE-7524 (Perform file permissions check)\n" +
		ts + "Test: checking file/directory /etc/group\n" + ts + "Outcome: correct permissions (644)\n" +
		ts + "Test: checking file/directory /etc/ssh/sshd_config\n" +
		ts + "Outcome: permissions of file /etc/ssh/sshd_config are not matching expected value (644 != 600)\n" +
		ts + "Test: checking file/directory /etc/crontab\n" + ts + "Skipping file/directory /etc/crontab as it does not exist on this system\n"
	tests := []struct {
		name         string
		probe        Probe
		report, log  string
		want         Verdict
		wantEvidence string
	}{
		{"test skipped", sshOption("MaxAuthTries"), "tests_skipped=SSH-7408|\n", "", NA, "SSH-7408 skipped"},
		{"test not in the audit", sshOption("MaxAuthTries"), "tests_executed=AUTH-9204|\n", "", Unknown, "not in the audit"},
		{"detail fails", sysctlKey("kernel.kptr_restrict"), krnlReport, krnlLog, Fail, "kernel.kptr_restrict is 0, Lynis prefers 2"},
		{"detail fails without the log", sysctlKey("kernel.kptr_restrict"), krnlReport, "", Fail, "kernel.kptr_restrict is 0"},
		{"pass line", sysctlKey("kernel.randomize_va_space"), krnlReport, krnlLog, Pass, "contains equal expected"},
		{"pass needs the log", sysctlKey("kernel.randomize_va_space"), krnlReport, "", Unknown, "needs the log"},
		{"not judged line", sysctlKey("kernel.yama.ptrace_scope"), krnlReport, krnlLog, NA, "does not exist on this machine"},
		{"key absent from the log", sysctlKey("net.ipv4.tcp_syncookies"), krnlReport, krnlLog, Unknown, "no line of the log decides"},
		{"finding fails", Probe{Test: "NETW-3200", Finding: text("protocol 'dccp'")},
			"tests_executed=NETW-3200|\nsuggestion[]=NETW-3200|Determine if protocol 'dccp' is really needed on this system|-|-|\n", "", Fail, "protocol 'dccp'"},
		{"another item's finding passes", Probe{Test: "NETW-3200", Finding: text("protocol 'rds'")},
			"tests_executed=NETW-3200|\nsuggestion[]=NETW-3200|Determine if protocol 'dccp' is really needed on this system|-|-|\n", "", Pass, "ran without this finding"},
		{"another test's finding is not read", Probe{Test: "NETW-3200", Finding: text("protocol 'dccp'")},
			"tests_executed=NETW-3200|\nsuggestion[]=CUST-0001|Determine if protocol 'dccp' is really needed on this system|-|-|\n", "", Pass, "ran without"},
		{"fail value", Probe{Test: "SHLL-6220", FailValue: "session_timeout_enabled=0", PassValue: "session_timeout_enabled=1"},
			"tests_executed=SHLL-6220|\nsession_timeout_enabled=0\n", "", Fail, "session_timeout_enabled=0"},
		{"pass value", Probe{Test: "SHLL-6220", FailValue: "session_timeout_enabled=0", PassValue: "session_timeout_enabled=1"},
			"tests_executed=SHLL-6220|\nsession_timeout_enabled=1\n", "", Pass, "session_timeout_enabled=1"},
		{"block passes", permission("/etc/group"), "tests_executed=FILE-7524|\n", permLog, Pass, "correct permissions"},
		{"block fails", permission("/etc/ssh/sshd_config"), "tests_executed=FILE-7524|\n", permLog, Fail, "not matching expected value"},
		{"block not judged", permission("/etc/crontab"), "tests_executed=FILE-7524|\n", permLog, NA, "does not exist"},
		{"block missing", permission("/etc/motd"), "tests_executed=FILE-7524|\n", permLog, Unknown, "no log line matches"},
		{"skipped in the log with its reason", Probe{Test: "BOOT-5122"}, "",
			ts + "Skipped test BOOT-5122 (Check for GRUB boot password)\n" + ts + "Reason to skip: Prerequisites not met\n", NA, "Prerequisites not met"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.probe.Read(audit(t, tt.report, tt.log))
			if got.Verdict != tt.want || !strings.Contains(got.Evidence, tt.wantEvidence) {
				t.Errorf("Read = %s %q, want %s with %q", got.Verdict, got.Evidence, tt.want, tt.wantEvidence)
			}
		})
	}
}

func TestBlockEndsAtTheNextBlock(t *testing.T) {
	// /etc/profile has no umask; /etc/bash.bashrc's weak umask must not
	// count for it.
	log := ts + "Performing test ID SHLL-6230 (Perform umask check for shell configurations)\n" +
		ts + "Result: file /etc/profile exists\n" + ts + "Result: did not find umask configured in /etc/profile\n" +
		ts + "Result: file /etc/bash.bashrc exists\n" + ts + "Result: found umask 022 in /etc/bash.bashrc\n" +
		ts + "Result: umask 022 can be hardened \n"
	a := audit(t, "tests_executed=SHLL-6230|\n", log)
	profile, bashrc := shellUmask("/etc/profile"), shellUmask("/etc/bash.bashrc")
	if got := profile.Read(a); got.Verdict != Pass {
		t.Errorf("/etc/profile: %+v, want pass", got)
	}
	if got := bashrc.Read(a); got.Verdict != Fail {
		t.Errorf("/etc/bash.bashrc: %+v, want fail", got)
	}
}

func TestExactLinesDoNotMatchLongerPaths(t *testing.T) {
	log := ts + "Performing test ID FILE-6374 (Linux mount options)\n" +
		ts + "Result: Could not find mount option noexec on file system /var/log/audit\n" +
		ts + "Result: GOOD, found mount option noexec on file system /var/log\n"
	a := audit(t, "tests_executed=FILE-6374|\n", log)
	for _, r := range mountRows() {
		switch r.Lynis {
		case "FILE-6374:/var/log:noexec":
			if got := r.Probes[0].Read(a); got.Verdict != Pass {
				t.Errorf("%s: %+v, want pass", r.Lynis, got)
			}
		case "FILE-6374:/var/log/audit:noexec":
			if got := r.Probes[0].Read(a); got.Verdict != Fail {
				t.Errorf("%s: %+v, want fail", r.Lynis, got)
			}
		}
	}
}

func TestCombine(t *testing.T) {
	p, f, na, u := Reading{Pass, "p"}, Reading{Fail, "f"}, Reading{NA, "n"}, Reading{Unknown, "u"}
	tests := []struct {
		name string
		in   []Reading
		want Reading
	}{
		{"one", []Reading{f}, f},
		{"a failure fails", []Reading{p, f, na, u}, Reading{Fail, "f"}},
		{"unknown before pass", []Reading{p, u}, Reading{Unknown, "u"}},
		{"all not judged", []Reading{na, na}, Reading{NA, "n"}},
		{"pass noting the rest", []Reading{p, na}, Reading{Pass, "p; not judged: n"}},
		{"all pass", []Reading{p, {Pass, "q"}}, Reading{Pass, "p; q"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := combine(tt.in); got != tt.want {
				t.Errorf("combine = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRegexHelpers(t *testing.T) {
	if !line("a.b (c)").MatchString("a.b (c)") || line("a.b (c)").MatchString("axb (c)") || line("x").MatchString("x y") {
		t.Error("line must match the whole line literally")
	}
	if !starts("Result: x").MatchString("Result: x y") || starts("x").MatchString("a x") {
		t.Error("starts must match a literal prefix")
	}
	if got := lines("a", "b"); len(got) != 2 || !got[1].MatchString("b") {
		t.Error("lines")
	}
}
