package baseline_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/collect/compliance/baseline"
	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// shippedDir holds the policies Vigil ships.
const shippedDir = "../../../../../policies"

// shipped parses the shipped policies there are.
func shipped(t testing.TB) []*policy.Policy {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(shippedDir, "*.yml"))
	var out []*policy.Policy
	for _, f := range files {
		out = append(out, readPolicy(t, f))
	}
	return out
}

// hostPolicy is a full policy to evaluate on this machine: the shipped
// Debian 12 benchmark, else another shipped CIS benchmark made to apply
// here (its requirements left out), else the evaluator's example.
func hostPolicy(t testing.TB) *policy.Policy {
	t.Helper()
	ps := shipped(t)
	for _, id := range []string{"cis_debian12", "cis_ubuntu2204", "cis_rhel9"} {
		for _, p := range ps {
			if p.Meta.ID == id {
				p.Requirements = nil
				return p
			}
		}
	}
	return readPolicy(t, examplePolicy)
}

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the collector needs root: it reads /etc/shadow and runs sshd -T")
	}
}

// TestThisHost evaluates the shipped policies, the evaluator's example
// and a full benchmark made to apply on this machine, with its
// commands: every check has its item, and no check passes on a rule
// that could not be evaluated.
func TestThisHost(t *testing.T) {
	needRoot(t)
	ps := append(shipped(t), readPolicy(t, examplePolicy))
	full := hostPolicy(t)
	if id := full.Meta.ID; id != "example_linux" {
		// Under another id, beside the shipped one.
		full.Meta.ID = id + "_here"
		for i := range full.Checks {
			full.Checks[i].ID = full.Meta.ID + strings.TrimPrefix(full.Checks[i].ID, id)
		}
		ps = append(ps, full)
	}
	var entries []baseline.AssignedPolicy
	for _, p := range ps {
		entries = append(entries, assign(t, p))
	}
	c := baseline.New()
	if err := c.ApplySettings(settings(t, entries...)); err != nil {
		t.Fatal(err)
	}
	assets := collecttest.Assets(t, c, plugin.Env{Root: "/"})
	checkItems(t, ps, assets)
	items := byKey(assets)
	for _, p := range ps {
		pf := fields(t, items[p.Meta.ID])
		t.Logf("%s: %s %v score %v in %v ms %v", p.Meta.ID, pf["status"], pf["counts"], pf["score"], pf["duration_ms"], pf["reason"])
		for _, ch := range p.Checks {
			a, ok := items[p.Meta.ID+"/"+ch.ID]
			if !ok {
				continue
			}
			f := fields(t, a)
			if f["status"] == "error" {
				t.Logf("%s: error: %v", ch.ID, f["reason"])
			}
			if f["status"] != "pass" {
				continue
			}
			var holds, fails, errs int
			for _, e := range f["evidence"].([]any) {
				e := e.(map[string]any)
				if e["applies_if"] == true {
					continue
				}
				switch e["result"] {
				case "holds":
					holds++
				case "fails":
					fails++
				default:
					errs++
				}
			}
			ok = false
			switch ch.Condition {
			case policy.All:
				ok = holds == len(ch.Rules) && errs == 0
			case policy.Any:
				ok = holds > 0
			case policy.None:
				ok = fails == len(ch.Rules) && errs == 0
			}
			if !ok {
				t.Errorf("%s passes (%s) with %d rules holding, %d failing, %d errors of %d:\n%v", ch.ID, ch.Condition, holds, fails, errs, len(ch.Rules), f["evidence"])
			}
		}
	}
}

// BenchmarkThisHost evaluates one full policy through the collector on
// this machine, its commands included: wall time (ns/op), CPU of the
// agent (cpu-ms/op) and of the commands it ran (cmd-cpu-ms/op),
// allocations, items and memory.
func BenchmarkThisHost(b *testing.B) {
	needRoot(b)
	p := hostPolicy(b)
	c := baseline.New()
	if err := c.ApplySettings(settings(b, assign(b, p))); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &before)
	collecttest.Benchmark(b, c, plugin.Env{Root: "/"})
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &after)
	cmd := (after.Utime.Nano() + after.Stime.Nano()) - (before.Utime.Nano() + before.Stime.Nano())
	b.ReportMetric(float64(cmd)/float64(b.N)/1e6, "cmd-cpu-ms/op")
	b.ReportMetric(float64(len(p.Checks)), "checks")
}
