package sigma

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCondition(t *testing.T) {
	tests := []struct{ in, want string }{
		{"selection", "selection"},
		{"sel and not filter", "sel and not filter"},
		{"a or b and c", "a or b and c"},
		{"(a or b) and c", "(a or b) and c"},
		{"a and (b or c)", "a and (b or c)"},
		{"not a and b", "not a and b"},
		{"not (a and b)", "not (a and b)"},
		{"not not a", "not not a"},
		{"a or b or c", "a or b or c"},
		{"a and b and c", "a and b and c"},
		{"((a))", "a"},
		{"1 of selection*", "1 of selection*"},
		{"any of sel_*", "1 of sel_*"},
		{"all of them", "all of them"},
		{"1 of them", "1 of them"},
		{"1 of sel* and not 1 of filter*", "1 of sel* and not 1 of filter*"},
		{"all of sel* or keywords", "all of sel* or keywords"},
		{"  sel\tAND\nNOT filter ", "sel and not filter"},
		{"selection-1 and sel.x", "selection-1 and sel.x"},
		{"not 1 of filter_*", "not 1 of filter_*"},
		{"all", "all"},
		{"(a or (b and (c or d)))", "a or b and (c or d)"},
	}
	for _, tt := range tests {
		e, err := ParseCondition(tt.in)
		if err != nil {
			t.Errorf("ParseCondition(%q): %v", tt.in, err)
			continue
		}
		if got := e.String(); got != tt.want {
			t.Errorf("ParseCondition(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestConditionPrecedence(t *testing.T) {
	e, err := ParseCondition("a or b and not c")
	if err != nil {
		t.Fatal(err)
	}
	or, ok := e.(*OrExpr)
	if !ok || len(or.Operands) != 2 {
		t.Fatalf("top is %T, want an or of two", e)
	}
	and, ok := or.Operands[1].(*AndExpr)
	if !ok || len(and.Operands) != 2 {
		t.Fatalf("right of or is %T, want an and of two", or.Operands[1])
	}
	if _, ok := and.Operands[1].(*NotExpr); !ok {
		t.Fatalf("right of and is %T, want not", and.Operands[1])
	}
	if p := and.Operands[1].Position(); p.Column != 12 {
		t.Errorf("not is at column %d, want 12", p.Column)
	}
}

func TestParseConditionErrors(t *testing.T) {
	tests := []struct {
		in     string
		err    error
		reason string
		col    int
	}{
		{"", ErrCondition, "empty condition", 1},
		{"   ", ErrCondition, "empty condition", 1},
		{"sel and", ErrCondition, "unexpected end", 8},
		{"(sel", ErrCondition, "expected ')'", 5},
		{"sel)", ErrCondition, "unbalanced ')'", 4},
		{"sel filter", ErrCondition, `found "filter"`, 5},
		{"2 of sel*", ErrCondition, "only '1 of' and 'all of'", 1},
		{"sel*", ErrCondition, "needs '1 of' or 'all of'", 1},
		{"1 of", ErrCondition, "unexpected end", 5},
		{"1 of (a)", ErrCondition, "pattern", 6},
		{"1 sel", ErrCondition, "expected of", 3},
		{"sel && x", ErrCondition, "unexpected character", 5},
		{"sel | count() > 5", ErrDeprecatedAggregation, "deprecated aggregation", 5},
		{"sel | count(dst) by src > 10", ErrDeprecatedAggregation, "use a correlation rule", 5},
		{"sel and |", ErrDeprecatedAggregation, "deprecated aggregation", 9},
		{"not", ErrCondition, "unexpected end", 4},
		{strings.Repeat("(", 300) + "a" + strings.Repeat(")", 300), ErrCondition, "nested deeper", 201},
		{strings.Repeat("not ", 300) + "a", ErrCondition, "nested deeper", 801},
	}
	for _, tt := range tests {
		_, err := ParseCondition(tt.in)
		if err == nil {
			t.Errorf("ParseCondition(%q) succeeded", tt.in)
			continue
		}
		var ce *condError
		if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.reason) || !errors.As(err, &ce) {
			t.Errorf("ParseCondition(%q) = %v, want %v containing %q", tt.in, err, tt.err, tt.reason)
			continue
		}
		if ce.off+1 != tt.col {
			t.Errorf("ParseCondition(%q) error at column %d, want %d", tt.in, ce.off+1, tt.col)
		}
	}
}

func TestResolveCondition(t *testing.T) {
	searches := map[string]*Search{"selection_a": {}, "selection_b": {}, "filter": {}, "_hidden": {}}
	order := []string{"selection_a", "selection_b", "filter", "_hidden"}
	tests := []struct {
		in    string
		names []string
		err   string
	}{
		{"1 of selection_*", []string{"selection_a", "selection_b"}, ""},
		{"all of them", []string{"selection_a", "selection_b", "filter"}, ""},
		{"1 of *_b", []string{"selection_b"}, ""},
		{"1 of _*", []string{"_hidden"}, ""},
		{"1 of nothing*", nil, "matches no search identifier"},
		{"missing", nil, `names "missing"`},
	}
	for _, tt := range tests {
		e, err := ParseCondition(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		errs := resolveCondition(e, searches, order)
		if tt.err != "" {
			if len(errs) != 1 || !strings.Contains(errs[0].reason, tt.err) {
				t.Errorf("%q: errors %v, want one containing %q", tt.in, errs, tt.err)
			}
			continue
		}
		if len(errs) > 0 {
			t.Errorf("%q: %s", tt.in, errs[0].reason)
			continue
		}
		of := e.(*OfExpr)
		if strings.Join(of.Names, ",") != strings.Join(tt.names, ",") {
			t.Errorf("%q stands for %q, want %q", tt.in, of.Names, tt.names)
		}
	}
}

func TestIdentMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"sel*", "selection", true},
		{"sel*", "sel", true},
		{"*tion", "selection", true},
		{"s*l*n", "selection", true},
		{"s*x*n", "selection", false},
		{"sel", "selection", false},
		{"*", "", true},
		{"a*a*a*b", strings.Repeat("a", 50), false},
	}
	for _, tt := range tests {
		if got := identMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("identMatch(%q, %q) = %v", tt.pattern, tt.name, got)
		}
	}
}

// FuzzCondition checks that any text either fails with a condition error
// or parses into an expression whose printed form parses back to the
// same printed form.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{
		"selection", "sel and not filter", "1 of sel* and not 1 of filter*", "all of them",
		"(a or b) and not (c and d)", "sel | count() by x > 5", "not not a", "any of x",
		"a and (b or", "2 of x", "((((a))))", "sel-1 or sel.2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseCondition(s)
		if err != nil {
			if !errors.Is(err, ErrCondition) && !errors.Is(err, ErrDeprecatedAggregation) {
				t.Fatalf("ParseCondition(%q): error of no known kind: %v", s, err)
			}
			return
		}
		printed := e.String()
		again, err := ParseCondition(printed)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("%q printed as %q, then as %q", s, printed, again.String())
		}
	})
}
