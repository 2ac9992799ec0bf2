package ruleset_test

import (
	"os"
	"regexp"
	"sort"
	"testing"

	"github.com/vigilsec/vigil/internal/detect/ruleset"
)

// TestSigmaHQ loads a checkout of SigmaHQ's rules (the folder in
// VIGIL_SIGMAHQ_RULES, e.g. sigma/rules/linux): every rule Vigil cannot
// evaluate must say why (rules that are invalid per the specification
// say that). SigmaHQ's
// rules are not part of this project, so the test runs only where a
// checkout is given; it prints what loaded and the reasons of the rest.
func TestSigmaHQ(t *testing.T) {
	dir := os.Getenv("VIGIL_SIGMAHQ_RULES")
	if dir == "" {
		t.Skip("VIGIL_SIGMAHQ_RULES names no checkout of SigmaHQ's rules")
	}
	rs := ruleset.Load([]ruleset.Source{{Name: "sigmahq", FS: os.DirFS(dir), Root: "."}}, ruleset.Options{})
	// A reason without its specifics (field names, values) for counting.
	specific := regexp.MustCompile(`"[^"]*"|'[^']*'|\b[A-Z][A-Za-z0-9_]*\b`)
	reasons := map[string]int{}
	for _, p := range rs.Problems {
		if p.Reason == "" {
			t.Errorf("%s: no reason", p.Error())
		}
		reasons[specific.ReplaceAllString(p.Reason, "…")]++
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return reasons[keys[i]] > reasons[keys[j]] })
	for _, k := range keys {
		t.Logf("%4d  %s", reasons[k], k)
	}
	t.Logf("%d rules loaded, %d not loaded", len(rs.Rules), len(rs.Problems))
}
