package sigma

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// ruleDoc wraps a detection section into a complete rule.
func ruleDoc(detection string) string {
	return "title: Test rule\nid: 00000000-0000-4000-8000-000000000001\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n" + detection
}

func parseRule(t *testing.T, src string) *Rule {
	t.Helper()
	set := Parse("rule.yml", []byte(src))
	for _, e := range set.Errors {
		t.Fatalf("unexpected error: %v", e)
	}
	if len(set.Rules) != 1 {
		t.Fatalf("got %d rules, want 1", len(set.Rules))
	}
	return set.Rules[0]
}

func TestParseRuleMetadata(t *testing.T) {
	src := `title: Suspicious Curl Upload
id: 5f6c1c2e-8d0a-4b6e-9a7d-2f1b3c4d5e6f
name: curl_upload
related:
    - id: 0a1b2c3d-0000-4000-8000-000000000000
      type: derived
status: experimental
description: |
    Detects curl uploading a local file.
license: DRL-1.1
author: Vigil Team, Someone Else
references:
    - https://example.org/curl
date: 2024-03-01
modified: 2024/05/02
tags:
    - attack.exfiltration
    - attack.t1048.003
logsource:
    category: process_creation
    product: linux
    definition: exec events
    custom_key: x
detection:
    selection:
        Image|endswith: /curl
    condition: selection
fields:
    - CommandLine
falsepositives: Backups
level: medium
scope:
    - server
x-owner: secops
x-score: 7
`
	r := parseRule(t, src)
	want := Meta{
		ID: "5f6c1c2e-8d0a-4b6e-9a7d-2f1b3c4d5e6f", Name: "curl_upload", Title: "Suspicious Curl Upload",
		Status: "experimental", Description: "Detects curl uploading a local file.\n", License: "DRL-1.1",
		Author: "Vigil Team, Someone Else", Date: "2024-03-01", Modified: "2024/05/02", Level: "medium",
		References: []string{"https://example.org/curl"}, Tags: []string{"attack.exfiltration", "attack.t1048.003"},
		FalsePositives: []string{"Backups"}, Fields: []string{"CommandLine"}, Scope: []string{"server"},
		Related: []Related{{ID: "0a1b2c3d-0000-4000-8000-000000000000", Type: "derived", Pos: Pos{"rule.yml", 5, 7}}},
		Custom: map[string]Attribute{
			"x-owner": {Value: "secops", Pos: Pos{"rule.yml", 34, 1}},
			"x-score": {Value: 7, Pos: Pos{"rule.yml", 35, 1}},
		},
		Pos: Pos{"rule.yml", 1, 1},
	}
	if !reflect.DeepEqual(r.Meta, want) {
		t.Errorf("meta =\n%+v\nwant\n%+v", r.Meta, want)
	}
	wantLS := Logsource{Category: "process_creation", Product: "linux", Definition: "exec events",
		Custom: map[string]string{"custom_key": "x"}, Pos: Pos{"rule.yml", 20, 5}}
	if !reflect.DeepEqual(r.Logsource, wantLS) {
		t.Errorf("logsource = %+v, want %+v", r.Logsource, wantLS)
	}
}

func TestParseSearches(t *testing.T) {
	src := ruleDoc(`    selection:
        Image|endswith: '/bash'
        CommandLine|contains|all:
            - ' -c '
            - '/dev/tcp/'
    alternatives:
        - ParentImage: /usr/sbin/sshd
        - User: root
          CurrentDirectory: /root
    keywords:
        - 'reverse shell'
        - 4444
    allwords:
        '|all':
            - 'nc'
            - '-e'
    mixed:
        - Image: /bin/sh
        - 'plain keyword'
    single: 'just one'
    condition: selection or 1 of alternatives or keywords or allwords or mixed or single
`)
	r := parseRule(t, src)
	d := r.Detection
	if got := strings.Join(d.Order, ","); got != "selection,alternatives,keywords,allwords,mixed,single" {
		t.Errorf("order = %s", got)
	}
	sel := d.Searches["selection"]
	if sel.Kind != SearchMap || len(sel.Matches) != 2 {
		t.Fatalf("selection = %+v", sel)
	}
	cmd := sel.Matches[1]
	if cmd.Field != "CommandLine" || cmd.Key != "CommandLine|contains|all" || cmd.Modifiers.Op != OpContains || !cmd.Modifiers.All || len(cmd.Values) != 2 {
		t.Errorf("CommandLine match = %+v", cmd)
	}
	if cmd.Pos != (Pos{"rule.yml", 9, 9}) || cmd.Values[1].Pos != (Pos{"rule.yml", 11, 15}) {
		t.Errorf("positions %v %v", cmd.Pos, cmd.Values[1].Pos)
	}
	alt := d.Searches["alternatives"]
	if alt.Kind != SearchList || len(alt.Items) != 2 || alt.Items[1].Kind != SearchMap || len(alt.Items[1].Matches) != 2 {
		t.Errorf("alternatives = %+v", alt)
	}
	kw := d.Searches["keywords"]
	if kw.Kind != SearchKeywords || len(kw.Matches) != 1 || !kw.Matches[0].Keyword() || len(kw.Matches[0].Values) != 2 {
		t.Fatalf("keywords = %+v", kw)
	}
	if v := kw.Matches[0].Values[1]; v.Kind != ValueNumber || v.Number.Int != 4444 || v.Raw != "4444" {
		t.Errorf("keyword 4444 = %+v", v)
	}
	all := d.Searches["allwords"]
	if all.Kind != SearchMap || !all.Matches[0].Keyword() || !all.Matches[0].Modifiers.All {
		t.Errorf("allwords = %+v", all.Matches[0])
	}
	mixed := d.Searches["mixed"]
	if mixed.Kind != SearchList || len(mixed.Items) != 2 || mixed.Items[1].Kind != SearchKeywords {
		t.Errorf("mixed = %+v", mixed)
	}
	if single := d.Searches["single"]; single.Kind != SearchKeywords || single.Matches[0].Values[0].Raw != "just one" {
		t.Errorf("single = %+v", single)
	}
	if len(d.Conditions) != 1 || d.Conditions[0].Expr.String() != "selection or 1 of alternatives or keywords or allwords or mixed or single" {
		t.Errorf("condition = %v", d.Conditions[0].Expr)
	}
}

func TestParseValues(t *testing.T) {
	src := ruleDoc(`    sel:
        s: 'text*'
        quoted_number: '8080'
        int: 42
        hex: 0x1F
        neg: -7
        float: 1.5
        bool: true
        nullvalue: null
        tilde: ~
        empty:
        emptystring: ''
        port|gt: '1024'
        flag|exists: 'false'
        re|re: '^a.*b$'
        net|cidr: 10.0.0.0/8
        ref|fieldref: other.field
        date: 2024-01-02
    condition: sel
`)
	r := parseRule(t, src)
	got := map[string]*Value{}
	for _, m := range r.Detection.Searches["sel"].Matches {
		got[m.Field] = m.Values[0]
	}
	check := func(field string, kind ValueKind, raw string) *Value {
		t.Helper()
		v := got[field]
		if v == nil {
			t.Fatalf("no value for %s", field)
		}
		if v.Kind != kind || v.Raw != raw {
			t.Errorf("%s = %s %q, want %s %q", field, v.Kind, v.Raw, kind, raw)
		}
		return v
	}
	if v := check("s", ValueString, "text*"); !v.Pattern.HasWildcards() {
		t.Error("text* has no wildcard")
	}
	check("quoted_number", ValueString, "8080")
	if v := check("int", ValueNumber, "42"); !v.Number.IsInt || v.Number.Int != 42 {
		t.Errorf("int = %+v", v.Number)
	}
	if v := check("hex", ValueNumber, "0x1F"); v.Number.Int != 31 {
		t.Errorf("hex = %+v", v.Number)
	}
	if v := check("neg", ValueNumber, "-7"); v.Number.Int != -7 {
		t.Errorf("neg = %+v", v.Number)
	}
	if v := check("float", ValueNumber, "1.5"); v.Number.IsInt || v.Number.Float != 1.5 {
		t.Errorf("float = %+v", v.Number)
	}
	if v := check("bool", ValueBool, "true"); !v.Bool {
		t.Error("bool is false")
	}
	check("nullvalue", ValueNull, "")
	check("tilde", ValueNull, "")
	check("empty", ValueNull, "")
	if v := check("emptystring", ValueString, ""); len(v.Pattern.Parts) != 0 {
		t.Errorf("empty string pattern = %+v", v.Pattern)
	}
	if v := check("port", ValueNumber, "1024"); v.Number.Int != 1024 {
		t.Errorf("gt string = %+v", v.Number)
	}
	if v := check("flag", ValueBool, "false"); v.Bool {
		t.Error("exists 'false' read as true")
	}
	if v := check("re", ValueString, "^a.*b$"); len(v.Pattern.Parts) != 0 {
		t.Error("a regular expression got a wildcard pattern")
	}
	check("net", ValueString, "10.0.0.0/8")
	check("ref", ValueString, "other.field")
	check("date", ValueString, "2024-01-02")
}

func TestParseConditionsList(t *testing.T) {
	r := parseRule(t, ruleDoc(`    a:
        x: 1
    b:
        y: 2
    condition:
        - a
        - b and not a
`))
	if len(r.Detection.Conditions) != 2 || r.Detection.Conditions[1].Expr.String() != "b and not a" {
		t.Fatalf("conditions = %+v", r.Detection.Conditions)
	}
	if p := r.Detection.Conditions[1].Pos; p.Line != 13 || p.Column != 11 {
		t.Errorf("second condition at %v", p)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		err    error
		reason string
		line   int
	}{
		{"yaml syntax", "title: x\ndetection: [a\n", ErrSyntax, "invalid YAML", 2},
		{"not a mapping", "- a\n- b\n", ErrInvalid, "a Sigma document is a mapping", 1},
		{"no section", "title: x\nlogsource: {product: linux}\n", ErrInvalid, "no detection, correlation or filter", 1},
		{"no title", "logsource: {product: linux}\ndetection: {a: {x: 1}, condition: a}\n", ErrInvalid, "title is missing", 1},
		{"long title", "title: " + strings.Repeat("x", 257) + "\nlogsource: {product: linux}\ndetection: {a: {x: 1}, condition: a}\n", ErrInvalid, "longer than 256", 1},
		{"bad status", "title: x\nstatus: production\nlogsource: {product: linux}\ndetection: {a: {x: 1}, condition: a}\n", ErrInvalid, `unknown status "production"`, 2},
		{"bad level", "title: x\nlevel: severe\nlogsource: {product: linux}\ndetection: {a: {x: 1}, condition: a}\n", ErrInvalid, `unknown level "severe"`, 2},
		{"bad related", "title: x\nrelated: [{id: a, type: cousin}]\nlogsource: {product: linux}\ndetection: {a: {x: 1}, condition: a}\n", ErrInvalid, "related type", 2},
		{"no logsource", "title: x\ndetection: {a: {x: 1}, condition: a}\n", ErrInvalid, "logsource is missing", 1},
		{"empty logsource", "title: x\nlogsource: {definition: d}\ndetection: {a: {x: 1}, condition: a}\n", ErrInvalid, "needs a category, product or service", 2},
		{"logsource list", "title: x\nlogsource: [linux]\ndetection: {a: {x: 1}, condition: a}\n", ErrInvalid, "logsource must be a mapping", 2},
		{"no condition", ruleDoc("    sel:\n        x: 1\n"), ErrInvalid, "has no condition", 7},
		{"condition map", ruleDoc("    sel:\n        x: 1\n    condition: {a: b}\n"), ErrCondition, "condition must be a string", 9},
		{"unknown identifier", ruleDoc("    sel:\n        x: 1\n    condition: sel and filter\n"), ErrCondition, `"filter", which is not a search identifier`, 9},
		{"bad pattern", ruleDoc("    sel:\n        x: 1\n    condition: 1 of filter*\n"), ErrCondition, "matches no search identifier", 9},
		{"aggregation", ruleDoc("    sel:\n        x: 1\n    condition: sel | count() by host > 5\n"), ErrDeprecatedAggregation, "deprecated aggregation, use a correlation rule", 9},
		{"syntax in condition", ruleDoc("    sel:\n        x: 1\n    condition: sel and (\n"), ErrCondition, "unexpected end", 9},
		{"unknown modifier", ruleDoc("    sel:\n        x|contain: 1\n    condition: sel\n"), ErrUnknownModifier, `x|contain: unknown modifier "contain"`, 8},
		{"bad combination", ruleDoc("    sel:\n        x|contains|startswith: a\n    condition: sel\n"), ErrModifierCombination, "cannot be combined", 8},
		{"all with one value", ruleDoc("    sel:\n        x|contains|all: a\n    condition: sel\n"), ErrModifierCombination, "at least two values", 8},
		{"exists not bool", ruleDoc("    sel:\n        x|exists: maybe\n    condition: sel\n"), ErrModifierCombination, "exists takes true or false", 8},
		{"gt not number", ruleDoc("    sel:\n        x|gt: many\n    condition: sel\n"), ErrModifierCombination, "compares numbers", 8},
		{"hour not number", ruleDoc("    sel:\n        '@timestamp|hour': night\n    condition: sel\n"), ErrModifierCombination, "modifier hour compares numbers", 8},
		{"bad cidr", ruleDoc("    sel:\n        x|cidr: 10.0.0/8\n    condition: sel\n"), ErrModifierCombination, "is not a network", 8},
		{"null with modifier", ruleDoc("    sel:\n        x|contains: null\n    condition: sel\n"), ErrModifierCombination, "null takes no modifier", 8},
		{"bool with contains", ruleDoc("    sel:\n        x|contains: true\n    condition: sel\n"), ErrModifierCombination, "takes a string, not the boolean", 8},
		{"encode wildcard", ruleDoc("    sel:\n        x|base64: 'a*'\n    condition: sel\n"), ErrModifierCombination, "cannot encode the wildcards", 8},
		{"expand without placeholder", ruleDoc("    sel:\n        x|expand: plain\n    condition: sel\n"), ErrModifierCombination, "has no %placeholder%", 8},
		{"keyword exists", ruleDoc("    sel:\n        '|exists': true\n    condition: sel\n"), ErrModifierCombination, "needs a field", 8},
		{"keyword bool", ruleDoc("    sel:\n        - true\n    condition: sel\n"), ErrModifierCombination, "a keyword must be a string", 8},
		{"empty regex", ruleDoc("    sel:\n        x|re: ''\n    condition: sel\n"), ErrModifierCombination, "empty regular expression", 8},
		{"fieldref number", ruleDoc("    sel:\n        x|fieldref: 5\n    condition: sel\n"), ErrModifierCombination, "takes a field name", 8},
		{"duplicate key", ruleDoc("    sel:\n        x: 1\n        x: 2\n    condition: sel\n"), ErrInvalid, `key "x" of search sel is given twice (first on line 8)`, 9},
		{"nested list", ruleDoc("    sel:\n        x:\n            - [a, b]\n    condition: sel\n"), ErrInvalid, "values must be strings", 9},
		{"map value", ruleDoc("    sel:\n        x: {a: b}\n    condition: sel\n"), ErrInvalid, "a value must be a scalar or a list", 8},
		{"empty search", ruleDoc("    sel:\n    condition: sel\n"), ErrInvalid, "search sel is empty", 7},
		{"empty list", ruleDoc("    sel: []\n    condition: sel\n"), ErrInvalid, "search sel is an empty list", 7},
		{"empty value list", ruleDoc("    sel:\n        x: []\n    condition: sel\n"), ErrInvalid, "empty list of values", 8},
		{"merge key", ruleDoc("    base: &b\n        x: 1\n    sel:\n        <<: *b\n        y: 2\n    condition: sel\n"), ErrUnsupported, "merge keys", 10},
		{"unknown action", "action: forget\ntitle: x\n", ErrInvalid, `unknown action "forget"`, 1},
		{"repeat first", "action: repeat\ntitle: x\n", ErrInvalid, "repeat needs a rule document before it", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := Parse("bad.yml", []byte(tt.src))
			if len(set.Rules) != 0 {
				t.Errorf("the document was kept")
			}
			if len(set.Errors) == 0 {
				t.Fatal("no error")
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
		})
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Pos: Pos{"r.yml", 3, 7}, RuleID: "abc", Title: "T", Reason: "broken", Err: ErrInvalid}
	if got := e.Error(); got != "r.yml:3:7: rule abc (T): broken" {
		t.Errorf("Error() = %q", got)
	}
	e = &Error{Pos: Pos{File: "r.yml"}, Reason: "unreadable"}
	if got := e.Error(); got != "r.yml: unreadable" {
		t.Errorf("Error() = %q", got)
	}
	if (Pos{}).String() != "-" {
		t.Error("empty position")
	}
}

func TestOneBadDocumentKeepsTheOthers(t *testing.T) {
	src := ruleDoc("    sel:\n        x: 1\n    condition: sel\n") +
		"---\n" + "title: broken\nlogsource: {product: linux}\ndetection:\n    sel:\n        x: [unclosed\n" +
		"---\n" + strings.Replace(ruleDoc("    sel:\n        x: 1\n    condition: sel | count() > 3\n"), "0001", "0002", 1) +
		"---\n" + strings.Replace(ruleDoc("    sel:\n        y: 2\n    condition: sel\n"), "0001", "0003", 1)
	set := Parse("multi.yml", []byte(src))
	if len(set.Rules) != 2 || set.Rules[0].Pos.Line != 1 || set.Rules[1].ID != "00000000-0000-4000-8000-000000000003" {
		t.Fatalf("rules = %d", len(set.Rules))
	}
	if set.Rules[1].Pos.Line != 27 {
		t.Errorf("third rule at line %d, want 27", set.Rules[1].Pos.Line)
	}
	if len(set.Errors) != 2 {
		t.Fatalf("errors = %v", set.Errors)
	}
	if !errors.Is(set.Errors[0], ErrSyntax) || set.Errors[0].Pos.Line != 15 {
		t.Errorf("first error = %v (line %d)", set.Errors[0], set.Errors[0].Pos.Line)
	}
	if !errors.Is(set.Errors[1], ErrDeprecatedAggregation) || set.Errors[1].RuleID != "00000000-0000-4000-8000-000000000002" || set.Errors[1].Pos.Line != 25 {
		t.Errorf("second error = %v", set.Errors[1])
	}
}

func TestCollections(t *testing.T) {
	src := `action: global
title: Shell spawned by a web server
status: test
level: high
detection:
    parent:
        ParentImage|endswith:
            - /nginx
            - /httpd
    condition: parent and child
---
id: 10000000-0000-4000-8000-000000000001
logsource:
    category: process_creation
    product: linux
detection:
    child:
        Image|endswith: /sh
---
action: repeat
id: 10000000-0000-4000-8000-000000000002
detection:
    child:
        Image|endswith: /bash
---
action: reset
---
title: Separate rule
id: 10000000-0000-4000-8000-000000000003
logsource:
    product: linux
    category: process_creation
detection:
    child:
        Image: /bin/dash
    condition: child
`
	set := Parse("collection.yml", []byte(src))
	if len(set.Errors) > 0 {
		t.Fatal(set.Errors)
	}
	if len(set.Rules) != 3 {
		t.Fatalf("%d rules", len(set.Rules))
	}
	first, repeated, separate := set.Rules[0], set.Rules[1], set.Rules[2]
	for _, r := range []*Rule{first, repeated} {
		if r.Title != "Shell spawned by a web server" || r.Level != "high" || r.Logsource.Category != "process_creation" {
			t.Errorf("merged rule %s = %+v", r.ID, r.Meta)
		}
		if len(r.Detection.Searches) != 2 || r.Detection.Conditions[0].Text != "parent and child" {
			t.Errorf("merged detection of %s = %v", r.ID, r.Detection.Order)
		}
	}
	if got := first.Detection.Searches["child"].Matches[0].Values[0].Raw; got != "/sh" {
		t.Errorf("first child = %q", got)
	}
	if got := repeated.Detection.Searches["child"].Matches[0].Values[0].Raw; got != "/bash" {
		t.Errorf("repeated child = %q", got)
	}
	if repeated.ID != "10000000-0000-4000-8000-000000000002" || repeated.Pos.Line != 20 {
		t.Errorf("repeated rule id %s at %v", repeated.ID, repeated.Pos)
	}
	if separate.Level != "" || separate.Status != "" || len(separate.Detection.Searches) != 1 {
		t.Errorf("reset did not clear the global document: %+v", separate.Meta)
	}
}

func TestCorrelation(t *testing.T) {
	src := `title: Many failed SSH logins then a success
id: 20000000-0000-4000-8000-000000000001
status: test
level: high
correlation:
    type: temporal_ordered
    rules:
        - ssh_failures
        - ssh_success
    group-by:
        - source.ip
    timespan: 10m
    aliases:
        source_address:
            ssh_failures: source.ip
            ssh_success: source.ip
---
title: Many failed SSH logins
id: 20000000-0000-4000-8000-000000000002
name: ssh_failures
correlation:
    type: event_count
    rules: ssh_failure
    group-by: [source.ip]
    timespan: 5m
    condition:
        gte: 10
        lt: 1000
---
title: Many users tried
name: many_users
correlation:
    type: value_count
    rules: [ssh_failure]
    timespan: 1h
    condition:
        field: user.name
        gt: 5
    generate: true
---
title: Quiet
correlation:
    type: temporal
    rules: [a, b]
    timespan: 2d
`
	set := Parse("corr.yml", []byte(src))
	if len(set.Errors) > 0 {
		t.Fatal(set.Errors)
	}
	if len(set.Correlations) != 4 {
		t.Fatalf("%d correlations", len(set.Correlations))
	}
	c := set.Correlations[0]
	if c.Type != TemporalOrdered || c.Timespan != 10*time.Minute || c.TimespanText != "10m" || c.Level != "high" ||
		len(c.Rules) != 2 || c.Rules[1].Ref != "ssh_success" || c.Rules[1].Pos != (Pos{"corr.yml", 9, 11}) ||
		!reflect.DeepEqual(c.GroupBy, []string{"source.ip"}) {
		t.Errorf("temporal_ordered = %+v", c)
	}
	if len(c.Aliases) != 1 || c.Aliases[0].Name != "source_address" || c.Aliases[0].Fields["ssh_success"] != "source.ip" {
		t.Errorf("aliases = %+v", c.Aliases)
	}
	ec := set.Correlations[1]
	if ec.Type != EventCount || ec.Name != "ssh_failures" || len(ec.Rules) != 1 ||
		!reflect.DeepEqual(ec.Condition.Comparisons, []Comparison{{CountGTE, 10}, {CountLT, 1000}}) {
		t.Errorf("event_count = %+v", ec)
	}
	if !ec.Condition.Holds(10) || ec.Condition.Holds(9) || ec.Condition.Holds(1000) {
		t.Error("condition range does not hold as written")
	}
	vc := set.Correlations[2]
	if vc.Type != ValueCount || vc.Condition.Field != "user.name" || !vc.Generate {
		t.Errorf("value_count = %+v", vc)
	}
	if q := set.Correlations[3]; q.Timespan != 48*time.Hour || len(q.Condition.Comparisons) != 0 || !q.Condition.Holds(0) {
		t.Errorf("temporal = %+v", q)
	}
}

func TestCorrelationErrors(t *testing.T) {
	base := func(section string) string {
		return "title: c\nid: 30000000-0000-4000-8000-000000000001\ncorrelation:\n" + section
	}
	tests := []struct {
		name, src string
		err       error
		reason    string
	}{
		{"no type", base("    rules: [a]\n    timespan: 1m\n"), ErrInvalid, "has no type"},
		{"unknown type", base("    type: sum\n    rules: [a]\n    timespan: 1m\n"), ErrInvalid, `unknown correlation type "sum"`},
		{"later type", base("    type: value_sum\n    rules: [a]\n    timespan: 1m\n    condition: {gt: 1, field: x}\n"), ErrUnsupported, "unsupported: correlation type value_sum"},
		{"no rules", base("    type: temporal\n    timespan: 1m\n"), ErrInvalid, "has no rules"},
		{"no timespan", base("    type: temporal\n    rules: [a, b]\n"), ErrInvalid, "has no timespan"},
		{"bad timespan", base("    type: temporal\n    rules: [a, b]\n    timespan: 1 hour\n"), ErrInvalid, "not a number and a unit"},
		{"bad unit", base("    type: temporal\n    rules: [a, b]\n    timespan: 5q\n"), ErrInvalid, `unknown unit "q"`},
		{"zero timespan", base("    type: temporal\n    rules: [a, b]\n    timespan: 0s\n"), ErrInvalid, "out of range"},
		{"no condition", base("    type: event_count\n    rules: [a]\n    timespan: 1m\n"), ErrInvalid, "needs a condition"},
		{"no field", base("    type: value_count\n    rules: [a]\n    timespan: 1m\n    condition: {gt: 3}\n"), ErrInvalid, "needs the field"},
		{"field for event_count", base("    type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {gt: 3, field: x}\n"), ErrInvalid, "for value_count correlations"},
		{"bad comparison", base("    type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {above: 3}\n"), ErrInvalid, `unknown key "above"`},
		{"not integer", base("    type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {gt: many}\n"), ErrInvalid, "takes an integer"},
		{"empty condition", base("    type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {}\n"), ErrInvalid, "has no comparison"},
		{"several fields", base("    type: value_count\n    rules: [a]\n    timespan: 1m\n    condition: {gt: 1, field: [a, b]}\n"), ErrUnsupported, "several fields"},
		{"alias of other rule", base("    type: temporal\n    rules: [a, b]\n    timespan: 1m\n    aliases:\n        ip:\n            c: source.ip\n"), ErrInvalid, `names rule "c"`},
		{"duplicate reference", base("    type: temporal\n    rules: [a, a]\n    timespan: 1m\n"), ErrInvalid, "referenced twice"},
		{"unknown key", base("    type: temporal\n    rules: [a, b]\n    timespan: 1m\n    window: 5\n"), ErrInvalid, `unknown key "window"`},
		{"generate not bool", base("    type: temporal\n    rules: [a, b]\n    timespan: 1m\n    generate: sometimes\n"), ErrInvalid, "generate must be true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := Parse("c.yml", []byte(tt.src))
			if len(set.Correlations) != 0 {
				t.Error("the correlation was kept")
			}
			for _, e := range set.Errors {
				if errors.Is(e, tt.err) && strings.Contains(e.Reason, tt.reason) {
					if e.RuleID != "30000000-0000-4000-8000-000000000001" || e.Pos.Line == 0 {
						t.Errorf("error %v lacks the rule or line", e)
					}
					return
				}
			}
			t.Errorf("errors %v, want %v containing %q", set.Errors, tt.err, tt.reason)
		})
	}
}

func TestParseTimespan(t *testing.T) {
	tests := map[string]time.Duration{
		"30s": 30 * time.Second, "5m": 5 * time.Minute, "1h": time.Hour, "7d": 7 * 24 * time.Hour,
		"2w": 14 * 24 * time.Hour, "1M": 30 * 24 * time.Hour, "1y": 365 * 24 * time.Hour, "90m": 90 * time.Minute,
	}
	for in, want := range tests {
		got, err := ParseTimespan(in)
		if err != nil || got != want {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "m", "1", "1.5h", "-1h", "1hh", "101y", "99999999999999999999s"} {
		if _, err := ParseTimespan(bad); err == nil {
			t.Errorf("ParseTimespan(%q) succeeded", bad)
		}
	}
}

func TestComparisonHolds(t *testing.T) {
	for _, tt := range []struct {
		op   CompareOp
		n    int64
		want bool
	}{
		{CountGT, 6, true}, {CountGT, 5, false}, {CountGTE, 5, true}, {CountLT, 4, true}, {CountLT, 5, false},
		{CountLTE, 5, true}, {CountEQ, 5, true}, {CountEQ, 6, false}, {CountNEQ, 6, true}, {CountNEQ, 5, false},
	} {
		if got := (Comparison{Op: tt.op, Value: 5}).Holds(tt.n); got != tt.want {
			t.Errorf("%d %s 5 = %v", tt.n, tt.op, got)
		}
	}
}

func TestFilter(t *testing.T) {
	src := `title: Ignore backups by the backup user
id: 40000000-0000-4000-8000-000000000001
description: The backup job reads /etc with tar
logsource:
    category: process_creation
    product: linux
filter:
    rules:
        - 5f6c1c2e-8d0a-4b6e-9a7d-2f1b3c4d5e6f
        - curl_upload
    selection:
        User: backup
        ParentImage: /usr/sbin/cron
    condition: selection
`
	set := Parse("filter.yml", []byte(src))
	if len(set.Errors) > 0 {
		t.Fatal(set.Errors)
	}
	if len(set.Filters) != 1 {
		t.Fatalf("%d filters", len(set.Filters))
	}
	f := set.Filters[0]
	if len(f.Rules) != 2 || f.Rules[1].Ref != "curl_upload" || f.Logsource.Product != "linux" {
		t.Errorf("filter = %+v", f)
	}
	if _, ok := f.Detection.Searches["rules"]; ok {
		t.Error("rules read as a search")
	}
	if s := f.Detection.Searches["selection"]; s == nil || len(s.Matches) != 2 {
		t.Errorf("selection = %+v", s)
	}
	bad := Parse("f.yml", []byte("title: f\nlogsource: {product: linux}\nfilter:\n    selection: {User: x}\n    condition: selection\n"))
	if len(bad.Filters) != 0 || len(bad.Errors) != 1 || !strings.Contains(bad.Errors[0].Reason, "no rules") {
		t.Errorf("filter without rules: %v", bad.Errors)
	}
}

func TestValidate(t *testing.T) {
	rule := func(id, name string) string {
		return fmt.Sprintf("title: r %s\nid: %s\nname: %s\nlogsource: {product: linux}\ndetection: {a: {x: 1}, condition: a}\n", id, id, name)
	}
	corr := func(id string, refs ...string) string {
		return fmt.Sprintf("title: c %s\nid: %s\ncorrelation:\n    type: temporal\n    rules: [%s]\n    timespan: 1m\n", id, id, strings.Join(refs, ", "))
	}
	src := strings.Join([]string{
		rule("r1", "first"),
		rule("r1", "again"),       // duplicate id
		rule("r3", "first"),       // duplicate name
		corr("c1", "r1", "first"), // fine
		corr("c2", "r1", "missing"),
		corr("c3", "c2"), // references one that goes
		corr("c4", "c5"), // cycle
		corr("c5", "c4"),
		corr("c6", "c1", "r1"), // correlation of a correlation
	}, "---\n")
	set := Parse("v.yml", []byte(src))
	if len(set.Errors) > 0 {
		t.Fatal(set.Errors)
	}
	set.Validate()
	var ids []string
	for _, r := range set.Rules {
		ids = append(ids, r.ID)
	}
	for _, c := range set.Correlations {
		ids = append(ids, c.ID)
	}
	if got := strings.Join(ids, ","); got != "r1,c1,c6" {
		t.Errorf("kept %s, want r1,c1,c6", got)
	}
	var reasons []string
	for _, e := range set.Errors {
		reasons = append(reasons, e.RuleID+": "+e.Reason)
	}
	want := []string{
		`r1: id "r1" is already used by the document at v.yml:1:1`,
		`r3: name "first" is already used by the document at v.yml:1:1`,
		`c2: correlation references "missing", not among the loaded rules`,
		`c3: correlation references "c2", not among the loaded rules`,
		`c4: correlation is part of, or depends on, a cycle of correlations`,
		`c5: correlation is part of, or depends on, a cycle of correlations`,
	}
	if !reflect.DeepEqual(reasons, want) {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(reasons, "\n"), strings.Join(want, "\n"))
	}
}

func TestAliasesAndBudget(t *testing.T) {
	src := ruleDoc(`    base: &paths
        - /tmp/*
        - /dev/shm/*
    sel:
        Image: *paths
    condition: sel
`)
	r := parseRule(t, src)
	if got := len(r.Detection.Searches["sel"].Matches[0].Values); got != 2 {
		t.Errorf("alias gave %d values", got)
	}
	// A billion-laughs document is cut off by the node budget, not
	// expanded.
	var b strings.Builder
	b.WriteString("title: x\nlogsource: {product: linux}\ndetection:\n    l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "    l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("    condition: l8\n")
	set := Parse("laughs.yml", []byte(b.String()))
	if len(set.Rules) != 0 || len(set.Errors) == 0 {
		t.Fatalf("rules %d, errors %v", len(set.Rules), set.Errors)
	}
}

func TestConditionErrorPositions(t *testing.T) {
	tests := []struct {
		condition string
		line, col int
	}{
		{"    condition: sel and nope\n", 9, 24},
		{"    condition: 'sel and nope'\n", 9, 25},
		{"    condition: \"sel and nope\"\n", 9, 25},
		{"    condition: |\n        sel and\n        nope\n", 11, 0},
		{"    condition:\n        - sel\n        - sel or nope\n", 11, 18},
	}
	for _, tt := range tests {
		set := Parse("pos.yml", []byte(ruleDoc("    sel:\n        x: 1\n"+tt.condition)))
		if len(set.Errors) != 1 {
			t.Errorf("%q: errors %v", tt.condition, set.Errors)
			continue
		}
		if p := set.Errors[0].Pos; p.Line != tt.line || p.Column != tt.col {
			t.Errorf("%q: error at %v, want line %d column %d", tt.condition, p, tt.line, tt.col)
		}
	}
}
