package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/detect/sigma"
)

// compiler turns one Sigma rule, or one meta filter as applied to a
// rule, into a node tree.
type compiler struct {
	e    *Engine
	opts *Options
	rule *sigma.Rule
	ls   *LogsourceMapping
	// det holds the searches the conditions name: the rule's detection,
	// or the filter's.
	det *sigma.Detection
	// filter is the meta filter being compiled for rule (nil when
	// compiling the rule itself): problems are the filter's.
	filter   *sigma.Filter
	problems []Problem
	searches map[string]node
	// kinds are the auditd record kinds the rule's fields stand for.
	kinds map[auditKind]bool
	// answers says that a dns_query rule names fields of the answer.
	answers bool
}

// compiled is a rule ready to run.
type compiled struct {
	pub       *Rule
	root      node
	selectors []EventSelector
	// filters are the rule's meta filters: the rule matches only events
	// for which every one of their conditions holds too.
	filters []appliedFilter
}

// appliedFilter is a meta filter compiled for one rule (under the rule's
// log source).
type appliedFilter struct {
	filter *Filter
	root   node
}

func (c *compiler) problem(pos sigma.Pos, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	if f := c.filter; f != nil {
		if pos.File == "" {
			pos = f.Pos
		}
		c.problems = append(c.problems, Problem{Pos: pos, RuleID: f.ID, Title: f.Title, Filter: true,
			Reason: fmt.Sprintf("meta filter not applied to rule %s: %s", ruleLabel(c.rule), reason)})
		return
	}
	if pos.File == "" {
		pos = c.rule.Pos
	}
	c.problems = append(c.problems, Problem{Pos: pos, RuleID: c.rule.ID, Title: c.rule.Title, Reason: reason})
}

// ruleLabel names a rule in a filter's problem: its id and title.
func ruleLabel(r *sigma.Rule) string {
	switch {
	case r.ID != "" && r.Title != "":
		return fmt.Sprintf("%s (%s)", r.ID, r.Title)
	case r.ID != "":
		return r.ID
	}
	return fmt.Sprintf("%q", r.Title)
}

// compileRule compiles r and the meta filters that name it. It returns
// nil and the rule's problems when the rule cannot be evaluated; else the
// compiled rule, with the problems of the filters that could not be
// applied to it (the rule is loaded without them).
func (e *Engine) compileRule(r *sigma.Rule, opts *Options) (*compiled, []Problem) {
	c := &compiler{e: e, opts: opts, rule: r, det: r.Detection, searches: map[string]node{}, kinds: map[auditKind]bool{}}
	if r.Status == "unsupported" {
		c.problem(r.Pos, "status unsupported: the rule says it cannot be used as it is")
		return nil, c.problems
	}
	if r.Detection == nil || len(r.Detection.Conditions) == 0 {
		c.problem(r.Pos, "rule has no condition")
		return nil, c.problems
	}
	ls, err := resolveLogsource(r.Logsource)
	if err != nil {
		c.problem(r.Logsource.Pos, "%v", err)
		return nil, c.problems
	}
	c.ls = ls
	var roots []node
	for _, cond := range r.Detection.Conditions {
		roots = append(roots, c.expr(cond.Expr))
	}
	if len(c.problems) > 0 {
		return nil, c.problems
	}
	root := roots[0]
	if len(roots) > 1 {
		root = orNode(roots)
	}
	selectors := ls.Events
	switch ls.Name {
	case lsAuditd:
		selectors = nil
		if c.kinds[auditExec] {
			selectors = append(selectors, EventSelector{Category: "process", Actions: []string{"exec"}})
		}
		if c.kinds[auditFile] {
			selectors = append(selectors, EventSelector{Category: "file"})
		}
		if len(selectors) == 0 {
			c.problem(r.Detection.Pos, "no field of this auditd rule maps onto Vigil's process or file events (type, a<N>, exe, comm, cwd, name ...)")
			return nil, c.problems
		}
	case lsDNSQuery:
		if c.answers {
			selectors = []EventSelector{{Category: "network", Actions: []string{"dns-answer"}}}
		}
	}
	out := &compiled{pub: publicRule(r), root: root, selectors: selectors}
	var problems []Problem
	for _, f := range r.Filters {
		if f == nil || slices.ContainsFunc(out.filters, func(a appliedFilter) bool { return a.filter.Sigma == f }) {
			continue
		}
		froot, ps := e.compileFilter(r, ls, f, opts)
		if len(ps) > 0 {
			problems = append(problems, ps...)
			continue
		}
		pub := e.publicFilter(f)
		out.filters = append(out.filters, appliedFilter{filter: pub, root: froot})
		out.pub.Filters = append(out.pub.Filters, pub)
	}
	return out, problems
}

// compileFilter compiles meta filter f for rule r, whose log source is
// ls: with the rule's field mapping, as if the filter's searches and
// condition were part of the rule. The filter's log source must cover the
// rule's, as Sigma applies filters only to the rules of their log source.
func (e *Engine) compileFilter(r *sigma.Rule, ls *LogsourceMapping, f *sigma.Filter, opts *Options) (node, []Problem) {
	c := &compiler{e: e, opts: opts, rule: r, ls: ls, det: f.Detection, filter: f, searches: map[string]node{}, kinds: map[auditKind]bool{}}
	if !covers(f.Logsource, r.Logsource) {
		c.problem(f.Logsource.Pos, "the filter's logsource %s does not cover the rule's (%s): a filter applies to rules of its log source",
			logsourceLabel(f.Logsource.Product, f.Logsource.Category, f.Logsource.Service),
			logsourceLabel(r.Logsource.Product, r.Logsource.Category, r.Logsource.Service))
		return nil, c.problems
	}
	if f.Detection == nil || len(f.Detection.Conditions) == 0 {
		c.problem(f.Pos, "the filter has no condition")
		return nil, c.problems
	}
	var roots []node
	for _, cond := range f.Detection.Conditions {
		roots = append(roots, c.expr(cond.Expr))
	}
	if len(c.problems) > 0 {
		return nil, c.problems
	}
	if len(roots) == 1 {
		return roots[0], nil
	}
	return orNode(roots), nil
}

// covers reports whether a filter of log source filter applies to a rule
// of log source rule: each of category, product and service that the
// filter names is the rule's (product linux is also a rule without a
// product, as Vigil reads those).
func covers(filter, rule sigma.Logsource) bool {
	product := func(p string) string {
		if p == "" {
			return "linux"
		}
		return p
	}
	return (filter.Category == "" || filter.Category == rule.Category) &&
		(filter.Service == "" || filter.Service == rule.Service) &&
		(filter.Product == "" || product(filter.Product) == product(rule.Product))
}

func (c *compiler) expr(e sigma.Expr) node {
	switch x := e.(type) {
	case *sigma.AndExpr:
		out := make(andNode, 0, len(x.Operands))
		for _, op := range x.Operands {
			out = append(out, c.expr(op))
		}
		return out
	case *sigma.OrExpr:
		out := make(orNode, 0, len(x.Operands))
		for _, op := range x.Operands {
			out = append(out, c.expr(op))
		}
		return out
	case *sigma.NotExpr:
		return notNode{n: c.expr(x.Operand)}
	case *sigma.IdentExpr:
		return c.search(x.Name, x.Pos)
	case *sigma.OfExpr:
		nodes := make([]node, 0, len(x.Names))
		for _, name := range x.Names {
			nodes = append(nodes, c.search(name, x.Pos))
		}
		if len(nodes) == 1 {
			return nodes[0]
		}
		if x.All {
			return andNode(nodes)
		}
		return orNode(nodes)
	}
	c.problem(e.Position(), "unknown condition node %T", e)
	return constNode(false)
}

// search compiles a search identifier once.
func (c *compiler) search(name string, at sigma.Pos) node {
	if n, ok := c.searches[name]; ok {
		return n
	}
	s := c.det.Searches[name]
	if s == nil {
		c.problem(at, "condition names %q, which is not a search identifier", name)
		return constNode(false)
	}
	n := c.searchNode(s)
	c.searches[name] = n
	return n
}

func (c *compiler) searchNode(s *sigma.Search) node {
	switch s.Kind {
	case sigma.SearchMap, sigma.SearchKeywords:
		nodes := make(andNode, 0, len(s.Matches))
		for _, m := range s.Matches {
			nodes = append(nodes, c.fieldMatch(m))
		}
		if len(nodes) == 1 {
			return nodes[0]
		}
		return c.bindLists(nodes)
	case sigma.SearchList:
		nodes := make(orNode, 0, len(s.Items))
		for _, item := range s.Items {
			nodes = append(nodes, c.searchNode(item))
		}
		if len(nodes) == 1 {
			return nodes[0]
		}
		return nodes
	}
	c.problem(s.Pos, "search %s is empty", s.Name)
	return constNode(false)
}

// matchField is the field a compiled field match reads (nil for
// keywords and translated values).
func matchField(n node) *fieldRef {
	switch x := n.(type) {
	case *fieldNode:
		return x.field
	case *existsNode:
		return x.field
	case *fieldRefNode:
		return x.field
	}
	return nil
}

// bindLists groups the matches of one search map by the fields above
// theirs that two or more of them share (process.stdio for
// process.stdio.fd and process.stdio.transport): where the event holds
// a list of objects there, the matches of a group must hold for the
// same element (bindNode).
func (c *compiler) bindLists(nodes andNode) node {
	shared := map[*fieldRef]int{}
	for _, n := range nodes {
		if f := matchField(n); f != nil {
			// ECS's top-level fields (process, user, event ...) are
			// objects, never lists: only the fields below them may be.
			for a := f.parent; a != nil && a.parent != nil; a = a.parent {
				shared[a]++
			}
		}
	}
	for f, k := range shared {
		if k < 2 {
			delete(shared, f)
		}
	}
	if len(shared) == 0 {
		return nodes
	}
	return c.groupUnder(nodes, nil, shared)
}

// groupUnder returns the AND of nodes (all of which read fields below
// within, nil for the top), with those that share a field below within
// grouped into a bindNode, the outermost shared field first.
func (c *compiler) groupUnder(nodes andNode, within *fieldRef, shared map[*fieldRef]int) andNode {
	var out andNode
	var lists []*fieldRef
	members := map[*fieldRef]andNode{}
	slots := map[*fieldRef]int{} // list -> its place in out
	for _, n := range nodes {
		var outer *fieldRef
		if f := matchField(n); f != nil {
			for a := f.parent; a != nil && a != within; a = a.parent {
				if shared[a] > 0 {
					outer = a
				}
			}
		}
		if outer == nil {
			out = append(out, n)
			continue
		}
		if _, ok := slots[outer]; !ok {
			slots[outer] = len(out)
			out = append(out, nil)
			lists = append(lists, outer)
		}
		members[outer] = append(members[outer], n)
	}
	for _, l := range lists {
		b := &bindNode{list: l, nodes: c.groupUnder(members[l], l, shared)}
		c.e.binds = append(c.e.binds, b)
		out[slots[l]] = b
	}
	return out
}

// fieldMatch compiles one field match (or keyword list).
func (c *compiler) fieldMatch(fm *sigma.FieldMatch) node {
	mods := fm.Modifiers
	if fm.Keyword() {
		if len(c.ls.Keywords) == 0 {
			c.problem(fm.Pos, "keyword searches cannot be evaluated for %s: they search the raw records, which Vigil does not keep", c.ls.Label())
			return constNode(false)
		}
		n := &keywordNode{all: mods.All}
		for _, f := range c.ls.Keywords {
			n.fields = append(n.fields, c.e.field(f, -1))
		}
		for _, v := range fm.Values {
			m, err := c.value(fm, v, true)
			if err != nil {
				c.problem(v.Pos, "%s: %v", keyName(fm), err)
				continue
			}
			n.values = append(n.values, m)
		}
		return n
	}
	t, err := resolveField(fm.Field, c.ls)
	if err != nil {
		c.problem(fm.Pos, "%v", err)
		return constNode(false)
	}
	if t.mapping != nil && t.mapping.Sigma == "QueryResults" {
		c.answers = true
	}
	if t.values != nil {
		return c.translated(fm, t)
	}
	c.kinds[t.kind] = true
	field := c.e.field(t.path, t.index)
	switch {
	case mods.Op == sigma.OpExists:
		return &existsNode{field: field, want: fm.Values[0].Bool}
	case mods.FieldRef:
		n := &fieldRefNode{field: field, op: mods.Op, fold: !mods.Cased, negate: mods.Negate, all: mods.All}
		for _, v := range fm.Values {
			ot, err := resolveField(v.Raw, c.ls)
			if err != nil {
				c.problem(v.Pos, "fieldref: %v", err)
				continue
			}
			if ot.values != nil {
				c.problem(v.Pos, "fieldref: field %s has translated values and cannot be compared with another field", v.Raw)
				continue
			}
			c.kinds[ot.kind] = true
			n.others = append(n.others, c.e.field(ot.path, ot.index))
		}
		return n
	}
	n := &fieldNode{field: field, all: mods.All, negate: mods.Negate}
	for _, v := range fm.Values {
		m, err := c.value(fm, v, false)
		if err != nil {
			c.problem(v.Pos, "%s: %v", keyName(fm), err)
			continue
		}
		n.values = append(n.values, m)
	}
	return n
}

func keyName(fm *sigma.FieldMatch) string {
	if fm.Key == "" {
		return "keywords"
	}
	return fm.Key
}

// translated compiles a field whose values Vigil's events express as
// other fields (Initiated, auditd's type ...).
func (c *compiler) translated(fm *sigma.FieldMatch, t target) node {
	for _, name := range fm.Modifiers.Names {
		if name != "neq" && name != "all" {
			c.problem(fm.Pos, "field %s takes plain values (%s), not modifier %s", fm.Field, valueNames(t.values), name)
			return constNode(false)
		}
	}
	var nodes []node
	for _, v := range fm.Values {
		text := v.Raw
		if v.Kind == sigma.ValueBool {
			text = fmt.Sprint(v.Bool)
		}
		var found *ValueMapping
		for i := range t.values {
			if strings.EqualFold(t.values[i].Sigma, text) {
				found = &t.values[i]
				break
			}
		}
		if found == nil || v.Kind == sigma.ValueNull {
			what, why := "value "+text, ""
			if t.mapping != nil {
				if t.mapping.Sigma == "type" {
					what = "auditd record type " + text
				}
				if t.mapping.Unmatched != "" {
					why = ": " + t.mapping.Unmatched
				}
			}
			c.problem(v.Pos, "field %s: %s has no counterpart in Vigil's events (mapped: %s)%s", fm.Field, what, valueNames(t.values), why)
			continue
		}
		conds := make(andNode, 0, len(found.Conditions))
		for _, cond := range found.Conditions {
			m, texts := newStrMatcher(sigma.LiteralPattern(cond.Value), true)
			conds = append(conds, &fieldNode{field: c.e.field(cond.Field, -1), weak: true,
				values: []valueMatcher{scalarValue{m: m, texts: texts, ok: len(texts) > 0}}})
			if cond.Field == "event.category" {
				switch cond.Value {
				case "process":
					c.kinds[auditExec] = true
				case "file":
					c.kinds[auditFile] = true
				}
			}
		}
		var n node = conds
		if len(conds) == 1 {
			n = conds[0]
		}
		if fm.Modifiers.Negate {
			n = notNode{n: n}
		}
		nodes = append(nodes, n)
	}
	if len(nodes) == 1 {
		return nodes[0]
	}
	if fm.Modifiers.All {
		return andNode(nodes)
	}
	return orNode(nodes)
}

func valueNames(vs []ValueMapping) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Sigma
	}
	return strings.Join(names, ", ")
}

// value compiles one value of a field match.
func (c *compiler) value(fm *sigma.FieldMatch, v *sigma.Value, keyword bool) (valueMatcher, error) {
	mods := fm.Modifiers
	if v.Kind == sigma.ValueNull {
		return nullMatcher{}, nil
	}
	switch {
	case mods.Op == sigma.OpRegex:
		flags := ""
		if mods.Regex.IgnoreCase {
			flags += "i"
		}
		if mods.Regex.MultiLine {
			flags += "m"
		}
		if mods.Regex.DotAll {
			flags += "s"
		}
		expr := v.Raw
		if flags != "" {
			expr = "(?" + flags + ")" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("regular expression %q cannot be compiled (Go's RE2 syntax): %v", v.Raw, err)
		}
		texts, ok := regexLiterals(expr)
		return scalarValue{m: regexMatcher{re: re}, texts: texts, ok: ok}, nil
	case mods.Op == sigma.OpCIDR:
		p, err := sigma.ParsePrefix(v.Raw)
		if err != nil {
			return nil, err
		}
		return scalarValue{m: cidrMatcher{prefix: p}}, nil
	case mods.Time != sigma.TimeNone:
		op := mods.Op
		return scalarValue{m: &timeMatcher{part: mods.Time, cmp: numMatcher{op: op, n: ruleNumber(v.Number), raw: v.Raw}}}, nil
	case mods.Op.Numeric():
		return scalarValue{m: &numMatcher{op: mods.Op, n: ruleNumber(v.Number), raw: v.Raw}}, nil
	case mods.Op == sigma.OpMatch && !keyword && len(mods.Transforms) == 0 && !mods.Expand:
		switch v.Kind {
		case sigma.ValueNumber:
			return scalarValue{m: &numMatcher{op: sigma.OpMatch, n: ruleNumber(v.Number), raw: v.Raw}}, nil
		case sigma.ValueBool:
			return scalarValue{m: boolMatcher{b: v.Bool}}, nil
		}
	}
	patterns := []sigma.Pattern{v.Pattern}
	if mods.Expand {
		var err error
		if patterns, err = sigma.ExpandPlaceholders(v.Pattern, c.opts.Placeholders); err != nil {
			return nil, err
		}
	}
	var out anyOf
	for _, p := range patterns {
		expanded, encoded, err := sigma.Expand(mods, p)
		if err != nil {
			return nil, err
		}
		for _, x := range expanded {
			switch {
			case mods.Op == sigma.OpContains || keyword && mods.Op == sigma.OpMatch:
				x = x.Wrap(true, true)
			case mods.Op == sigma.OpStartsWith:
				x = x.Wrap(false, true)
			case mods.Op == sigma.OpEndsWith:
				x = x.Wrap(true, false)
			}
			m, texts := newStrMatcher(x, !mods.Cased && !encoded)
			out = append(out, scalarValue{m: m, texts: texts, ok: len(texts) > 0})
		}
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

func ruleNumber(n sigma.Number) number {
	if n.IsInt {
		return number{isInt: true, i: n.Int, f: n.Float}
	}
	return floatNumber(n.Float)
}
