// Package scantest helps the tests of the scanner and of the collectors
// that run it: it builds vigil-scan for a test binary, and lists the
// packages dpkg-query lists.
package scantest

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Main builds vigil-scan into a temporary folder, sets *scanner to its
// path, runs the tests and returns their exit status: call it as
// os.Exit(scantest.Main(m, &scanner)) from TestMain. Without a go
// command, or when the binary runs a fuzz target, nothing is built and
// *scanner stays empty (tests that need it skip).
func Main(m *testing.M, scanner *string) int {
	flag.Parse()
	dir, err := os.MkdirTemp("", "vigil-scan-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if goBin, err := exec.LookPath("go"); err == nil && !fuzzing() {
		path := filepath.Join(dir, "vigil-scan")
		out, err := exec.Command(goBin, "build", "-o", path, "github.com/vigilsec/vigil/cmd/vigil-scan").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build vigil-scan: %v\n%s", err, out)
			return 1
		}
		*scanner = path
	}
	return m.Run()
}

// fuzzing reports whether the test binary runs a fuzz target.
func fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

// DpkgQuery returns the packages dpkg-query -W lists, as "name:arch
// version" lines, sorted; admindir is dpkg's database folder ("" for
// the host's). The test skips when dpkg-query is not installed.
func DpkgQuery(t testing.TB, admindir string) []string {
	t.Helper()
	bin, err := exec.LookPath("dpkg-query")
	if err != nil {
		t.Skip("dpkg-query is not installed")
	}
	args := []string{"-W", "-f", "${Package}:${Architecture} ${Version}\n"}
	if admindir != "" {
		args = append([]string{"--admindir=" + admindir}, args...)
	}
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	sort.Strings(lines)
	return lines
}

// WhileDpkgStill runs f until the host's dpkg database did not change
// while it ran (at most five times): packages may be installed on the
// host meanwhile, and a comparison holds for one state of the database.
func WhileDpkgStill(t testing.TB, f func() (want, got []string)) (want, got []string) {
	t.Helper()
	stamp := func() string {
		fi, err := os.Stat("/var/lib/dpkg/status")
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime().String() + "/" + strconv.FormatInt(fi.Size(), 10)
	}
	for i := 0; ; i++ {
		before := stamp()
		want, got = f()
		if stamp() == before || i == 4 {
			return want, got
		}
		time.Sleep(2 * time.Second)
	}
}

// NoScannerLinked fails the test when one of the packages (import paths
// or relative folders) links the scanner's extractors: the agent links
// them and must stay small.
func NoScannerLinked(t testing.TB, pkgs ...string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	out, err := exec.Command(goBin, append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %d packages: %q", len(deps), out)
	}
	for _, dep := range deps {
		if strings.HasPrefix(dep, "github.com/google/osv-scalibr") || dep == "github.com/vigilsec/vigil/internal/scan" {
			t.Errorf("links %s", dep)
		}
	}
}
