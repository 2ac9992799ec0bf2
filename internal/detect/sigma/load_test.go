package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

const goodRule = `title: Good
id: 50000000-0000-4000-8000-00000000000%d
logsource: {product: linux, category: process_creation}
detection:
    sel:
        Image|endswith: /nc
    condition: sel
`

func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"rules/linux/a.yml":           {Data: []byte(strings.Replace(goodRule, "%d", "1", 1))},
		"rules/linux/b.yaml":          {Data: []byte(strings.Replace(goodRule, "%d", "2", 1))},
		"rules/linux/broken.yml":      {Data: []byte("title: [\n")},
		"rules/linux/dup.yml":         {Data: []byte(strings.Replace(goodRule, "%d", "1", 1))},
		"rules/linux/README.md":       {Data: []byte("# not a rule")},
		"rules/.git/config.yml":       {Data: []byte("title: [")},
		"rules/linux/sub/c.YML":       {Data: []byte(strings.Replace(goodRule, "%d", "3", 1))},
		"rules/linux/correlation.yml": {Data: []byte("title: c\ncorrelation:\n    type: event_count\n    rules: [50000000-0000-4000-8000-000000000001]\n    timespan: 1m\n    condition: {gte: 3}\n")},
	}
	set := LoadFS(fsys, "rules")
	var ids []string
	for _, r := range set.Rules {
		ids = append(ids, r.Pos.File+"="+r.ID[len(r.ID)-1:])
	}
	if got := strings.Join(ids, " "); got != "rules/linux/a.yml=1 rules/linux/b.yaml=2 rules/linux/sub/c.YML=3" {
		t.Errorf("rules: %s", got)
	}
	if len(set.Correlations) != 1 {
		t.Errorf("%d correlations", len(set.Correlations))
	}
	if len(set.Errors) != 2 {
		t.Fatalf("errors: %v", set.Errors)
	}
	if e := set.Errors[0]; e.Pos.File != "rules/linux/broken.yml" || e.Pos.Line != 2 || !errors.Is(e, ErrSyntax) {
		t.Errorf("first error: %v", e)
	}
	if e := set.Errors[1]; e.Pos.File != "rules/linux/dup.yml" || !errors.Is(e, ErrDuplicate) {
		t.Errorf("second error: %v", e)
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "linux"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "linux", "a.yml"), []byte(strings.Replace(goodRule, "%d", "1", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	set := LoadDir(dir)
	if len(set.Rules) != 1 || set.Rules[0].Pos.File != filepath.Join(dir, "linux", "a.yml") {
		t.Fatalf("rules %+v, errors %v", set.Rules, set.Errors)
	}
	missing := LoadDir(filepath.Join(dir, "nope"))
	if len(missing.Errors) != 1 || !strings.Contains(missing.Errors[0].Reason, "cannot read") {
		t.Errorf("missing folder: %v", missing.Errors)
	}
}
