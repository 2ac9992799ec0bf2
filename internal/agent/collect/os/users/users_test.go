package users

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog/utmp"
	"github.com/vigilsec/vigil/internal/event"
)

// encodeLastlog writes one struct lastlog of this machine.
func encodeLastlog(t testing.TB, at time.Time, line, host string) []byte {
	b := make([]byte, utmp.Native.LastlogSize())
	if err := utmp.Native.EncodeLastlog(utmp.Lastlog{Time: at, Line: line, Host: host}, b); err != nil {
		t.Fatal(err)
	}
	return b
}

// loginFixture is when the fixture's accounts last logged in.
var (
	rootLogin  = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	aliceTTY   = time.Date(2024, 5, 6, 10, 6, 40, 0, time.UTC)
	aliceSSH   = time.Date(2024, 5, 10, 8, 0, 0, 0, time.UTC)
	bobSSH     = time.Date(2024, 5, 7, 23, 59, 59, 0, time.UTC)
	bobLogout  = time.Date(2024, 5, 8, 1, 0, 0, 0, time.UTC)
	rebootTime = time.Date(2024, 5, 9, 0, 0, 0, 0, time.UTC)
)

// fixture copies testdata/root and adds the binary login records: a
// lastlog with records for uids 0 and 1000 (the file is sparse up to
// uid 1000, as the real one), and a wtmp with logins of alice and bob,
// bob's logout, a reboot and one corrupt record.
func fixture(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	trackertest.CopyTree(t, "testdata/root", root)
	if err := os.MkdirAll(filepath.Join(root, "var/log"), 0o755); err != nil {
		t.Fatal(err)
	}
	size := utmp.Native.LastlogSize()
	ll, err := os.Create(filepath.Join(root, "var/log/lastlog"))
	if err != nil {
		t.Fatal(err)
	}
	for uid, rec := range map[int64][]byte{0: encodeLastlog(t, rootLogin, "tty1", ""), 1000: encodeLastlog(t, aliceTTY, "pts/3", "192.0.2.7")} {
		if _, err := ll.WriteAt(rec, uid*int64(size)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ll.Close(); err != nil {
		t.Fatal(err)
	}
	var wtmp []byte
	for _, r := range []utmp.Record{
		{Type: utmp.BootTime, Line: "~", User: "reboot", Host: "6.1.0", Time: rebootTime},
		{Type: utmp.UserProcess, PID: 100, Line: "pts/1", ID: "ts/1", User: "bob", Host: "10.0.0.2", Time: bobSSH},
		{Type: utmp.DeadProcess, PID: 100, Line: "pts/1", ID: "ts/1", Time: bobLogout},
		{Type: utmp.UserProcess, PID: 200, Line: "pts/2", ID: "ts/2", User: "alice", Host: "10.0.0.3", Time: aliceSSH},
	} {
		b := make([]byte, utmp.Native.RecordSize())
		if err := utmp.Native.Encode(r, b); err != nil {
			t.Fatal(err)
		}
		wtmp = append(wtmp, b...)
	}
	corrupt := bytes.Repeat([]byte{0xff}, utmp.Native.RecordSize())
	wtmp = append(wtmp, corrupt...)
	if err := os.WriteFile(filepath.Join(root, "var/log/wtmp"), wtmp, 0o664); err != nil {
		t.Fatal(err)
	}
	return root
}

// collect runs the collector on root.
func collect(t *testing.T, root string) ([]event.Asset, *Collector) {
	t.Helper()
	c := New()
	return collecttest.Assets(t, c, plugin.Env{Root: root}), c
}

// item returns the fields of an asset as a JSON-decoded document (as the
// center sees it).
func item(t *testing.T, assets []event.Asset, kind, key string) event.Event {
	t.Helper()
	for _, a := range assets {
		if a.Kind == kind && a.Key == key {
			b, err := a.FieldsJSON()
			if err != nil {
				t.Fatal(err)
			}
			var e event.Event
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatal(err)
			}
			return e
		}
	}
	t.Fatalf("%s %q missing", kind, key)
	return nil
}

// check compares fields given as JSON values; nil means absent.
func check(t *testing.T, e event.Event, what string, want map[string]any) {
	t.Helper()
	for path, w := range want {
		got, ok := e.Get(path)
		if w == nil {
			if ok {
				t.Errorf("%s: %s = %v, want none", what, path, got)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: %s missing, want %v", what, path, w)
			continue
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("%s: %s (-want +got):\n%s", what, path, d)
		}
	}
}

// rules builds the JSON form of sudo rules.
func rules(r ...SudoRule) []any {
	out := make([]any, len(r))
	for i, x := range r {
		out[i] = map[string]any{"file": x.File, "rule": x.Rule, "via": x.Via, "nopasswd": x.NoPasswd}
	}
	return out
}

func TestFixture(t *testing.T) {
	assets, c := collect(t, fixture(t))

	collecttest.Golden(t, "testdata/golden/root.json", assets)

	var names []string
	for _, a := range assets {
		if a.Kind == event.AssetUser {
			names = append(names, a.Key)
		}
	}
	if d := cmp.Diff([]string{"root", "daemon", "alice", "bob", "carol", "svc-backup", "toor", "nopw", "dave", "erin"}, names); d != "" {
		t.Errorf("users (-want +got):\n%s", d)
	}

	const sudoers, sudoersD = "/etc/sudoers", "/etc/sudoers.d/"
	operators := "OPERATORS ALL = (root) /usr/bin/systemctl restart nginx, /usr/bin/systemctl reload nginx"
	check(t, item(t, assets, event.AssetUser, "root"), "root", map[string]any{
		"user.id": "0", "vigil.account.uid0": true, "vigil.account.privileged": true,
		"vigil.account.password.status": "set", "vigil.account.password.scheme": "yescrypt",
		"vigil.account.password.last_changed": "2023-05-23", "vigil.account.last_login": "2024-03-01",
		"vigil.sudo.rules": rules(SudoRule{sudoers, "root ALL=(ALL:ALL) ALL", "root", false}),
		"vigil.ssh.authorized_keys": []any{map[string]any{
			"file": "/root/.ssh/authorized_keys", "type": "ssh-ed25519", "bits": float64(256), "comment": "backup@vault",
			"fingerprint": "SHA256:" + fingerprintOf(t, "root/.ssh/authorized_keys", 0),
			"options":     []any{`command="/usr/local/bin/backup-only"`, "no-port-forwarding", "no-agent-forwarding"},
			"command":     "/usr/local/bin/backup-only",
		}},
	})
	check(t, item(t, assets, event.AssetUser, "alice"), "alice", map[string]any{
		"user.full_name": "Alice Liddell", "user.group.name": "alice", "vigil.account.duplicates": float64(1),
		"vigil.account.groups":          []any{"adm", "alice", "sudo"},
		"vigil.account.password.scheme": "sha512crypt", "vigil.account.password.max_days": float64(90),
		"vigil.account.password.inactive_days": float64(30), "vigil.account.password.expires": "2026-02-16",
		// wtmp's ssh login is later than lastlog's.
		"vigil.account.last_login": "2024-05-10",
		"vigil.sudo.rules":         rules(SudoRule{sudoers, "%sudo ALL=(ALL:ALL) ALL", "%sudo", false}),
		"vigil.sudo.nopasswd":      false,
	})
	if keys, _ := item(t, assets, event.AssetUser, "alice").Get("vigil.ssh.authorized_keys"); len(keys.([]any)) != 3 {
		t.Errorf("alice's keys: %v, want 3 (two files)", keys)
	}
	check(t, item(t, assets, event.AssetUser, "bob"), "bob", map[string]any{
		"vigil.account.password.status": "locked", "vigil.account.password.scheme": "yescrypt",
		"vigil.account.last_login": "2024-05-07", "vigil.account.privileged": true,
		"vigil.sudo.rules": rules(SudoRule{sudoers, operators, "OPERATORS", false}),
	})
	check(t, item(t, assets, event.AssetUser, "carol"), "carol", map[string]any{
		"vigil.account.password.status": "locked", "vigil.account.password.scheme": nil,
		"vigil.account.last_login": nil,
		"vigil.sudo.rules": rules(SudoRule{sudoers, operators, "OPERATORS", false},
			SudoRule{"/etc/sudo-hosts/web-1", "carol web-1 = (root) /usr/bin/journalctl", "carol", false}),
	})
	// dave is in %ops, which OPERATORS grants, but "!dave" comes last.
	check(t, item(t, assets, event.AssetUser, "dave"), "dave", map[string]any{
		"vigil.sudo.rules": nil, "vigil.account.privileged": false,
		"vigil.account.password.status": "disabled", "vigil.account.password.shadow_entry": false,
	})
	check(t, item(t, assets, event.AssetUser, "svc-backup"), "svc-backup", map[string]any{
		"vigil.account.login_shell": false, "vigil.account.password.status": "locked",
		"vigil.account.password.must_change": true,
		"vigil.sudo.rules":                   rules(SudoRule{sudoersD + "backup", "svc-backup ALL=(root) NOPASSWD: /usr/bin/rsync", "svc-backup", true}),
		"vigil.sudo.nopasswd":                true,
	})
	check(t, item(t, assets, event.AssetUser, "toor"), "toor", map[string]any{
		"vigil.account.uid0": true, "vigil.account.privileged": true, "vigil.sudo.rules": nil,
		"vigil.account.password.scheme": "md5crypt",
		// lastlog is by uid: toor shares root's record.
		"vigil.account.last_login": "2024-03-01",
		// toor shares root's home and keys.
		"vigil.ssh.authorized_keys": []any{map[string]any{
			"file": "/root/.ssh/authorized_keys", "type": "ssh-ed25519", "bits": float64(256), "comment": "backup@vault",
			"fingerprint": "SHA256:" + fingerprintOf(t, "root/.ssh/authorized_keys", 0),
			"options":     []any{`command="/usr/local/bin/backup-only"`, "no-port-forwarding", "no-agent-forwarding"},
			"command":     "/usr/local/bin/backup-only",
		}},
	})
	check(t, item(t, assets, event.AssetUser, "nopw"), "nopw", map[string]any{
		"vigil.account.password.status": "empty", "vigil.account.password.in_passwd": true,
	})
	check(t, item(t, assets, event.AssetUser, "erin"), "erin", map[string]any{
		"user.group.name":                      "backup-operators",
		"vigil.ssh.authorized_keys_unreadable": true,
		"vigil.ssh.authorized_keys":            nil,
		"vigil.sudo.rules": rules(SudoRule{sudoersD + "90-cloud-init-users", "erin ALL=(ALL) NOPASSWD:ALL", "erin", true},
			SudoRule{sudoersD + "backup", "%#3000 ALL=(root) /usr/local/bin/backup.sh", "%#3000", false}),
	})

	check(t, item(t, assets, event.AssetGroup, "docker"), "docker", map[string]any{
		"group.id": "999", "vigil.group.members": []any{"bob", "carol"}, "vigil.group.members_count": float64(2),
		"vigil.group.admins": []any{"alice"}, "vigil.group.duplicates": float64(1), "vigil.group.privileged": true,
		"vigil.group.password.status": "locked",
	})
	check(t, item(t, assets, event.AssetGroup, "ops"), "ops", map[string]any{
		"vigil.group.password.status": "set", "vigil.group.privileged": true,
		"vigil.sudo.rules": rules(SudoRule{sudoers, operators, "OPERATORS", false}),
	})
	check(t, item(t, assets, event.AssetGroup, "backup-operators"), "backup-operators", map[string]any{
		"vigil.group.primary_members": []any{"erin"}, "vigil.group.members": nil,
		"vigil.sudo.rules": rules(SudoRule{sudoersD + "backup", "%#3000 ALL=(root) /usr/local/bin/backup.sh", "%#3000", false}),
	})
	check(t, item(t, assets, event.AssetGroup, "root"), "root group", map[string]any{
		"vigil.group.primary_members": []any{"root", "toor"}, "vigil.group.privileged": true,
	})
	check(t, item(t, assets, event.AssetGroup, "alice"), "alice group", map[string]any{"vigil.group.privileged": false})

	want := map[string]uint64{
		// passwd's broken line, shadow's, the broken key line and the
		// sudoers line that is not one.
		"malformed_lines":   4,
		"unreadable_files":  1, // erin's authorized_keys is a directory
		"duplicate_entries": 2, // alice and docker
		"corrupt_records":   1,
	}
	if d := cmp.Diff(want, c.Counters()); d != "" {
		t.Errorf("counters (-want +got):\n%s", d)
	}
}

// fingerprintOf computes the SHA-256 fingerprint of the n-th key blob
// ("AAAA...") of a fixture file; TestRealSSHKeygen checks the
// collector's fingerprints against ssh-keygen itself.
func fingerprintOf(t *testing.T, rel string, n int) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/root", rel))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(data)) {
		if !strings.HasPrefix(f, "AAAA") {
			continue
		}
		if n > 0 {
			n--
			continue
		}
		blob, err := base64.StdEncoding.DecodeString(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(blob)
		return base64.RawStdEncoding.EncodeToString(sum[:])
	}
	t.Fatalf("%s: no key %d", rel, n)
	return ""
}

// TestIncomplete: a set that cannot be trusted is an error.
func TestIncomplete(t *testing.T) {
	tests := []struct {
		name      string
		breakRoot func(root string) error
	}{
		{"no passwd", func(root string) error { return os.Remove(filepath.Join(root, "etc/passwd")) }},
		{"no group", func(root string) error { return os.Remove(filepath.Join(root, "etc/group")) }},
		{"shadow is a directory", func(root string) error {
			p := filepath.Join(root, "etc/shadow")
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Mkdir(p, 0o700)
		}},
		{"sudoers include is a fifo", func(root string) error {
			if err := os.Remove(filepath.Join(root, "etc/sudo-hosts/web-1")); err != nil {
				return err
			}
			return syscall.Mkfifo(filepath.Join(root, "etc/sudo-hosts/web-1"), 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := fixture(t)
			if err := tt.breakRoot(root); err != nil {
				t.Fatal(err)
			}
			if _, err := New().Assets(context.Background(), plugin.Env{Root: root}); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestOptionalFiles: without shadow, gshadow, sudoers or login records
// the set is complete, with less in it.
func TestOptionalFiles(t *testing.T) {
	root := fixture(t)
	for _, p := range []string{"etc/shadow", "etc/gshadow", "etc/sudoers", "var/log/lastlog", "var/log/wtmp"} {
		if err := os.Remove(filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	assets, _ := collect(t, root)
	check(t, item(t, assets, event.AssetUser, "alice"), "alice", map[string]any{
		"vigil.sudo.rules": nil, "vigil.account.last_login": nil, "vigil.account.password.status": "disabled",
	})
}

// TestStable: two runs give equal digests.
func TestStable(t *testing.T) {
	root := fixture(t)
	digest := func() string {
		assets, _ := collect(t, root)
		return collecttest.Digest(t, assets)
	}
	if a, b := digest(), digest(); a != b {
		t.Errorf("digests differ: %s %s", a, b)
	}
}

func TestPlugin(t *testing.T) {
	c := New()
	if c.Name() != Name || c.DefaultInterval() <= 0 || !c.Requirements().Root {
		t.Errorf("Name %q, DefaultInterval %v, Requirements %+v", c.Name(), c.DefaultInterval(), c.Requirements())
	}
}

// TestLimits: an account with many keys and sudo rules and a group with
// many members stay valid items, with their counts whole.
func TestLimits(t *testing.T) {
	root := fixture(t)
	keys, err := os.ReadFile(filepath.Join(root, "home/alice/.ssh/authorized_keys"))
	if err != nil {
		t.Fatal(err)
	}
	var many bytes.Buffer
	for i := range 300 {
		for line := range strings.SplitSeq(string(keys), "\n") {
			if strings.HasPrefix(line, "ssh-ed25519") {
				fmt.Fprintf(&many, "%s %d %s\n", line, i, strings.Repeat("x", 400))
			}
		}
	}
	var members, rules bytes.Buffer
	for i := range 2000 {
		fmt.Fprintf(&members, ",member-with-a-long-name-%04d", i)
		fmt.Fprintf(&rules, "alice ALL=(root) /usr/local/bin/tool-%04d\n", i)
	}
	for path, data := range map[string][]byte{
		"home/alice/.ssh/authorized_keys": many.Bytes(),
		"etc/group":                       []byte("big:x:5000:" + members.String()[1:] + "\nalice:x:1000:\n"),
		"etc/sudoers":                     rules.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(root, path), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	assets, _ := collect(t, root) // checks Validate
	alice := item(t, assets, event.AssetUser, "alice")
	check(t, alice, "alice", map[string]any{"vigil.ssh.authorized_keys_count": float64(301), "vigil.sudo.rules_count": float64(2000)})
	if listed, _ := alice.Get("vigil.ssh.authorized_keys"); len(listed.([]any)) >= 301 || len(listed.([]any)) == 0 {
		t.Errorf("%d keys listed of 301", len(listed.([]any)))
	}
	if listed, _ := alice.Get("vigil.sudo.rules"); len(listed.([]any)) != maxRules {
		t.Errorf("%d rules listed, want %d", len(listed.([]any)), maxRules)
	}
	big := item(t, assets, event.AssetGroup, "big")
	check(t, big, "big", map[string]any{"vigil.group.members_count": float64(2000)})
	if listed, _ := big.Get("vigil.group.members"); len(listed.([]any)) != maxNames {
		t.Errorf("%d members listed, want %d", len(listed.([]any)), maxNames)
	}
}
