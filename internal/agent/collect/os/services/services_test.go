package services_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/os/services"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/event"
)

func fixture(t *testing.T) (map[string]event.Event, []event.Asset) {
	t.Helper()
	c := services.New()
	assets := collecttest.Assets(t, c, plugin.Env{Root: "testdata/root"})
	by := map[string]event.Event{}
	for _, a := range assets {
		by[a.Key] = a.Fields
	}
	return by, assets
}

func TestFixtureGolden(t *testing.T) {
	by, assets := fixture(t)
	collecttest.Golden(t, "testdata/golden/root.json", assets)
	for key, want := range map[string]map[string]any{
		"nginx.service": {
			"vigil.service.enablement": "enabled", "service.state": "running", "user.name": "www-data",
			"process.command_line": "/usr/sbin/nginx -c /etc/nginx/alt.conf -g 'daemon on;'", // the drop-in's
			"process.executable":   "/usr/sbin/nginx", "package.name": "nginx-common",
		},
		"ssh.service":           {"service.state": "stopped", "user.name": "root"},
		"sshd.service":          {"vigil.service.enablement": "alias", "vigil.service.alias_of": "ssh.service"},
		"getty@.service":        {"vigil.service.enablement": "enabled", "service.state": "running", "process.executable": "/sbin/agetty"},
		"serial-getty@.service": {"vigil.service.enablement": "indirect"},
		"backdoor.service":      {"service.state": "running", "package.name": "none", "process.executable": "/bin/sh"},
		"backup-run.service":    {"service.state": "stopped", "user.name": "backup"}, // a user manager's unit of that name runs
		"timesync.service":      {"vigil.service.dynamic_user": true, "process.executable": "/lib/systemd/systemd-timesyncd"},
		"rsync.service":         {"vigil.service.enablement": "masked", "file.path": "/etc/systemd/system/rsync.service"},
		"linked.service":        {"vigil.service.enablement": "linked", "file.path": "/opt/app/linked.service", "user.name": "app"},
		"dangling.service":      {"vigil.service.enablement": "bad"},
		"backup.timer":          {"vigil.service.triggers": "backup-run.service"},
		"apt-daily.timer":       {"vigil.service.triggers": "apt-daily.service", "package.name": "apt"},
		"ssh.socket":            {"vigil.service.listen": []any{"ListenStream=22"}},
		"init.d/legacy":         {"vigil.service.enablement": "enabled", "vigil.service.native_unit": false, "package.name": "none"},
		"init.d/ssh":            {"vigil.service.native_unit": true, "package.name": "openssh-server"},
	} {
		f, ok := by[key]
		if !ok {
			t.Errorf("%s missing", key)
			continue
		}
		for path, w := range want {
			if got, _ := f.Get(path); !cmp.Equal(got, w) {
				t.Errorf("%s %s = %v, want %v", key, path, got, w)
			}
		}
	}
	for _, key := range []string{"init.d/README", "init.d/old.dpkg-old", "init.d/notexec", "multi-user.target"} {
		if _, ok := by[key]; ok {
			t.Errorf("%s listed", key)
		}
	}
}

// TestFixtureMatchesSystemctl checks the states of the fixture's unit
// files, which hold every state, against systemctl's reading of them.
func TestFixtureMatchesSystemctl(t *testing.T) {
	if _, err := exec.LookPath("systemctl"); err != nil {
		t.Skip("systemctl is not installed")
	}
	root, err := filepath.Abs("testdata/root")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemctl", "--root="+root, "--no-pager", "--no-legend", "list-unit-files",
		"--type="+strings.Join(services.UnitTypes, ",")).Output()
	if err != nil {
		t.Fatalf("systemctl: %v", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			want[f[0]] = f[1]
		}
	}
	fsys, err := rootfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	units, problems := services.ListUnitFiles(fsys, services.UnitTypes...)
	got := map[string]string{}
	for _, u := range units {
		got[u.Name] = u.State
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("states (-systemctl +inventory):\n%s", d)
	}
	if problems == 0 {
		t.Error("no malformed line counted in broken-lines.service")
	}
}

func TestNotBooted(t *testing.T) {
	// Without /run/systemd/system systemd is not the service manager:
	// no running state.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "lib/systemd/system"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "lib/systemd/system/a.service"), []byte("[Service]\nExecStart=/bin/a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	assets, err := services.New().Assets(context.Background(), plugin.Env{Root: root})
	if err != nil || len(assets) != 1 {
		t.Fatalf("Assets: %v, %v", assets, err)
	}
	if s, ok := event.Event(assets[0].Fields).Get("service.state"); ok {
		t.Errorf("service.state %v on a host without systemd", s)
	}
}

func TestParseUnitName(t *testing.T) {
	for _, tc := range []struct {
		in                      string
		ok, template, instance  bool
		prefix, inst, typ, tmpl string
	}{
		{in: "ssh.service", ok: true, prefix: "ssh", typ: "service"},
		{in: "getty@.service", ok: true, template: true, prefix: "getty", typ: "service"},
		{in: "getty@tty1.service", ok: true, instance: true, prefix: "getty", inst: "tty1", typ: "service", tmpl: "getty@.service"},
		{in: "a@b@c.socket", ok: true, instance: true, prefix: "a", inst: "b@c", typ: "socket", tmpl: "a@.socket"},
		{in: "dbus-org.freedesktop.login1.service", ok: true, prefix: "dbus-org.freedesktop.login1", typ: "service"},
		{in: "x.bogus"}, {in: ".service"}, {in: "@.service"}, {in: "a b.service"}, {in: ""},
		{in: strings.Repeat("a", 250) + ".service"},
	} {
		n, ok := services.ParseUnitName(tc.in)
		if ok != tc.ok {
			t.Errorf("ParseUnitName(%q) ok = %v", tc.in, ok)
			continue
		}
		if !ok {
			continue
		}
		if n.IsTemplate() != tc.template || n.IsInstance() != tc.instance || n.Prefix != tc.prefix ||
			n.Instance != tc.inst || n.Type != tc.typ || n.Template() != tc.tmpl {
			t.Errorf("ParseUnitName(%q) = %+v", tc.in, n)
		}
	}
}

func TestExecPath(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/sbin/sshd -D $SSHD_OPTS":     "/usr/sbin/sshd",
		"-/sbin/agetty -o x":               "/sbin/agetty",
		"!!/lib/systemd/systemd-timesyncd": "/lib/systemd/systemd-timesyncd",
		"@/usr/bin/foo foo-name":           "/usr/bin/foo",
		`"/opt/my app/run" --x`:            "/opt/my app/run",
		"  +:/usr/bin/x":                   "/usr/bin/x",
		"sleep 5":                          "sleep",
		"":                                 "",
		"-":                                "",
		`"/unterminated`:                   "",
	} {
		if got := services.ExecPath(in); got != want {
			t.Errorf("ExecPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseUnitName(f *testing.F) {
	for _, s := range []string{"ssh.service", "getty@tty1.service", "a@.socket", "x@y@z.timer", "..service"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := services.ParseUnitName(s)
		if !ok {
			return
		}
		if n.Prefix == "" || n.Type == "" || len(s) > 255 {
			t.Fatalf("ParseUnitName(%q) = %+v", s, n)
		}
		if n.IsInstance() {
			if _, ok := services.ParseUnitName(n.Template()); !ok {
				t.Fatalf("template %q of %q is not a unit name", n.Template(), s)
			}
		}
	})
}

func FuzzExecPath(f *testing.F) {
	f.Add("-/sbin/agetty -o '-p -- \\u' --noclear - $TERM")
	f.Add(`"/a b" c`)
	f.Fuzz(func(t *testing.T, s string) {
		p := services.ExecPath(s)
		cmd := strings.TrimLeft(strings.TrimSpace(s), "-@:+!|")
		quoted := cmd != "" && (cmd[0] == '"' || cmd[0] == '\'')
		if !quoted && strings.ContainsAny(p, " \t") {
			t.Fatalf("ExecPath(%q) = %q: a blank in an unquoted word", s, p)
		}
		if len(p) > len(s) {
			t.Fatalf("ExecPath(%q) = %q: longer than the command", s, p)
		}
	})
}

// FuzzListUnitFiles writes fuzzed content as a unit file and a drop-in
// and lists the units: any input gives a state, never a crash.
func FuzzListUnitFiles(f *testing.F) {
	f.Add([]byte("[Service]\nExecStart=/bin/a\n[Install]\nWantedBy=multi-user.target\nAlias=b.service\n"), []byte("[Install]\nWantedBy=\n"))
	f.Add([]byte("[Install\nAlso=a.service c.socket\nDefaultInstance=x\n"), []byte("\\\n"))
	f.Add([]byte(""), []byte("[Unit]\n"))
	f.Fuzz(func(t *testing.T, unitFile, dropin []byte) {
		root := t.TempDir()
		dir := filepath.Join(root, "lib/systemd/system")
		if err := os.MkdirAll(filepath.Join(dir, "a.service.d"), 0o755); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(dir, "a.service"), unitFile, 0o644)
		_ = os.WriteFile(filepath.Join(dir, "a.service.d/x.conf"), dropin, 0o644)
		fsys, err := rootfs.New(root)
		if err != nil {
			t.Fatal(err)
		}
		units, _ := services.ListUnitFiles(fsys)
		if len(units) != 1 || units[0].State == "" {
			t.Fatalf("units %+v", units)
		}
		services.UnitFields(&units[0])
	})
}
