package services_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/os/services"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
)

// systemctlStates runs systemctl list-unit-files on the unit files of the
// host (offline: --root=/ reads the files, as the collector does, whether
// or not systemd runs) and returns each unit's state.
func systemctlStates(t *testing.T, types string) map[string]string {
	t.Helper()
	out, err := exec.Command("systemctl", "--root=/", "--no-pager", "--no-legend", "list-unit-files", "--type="+types).Output()
	if err != nil {
		t.Fatalf("systemctl list-unit-files: %v", err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		got[f[0]] = f[1]
	}
	return got
}

// TestHostMatchesSystemctl compares the unit files of this host and their
// enablement with systemctl list-unit-files.
func TestHostMatchesSystemctl(t *testing.T) {
	if _, err := exec.LookPath("systemctl"); err != nil {
		t.Skip("systemctl is not installed: not a systemd host")
	}
	fsys, err := rootfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	// The types listed, and every type, as a check of the state logic.
	for _, types := range [][]string{services.UnitTypes, nil} {
		arg := strings.Join(types, ",")
		if arg == "" {
			arg = "service,socket,timer,path,target,mount,automount,swap,slice,scope,device"
		}
		want := systemctlStates(t, arg)
		units, _ := services.ListUnitFiles(fsys, types...)
		got := map[string]string{}
		for _, u := range units {
			got[u.Name] = u.State
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("unit files of types %s (-systemctl +inventory):\n%s", arg, d)
		}
		t.Logf("%d unit files of types %s", len(got), arg)
	}
}

// BenchmarkHost runs the collector on this host (see collecttest.Benchmark).
func BenchmarkHost(b *testing.B) {
	collecttest.Benchmark(b, services.New(), plugin.Env{Root: "/"})
}
