package clikit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// Table writes aligned columns; cells are cleaned of control characters.
type Table struct{ tw *tabwriter.Writer }

// NewTable returns a table writing to w, starting with header when given.
func NewTable(w io.Writer, header ...string) *Table {
	t := &Table{tw: tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)}
	if len(header) > 0 {
		t.Row(header...)
	}
	return t
}

// Row adds a line; empty cells show as "-".
func (t *Table) Row(cells ...string) {
	for i, c := range cells {
		cells[i] = Clean(c)
		if cells[i] == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

// Flush writes the aligned table out.
func (t *Table) Flush() error {
	if err := t.tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// Clean escapes control and bidirectional-override characters so that data
// from hosts (command lines, file names) cannot move the cursor, recolour
// or reorder the operator's terminal, nor break the table.
func Clean(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafeRune(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == unicode.ReplacementChar
}

// Ago says how long before now t was: "35s ago", "4m ago", "2h ago",
// "3d ago"; "in 5h" for the future; "never" for the zero time.
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < 0 {
		return "in " + short(-d)
	}
	if d < time.Second {
		return "just now"
	}
	return short(d) + " ago"
}

// short renders a duration in its largest whole unit.
func short(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// Stamp is t in RFC 3339 UTC, or "" for the zero time.
func Stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// When is "2h ago (2025-01-02T15:04:05Z)".
func When(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return Ago(now, t) + " (" + Stamp(t) + ")"
}

// FormatLabels is "k=v,k2=v2" sorted by key.
func FormatLabels(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + labels[k]
	}
	return strings.Join(keys, ",")
}

// Truncate shortens s to at most n runes, marking the cut with "…".
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// IndentJSON re-indents a JSON document by two spaces under prefix; a
// document that is not valid JSON is returned as is.
func IndentJSON(doc []byte, prefix string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, doc, prefix, "  "); err != nil {
		return string(doc)
	}
	return prefix + b.String()
}

// CompactJSON is doc on one line.
func CompactJSON(doc []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, doc); err != nil {
		return string(doc)
	}
	return b.String()
}

// Fields writes "Key:  value" lines aligned.
type Fields struct{ t *Table }

// NewFields returns aligned key-value lines writing to w.
func NewFields(w io.Writer) *Fields { return &Fields{t: NewTable(w)} }

// Add adds the line "key:  value".
func (f *Fields) Add(key, value string) { f.t.Row(key+":", value) }

// Flush writes the lines out.
func (f *Fields) Flush() error { return f.t.Flush() }

// CleanBlock is Clean for text of several lines: line breaks stay.
func CleanBlock(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Clean(l)
	}
	return strings.Join(lines, "\n")
}
