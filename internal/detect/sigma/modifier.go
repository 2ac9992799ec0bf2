package sigma

import (
	"fmt"
	"sort"
	"strings"
)

// Operator is how a field's value is compared with a rule's value.
type Operator uint8

// Operators. OpMatch is the default: equality under Sigma's wildcards.
const (
	OpMatch Operator = iota
	OpContains
	OpStartsWith
	OpEndsWith
	OpRegex
	OpCIDR
	OpExists
	OpLT
	OpLTE
	OpGT
	OpGTE
)

var operatorNames = [...]string{OpMatch: "match", OpContains: "contains", OpStartsWith: "startswith",
	OpEndsWith: "endswith", OpRegex: "re", OpCIDR: "cidr", OpExists: "exists", OpLT: "lt", OpLTE: "lte",
	OpGT: "gt", OpGTE: "gte"}

// String returns the modifier's name ("match" for the default).
func (o Operator) String() string {
	if int(o) < len(operatorNames) {
		return operatorNames[o]
	}
	return "invalid"
}

// Numeric reports whether the operator compares numbers.
func (o Operator) Numeric() bool { return o >= OpLT && o <= OpGTE }

// Transform changes a rule's string value before it is compared.
type Transform uint8

// Transforms, applied in the order written.
const (
	// TransformBase64 encodes the value in Base64.
	TransformBase64 Transform = iota + 1
	// TransformBase64Offset yields the three Base64 forms of the value at
	// the three byte offsets, without the characters that depend on the
	// neighbouring bytes.
	TransformBase64Offset
	// TransformUTF16LE encodes the value in UTF-16 little-endian (also
	// written `wide`).
	TransformUTF16LE
	// TransformUTF16BE encodes the value in UTF-16 big-endian.
	TransformUTF16BE
	// TransformUTF16 encodes the value in UTF-16 little-endian after a
	// byte order mark.
	TransformUTF16
	// TransformWindash yields every variant of the value with each
	// command-line flag's dash written as -, /, en dash, em dash or
	// horizontal bar.
	TransformWindash
)

var transformNames = [...]string{TransformBase64: "base64", TransformBase64Offset: "base64offset",
	TransformUTF16LE: "utf16le", TransformUTF16BE: "utf16be", TransformUTF16: "utf16", TransformWindash: "windash"}

// String returns the modifier's name.
func (t Transform) String() string {
	if int(t) < len(transformNames) && transformNames[t] != "" {
		return transformNames[t]
	}
	return "invalid"
}

// TimePart is the part of a date a time modifier compares.
type TimePart uint8

// Time parts.
const (
	TimeNone TimePart = iota
	TimeMinute
	TimeHour
	TimeDay
	TimeWeek
	TimeMonth
	TimeYear
)

var timeNames = [...]string{TimeNone: "", TimeMinute: "minute", TimeHour: "hour", TimeDay: "day",
	TimeWeek: "week", TimeMonth: "month", TimeYear: "year"}

// String returns the modifier's name ("" for none).
func (t TimePart) String() string {
	if int(t) < len(timeNames) {
		return timeNames[t]
	}
	return "invalid"
}

// RegexFlags are the sub-modifiers of re.
type RegexFlags struct {
	// IgnoreCase is `i`.
	IgnoreCase bool
	// MultiLine is `m`: ^ and $ match at line boundaries.
	MultiLine bool
	// DotAll is `s`: . matches a newline too.
	DotAll bool
}

// Modifiers is the parsed, validated list of a field match's modifiers.
type Modifiers struct {
	// Op is the comparison.
	Op Operator
	// Transforms change the value before the comparison, in order.
	Transforms []Transform
	// All links the values with AND instead of OR.
	All bool
	// Cased compares case-sensitively.
	Cased bool
	// Negate is `neq`: the field differs from the value.
	Negate bool
	// FieldRef says that the values name other fields of the event,
	// whose values are compared.
	FieldRef bool
	// Expand says that values hold `%placeholders%`.
	Expand bool
	// Regex holds the flags of `re`.
	Regex RegexFlags
	// Time is the part of a date compared (minute ... year).
	Time TimePart
	// Names are the modifiers as written.
	Names []string
}

// String returns the modifiers as written ("|contains|all"), "" for
// none.
func (m Modifiers) String() string {
	if len(m.Names) == 0 {
		return ""
	}
	return "|" + strings.Join(m.Names, "|")
}

// HasTransform reports whether t is among the transforms.
func (m Modifiers) HasTransform(t Transform) bool {
	for _, x := range m.Transforms {
		if x == t {
			return true
		}
	}
	return false
}

// modifierNames lists every modifier, for the message of an unknown one.
var modifierNames = func() []string {
	names := []string{"all", "cased", "neq", "expand", "fieldref", "i", "m", "s", "wide"}
	for _, n := range operatorNames[1:] {
		names = append(names, n)
	}
	for _, n := range transformNames[1:] {
		names = append(names, n)
	}
	for _, n := range timeNames[1:] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}()

// modError is an error of a modifier list, with its sentinel.
type modError struct {
	err    error
	reason string
}

func (e *modError) Error() string { return e.reason }
func (e *modError) Unwrap() error { return e.err }

func combination(format string, args ...any) error {
	return &modError{err: ErrModifierCombination, reason: fmt.Sprintf(format, args...)}
}

// ParseModifiers reads and validates a list of modifier names (the parts
// of a key after the field name). It checks that each is known, that
// none repeats, that the comparison is given once, and that the
// modifiers can go together; the values are checked by the caller
// (CheckValues).
func ParseModifiers(names []string) (Modifiers, error) {
	m := Modifiers{Names: names}
	seen := map[string]bool{}
	opName := ""
	setOp := func(name string, op Operator) error {
		if opName != "" {
			return combination("modifiers %s and %s cannot be combined: a value has one comparison", opName, name)
		}
		opName, m.Op = name, op
		return nil
	}
	base64Seen := ""
	for i, name := range names {
		if name == "" {
			return m, combination("empty modifier (two | in a row)")
		}
		canon := name
		if name == "wide" {
			canon = "utf16le"
		}
		if seen[canon] {
			return m, combination("modifier %s is given twice", name)
		}
		seen[canon] = true
		var err error
		switch name {
		case "contains":
			err = setOp(name, OpContains)
		case "startswith":
			err = setOp(name, OpStartsWith)
		case "endswith":
			err = setOp(name, OpEndsWith)
		case "re":
			err = setOp(name, OpRegex)
		case "cidr":
			err = setOp(name, OpCIDR)
		case "exists":
			err = setOp(name, OpExists)
		case "lt":
			err = setOp(name, OpLT)
		case "lte":
			err = setOp(name, OpLTE)
		case "gt":
			err = setOp(name, OpGT)
		case "gte":
			err = setOp(name, OpGTE)
		case "i", "m", "s":
			if m.Op != OpRegex {
				return m, combination("modifier %s is a flag of re and must follow it", name)
			}
			switch name {
			case "i":
				m.Regex.IgnoreCase = true
			case "m":
				m.Regex.MultiLine = true
			case "s":
				m.Regex.DotAll = true
			}
		case "all":
			m.All = true
		case "cased":
			m.Cased = true
		case "neq":
			m.Negate = true
		case "expand":
			m.Expand = true
		case "fieldref":
			m.FieldRef = true
		case "base64", "base64offset":
			if base64Seen != "" {
				return m, combination("modifiers %s and %s cannot be combined: a value is encoded once", base64Seen, name)
			}
			if opName != "" {
				return m, combination("modifier %s cannot follow %s: a pattern with wildcards cannot be encoded (write %s|%s)", name, opName, name, opName)
			}
			base64Seen = name
			t := TransformBase64
			if name == "base64offset" {
				t = TransformBase64Offset
			}
			m.Transforms = append(m.Transforms, t)
		case "utf16le", "wide", "utf16be", "utf16":
			if base64Seen != "" {
				return m, combination("modifier %s cannot follow %s: encode the text first, then Base64 (%s|%s)", name, base64Seen, name, base64Seen)
			}
			for _, t := range m.Transforms {
				if t == TransformUTF16LE || t == TransformUTF16BE || t == TransformUTF16 {
					return m, combination("modifier %s cannot follow another UTF-16 encoding", name)
				}
			}
			if opName != "" {
				return m, combination("modifier %s cannot follow %s: a pattern with wildcards cannot be encoded", name, opName)
			}
			t := map[string]Transform{"utf16le": TransformUTF16LE, "wide": TransformUTF16LE,
				"utf16be": TransformUTF16BE, "utf16": TransformUTF16}[name]
			m.Transforms = append(m.Transforms, t)
			if !hasLater(names[i+1:], "base64", "base64offset") {
				return m, combination("modifier %s must be followed by base64 or base64offset: UTF-16 text is compared in Base64", name)
			}
		case "windash":
			if base64Seen != "" {
				return m, combination("modifier windash cannot follow %s: write windash before the encoding", base64Seen)
			}
			m.Transforms = append(m.Transforms, TransformWindash)
		case "minute", "hour", "day", "week", "month", "year":
			if m.Time != TimeNone {
				return m, combination("modifiers %s and %s cannot be combined: a date is compared by one part", m.Time, name)
			}
			if opName != "" {
				return m, combination("modifier %s must come before %s", name, opName)
			}
			m.Time = map[string]TimePart{"minute": TimeMinute, "hour": TimeHour, "day": TimeDay,
				"week": TimeWeek, "month": TimeMonth, "year": TimeYear}[name]
		default:
			return m, &modError{err: ErrUnknownModifier, reason: fmt.Sprintf("unknown modifier %q (known: %s)", name, strings.Join(modifierNames, ", "))}
		}
		if err != nil {
			return m, err
		}
	}
	return m, m.check()
}

func hasLater(names []string, want ...string) bool {
	for _, n := range names {
		for _, w := range want {
			if n == w {
				return true
			}
		}
	}
	return false
}

// check validates the combination of the modifiers as a whole.
func (m Modifiers) check() error {
	others := func(allowed ...string) error {
		ok := map[string]bool{}
		for _, a := range allowed {
			ok[a] = true
		}
		for _, n := range m.Names {
			if n == m.Op.String() || ok[n] {
				continue
			}
			return combination("modifier %s cannot be combined with %s", n, m.Op)
		}
		return nil
	}
	switch {
	case m.Op == OpExists:
		return others()
	case m.Op.Numeric():
		return others("minute", "hour", "day", "week", "month", "year", "all")
	case m.Op == OpRegex:
		return others("i", "m", "s", "all", "neq")
	case m.Op == OpCIDR:
		return others("all", "neq")
	}
	if m.Time != TimeNone {
		for _, n := range m.Names {
			switch n {
			case "minute", "hour", "day", "week", "month", "year", "neq", "all":
				continue
			}
			return combination("modifier %s cannot be combined with %s: a date part is a number", n, m.Time)
		}
		return nil
	}
	if m.FieldRef {
		for _, n := range m.Names {
			switch n {
			case "fieldref", "contains", "startswith", "endswith", "cased", "neq", "all":
				continue
			}
			return combination("modifier %s cannot be combined with fieldref: the value names a field", n)
		}
		return nil
	}
	if m.Negate && m.Op != OpMatch {
		return combination("modifier neq cannot be combined with %s: it negates an equality", m.Op)
	}
	if m.HasTransform(TransformBase64Offset) && m.Op != OpContains {
		return combination("modifier base64offset needs contains: its forms are parts of a longer Base64 text (write base64offset|contains)")
	}
	return nil
}
