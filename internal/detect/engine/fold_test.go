package engine

import (
	"regexp"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/detect/sigma"
)

func TestFoldHelpers(t *testing.T) {
	if foldString("AbC/É") != "abc/É" {
		t.Error("foldString")
	}
	if !equalFold("HeLLo", "hello", true) || equalFold("HeLLo", "hello", false) || equalFold("a", "ab", true) {
		t.Error("equalFold")
	}
	if !hasPrefixFold("/USR/bin", "/usr", true) || !hasSuffixFold("x.SH", ".sh", true) || hasSuffixFold("sh", ".sh", true) {
		t.Error("prefix/suffix")
	}
	if indexFold("xxABCxx", "abc", true) != 2 || indexFold("xxABCxx", "abc", false) != -1 || indexFold("a", "", true) != 0 {
		t.Error("indexFold")
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, text string
		want          bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"/usr/bin/python?.*", "/usr/bin/python3.11", true},
		{"/usr/bin/python?.*", "/usr/bin/python.11", false},
		{`C:\\*`, `C:\x`, true},
		{"a*a*a*a*b", strings.Repeat("a", 64), false},
	}
	for _, tt := range tests {
		m, _ := newStrMatcher(sigma.ParsePattern(tt.pattern, false), true)
		if got := m.matchText(tt.text); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.text, got, tt.want)
		}
	}
}

// FuzzGlob compares the wildcard matcher with a regular expression built
// from the same pattern.
func FuzzGlob(f *testing.F) {
	f.Add("a*b?c", "axxbyc", true)
	f.Add("*", "", false)
	f.Add(`\*x*`, "*xyz", true)
	f.Add("?é*", "éé", false)
	f.Fuzz(func(t *testing.T, pattern, text string, fold bool) {
		p := sigma.ParsePattern(pattern, false)
		m, lits := newStrMatcher(p, fold)
		var re strings.Builder
		re.WriteString("^(?s)")
		for _, part := range p.Parts {
			switch part.Kind {
			case sigma.PartLiteral:
				re.WriteString(regexp.QuoteMeta(part.Text))
			case sigma.PartAnyString:
				re.WriteString(".*")
			case sigma.PartAnyChar:
				re.WriteString(".")
			}
		}
		re.WriteString("$")
		target := text
		if fold {
			target = foldString(text)
			// The pattern's literals are folded by newStrMatcher; fold the
			// regular expression's too.
			re.Reset()
			re.WriteString("^(?s)")
			for _, part := range p.Parts {
				switch part.Kind {
				case sigma.PartLiteral:
					re.WriteString(regexp.QuoteMeta(foldString(part.Text)))
				case sigma.PartAnyString:
					re.WriteString(".*")
				case sigma.PartAnyChar:
					re.WriteString(".")
				}
			}
			re.WriteString("$")
		}
		rx, err := regexp.Compile(re.String())
		if err != nil {
			t.Skip()
		}
		// Regular expressions read invalid UTF-8 byte by byte as U+FFFD,
		// as the matcher does.
		want := rx.MatchString(target)
		if got := m.matchText(text); got != want {
			t.Fatalf("pattern %q text %q fold %v: matcher %v, regexp %v", pattern, text, fold, got, want)
		}
		// The index literal is in every matching text.
		if want && len(lits) == 1 && !strings.Contains(foldString(text), lits[0]) {
			t.Fatalf("pattern %q matches %q without its literal %q", pattern, text, lits[0])
		}
	})
}
