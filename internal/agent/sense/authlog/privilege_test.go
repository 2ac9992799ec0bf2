package authlog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/sense/authlog"
	"github.com/vigilsec/vigil/internal/event"
)

// sudoersTemplate is the sudoers file of the sandbox, put over
// /etc/sudoers inside its mount namespace only: USER may run echo as
// anyone without a password, and printf as root with one; the other
// account is not in it. No name lookups, no lecture, no mail.
const sudoersTemplate = `Defaults !fqdn, !lecture, !mail_badpass
root ALL=(ALL:ALL) ALL
USER ALL=(ALL:ALL) NOPASSWD: /bin/echo
USER ALL=(root) /usr/bin/printf
`

// TestRealSudoAndPkexec runs the real sudo and pkexec as users of the
// sandbox, and checks the events the sensor makes of what they logged:
// read from a log file written by a syslog receiver, and from a journal.
//
// sudo: a command run as another user and group on a terminal, one run
// after the right password, a wrong password, a command the user may
// not run, and a user not in the sudoers file. pkexec: with no polkit
// authority to ask (the sandbox has no system bus), pkexec fails without
// logging anything; its environment checks, which CVE-2021-4034
// exploits trip (an invalid SHELL), and a suspicious TERM, are refused
// and logged before it asks, and reported as suspicious. So is the
// exploit's own call, an empty argv with an invalid SHELL, which is
// harmless here: Linux gives pkexec one empty argument instead, and
// pkexec is a fixed version; no payload is involved.
func TestRealSudoAndPkexec(t *testing.T) {
	for _, source := range []string{authlog.MechanismFile, authlog.MechanismJournal} {
		t.Run(source, func(t *testing.T) { testSudoAndPkexec(t, source) })
	}
}

func testSudoAndPkexec(t *testing.T, source string) {
	tools := []string{"sudo", "pkexec", "script", "setpriv", "perl", "unshare", "nsenter", "useradd", "openssl"}
	devLog := "log.sock"
	if source == authlog.MechanismJournal {
		tools = append(tools, journald, "journalctl")
		devLog = journalDevLog
	}
	requireHost(t, tools...)
	requireFile(t, "/etc/sudoers") // the sandbox's is mounted over it
	sb := newSandboxWith(t, devLog, sandboxConfig{accounts: 1, etc: func(sb *sandbox) map[string]string {
		return map[string]string{"sudoers": strings.ReplaceAll(sudoersTemplate, "USER", sb.user)}
	}})
	me, other := account{sb.user, sb.pass, sb.uid}, sb.others[0]
	home := filepath.Join(sb.dir, "home", me.name)
	spaced := filepath.Join(home, "work dir")
	if err := os.Mkdir(spaced, 0o755); err != nil {
		t.Fatal(err)
	}

	var rcv *syslogReceiver
	f := fixture{root: sb.root, data: t.TempDir()}
	settings := `{"poll_interval":"200ms","accounting":false}`
	if source == authlog.MechanismJournal {
		sb.journald(t)
		// The journal is the sandbox's own: from its beginning, it holds
		// this test's entries only.
		settings = `{"start_at":"beginning","poll_interval":"200ms","accounting":false}`
	} else {
		rcv = startSyslog(t, filepath.Join(sb.dir, "log.sock"), filepath.Join(sb.root, "var/log/auth.log"))
	}
	r := f.start(t, authlog.New(), settings)
	if m := r.s.Mechanism(); m != source {
		t.Fatalf("mechanism %q, want %s", m, source)
	}
	r.waitStats("the first poll", func(s authlog.Stats) bool { return s.Polls >= 1 })
	provider := "syslog"
	if source == authlog.MechanismJournal {
		provider = "journal"
	}
	tok := randomHex(t, 4)
	must := func(what string, a account, dir, stdin, script string, wantCode int, wantOut string) {
		t.Helper()
		out, code := sb.asUser(t, a, dir, stdin, script)
		if code != wantCode || !strings.Contains(out, wantOut) {
			t.Fatalf("%s: exit %d, want %d with %q in the output:\n%s", what, code, wantCode, wantOut, out)
		}
	}
	check := func(what string, e event.Event, want map[string]any) {
		t.Helper()
		want["event.provider"] = provider
		for name, v := range want {
			if got, _ := e.Get(name); fmt.Sprint(got) != fmt.Sprint(v) {
				t.Errorf("%s: %s = %v, want %v", what, name, got, v)
			}
		}
	}
	pts := regexp.MustCompile(`^pts/[0-9]+$`)

	// sudo on a terminal, as another user and group, without a password.
	must("sudo as nobody", me, home, "", `script -qec "sudo -u nobody -g nogroup /bin/echo `+tok+` one" /dev/null`, 0, tok+" one")
	e := r.out.waitFor(t, "sudo as nobody", 1, field("process.command_line", "/bin/echo "+tok+" one"))[0]
	check("sudo as nobody", e, map[string]any{
		"event.action": "sudo", "event.category": "iam", "event.type": []string{"admin"}, "event.outcome": "success",
		"user.name": me.name, "user.target.name": "nobody", "user.target.group.name": "nogroup",
		"process.working_directory": home, "process.name": "sudo", "vigil.auth.service": "sudo",
		"related.user": []string{me.name, "nobody"},
	})
	if tty := e.String("process.tty.name"); !pts.MatchString(tty) {
		t.Errorf("sudo as nobody: process.tty.name %q, want pts/N", tty)
	}
	r.out.waitFor(t, "sudo's PAM session", 1, all(action("session-opened"), field("vigil.auth.service", "sudo"),
		field("user.name", "nobody")))

	// sudo with the right password, no terminal, in a directory whose
	// name holds a space.
	must("sudo with the password", me, spaced, me.pass+"\n", `sudo -S -p "" /usr/bin/printf `+tok+`two`, 0, tok+"two")
	e = r.out.waitFor(t, "sudo with the password", 1, field("process.command_line", "/usr/bin/printf "+tok+"two"))[0]
	check("sudo with the password", e, map[string]any{
		"event.action": "sudo", "event.outcome": "success", "user.name": me.name, "user.target.name": "root",
		"process.working_directory": spaced,
	})
	if tty, ok := e.Get("process.tty.name"); ok {
		t.Errorf("sudo without a terminal: process.tty.name %v", tty)
	}

	// A wrong password: sudo asks again, reads the end of its input and
	// gives up after one attempt.
	must("sudo with a wrong password", me, home, "wrong\n", `sudo -S -p "" /usr/bin/printf `+tok+`three`, 1, "1 incorrect password attempt")
	e = r.out.waitFor(t, "the failed sudo", 1, field("process.command_line", "/usr/bin/printf "+tok+"three"))[0]
	check("sudo with a wrong password", e, map[string]any{
		"event.action": "sudo", "event.outcome": "failure", "event.reason": "1 incorrect password attempt",
		"vigil.auth.failures": 1, "user.name": me.name, "user.target.name": "root", "process.working_directory": home,
	})
	r.out.waitFor(t, "sudo's PAM failure", 1, all(action("authentication-failed"), field("vigil.auth.service", "sudo"),
		field("user.name", me.name), field("vigil.auth.pam.ruser", me.name), field("event.outcome", "failure")))

	// A command the sudoers file does not give the user.
	must("sudo of a command not allowed", me, home, me.pass+"\n", `sudo -S -p "" /usr/bin/id -u`, 1, "is not allowed to execute")
	e = r.out.waitFor(t, "the refused command", 1, all(action("sudo"), field("process.command_line", "/usr/bin/id -u")))[0]
	check("sudo of a command not allowed", e, map[string]any{
		"event.outcome": "failure", "event.reason": "command not allowed", "user.name": me.name, "user.target.name": "root",
	})

	// A user not in the sudoers file, with its right password.
	must("sudo by a user not in sudoers", other, "/", other.pass+"\n", `sudo -S -p "" /usr/bin/printf `+tok+`five`, 1, "is not in the sudoers file")
	e = r.out.waitFor(t, "the user not in sudoers", 1, field("process.command_line", "/usr/bin/printf "+tok+"five"))[0]
	check("sudo by a user not in sudoers", e, map[string]any{
		"event.action": "sudo", "event.outcome": "failure", "event.reason": "user NOT in sudoers",
		"user.name": other.name, "user.target.name": "root", "process.working_directory": "/",
	})

	// pkexec with no polkit authority to ask: it fails, and logs nothing.
	must("pkexec without polkit", me, home, "", `pkexec /bin/echo `+tok+`six`, 127, "Error getting authority")

	// The trace of CVE-2021-4034 exploits: an invalid SHELL, refused and
	// logged (on a terminal); then a suspicious TERM.
	must("pkexec with an invalid SHELL", me, home, "",
		`script -qec "env SHELL=/nonexistent/shell pkexec /bin/echo `+tok+`seven" /dev/null`, 127, "This incident has been reported")
	e = r.out.waitFor(t, "the invalid SHELL", 1, all(action("pkexec"), field("process.command_line", "/bin/echo "+tok+"seven")))[0]
	check("pkexec with an invalid SHELL", e, map[string]any{
		"event.reason":   "The value for the SHELL variable was not found in the /etc/shells file",
		"event.category": "iam", "event.outcome": "failure", "vigil.auth.suspicious": true,
		"user.name": me.name, "user.target.name": "root", "process.working_directory": home,
		"process.name": "pkexec", "vigil.auth.service": "pkexec",
	})
	if tty := e.String("process.tty.name"); !pts.MatchString(tty) {
		t.Errorf("pkexec: process.tty.name %q, want pts/N", tty)
	}
	if pid, _ := e.Get("process.pid"); pid == nil || pid.(int) <= 0 {
		t.Errorf("pkexec: process.pid %v", pid)
	}
	// The exploit's own call: an empty argv and an environment made to be
	// read as arguments past it. Linux gives pkexec one empty argument
	// instead; pkexec refuses the SHELL and logs it.
	must("pkexec with an empty argv", me, spaced, "",
		`env -i SHELL=pwnkit "PATH=GCONV_PATH=." CHARSET=PWNKIT /usr/bin/perl -e 'exec { "/usr/bin/pkexec" } () or die "exec: $!"'`,
		127, "This incident has been reported")
	e = r.out.waitFor(t, "the empty argv", 1, all(action("pkexec"), field("process.working_directory", spaced)))[0]
	// With no program named, pkexec would run the target user's shell.
	check("pkexec with an empty argv", e, map[string]any{
		"event.outcome": "failure", "vigil.auth.suspicious": true, "user.name": me.name, "user.target.name": "root",
		"event.reason": "The value for the SHELL variable was not found in the /etc/shells file",
	})
	if cmd := e.String("process.command_line"); !strings.HasPrefix(cmd, "/") || strings.Contains(cmd, "GCONV_PATH") {
		t.Errorf("pkexec with an empty argv: process.command_line %q, want root's shell", cmd)
	}
	must("pkexec with a suspicious TERM", me, home, "", `TERM=../../x pkexec /bin/echo `+tok+`eight`, 127, "suspicious content")
	e = r.out.waitFor(t, "the suspicious TERM", 1, all(action("pkexec"), field("process.command_line", "/bin/echo "+tok+"eight")))[0]
	check("pkexec with a suspicious TERM", e, map[string]any{
		"event.outcome": "failure", "vigil.auth.suspicious": true, "user.name": me.name,
		"event.reason": "The value for environment variable TERM contains suspicious content",
	})

	if rcv != nil {
		// Every line the receiver wrote is read: the entries above came
		// after pkexec's failure without polkit, which wrote none.
		r.waitStats("every line written", func(s authlog.Stats) bool { return s.Lines == uint64(len(rcv.received())) })
	}
	r.stop()
	evs, lost := r.out.snapshot()
	for _, e := range evs {
		if strings.Contains(e.String("message"), tok+"six") {
			t.Errorf("an event of pkexec without polkit, which logs nothing: %s", dump([]event.Event{e}))
		}
	}
	st := r.s.Stats()
	if lost != 0 || st.Malformed != 0 || st.NoHeader != 0 || st.BadJournalEntries != 0 {
		t.Errorf("real lines not understood: lost %d, stats %+v", lost, st)
		if rcv != nil {
			t.Logf("lines:\n%s", strings.Join(rcv.received(), "\n"))
		}
	}
	if n := len(r.out.matching(action("sudo"))); n != 5 {
		t.Errorf("%d sudo events, want 5:\n%s", n, dump(r.out.matching(action("sudo"))))
	}
	if n := len(r.out.matching(action("pkexec"))); n != 3 {
		t.Errorf("%d pkexec events, want 3:\n%s", n, dump(r.out.matching(action("pkexec"))))
	}
}
