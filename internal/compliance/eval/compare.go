package eval

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// cmpOptions says how a format's values compare.
type cmpOptions struct {
	// fold compares words case-insensitively.
	fold bool
	// number reads a value as a number (strconv.ParseFloat when nil).
	number func(string) (float64, bool)
	// canon maps synonyms to one word (sshd's without-password).
	canon func(string) string
}

func (o cmpOptions) num(s string) (float64, bool) {
	if o.number != nil {
		return o.number(s)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}

func (o cmpOptions) equal(a, b string) bool {
	if fa, ok := o.num(a); ok {
		if fb, ok := o.num(b); ok {
			return fa == fb
		}
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if o.canon != nil {
		a, b = o.canon(a), o.canon(b)
	}
	if o.fold {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// compare applies op with want to a value that is set. It returns
// whether it holds and, when it does not, a short reason.
func (h *host) compare(actual string, op policy.Op, want *policy.Value, o cmpOptions) (bool, string) {
	switch op {
	case policy.OpPresent:
		return true, ""
	case policy.OpAbsent:
		return false, "is set"
	case policy.OpEq:
		return o.equal(actual, want.One()), "want " + want.One()
	case policy.OpNe:
		return !o.equal(actual, want.One()), "want not " + want.One()
	case policy.OpIn, policy.OpNotIn:
		in := false
		for _, w := range want.Items {
			if o.equal(actual, w) {
				in = true
				break
			}
		}
		if op == policy.OpIn {
			return in, "want one of " + want.String()
		}
		return !in, "want none of " + want.String()
	case policy.OpRegex:
		re, err := h.regex(want.One())
		if err != nil {
			return false, err.Error()
		}
		return re.MatchString(actual), "want a match of " + want.One()
	}
	a, ok := o.num(actual)
	if !ok {
		return false, fmt.Sprintf("%q is not a number", actual)
	}
	w, ok := o.num(want.One())
	if !ok {
		return false, fmt.Sprintf("%q is not a number", want.One())
	}
	return compareNumbers(a, op, w), fmt.Sprintf("want %s %s", opSymbol(op), want.One())
}

func compareNumbers(a float64, op policy.Op, b float64) bool {
	switch op {
	case policy.OpEq:
		return a == b
	case policy.OpNe:
		return a != b
	case policy.OpLt:
		return a < b
	case policy.OpLe:
		return a <= b
	case policy.OpGt:
		return a > b
	case policy.OpGe:
		return a >= b
	}
	return false
}

func opSymbol(op policy.Op) string {
	switch op {
	case policy.OpEq:
		return "="
	case policy.OpNe:
		return "!="
	case policy.OpLt:
		return "<"
	case policy.OpLe:
		return "<="
	case policy.OpGt:
		return ">"
	case policy.OpGe:
		return ">="
	}
	return string(op)
}

// unset decides an operator on a value that is not set: absent and ne
// hold, everything else fails.
func unset(op policy.Op) bool {
	return op == policy.OpAbsent || op == policy.OpNe || op == policy.OpNotIn
}
