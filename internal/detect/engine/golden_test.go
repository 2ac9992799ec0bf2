package engine

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/detect/sigma"
	"github.com/vigilsec/vigil/internal/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites the file
// with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, diffLines(string(want), got))
	}
}

// diffLines lists the lines only in want (-) and only in got (+).
func diffLines(want, got string) string {
	inWant, inGot := map[string]int{}, map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		inWant[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		inGot[l]++
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if inGot[l] == 0 {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if inWant[l] == 0 {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// renderMappings writes the field and log source tables as Markdown, for
// the documentation.
func renderMappings() string {
	var b strings.Builder
	b.WriteString("## Sigma fields\n\n")
	b.WriteString("Sigma rules name fields as Sysmon does (`Image`, `CommandLine` ...); Vigil's events use ECS names.\n")
	b.WriteString("The table says what each Sigma field becomes. A field with a dot in its name (`process.args`,\n")
	b.WriteString("`vigil.auth.method`) or `message` is an ECS field and is used as it is, so rules may use ECS names\n")
	b.WriteString("directly. A rule naming a field that is neither is not loaded, and the rule's problem says why.\n")
	b.WriteString("A field mapped for some log sources may be named in those, and in rules of product `linux` alone\n")
	b.WriteString("(every event); \"all but auditd\" fields in every log source but auditd.\n\n")
	b.WriteString("| Sigma field | Vigil field | Log sources | Notes |\n| --- | --- | --- | --- |\n")
	for _, m := range FieldMappings() {
		ecs := "`" + m.ECS + "`"
		var notes []string
		switch {
		case m.Reason != "":
			ecs = "not evaluated"
			notes = append(notes, m.Reason)
		case len(m.Values) > 0:
			ecs = "values translated"
			for _, v := range m.Values {
				var conds []string
				for _, c := range v.Conditions {
					conds = append(conds, "`"+c.Field+": "+c.Value+"`")
				}
				notes = append(notes, "`"+v.Sigma+"` is "+strings.Join(conds, " and "))
			}
		}
		if m.Note != "" {
			notes = append(notes, m.Note)
		}
		if m.Unmatched != "" {
			notes = append(notes, "other values are not loaded: "+m.Unmatched)
		}
		sources := "all but auditd"
		if m.Reason != "" {
			sources = "—"
		}
		if len(m.Logsources) > 0 {
			sources = strings.Join(m.Logsources, ", ")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", m.Sigma, ecs, sources, strings.Join(notes, "; "))
	}
	b.WriteString("\n## Sigma log sources\n\n")
	b.WriteString("Product `linux` (or none) with these categories and services select Vigil's events as listed.\n")
	b.WriteString("Every other product, category and service is not collected: rules for them are not loaded.\n")
	b.WriteString("Keyword searches (values without a field) are matched against the keyword fields.\n\n")
	b.WriteString("| Sigma logsource | Vigil events | Keyword fields | Notes |\n| --- | --- | --- | --- |\n")
	for _, m := range LogsourceMappings() {
		events := "not collected"
		if m.Reason == "" {
			var alts []string
			for _, s := range m.Events {
				var parts []string
				if s.Category != "" {
					parts = append(parts, "`event.category: "+s.Category+"`")
				}
				if len(s.Actions) > 0 {
					parts = append(parts, "`event.action`: "+codeList(s.Actions))
				}
				if len(s.Datasets) > 0 {
					parts = append(parts, "`event.dataset`: "+codeList(s.Datasets))
				}
				for _, c := range s.Conditions {
					parts = append(parts, "`"+c.Field+": "+c.Value+"`")
				}
				if len(parts) == 0 {
					parts = append(parts, "every event")
				}
				alts = append(alts, strings.Join(parts, ", "))
			}
			events = strings.Join(alts, "; or ")
		}
		var kw []string
		for _, k := range m.Keywords {
			kw = append(kw, "`"+k+"`")
		}
		note := m.Note
		if m.Reason != "" {
			note = m.Reason
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", m.Label(), events, strings.Join(kw, ", "), note)
	}
	return b.String()
}

// codeList writes `a`, `b` or `c`.
func codeList(list []string) string {
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = "`" + s + "`"
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}

func TestMappingDocumentation(t *testing.T) {
	golden(t, "sigma-mapping.md", renderMappings())
}

// Markers of the generated section of docs/rules.md.
const (
	docBegin = "<!-- generated from the engine's tables: go test ./internal/detect/engine -run TestRulesDocTables -update -->\n"
	docEnd   = "<!-- end of the generated tables -->"
)

// TestRulesDocTables keeps the field and log source tables of the
// rule writers' guide generated: the section of docs/rules.md between
// its markers must be what renderMappings writes (-update rewrites it).
func TestRulesDocTables(t *testing.T) {
	path := filepath.Join("..", "..", "..", "docs", "rules.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, docBegin), strings.Index(doc, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no generated section (from %q to %q)", path, strings.TrimSpace(docBegin), docEnd)
	}
	want := "\n" + renderMappings() + "\n"
	got := doc[i+len(docBegin) : j]
	if got == want {
		return
	}
	if *update {
		doc = doc[:i+len(docBegin)] + want + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the tables of %s differ from the engine's (run with -update to rewrite them):\n%s", path, diffLines(want, got))
}

func TestMappingTablesAreConsistent(t *testing.T) {
	names := map[string]bool{}
	for _, m := range LogsourceMappings() {
		if m.Reason == "" {
			names[m.Name] = true
			if len(m.Events) == 0 {
				t.Errorf("log source %s selects no events", m.Label())
			}
		}
	}
	seen := map[string]bool{}
	for _, m := range FieldMappings() {
		if seen[m.Sigma] {
			t.Errorf("field %s is mapped twice", m.Sigma)
		}
		seen[m.Sigma] = true
		for _, ls := range m.Logsources {
			if !names[ls] {
				t.Errorf("field %s names unknown log source %s", m.Sigma, ls)
			}
		}
		if (m.ECS == "") == (len(m.Values) == 0 && m.Reason == "") {
			t.Errorf("field %s: ECS %q, %d values, reason %q", m.Sigma, m.ECS, len(m.Values), m.Reason)
		}
	}
	// The table is a copy: changing it changes nothing.
	FieldMappings()[0].ECS = "changed"
	if FieldMappings()[0].ECS == "changed" {
		t.Error("FieldMappings returns the table itself")
	}
}

// corpusPlaceholders are the values of the corpus's placeholders.
var corpusPlaceholders = map[string][]string{"AdminUsers": {"root", "admin*"}}

// corpusEvent is one line of testdata/events.jsonl.
type corpusEvent struct {
	Name  string          `json:"name"`
	Event json.RawMessage `json:"event"`
}

func loadCorpusEvents(t *testing.T) ([]string, []event.Event) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	var events []event.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ce corpusEvent
		if err := json.Unmarshal(sc.Bytes(), &ce); err != nil {
			t.Fatal(err)
		}
		var ev event.Event
		dec := json.NewDecoder(strings.NewReader(string(ce.Event)))
		dec.UseNumber()
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		names = append(names, ce.Name)
		events = append(events, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names, events
}

// TestCorpus loads every rule of testdata/rules (SigmaHQ's layout, every
// construct) and matches the events of testdata/events.jsonl: every rule
// loads, every rule matches at least one event, and the matches are the
// golden ones.
func TestCorpus(t *testing.T) {
	set := sigma.LoadFS(os.DirFS("testdata"), "rules")
	for _, e := range set.Errors {
		t.Errorf("corpus: %v", e)
	}
	if len(set.Correlations) != 1 {
		t.Errorf("%d correlations, want 1", len(set.Correlations))
	}
	e, problems := New(set.Rules, Options{Placeholders: corpusPlaceholders})
	for _, p := range problems {
		t.Errorf("corpus: %v", p)
	}
	if len(e.Rules()) != len(set.Rules) || len(set.Rules) < 25 {
		t.Fatalf("%d rules loaded of %d", len(e.Rules()), len(set.Rules))
	}
	names, events := loadCorpusEvents(t)
	hits := map[*Rule]int{}
	var b strings.Builder
	for i, ev := range events {
		got := e.Match(ev, nil)
		if brute := e.matchAll(ev, nil); ids(brute) != ids(got) {
			t.Errorf("%s: index %s, every rule %s", names[i], ids(got), ids(brute))
		}
		fmt.Fprintf(&b, "%s:\n", names[i])
		if len(got) == 0 {
			b.WriteString("    (none)\n")
		}
		for _, r := range got {
			hits[r]++
			fmt.Fprintf(&b, "    %s  %s  %s\n", r.Level, r.Title, strings.Join(r.Techniques, ","))
		}
	}
	for _, r := range e.Rules() {
		if hits[r] == 0 {
			t.Errorf("rule %s (%s) matches no corpus event", r.Title, r.Pos.File)
		}
	}
	golden(t, "corpus-matches.golden", b.String())
}

// TestUnsupportedCorpus lists why each rule of testdata/unsupported is
// not loaded: the parse errors and the engine's problems.
func TestUnsupportedCorpus(t *testing.T) {
	set := sigma.LoadFS(os.DirFS("testdata"), "unsupported")
	e, problems := New(set.Rules, Options{})
	if len(e.Rules()) != 0 {
		t.Errorf("%d unsupported rules loaded", len(e.Rules()))
	}
	var b strings.Builder
	for _, err := range set.Errors {
		b.WriteString(err.Error() + "\n")
	}
	for _, p := range problems {
		b.WriteString(p.Error() + "\n")
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "unsupported", "*.yml"))
	if n := strings.Count(b.String(), "\n"); n != len(files) {
		t.Errorf("%d reasons for %d files:\n%s", n, len(files), b.String())
	}
	golden(t, "unsupported.golden", b.String())
}
