package accounts_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
	"github.com/vigilsec/vigil/internal/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testHash is a yescrypt hash of a throw-away password.
const testHash = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$zwtVrjrUCmXcyLTs6oxLTQlzifSUkF8RHJ./tK5KU79"

// fixture copies the fixture root to a new directory and returns it.
func fixture(t *testing.T) string {
	return trackertest.Fixture(t, "testdata/root", "home", "var/www")
}

// newSensor returns a configured sensor.
func newSensor(t testing.TB, root, data, settings string) *accounts.Sensor {
	t.Helper()
	return trackertest.Configure(t, accounts.New(), root, data, settings)
}

func TestShadowToolsKeysAndSudoers(t *testing.T) {
	trackertest.RequireRoot(t)
	trackertest.NeedTools(t, "useradd", "usermod", "userdel", "ssh-keygen")
	root, data := fixture(t), t.TempDir()
	s := newSensor(t, root, data, "")
	r := trackertest.Start(t, s)
	if n := r.Emit.Len(); n != 0 {
		t.Fatalf("the baseline reported %d events:\n%s", n, trackertest.Summary(r.Emit.Events()))
	}
	emit := r.Emit

	// useradd replaces passwd, group, shadow and gshadow by renaming.
	mark := emit.Len()
	trackertest.Run(t, "useradd", "--prefix", root, "-m", "-k", filepath.Join(root, "etc/skel"), "-s", "/bin/bash", "-c", "Alice Example,,,", "alice")
	e := emit.WaitFor(t, mark, accounts.ActionUserAdded, trackertest.Is("user.target.name", "alice"))
	for field, want := range map[string]string{
		"user.target.id": "1000", "user.target.group.id": "1000", "user.target.group.name": "alice",
		"user.target.full_name": "Alice Example", "vigil.account.shell": "/bin/bash", "vigil.account.home": "/home/alice",
		"file.path": "/etc/passwd", "event.category": "iam", "vigil.account.password.state": "none",
		"vigil.account.password.locked": "true", "vigil.account.login_shell": "true",
	} {
		if got := e.String(field); got != want {
			t.Errorf("user-added %s = %q, want %q", field, got, want)
		}
	}
	if _, ok := e.Get("process.pid"); ok {
		t.Error("user-added names a process; inotify cannot know it")
	}
	emit.WaitFor(t, mark, accounts.ActionGroupAdded, trackertest.Is("group.name", "alice"))

	mark = emit.Len()
	trackertest.Run(t, "usermod", "--prefix", root, "-aG", "sudo", "alice")
	e = emit.WaitFor(t, mark, accounts.ActionGroupMemberAdded, trackertest.Is("group.name", "sudo"))
	if e.String("user.target.name") != "alice" || e.String("vigil.account.group.privileged") != "true" || e.String("group.id") != "27" {
		t.Errorf("group-member-added: %v", e)
	}

	mark = emit.Len()
	trackertest.Run(t, "usermod", "--prefix", root, "-p", testHash, "alice")
	e = emit.WaitFor(t, mark, accounts.ActionPasswordChanged, trackertest.Is("user.target.name", "alice"))
	if e.String("vigil.account.password.scheme") != "yescrypt" || e.String("vigil.account.password.state") != "hash" ||
		e.String("vigil.account.password.previous_state") != "none" || e.String("file.path") != "/etc/shadow" {
		t.Errorf("password-changed: %v", e)
	}

	mark = emit.Len()
	trackertest.Run(t, "usermod", "--prefix", root, "-L", "alice")
	emit.WaitFor(t, mark, accounts.ActionAccountLocked, trackertest.Is("user.target.name", "alice"))
	mark = emit.Len()
	trackertest.Run(t, "usermod", "--prefix", root, "-U", "alice")
	emit.WaitFor(t, mark, accounts.ActionAccountUnlocked, trackertest.Is("user.target.name", "alice"))
	mark = emit.Len()
	trackertest.Run(t, "usermod", "--prefix", root, "-e", "2030-01-01", "alice")
	e = emit.WaitFor(t, mark, accounts.ActionPasswordExpiryChanged, trackertest.Is("user.target.name", "alice"))
	if e.String("vigil.account.password.expires") != "2030-01-01" {
		t.Errorf("password-expiry-changed: %v", e)
	}

	// Keys made by ssh-keygen, appended with options and without.
	keys := t.TempDir()
	sshDir := filepath.Join(root, "home/alice/.ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for i, kt := range []struct{ typ, bits, opts string }{
		{"ed25519", "", `from="10.0.0.0/8",command="/usr/bin/rsync --server" `},
		{"rsa", "3072", ""},
		{"ecdsa", "384", "no-pty,restrict "},
	} {
		key := filepath.Join(keys, kt.typ)
		args := []string{"-q", "-t", kt.typ, "-N", "", "-C", "alice@" + kt.typ, "-f", key}
		if kt.bits != "" {
			args = append(args, "-b", kt.bits)
		}
		trackertest.Run(t, "ssh-keygen", args...)
		pub, err := os.ReadFile(key + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		// "256 SHA256:... alice@ed25519 (ED25519)"
		lf := strings.Fields(trackertest.Run(t, "ssh-keygen", "-lf", key+".pub"))
		mark = emit.Len()
		trackertest.Append(t, filepath.Join(sshDir, "authorized_keys"), kt.opts+string(pub))
		e = emit.WaitFor(t, mark, accounts.ActionKeyAdded, trackertest.Is("vigil.ssh.key.comment", "alice@"+kt.typ))
		if e.String("vigil.ssh.key.fingerprint") != lf[1] || e.String("vigil.ssh.key.bits") != lf[0] ||
			e.String("user.target.name") != "alice" || e.String("file.path") != "/home/alice/.ssh/authorized_keys" ||
			e.String("event.category") != "configuration" {
			t.Errorf("key %d: ssh-keygen -l says %v; event %v", i, lf, e)
		}
		if i == 0 {
			opts, _ := e.Get("vigil.ssh.key.options")
			if e.String("vigil.ssh.key.from") != "10.0.0.0/8" || e.String("vigil.ssh.key.command") != "/usr/bin/rsync --server" ||
				!slices.Equal(opts.([]string), []string{`from="10.0.0.0/8"`, `command="/usr/bin/rsync --server"`}) {
				t.Errorf("key options: %v", e)
			}
		}
	}

	// A home moved: the keys are now read from the new one.
	mark = emit.Len()
	trackertest.Run(t, "usermod", "--prefix", root, "-d", "/home/alice2", "-m", "alice")
	e = emit.WaitFor(t, mark, accounts.ActionKeyAdded, trackertest.Is("file.path", "/home/alice2/.ssh/authorized_keys"))
	if e.String("vigil.ssh.key.comment") != "alice@ed25519" {
		t.Errorf("key in the moved home: %v", e)
	}
	emit.WaitFor(t, mark, accounts.ActionUserChanged, trackertest.Is("vigil.account.previous.home", "/home/alice"))

	// sudo skips names with a dot; a rule in a file it reads is reported.
	mark = emit.Len()
	trackertest.WriteAtomic(t, filepath.Join(root, "etc/sudoers.d/ignored.conf"), []byte("alice ALL=(ALL) ALL\n"), 0o440)
	trackertest.WriteAtomic(t, filepath.Join(root, "etc/sudoers.d/alice"), []byte("alice ALL=(ALL) NOPASSWD: ALL\n"), 0o440)
	e = emit.WaitFor(t, mark, accounts.ActionSudoersRuleAdded, trackertest.Is("file.path", "/etc/sudoers.d/alice"))
	if e.String("vigil.sudoers.rule") != "alice ALL=(ALL) NOPASSWD: ALL" || e.String("vigil.sudoers.nopasswd") != "true" ||
		e.String("vigil.sudoers.kind") != "user_spec" {
		t.Errorf("sudoers-rule-added: %v", e)
	}

	// A second root account.
	mark = emit.Len()
	trackertest.Run(t, "useradd", "--prefix", root, "-o", "-u", "0", "-g", "0", "-M", "-s", "/bin/bash", "toor")
	e = emit.WaitFor(t, mark, accounts.ActionUserAdded, trackertest.Is("user.target.name", "toor"))
	if e.String("vigil.account.uid0") != "true" || e.String("vigil.account.group.privileged") != "true" {
		t.Errorf("uid 0 account: %v", e)
	}

	mark = emit.Len()
	trackertest.Run(t, "userdel", "--prefix", root, "alice")
	emit.WaitFor(t, mark, accounts.ActionUserRemoved, trackertest.Is("user.target.name", "alice"))
	emit.WaitFor(t, mark, accounts.ActionGroupMemberRemoved, trackertest.Is("group.name", "sudo"))
	emit.WaitFor(t, mark, accounts.ActionGroupRemoved, trackertest.Is("group.name", "alice"))
	r.Stop(t)

	// Changes while the sensor is stopped are reported at its next start.
	trackertest.Run(t, "useradd", "--prefix", root, "-M", "-s", "/bin/sh", "bob")
	if err := os.Remove(filepath.Join(root, "etc/sudoers.d/alice")); err != nil {
		t.Fatal(err)
	}
	r2 := trackertest.Start(t, s)
	e = r2.Emit.WaitFor(t, 0, accounts.ActionUserAdded, trackertest.Is("user.target.name", "bob"))
	if e.String("vigil.offline") != "true" {
		t.Errorf("offline user-added: %v", e)
	}
	e = r2.Emit.WaitFor(t, 0, accounts.ActionSudoersRuleRemoved, trackertest.Is("file.path", "/etc/sudoers.d/alice"))
	if e.String("vigil.offline") != "true" {
		t.Errorf("offline sudoers-rule-removed: %v", e)
	}
	r2.Stop(t)

	all := append(emit.Events(), r2.Emit.Events()...)
	trackertest.Check(t, accounts.Name, all)
	for _, ev := range all {
		if ev.String(event.FieldFilePath) == "/etc/sudoers.d/ignored.conf" {
			t.Errorf("a file sudo does not read was reported: %v", ev)
		}
	}
	// No part of the hash in any event.
	blob, _ := json.Marshal(all)
	for _, part := range append(strings.Split(testHash, "$")[2:], testHash) {
		if part != "" && strings.Contains(string(blob), part) {
			t.Errorf("events contain part of the password hash: %q", part)
		}
	}
	if n := emit.LostCount() + r2.Emit.LostCount(); n != 0 {
		t.Errorf("%d events lost", n)
	}
	if st := s.Stats(); st.MalformedLines != 0 || st.ReadErrors != 0 || st.Watches == 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestConfigure(t *testing.T) {
	s := accounts.New()
	if s.Name() != "accounts" || s.Mechanism() != "inotify" || !s.Requirements().Root {
		t.Errorf("identity: %s %s %+v", s.Name(), s.Mechanism(), s.Requirements())
	}
	if err := s.Run(t.Context(), &trackertest.Emitter{}); err == nil {
		t.Error("Run before Configure succeeded")
	}
	if err := s.Configure(plugin.Env{Root: t.TempDir()}); err == nil {
		t.Error("Configure without a data directory succeeded")
	}
}
