package inventory

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// MaxQuery bounds the length of a search.
const MaxQuery = 1024

// ErrQuery wraps every error of ParseQuery.
var ErrQuery = errors.New("invalid inventory query")

// Query is a parsed inventory search.
type Query struct {
	// Filter holds what the store can select by itself; Filter.Match the
	// rest (version ranges, name patterns, further words).
	Filter store.AssetFilter
}

// ParseQuery parses an inventory search into a store filter. The search is
// a list of terms, all of which must hold:
//
//	redis                 a word: found in the item's key, name, version or fields
//	"Apache Tomcat"       a quoted phrase, likewise
//	kind:package          the item's kind (also kind=package)
//	name:redis            the name, ignoring case; name:redis* for a prefix
//	version<6             the version compared with <, <=, >, >=, =, != (and version:1.2)
//	port:3000             a listening port (kind port, name 3000)
//	agent:ID              one agent
//	collector:os/packages the collector that reported it
//
// Versions compare part by part, numbers as numbers, the way Debian
// compares them; an item's epoch ("5:") and package revision ("-1~deb12u1")
// are ignored unless the searched version has them, so "redis version<6"
// means the upstream version. Words and phrases match case-insensitively.
func ParseQuery(q string) (Query, error) {
	var out Query
	if len(q) > MaxQuery {
		return out, fmt.Errorf("%w: %d bytes, at most %d", ErrQuery, len(q), MaxQuery)
	}
	terms, err := split(q)
	if err != nil {
		return out, err
	}
	var preds []func(store.AssetRecord) bool
	var words []string
	for _, t := range terms {
		if t.quoted {
			words = append(words, strings.ToLower(t.text))
			continue
		}
		field, op, value := cutOperator(t.text)
		if op == "" {
			words = append(words, strings.ToLower(t.text))
			continue
		}
		if value == "" {
			return out, fmt.Errorf("%w: %q has no value", ErrQuery, t.text)
		}
		switch strings.ToLower(field) {
		case "kind":
			if op != ":" && op != "=" || !event.IsAssetKind(value) {
				return out, fmt.Errorf("%w: kind %q: want one of %s", ErrQuery, value, strings.Join(event.AssetKinds, ", "))
			}
			if err := setOnce(&out.Filter.Kind, value, "kind"); err != nil {
				return out, err
			}
		case "name":
			if op != ":" && op != "=" {
				return out, fmt.Errorf("%w: name takes : or =", ErrQuery)
			}
			if prefix, ok := strings.CutSuffix(value, "*"); ok {
				p := strings.ToLower(prefix)
				preds = append(preds, func(r store.AssetRecord) bool { return strings.HasPrefix(strings.ToLower(r.Name), p) })
				continue
			}
			if err := setOnce(&out.Filter.Name, value, "name"); err != nil {
				return out, err
			}
		case "port":
			if op != ":" && op != "=" || strings.TrimFunc(value, unicode.IsDigit) != "" || len(value) > 5 {
				return out, fmt.Errorf("%w: port %q: want a number", ErrQuery, value)
			}
			if err := setOnce(&out.Filter.Kind, event.AssetPort, "kind"); err != nil {
				return out, err
			}
			if err := setOnce(&out.Filter.Name, value, "name"); err != nil {
				return out, err
			}
		case "agent", "agent_id":
			if op != ":" && op != "=" {
				return out, fmt.Errorf("%w: agent takes : or =", ErrQuery)
			}
			if err := setOnce(&out.Filter.AgentID, value, "agent"); err != nil {
				return out, err
			}
		case "collector":
			if op != ":" && op != "=" {
				return out, fmt.Errorf("%w: collector takes : or =", ErrQuery)
			}
			if err := setOnce(&out.Filter.Collector, value, "collector"); err != nil {
				return out, err
			}
		case "version":
			pred, err := versionPredicate(op, value)
			if err != nil {
				return out, err
			}
			preds = append(preds, pred)
		default:
			return out, fmt.Errorf("%w: unknown field %q (kind, name, version, port, agent, collector)", ErrQuery, field)
		}
	}
	if len(words) > 0 {
		// The first word narrows in the store; the others are checked here.
		out.Filter.Q = words[0]
		rest := words[1:]
		if len(rest) > 0 {
			preds = append(preds, func(r store.AssetRecord) bool {
				text := strings.ToLower(r.Key + " " + r.Name + " " + r.Version + " " + string(r.Fields))
				for _, w := range rest {
					if !strings.Contains(text, w) {
						return false
					}
				}
				return true
			})
		}
	}
	if len(preds) > 0 {
		out.Filter.Match = func(r store.AssetRecord) bool {
			for _, p := range preds {
				if !p(r) {
					return false
				}
			}
			return true
		}
	}
	return out, nil
}

// setOnce sets a filter field that a query may name once.
func setOnce(dst *string, v, name string) error {
	if *dst != "" && !strings.EqualFold(*dst, v) {
		return fmt.Errorf("%w: %s given twice (%q and %q)", ErrQuery, name, *dst, v)
	}
	*dst = v
	return nil
}

// term is one term of a query.
type term struct {
	text   string
	quoted bool
}

// split cuts a query into terms at spaces, keeping quoted phrases whole.
func split(q string) ([]term, error) {
	var out []term
	var b strings.Builder
	inQuote, quoted := false, false
	flush := func() {
		if b.Len() > 0 || quoted {
			if s := b.String(); s != "" {
				out = append(out, term{text: s, quoted: quoted})
			}
		}
		b.Reset()
		quoted = false
	}
	for _, r := range q {
		switch {
		case r == '"':
			if inQuote {
				inQuote = false
				flush()
			} else {
				flush()
				inQuote, quoted = true, true
			}
		case unicode.IsSpace(r) && !inQuote:
			flush()
		case unicode.IsControl(r):
			return nil, fmt.Errorf("%w: control character %U", ErrQuery, r)
		default:
			b.WriteRune(r)
		}
	}
	if inQuote {
		return nil, fmt.Errorf("%w: unterminated quote", ErrQuery)
	}
	flush()
	return out, nil
}

// cutOperator splits "field<op>value"; op is "" when the term is a word.
func cutOperator(s string) (field, op, value string) {
	i := strings.IndexAny(s, ":<>=!")
	if i <= 0 {
		return "", "", s
	}
	field, rest := s[:i], s[i:]
	for _, o := range []string{"<=", ">=", "!=", "<", ">", "=", ":"} {
		if v, ok := strings.CutPrefix(rest, o); ok {
			if strings.IndexFunc(field, func(r rune) bool { return !unicode.IsLetter(r) && r != '_' }) >= 0 {
				return "", "", s
			}
			return field, o, v
		}
	}
	return "", "", s
}

// versionPredicate returns the test of "version <op> value".
func versionPredicate(op, value string) (func(store.AssetRecord) bool, error) {
	if len(value) > 128 {
		return nil, fmt.Errorf("%w: version %q is too long", ErrQuery, value[:32])
	}
	withEpoch := strings.Contains(value, ":")
	withRevision := strings.Contains(value, "-")
	cmp := func(r store.AssetRecord) (int, bool) {
		if r.Version == "" {
			return 0, false
		}
		v := r.Version
		if !withEpoch {
			if i := strings.IndexByte(v, ':'); i > 0 && strings.TrimFunc(v[:i], unicode.IsDigit) == "" {
				v = v[i+1:]
			}
		}
		if !withRevision {
			if i := strings.LastIndexByte(v, '-'); i > 0 {
				v = v[:i]
			}
		}
		return CompareVersions(v, value), true
	}
	var test func(int) bool
	switch op {
	case "<":
		test = func(c int) bool { return c < 0 }
	case "<=":
		test = func(c int) bool { return c <= 0 }
	case ">":
		test = func(c int) bool { return c > 0 }
	case ">=":
		test = func(c int) bool { return c >= 0 }
	case "=", ":":
		test = func(c int) bool { return c == 0 }
	case "!=":
		test = func(c int) bool { return c != 0 }
	}
	return func(r store.AssetRecord) bool {
		c, ok := cmp(r)
		return ok && test(c)
	}, nil
}

// CompareVersions compares two versions the way dpkg does (epoch,
// upstream version, revision; within each, runs of non-digits compared
// with "~" before everything and letters before other characters, runs of
// digits compared as numbers). It returns -1, 0 or 1. It orders the
// versions of most ecosystems correctly (1.2.10 after 1.2.9, 2.0~rc1
// before 2.0), which is what inventory searches need; the vulnerability
// matcher uses each ecosystem's own rules.
func CompareVersions(a, b string) int {
	ea, ua, ra := splitDebian(a)
	eb, ub, rb := splitDebian(b)
	if c := compareNumbers(ea, eb); c != 0 {
		return c
	}
	if c := compareFragment(ua, ub); c != 0 {
		return c
	}
	return compareFragment(ra, rb)
}

// splitDebian splits [epoch:]upstream[-revision].
func splitDebian(v string) (epoch, upstream, revision string) {
	if i := strings.IndexByte(v, ':'); i > 0 && strings.TrimFunc(v[:i], unicode.IsDigit) == "" {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// compareFragment is dpkg's verrevcmp.
func compareFragment(a, b string) int {
	for a != "" || b != "" {
		// Non-digit runs.
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			ca, cb := order(a), order(b)
			if ca != cb {
				if ca < cb {
					return -1
				}
				return 1
			}
			a, b = a[1:], b[1:]
		}
		// Digit runs, as numbers.
		i := 0
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		j := 0
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if c := compareNumbers(a[:i], b[:j]); c != 0 {
			return c
		}
		a, b = a[i:], b[j:]
	}
	return 0
}

// order is dpkg's order of the first character of s: "~" before the end
// of a run (an empty string or a digit), then letters, then the rest.
func order(s string) int {
	if s == "" || isDigit(s[0]) {
		return 0
	}
	c := s[0]
	switch {
	case c == '~':
		return -1
	case isLetter(c):
		return int(c)
	default:
		return int(c) + 256
	}
}

// compareNumbers compares runs of digits of any length.
func compareNumbers(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
