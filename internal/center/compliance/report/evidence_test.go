package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestEvidence(t *testing.T) {
	en := translator{}
	long := strings.Repeat("é", maxValueRunes+25)
	manyLines := make([]string, maxLines+7)
	for i := range manyLines {
		manyLines[i] = "line"
	}
	for _, tc := range []struct {
		name string
		raw  string
		want *evidenceView
	}{
		{"none", "", nil},
		{"null", " null ", nil},
		{"empty list", "[ ]", nil},
		{"nested HTML", `[{"k":{"a":"<b>&"}}]`, &evidenceView{Rules: []ruleView{{Fields: []fieldView{{Name: "k", Text: `{"a":"<b>&"}`}}}}}},
		{"rule results", `[{"index":1,"type":"config","result":"fails","not":true,"evidence":["/etc/ssh/sshd_config:32: PermitRootLogin yes"]},
			{"index":0,"applies_if":true,"type":"os","result":"holds"}]`,
			&evidenceView{Rules: []ruleView{
				{Heading: "Rule 2", Type: "config", Result: "does not hold", ResultClass: "fails", Negated: true,
					Lines: "/etc/ssh/sshd_config:32: PermitRootLogin yes"},
				{Heading: "Applicability rule 1", Type: "os", Result: "holds", ResultClass: "holds"},
			}}},
		{"error", `[{"index":0,"type":"command","result":"error","error":"command not allowed"}]`,
			&evidenceView{Rules: []ruleView{{Heading: "Rule 1", Type: "command", Result: "could not be evaluated", ResultClass: "error", Error: "command not allowed"}}}},
		{"other fields in order", `[{"zeta":"z","output":"a\nb","line":12,"file":"/etc/x","value":["4","5"],"nested":{"k":[1,2]},"reason":"r"}]`,
			&evidenceView{Rules: []ruleView{{Fields: []fieldView{
				{Name: "file", Text: "/etc/x"}, {Name: "line", Text: "12"}, {Name: "value", Text: "4\n5", Block: true},
				{Name: "output", Text: "a\nb", Block: true}, {Name: "reason", Text: "r"},
				{Name: "nested", Text: `{"k":[1,2]}`}, {Name: "zeta", Text: "z"},
			}}}}},
		{"unknown result and bad index", `[{"index":-3,"result":"maybe","evidence":"one line"}]`,
			&evidenceView{Rules: []ruleView{{Result: "maybe", Fields: []fieldView{{Name: "evidence", Text: "one line"}, {Name: "index", Text: "-3"}}}}}},
		{"one object", `{"file":"/etc/passwd"}`, &evidenceView{Rules: []ruleView{{Fields: []fieldView{{Name: "file", Text: "/etc/passwd"}}}}}},
		{"list of strings", `["a","b"]`, &evidenceView{Rules: []ruleView{{Fields: []fieldView{{Text: "a"}}}, {Fields: []fieldView{{Text: "b"}}}}}},
		{"a string", `"just text"`, &evidenceView{Text: "just text"}},
		{"a number", `42`, &evidenceView{Text: "42"}},
		{"not JSON", `PermitRootLogin yes <b>`, &evidenceView{NotJSON: true, Text: "PermitRootLogin yes <b>"}},
		{"invalid UTF-8", "\xff\xfe<x>", &evidenceView{NotJSON: true, Text: "\uFFFD<x>"}},
		{"long value", `[{"output":"` + long + `"}]`,
			&evidenceView{Rules: []ruleView{{Fields: []fieldView{{Name: "output", Text: long[:2*maxValueRunes] + " … 25 more characters not shown"}}}}}},
		{"many lines", `[{"evidence":` + mustJSON(manyLines) + `}]`,
			&evidenceView{Rules: []ruleView{{Lines: strings.Repeat("line\n", maxLines) + "… 7 more lines not shown"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := evidenceOf(json.RawMessage(tc.raw), en)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("evidenceOf(%q) (-want +got):\n%s", tc.raw, diff)
			}
		})
	}
	zh := evidenceOf(json.RawMessage(`[{"index":0,"result":"fails"}]`), translator{zh: true})
	if zh == nil || zh.Rules[0].Heading != "规则 1" || zh.Rules[0].Result != "不成立" {
		t.Errorf("Chinese evidence: %+v", zh)
	}
}

// TestEvidenceBound: however much evidence a check has, what is shown
// stays within maxEvidenceRunes (and the notes), and what is cut is said.
func TestEvidenceBound(t *testing.T) {
	var rules []map[string]any
	for i := range 200 {
		lines := make([]string, 50)
		for j := range lines {
			lines[j] = strings.Repeat("x", 300)
		}
		rules = append(rules, map[string]any{"index": i, "type": "content", "result": "fails", "evidence": lines, "output": strings.Repeat("y", 5000)})
	}
	ev := evidenceOf(evidenceJSON(rules...), translator{})
	shown := 0
	for _, r := range ev.Rules {
		shown += utf8.RuneCountInString(r.Lines)
		for _, f := range r.Fields {
			shown += utf8.RuneCountInString(f.Text)
		}
	}
	// The bound, plus a note per value and one line break per line.
	if limit := maxEvidenceRunes + 2*maxLines + 200; shown > limit {
		t.Errorf("%d characters of evidence shown, more than %d", shown, limit)
	}
	if ev.RulesCut == 0 || len(ev.Rules)+ev.RulesCut != 200 {
		t.Errorf("%d rules shown and %d said to be cut, of 200", len(ev.Rules), ev.RulesCut)
	}
	if !strings.Contains(ev.Rules[len(ev.Rules)-1].Lines+ev.Rules[0].Lines, "more lines not shown") {
		t.Error("the cut lines are not said")
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// FuzzEvidence renders a report whose evidence, reason and texts are the
// input: it never fails nor panics, and the input never comes out as
// markup.
func FuzzEvidence(f *testing.F) {
	for _, seed := range []string{
		`[{"index":0,"type":"config","result":"fails","evidence":["/etc/ssh/sshd_config:32: PermitRootLogin yes"]}]`,
		`[{"index":0,"applies_if":true,"type":"os","result":"holds"},{"index":1,"type":"command","result":"error","error":"not allowed"}]`,
		`{"file":"/etc/x","line":3,"value":["a","b"],"output":"<script>alert(1)</script>"}`,
		`"text"`, `12`, `null`, `[]`, `[1,[2,[3]],{"a":{"b":null}}]`, `[{"index":1e400}]`, `[{"index":"1"}]`,
		`not json "><img src=x onerror=alert(1)>`, "\xff\xfe", `[{"evidence":[null,1,"x"]}]`,
		strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := hostReport(English)
		res := &r.Policies[0].Results[1]
		res.Evidence = raw
		res.Reason = string(raw)
		res.Title.En = string(raw)
		var buf bytes.Buffer
		if err := Render(&buf, r); err != nil {
			t.Fatalf("Render: %v", err)
		}
		out := buf.String()
		for _, bad := range []string{"<script", "<img", "<svg", "<iframe"} {
			if strings.Count(strings.ToLower(out), bad) != 0 {
				t.Fatalf("%q comes out as markup", bad)
			}
		}
		if !utf8.ValidString(out) {
			t.Fatal("the document is not valid UTF-8")
		}
		if ev := evidenceOf(raw, translator{}); ev != nil && len(ev.Rules) > maxEvidenceRunes {
			t.Fatalf("%d rules shown", len(ev.Rules))
		}
	})
}
