package accounts_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/risk/accounts"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/passwords/passwordstest"
	"github.com/vigilsec/vigil/internal/scan/scantest"
)

// scanner is the vigil-scan built for these tests.
var scanner string

func TestMain(m *testing.M) { os.Exit(scantest.Main(m, &scanner)) }

// policyWord is the settings' extra word.
const policyWord = "Vigil-Policy#7"

func newCollector(t *testing.T, root, settings string) (*accounts.Collector, plugin.Env) {
	t.Helper()
	if scanner == "" {
		t.Skip("no go command to build vigil-scan with")
	}
	c := accounts.New()
	c.Scanner = scanner
	env := plugin.Env{Root: root}
	if err := c.Configure(env); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := c.ApplySettings(json.RawMessage(settings)); err != nil {
		t.Fatalf("ApplySettings: %v", err)
	}
	return c, env
}

// testRoot has one account per kind of finding, with cheap hashes, and
// returns what must never show in an asset.
func testRoot(t *testing.T) (string, []string) {
	t.Helper()
	strong := []string{passwordstest.StrongPassword(t), passwordstest.StrongPassword(t), passwordstest.StrongPassword(t)}
	root := passwordstest.Root(t, "app01.example.net", []passwordstest.Account{
		{Name: "root", Password: strong[0], Method: "SHA256", Rounds: 1000},
		{Name: "alice", Shell: "/bin/bash", Groups: []string{"sudo"}, Password: "P@ssw0rd", Method: "SHA512"},
		{Name: "bob", Shell: "/bin/bash", Password: "bob@123", Method: "MD5"},
		{Name: "carol", Shell: "/bin/bash", Password: policyWord, Method: "bcrypt", Rounds: 4},
		{Name: "ivan", Shell: "/bin/bash", Method: "empty"},
		{Name: "toor", Shell: "/bin/sh", UID0: true, Password: strong[1], Method: "SHA256", Rounds: 1000},
		{Name: "mallory", Shell: "/bin/bash", Password: strong[2], Method: "MD5"},
		{Name: "judy", Shell: "/bin/bash", Password: "Admin@123", Method: "SHA256", Lock: true},
	})
	secrets := append(strong, "P@ssw0rd", "bob@123", policyWord, "Admin@123")
	return root, append(secrets, passwordstest.Secrets(t, root)...)
}

func noSecrets(t *testing.T, what string, data []byte, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(string(data), s) {
			t.Errorf("%s holds a hash or a password (%d characters)", what, len(s))
		}
	}
}

func TestAssets(t *testing.T) {
	root, secrets := testRoot(t)
	c, env := newCollector(t, root, fmt.Sprintf(`{"words":[%q],"cpu":1}`, policyWord))
	env.DataDir = t.TempDir()
	assets := collecttest.Assets(t, c, env)
	collecttest.Golden(t, "testdata/assets.golden.json", assets)
	data, err := json.Marshal(assets)
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, "the assets", data, secrets)

	dir := filepath.Join(env.DataDir, "state", "risk", "accounts")
	for _, name := range []string{"state.json", "policy.txt"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", name, fi, err)
		}
	}
	state, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, "the state file", state, secrets)

	first := c.Counters()
	if first["scans"] != 1 || first["failed_scans"] != 0 || first["hashes"] == 0 {
		t.Errorf("counters %v", first)
	}
	// The second run hashes nothing and finds the same.
	again := collecttest.Assets(t, c, env)
	if d := cmp.Diff(collecttest.Digest(t, assets), collecttest.Digest(t, again)); d != "" {
		t.Errorf("second run differs: %s", d)
	}
	if got := c.Counters(); got["hashes"] != first["hashes"] {
		t.Errorf("second run hashed %d times", got["hashes"]-first["hashes"])
	}

	// Without the policy's words, carol's password is no longer found
	// and the list file is gone.
	if err := c.ApplySettings(json.RawMessage(`{"cpu":1}`)); err != nil {
		t.Fatal(err)
	}
	third := collecttest.Assets(t, c, env)
	for _, a := range third {
		if a.Name == "carol" {
			t.Errorf("carol still found without the policy's words: %s", a.Key)
		}
	}
	if len(third) != len(assets)-1 {
		t.Errorf("%d assets without the policy's words, want %d", len(third), len(assets)-1)
	}
	if _, err := os.Stat(filepath.Join(dir, "policy.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("policy.txt left behind: %v", err)
	}
}

// TestAssetsNoDataDir: without a data directory the scan runs without
// memory, and the temporary word list is removed.
func TestAssetsNoDataDir(t *testing.T) {
	root := passwordstest.Root(t, "h", []passwordstest.Account{
		{Name: "carol", Shell: "/bin/bash", Password: policyWord, Method: "MD5"},
	})
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	c, env := newCollector(t, root, fmt.Sprintf(`{"words":[%q],"cpu":1}`, policyWord))
	assets := collecttest.Assets(t, c, env)
	if len(assets) != 1 || assets[0].Key != "account:carol:dictionary" {
		t.Fatalf("assets %v", assets)
	}
	wp := assets[0].Fields["vigil"].(map[string]any)["weak_password"].(map[string]any)
	if wp["source"] != "list:policy" || wp["severity"] != "high" || wp["scheme"] != "md5crypt" {
		t.Errorf("finding %v", wp)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("left in the temporary folder: %v", ents)
	}
}

// TestAssetsPartial: a scan cut by its time limit reports what it knows
// when a state keeps its progress, and fails without one.
func TestAssetsPartial(t *testing.T) {
	root := passwordstest.Root(t, "h", []passwordstest.Account{
		{Name: "slow", Shell: "/bin/bash", Password: passwordstest.StrongPassword(t), Method: "SHA512", Rounds: 200000},
		{Name: "open", Shell: "/bin/bash", Method: "empty"},
	})
	c, env := newCollector(t, root, `{"cpu":1,"timeout":"1s"}`)
	if _, err := c.Assets(context.Background(), env); err == nil || !strings.Contains(err.Error(), "time limit") {
		t.Errorf("without a data directory: %v, want a time limit error", err)
	}
	env.DataDir = t.TempDir()
	assets, err := c.Assets(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if len(assets) != 1 || assets[0].Key != "account:open:empty" {
		t.Errorf("assets %v", assets)
	}
	if got := c.Counters(); got["partial_scans"] != 1 || got["pending_accounts"] != 1 || got["failed_scans"] != 1 {
		t.Errorf("counters %v", got)
	}
}

func TestConfigureUnsupported(t *testing.T) {
	if scanner == "" {
		t.Skip("no go command to build vigil-scan with")
	}
	root, _ := testRoot(t)
	tests := []struct {
		name    string
		scanner string
		root    string
		reason  string
	}{
		{"no scanner", filepath.Join(t.TempDir(), "vigil-scan"), root, "scanner not found"},
		{"scanner not next to the agent", "", root, "scanner not found"},
		{"no account database", scanner, t.TempDir(), "no account database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := accounts.New()
			c.Scanner = tt.scanner
			err := c.Configure(plugin.Env{Root: tt.root})
			if !errors.Is(err, plugin.ErrUnsupported) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Configure: %v, want unsupported: %s", err, tt.reason)
			}
		})
	}
}

func TestSettings(t *testing.T) {
	many := make([]string, accounts.MaxWords+1)
	for i := range many {
		many[i] = fmt.Sprint("w", i)
	}
	tooMany, err := json.Marshal(map[string]any{"words": many})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		raw  string
		ok   bool
		want accounts.Settings
	}{
		{"", true, accounts.DefaultSettings()},
		{`{}`, true, accounts.DefaultSettings()},
		{`{"cpu":0.5,"timeout":"30s","words":["a","b c"]}`, true, accounts.Settings{CPU: 0.5, Timeout: plugin.Duration(30e9), Words: []string{"a", "b c"}}},
		{`{"cpu":1}`, true, accounts.Settings{CPU: 1, Timeout: accounts.DefaultSettings().Timeout}},
		{`{"cpu":0}`, false, accounts.Settings{}},
		{`{"cpu":-0.1}`, false, accounts.Settings{}},
		{`{"cpu":1.01}`, false, accounts.Settings{}},
		{`{"timeout":"1h"}`, false, accounts.Settings{}},
		{`{"timeout":30}`, false, accounts.Settings{}},
		{`{"words":[""]}`, false, accounts.Settings{}},
		{`{"words":["a\nb"]}`, false, accounts.Settings{}},
		{`{"words":["a\u0000"]}`, false, accounts.Settings{}},
		{fmt.Sprintf(`{"words":[%q]}`, strings.Repeat("x", accounts.MaxWordBytes+1)), false, accounts.Settings{}},
		{string(tooMany), false, accounts.Settings{}},
		{`{"words":"a"}`, false, accounts.Settings{}},
		{`{"unknown":1}`, false, accounts.Settings{}},
		{`{} {}`, false, accounts.Settings{}},
	}
	for _, tt := range tests {
		got, err := accounts.ParseSettings(json.RawMessage(tt.raw))
		if tt.ok != (err == nil) {
			t.Errorf("ParseSettings(%.60s): %v, want ok %v", tt.raw, err, tt.ok)
			continue
		}
		if d := cmp.Diff(tt.want, got); tt.ok && d != "" {
			t.Errorf("ParseSettings(%s) (-want +got):\n%s", tt.raw, d)
		}
	}
	c := accounts.New()
	if err := c.ApplySettings(json.RawMessage(`{"cpu":2}`)); err == nil {
		t.Error("ApplySettings took cpu 2")
	}
	if c.DefaultInterval().Hours() != 24 {
		t.Errorf("interval %s", c.DefaultInterval())
	}
}

func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{"", `{"cpu":0.25}`, `{"words":["a"]}`, `{"timeout":"3h"}`, `{"cpu":"x"}`, `[]`, `{"words":[null]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := accounts.ParseSettings(raw)
		if err != nil {
			return
		}
		if !(s.CPU > 0 && s.CPU <= 1) || len(s.Words) > accounts.MaxWords {
			t.Fatalf("accepted %+v", s)
		}
		for _, w := range s.Words {
			if w == "" || len(w) > accounts.MaxWordBytes || strings.ContainsAny(w, "\x00\r\n") {
				t.Fatalf("accepted word %q", w)
			}
		}
	})
}

// TestLean: the collector links neither the scanner nor its hashing.
func TestLean(t *testing.T) {
	scantest.NoScannerLinked(t, ".")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "internal/scan/passwords") || strings.Contains(dep, "yescrypt") || strings.Contains(dep, "GehirnInc") {
			t.Errorf("links %s", dep)
		}
	}
}

// TestKinds: the items are of the collector's kind.
func TestKinds(t *testing.T) {
	if k := accounts.New().Kinds(); len(k) != 1 || k[0] != event.AssetWeakPassword {
		t.Errorf("kinds %v", k)
	}
}
