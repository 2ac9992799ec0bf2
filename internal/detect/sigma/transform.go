package sigma

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// windashes are the characters the windash modifier writes a flag's
// dash as.
var windashes = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// MaxWindashFlags bounds the flags one windash value may have: each
// multiplies the variants by five.
const MaxWindashFlags = 4

// Expand applies the transforms of mods to a value's pattern, in order,
// and returns the patterns the field is compared with (linked with OR).
// encoded is true when the result is Base64 text, which is compared
// case-sensitively whatever the modifiers say.
func Expand(mods Modifiers, p Pattern) (patterns []Pattern, encoded bool, err error) {
	patterns = []Pattern{p}
	for _, t := range mods.Transforms {
		var next []Pattern
		for _, cur := range patterns {
			if t == TransformWindash {
				vs, err := windash(cur)
				if err != nil {
					return nil, false, err
				}
				next = append(next, vs...)
				continue
			}
			text, ok := cur.Plain()
			if !ok {
				return nil, false, fmt.Errorf("modifier %s cannot encode a pattern with wildcards or placeholders", t)
			}
			for _, out := range encode(t, text) {
				next = append(next, LiteralPattern(out))
			}
		}
		patterns = next
		if t == TransformBase64 || t == TransformBase64Offset {
			encoded = true
		}
	}
	return patterns, encoded, nil
}

// encode applies one encoding transform to text.
func encode(t Transform, text string) []string {
	switch t {
	case TransformUTF16LE:
		return []string{utf16Bytes(text, false, false)}
	case TransformUTF16BE:
		return []string{utf16Bytes(text, true, false)}
	case TransformUTF16:
		return []string{utf16Bytes(text, false, true)}
	case TransformBase64:
		return []string{base64.StdEncoding.EncodeToString([]byte(text))}
	case TransformBase64Offset:
		return base64Offsets(text)
	}
	return []string{text}
}

// utf16Bytes encodes text (UTF-8; other bytes are taken as Latin-1) in
// UTF-16, big- or little-endian, after a byte order mark when bom.
func utf16Bytes(text string, bigEndian, bom bool) string {
	var units []uint16
	if bom {
		units = append(units, 0xfeff)
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size == 1 {
			r = rune(text[i])
		}
		i += size
		units = utf16.AppendRune(units, r)
	}
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// base64Offsets returns the Base64 text of value as it reads when value
// starts at each of the three byte offsets of a longer encoded text: the
// characters that also depend on the bytes before or after value are
// left out.
func base64Offsets(value string) []string {
	out := make([]string, 0, 3)
	for shift := 0; shift < 3; shift++ {
		// shift unknown bytes before the value: their bits reach into the
		// first 0, 2 or 3 characters of the encoding.
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, shift), value...))
		lead := [3]int{0, 2, 3}[shift]
		// The last group holds 1 or 2 bytes of the value when the total is
		// not a multiple of three: its last character (and the padding)
		// depends on the bytes after the value.
		trail := [3]int{0, 3, 2}[(len(value)+shift)%3]
		if lead >= len(enc)-trail {
			continue
		}
		out = append(out, enc[lead:len(enc)-trail])
	}
	return out
}

// windash returns the variants of p with each flag's dash written in
// every way: a dash that starts a flag is one not preceded by a letter,
// digit or underscore and followed by one.
func windash(p Pattern) ([]Pattern, error) {
	type site struct {
		part, at, size int
	}
	var sites []site
	for pi, part := range p.Parts {
		if part.Kind != PartLiteral {
			continue
		}
		for i := 0; i < len(part.Text); {
			_, size := utf8.DecodeRuneInString(part.Text[i:])
			if isDash(part.Text[i:i+size]) && (i == 0 || !wordByte(part.Text[i-1])) &&
				i+size < len(part.Text) && wordByte(part.Text[i+size]) {
				sites = append(sites, site{pi, i, size})
			}
			i += size
		}
	}
	if len(sites) == 0 {
		return []Pattern{p}, nil
	}
	if len(sites) > MaxWindashFlags {
		return nil, fmt.Errorf("modifier windash: %d flags in one value, at most %d can be expanded", len(sites), MaxWindashFlags)
	}
	total := 1
	for range sites {
		total *= len(windashes)
	}
	out := make([]Pattern, 0, total)
	choice := make([]int, len(sites))
	for n := 0; n < total; n++ {
		rest := n
		for i := range choice {
			choice[i] = rest % len(windashes)
			rest /= len(windashes)
		}
		parts := append([]PatternPart(nil), p.Parts...)
		// Replace from the last site of a part backwards, so that earlier
		// offsets stay valid.
		for i := len(sites) - 1; i >= 0; i-- {
			s := sites[i]
			t := parts[s.part].Text
			parts[s.part].Text = t[:s.at] + windashes[choice[i]] + t[s.at+s.size:]
		}
		out = append(out, Pattern{Parts: parts})
	}
	return out, nil
}

func isDash(s string) bool {
	for _, d := range windashes {
		if s == d {
			return true
		}
	}
	return false
}

func wordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// MaxPlaceholderVariants bounds the patterns one value may expand into.
const MaxPlaceholderVariants = 1024

// ExpandPlaceholders replaces each %placeholder% of p with each of its
// values (Sigma strings: their wildcards count) and returns every
// combination. A placeholder without values is an error naming it.
func ExpandPlaceholders(p Pattern, values map[string][]string) ([]Pattern, error) {
	var missing []string
	total := 1
	for _, name := range p.Placeholders() {
		vs := values[name]
		if len(vs) == 0 {
			missing = append(missing, "%"+name+"%")
			continue
		}
		total *= len(vs)
		if total > MaxPlaceholderVariants {
			return nil, fmt.Errorf("modifier expand: more than %d combinations of placeholder values", MaxPlaceholderVariants)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("modifier expand needs placeholders: %s not defined", strings.Join(missing, ", "))
	}
	out := []Pattern{{}}
	for _, part := range p.Parts {
		if part.Kind != PartPlaceholder {
			for i := range out {
				out[i].Parts = append(out[i].Parts, part)
			}
			continue
		}
		var next []Pattern
		for _, cur := range out {
			for _, v := range values[part.Text] {
				parts := append(append([]PatternPart(nil), cur.Parts...), ParsePattern(v, false).Parts...)
				next = append(next, Pattern{Parts: parts})
			}
		}
		out = next
	}
	for i := range out {
		out[i] = normalize(out[i])
	}
	return out, nil
}

// normalize merges adjacent literals and adjacent stars.
func normalize(p Pattern) Pattern {
	var parts []PatternPart
	for _, part := range p.Parts {
		if n := len(parts); n > 0 {
			last := &parts[n-1]
			if last.Kind == PartLiteral && part.Kind == PartLiteral {
				last.Text += part.Text
				continue
			}
			if last.Kind == PartAnyString && part.Kind == PartAnyString {
				continue
			}
		}
		if part.Kind == PartLiteral && part.Text == "" {
			continue
		}
		parts = append(parts, part)
	}
	return Pattern{Parts: parts}
}
