package sigma

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Condition is one condition of a detection, parsed.
type Condition struct {
	// Text is the condition as written.
	Text string
	Expr Expr
	Pos  Pos
}

// Expr is a node of a condition: *AndExpr, *OrExpr, *NotExpr,
// *IdentExpr or *OfExpr.
type Expr interface {
	// Position returns where the node starts.
	Position() Pos
	// String writes the node back as condition text, with parentheses
	// where precedence needs them.
	String() string
	isExpr()
}

// AndExpr holds when every operand holds.
type AndExpr struct {
	Operands []Expr
	Pos      Pos
}

// OrExpr holds when any operand holds.
type OrExpr struct {
	Operands []Expr
	Pos      Pos
}

// NotExpr holds when its operand does not.
type NotExpr struct {
	Operand Expr
	Pos     Pos
}

// IdentExpr is a search identifier.
type IdentExpr struct {
	Name string
	Pos  Pos
}

// OfExpr is `1 of PATTERN`, `all of PATTERN`, `1 of them` or `all of
// them`.
type OfExpr struct {
	// All is true for `all of`, false for `1 of` (also written `any of`).
	All bool
	// Them is true for `them`: every search identifier not starting with
	// an underscore.
	Them bool
	// Pattern is the identifier pattern (with `*` wildcards) unless Them.
	Pattern string
	// Names are the search identifiers it stands for, filled in when the
	// condition is checked against a detection.
	Names []string
	Pos   Pos
}

// Position implements Expr.
func (e *AndExpr) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *OrExpr) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *NotExpr) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *IdentExpr) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *OfExpr) Position() Pos { return e.Pos }

func (*AndExpr) isExpr()   {}
func (*OrExpr) isExpr()    {}
func (*NotExpr) isExpr()   {}
func (*IdentExpr) isExpr() {}
func (*OfExpr) isExpr()    {}

// Precedence, from least to most binding.
const (
	precOr = iota + 1
	precAnd
	precNot
	precAtom
)

func precedence(e Expr) int {
	switch e.(type) {
	case *OrExpr:
		return precOr
	case *AndExpr:
		return precAnd
	case *NotExpr:
		return precNot
	}
	return precAtom
}

func joinOperands(ops []Expr, sep string, prec int) string {
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = op.String()
		if precedence(op) <= prec {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, sep)
}

// String implements Expr.
func (e *AndExpr) String() string { return joinOperands(e.Operands, " and ", precAnd) }

// String implements Expr.
func (e *OrExpr) String() string { return joinOperands(e.Operands, " or ", precOr) }

// String implements Expr.
func (e *NotExpr) String() string {
	s := e.Operand.String()
	if precedence(e.Operand) < precNot {
		s = "(" + s + ")"
	}
	return "not " + s
}

// String implements Expr.
func (e *IdentExpr) String() string { return e.Name }

// String implements Expr.
func (e *OfExpr) String() string {
	q := "1"
	if e.All {
		q = "all"
	}
	if e.Them {
		return q + " of them"
	}
	return q + " of " + e.Pattern
}

// ParseCondition parses a condition. Positions are counted in the text
// (line 1, column = byte offset + 1).
func ParseCondition(text string) (Expr, error) {
	return parseCondition(text, func(off int) Pos { return Pos{Line: 1, Column: off + 1} })
}

// condError is a condition error with the byte offset where it is.
type condError struct {
	off    int
	err    error
	reason string
}

func (e *condError) Error() string { return e.reason }
func (e *condError) Unwrap() error { return e.err }

type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokLParen
	tokRParen
	tokAnd
	tokOr
	tokNot
	tokOf
	tokThem
	tokAll
	tokOne
	tokIdent
	tokPipe
)

type token struct {
	kind tokenKind
	text string
	off  int
}

// maxConditionDepth bounds nesting, so that no input can exhaust the
// stack.
const maxConditionDepth = 200

// identRune reports whether r may be part of a search identifier or
// pattern.
func identRune(r rune) bool {
	return r == '_' || r == '-' || r == '.' || r == '*' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func lex(text string) ([]token, error) {
	var toks []token
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '(':
			toks = append(toks, token{kind: tokLParen, text: "(", off: i})
			i++
		case r == ')':
			toks = append(toks, token{kind: tokRParen, text: ")", off: i})
			i++
		case r == '|':
			toks = append(toks, token{kind: tokPipe, text: "|", off: i})
			return toks, nil // the rest is an aggregation, reported by the parser
		case identRune(r):
			start := i
			for i < len(text) {
				r, size := utf8.DecodeRuneInString(text[i:])
				if !identRune(r) {
					break
				}
				i += size
			}
			word := text[start:i]
			kind := tokIdent
			switch strings.ToLower(word) {
			case "and":
				kind = tokAnd
			case "or":
				kind = tokOr
			case "not":
				kind = tokNot
			case "of":
				kind = tokOf
			case "them":
				kind = tokThem
			case "all":
				kind = tokAll
			case "1", "any":
				kind = tokOne
			}
			toks = append(toks, token{kind: kind, text: word, off: start})
		default:
			return nil, &condError{off: i, err: ErrCondition, reason: fmt.Sprintf("unexpected character %q", r)}
		}
	}
	return toks, nil
}

type condParser struct {
	toks  []token
	i     int
	pos   func(int) Pos
	end   int
	depth int
}

func parseCondition(text string, pos func(int) Pos) (Expr, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks, pos: pos, end: len(text)}
	if len(toks) == 0 {
		return nil, &condError{off: 0, err: ErrCondition, reason: "empty condition"}
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	switch t := p.peek(); t.kind {
	case tokEOF:
		return e, nil
	case tokPipe:
		return nil, &condError{off: t.off, err: ErrDeprecatedAggregation,
			reason: fmt.Sprintf("%s: %q", ErrDeprecatedAggregation, strings.TrimSpace(text[t.off:]))}
	case tokRParen:
		return nil, &condError{off: t.off, err: ErrCondition, reason: "unbalanced ')'"}
	default:
		return nil, &condError{off: t.off, err: ErrCondition, reason: fmt.Sprintf("expected and, or or the end, found %q", t.text)}
	}
}

func (p *condParser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{kind: tokEOF, off: p.end}
}

func (p *condParser) next() token {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

func (p *condParser) enter(off int) error {
	p.depth++
	if p.depth > maxConditionDepth {
		return &condError{off: off, err: ErrCondition, reason: fmt.Sprintf("condition nested deeper than %d", maxConditionDepth)}
	}
	return nil
}

func (p *condParser) or() (Expr, error) {
	start := p.peek().off
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	ops := []Expr{first}
	for p.peek().kind == tokOr {
		p.next()
		e, err := p.and()
		if err != nil {
			return nil, err
		}
		ops = append(ops, e)
	}
	if len(ops) == 1 {
		return first, nil
	}
	return &OrExpr{Operands: ops, Pos: p.pos(start)}, nil
}

func (p *condParser) and() (Expr, error) {
	start := p.peek().off
	first, err := p.unary()
	if err != nil {
		return nil, err
	}
	ops := []Expr{first}
	for p.peek().kind == tokAnd {
		p.next()
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		ops = append(ops, e)
	}
	if len(ops) == 1 {
		return first, nil
	}
	return &AndExpr{Operands: ops, Pos: p.pos(start)}, nil
}

func (p *condParser) unary() (Expr, error) {
	t := p.peek()
	if t.kind != tokNot {
		return p.primary()
	}
	p.next()
	if err := p.enter(t.off); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	e, err := p.unary()
	if err != nil {
		return nil, err
	}
	return &NotExpr{Operand: e, Pos: p.pos(t.off)}, nil
}

func (p *condParser) primary() (Expr, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		if err := p.enter(t.off); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, p.unexpected(c, "')'")
		}
		return e, nil
	case tokOne, tokAll:
		if p.peek().kind != tokOf {
			if t.kind == tokOne && t.text != "1" || t.kind == tokAll {
				// "any" or "all" used as an identifier.
				return &IdentExpr{Name: t.text, Pos: p.pos(t.off)}, nil
			}
			return nil, p.unexpected(p.peek(), "of")
		}
		p.next()
		target := p.next()
		of := &OfExpr{All: t.kind == tokAll, Pos: p.pos(t.off)}
		switch target.kind {
		case tokThem:
			of.Them = true
		case tokIdent, tokOne, tokAll:
			of.Pattern = target.text
		default:
			return nil, p.unexpected(target, "them or a search identifier pattern")
		}
		return of, nil
	case tokIdent:
		if p.peek().kind == tokOf {
			return nil, &condError{off: t.off, err: ErrCondition,
				reason: fmt.Sprintf("%q of: only '1 of' and 'all of' are defined", t.text)}
		}
		if strings.Contains(t.text, "*") {
			return nil, &condError{off: t.off, err: ErrCondition,
				reason: fmt.Sprintf("wildcard identifier %q needs '1 of' or 'all of'", t.text)}
		}
		return &IdentExpr{Name: t.text, Pos: p.pos(t.off)}, nil
	case tokPipe:
		return nil, &condError{off: t.off, err: ErrDeprecatedAggregation, reason: ErrDeprecatedAggregation.Error()}
	}
	return nil, p.unexpected(t, "a search identifier, 'not', '1 of', 'all of' or '('")
}

func (p *condParser) unexpected(t token, want string) error {
	if t.kind == tokEOF {
		return &condError{off: t.off, err: ErrCondition, reason: "unexpected end of condition, expected " + want}
	}
	if t.kind == tokPipe {
		return &condError{off: t.off, err: ErrDeprecatedAggregation, reason: ErrDeprecatedAggregation.Error()}
	}
	return &condError{off: t.off, err: ErrCondition, reason: fmt.Sprintf("unexpected %q, expected %s", t.text, want)}
}

// resolveCondition checks every identifier of e against the searches and
// fills in the names of OfExprs. order lists the identifiers as written.
func resolveCondition(e Expr, searches map[string]*Search, order []string) []*condRefError {
	var errs []*condRefError
	var walk func(Expr)
	walk = func(e Expr) {
		switch x := e.(type) {
		case *AndExpr:
			for _, op := range x.Operands {
				walk(op)
			}
		case *OrExpr:
			for _, op := range x.Operands {
				walk(op)
			}
		case *NotExpr:
			walk(x.Operand)
		case *IdentExpr:
			if _, ok := searches[x.Name]; !ok {
				errs = append(errs, &condRefError{pos: x.Pos, reason: fmt.Sprintf("condition names %q, which is not a search identifier of the detection", x.Name)})
			}
		case *OfExpr:
			x.Names = nil
			for _, name := range order {
				if x.Them {
					if !strings.HasPrefix(name, "_") {
						x.Names = append(x.Names, name)
					}
					continue
				}
				if identMatch(x.Pattern, name) {
					x.Names = append(x.Names, name)
				}
			}
			if len(x.Names) == 0 {
				what := fmt.Sprintf("pattern %q matches no search identifier", x.Pattern)
				if x.Them {
					what = "'them' stands for no search identifier"
				}
				errs = append(errs, &condRefError{pos: x.Pos, reason: what})
			}
		}
	}
	walk(e)
	return errs
}

type condRefError struct {
	pos    Pos
	reason string
}

// identMatch reports whether name matches pattern, whose only wildcard is
// '*' (any run of characters). It backtracks only to the last star, so it
// takes at most len(pattern)*len(name) steps.
func identMatch(pattern, name string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case p < len(pattern) && pattern[p] == name[n]:
			p++
			n++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
