package authlog_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/sense/authlog"
	"github.com/vigilsec/vigil/internal/event"
)

// field matches events whose field has the value (compared as text).
func field(name string, value any) func(event.Event) bool {
	return func(e event.Event) bool {
		v, ok := e.Get(name)
		return ok && fmt.Sprint(v) == fmt.Sprint(value)
	}
}

func all(preds ...func(event.Event) bool) func(event.Event) bool {
	return func(e event.Event) bool {
		for _, p := range preds {
			if !p(e) {
				return false
			}
		}
		return true
	}
}

// TestRealSSHDAndSu logs in to a real sshd, with the right password,
// a wrong one and an unknown user, runs su as and to the test user, and
// checks the events the sensor makes of what sshd and su logged (through
// a syslog receiver writing rsyslog's file format) and of the wtmp and
// btmp records they wrote.
func TestRealSSHDAndSu(t *testing.T) {
	requireHost(t, "/usr/sbin/sshd", "sshpass", "ssh", "ssh-keygen", "unshare", "nsenter", "useradd", "openssl", "su")
	sb := newSandbox(t, "log.sock")
	rcv := startSyslog(t, filepath.Join(sb.dir, "log.sock"), filepath.Join(sb.root, "var/log/auth.log"))

	f := fixture{root: sb.root, data: t.TempDir()}
	r := f.start(t, authlog.New(), `{"poll_interval":"200ms"}`)
	if m := r.s.Mechanism(); m != authlog.MechanismFile {
		t.Fatalf("mechanism %q, want file", m)
	}
	r.waitStats("the first poll", func(s authlog.Stats) bool { return s.Polls >= 1 })

	port := sb.sshd(t)
	relay := startRelay(t, fmt.Sprintf("127.0.0.1:%d", port))
	user := sb.user

	// A successful login with a terminal (so that sshd writes wtmp).
	code, okPort := relay.ssh(t, user, sb.pass, true)
	if code != 0 {
		t.Fatalf("ssh with the right password: exit %d", code)
	}
	in := r.out.waitFor(t, "the login", 1, all(action("logged-in"), field("source.port", okPort)))[0]
	for name, want := range map[string]any{
		"user.name": user, "source.ip": "127.0.0.1", "source.port": okPort, "vigil.auth.method": "password",
		"vigil.auth.service": "sshd", "event.outcome": "success", "event.category": "authentication",
		"process.name": "sshd", "log.file.path": "/var/log/auth.log",
		"message": fmt.Sprintf("Accepted password for %s from 127.0.0.1 port %d ssh2", user, okPort),
	} {
		if got, _ := in.Get(name); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("logged-in: %s = %v, want %v", name, got, want)
		}
	}
	if pid, _ := in.Get("process.pid"); pid.(int) <= 0 {
		t.Errorf("logged-in: process.pid %v", pid)
	}
	r.out.waitFor(t, "the logout", 1, all(action("logged-out"), field("user.name", user), field("source.port", okPort)))
	r.out.waitFor(t, "the PAM session", 1, all(action("session-opened"), field("user.name", user), field("vigil.auth.service", "sshd")))
	rec := r.out.waitFor(t, "the wtmp login", 1, all(action(authlog.ActionLoginRecorded), field("user.name", user)))[0]
	if ip := rec.String("source.ip"); ip != "127.0.0.1" || !strings.HasPrefix(rec.String("process.tty.name"), "pts/") {
		t.Errorf("wtmp login: source.ip %q tty %q", ip, rec.String("process.tty.name"))
	}
	r.out.waitFor(t, "the wtmp logout", 1, all(action(authlog.ActionLogoutRecorded), field("user.name", user)))

	// A wrong password.
	code, badPort := relay.ssh(t, user, "wrong-"+sb.pass, false)
	if code == 0 {
		t.Fatal("ssh with a wrong password succeeded")
	}
	fail := r.out.waitFor(t, "the failed login", 1, all(action("login-failed"), field("source.port", badPort)))[0]
	for name, want := range map[string]any{
		"user.name": user, "source.ip": "127.0.0.1", "vigil.auth.method": "password", "event.outcome": "failure",
	} {
		if got, _ := fail.Get(name); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("login-failed: %s = %v, want %v", name, got, want)
		}
	}
	r.out.waitFor(t, "the PAM failure", 1, all(action("authentication-failed"), field("user.name", user), field("source.ip", "127.0.0.1")))
	r.out.waitFor(t, "the btmp record", 1, all(action(authlog.ActionFailedLoginRecorded), field("user.name", user)))

	// A user that does not exist.
	nobody := "nosuch" + randomHex(t, 3)
	if code, p := relay.ssh(t, nobody, "x", false); code == 0 {
		t.Fatal("ssh as an unknown user succeeded")
	} else {
		r.out.waitFor(t, "the invalid user", 1, all(action("invalid-user"), field("user.name", nobody), field("source.port", p)))
		r.out.waitFor(t, "the invalid user's failure", 1,
			all(action("login-failed"), field("user.name", nobody), field("vigil.auth.invalid_user", true), field("source.port", p)))
	}

	// su: root to the test user (no password), then the test user to
	// root with a wrong one.
	if out, err := combinedOutput(sb.command("su", "-s", "/bin/sh", "-c", "true", user)); err != nil {
		t.Fatalf("su to %s: %v: %s", user, err, out)
	}
	r.out.waitFor(t, "su to the user", 1, all(action("su"), field("user.name", "root"), field("user.target.name", user),
		field("event.outcome", "success"), field("event.category", "session")))
	cmd := sb.command("su", "-s", "/bin/sh", user, "-c", "su root -c true")
	cmd.Stdin = strings.NewReader("wrong password\n")
	if out, err := combinedOutput(cmd); err == nil {
		t.Fatalf("su to root with a wrong password succeeded: %s", out)
	}
	r.out.waitFor(t, "the failed su", 1, all(action("su"), field("user.name", user), field("user.target.name", "root"),
		field("event.outcome", "failure")))
	r.out.waitFor(t, "su's PAM failure", 1, all(action("authentication-failed"), field("vigil.auth.service", "su"),
		field("user.name", "root"), field("vigil.auth.pam.ruser", user)))

	// Every line the receiver wrote is read, and understood or skipped
	// as of no interest: none is malformed.
	r.waitStats("every line written", func(s authlog.Stats) bool { return s.Lines == uint64(len(rcv.received())) })
	r.stop()
	_, lost := r.out.snapshot()
	st := r.s.Stats()
	if lost != 0 || st.Malformed != 0 || st.CorruptRecords != 0 || st.NoHeader != 0 {
		t.Errorf("real lines and records not understood: lost %d, stats %+v\nlines:\n%s", lost, st, strings.Join(rcv.received(), "\n"))
	}
}
