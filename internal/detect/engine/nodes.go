package engine

import (
	"net/netip"
	"regexp"
	"time"

	"github.com/vigilsec/vigil/internal/detect/sigma"
)

// node is a compiled part of a rule's condition.
type node interface {
	// eval reports whether the node holds for the event in s.
	eval(s *scratch) bool
	// need returns texts one of which the event must contain for the
	// node to hold.
	need() need
}

// fieldRef is a field of the event, interned: slot is its place in the
// per-event cache.
type fieldRef struct {
	path  string
	index int // -1: the whole value; else element index of a list
	slot  int
	// parent is the field of the object that holds this one (nil at the
	// top level), leaf the key within it: fields under one object share
	// its lookup.
	parent *fieldRef
	leaf   string
}

// lit is a text (folded) that must occur in a field.
type lit struct {
	field *fieldRef
	text  string
	// weak marks texts that occur in many events (event.category ...):
	// the index takes them only when nothing better is there.
	weak bool
}

// need is a set of literals one of which must be found for a node to
// hold; ok false means no such set is known (the node is not indexable).
type need struct {
	ok   bool
	lits []lit
}

// effectiveLen is the length of the shortest literal, 0 for weak ones.
func (n need) effectiveLen() int {
	m := -1
	for _, l := range n.lits {
		ln := len(l.text)
		if l.weak {
			ln = 0
		}
		if m < 0 || ln < m {
			m = ln
		}
	}
	return max(m, 0)
}

// better reports whether a narrows the candidates more than b.
func (a need) better(b need) bool {
	if a.ok != b.ok {
		return a.ok
	}
	al, bl := min(a.effectiveLen(), 8), min(b.effectiveLen(), 8)
	if al != bl {
		return al > bl
	}
	if len(a.lits) != len(b.lits) {
		return len(a.lits) < len(b.lits)
	}
	return a.effectiveLen() > b.effectiveLen()
}

// union returns the need of an OR of nodes.
func union(needs []need) need {
	var out need
	for _, n := range needs {
		if !n.ok {
			return need{}
		}
		out.lits = append(out.lits, n.lits...)
	}
	out.ok = len(out.lits) > 0
	return out
}

// best returns the need of an AND of nodes: the best of theirs.
func best(needs []need) need {
	var out need
	for _, n := range needs {
		if n.better(out) {
			out = n
		}
	}
	return out
}

type andNode []node

func (n andNode) eval(s *scratch) bool {
	for _, c := range n {
		if !c.eval(s) {
			return false
		}
	}
	return true
}

func (n andNode) need() need {
	needs := make([]need, len(n))
	for i, c := range n {
		needs[i] = c.need()
	}
	return best(needs)
}

type orNode []node

func (n orNode) eval(s *scratch) bool {
	for _, c := range n {
		if c.eval(s) {
			return true
		}
	}
	return false
}

func (n orNode) need() need {
	needs := make([]need, len(n))
	for i, c := range n {
		needs[i] = c.need()
	}
	return union(needs)
}

type notNode struct{ n node }

func (n notNode) eval(s *scratch) bool { return !n.n.eval(s) }
func (n notNode) need() need           { return need{} }

// valueMatcher matches one value of a field match against the field.
type valueMatcher interface {
	// matchField reports whether the field's value v (present or not)
	// matches.
	matchField(s *scratch, v any, present bool) bool
	// lits returns the texts (folded) one of which the field must
	// contain for a match; ok false when there are none.
	lits() ([]string, bool)
}

// scalarMatcher matches one scalar value (not a list).
type scalarMatcher interface {
	matchScalar(s *scratch, v any) bool
}

// fieldNode is one field match: the field and its values, linked with OR
// (or AND when all); negate is neq.
type fieldNode struct {
	field  *fieldRef
	values []valueMatcher
	all    bool
	negate bool
	weak   bool
}

func (n *fieldNode) eval(s *scratch) bool {
	v, present := s.get(n.field)
	for _, m := range n.values {
		r := m.matchField(s, v, present)
		if n.negate {
			r = !r
		}
		if n.all {
			if !r {
				return false
			}
		} else if r {
			return true
		}
	}
	return n.all
}

func (n *fieldNode) need() need {
	if n.negate {
		return need{}
	}
	needs := make([]need, len(n.values))
	for i, m := range n.values {
		texts, ok := m.lits()
		if !ok {
			needs[i] = need{}
			continue
		}
		nd := need{ok: true}
		for _, t := range texts {
			nd.lits = append(nd.lits, lit{field: n.field, text: t, weak: n.weak})
		}
		needs[i] = nd
	}
	if n.all {
		return best(needs)
	}
	return union(needs)
}

// keywordNode matches field-less values against the keyword fields of
// the rule's log source: a value matches when it matches any of them.
type keywordNode struct {
	fields []*fieldRef
	values []valueMatcher
	all    bool
}

func (n *keywordNode) eval(s *scratch) bool {
	for _, m := range n.values {
		r := false
		for _, f := range n.fields {
			v, present := s.get(f)
			if m.matchField(s, v, present) {
				r = true
				break
			}
		}
		if n.all {
			if !r {
				return false
			}
		} else if r {
			return true
		}
	}
	return n.all
}

func (n *keywordNode) need() need {
	needs := make([]need, len(n.values))
	for i, m := range n.values {
		texts, ok := m.lits()
		if !ok {
			continue
		}
		nd := need{ok: true}
		for _, t := range texts {
			for _, f := range n.fields {
				nd.lits = append(nd.lits, lit{field: f, text: t})
			}
		}
		needs[i] = nd
	}
	if n.all {
		return best(needs)
	}
	return union(needs)
}

// existsNode is `field|exists: want`.
type existsNode struct {
	field *fieldRef
	want  bool
}

func (n *existsNode) eval(s *scratch) bool {
	_, present := s.get(n.field)
	return present == n.want
}

func (n *existsNode) need() need { return need{} }

// nullMatcher matches a missing field or a null value.
type nullMatcher struct{}

// matchField holds for a field of a list's objects when none of them
// has a value other than null.
func (nullMatcher) matchField(_ *scratch, v any, present bool) bool {
	if p, ok := v.(*projection); ok {
		return !p.each(func(x any) bool { return x != nil })
	}
	return !present || v == nil
}

func (nullMatcher) lits() ([]string, bool) { return nil, false }

// scalarValue adapts a scalarMatcher into a valueMatcher: a list matches
// when any element does; a missing field never matches.
type scalarValue struct {
	m     scalarMatcher
	texts []string
	ok    bool
}

func (v scalarValue) matchField(s *scratch, val any, present bool) bool {
	return present && anyScalar(s, val, v.m)
}

func (v scalarValue) lits() ([]string, bool) { return v.texts, v.ok }

// anyOf matches when any of its matchers does (the expansions of one
// value: windash variants, Base64 offsets, placeholder values).
type anyOf []valueMatcher

func (a anyOf) matchField(s *scratch, v any, present bool) bool {
	for _, m := range a {
		if m.matchField(s, v, present) {
			return true
		}
	}
	return false
}

func (a anyOf) lits() ([]string, bool) {
	var out []string
	for _, m := range a {
		t, ok := m.lits()
		if !ok {
			return nil, false
		}
		out = append(out, t...)
	}
	return out, len(out) > 0
}

// strKind is how a string pattern is compared.
type strKind uint8

const (
	strExact strKind = iota
	strPrefix
	strSuffix
	strContains
	strGlob
	strAny // "*": any scalar
)

// strMatcher compares the text of a scalar with a Sigma pattern.
type strMatcher struct {
	kind strKind
	text string // folded when fold
	toks []globTok
	fold bool
}

func (m *strMatcher) matchScalar(s *scratch, v any) bool {
	var t string
	var ok bool
	t, s.buf, ok = scalarText(v, s.buf)
	if !ok {
		return false
	}
	return m.matchText(t)
}

func (m *strMatcher) matchText(t string) bool {
	switch m.kind {
	case strExact:
		return equalFold(t, m.text, m.fold)
	case strPrefix:
		return hasPrefixFold(t, m.text, m.fold)
	case strSuffix:
		return hasSuffixFold(t, m.text, m.fold)
	case strContains:
		return indexFold(t, m.text, m.fold) >= 0
	case strAny:
		return true
	}
	return globMatch(m.toks, t, m.fold)
}

// newStrMatcher compiles a pattern (wildcards included).
func newStrMatcher(p sigma.Pattern, fold bool) (*strMatcher, []string) {
	var toks []globTok
	for _, part := range p.Parts {
		switch part.Kind {
		case sigma.PartLiteral:
			text := part.Text
			if fold {
				text = foldString(text)
			}
			toks = append(toks, globTok{kind: tokLit, text: text})
		case sigma.PartAnyString:
			toks = append(toks, globTok{kind: tokStar})
		case sigma.PartAnyChar:
			toks = append(toks, globTok{kind: tokOne})
		}
	}
	m := &strMatcher{fold: fold, toks: toks}
	switch {
	case len(toks) == 0:
		m.kind = strExact
	case len(toks) == 1 && toks[0].kind == tokLit:
		m.kind, m.text = strExact, toks[0].text
	case len(toks) == 1 && toks[0].kind == tokStar:
		m.kind = strAny
	case len(toks) == 2 && toks[0].kind == tokLit && toks[1].kind == tokStar:
		m.kind, m.text = strPrefix, toks[0].text
	case len(toks) == 2 && toks[0].kind == tokStar && toks[1].kind == tokLit:
		m.kind, m.text = strSuffix, toks[1].text
	case len(toks) == 3 && toks[0].kind == tokStar && toks[1].kind == tokLit && toks[2].kind == tokStar:
		m.kind, m.text = strContains, toks[1].text
	default:
		m.kind = strGlob
	}
	// The index literal: the longest literal piece.
	longest := ""
	for _, t := range toks {
		if t.kind == tokLit && len(t.text) > len(longest) {
			longest = t.text
		}
	}
	if longest == "" {
		return m, nil
	}
	return m, []string{foldString(longest)}
}

// numMatcher compares a number (or a string holding one) with a rule's
// number; for equality, the rule's text as written also matches.
type numMatcher struct {
	op  sigma.Operator // OpMatch (equality), OpLT ... OpGTE
	n   number
	raw string
}

func (m *numMatcher) matchScalar(s *scratch, v any) bool {
	if n, ok := toNumber(v); ok {
		return m.holds(n)
	}
	if m.op == sigma.OpMatch {
		if t, ok := stringOf(v); ok {
			return equalFold(t, m.raw, true)
		}
	}
	return false
}

// stringOf returns a string value (or one behind a *string).
func stringOf(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case *string:
		return *t, true
	}
	return "", false
}

func (m *numMatcher) holds(n number) bool {
	c := n.compare(m.n)
	switch m.op {
	case sigma.OpLT:
		return c < 0
	case sigma.OpLTE:
		return c <= 0
	case sigma.OpGT:
		return c > 0
	case sigma.OpGTE:
		return c >= 0
	}
	return c == 0
}

// boolMatcher matches a boolean, or a string "true"/"false".
type boolMatcher struct{ b bool }

func (m boolMatcher) matchScalar(_ *scratch, v any) bool {
	if b, ok := v.(bool); ok {
		return b == m.b
	}
	t, ok := stringOf(v)
	if !ok {
		return false
	}
	if m.b {
		return equalFold(t, "true", true)
	}
	return equalFold(t, "false", true)
}

// cidrMatcher matches an IP address inside a network.
type cidrMatcher struct{ prefix netip.Prefix }

func (m cidrMatcher) matchScalar(_ *scratch, v any) bool {
	t, ok := stringOf(v)
	if !ok {
		return false
	}
	a, err := netip.ParseAddr(t)
	if err != nil {
		return false
	}
	return m.prefix.Contains(a.Unmap().WithZone(""))
}

// regexMatcher matches a regular expression (RE2) against the text.
type regexMatcher struct{ re *regexp.Regexp }

func (m regexMatcher) matchScalar(s *scratch, v any) bool {
	var t string
	var ok bool
	t, s.buf, ok = scalarText(v, s.buf)
	return ok && m.re.MatchString(t)
}

// timeMatcher compares a part of a date (RFC 3339 text, read in UTC).
type timeMatcher struct {
	part sigma.TimePart
	cmp  numMatcher
}

func (m *timeMatcher) matchScalar(_ *scratch, v any) bool {
	t, ok := stringOf(v)
	// A quick look first: time.Parse's errors allocate.
	if !ok || len(t) < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' {
		return false
	}
	at, err := time.Parse(time.RFC3339Nano, t)
	if err != nil {
		return false
	}
	at = at.UTC()
	var n int
	switch m.part {
	case sigma.TimeMinute:
		n = at.Minute()
	case sigma.TimeHour:
		n = at.Hour()
	case sigma.TimeDay:
		n = at.Day()
	case sigma.TimeWeek:
		_, n = at.ISOWeek()
	case sigma.TimeMonth:
		n = int(at.Month())
	case sigma.TimeYear:
		n = at.Year()
	}
	return m.cmp.holds(number{isInt: true, i: int64(n), f: float64(n)})
}

// fieldRefNode compares a field with other fields of the same event
// (fieldref): one per value, linked with OR (AND when all).
type fieldRefNode struct {
	field  *fieldRef
	others []*fieldRef
	op     sigma.Operator // OpMatch, OpContains, OpStartsWith, OpEndsWith
	fold   bool
	negate bool
	all    bool
}

func (n *fieldRefNode) eval(s *scratch) bool {
	for _, o := range n.others {
		r := n.compare(s, o)
		if n.negate {
			r = !r
		}
		if n.all {
			if !r {
				return false
			}
		} else if r {
			return true
		}
	}
	return n.all
}

// compare reports whether the field relates to field o as the operator
// says; lists compare element by element (any pair).
func (n *fieldRefNode) compare(s *scratch, o *fieldRef) bool {
	a, aok := s.get(n.field)
	b, bok := s.get(o)
	if !aok || !bok || a == nil || b == nil {
		return false
	}
	s.pair = fieldPair{node: n, other: b}
	return anyScalar(s, a, &s.pair)
}

// fieldPair matches one scalar of the field against every scalar of the
// other field.
type fieldPair struct {
	node  *fieldRefNode
	other any
	left  string
}

func (p *fieldPair) matchScalar(s *scratch, v any) bool {
	t, buf, ok := scalarText(v, s.buf2)
	s.buf2 = buf
	if !ok {
		return false
	}
	p.left = t
	return anyScalar(s, p.other, (*fieldPairRight)(p))
}

type fieldPairRight fieldPair

func (p *fieldPairRight) matchScalar(s *scratch, v any) bool {
	t, ok := "", false
	t, s.buf, ok = scalarText(v, s.buf)
	if !ok {
		return false
	}
	left, fold := p.left, p.node.fold
	if fold {
		// Fold the right side into buf3 to compare with folded text.
		s.buf3 = append(s.buf3[:0], t...)
		for i := range s.buf3 {
			s.buf3[i] = lower[s.buf3[i]]
		}
		t = unsafeString(s.buf3)
	}
	switch p.node.op {
	case sigma.OpContains:
		return indexFold(left, t, fold) >= 0
	case sigma.OpStartsWith:
		return hasPrefixFold(left, t, fold)
	case sigma.OpEndsWith:
		return hasSuffixFold(left, t, fold)
	}
	return equalFold(left, t, fold)
}

func (n *fieldRefNode) need() need { return need{} }

// bindNode is a selection (the field matches of one search map) two or
// more of whose fields go through the same field list: where the event
// holds a list of objects there (process.stdio, process.ancestry), the
// matches must hold for one and the same element; elsewhere (an object,
// a missing field, a list without objects) it is the AND of them.
type bindNode struct {
	list  *fieldRef
	nodes andNode
	// under are the fields below list, whose values depend on the
	// element (filled in when every rule is compiled).
	under []*fieldRef
}

func (n *bindNode) eval(s *scratch) bool {
	v, ok := s.get(n.list)
	if !ok || !hasObject(v) {
		return n.nodes.eval(s)
	}
	found := eachObject(v, func(m map[string]any) bool {
		s.bind(n, m)
		return n.nodes.eval(s)
	})
	s.unbind(n)
	return found
}

// need is that of the AND: what one element holds, the list holds.
func (n *bindNode) need() need { return n.nodes.need() }

// constNode always gives the same answer.
type constNode bool

func (n constNode) eval(*scratch) bool { return bool(n) }
func (n constNode) need() need         { return need{} }
