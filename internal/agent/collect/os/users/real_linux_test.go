package users

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
	"github.com/vigilsec/vigil/internal/event"
)

// hostAssets collects this host's accounts.
func hostAssets(t *testing.T) []event.Asset {
	t.Helper()
	trackertest.RequireRoot(t)
	return collecttest.Assets(t, New(), plugin.Env{Root: "/"})
}

// getent lists a database from the files backend ("getent -s files"),
// keyed by name, as colon-separated fields.
func getent(t *testing.T, db string) map[string][]string {
	t.Helper()
	out := collecttest.Tool(t, nil, "getent", "-s", "files", db)
	m := map[string][]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ":")
		if _, dup := m[f[0]]; !dup && f[0] != "" {
			m[f[0]] = f
		}
	}
	return m
}

// TestRealGetentPasswd compares the users with getent passwd.
func TestRealGetentPasswd(t *testing.T) {
	assets := hostAssets(t)
	want := getent(t, "passwd")
	got := 0
	for _, a := range assets {
		if a.Kind != event.AssetUser {
			continue
		}
		got++
		f, ok := want[a.Key]
		if !ok || len(f) != 7 {
			t.Errorf("%s: not listed by getent", a.Key)
			continue
		}
		e := event.Event(a.Fields)
		for path, w := range map[string]string{
			"user.id": f[2], "user.group.id": f[3], "vigil.account.home": f[5], "vigil.account.shell": f[6],
		} {
			if g := e.String(path); g != w {
				t.Errorf("%s: %s = %q, getent says %q", a.Key, path, g, w)
			}
		}
		if g := e.String("vigil.account.gecos"); g != f[4] {
			t.Errorf("%s: gecos %q, getent says %q", a.Key, g, f[4])
		}
	}
	if got != len(want) {
		t.Errorf("%d users, getent lists %d", got, len(want))
	}
	// Every user the system resolves from its files is listed; other
	// sources (systemd's dynamic users, LDAP) are not local accounts.
	all := collecttest.Tool(t, nil, "getent", "passwd")
	for line := range strings.SplitSeq(string(all), "\n") {
		name, _, _ := strings.Cut(line, ":")
		if _, local := want[name]; local {
			if !slices.ContainsFunc(assets, func(a event.Asset) bool { return a.Kind == event.AssetUser && a.Key == name }) {
				t.Errorf("%s: resolved by getent passwd, missing", name)
			}
		}
	}
}

// TestRealGetentGroup compares the groups with getent group.
func TestRealGetentGroup(t *testing.T) {
	assets := hostAssets(t)
	want := getent(t, "group")
	got := 0
	for _, a := range assets {
		if a.Kind != event.AssetGroup {
			continue
		}
		got++
		f, ok := want[a.Key]
		if !ok || len(f) != 4 {
			t.Errorf("%s: not listed by getent", a.Key)
			continue
		}
		e := event.Event(a.Fields)
		if g := e.String("group.id"); g != f[2] {
			t.Errorf("%s: gid %q, getent says %q", a.Key, g, f[2])
		}
		var members []string
		if f[3] != "" {
			members = strings.Split(f[3], ",")
		}
		slices.Sort(members)
		members = slices.Compact(members)
		var gotMembers []string
		if v, ok := e.Get("vigil.group.members"); ok {
			gotMembers = v.([]string)
		}
		if d := cmp.Diff(members, gotMembers); d != "" {
			t.Errorf("%s: members (-getent +collector):\n%s", a.Key, d)
		}
	}
	if got != len(want) {
		t.Errorf("%d groups, getent lists %d", got, len(want))
	}
}

// TestRealSudo asks sudo itself, for each account, whether it may run
// anything, and compares with the rules found.
func TestRealSudo(t *testing.T) {
	assets := hostAssets(t)
	if _, err := exec.LookPath("sudo"); err != nil {
		t.Skip("sudo is not installed")
	}
	for _, a := range assets {
		if a.Kind != event.AssetUser {
			continue
		}
		out, _ := exec.Command("sudo", "-n", "-l", "-U", a.Key).CombinedOutput()
		may := bytes.Contains(out, []byte("may run the following commands"))
		not := bytes.Contains(out, []byte("is not allowed to run sudo"))
		if may == not {
			t.Fatalf("sudo -l -U %s: unexpected output %q", a.Key, out)
		}
		_, has := event.Event(a.Fields).Get("vigil.sudo.rules")
		if has != may {
			t.Errorf("%s: rules found %v, sudo says %q", a.Key, has, bytes.TrimSpace(out))
		}
	}
}

// lastlogTool reads `lastlog -R root` (the shadow suite's tool) in UTC:
// the latest login of each account that has one.
func lastlogTool(t *testing.T, root string) map[string]time.Time {
	t.Helper()
	args := []string{}
	if root != "/" {
		args = append(args, "-R", root)
	}
	out := collecttest.Tool(t, []string{"TZ=UTC", "LC_ALL=C"}, "lastlog", args...)
	m := map[string]time.Time{}
	for line := range strings.SplitSeq(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[0] == "Username" || strings.Contains(line, "**Never logged in**") {
			continue
		}
		// "... Fri Mar  1 00:00:00 +0000 2024": the last six fields.
		stamp := strings.Join(f[len(f)-6:], " ")
		at, err := time.Parse("Mon Jan 2 15:04:05 -0700 2006", stamp)
		if err != nil {
			t.Fatalf("lastlog line %q: %v", line, err)
		}
		m[f[0]] = at.UTC()
	}
	return m
}

// lastTool reads `last -f wtmp` with ISO times: the latest login of each
// user.
func lastTool(t *testing.T, wtmp string) map[string]time.Time {
	t.Helper()
	out := collecttest.Tool(t, []string{"TZ=UTC", "LC_ALL=C"}, "last", "-w", "--time-format", "iso", "-f", wtmp)
	m := map[string]time.Time{}
	for line := range strings.SplitSeq(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] == "reboot" || f[0] == "wtmp" {
			continue
		}
		for _, w := range f[1:] {
			at, err := time.Parse("2006-01-02T15:04:05-07:00", w)
			if err != nil {
				continue
			}
			if at.Unix() <= 0 {
				break // last shows a record it cannot read (all 0xff) dated -1
			}
			if at.After(m[f[0]]) {
				m[f[0]] = at.UTC()
			}
			break
		}
	}
	return m
}

// checkLogins compares readLogins with the system's tools.
func checkLogins(t *testing.T, root string) {
	t.Helper()
	fsys, err := rootfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	assets, err := New().Assets(context.Background(), plugin.Env{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	uids := map[string]int64{}
	var list []int64
	for _, a := range assets {
		if a.Kind == event.AssetUser {
			uid, _ := strconv.ParseInt(event.Event(a.Fields).String("user.id"), 10, 64)
			uids[a.Key] = uid
			list = append(list, uid)
		}
	}
	l, err := readLogins(fsys, list)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("lastlog", func(t *testing.T) {
		tool := lastlogTool(t, root)
		for name, uid := range uids {
			if got, want := l.byUID[uid], tool[name]; !got.Equal(want) {
				t.Errorf("%s: lastlog %v, the lastlog tool says %v", name, got, want)
			}
		}
	})
	t.Run("wtmp", func(t *testing.T) {
		tool := lastTool(t, filepath.Join(root, "var/log/wtmp"))
		if d := cmp.Diff(tool, l.byName); d != "" {
			t.Errorf("wtmp logins (-last +collector):\n%s", d)
		}
	})
}

// TestRealLoginsFixture compares the fixture's lastlog and wtmp, read
// by the collector, with the lastlog and last tools.
func TestRealLoginsFixture(t *testing.T) {
	trackertest.RequireRoot(t) // lastlog -R chroots
	checkLogins(t, fixture(t))
}

// TestRealLoginsHost does the same on this host's records.
func TestRealLoginsHost(t *testing.T) {
	trackertest.RequireRoot(t)
	checkLogins(t, "/")
}

// TestRealSSHKeygen compares the keys the collector lists for the
// fixture's accounts with ssh-keygen -l on each file.
func TestRealSSHKeygen(t *testing.T) {
	assets, _ := collect(t, fixture(t))
	listed := map[string][]string{} // file -> "bits fingerprint"
	for _, user := range []string{"alice", "root"} {
		keys, _ := item(t, assets, event.AssetUser, user).Get("vigil.ssh.authorized_keys")
		for _, k := range keys.([]any) {
			m := k.(map[string]any)
			listed[m["file"].(string)] = append(listed[m["file"].(string)], fmt.Sprintf("%v %v", m["bits"], m["fingerprint"]))
		}
	}
	for file, got := range listed {
		out := collecttest.Tool(t, nil, "ssh-keygen", "-l", "-E", "sha256", "-f", filepath.Join("testdata/root", file))
		var want []string
		for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
			// "256 SHA256:xxx comment (ED25519)"
			f := strings.Fields(line)
			want = append(want, f[0]+" "+f[1])
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-ssh-keygen +collector):\n%s", file, d)
		}
	}
	if len(listed) != 3 {
		t.Errorf("keys from %d files, want 3", len(listed))
	}
}
