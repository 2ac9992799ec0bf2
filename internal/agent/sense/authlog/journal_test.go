package authlog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sense/authlog"
)

const journald = "/lib/systemd/systemd-journald"

// TestJournal runs a journald of its own in the sandbox, has sshd log to
// it, and reads the logins from the journal through journalctl; a second
// sensor continues from the saved cursor without reading anything twice.
func TestJournal(t *testing.T) {
	requireHost(t, journald, "journalctl", "/usr/sbin/sshd", "sshpass", "ssh", "ssh-keygen", "unshare", "nsenter", "useradd", "openssl")
	sb := newSandbox(t, "/run/systemd/journal/dev-log")
	if err := os.MkdirAll(filepath.Join(sb.root, "run/systemd/journal"), 0o755); err != nil {
		t.Fatal(err)
	}
	// journald stamps entries with the machine id; the sensor matches it.
	if id, err := os.ReadFile("/etc/machine-id"); err == nil {
		if err := os.MkdirAll(filepath.Join(sb.root, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sb.root, "etc/machine-id"), id, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	sb.daemon(t, journald)
	deadline := time.Now().Add(waitLimit)
	for {
		files, _ := filepath.Glob(filepath.Join(sb.root, "run/log/journal/*/system.journal"))
		_, err := os.Stat(filepath.Join(sb.root, "run/systemd/journal/dev-log"))
		if len(files) > 0 && err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("journald did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	port := sb.sshd(t)
	relay := startRelay(t, fmt.Sprintf("127.0.0.1:%d", port))
	user := sb.user

	f := fixture{root: sb.root, data: t.TempDir()}
	// The journal is the sandbox's own: reading it from its beginning
	// reads this test's entries only.
	const settings = `{"start_at":"beginning","poll_interval":"200ms"}`
	a := f.start(t, authlog.New(), settings)
	if m := a.s.Mechanism(); m != authlog.MechanismJournal {
		t.Fatalf("mechanism %q, want journal (no log file under the root)", m)
	}
	if code, _ := relay.ssh(t, user, sb.pass, false); code != 0 {
		t.Fatalf("ssh with the right password: exit %d", code)
	}
	code, p1 := relay.ssh(t, user, "wrong", false)
	if code == 0 {
		t.Fatal("ssh with a wrong password succeeded")
	}
	in := a.out.waitFor(t, "the login", 1, all(action("logged-in"), field("user.name", user)))[0]
	for name, want := range map[string]any{
		"source.ip": "127.0.0.1", "vigil.auth.method": "password", "event.provider": "journal",
		"process.name": "sshd", "event.outcome": "success",
	} {
		if got, _ := in.Get(name); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("logged-in: %s = %v, want %v", name, got, want)
		}
	}
	if pid, _ := in.Get("process.pid"); pid == nil || pid.(int) <= 0 {
		t.Errorf("logged-in: process.pid %v", pid)
	}
	a.out.waitFor(t, "the failed login", 1, all(action("login-failed"), field("user.name", user), field("source.port", p1)))
	a.stop()

	// While no sensor runs.
	_, p2 := relay.ssh(t, user, "wrong again", false)

	b := f.start(t, authlog.New(), settings)
	b.out.waitFor(t, "the failure while stopped", 1, all(action("login-failed"), field("source.port", p2)))
	_, p3 := relay.ssh(t, user, "and wrong again", false)
	b.out.waitFor(t, "the failure after the restart", 1, all(action("login-failed"), field("source.port", p3)))
	b.stop()

	got := ports(b.out.matching(action("login-failed")))
	if !slices.Equal(got, []int{p2, p3}) {
		t.Errorf("after the restart, failed logins from ports %v, want %v (and not %d again)", got, []int{p2, p3}, p1)
	}
	if n := len(b.out.matching(action("logged-in"))); n != 0 {
		t.Errorf("after the restart, the first login was read again (%d times)", n)
	}
	if _, lost := b.out.snapshot(); lost != 0 || b.s.Stats().Malformed != 0 {
		t.Errorf("lost %d, stats %+v", lost, b.s.Stats())
	}
}
