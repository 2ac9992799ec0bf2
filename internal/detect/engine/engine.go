package engine

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vigilsec/vigil/internal/detect/sigma"
	"github.com/vigilsec/vigil/internal/event"
)

// Options configure New.
type Options struct {
	// Placeholders gives the values of the %placeholders% of the expand
	// modifier, by name without the percent signs. Each value is a Sigma
	// string (its wildcards count). A rule naming a placeholder without
	// values is not loaded.
	Placeholders map[string][]string
}

// Problem is a rule that could not be loaded, or a meta filter that
// could not be applied to a rule, and why.
type Problem struct {
	Pos    sigma.Pos
	RuleID string
	Title  string
	Reason string
	// Filter says that the problem is a meta filter's (RuleID and Title
	// are the filter's, Reason names the rule): the rule it names is
	// loaded without it.
	Filter bool
}

// Error reads "file:line: rule ID (title): reason".
func (p Problem) Error() string {
	pos := p.Pos.File
	if p.Pos.Line > 0 {
		pos = fmt.Sprintf("%s:%d", p.Pos.File, p.Pos.Line)
	}
	if pos == "" {
		pos = "-"
	}
	return fmt.Sprintf("%s: rule %s (%s): %s", pos, p.RuleID, p.Title, p.Reason)
}

// Rule is a loaded detection rule, as alerts name it.
type Rule struct {
	ID, Name, Title, Level, Status, Description, Author string
	Tags, FalsePositives, References                    []string
	// Techniques are the ATT&CK techniques of the attack.tNNNN[.NNN]
	// tags, upper-cased ("T1059.004").
	Techniques []string
	Pos        sigma.Pos
	Logsource  sigma.Logsource
	// Filters are the meta filters applied to the rule: it matches only
	// events for which the condition of every one of them holds too.
	Filters []*Filter
	// Sigma is the parsed rule.
	Sigma *sigma.Rule
}

// Filter is a meta filter applied to one or more rules (Rule.Filters).
type Filter struct {
	ID, Name, Title string
	Pos             sigma.Pos
	Logsource       sigma.Logsource
	// Sigma is the parsed filter.
	Sigma *sigma.Filter
	// suppressed counts the matches the filter took from its rules.
	suppressed atomic.Uint64
}

// Suppressed returns the number of matches of its rules that the filter
// has left out since the engine was built: events a rule matched, on
// which the filter's condition did not hold.
func (f *Filter) Suppressed() uint64 { return f.suppressed.Load() }

// publicFilter returns the one Filter of a parsed filter.
func (e *Engine) publicFilter(f *sigma.Filter) *Filter {
	if pf, ok := e.filterOf[f]; ok {
		return pf
	}
	pf := &Filter{ID: f.ID, Name: f.Name, Title: f.Title, Pos: f.Pos, Logsource: f.Logsource, Sigma: f}
	e.filterOf[f] = pf
	e.filters = append(e.filters, pf)
	return pf
}

var techniqueTag = regexp.MustCompile(`^attack\.(t[0-9]{4}(\.[0-9]{3})?)$`)

func publicRule(r *sigma.Rule) *Rule {
	out := &Rule{ID: r.ID, Name: r.Name, Title: r.Title, Level: r.Level, Status: r.Status,
		Description: r.Description, Author: r.Author, Tags: r.Tags, FalsePositives: r.FalsePositives,
		References: r.References, Pos: r.Pos, Logsource: r.Logsource, Sigma: r}
	for _, tag := range r.Tags {
		if m := techniqueTag.FindStringSubmatch(strings.ToLower(tag)); m != nil {
			t := strings.ToUpper(m[1])
			if !slices.Contains(out.Techniques, t) {
				out.Techniques = append(out.Techniques, t)
			}
		}
	}
	return out
}

// Engine holds compiled rules and matches events against them. It is
// safe for concurrent use; it never changes after New.
type Engine struct {
	rules    []*Rule
	compiled []*compiled
	// filters are the meta filters applied to some rule, in the order
	// first applied; filterOf finds them by parsed filter.
	filters  []*Filter
	filterOf map[*sigma.Filter]*Filter
	groups   []*group
	// byCategory lists, per event.category, the groups that may apply
	// (those without a category included).
	byCategory map[string][]*group
	// anyCategory are the groups without a category.
	anyCategory []*group
	fields      []*fieldRef
	fieldIndex  map[string]*fieldRef
	categoryRef *fieldRef
	npat        int
	pool        sync.Pool
	// binds are the selections whose matches hold for one element of a
	// list of objects.
	binds []*bindNode
}

// group holds the rules of one event selection, with their literal
// index.
type group struct {
	id        int
	selectors []selector
	rules     []int32
	// always are the rules without literals: evaluated for every event of
	// the group.
	always []int32
	scans  []*fieldScan
}

// fieldScan is the literal index of one field within a group.
type fieldScan struct {
	field *fieldRef
	ac    *automaton
	// base is the engine-wide id of pattern 0 (for the per-event marks).
	base int
	// rules lists, per pattern, the rules it makes candidates.
	rules    [][]int32
	patterns []string
	// byText finds a pattern while building.
	byText map[string]int
}

// New compiles detection rules, each with the meta filters that name it
// (sigma.Rule.Filters, as sigma.Set.Validate attaches them). Rules that
// cannot be evaluated are left out and reported, each with the reason; a
// rule whose id repeats an earlier one's is left out too. A filter that
// cannot be applied to a rule (a field the rule's log source does not
// map, a log source that does not cover the rule's) is a Problem with
// Filter set, and the rule is loaded without it. Correlation rules are
// not given to New.
func New(rules []*sigma.Rule, opts Options) (*Engine, []Problem) {
	e := &Engine{byCategory: map[string][]*group{}, fieldIndex: map[string]*fieldRef{}, filterOf: map[*sigma.Filter]*Filter{}}
	e.categoryRef = e.field(event.FieldCategory, -1)
	var problems []Problem
	seen := map[string]sigma.Pos{}
	groups := map[string]*group{}
	for _, r := range rules {
		if r == nil {
			continue
		}
		if r.ID != "" {
			if prev, dup := seen[r.ID]; dup {
				problems = append(problems, Problem{Pos: r.Pos, RuleID: r.ID, Title: r.Title,
					Reason: fmt.Sprintf("id already loaded from %s", prev)})
				continue
			}
		}
		c, ps := e.compileRule(r, &opts)
		problems = append(problems, ps...)
		if c == nil {
			continue
		}
		if r.ID != "" {
			seen[r.ID] = r.Pos
		}
		key := selectorKey(c.selectors)
		g := groups[key]
		if g == nil {
			g = &group{id: len(e.groups), selectors: e.selectorsOf(c.selectors)}
			groups[key] = g
			e.groups = append(e.groups, g)
		}
		idx := int32(len(e.compiled))
		e.compiled = append(e.compiled, c)
		e.rules = append(e.rules, c.pub)
		g.rules = append(g.rules, idx)
	}
	e.fillUnder()
	e.buildIndex()
	e.pool.New = func() any { return newScratch(e) }
	return e, problems
}

// selectorKey is the canonical text of an event selection.
func selectorKey(sels []EventSelector) string {
	parts := make([]string, len(sels))
	for i, s := range sels {
		actions := slices.Clone(s.Actions)
		sort.Strings(actions)
		datasets := slices.Clone(s.Datasets)
		sort.Strings(datasets)
		var conds []string
		for _, c := range s.Conditions {
			conds = append(conds, c.Field+"="+c.Value)
		}
		sort.Strings(conds)
		parts[i] = s.Category + "|" + strings.Join(actions, ",") + "|" + strings.Join(datasets, ",") + "|" + strings.Join(conds, ",")
	}
	sort.Strings(parts)
	return strings.Join(parts, "||")
}

// field interns a field reference (and those of the objects above it).
func (e *Engine) field(path string, index int) *fieldRef {
	key := fmt.Sprintf("%s#%d", path, index)
	if f, ok := e.fieldIndex[key]; ok {
		return f
	}
	f := &fieldRef{path: path, index: index, leaf: path}
	if index >= 0 {
		f.parent, f.leaf = e.field(path, -1), ""
	} else if dot := strings.LastIndexByte(path, '.'); dot > 0 && dot < len(path)-1 {
		f.parent, f.leaf = e.field(path[:dot], -1), path[dot+1:]
	}
	f.slot = len(e.fields)
	e.fields = append(e.fields, f)
	e.fieldIndex[key] = f
	return f
}

// fillUnder lists, for each bindNode, the fields below its list: their
// values change with the element the matches are evaluated on.
func (e *Engine) fillUnder() {
	for _, b := range e.binds {
		b.under = b.under[:0]
		for _, f := range e.fields {
			for a := f.parent; a != nil; a = a.parent {
				if a == b.list {
					b.under = append(b.under, f)
					break
				}
			}
		}
	}
}

// buildIndex derives each rule's literals and builds, per group and
// field, the automaton of all of them.
func (e *Engine) buildIndex() {
	for _, g := range e.groups {
		scans := map[*fieldRef]*fieldScan{}
		var order []*fieldScan
		for _, r := range g.rules {
			n := e.compiled[r].root.need()
			if !n.ok {
				g.always = append(g.always, r)
				continue
			}
			for _, l := range n.lits {
				fs := scans[l.field]
				if fs == nil {
					fs = &fieldScan{field: l.field, byText: map[string]int{}}
					scans[l.field] = fs
					order = append(order, fs)
				}
				id, ok := fs.byText[l.text]
				if !ok {
					id = len(fs.patterns)
					fs.byText[l.text] = id
					fs.patterns = append(fs.patterns, l.text)
					fs.rules = append(fs.rules, nil)
				}
				if rs := fs.rules[id]; len(rs) == 0 || rs[len(rs)-1] != r {
					fs.rules[id] = append(rs, r)
				}
			}
		}
		for _, fs := range order {
			fs.ac = buildAutomaton(fs.patterns)
			if fs.ac == nil {
				// Cannot happen for folded text; keep the rules correct
				// anyway by evaluating them always.
				for _, rs := range fs.rules {
					g.always = append(g.always, rs...)
				}
				continue
			}
			fs.base = e.npat
			e.npat += len(fs.patterns)
			fs.byText = nil
			g.scans = append(g.scans, fs)
		}
		slices.Sort(g.always)
		g.always = slices.Compact(g.always)
	}
	cats := map[string]bool{}
	for _, g := range e.groups {
		anyCat := false
		for _, s := range g.selectors {
			if s.category == "" {
				anyCat = true
			} else {
				cats[s.category] = true
			}
		}
		if anyCat {
			e.anyCategory = append(e.anyCategory, g)
		}
	}
	for cat := range cats {
		var list []*group
		for _, g := range e.groups {
			for _, s := range g.selectors {
				if s.category == cat || s.category == "" {
					list = append(list, g)
					break
				}
			}
		}
		e.byCategory[cat] = list
	}
}

// Rules returns the loaded rules, in the order given to New.
func (e *Engine) Rules() []*Rule { return e.rules }

// Filters returns the meta filters applied to at least one loaded rule.
func (e *Engine) Filters() []*Filter { return e.filters }

// Match appends to dst every rule that matches ev, in the order of
// Rules, and returns the extended slice. A rule matches when its
// condition holds and the condition of each of its meta filters holds
// too; the filters of a rule are evaluated only once its own condition
// held, so that filters cost nothing for the events of other rules.
func (e *Engine) Match(ev event.Event, dst []*Rule) []*Rule {
	if len(e.compiled) == 0 {
		return dst
	}
	s := e.pool.Get().(*scratch)
	s.reset(ev)
	e.visitGroups(s, func(g *group) {
		for _, r := range g.always {
			s.candidate(r)
		}
		for _, fs := range g.scans {
			v, ok := s.get(fs.field)
			if ok {
				scanValue(s, fs, v)
			}
		}
	})
	slices.Sort(s.cands)
	for _, r := range s.cands {
		if c := e.compiled[r]; c.root.eval(s) && c.passes(s) {
			dst = append(dst, c.pub)
		}
	}
	s.release()
	e.pool.Put(s)
	return dst
}

// passes reports whether the condition of every meta filter of the rule
// holds for the event in s; the first that does not counts the match it
// leaves out.
func (c *compiled) passes(s *scratch) bool {
	for i := range c.filters {
		if !c.filters[i].root.eval(s) {
			c.filters[i].filter.suppressed.Add(1)
			return false
		}
	}
	return true
}

// visitGroups calls fn for each group whose selection the event is in.
func (e *Engine) visitGroups(s *scratch, fn func(*group)) {
	v, _ := s.get(e.categoryRef)
	switch t := v.(type) {
	case string:
		e.visitList(s, e.groupsOf(t), fn)
	case []any:
		for _, c := range t {
			if cs, ok := c.(string); ok {
				e.visitList(s, e.groupsOf(cs), fn)
			}
		}
		e.visitList(s, e.anyCategory, fn)
	case []string:
		for _, c := range t {
			e.visitList(s, e.groupsOf(c), fn)
		}
		e.visitList(s, e.anyCategory, fn)
	default:
		e.visitList(s, e.anyCategory, fn)
	}
}

func (e *Engine) groupsOf(category string) []*group {
	if list, ok := e.byCategory[category]; ok {
		return list
	}
	return e.anyCategory
}

func (e *Engine) visitList(s *scratch, list []*group, fn func(*group)) {
	for _, g := range list {
		if s.groupEpoch[g.id] == s.epoch {
			continue
		}
		s.groupEpoch[g.id] = s.epoch
		if g.selects(s) {
			fn(g)
		}
	}
}

// selector is an EventSelector with its fields interned.
type selector struct {
	category string
	actions  []string
	datasets []string
	conds    []selectorCond
	// refs of event.category, event.action and event.dataset.
	categoryRef, actionRef, datasetRef *fieldRef
}

type selectorCond struct {
	field *fieldRef
	value string
}

func (e *Engine) selectorsOf(sels []EventSelector) []selector {
	out := make([]selector, len(sels))
	for i, s := range sels {
		out[i] = selector{category: s.Category, actions: s.Actions, datasets: s.Datasets,
			categoryRef: e.categoryRef, actionRef: e.field(event.FieldAction, -1), datasetRef: e.field(event.FieldDataset, -1)}
		for _, c := range s.Conditions {
			out[i].conds = append(out[i].conds, selectorCond{field: e.field(c.Field, -1), value: c.Value})
		}
	}
	return out
}

// selects reports whether the event is in the group's selection.
func (g *group) selects(s *scratch) bool {
	for i := range g.selectors {
		if g.selectors[i].matches(s) {
			return true
		}
	}
	return false
}

// matches reports whether the event is selected.
func (sel *selector) matches(s *scratch) bool {
	if sel.category != "" && !hasText(s, sel.categoryRef, sel.category) {
		return false
	}
	if len(sel.actions) > 0 && !oneOfText(s, sel.actionRef, sel.actions) {
		return false
	}
	if len(sel.datasets) > 0 && !oneOfText(s, sel.datasetRef, sel.datasets) {
		return false
	}
	for _, c := range sel.conds {
		if !hasText(s, c.field, c.value) {
			return false
		}
	}
	return true
}

// hasText reports whether a field is want (ASCII case-insensitive), or a
// list holding want.
func hasText(s *scratch, f *fieldRef, want string) bool {
	v, ok := s.get(f)
	if !ok {
		return false
	}
	switch t := v.(type) {
	case string:
		return strings.EqualFold(t, want)
	case []any:
		for _, x := range t {
			if xs, ok := x.(string); ok && strings.EqualFold(xs, want) {
				return true
			}
		}
	case []string:
		for _, x := range t {
			if strings.EqualFold(x, want) {
				return true
			}
		}
	}
	return false
}

func oneOfText(s *scratch, f *fieldRef, wants []string) bool {
	for _, w := range wants {
		if hasText(s, f, w) {
			return true
		}
	}
	return false
}

// scanValue runs a field's automaton over its value (each element of a
// list) and marks the rules of every pattern found.
func scanValue(s *scratch, fs *fieldScan, v any) {
	switch t := v.(type) {
	case string:
		scanText(s, fs, t)
	case []any:
		for _, x := range t {
			var txt string
			var ok bool
			if txt, s.buf, ok = scalarText(x, s.buf); ok {
				scanText(s, fs, txt)
			}
		}
	case []string:
		for _, x := range t {
			scanText(s, fs, x)
		}
	case *projection:
		t.each(func(x any) bool {
			scanValue(s, fs, x)
			return false
		})
	default:
		if txt, buf, ok := scalarText(v, s.buf); ok {
			s.buf = buf
			scanText(s, fs, txt)
			return
		}
		anyScalar(s, v, &textScanner{fs: fs})
	}
}

// textScanner scans the scalars of an unusual list type.
type textScanner struct{ fs *fieldScan }

func (t *textScanner) matchScalar(s *scratch, v any) bool {
	var txt string
	var ok bool
	if txt, s.buf, ok = scalarText(v, s.buf); ok {
		scanText(s, t.fs, txt)
	}
	return false
}

func scanText(s *scratch, fs *fieldScan, text string) {
	a := fs.ac
	st := int32(0)
	for i := 0; i < len(text); i++ {
		st = a.step(st, text[i])
		if a.outStart[st] == a.outStart[st+1] {
			continue
		}
		for _, id := range a.outputs(st) {
			gid := fs.base + int(id)
			if s.patEpoch[gid] == s.epoch {
				continue
			}
			s.patEpoch[gid] = s.epoch
			for _, r := range fs.rules[id] {
				s.candidate(r)
			}
		}
	}
}
