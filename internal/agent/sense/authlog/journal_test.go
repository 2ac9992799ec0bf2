package authlog_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/sense/authlog"
)

// TestJournal runs a journald of its own in the sandbox, has sshd log to
// it, and reads the logins from the journal through journalctl; a second
// sensor continues from the saved cursor without reading anything twice.
func TestJournal(t *testing.T) {
	requireHost(t, journald, "journalctl", "/usr/sbin/sshd", "sshpass", "ssh", "ssh-keygen", "unshare", "nsenter", "useradd", "openssl")
	sb := newSandbox(t, journalDevLog)
	sb.journald(t)
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

	// A saved cursor that journalctl refuses (damaged, or of another
	// journal): reading resumes from the time of the last entry read,
	// and the reset is counted.
	setJournalCursor(t, filepath.Join(f.data, "state/authlog.json"), "not-a-cursor")
	c := f.start(t, authlog.New(), settings)
	_, p4 := relay.ssh(t, user, "wrong for the last time", false)
	c.out.waitFor(t, "the failure after the refused cursor", 1, all(action("login-failed"), field("source.port", p4)))
	c.stop()
	if n := c.s.Counters()["journal_cursor_resets"]; n != 1 {
		t.Errorf("journal_cursor_resets %d, want 1", n)
	}
	if got := ports(c.out.matching(action("login-failed"))); slices.Contains(got, p1) || slices.Contains(got, p2) {
		t.Errorf("after the refused cursor, failed logins from ports %v: read from before the last entry (%d, %d)", got, p1, p2)
	}
}

// setJournalCursor replaces the journal cursor in a saved state file.
func setJournalCursor(t *testing.T, path, cursor string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("state %s: %v", path, err)
	}
	j, ok := st["journal"].(map[string]any)
	if !ok || j["cursor"] == nil || j["realtime"] == nil {
		t.Fatalf("state %s has no journal position: %s", path, data)
	}
	j["cursor"] = cursor
	if data, err = json.Marshal(st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
