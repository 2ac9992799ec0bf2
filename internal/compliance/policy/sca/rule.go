package sca

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Rule is one parsed SCA rule string, e.g.
// `not f:/etc/ssh/sshd_config -> !r:^# && r:PermitRootLogin\s+yes`.
type Rule struct {
	Not bool
	// Kind is the rule's type: f (file), d (folder), c (command),
	// p (process) or r (Windows registry).
	Kind byte
	// Target is the file(s), folder(s), command, process or registry key.
	Target string
	// Entry is the middle part of a d: rule (which files of the folder)
	// or of an r: rule (the value's name); "" when absent.
	Entry string
	// Content is the content test, "" for an existence rule.
	Content []Minterm
}

// Minterm is one test of a content expression; a line passes the
// expression when it passes every minterm.
type Minterm struct {
	Negate bool
	// Op is "r" (regex), "n" (numeric comparison) or "" (the whole line
	// equals Value, ignoring case).
	Op    string
	Value string
	// For "n": the comparison and the number.
	Compare string
	Number  string
}

// ParseRule parses an SCA rule string.
func ParseRule(s string) (*Rule, error) {
	r := &Rule{}
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "not "); ok {
		r.Not, s = true, strings.TrimSpace(rest)
	}
	if len(s) < 2 || s[1] != ':' || !strings.ContainsRune("fdcpr", rune(s[0])) {
		return nil, fmt.Errorf("%q: a rule starts with f:, d:, c:, p: or r:", clipText(s))
	}
	r.Kind = s[0]
	parts := strings.Split(s[2:], " -> ")
	r.Target = strings.TrimSpace(parts[0])
	if r.Target == "" {
		return nil, fmt.Errorf("%q: no target after %c:", clipText(s), r.Kind)
	}
	var content string
	switch r.Kind {
	case 'f', 'c':
		if len(parts) > 2 {
			return nil, fmt.Errorf("%q: a %c: rule has at most one ->", clipText(s), r.Kind)
		}
		if len(parts) == 2 {
			content = parts[1]
		}
	case 'd', 'r':
		if len(parts) > 3 {
			return nil, fmt.Errorf("%q: a %c: rule has at most two ->", clipText(s), r.Kind)
		}
		if len(parts) >= 2 {
			r.Entry = strings.TrimSpace(parts[1])
		}
		if len(parts) == 3 {
			content = parts[2]
		}
	case 'p':
		if len(parts) > 1 {
			return nil, fmt.Errorf("%q: a p: rule has no ->", clipText(s))
		}
	}
	if content != "" {
		for _, term := range strings.Split(content, " && ") {
			m, err := parseMinterm(term)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", clipText(s), err)
			}
			r.Content = append(r.Content, m)
		}
	}
	return r, nil
}

var compareForm = regexp.MustCompile(`^(.*) compare (<=|>=|==|!=|<|>) ?(-?[0-9]+)\s*$`)

func parseMinterm(t string) (Minterm, error) {
	var m Minterm
	t = strings.TrimLeft(t, " ")
	if rest, ok := strings.CutPrefix(t, "!"); ok {
		m.Negate, t = true, rest
	}
	switch {
	case strings.HasPrefix(t, "r:"):
		m.Op, m.Value = "r", t[2:]
	case strings.HasPrefix(t, "n:"):
		c := compareForm.FindStringSubmatch(t[2:])
		if c == nil {
			return m, fmt.Errorf("%q: want n:REGEX compare OP NUMBER", clipText(t))
		}
		m.Op, m.Value, m.Compare, m.Number = "n", c[1], c[2], c[3]
	default:
		m.Value = t
	}
	if m.Value == "" && m.Op != "" {
		return m, fmt.Errorf("%q: an empty pattern", clipText(t))
	}
	return m, nil
}

func clipText(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// osRegexClass is what each OS_Regex escape matches, in RE2.
var osRegexClass = map[byte]string{
	'w': `[A-Za-z0-9@_\-]`,
	'W': `[^A-Za-z0-9@_\-]`,
	'd': `[0-9]`,
	'D': `[^0-9]`,
	's': `[ ]`,
	'S': `[^ ]`,
	't': `\t`,
	'p': `[()*+,\-.:;<=>?\[\]!"'#$%&|{}]`,
	'.': `.`,
}

// osRegexLiteral are the escapes that stand for one character.
var osRegexLiteral = map[byte]string{'$': `\$`, '(': `\(`, ')': `\)`, '\\': `\\`, '|': `\|`, '<': `<`, '>': `>`, '!': `!`}

// TranslateOSRegex turns Wazuh's OS_Regex (the r: of SCA files without
// regex_type: pcre2) into an equivalent RE2 expression: case
// insensitive, `|` between whole patterns, ^ and $ only at a
// pattern's ends, + and * only after an escape (\w+), \s a blank, \.
// any character, ( ) a capture group.
func TranslateOSRegex(expr string) (string, error) {
	var alts []string
	for _, sub := range splitUnescaped(expr, '|') {
		var b strings.Builder
		if strings.HasPrefix(sub, "^") {
			b.WriteByte('^')
			sub = sub[1:]
		}
		end := false
		if strings.HasSuffix(sub, "$") && !strings.HasSuffix(sub, `\$`) {
			end = true
			sub = sub[:len(sub)-1]
		}
		depth := 0
		for i := 0; i < len(sub); i++ {
			c := sub[i]
			switch c {
			case '\\':
				if i+1 >= len(sub) {
					return "", fmt.Errorf("OS_Regex %q ends with a lone backslash", expr)
				}
				e := sub[i+1]
				i++
				if cls, ok := osRegexClass[e]; ok {
					b.WriteString(cls)
					if i+1 < len(sub) && (sub[i+1] == '+' || sub[i+1] == '*') {
						b.WriteByte(sub[i+1])
						i++
					}
					continue
				}
				if lit, ok := osRegexLiteral[e]; ok {
					b.WriteString(lit)
					continue
				}
				return "", fmt.Errorf("OS_Regex %q: \\%c is not an OS_Regex escape", expr, e)
			case '(':
				depth++
				if depth > 1 {
					return "", fmt.Errorf("OS_Regex %q: groups do not nest", expr)
				}
				b.WriteByte('(')
			case ')':
				depth--
				if depth < 0 {
					return "", fmt.Errorf("OS_Regex %q: ) without (", expr)
				}
				b.WriteByte(')')
			default:
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		if depth != 0 {
			return "", fmt.Errorf("OS_Regex %q: ( is not closed", expr)
		}
		if end {
			b.WriteByte('$')
		}
		alts = append(alts, b.String())
	}
	out := "(?i)" + strings.Join(alts, "|")
	if len(alts) > 1 {
		out = "(?i)(?:" + strings.Join(alts, ")|(?:") + ")"
	}
	if _, err := regexp.Compile(out); err != nil {
		return "", fmt.Errorf("OS_Regex %q: %w", expr, err)
	}
	return out, nil
}

// splitUnescaped splits s at each sep not preceded by a backslash.
func splitUnescaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// pcreUnsupported names PCRE2 constructs RE2 lacks.
var pcreUnsupported = []struct{ token, name string }{
	{"(?=", "lookahead"}, {"(?!", "negative lookahead"}, {"(?<=", "lookbehind"},
	{"(?<!", "negative lookbehind"}, {"(?>", "atomic group"}, {`\K`, `\K`},
	{"*+", "possessive quantifier"}, {"++", "possessive quantifier"}, {"?+", "possessive quantifier"},
}

var backref = regexp.MustCompile(`\\[1-9]|\\g\{?-?[0-9]|\\k<`)

// TranslatePCRE turns a PCRE2 expression (regex_type: pcre2) into RE2:
// \h and \H become blank classes, \Z becomes \z; lookarounds,
// backreferences, atomic groups and possessive quantifiers cannot be
// translated and are errors.
func TranslatePCRE(expr string) (string, error) {
	for _, u := range pcreUnsupported {
		if strings.Contains(expr, u.token) {
			return "", fmt.Errorf("PCRE2 %q: RE2 has no %s", clipText(expr), u.name)
		}
	}
	if backref.MatchString(expr) {
		return "", fmt.Errorf("PCRE2 %q: RE2 has no backreference", clipText(expr))
	}
	var b strings.Builder
	for i := 0; i < len(expr); i++ {
		if expr[i] == '\\' && i+1 < len(expr) {
			switch expr[i+1] {
			case 'h':
				b.WriteString(`[\t ]`)
				i++
				continue
			case 'H':
				b.WriteString(`[^\t ]`)
				i++
				continue
			case 'Z':
				b.WriteString(`\z`)
				i++
				continue
			}
			b.WriteByte(expr[i])
			b.WriteByte(expr[i+1])
			i++
			continue
		}
		b.WriteByte(expr[i])
	}
	out := b.String()
	// Inside a [class], \h was written as a class in a class: RE2
	// refuses that, so it is reported rather than mistranslated.
	if _, err := regexp.Compile(out); err != nil {
		return "", fmt.Errorf("PCRE2 %q: not valid in RE2: %w", clipText(expr), err)
	}
	return out, nil
}

// literalLine is the regex of a literal minterm: the whole line equals
// the text, ignoring case.
func literalLine(text string) string {
	return "(?i)^" + regexp.QuoteMeta(text) + "$"
}

// wazuhOps maps n: comparisons to policy operators.
var wazuhOps = map[string]string{"<": "lt", "<=": "le", "==": "eq", "!=": "ne", ">=": "ge", ">": "gt"}

// numberOK reports whether s is a whole number.
func numberOK(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
