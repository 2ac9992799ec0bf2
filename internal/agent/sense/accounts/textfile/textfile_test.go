package textfile_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

type line struct {
	N    int
	Text string
}

func collect(seq func(func(int, []byte) bool)) []line {
	var out []line
	for n, l := range seq {
		out = append(out, line{n, string(l)})
	}
	return out
}

func TestLines(t *testing.T) {
	got := collect(textfile.Lines([]byte("a\r\n\nb")))
	want := []line{{1, "a\r"}, {2, ""}, {3, "b"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
	if got := collect(textfile.Lines(nil)); got != nil {
		t.Errorf("no data: %v", got)
	}
}

func TestLogical(t *testing.T) {
	in := "a=1 \\\n# dropped\n  2\nb=\\\\\nc=3\\\r\n4\nlast\\"
	comment := func(l []byte) bool { return textfile.Comment(l, '#') }
	got := collect(textfile.Logical([]byte(in), comment))
	want := []line{{1, "a=1    2"}, {4, `b=\\`}, {5, "c=3 4"}, {7, "last "}}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
	// Without a skip function the comment is part of the line.
	if got := collect(textfile.Logical([]byte("a\\\n#b\n"), nil)); len(got) != 1 || got[0].Text != "a #b" {
		t.Errorf("no skip: %v", got)
	}
}

func TestProblems(t *testing.T) {
	var p textfile.Problems
	for i := range textfile.MaxMalformed + 5 {
		p.Skip(i+1, "bad")
	}
	if p.Skipped != textfile.MaxMalformed+5 || len(p.List) != textfile.MaxMalformed {
		t.Errorf("skipped %d, listed %d", p.Skipped, len(p.List))
	}
}

func FuzzLogical(f *testing.F) {
	f.Add([]byte("a\\\nb\n#c\\\n\\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		prev := 0
		for n := range textfile.Logical(data, func(l []byte) bool { return textfile.Comment(l, '#') }) {
			if n <= prev {
				t.Fatalf("line numbers not increasing: %d after %d", n, prev)
			}
			prev = n
		}
	})
}
