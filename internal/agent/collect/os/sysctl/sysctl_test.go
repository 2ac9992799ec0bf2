package sysctl_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/os/sysctl"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

func collect(t *testing.T, root, settings string) (*sysctl.Collector, map[string]string, []event.Asset) {
	t.Helper()
	c := sysctl.New()
	if err := c.ApplySettings(json.RawMessage(settings)); err != nil {
		t.Fatalf("ApplySettings: %v", err)
	}
	assets := collecttest.Assets(t, c, plugin.Env{Root: root})
	got := map[string]string{}
	for _, a := range assets {
		got[a.Key] = event.Event(a.Fields).String("vigil.sysctl.value")
	}
	return c, got, assets
}

func TestFixtureGolden(t *testing.T) {
	_, got, assets := collect(t, "testdata/root",
		`{"extra_keys":["net.ipv4.conf.*.rp_filter","net/ipv4/ip_local_port_range","kernel.printk","no.such.key"]}`)
	collecttest.Golden(t, "testdata/golden/root.json", assets)
	for k, v := range map[string]string{
		"kernel.randomize_va_space":        "2",
		"kernel.modprobe":                  "/tmp/.x/modprobe",
		"net.ipv4.conf.eth0/100.rp_filter": "0", // a dot in an interface name
		"net.ipv4.conf.eth0.rp_filter":     "1",
		"net.ipv4.ip_local_port_range":     "32768 60999",
		"kernel.printk":                    "4 4 1 7",
		"fs.protected_regular":             "2",
		"kernel.unprivileged_userns_clone": "1",
	} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, k := range []string{"no.such.key", "kernel.io_uring_disabled"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s listed, but the fixture has no such parameter", k)
		}
	}
}

func TestUnreadable(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "proc/sys/kernel")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sysrq"), []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("modprobe", filepath.Join(dir, "modprobe")); err != nil { // a loop: unreadable
		t.Fatal(err)
	}
	c, got, _ := collect(t, root, "")
	if len(got) != 1 || got["kernel.sysrq"] != "0" {
		t.Errorf("got %v", got)
	}
	if n := c.Counters()["unreadable_keys"]; n != 1 {
		t.Errorf("unreadable_keys %d, want 1", n)
	}
}

func TestSettings(t *testing.T) {
	for raw, ok := range map[string]bool{
		``: true, `{}`: true, `{"extra_keys":["vm.swappiness","net/ipv4/conf/eth0.100/rp_filter"]}`: true,
		`{"extra_keys":["../../etc/shadow"]}`: false, `{"extra_keys":["a..b"]}`: false, `{"extra_keys":["a b"]}`: false,
		`{"extra_keys":[""]}`: false, `{"extra":1}`: false, `{"extra_keys":"vm.swappiness"}`: false,
		`{"extra_keys":["/kernel/x"]}`: false,
	} {
		if err := sysctl.New().ApplySettings(json.RawMessage(raw)); (err == nil) != ok {
			t.Errorf("ApplySettings(%s) = %v, want ok %v", raw, err, ok)
		}
	}
}

func TestKeyPath(t *testing.T) {
	for name, want := range map[string]string{
		"kernel.randomize_va_space":        "kernel/randomize_va_space",
		"net.ipv4.conf.eth0/100.rp_filter": "net/ipv4/conf/eth0.100/rp_filter",
		"net/ipv4/conf/eth0.100/rp_filter": "net/ipv4/conf/eth0.100/rp_filter",
		"net.ipv4.conf.*.rp_filter":        "net/ipv4/conf/*/rp_filter",
	} {
		got, err := sysctl.KeyPath(name)
		if err != nil || got != want {
			t.Errorf("KeyPath(%q) = %q, %v; want %q", name, got, err, want)
		}
		if !strings.Contains(name, "*") && !strings.HasPrefix(name, "net/") {
			if back := sysctl.PathKey(got); back != name {
				t.Errorf("PathKey(%q) = %q, want %q", got, back, name)
			}
		}
	}
}

func FuzzKeyPath(f *testing.F) {
	for _, s := range []string{"kernel.randomize_va_space", "net.ipv4.conf.eth0/100.rp_filter", "a/../b", "..", "*.*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p, err := sysctl.KeyPath(name)
		if err != nil {
			return
		}
		for _, part := range strings.Split(p, "/") {
			if part == "" || part == "." || part == ".." {
				t.Fatalf("KeyPath(%q) = %q: escapes /proc/sys", name, p)
			}
		}
		if !strings.Contains(p, "*") {
			if q, err := sysctl.KeyPath(sysctl.PathKey(p)); err != nil || q != p {
				t.Fatalf("KeyPath(PathKey(%q)) = %q, %v", p, q, err)
			}
		}
	})
}

func FuzzParseValue(f *testing.F) {
	f.Add([]byte("32768\t60999\n"))
	f.Add([]byte("\xff\x00 a\n\nb"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := sysctl.ParseValue(b)
		if strings.ContainsAny(v, "\t\n") || strings.HasPrefix(v, " ") || strings.HasSuffix(v, " ") {
			t.Fatalf("ParseValue(%q) = %q", b, v)
		}
	})
}

// TestHostMatchesSysctl compares every parameter collected on this host
// with sysctl -n.
func TestHostMatchesSysctl(t *testing.T) {
	if _, err := exec.LookPath("sysctl"); err != nil {
		t.Skip("sysctl (procps) is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("some parameters can be read by root only")
	}
	c, got, _ := collect(t, "/", `{"extra_keys":["net.ipv4.conf.*.rp_filter","kernel.printk"]}`)
	if len(got) < 30 {
		t.Errorf("only %d parameters", len(got))
	}
	for key, v := range got {
		out, err := exec.Command("sysctl", "-n", key).Output()
		if err != nil {
			t.Errorf("sysctl -n %s: %v", key, err)
			continue
		}
		if want := strings.Join(strings.Fields(string(out)), " "); v != want {
			t.Errorf("%s = %q, sysctl says %q", key, v, want)
		}
	}
	// Every default parameter sysctl knows is collected.
	for _, key := range sysctl.DefaultKeys {
		if _, ok := got[key]; ok {
			continue
		}
		if err := exec.Command("sysctl", "-n", key).Run(); err == nil {
			t.Errorf("%s: sysctl reads it, the inventory has none", key)
		}
	}
	t.Logf("%d parameters; counters %v", len(got), c.Counters())
}

// BenchmarkHost runs the collector on this host (see collecttest.Benchmark).
func BenchmarkHost(b *testing.B) {
	collecttest.Benchmark(b, sysctl.New(), plugin.Env{Root: "/"})
}
