package engine

import (
	"regexp/syntax"
	"unicode/utf8"
)

// maxRegexLiterals bounds the alternatives a regular expression may give
// the index.
const maxRegexLiterals = 64

// regexLiterals returns texts (folded) of which every match of the
// regular expression contains at least one, or ok false when no such set
// can be found. Case-insensitive parts keep only the letters whose case
// folding stays within ASCII: RE2 folds k and s with the Kelvin sign and
// the long s, which the index's ASCII folding does not.
func regexLiterals(pattern string) (lits []string, ok bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false
	}
	set := requiredOf(re.Simplify())
	if !set.ok || len(set.lits) == 0 || len(set.lits) > maxRegexLiterals {
		return nil, false
	}
	return set.lits, true
}

// litChoice is a set of texts one of which must occur.
type litChoice struct {
	ok   bool
	lits []string
}

// betterChoice reports whether a narrows matches more than b: longer
// shortest text (up to 8 bytes), then fewer texts.
func betterChoice(a, b litChoice) bool {
	if a.ok != b.ok {
		return a.ok
	}
	am, bm := minLen(a.lits), minLen(b.lits)
	ac, bc := min(am, 8), min(bm, 8)
	if ac != bc {
		return ac > bc
	}
	if len(a.lits) != len(b.lits) {
		return len(a.lits) < len(b.lits)
	}
	return am > bm
}

func minLen(lits []string) int {
	if len(lits) == 0 {
		return 0
	}
	m := len(lits[0])
	for _, l := range lits[1:] {
		m = min(m, len(l))
	}
	return m
}

func requiredOf(re *syntax.Regexp) litChoice {
	switch re.Op {
	case syntax.OpLiteral:
		return literalChoice(re.Rune, re.Flags&syntax.FoldCase != 0)
	case syntax.OpCharClass:
		// A class of one rune, or of one ASCII letter in both cases.
		if len(re.Rune) == 2 && re.Rune[0] == re.Rune[1] {
			return literalChoice(re.Rune[:1], false)
		}
		if len(re.Rune) == 4 && re.Rune[0] == re.Rune[1] && re.Rune[2] == re.Rune[3] &&
			re.Rune[0] < utf8.RuneSelf && re.Rune[2] < utf8.RuneSelf &&
			lower[byte(re.Rune[0])] == lower[byte(re.Rune[2])] {
			return literalChoice(re.Rune[:1], true)
		}
		return litChoice{}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredOf(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredOf(re.Sub[0])
		}
		return litChoice{}
	case syntax.OpConcat:
		// Adjacent literals of the same case mode make one longer text.
		best := litChoice{}
		var run []rune
		runFold := false
		flush := func() {
			if len(run) > 0 {
				if c := literalChoice(run, runFold); betterChoice(c, best) {
					best = c
				}
				run = nil
			}
		}
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				fold := sub.Flags&syntax.FoldCase != 0
				if len(run) > 0 && fold != runFold {
					flush()
				}
				runFold = fold
				run = append(run, sub.Rune...)
				continue
			}
			flush()
			if c := requiredOf(sub); betterChoice(c, best) {
				best = c
			}
		}
		flush()
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			c := requiredOf(sub)
			if !c.ok {
				return litChoice{}
			}
			all = append(all, c.lits...)
			if len(all) > maxRegexLiterals {
				return litChoice{}
			}
		}
		return litChoice{ok: len(all) > 0, lits: all}
	}
	return litChoice{}
}

// literalChoice returns the text of runes as an index literal. A
// case-insensitive literal is cut at the letters RE2 folds beyond ASCII
// (k, s) and at non-ASCII runes; the longest piece is kept.
func literalChoice(runes []rune, fold bool) litChoice {
	if !fold {
		s := string(runes)
		if s == "" {
			return litChoice{}
		}
		return litChoice{ok: true, lits: []string{foldString(s)}}
	}
	best, cur := "", []byte{}
	for _, r := range runes {
		if r >= utf8.RuneSelf || lower[byte(r)] == 'k' || lower[byte(r)] == 's' {
			if len(cur) > len(best) {
				best = string(cur)
			}
			cur = cur[:0]
			continue
		}
		cur = append(cur, lower[byte(r)])
	}
	if len(cur) > len(best) {
		best = string(cur)
	}
	if best == "" {
		return litChoice{}
	}
	return litChoice{ok: true, lits: []string{best}}
}
