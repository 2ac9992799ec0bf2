package sigma

import "strings"

// PartKind is the kind of one piece of a Pattern.
type PartKind uint8

// Pattern parts.
const (
	// PartLiteral is plain text.
	PartLiteral PartKind = iota + 1
	// PartAnyString is `*`: any text, empty included.
	PartAnyString
	// PartAnyChar is `?`: exactly one character.
	PartAnyChar
	// PartPlaceholder is `%name%` under the expand modifier; Text is the
	// name without the percent signs.
	PartPlaceholder
)

// PatternPart is one piece of a pattern.
type PatternPart struct {
	Kind PartKind
	Text string
}

// Pattern is a Sigma string: literal text with wildcards (and
// placeholders under expand). Adjacent literals are merged, so a pattern
// without wildcards has at most one part.
type Pattern struct {
	Parts []PatternPart
}

// ParsePattern reads a Sigma string. The backslash escapes `*`, `?` and
// itself; before any other character it is a plain backslash, so that
// Windows paths need no escaping. With placeholders, `%name%` is a
// placeholder and `\%` a plain percent sign.
func ParsePattern(s string, placeholders bool) Pattern {
	var p Pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.Parts = append(p.Parts, PatternPart{Kind: PartLiteral, Text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\' || placeholders && s[i+1] == '%') {
				lit.WriteByte(s[i+1])
				i++
				continue
			}
			lit.WriteByte('\\')
		case c == '*':
			flush()
			// Consecutive stars mean the same as one.
			if n := len(p.Parts); n == 0 || p.Parts[n-1].Kind != PartAnyString {
				p.Parts = append(p.Parts, PatternPart{Kind: PartAnyString})
			}
		case c == '?':
			flush()
			p.Parts = append(p.Parts, PatternPart{Kind: PartAnyChar})
		case c == '%' && placeholders:
			end := strings.IndexByte(s[i+1:], '%')
			if end <= 0 {
				lit.WriteByte('%')
				continue
			}
			flush()
			p.Parts = append(p.Parts, PatternPart{Kind: PartPlaceholder, Text: s[i+1 : i+1+end]})
			i += end + 1
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return p
}

// LiteralPattern returns the pattern of plain text s (no wildcards).
func LiteralPattern(s string) Pattern {
	if s == "" {
		return Pattern{}
	}
	return Pattern{Parts: []PatternPart{{Kind: PartLiteral, Text: s}}}
}

// Plain returns the text of a pattern without wildcards or
// placeholders, and false for any other pattern.
func (p Pattern) Plain() (string, bool) {
	switch {
	case len(p.Parts) == 0:
		return "", true
	case len(p.Parts) == 1 && p.Parts[0].Kind == PartLiteral:
		return p.Parts[0].Text, true
	}
	return "", false
}

// HasWildcards reports whether the pattern has `*` or `?`.
func (p Pattern) HasWildcards() bool {
	for _, part := range p.Parts {
		if part.Kind == PartAnyString || part.Kind == PartAnyChar {
			return true
		}
	}
	return false
}

// Placeholders returns the names of the pattern's placeholders.
func (p Pattern) Placeholders() []string {
	var names []string
	for _, part := range p.Parts {
		if part.Kind == PartPlaceholder {
			names = append(names, part.Text)
		}
	}
	return names
}

// String writes the pattern back in Sigma's notation, escaping what
// needs it: ParsePattern(p.String(), p has placeholders) equals p.
func (p Pattern) String() string {
	return p.Format(len(p.Placeholders()) > 0)
}

// Format writes the pattern in Sigma's notation for a value read with or
// without placeholders (the expand modifier), which decides whether a
// percent sign needs escaping.
func (p Pattern) Format(placeholders bool) string {
	var b strings.Builder
	for _, part := range p.Parts {
		switch part.Kind {
		case PartLiteral:
			for i := 0; i < len(part.Text); i++ {
				c := part.Text[i]
				// A doubled backslash always reads as one.
				if c == '*' || c == '?' || c == '\\' || c == '%' && placeholders {
					b.WriteByte('\\')
				}
				b.WriteByte(c)
			}
		case PartAnyString:
			b.WriteByte('*')
		case PartAnyChar:
			b.WriteByte('?')
		case PartPlaceholder:
			b.WriteString("%" + part.Text + "%")
		}
	}
	return b.String()
}

// Wrap returns the pattern with `*` added at the start (when start) and
// at the end (when end), as contains, startswith and endswith do.
func (p Pattern) Wrap(start, end bool) Pattern {
	parts := make([]PatternPart, 0, len(p.Parts)+2)
	if start && (len(p.Parts) == 0 || p.Parts[0].Kind != PartAnyString) {
		parts = append(parts, PatternPart{Kind: PartAnyString})
	}
	parts = append(parts, p.Parts...)
	if end && (len(parts) == 0 || parts[len(parts)-1].Kind != PartAnyString) {
		parts = append(parts, PatternPart{Kind: PartAnyString})
	}
	return Pattern{Parts: parts}
}
