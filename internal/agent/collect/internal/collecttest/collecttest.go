// Package collecttest holds what the tests of the inventory collectors
// share: golden files of asset sets, the checks the runtime makes of a
// set, its digest, the host's tools to compare with, and a benchmark of
// one run on the host. It registers the -update flag, which rewrites the
// golden files.
package collecttest

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
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
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
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
			t.Errorf("%s/%s: %v", a.Kind, a.Key, err)
		}
		if !slices.Contains(c.Kinds(), a.Kind) {
			t.Errorf("%s/%s: kind is not among %v", a.Kind, a.Key, c.Kinds())
		}
		if seen[a.ID()] {
			t.Errorf("%s/%s: key twice", a.Kind, a.Key)
		}
		seen[a.ID()] = true
	}
}

// Assets runs the collector once on env, fails the test on an error and
// checks the set (Check).
func Assets(t testing.TB, c plugin.AssetCollector, env plugin.Env) []event.Asset {
	t.Helper()
	assets, err := c.Assets(context.Background(), env)
	if err != nil {
		t.Fatalf("Assets(%s): %v", env.Root, err)
	}
	Check(t, c, assets)
	return assets
}

// Digest returns the inventory digest of a set, as the runtime computes
// it to tell whether anything changed.
func Digest(t testing.TB, assets []event.Asset) string {
	t.Helper()
	items := map[string][32]byte{}
	for _, a := range assets {
		h, err := a.Hash()
		if err != nil {
			t.Fatal(err)
		}
		items[a.ID()] = h
	}
	return event.InventoryDigest(items)
}

// Tool runs a command of this host with env added to the environment and
// returns its output, skipping the test when the command is not
// installed.
func Tool(t testing.TB, env []string, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed", name)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return out
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
