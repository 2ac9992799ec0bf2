package listeners_test

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/net/listeners"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

var ssUser = regexp.MustCompile(`\("((?:[^"\\]|\\.)*)",pid=\d+`)

// ssListeners runs ss -ltnupH and returns each listener's key with the
// names of the processes ss shows for it.
func ssListeners(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("ss", "-ltnupH").Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("ss line %q", line)
		}
		local := f[4]
		i := strings.LastIndexByte(local, ':')
		host, port := local[:i], local[i+1:]
		if j := strings.IndexByte(host, '%'); j >= 0 { // bound to a device
			host = host[:j]
		}
		if host == "*" { // ss writes a dual-stack IPv6 listener so
			host = "[::]"
		}
		key := f[0] + "/" + host + ":" + port
		names := got[key]
		for _, m := range ssUser.FindAllStringSubmatch(strings.Join(f[6:], " "), -1) {
			names = append(names, m[1])
		}
		slices.Sort(names)
		got[key] = slices.Compact(names)
	}
	return got
}

// ours returns the collector's listeners in the form of ssListeners.
func ours(t *testing.T, c *listeners.Collector) map[string][]string {
	t.Helper()
	assets := collecttest.Assets(t, c, plugin.Env{Root: "/"})
	got := map[string][]string{}
	for _, a := range assets {
		got[a.Key] = nil
		if n := event.Event(a.Fields).String("process.name"); n != "" {
			got[a.Key] = []string{n}
		}
	}
	return got
}

// TestHostMatchesSS compares the listeners of this host with ss -ltnup:
// the same addresses, and for each the process ss shows (one of them
// when ss shows several), or none when ss shows none. The test opens a
// TCP and a UDP listener on each loopback address itself. Other programs
// may open and close sockets meanwhile: the comparison is exact when two
// runs of ss around the collector agree, which is retried a few times.
func TestHostMatchesSS(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss (iproute2) is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to see every process's descriptors")
	}
	own := openListeners(t)
	comm := selfComm(t)
	c := listeners.New()
	var before, got, after map[string][]string
	for try := 0; try < 5; try++ {
		before, got, after = ssListeners(t), ours(t, c), ssListeners(t)
		if sameSet(before, after) {
			break
		}
	}
	for _, k := range own {
		if names, ok := got[k]; !ok || !slices.Equal(names, []string{comm}) {
			t.Errorf("own listener %s: %v, %v; want process %q", k, names, ok, comm)
		}
	}
	exact := sameSet(before, after)
	for k, names := range got {
		ss, inBefore := before[k]
		if !inBefore {
			ss, inBefore = after[k]
		}
		if !inBefore {
			t.Errorf("%s (process %v) is not in ss", k, names)
			continue
		}
		switch {
		case len(ss) == 0 && len(names) > 0:
			t.Errorf("%s: process %v, ss shows none", k, names)
		case len(ss) > 0 && (len(names) == 0 || !slices.Contains(ss, names[0])):
			t.Errorf("%s: process %v, ss shows %v", k, names, ss)
		}
	}
	for k, ss := range before {
		if _, ok := got[k]; !ok && (exact || after[k] != nil || hasKey(after, k)) {
			t.Errorf("%s (processes %v) is in ss, not in the inventory", k, ss)
		}
	}
	t.Logf("%d listeners, exact comparison: %v", len(got), exact)
}

func hasKey(m map[string][]string, k string) bool { _, ok := m[k]; return ok }

// selfComm returns this process's command name.
func selfComm(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// BenchmarkHost runs the collector on this host (see collecttest.Benchmark).
func BenchmarkHost(b *testing.B) {
	collecttest.Benchmark(b, listeners.New(), plugin.Env{Root: "/"})
}
