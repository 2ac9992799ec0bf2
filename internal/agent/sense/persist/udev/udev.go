// Package udev parses udev rules files (udev(7)): one rule a logical line
// (a trailing backslash continues it), made of comma-separated
// KEY[{attr}]OP"value" pairs, with '#' comments.
//
// A rule with a pair that cannot be read (no key, no operator, a value
// that is not quoted or not terminated) is skipped and listed in
// File.Problems: udev skips it too.
package udev

import (
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// Pair is one KEY{attr}OP"value" of a rule.
type Pair struct {
	Key, Attr, Op, Value string
}

// Rule is one rule.
type Rule struct {
	// Line is the number of its first physical line.
	Line int
	// Text is the rule as written, continuations joined.
	Text  string
	Pairs []Pair
}

// File is a parsed rules file.
type File struct {
	Rules    []Rule
	Problems textfile.Problems
}

// ops are the operators, longest first.
var ops = []string{"==", "!=", "+=", "-=", ":=", "="}

// Parse parses a rules file.
func Parse(data []byte) File {
	var f File
	for n, raw := range textfile.Logical(data, nil) {
		text := strings.TrimSpace(string(raw))
		if text == "" || text[0] == '#' {
			continue
		}
		pairs, reason := pairs(text)
		if reason == "" && len(pairs) == 0 {
			reason = "rule without key-value pairs"
		}
		if reason != "" {
			f.Problems.Skip(n, reason)
			continue
		}
		f.Rules = append(f.Rules, Rule{Line: n, Text: text, Pairs: pairs})
	}
	return f
}

// pairs reads the pairs of a rule.
func pairs(s string) ([]Pair, string) {
	var out []Pair
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return out, ""
		}
		var p Pair
		i := 0
		for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z' || s[i] == '_' || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		if i == 0 {
			return nil, "pair without a key"
		}
		p.Key, s = s[:i], s[i:]
		if strings.HasPrefix(s, "{") {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return nil, "unterminated {attribute}"
			}
			p.Attr, s = s[1:end], s[end+1:]
		}
		s = strings.TrimLeft(s, " \t")
		for _, op := range ops {
			if strings.HasPrefix(s, op) {
				p.Op, s = op, s[len(op):]
				break
			}
		}
		if p.Op == "" {
			return nil, "pair without an operator"
		}
		s = strings.TrimLeft(s, " \t")
		s = strings.TrimPrefix(s, "e") // e"..." takes C escapes
		if !strings.HasPrefix(s, `"`) {
			return nil, "value not in double quotes"
		}
		var v strings.Builder
		j := 1
		for ; j < len(s) && s[j] != '"'; j++ {
			if s[j] == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
				j++
			}
			v.WriteByte(s[j])
		}
		if j >= len(s) {
			return nil, "unterminated value"
		}
		p.Value, s = v.String(), s[j+1:]
		if s != "" && s[0] != ',' && s[0] != ' ' && s[0] != '\t' {
			return nil, "no separator after a value"
		}
		out = append(out, p)
	}
}

// Commands returns the programs the rule runs or executes to match or
// import: RUN (not RUN{builtin}), PROGRAM and IMPORT{program}
// assignments and matches.
func (r Rule) Commands() []string {
	var out []string
	for _, p := range r.Pairs {
		switch {
		case p.Key == "RUN" && p.Attr != "builtin" && p.Op != "==" && p.Op != "!=",
			p.Key == "PROGRAM",
			p.Key == "IMPORT" && p.Attr == "program":
			out = append(out, p.Value)
		}
	}
	return out
}
