package sigma

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// filterDoc returns a meta filter whose filter section is section.
func filterDoc(section string) string {
	return "title: Test filter\nid: f0000000-0000-4000-8000-000000000001\nlogsource:\n    product: linux\n    category: process_creation\nfilter:\n" + section
}

func TestParseFilters(t *testing.T) {
	valid := []struct {
		name      string
		src       string
		refs      []string
		searches  []string
		condition string
	}{
		{"list of ids", filterDoc("    rules:\n        - r1\n        - r2\n    sel:\n        User: backup\n    condition: not sel\n"),
			[]string{"r1", "r2"}, []string{"sel"}, "not sel"},
		{"one rule as a string", filterDoc("    rules: Shell Started From Cron\n    sel: {User: backup}\n    condition: not sel\n"),
			[]string{"Shell Started From Cron"}, []string{"sel"}, "not sel"},
		{"several searches", filterDoc("    rules: [r1]\n    a: {User: backup}\n    b:\n        - x\n    condition: not (a or b)\n"),
			[]string{"r1"}, []string{"a", "b"}, "not (a or b)"},
		{"pattern condition", filterDoc("    rules: [r1]\n    filter_a: {User: backup}\n    filter_b: {User: root}\n    condition: not 1 of filter_*\n"),
			[]string{"r1"}, []string{"filter_a", "filter_b"}, "not 1 of filter_*"},
		{"inclusion", filterDoc("    rules: [r1]\n    prod: {host.name|startswith: prod-}\n    condition: prod\n"),
			[]string{"r1"}, []string{"prod"}, "prod"},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			set := Parse("f.yml", []byte(tt.src))
			if len(set.Errors) > 0 || len(set.Filters) != 1 || len(set.Rules) != 0 {
				t.Fatalf("filters %d, rules %d, errors %v", len(set.Filters), len(set.Rules), set.Errors)
			}
			f := set.Filters[0]
			var refs []string
			for _, r := range f.Rules {
				refs = append(refs, r.Ref)
				if r.Pos.File != "f.yml" || r.Pos.Line < 7 {
					t.Errorf("reference %q at %v", r.Ref, r.Pos)
				}
			}
			if !slices.Equal(refs, tt.refs) {
				t.Errorf("rules %q, want %q", refs, tt.refs)
			}
			if !slices.Equal(f.Detection.Order, tt.searches) {
				t.Errorf("searches %q, want %q", f.Detection.Order, tt.searches)
			}
			if len(f.Detection.Conditions) != 1 || f.Detection.Conditions[0].Expr.String() != tt.condition {
				t.Errorf("conditions %+v", f.Detection.Conditions)
			}
			if f.ID != "f0000000-0000-4000-8000-000000000001" || f.Logsource.Category != "process_creation" || f.Pos.Line != 1 {
				t.Errorf("filter %+v", f.Meta)
			}
		})
	}

	invalid := []struct {
		name   string
		src    string
		err    error
		reason string
		line   int
	}{
		{"no rules", filterDoc("    sel: {User: x}\n    condition: not sel\n"), ErrInvalid, "filter has no rules to apply to", 7},
		{"empty rules", filterDoc("    rules: []\n    sel: {User: x}\n    condition: not sel\n"), ErrInvalid, "rules is empty", 7},
		{"rules a mapping", filterDoc("    rules: {a: b}\n    sel: {User: x}\n    condition: not sel\n"), ErrInvalid, "rules must be a list of rule ids or names", 7},
		{"rule listed twice", filterDoc("    rules: [r1, r1]\n    sel: {User: x}\n    condition: not sel\n"), ErrInvalid, `rule "r1" is referenced twice`, 7},
		{"empty reference", filterDoc("    rules: [r1, '']\n    sel: {User: x}\n    condition: not sel\n"), ErrInvalid, "empty rule reference", 7},
		{"no condition", filterDoc("    rules: [r1]\n    sel: {User: x}\n"), ErrInvalid, "filter has no condition", 7},
		{"condition syntax", filterDoc("    rules: [r1]\n    sel: {User: x}\n    condition: not (sel\n"), ErrCondition, "unexpected end", 9},
		{"condition names no search", filterDoc("    rules: [r1]\n    sel: {User: x}\n    condition: not other\n"), ErrCondition, `"other", which is not a search identifier`, 9},
		{"condition pattern matches nothing", filterDoc("    rules: [r1]\n    sel: {User: x}\n    condition: not 1 of filter_*\n"), ErrCondition, "matches no search identifier", 9},
		{"aggregation", filterDoc("    rules: [r1]\n    sel: {User: x}\n    condition: sel | count() > 5\n"), ErrDeprecatedAggregation, "deprecated aggregation", 9},
		{"unknown modifier", filterDoc("    rules: [r1]\n    sel: {User|contain: x}\n    condition: not sel\n"), ErrUnknownModifier, `unknown modifier "contain"`, 8},
		{"section a list", filterDoc("    - rules\n"), ErrInvalid, "filter must be a mapping", 7},
		{"no logsource", "title: f\nfilter:\n    rules: [r1]\n    sel: {User: x}\n    condition: not sel\n", ErrInvalid, "logsource is missing", 1},
		{"no title", "logsource: {product: linux}\nfilter:\n    rules: [r1]\n    sel: {User: x}\n    condition: not sel\n", ErrInvalid, "title is missing", 1},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			set := Parse("bad.yml", []byte(tt.src))
			if len(set.Filters) != 0 {
				t.Errorf("the filter was kept")
			}
			var found *Error
			for _, e := range set.Errors {
				if errors.Is(e, tt.err) && strings.Contains(e.Reason, tt.reason) {
					found = e
					break
				}
			}
			if found == nil {
				t.Fatalf("errors %v, want %v containing %q", set.Errors, tt.err, tt.reason)
			}
			if found.Pos.File != "bad.yml" || found.Pos.Line != tt.line {
				t.Errorf("error at %v, want bad.yml line %d", found.Pos, tt.line)
			}
			if tt.line > 1 && found.RuleID != "f0000000-0000-4000-8000-000000000001" {
				t.Errorf("error names %q, not the filter", found.RuleID)
			}
		})
	}
}

// TestFilterReferences resolves the rules of meta filters against a set:
// by id, name and title; unknown references are errors at their line and
// leave the filter's other rules filtered.
func TestFilterReferences(t *testing.T) {
	src := `title: Curl Upload
id: r1
name: curl_upload
logsource: {product: linux, category: process_creation}
detection: {sel: {CommandLine|contains: curl}, condition: sel}
---
title: Shell From Cron
id: r2
logsource: {product: linux, category: process_creation}
detection: {sel: {ParentImage|endswith: /cron}, condition: sel}
---
title: Shell From Cron
id: r3
logsource: {product: linux, category: process_creation}
detection: {sel: {ParentImage|endswith: /crond}, condition: sel}
---
title: Many Uploads
id: c1
correlation: {type: event_count, rules: [r1], timespan: 5m, condition: {gte: 3}}
---
title: Backups
id: f1
logsource: {product: linux}
filter:
    rules:
        - curl_upload
        - Shell From Cron
        - r1
        - typo-rule
        - Many Uploads
        - any
    sel: {User: backup}
    condition: not sel
---
title: Nothing Known
id: f2
logsource: {product: linux}
filter:
    rules: [missing]
    sel: {User: backup}
    condition: not sel
---
title: Same Id As A Rule
id: r2
logsource: {product: linux}
filter:
    rules: [r1]
    sel: {User: backup}
    condition: not sel
`
	set := Parse("refs.yml", []byte(src))
	if len(set.Errors) > 0 {
		t.Fatal(set.Errors)
	}
	for round := 0; round < 2; round++ {
		// Validate twice: the attachments do not pile up.
		set.Errors = nil
		set.Validate()
		var kept []string
		for _, f := range set.Filters {
			kept = append(kept, f.ID)
		}
		if !slices.Equal(kept, []string{"f1"}) {
			t.Errorf("filters kept %q, want f1", kept)
		}
		for _, r := range set.Rules {
			var names []string
			for _, f := range r.Filters {
				names = append(names, f.ID)
			}
			if !slices.Equal(names, []string{"f1"}) {
				t.Errorf("rule %s has filters %q, want f1 once", r.ID, names)
			}
		}
		type want struct {
			id, reason string
			line       int
		}
		wants := []want{
			{"r2", `id "r2" is already used by the document at refs.yml:7:1`, 43},
			{"f1", `filter names "typo-rule", which is not the id, name or title of a loaded detection rule`, 29},
			{"f1", `filter names correlation rule "Many Uploads": a filter applies to detection rules`, 30},
			{"f1", `filter rules "any" (every rule of the log source) is not supported`, 31},
			{"f2", `filter names "missing", which is not the id`, 39},
		}
		if round == 1 {
			// The documents that failed went in the first round; the
			// references of the filter kept fail again.
			wants = wants[1:4]
		}
		if len(set.Errors) != len(wants) {
			t.Fatalf("errors %v", set.Errors)
		}
		for i, w := range wants {
			e := set.Errors[i]
			if e.RuleID != w.id || !strings.Contains(e.Reason, w.reason) || e.Pos.Line != w.line || e.Pos.File != "refs.yml" {
				t.Errorf("error %d: %v (line %d), want %s at line %d: %s", i, e, e.Pos.Line, w.id, w.line, w.reason)
			}
			if w.id == "f1" && !errors.Is(e, ErrReference) {
				t.Errorf("error %d is not ErrReference", i)
			}
		}
	}
}
