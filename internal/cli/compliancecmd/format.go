package compliancecmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// host is the hostname, or the agent ID when the center knows none.
func host(hostname, id string) string {
	if hostname != "" {
		return hostname
	}
	return id
}

// hostAndID is "web-1 (7f3c9a)", or the ID alone.
func hostAndID(hostname, id string) string {
	if hostname != "" && hostname != id {
		return hostname + " (" + id + ")"
	}
	return id
}

// score is "72.5%", or "" without one (nothing passed or failed).
func score(s *float64) string {
	if s == nil {
		return ""
	}
	return strconv.FormatFloat(*s, 'f', 1, 64) + "%"
}

// summaryScore is a host's score, or "not applicable" when the policy's
// requirements do not hold there.
func summaryScore(s apiclient.ComplianceSummary) string {
	if !s.Applicable {
		return "not applicable"
	}
	return score(s.Score)
}

// countCells are the PASS, FAIL, ERROR, N/A and EXCEPTED cells.
func countCells(c eval.Counts) []string {
	return []string{strconv.Itoa(c.Pass), strconv.Itoa(c.Fail), strconv.Itoa(c.Error), strconv.Itoa(c.NotApplicable), strconv.Itoa(c.Excepted)}
}

// countHeader are the headers of countCells.
var countHeader = []string{"PASS", "FAIL", "ERROR", "N/A", "EXCEPTED"}

// text is t in the language (en or zh), the other one when it is empty.
func text(t policy.Text, lang string) string {
	if lang == "zh" && t.Zh != "" || t.En == "" {
		return t.Zh
	}
	return t.En
}

// title is a check's title in the language, "" when the center does not
// know the check.
func title(c *apiclient.ComplianceCheckInfo, lang string) string {
	if c == nil {
		return ""
	}
	return text(c.Title, lang)
}

// statusCell shows a status as the tables do: "n/a" for not_applicable.
func statusCell(s string) string {
	if s == "not_applicable" {
		return "n/a"
	}
	return s
}

// day is t's date, "" for the zero time.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// expiry says when an exception ends.
func expiry(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	if !t.After(now) {
		return "expired " + clikit.Ago(now, t)
	}
	return clikit.Ago(now, t)
}

// orAll is v, or "all" when an exception is not narrowed by it.
func orAll(v string) string {
	if v == "" {
		return "all"
	}
	return v
}

// RuleEvidence is one rule's result as the agent reports it in a check's
// evidence.
type RuleEvidence struct {
	// Index is the rule's position in its list, from 0; -1 when the
	// agent gave none.
	Index int
	Type  string
	// Result is holds, fails or error.
	Result   string
	Not      bool
	Error    string
	Evidence []string
	// AppliesIf marks a rule of the check's applies_if.
	AppliesIf bool
	// Other holds the fields of the rule result this version of vigil
	// does not know, and Raw a rule result that is not a JSON object.
	Other map[string]json.RawMessage
	Raw   json.RawMessage
}

// ParseEvidence reads a result's evidence: the list of rule results that
// decided it (one object is read as a list of one). Fields it does not
// know are kept in Other, an entry that is no object in Raw. Evidence
// that is not a list or an object is an error; none is no rules.
func ParseEvidence(raw json.RawMessage) ([]RuleEvidence, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	switch raw[0] {
	case '[':
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("evidence is not a list of rule results: %w", err)
		}
	case '{':
		items = []json.RawMessage{raw}
	default:
		return nil, errors.New("evidence is not a list of rule results")
	}
	out := make([]RuleEvidence, 0, len(items))
	for _, item := range items {
		out = append(out, ruleEvidenceOf(item))
	}
	return out, nil
}

// ruleEvidenceOf reads one rule result; fields of an unexpected type
// stay in Other.
func ruleEvidenceOf(item json.RawMessage) RuleEvidence {
	r := RuleEvidence{Index: -1}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(item, &obj); err != nil || obj == nil {
		r.Raw = item
		return r
	}
	if index, ok := take[*int](obj, "index"); ok && index != nil && *index >= 0 {
		r.Index = *index
	} else if ok && index != nil {
		obj["index"] = json.RawMessage(strconv.Itoa(*index))
	}
	r.Type, _ = take[string](obj, "type")
	r.Result, _ = take[string](obj, "result")
	r.Not, _ = take[bool](obj, "not")
	r.Error, _ = take[string](obj, "error")
	r.Evidence, _ = take[[]string](obj, "evidence")
	r.AppliesIf, _ = take[bool](obj, "applies_if")
	if len(obj) > 0 {
		r.Other = obj
	}
	return r
}

// take removes the field name from obj and returns its value when it
// decodes as a T; else it stays in obj.
func take[T any](obj map[string]json.RawMessage, name string) (T, bool) {
	var v T
	raw, ok := obj[name]
	if !ok || json.Unmarshal(raw, &v) != nil {
		var zero T
		return zero, false
	}
	delete(obj, name)
	return v, true
}

// writeEvidence writes the rule results of a result, indented by two
// spaces: "rule 0 config: fails" (rules counted from 0, as the agent's
// reasons and vigil policy check count them) and the evidence lines
// below it.
// Evidence the agent sent in another shape is written as indented JSON.
func writeEvidence(w io.Writer, raw json.RawMessage) {
	rules, err := ParseEvidence(raw)
	if err != nil {
		fmt.Fprintf(w, "  Evidence (%s):\n", clikit.Clean(err.Error()))
		for _, l := range strings.Split(clikit.IndentJSON(raw, "    "), "\n") {
			fmt.Fprintln(w, clikit.Clean(l))
		}
		return
	}
	if len(rules) == 0 {
		fmt.Fprintln(w, "  No evidence.")
		return
	}
	for _, r := range rules {
		if r.Raw != nil {
			fmt.Fprintf(w, "  %s\n", clikit.Clean(clikit.CompactJSON(r.Raw)))
			continue
		}
		head := "rule"
		if r.AppliesIf {
			head = "applies_if rule"
		}
		if r.Index >= 0 {
			head += " " + strconv.Itoa(r.Index)
		}
		if r.Type != "" {
			head += " " + r.Type
		}
		if r.Not {
			head += " (not)"
		}
		if r.Result != "" {
			head += ": " + r.Result
		}
		if r.Error != "" {
			head += " (" + r.Error + ")"
		}
		fmt.Fprintf(w, "  %s\n", clikit.Clean(head))
		for _, line := range r.Evidence {
			fmt.Fprintf(w, "    %s\n", evidenceLine(line))
		}
		for _, name := range slices.Sorted(maps.Keys(r.Other)) {
			fmt.Fprintf(w, "    %s: %s\n", clikit.Clean(name), clikit.Clean(clikit.CompactJSON(r.Other[name])))
		}
	}
}

// evidenceLine is a line of evidence for the terminal: tabs (of the
// file's line) become spaces, other control characters are escaped.
func evidenceLine(s string) string {
	return clikit.Clean(strings.ReplaceAll(s, "\t", "    "))
}
