// Package assettest holds what the tests of the inventory collectors
// share: golden files of asset sets, the checks the runtime makes of a
// set, and a benchmark of one run on the host. It registers the -update
// flag, which rewrites the golden files.
package assettest

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Golden compares assets, as indented JSON, with the golden file, or
// rewrites the file when the test runs with -update.
func Golden(t testing.TB, file string, assets []event.Asset) {
	t.Helper()
	got, err := json.MarshalIndent(assets, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", file, d)
	}
}

// Check checks what the runtime checks of a set: every item valid, of a
// kind the collector reports, with a key unique within its kind.
func Check(t testing.TB, c plugin.AssetCollector, assets []event.Asset) {
	t.Helper()
	seen := map[string]bool{}
	for i := range assets {
		a := &assets[i]
		if err := a.Validate(); err != nil {
			t.Errorf("%s: %v", a.Key, err)
		}
		if !slices.Contains(c.Kinds(), a.Kind) {
			t.Errorf("%s: kind %q is not among %v", a.Key, a.Kind, c.Kinds())
		}
		if seen[a.ID()] {
			t.Errorf("key %q twice", a.Key)
		}
		seen[a.ID()] = true
	}
}

// Benchmark runs the collector on env for b.N runs and reports the CPU
// time of a run (cpu-ms/op), the number of items, the process's peak
// resident memory before and after the runs, and the heap still live
// after them (what the collector keeps: caches, the package index).
func Benchmark(b *testing.B, c plugin.AssetCollector, env plugin.Env) {
	if cf, ok := c.(plugin.Configurer); ok {
		if err := cf.Configure(env); err != nil {
			b.Skip(err)
		}
	}
	var n int
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	for b.Loop() {
		assets, err := c.Assets(context.Background(), env)
		if err != nil {
			b.Fatal(err)
		}
		n = len(assets)
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := (after.Utime.Nano() + after.Stime.Nano()) - (before.Utime.Nano() + before.Stime.Nano())
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(n), "assets")
	b.ReportMetric(float64(before.Maxrss)/1024, "maxrss-before-MiB")
	b.ReportMetric(float64(after.Maxrss)/1024, "maxrss-MiB")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-live-MiB")
}
