package compare

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/bench/compliance/measure"
	"github.com/vigilsec/vigil/internal/compliance/eval"
)

// TestRowsMatchThePolicy keeps the table and the shipped policy
// together: every row names an existing check, every scope fits its
// check's rules, and the texts are there.
func TestRowsMatchThePolicy(t *testing.T) {
	p, err := measure.LoadShipped(PolicyID)
	if err != nil {
		t.Fatal(err)
	}
	rows := Rows()
	if len(rows) < 50 {
		t.Fatalf("%d rows, want the whole table", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.Key()] {
			t.Errorf("row %s twice", r.Key())
		}
		seen[r.Key()] = true
		if p.Check(r.CheckID()) == nil {
			t.Errorf("row %s: no check %s in %s", r.Key(), r.CheckID(), PolicyID)
		}
		if r.Control == "" || r.Reading == "" || r.Note == "" || len(r.Probes) == 0 {
			t.Errorf("row %s: control, reading, note and probes are all needed", r.Key())
		}
		for _, pr := range r.Probes {
			if !strings.HasPrefix(r.Lynis, pr.Test) {
				t.Errorf("row %s: probe of %s", r.Key(), pr.Test)
			}
			if pr.Finding == nil && pr.Detail == "" && pr.FailValue == "" && len(pr.Fail) == 0 {
				t.Errorf("row %s: probe of %s cannot fail", r.Key(), pr.Test)
			}
		}
	}
	sp, err := ScopedPolicy(p, rows)
	if err != nil {
		t.Fatal(err)
	}
	scoped := 0
	for _, r := range rows {
		if !r.Scope.IsZero() {
			scoped++
		}
	}
	if len(sp.Checks) != scoped {
		t.Errorf("scoped policy has %d checks, want %d", len(sp.Checks), scoped)
	}
}

func TestScopeDriftIsAnError(t *testing.T) {
	p, err := measure.LoadShipped(PolicyID)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		row  Row
		want string
	}{
		{"no such check", Row{Lynis: "X-1", Check: "99.9", Scope: Scope{Running: true}}, "has no check cis_debian12.99.9"},
		{"rule out of range", Row{Lynis: "X-1", Check: "1.5.1", Scope: Scope{Rules: []int{3}}}, "rule 3: the check has 1 rules"},
		{"running without sysctl", Row{Lynis: "X-1", Check: "5.1.16", Scope: Scope{Running: true}}, "no sysctl rule"},
		{"loaded without module", Row{Lynis: "X-1", Check: "1.5.1", Scope: Scope{LoadedOnly: true}}, "no module rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ScopedPolicy(p, []Row{tt.row})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one holding %q", err, tt.want)
			}
		})
	}
}

func TestScopedRulesDoNotChangeThePolicy(t *testing.T) {
	p, err := measure.LoadShipped(PolicyID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ScopedPolicy(p, Rows()); err != nil {
		t.Fatal(err)
	}
	if c := p.Check(PolicyID + ".1.5.1"); c == nil || !c.Rules[0].Sysctl.Persistent {
		t.Error("ScopedPolicy changed the shipped check 1.5.1")
	}
	if c := p.Check(PolicyID + ".1.1.1.1"); c == nil || c.Rules[0].Module.Loadable == nil {
		t.Error("ScopedPolicy changed the shipped check 1.1.1.1")
	}
}

// TestScopedVerdicts evaluates the full and the scoped policy with
// Vigil's evaluator on a host folder whose running values are right and
// whose configuration sets none of them.
func TestScopedVerdicts(t *testing.T) {
	root := t.TempDir()
	for p, data := range map[string]string{
		"etc/os-release":                        "ID=debian\nVERSION_ID=\"12\"\n",
		"proc/sys/kernel/randomize_va_space":    "2\n",
		"proc/sys/fs/suid_dumpable":             "0\n",
		"proc/sys/net/ipv4/ip_forward":          "1\n",
		"proc/sys/net/ipv4/conf/all/forwarding": "1\n",
		"proc/sys/kernel/osrelease":             "6.1.0-test\n",
		"proc/modules":                          "",
	} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := measure.LoadShipped(PolicyID)
	if err != nil {
		t.Fatal(err)
	}
	rows := Rows()
	sp, err := ScopedPolicy(p, rows)
	if err != nil {
		t.Fatal(err)
	}
	env, err := measure.Env(root)
	if err != nil {
		t.Fatal(err)
	}
	full, scoped := eval.Run(context.Background(), p, env), eval.Run(context.Background(), sp, env)
	byLynis := map[string]Row{}
	for _, r := range rows {
		byLynis[r.Lynis] = r
	}
	tests := []struct {
		lynis        string
		full, scoped Verdict
	}{
		// Right running value, not persistent: CIS fails, Lynis's scope passes.
		{"KRNL-6000:kernel.randomize_va_space", Fail, Pass},
		{"KRNL-6000:fs.suid_dumpable", Fail, Pass},
		// Wrong running value: both fail.
		{"KRNL-6000:net.ipv4.conf.all.forwarding", Fail, Fail},
		// Not loaded: the scope passes; no module tree: so does the check.
		{"FILE-6430:cramfs", Pass, Pass},
	}
	for _, tt := range tests {
		r, ok := byLynis[tt.lynis]
		if !ok {
			t.Fatalf("no row %s", tt.lynis)
		}
		if got := vigilReading(&full, r.CheckID()); got.Verdict != tt.full {
			t.Errorf("%s: full %s (%s), want %s", tt.lynis, got.Verdict, got.Evidence, tt.full)
		}
		if got := vigilReading(&scoped, r.Key()); got.Verdict != tt.scoped {
			t.Errorf("%s: scoped %s (%s), want %s", tt.lynis, got.Verdict, got.Evidence, tt.scoped)
		}
	}
}
