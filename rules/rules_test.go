package rules_test

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/detect/ruleset"
	"github.com/vigilsec/vigil/rules"
)

func load(t *testing.T) *ruleset.RuleSet {
	t.Helper()
	rs := ruleset.Load([]ruleset.Source{{Name: "builtin", FS: rules.FS(), Root: "."}}, ruleset.Options{})
	for _, p := range rs.Problems {
		t.Errorf("shipped rule not loaded: %s", p.Error())
	}
	return rs
}

// TestPackLoads loads every shipped rule: none may be a problem.
func TestPackLoads(t *testing.T) {
	rs := load(t)
	if len(rs.Rules) == 0 {
		t.Fatal("no rules")
	}
	t.Logf("%d rules", len(rs.Rules))
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// TestPackMetadata checks what every shipped rule must say of itself. A
// meta filter, which raises nothing, needs its id, description and
// author.
func TestPackMetadata(t *testing.T) {
	for _, r := range load(t).Rules {
		name := r.File + ": " + r.Title
		if !uuidRE.MatchString(r.ID) {
			t.Errorf("%s: id %q is not a lower-case UUID", name, r.ID)
		}
		if r.Kind == ruleset.KindFilter {
			if strings.TrimSpace(r.Description) == "" || strings.TrimSpace(r.Author) == "" {
				t.Errorf("%s: description and author are required", name)
			}
			continue
		}
		if !slices.Contains([]string{"stable", "test", "experimental"}, r.Status) {
			t.Errorf("%s: status %q: want stable, test or experimental", name, r.Status)
		}
		if !slices.Contains([]string{"informational", "low", "medium", "high", "critical"}, r.Level) {
			t.Errorf("%s: level %q", name, r.Level)
		}
		if len(r.Techniques) == 0 {
			t.Errorf("%s: no ATT&CK technique tag (attack.tNNNN)", name)
		}
		if len(r.FalsePositives) == 0 {
			t.Errorf("%s: no falsepositives notes", name)
		}
		if strings.TrimSpace(r.Description) == "" || strings.TrimSpace(r.Author) == "" {
			t.Errorf("%s: description and author are required", name)
		}
	}
}

// TestPackTests runs every test file, and checks that every rule file
// has one in which each of its alerting rules fires and a case in which
// nothing fires.
func TestPackTests(t *testing.T) {
	rs := load(t)
	results := ruleset.RunTests(rs, rules.FS(), ".")
	fired := map[string]bool{}  // rule id
	quiet := map[string]bool{}  // test file with a case that raises nothing
	tested := map[string]bool{} // rule file with a test file
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s:%d: %s: %v", r.File, r.Line, r.Case, r.Err)
			continue
		}
		tested[strings.TrimSuffix(r.File, ruleset.TestSuffix)+".yml"] = true
		if len(r.Fired) == 0 {
			quiet[r.File] = true
		}
		for id := range r.Fired {
			fired[id] = true
		}
	}
	files := map[string]bool{}
	for _, r := range rs.Rules {
		files[r.File] = true
		if r.Alerts && !fired[r.ID] {
			t.Errorf("%s: rule %s (%s) fires in no test case", r.File, r.ID, r.Title)
		}
	}
	for f := range files {
		if !tested[f] {
			t.Errorf("%s: no test file (%s)", f, strings.TrimSuffix(f, ".yml")+ruleset.TestSuffix)
			continue
		}
		if !quiet[strings.TrimSuffix(f, ".yml")+ruleset.TestSuffix] {
			t.Errorf("%s: its tests have no case in which nothing fires", f)
		}
	}
	t.Logf("%d cases", len(results))
}

// TestFilesAreRulesOrTests keeps stray files out of the pack.
func TestFilesAreRulesOrTests(t *testing.T) {
	err := fs.WalkDir(rules.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(p, ".yml") {
			t.Errorf("%s: the pack holds only .yml rules and %s tests", p, ruleset.TestSuffix)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
