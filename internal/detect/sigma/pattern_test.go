package sigma

import (
	"reflect"
	"testing"
)

func lit(s string) PatternPart { return PatternPart{Kind: PartLiteral, Text: s} }

var (
	star = PatternPart{Kind: PartAnyString}
	one  = PatternPart{Kind: PartAnyChar}
)

func TestParsePattern(t *testing.T) {
	tests := []struct {
		in           string
		placeholders bool
		want         []PatternPart
	}{
		{"", false, nil},
		{"abc", false, []PatternPart{lit("abc")}},
		{"*abc", false, []PatternPart{star, lit("abc")}},
		{"a*b?c", false, []PatternPart{lit("a"), star, lit("b"), one, lit("c")}},
		{"a**b", false, []PatternPart{lit("a"), star, lit("b")}},
		{`\*`, false, []PatternPart{lit("*")}},
		{`\?`, false, []PatternPart{lit("?")}},
		{`C:\Windows\System32`, false, []PatternPart{lit(`C:\Windows\System32`)}},
		{`a\\b`, false, []PatternPart{lit(`a\b`)}},
		// A backslash before a wildcard needs escaping to stay a backslash.
		{`a\\*`, false, []PatternPart{lit(`a\`), star}},
		// Three backslashes and a star: a backslash and a plain star.
		{`\\\*`, false, []PatternPart{lit(`\*`)}},
		// Three or four backslashes read as two.
		{`\\\`, false, []PatternPart{lit(`\\`)}},
		{`\\\\`, false, []PatternPart{lit(`\\`)}},
		{`end\`, false, []PatternPart{lit(`end\`)}},
		{`%Admins%`, false, []PatternPart{lit("%Admins%")}},
		{`%Admins%`, true, []PatternPart{{Kind: PartPlaceholder, Text: "Admins"}}},
		{`x%a%y%b%*`, true, []PatternPart{lit("x"), {Kind: PartPlaceholder, Text: "a"}, lit("y"), {Kind: PartPlaceholder, Text: "b"}, star}},
		{`\%plain%name%`, true, []PatternPart{lit("%plain"), {Kind: PartPlaceholder, Text: "name"}}},
		{`100%`, true, []PatternPart{lit("100%")}},
		{`%%`, true, []PatternPart{lit("%%")}},
	}
	for _, tt := range tests {
		got := ParsePattern(tt.in, tt.placeholders)
		if !reflect.DeepEqual(got.Parts, tt.want) {
			t.Errorf("ParsePattern(%q, %v) = %#v, want %#v", tt.in, tt.placeholders, got.Parts, tt.want)
		}
		back := ParsePattern(got.Format(tt.placeholders), tt.placeholders)
		if !reflect.DeepEqual(back.Parts, got.Parts) {
			t.Errorf("Format(%q) = %q reads back as %#v", tt.in, got.Format(tt.placeholders), back.Parts)
		}
	}
}

func TestPatternHelpers(t *testing.T) {
	p := ParsePattern("a*b", false)
	if _, ok := p.Plain(); ok {
		t.Error("a*b is plain")
	}
	if !p.HasWildcards() {
		t.Error("a*b has no wildcards")
	}
	if s, ok := ParsePattern(`a\*b`, false).Plain(); !ok || s != "a*b" {
		t.Errorf(`Plain(a\*b) = %q, %v`, s, ok)
	}
	if got := ParsePattern("abc", false).Wrap(true, true).String(); got != "*abc*" {
		t.Errorf("Wrap = %q", got)
	}
	if got := ParsePattern("*abc", false).Wrap(true, false).String(); got != "*abc" {
		t.Errorf("Wrap of a leading star = %q", got)
	}
	if got := (Pattern{}).Wrap(false, true).String(); got != "*" {
		t.Errorf("Wrap of empty = %q", got)
	}
	if got := ParsePattern("%a%x%b%", true).Placeholders(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Placeholders = %q", got)
	}
}

func FuzzPattern(f *testing.F) {
	for _, s := range []string{"", "a*b", `\\*`, `C:\x\*`, "%a%b", `\%%x%`, "??*"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, placeholders bool) {
		p := ParsePattern(s, placeholders)
		back := ParsePattern(p.Format(placeholders), placeholders)
		if !reflect.DeepEqual(normalizeParts(back.Parts), normalizeParts(p.Parts)) {
			t.Fatalf("%q -> %q -> %#v, want %#v", s, p.Format(placeholders), back.Parts, p.Parts)
		}
	})
}

// normalizeParts treats a nil and an empty list alike.
func normalizeParts(p []PatternPart) []PatternPart {
	if len(p) == 0 {
		return nil
	}
	return p
}
