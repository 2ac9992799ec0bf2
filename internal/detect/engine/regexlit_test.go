package engine

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRegexLiterals(t *testing.T) {
	tests := []struct {
		re   string
		want []string
	}{
		{`curl`, []string{"curl"}},
		{`^/usr/bin/python[0-9.]*$`, []string{"/usr/bin/python"}},
		{`(wget|curl) .*\| *(ba)?sh`, []string{"wget", "curl"}},
		{`(wget|curl)-x`, []string{"wget", "curl"}},
		{`nc(at)? -e`, []string{" -e"}},
		{`(?i)WHOAMI`, []string{"whoami"}},
		{`(?i)mkfifo`, []string{"fifo"}},      // k folds with the Kelvin sign
		{`(?i)base64 -d`, []string{"e64 -d"}}, // s folds with the long s
		{`a+b`, []string{"a"}},
		{`(abc){2,}`, []string{"abc"}},
		{`x[Yy]z`, []string{"x"}},
		{`.*`, nil},
		{`[a-z]+`, nil},
		{`(a|.)`, nil},
		{`(?:foo)?bar`, []string{"bar"}},
	}
	for _, tt := range tests {
		got, ok := regexLiterals(tt.re)
		if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
			t.Errorf("regexLiterals(%q) = %q, %v; want %q", tt.re, got, ok, tt.want)
		}
	}
}

// FuzzRegexLiterals checks the promise of regexLiterals: every text the
// expression matches contains one of the literals (ASCII-folded).
func FuzzRegexLiterals(f *testing.F) {
	f.Add(`(wget|curl) .*sh`, "curl http://x | sh")
	f.Add(`(?i)kill -9`, "KILL -9 1")
	f.Add(`(?i)sk`, "\u017fK")
	f.Add(`a(b|c)d`, "xacdx")
	f.Fuzz(func(t *testing.T, pattern, text string) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		lits, ok := regexLiterals(pattern)
		if !ok || !re.MatchString(text) {
			return
		}
		folded := foldString(text)
		for _, l := range lits {
			if strings.Contains(folded, l) {
				return
			}
		}
		t.Fatalf("%q matches %q, which holds none of %q", pattern, text, lits)
	})
}
