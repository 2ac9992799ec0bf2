package sigma

import (
	"errors"
	"strconv"
	"strings"
)

// Pos is a position in a rule file: the file's name as given to the
// parser, and a line and column counted from 1 (0 when unknown).
type Pos struct {
	File   string
	Line   int
	Column int
}

// String returns "file:line:column", leaving out the parts that are
// unknown.
func (p Pos) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Column))
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// Sentinel errors wrapped by an *Error, for errors.Is.
var (
	// ErrSyntax: the YAML itself cannot be read.
	ErrSyntax = errors.New("invalid YAML")
	// ErrInvalid: the document does not follow the Sigma specification.
	ErrInvalid = errors.New("invalid Sigma")
	// ErrUnknownModifier: a value modifier that the specification does
	// not define.
	ErrUnknownModifier = errors.New("unknown modifier")
	// ErrModifierCombination: modifiers, or a modifier and a value, that
	// cannot go together.
	ErrModifierCombination = errors.New("invalid modifier combination")
	// ErrCondition: a condition that cannot be parsed or names a search
	// identifier that does not exist.
	ErrCondition = errors.New("invalid condition")
	// ErrDeprecatedAggregation: a condition with the aggregation syntax
	// of Sigma 1 (`| count() by x > 5`), which correlation rules replace.
	ErrDeprecatedAggregation = errors.New("unsupported: deprecated aggregation, use a correlation rule")
	// ErrUnsupported: a construct the specification names but this
	// parser does not take (merge keys, correlation types beyond the
	// four of the specification).
	ErrUnsupported = errors.New("unsupported")
	// ErrDuplicate: an id or name that another document of the set has
	// already taken.
	ErrDuplicate = errors.New("duplicate")
	// ErrReference: a correlation rule or a meta filter naming a rule
	// that is not in the set (or, for a filter, one that is not a
	// detection rule).
	ErrReference = errors.New("unknown rule reference")
)

// Error is one problem of a document: where it is, which rule it belongs
// to (when the document got that far) and why.
type Error struct {
	Pos Pos
	// RuleID and Title identify the document, when known.
	RuleID, Title string
	// Reason says what is wrong, in words.
	Reason string
	// Err is the sentinel the error is of (ErrSyntax, ErrInvalid ...).
	Err error
}

// Error reads "file:line:column: rule ID (title): reason".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.RuleID != "" || e.Title != "" {
		b.WriteString("rule ")
		if e.RuleID != "" {
			b.WriteString(e.RuleID)
			if e.Title != "" {
				b.WriteByte(' ')
			}
		}
		if e.Title != "" {
			b.WriteString("(" + e.Title + ")")
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }
