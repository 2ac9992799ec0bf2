package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary files to the parser: it must never panic,
// every error must name the file, a line and a known kind, and every
// document kept must be complete: a meta filter kept has rules, a
// resolved condition, and is attached to the rules of the set it names.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seeds", "*.yml"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(ruleDoc("    sel:\n        x|contains|all: [a, b]\n    condition: sel\n")))
	f.Add([]byte("action: global\ntitle: t\n---\nlogsource: {product: linux}\ndetection: {s: {x: 1}, condition: s}\n---\naction: repeat\nid: x\n"))
	f.Add([]byte("title: c\ncorrelation: {type: event_count, rules: [a], timespan: 5m, condition: {gte: 2}}\n"))
	f.Add([]byte("---\n...\n%YAML 1.2\n---\n"))
	f.Add([]byte(ruleDoc("    sel:\n        x: 1\n    condition: sel\n") + "---\n" + filterDoc("    rules: [00000000-0000-4000-8000-000000000001, Test rule, nope]\n    sel: {User: x}\n    condition: not sel\n")))
	f.Add([]byte(filterDoc("    rules: any\n    sel: [a, b]\n    condition: sel\n")))
	f.Add([]byte(filterDoc("    rules: [a, a]\n    condition: not\n")))
	kinds := []error{ErrSyntax, ErrInvalid, ErrUnknownModifier, ErrModifierCombination, ErrCondition,
		ErrDeprecatedAggregation, ErrUnsupported, ErrDuplicate, ErrReference}
	f.Fuzz(func(t *testing.T, data []byte) {
		set := Parse("fuzz.yml", data)
		set.Validate()
		for _, e := range set.Errors {
			if e.Pos.File != "fuzz.yml" || e.Pos.Line < 1 || e.Reason == "" {
				t.Fatalf("error without position or reason: %#v", e)
			}
			known := false
			for _, k := range kinds {
				if errors.Is(e, k) {
					known = true
				}
			}
			if !known {
				t.Fatalf("error of no known kind: %v", e)
			}
		}
		for _, r := range set.Rules {
			if r.Title == "" || r.Detection == nil || len(r.Detection.Conditions) == 0 || r.Pos.Line < 1 {
				t.Fatalf("incomplete rule kept: %+v", r)
			}
			for _, c := range r.Detection.Conditions {
				checkResolved(t, c.Expr, r.Detection)
			}
		}
		for _, c := range set.Correlations {
			if c.Title == "" || len(c.Rules) == 0 || c.Timespan <= 0 {
				t.Fatalf("incomplete correlation kept: %+v", c)
			}
		}
		attached := map[*Filter]int{}
		for _, r := range set.Rules {
			for _, f := range r.Filters {
				attached[f]++
			}
		}
		for _, f := range set.Filters {
			if f.Title == "" || len(f.Rules) == 0 || f.Detection == nil || len(f.Detection.Conditions) == 0 || f.Pos.Line < 1 {
				t.Fatalf("incomplete filter kept: %+v", f)
			}
			for _, c := range f.Detection.Conditions {
				checkResolved(t, c.Expr, f.Detection)
			}
			if attached[f] == 0 {
				t.Fatalf("filter %q kept but attached to no rule", f.Title)
			}
			delete(attached, f)
		}
		if len(attached) > 0 {
			t.Fatalf("%d filters attached to rules but not in the set", len(attached))
		}
	})
}

// checkResolved fails when a condition of a kept rule names a search that
// does not exist.
func checkResolved(t *testing.T, e Expr, d *Detection) {
	switch x := e.(type) {
	case *AndExpr:
		for _, op := range x.Operands {
			checkResolved(t, op, d)
		}
	case *OrExpr:
		for _, op := range x.Operands {
			checkResolved(t, op, d)
		}
	case *NotExpr:
		checkResolved(t, x.Operand, d)
	case *IdentExpr:
		if d.Searches[x.Name] == nil {
			t.Fatalf("condition names missing search %q", x.Name)
		}
	case *OfExpr:
		if len(x.Names) == 0 {
			t.Fatalf("%s stands for nothing", x)
		}
		for _, n := range x.Names {
			if d.Searches[n] == nil {
				t.Fatalf("%s names missing search %q", x, n)
			}
		}
	}
}
