package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilsec/vigil/internal/detect/sigma"
	"github.com/vigilsec/vigil/internal/event"
)

// FuzzCompile compiles arbitrary rule files, meta filters attached: New
// never panics, every problem names a file and a reason, and on a set of
// events the index gives the verdicts of evaluating every rule, filters
// included.
func FuzzCompile(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "rules", "linux", "*", "*.yml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "unsupported", "*.yml"))
	for _, s := range append(seeds, more...) {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, c := range matchCases[:40] {
		f.Add([]byte(ruleText("r-1", c.logsource, c.detection)))
	}
	for _, c := range listCases {
		f.Add([]byte(ruleText("r-1", c.logsource, c.detection)))
	}
	for i, c := range matchCases[:12] {
		f.Add([]byte(ruleText("r-1", c.logsource, c.detection) + "---\n" +
			filterText("f-1", []string{"{product: linux}", c.logsource}[i%2], []string{"r-1", "'Rule r-1'"}, c.detection)))
	}
	g := newGen(5)
	fs := g.filterSet(12, 4)
	f.Add([]byte(fs.rules + "---\n" + fs.filters))
	events := []event.Event{
		curlPost, decoded(curlPost),
		networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 4444),
		fileEvent("file-created", "/etc/cron.d/x"),
		authEvent("login-failed", "sshd", "root", "203.0.113.50", "Failed password for root"),
		dnsEvent("dns-answer", "a.example", "198.51.100.1"),
		kmodEvent("rk", "/tmp/rk.ko", false),
		reverseShell, decoded(reverseShell), socketActivated, withAncestryUsers(), withNexthops(),
		{"event": map[string]any{"category": []any{"process", "file"}, "action": "exec"}, "message": []any{1, "x", nil}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set := sigma.Parse("fuzz.yml", data)
		set.Validate()
		e, problems := New(set.Rules, Options{Placeholders: map[string][]string{"Admins": {"root", "adm*"}}})
		for _, p := range problems {
			if p.Pos.File != "fuzz.yml" || p.Reason == "" {
				t.Fatalf("problem without file or reason: %#v", p)
			}
		}
		for _, ev := range events {
			if got, want := ids(e.Match(ev, nil)), ids(e.matchAll(ev, nil)); got != want {
				t.Fatalf("index %q, every rule %q", got, want)
			}
		}
	})
}
