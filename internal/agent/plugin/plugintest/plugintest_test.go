package plugintest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/plugin/plugintest"
)

// recorder collects the failures CheckRegistry reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

// stray is a plugin outside any plugin folder.
type stray struct{}

func (stray) Name() string                      { return "stray" }
func (stray) Requirements() plugin.Requirements { return plugin.Requirements{} }

func TestCheckRegistryReportsProblems(t *testing.T) {
	r := &recorder{TB: t}
	plugintest.CheckRegistry(r, "testdata/sense", []plugin.Plugin{stray{}})
	joined := strings.Join(r.errs, "\n")
	for _, want := range []string{"area/unlisted is not in the list", `"stray"`} {
		if !strings.Contains(joined, want) {
			t.Errorf("reports %q, want one containing %q", joined, want)
		}
	}
	if strings.Contains(joined, "sense/list") {
		t.Errorf("the list package was taken for a plugin: %s", joined)
	}
}

// TestCheckRegistryFromBelow: the list packages name their folder as
// "..", which must be walked, not skipped as a hidden folder.
func TestCheckRegistryFromBelow(t *testing.T) {
	r := &recorder{TB: t}
	plugintest.CheckRegistry(r, "testdata/sense/list/..", []plugin.Plugin{})
	if joined := strings.Join(r.errs, "\n"); !strings.Contains(joined, "area/unlisted is not in the list") {
		t.Errorf("reports %q, want the unlisted plugin", joined)
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"host/facts": true, "selfguard": true, "exec/ebpf": true, "app/nginx-1.2": true,
		"": false, "Host/facts": false, "host//facts": false, "/x": false, "x/": false, "-x": false,
		"a b": false, strings.Repeat("a", 65): false,
	} {
		if got := plugintest.ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}
