package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// The bounds of one check's evidence in the document: the agent may
// send up to 32 KiB of JSON per check (and a center may hold more), a
// printed report needs far less.
const (
	// maxEvidenceRunes bounds the characters of one check's evidence,
	// every value together.
	maxEvidenceRunes = 3000
	// maxValueRunes bounds one value or one line.
	maxValueRunes = 500
	// maxLines bounds the lines of one list of evidence lines.
	maxLines = 20
)

// evidenceView is a check's evidence as the document shows it.
type evidenceView struct {
	Rules []ruleView
	// Text is evidence that is not a list of objects, shown as a block.
	Text string
	// NotJSON is set when the evidence did not decode: Text holds it as
	// received.
	NotJSON bool
	// RulesCut is the number of rule results left out once the bound
	// was reached.
	RulesCut int
}

// ruleView is one rule result.
type ruleView struct {
	// Heading is "Rule 2", "Applicability rule 1", or "" when the
	// object has no index.
	Heading string
	Type    string
	// Result is the translated result; ResultClass holds, fails, error
	// or "".
	Result      string
	ResultClass string
	Negated     bool
	Error       string
	// Lines are the evidence lines, one block.
	Lines  string
	Fields []fieldView
}

// fieldView is one other field of a rule result.
type fieldView struct {
	Name string
	Text string
	// Block is set for a list of lines, shown as a block.
	Block bool
}

// fieldOrder puts the common fields first; the others follow by name.
var fieldOrder = []string{"file", "path", "line", "key", "value", "expected", "actual", "output", "reason"}

// budget cuts the values of one check's evidence: each value at
// maxValueRunes, each list at maxLines, all of them at
// maxEvidenceRunes.
type budget struct {
	t translator
	// left is what the whole may still take, value what one value may.
	left, value int
}

// text returns s cut to the budget, with a note of what was cut.
func (b *budget) text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	limit := min(b.value, max(b.left, 0))
	n, cutAt := 0, -1
	for i := range s {
		if n == limit {
			cutAt = i
			break
		}
		n++
	}
	b.left -= max(n, 1)
	if cutAt < 0 {
		return s
	}
	rest := utf8.RuneCountInString(s[cutAt:])
	return s[:cutAt] + " " + b.t.must("chars_cut", rest)
}

// lines returns the lines cut to the budget, one per line, with a note
// of those left out.
func (b *budget) lines(lines []string) string {
	parts := make([]string, 0, min(len(lines), maxLines)+1)
	for i, l := range lines {
		if i == maxLines || b.left <= 0 {
			parts = append(parts, b.t.must("lines_cut", len(lines)-i))
			break
		}
		parts = append(parts, b.text(l))
	}
	return strings.Join(parts, "\n")
}

// evidenceOf reads a check's evidence for the document; nil when there
// is none. The JSON is decoded once; numbers keep their text.
func evidenceOf(raw json.RawMessage, t translator) *evidenceView {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "[]" {
		return nil
	}
	b := &budget{t: t, left: maxEvidenceRunes, value: maxValueRunes}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return &evidenceView{NotJSON: true, Text: b.text(string(raw))}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &evidenceView{NotJSON: true, Text: b.text(string(raw))}
	}
	var items []any
	switch v := v.(type) {
	case []any:
		items = v
	case map[string]any:
		items = []any{v}
	default:
		text, _ := valueText(v, b)
		return &evidenceView{Text: text}
	}
	if len(items) == 0 {
		return nil
	}
	ev := &evidenceView{Rules: make([]ruleView, 0, len(items))}
	for i, item := range items {
		if b.left <= 0 {
			ev.RulesCut = len(items) - i
			break
		}
		ev.Rules = append(ev.Rules, ruleOf(item, b))
	}
	return ev
}

// ruleOf reads one rule result: an object's known fields make its
// heading, the others its fields; anything else is one field.
func ruleOf(item any, b *budget) ruleView {
	obj, ok := item.(map[string]any)
	if !ok {
		text, block := valueText(item, b)
		return ruleView{Fields: []fieldView{{Text: text, Block: block}}}
	}
	var rv ruleView
	index := int64(-1)
	if n, ok := obj["index"].(json.Number); ok {
		if i, err := n.Int64(); err == nil && i >= 0 {
			index = i
			delete(obj, "index")
		}
	}
	appliesIf, _ := obj["applies_if"].(bool)
	if _, ok := obj["applies_if"].(bool); ok {
		delete(obj, "applies_if")
	}
	if not, ok := obj["not"].(bool); ok {
		rv.Negated = not
		delete(obj, "not")
	}
	if typ, ok := obj["type"].(string); ok {
		rv.Type = b.text(typ)
		delete(obj, "type")
	}
	if result, ok := obj["result"].(string); ok {
		rv.Result, rv.ResultClass = ruleResult(result, b)
		delete(obj, "result")
	}
	if e, ok := obj["error"].(string); ok {
		rv.Error = b.text(e)
		delete(obj, "error")
	}
	if lines, ok := stringList(obj["evidence"]); ok {
		rv.Lines = b.lines(lines)
		delete(obj, "evidence")
	}
	switch {
	case index >= 0 && appliesIf:
		rv.Heading = b.t.must("rule_applies", index+1)
	case index >= 0:
		rv.Heading = b.t.must("rule", index+1)
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	slices.SortFunc(names, func(x, y string) int {
		ix, iy := slices.Index(fieldOrder, x), slices.Index(fieldOrder, y)
		switch {
		case ix >= 0 && iy >= 0:
			return ix - iy
		case ix >= 0:
			return -1
		case iy >= 0:
			return 1
		}
		return strings.Compare(x, y)
	})
	for _, name := range names {
		text, block := valueText(obj[name], b)
		rv.Fields = append(rv.Fields, fieldView{Name: b.text(name), Text: text, Block: block})
	}
	return rv
}

// stringList returns v as a list of strings, if it is one.
func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(list))
	for i, item := range list {
		if out[i], ok = item.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

// ruleResult translates a rule's result.
func ruleResult(result string, b *budget) (text, class string) {
	switch result {
	case "holds":
		return b.t.must("rule_holds"), "holds"
	case "fails":
		return b.t.must("rule_fails"), "fails"
	case "error":
		return b.t.must("rule_error"), "error"
	}
	return b.text(result), ""
}

// valueText shows a decoded JSON value: a string as itself, a list of
// strings as lines (block), anything else as compact JSON.
func valueText(v any, b *budget) (text string, block bool) {
	switch v := v.(type) {
	case string:
		return b.text(v), strings.Contains(v, "\n")
	case json.Number:
		return b.text(v.String()), false
	case nil:
		return "null", false
	}
	if lines, ok := stringList(v); ok {
		return b.lines(lines), true
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b.text(fmt.Sprint(v)), false
	}
	return b.text(strings.TrimSuffix(out.String(), "\n")), false
}
