package engine

import "unicode/utf8"

// Case-insensitive comparison in this package folds ASCII letters only
// (A-Z to a-z): the literal index and the full evaluation must agree on
// what "the same text" is, and the index works on bytes.

// lower maps each byte to its ASCII lower case.
var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// foldString returns s with ASCII letters in lower case.
func foldString(s string) string {
	for i := 0; i < len(s); i++ {
		if lower[s[i]] != s[i] {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower[b[j]]
			}
			return string(b)
		}
	}
	return s
}

// equalFold reports whether s equals t, with t already folded when fold.
func equalFold(s, t string, fold bool) bool {
	if len(s) != len(t) {
		return false
	}
	if !fold {
		return s == t
	}
	for i := 0; i < len(s); i++ {
		if lower[s[i]] != t[i] {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether s starts with t (folded when fold).
func hasPrefixFold(s, t string, fold bool) bool {
	return len(s) >= len(t) && equalFold(s[:len(t)], t, fold)
}

// hasSuffixFold reports whether s ends with t (folded when fold).
func hasSuffixFold(s, t string, fold bool) bool {
	return len(s) >= len(t) && equalFold(s[len(s)-len(t):], t, fold)
}

// indexFold returns the first index of t (folded when fold) in s, or -1.
func indexFold(s, t string, fold bool) int {
	if len(t) == 0 {
		return 0
	}
	first := t[0]
	for i := 0; i+len(t) <= len(s); i++ {
		c := s[i]
		if fold {
			c = lower[c]
		}
		if c == first && equalFold(s[i:i+len(t)], t, fold) {
			return i
		}
	}
	return -1
}

// tokKind is the kind of one token of a compiled wildcard pattern.
type tokKind uint8

const (
	tokLit  tokKind = iota // literal text
	tokStar                // any text
	tokOne                 // one character
)

type globTok struct {
	kind tokKind
	text string
}

// globMatch reports whether s matches the tokens. It backtracks only to
// the last star, so it takes at most len(s) times the pattern's length.
func globMatch(toks []globTok, s string, fold bool) bool {
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case tokStar:
				starTi, starSi = ti, si
				ti++
				continue
			case tokOne:
				if si < len(s) {
					_, size := utf8.DecodeRuneInString(s[si:])
					si += size
					ti++
					continue
				}
			case tokLit:
				if hasPrefixFold(s[si:], t.text, fold) {
					si += len(t.text)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[starSi:])
		starSi += size
		ti, si = starTi+1, starSi
	}
}
