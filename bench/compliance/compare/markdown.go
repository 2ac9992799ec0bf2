package compare

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdownTable prints the mapping table as Markdown: control,
// Lynis test, CIS check, the part Lynis covers and how the two differ;
// then how each Lynis test's verdict is read, once per test.
func WriteMarkdownTable(w io.Writer, rows []Row) error {
	ew := &errWriter{w: w}
	fmt.Fprintln(ew, "| control | Lynis | CIS | scope | how they differ |")
	fmt.Fprintln(ew, "| --- | --- | --- | --- | --- |")
	for _, r := range rows {
		fmt.Fprintf(ew, "| %s | `%s` | %s | %s | %s |\n", cell(r.Control), r.Lynis, r.Check, r.Scope, cell(r.Note))
	}
	fmt.Fprintln(ew)
	fmt.Fprintln(ew, "How Lynis's verdict is read, per test:")
	fmt.Fprintln(ew)
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.Reading] {
			continue
		}
		seen[r.Reading] = true
		fmt.Fprintf(ew, "- %s\n", strings.ReplaceAll(r.Reading, "\n", " "))
	}
	return ew.err
}

// cell makes text fit a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
