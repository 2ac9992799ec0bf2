package compare

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the side-by-side table, the counts, the agreements
// and every difference with the evidence of both sides and the row's
// explanation.
func WriteText(w io.Writer, r *Result) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "Lynis %s beside Vigil %s %s on the same host\n\n", r.LynisVersion, r.PolicyID, r.PolicyVersion)
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTROL\tLYNIS\tCIS CHECK\tLYNIS\tVIGIL\tVIGIL (LYNIS'S SCOPE)\tRESULT")
	for _, l := range r.Lines {
		scoped := "="
		if l.Scope != "whole check" {
			scoped = string(l.Scoped.Verdict)
		}
		result := "agree"
		if !l.Agree {
			result = "DIFFER"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Control, l.Lynis, shortCheck(l.CheckID),
			l.LynisReading.Verdict, l.Vigil.Verdict, scoped, result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(ew, "\n%s\n", r.Summary())

	fmt.Fprintf(ew, "\nAgreements (%d):\n", r.Agree)
	for _, l := range r.Lines {
		if l.Agree {
			fmt.Fprintf(ew, "  %-5s %s (%s, %s)\n", l.Vigil.Verdict, l.Control, l.Lynis, shortCheck(l.CheckID))
		}
	}
	diffs := r.Differences()
	fmt.Fprintf(ew, "\nDifferences (%d):\n", len(diffs))
	for _, l := range diffs {
		fmt.Fprintf(ew, "\n  %s: %s, %s\n", l.Control, l.Lynis, l.CheckID)
		fmt.Fprintf(ew, "    Lynis: %s%s\n", l.LynisReading.Verdict, paren(l.LynisReading.Evidence))
		fmt.Fprintf(ew, "    Vigil: %s%s\n", l.Vigil.Verdict, paren(l.Vigil.Evidence))
		if l.Scope != "whole check" {
			fmt.Fprintf(ew, "    Vigil on Lynis's scope (%s): %s%s\n", l.Scope, l.Scoped.Verdict, paren(l.Scoped.Evidence))
		}
		fmt.Fprintf(ew, "    Why: %s\n", wrap(l.Note, 100, "         "))
	}
	return ew.err
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// wrap breaks s at blanks into lines of at most n bytes, indenting the
// lines after the first.
func wrap(s string, n int, indent string) string {
	var b strings.Builder
	width := 0
	for i, word := range strings.Fields(s) {
		switch {
		case i == 0:
		case width+1+len(word) > n:
			b.WriteString("\n" + indent)
			width = 0
		default:
			b.WriteByte(' ')
			width++
		}
		b.WriteString(word)
		width += len(word)
	}
	return b.String()
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
