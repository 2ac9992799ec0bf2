package packages_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/os/packages"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/scantest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// scanner is the vigil-scan built for these tests.
var scanner string

func TestMain(m *testing.M) { os.Exit(scantest.Main(m, &scanner)) }

func newCollector(t *testing.T, root string) (*packages.Collector, plugin.Env) {
	t.Helper()
	if scanner == "" {
		t.Skip("no go command to build vigil-scan with")
	}
	c := packages.New()
	c.Scanner = scanner
	env := plugin.Env{Root: root}
	if err := c.Configure(env); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return c, env
}

func lines(t *testing.T, assets []event.Asset) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	for _, a := range assets {
		if err := a.Validate(); err != nil {
			t.Errorf("%s: %v", a.Key, err)
		}
		if seen[a.Key] {
			t.Errorf("key %s twice", a.Key)
		}
		seen[a.Key] = true
		pkg := a.Fields["package"].(map[string]any)
		if pkg["type"] != "deb" {
			continue
		}
		if a.Key != "deb:"+a.Name+":"+pkg["architecture"].(string) {
			t.Errorf("key %q for %s:%s", a.Key, a.Name, pkg["architecture"])
		}
		out = append(out, a.Name+":"+pkg["architecture"].(string)+" "+a.Version)
	}
	sort.Strings(out)
	return out
}

func TestAssetsFixture(t *testing.T) {
	c, env := newCollector(t, "testdata/root")
	assets, err := c.Assets(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(scantest.DpkgQuery(t, "testdata/root/var/lib/dpkg"), lines(t, assets)); d != "" {
		t.Errorf("packages differ from dpkg-query -W (-dpkg-query +collector):\n%s", d)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, a := range assets {
		if err := enc.Encode(a); err != nil {
			t.Fatal(err)
		}
	}
	golden := "testdata/root.golden.jsonl"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), buf.String()); d != "" {
		t.Errorf("%s (-want +got):\n%s", golden, d)
	}
	if got := c.Counters(); got["scans"] != 1 || got["failed_scans"] != 0 {
		t.Errorf("counters %v", got)
	}
}

// TestAssetsHost: on this host the set is the set dpkg-query -W lists,
// name, architecture and version alike.
func TestAssetsHost(t *testing.T) {
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		t.Skip("this host has no dpkg database")
	}
	c, env := newCollector(t, "/")
	var assets []event.Asset
	var out []byte
	want, got := scantest.WhileDpkgStill(t, func() ([]string, []string) {
		want := scantest.DpkgQuery(t, "")
		var err error
		assets, err = c.Assets(context.Background(), env)
		if err != nil {
			t.Fatal(err)
		}
		// The source package, as dpkg-query names it.
		out, err = exec.Command("dpkg-query", "-W", "-f", "${Package}:${Architecture} ${source:Package}\n").Output()
		if err != nil {
			t.Fatal(err)
		}
		return want, lines(t, assets)
	})
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("packages differ from dpkg-query -W (-dpkg-query +collector):\n%s", d)
	}
	source := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, " ")
		source[k] = v
	}
	for _, a := range assets {
		pkg := a.Fields["package"].(map[string]any)
		if k := a.Name + ":" + pkg["architecture"].(string); pkg["source"] != source[k] {
			t.Errorf("%s: source %v, dpkg-query says %q", k, pkg["source"], source[k])
		}
	}
}

func TestConfigureUnsupported(t *testing.T) {
	if scanner == "" {
		t.Skip("no go command to build vigil-scan with")
	}
	tests := []struct {
		name    string
		scanner string
		root    string
		reason  string
	}{
		{"no scanner", filepath.Join(t.TempDir(), "vigil-scan"), "testdata/root", "scanner not found"},
		{"scanner not next to the agent", "", "testdata/root", "scanner not found"},
		{"no package database", scanner, t.TempDir(), "no dpkg, rpm or apk database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := packages.New()
			c.Scanner = tt.scanner
			err := c.Configure(plugin.Env{Root: tt.root})
			if !errors.Is(err, plugin.ErrUnsupported) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Configure: %v, want unsupported: %s", err, tt.reason)
			}
		})
	}
}

// TestAssetsUntrusted: a damaged database gives an error, not a short
// list that would count every missing package as removed.
func TestAssetsUntrusted(t *testing.T) {
	c, env := newCollector(t, "testdata/broken")
	assets, err := c.Assets(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "scan incomplete") {
		t.Errorf("Assets: %d assets, err %v; want an incomplete scan", len(assets), err)
	}
	// The database goes away after Configure found it.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "var/lib/dpkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, env = newCollector(t, root)
	if err := os.Remove(filepath.Join(root, "var/lib/dpkg/status")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Assets(context.Background(), env); err == nil {
		t.Error("Assets with the database gone: no error")
	}
	if got := c.Counters(); got["failed_scans"] != 1 {
		t.Errorf("counters %v", got)
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		raw  string
		ok   bool
		want packages.Settings
	}{
		{"", true, packages.DefaultSettings()},
		{`{}`, true, packages.DefaultSettings()},
		{`{"timeout":"30s"}`, true, packages.Settings{Timeout: plugin.Duration(30e9)}},
		{`{"timeout":"1h"}`, false, packages.Settings{}},
		{`{"timeout":30}`, false, packages.Settings{}},
		{`{"scanner":"relative/vigil-scan"}`, false, packages.Settings{}},
		{`{"scanner":"/nonexistent/vigil-scan"}`, false, packages.Settings{}},
		{`{"unknown":1}`, false, packages.Settings{}},
		{`{} {}`, false, packages.Settings{}},
		{`{} }`, false, packages.Settings{}},
	}
	for _, tt := range tests {
		got, err := packages.ParseSettings(json.RawMessage(tt.raw))
		if tt.ok != (err == nil) {
			t.Errorf("ParseSettings(%s): %v, want ok %v", tt.raw, err, tt.ok)
			continue
		}
		if tt.ok && got != tt.want {
			t.Errorf("ParseSettings(%s) = %+v, want %+v", tt.raw, got, tt.want)
		}
	}
	c := packages.New()
	if err := c.ApplySettings(json.RawMessage(`{"timeout":"bad"}`)); err == nil {
		t.Error("ApplySettings took a bad timeout")
	}
}

func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{"", `{"timeout":"30s"}`, `{"scanner":"/x"}`, `{"timeout":"3h"}`, `{"timeout":"-1s"}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := packages.ParseSettings(b)
		if err == nil && s.Timeout <= 0 {
			t.Errorf("accepted %q as %+v", b, s)
		}
	})
}

func TestPlugin(t *testing.T) {
	c := packages.New()
	if c.Name() != packages.Name || c.DefaultInterval() <= 0 || !c.Requirements().Root ||
		len(c.Kinds()) != 1 || c.Kinds()[0] != event.AssetPackage {
		t.Errorf("name %q, interval %v, requirements %+v, kinds %v", c.Name(), c.DefaultInterval(), c.Requirements(), c.Kinds())
	}
}

// TestNoScannerLinked: the collector runs the scanner; it must not link
// its extractors into the agent.
func TestNoScannerLinked(t *testing.T) { scantest.NoScannerLinked(t, ".") }
