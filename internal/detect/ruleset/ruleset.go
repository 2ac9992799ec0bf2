// Package ruleset puts Sigma rules to work: it loads rule files (the
// shipped pack, operators' imports), compiles the detection rules and the
// meta filters that name them into the indexed engine and the correlation
// rules into the correlation engine, applies operators' settings (a rule
// or filter switched off, a level changed), and turns the matches of one
// event into detections: a rule's own alert, and the hits of the
// correlations its matches complete.
//
// A meta filter's condition is added to each rule it names (by id, name
// or title) as `rule and (filter)`, as the Sigma tools apply filters:
// `condition: not selection` keeps the events of selection from the
// rule. A filtered match is no match at all: the rule does not alert and
// no correlation counts it. Correlation group-by fields (and the field a
// value_count counts) may be Sigma names: they are read, in the events of
// each referenced rule, as the field the rule's log source maps them to.
//
// Every rule that cannot be used is a Problem with its file, line and the
// reason; the others work. The package does no I/O beyond reading the
// rule files it is given, so the center, the rule tests (`vigil rules
// test`) and, later, the agent run the same code.
package ruleset

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/attack"
	"github.com/vigilsec/vigil/internal/detect/correlate"
	"github.com/vigilsec/vigil/internal/detect/engine"
	"github.com/vigilsec/vigil/internal/detect/sigma"
	"github.com/vigilsec/vigil/internal/event"
)

// TestSuffix marks the test files that sit beside the rules: they are
// not rules (see RunTests).
const TestSuffix = ".test.yml"

// Source is a tree of rule files.
type Source struct {
	// Name says where the files come from ("builtin", "imported").
	Name string
	FS   fs.FS
	// Root is the folder of FS the rules are under ("." for all of it).
	Root string
}

// Setting is an operator's choice for one rule.
type Setting struct {
	Disabled bool
	// Level, when set, replaces the rule's level.
	Level string
}

// Options configure Load.
type Options struct {
	// Settings are the operators' choices, by rule id.
	Settings map[string]Setting
	// Correlate configures the correlation engine.
	Correlate correlate.Options
	// Engine configures the detection engine.
	Engine engine.Options
}

// Kind of a rule.
const (
	KindDetection   = "detection"
	KindCorrelation = "correlation"
	// KindFilter is a Sigma meta filter: it raises nothing, it keeps
	// events from the rules it names.
	KindFilter = "filter"
)

// Rule is one loaded rule with what the center shows of it.
type Rule struct {
	ID, Name, Title, Description string
	Kind                         string
	Level, Status                string
	Author                       string
	Tags, Techniques             []string
	FalsePositives, References   []string
	Logsource                    sigma.Logsource
	// Source is the source's name, File and Line where the rule is.
	Source, File string
	Line         int
	// Disabled rules are loaded but never evaluated.
	Disabled bool
	// Alerts says that a match is an alert by itself: false for
	// informational rules and for rules only correlations use.
	Alerts bool
	// Correlated says that correlation rules use its matches.
	Correlated bool
	// Filters, for a detection rule, are the meta filters applied to it:
	// it matches only events that each of them lets through (for a
	// disabled rule, the enabled filters that name it). A filter that
	// could not be applied to the rule is a Problem instead.
	Filters []RuleRef
	// AppliesTo, for a meta filter, are the detection rules it is applied
	// to (for a disabled filter, those it would be applied to).
	AppliesTo []RuleRef
	// refs are the id and name, as correlations reference them.
	refs []string
	// filter is a meta filter's counterpart in the engine.
	filter *engine.Filter
}

// RuleRef names a loaded rule or filter, in another one's listing.
type RuleRef struct {
	ID, Title string
	File      string
	Line      int
}

func refOf(r *Rule) RuleRef { return RuleRef{ID: r.ID, Title: r.Title, File: r.File, Line: r.Line} }

// Suppressed returns, for a meta filter, the number of matches of its
// rules it has left out since the rules were loaded (0 for other kinds).
func (r *Rule) Suppressed() uint64 {
	if r.filter == nil {
		return 0
	}
	return r.filter.Suppressed()
}

// Problem is a rule (or a file) that could not be loaded.
type Problem struct {
	Source, File string
	Line         int
	RuleID       string
	Title        string
	Reason       string
}

// Error reads "file:line: rule ID (title): reason".
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.RuleID != "" || p.Title != "" {
		b.WriteString("rule ")
		b.WriteString(p.RuleID)
		if p.Title != "" {
			if p.RuleID != "" {
				b.WriteByte(' ')
			}
			b.WriteString("(" + p.Title + ")")
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// RuleSet is a compiled generation of rules. It is safe for concurrent
// use.
type RuleSet struct {
	// Rules are every loaded rule, detections, then correlations, then
	// meta filters, each by file.
	Rules []*Rule
	// Problems are the rules and files that were not loaded.
	Problems []Problem

	engine       *engine.Engine
	corr         *correlate.Engine
	byEngineRule map[*engine.Rule]*Rule
	// correlations are the loaded correlation rules by correlate.Spec key.
	correlations map[string]*Rule
}

// Detection is one finding: a rule matched an event, or a correlation
// completed.
type Detection struct {
	Rule *Rule
	// Event is the event that matched or completed the correlation; nil
	// for a correlation window checked when it closed.
	Event event.Event
	// Hit is the correlation's hit (nil for a detection rule).
	Hit *correlate.Hit
}

// Load parses every rule file of the sources and compiles them. Test
// files (TestSuffix) are left out.
func Load(sources []Source, opts Options) *RuleSet {
	rs := &RuleSet{byEngineRule: map[*engine.Rule]*Rule{}, correlations: map[string]*Rule{}}
	set := &sigma.Set{}
	origin := map[string]string{} // file -> source name
	for _, src := range sources {
		root := src.Root
		if root == "" {
			root = "."
		}
		sub := sigma.ReadFS(rulesOnly{src.FS}, root)
		for _, r := range sub.Rules {
			origin[r.Pos.File] = src.Name
		}
		for _, c := range sub.Correlations {
			origin[c.Pos.File] = src.Name
		}
		for _, f := range sub.Filters {
			origin[f.Pos.File] = src.Name
		}
		for _, e := range sub.Errors {
			origin[e.Pos.File] = src.Name
		}
		set.Rules = append(set.Rules, sub.Rules...)
		set.Correlations = append(set.Correlations, sub.Correlations...)
		set.Filters = append(set.Filters, sub.Filters...)
		set.Errors = append(set.Errors, sub.Errors...)
	}
	// References may cross sources: validate the whole once.
	set.Validate()
	for _, e := range set.Errors {
		rs.Problems = append(rs.Problems, Problem{
			Source: origin[e.Pos.File], File: e.Pos.File, Line: e.Pos.Line,
			RuleID: e.RuleID, Title: e.Title, Reason: e.Reason,
		})
	}

	// Meta filters: a disabled one is applied to no rule.
	filterMeta := map[*sigma.Filter]*Rule{}
	for _, f := range set.Filters {
		rule := newRule(&f.Meta, KindFilter, origin[f.Pos.File], opts.Settings)
		rule.Logsource = f.Logsource
		filterMeta[f] = rule
	}

	// Detection rules: the enabled ones go to the engine.
	var compile []*sigma.Rule
	meta := map[*sigma.Rule]*Rule{}
	named := map[*sigma.Filter][]*Rule{} // the rules each filter names
	for _, r := range set.Rules {
		rule := newRule(&r.Meta, KindDetection, origin[r.Pos.File], opts.Settings)
		rule.Logsource = r.Logsource
		meta[r] = rule
		for _, f := range r.Filters {
			named[f] = append(named[f], rule)
		}
		r.Filters = slices.DeleteFunc(r.Filters, func(f *sigma.Filter) bool { return filterMeta[f].Disabled })
		if !rule.Disabled {
			compile = append(compile, r)
		}
	}
	eng, problems := engine.New(compile, opts.Engine)
	rs.engine = eng
	failed := map[string]bool{}
	for _, p := range problems {
		rs.Problems = append(rs.Problems, Problem{
			Source: origin[p.Pos.File], File: p.Pos.File, Line: p.Pos.Line, RuleID: p.RuleID, Title: p.Title, Reason: p.Reason,
		})
		if !p.Filter {
			failed[p.Pos.File+"\x00"+p.RuleID+"\x00"+p.Title] = true
		}
	}
	bySigma := map[string]*Rule{} // "file\x00line" -> rule
	for r, rule := range meta {
		bySigma[fmt.Sprintf("%s\x00%d", r.Pos.File, r.Pos.Line)] = rule
	}
	applied := map[filterUse]bool{}
	for _, ef := range eng.Filters() {
		filterMeta[ef.Sigma].filter = ef
	}
	for _, er := range eng.Rules() {
		rule := bySigma[fmt.Sprintf("%s\x00%d", er.Pos.File, er.Pos.Line)]
		if rule == nil {
			continue
		}
		rs.byEngineRule[er] = rule
		for _, ef := range er.Filters {
			applied[filterUse{filterMeta[ef.Sigma], rule}] = true
		}
	}
	listed := map[*Rule]bool{}
	for _, r := range set.Rules {
		rule := meta[r]
		if failed[r.Pos.File+"\x00"+r.ID+"\x00"+r.Title] {
			continue
		}
		rs.Rules = append(rs.Rules, rule)
		listed[rule] = true
	}

	// Correlation rules.
	logsources := map[string]sigma.Logsource{} // detection rules by id and name
	for _, r := range set.Rules {
		for _, ref := range []string{r.ID, r.Name} {
			if ref != "" {
				logsources[ref] = r.Logsource
			}
		}
	}
	var specs []correlate.Spec
	corrMeta := map[string]*Rule{}
	for _, c := range set.Correlations {
		rule := newRule(&c.Meta, KindCorrelation, origin[c.Pos.File], opts.Settings)
		if rule.Disabled {
			rs.Rules = append(rs.Rules, rule)
			continue
		}
		spec := specOf(c, rule.Level, logsources)
		if err := spec.Validate(); err != nil {
			rs.Problems = append(rs.Problems, Problem{Source: rule.Source, File: rule.File, Line: rule.Line, RuleID: c.ID, Title: c.Title, Reason: err.Error()})
			continue
		}
		specs = append(specs, spec)
		corrMeta[spec.Key()] = rule
	}
	if len(specs) > 0 {
		corr, err := correlate.New(specs, opts.Correlate)
		if err != nil {
			// One bad correlation must not cost the others: find it by
			// building each alone, and keep those that work.
			specs = rs.dropFailing(specs, corrMeta, opts.Correlate)
			corr, err = correlate.New(specs, opts.Correlate)
		}
		if err == nil && len(specs) > 0 {
			rs.corr = corr
			for _, s := range specs {
				rule := corrMeta[s.Key()]
				rs.correlations[s.Key()] = rule
				rs.Rules = append(rs.Rules, rule)
			}
		} else if err != nil {
			for _, s := range specs {
				rule := corrMeta[s.Key()]
				rs.Problems = append(rs.Problems, Problem{Source: rule.Source, File: rule.File, Line: rule.Line, RuleID: rule.ID, Title: rule.Title, Reason: err.Error()})
			}
		}
	}
	rs.addFilters(set.Filters, filterMeta, named, listed, applied)
	for _, rule := range rs.byEngineRule {
		rule.Correlated = rs.corr != nil && rs.corr.Wants(rule.refs)
		rule.Alerts = rule.Level != "informational" && (rs.corr == nil || rs.corr.Standalone(rule.refs))
	}
	for _, rule := range rs.correlations {
		rule.Alerts = rule.Level != "informational"
	}
	slices.SortStableFunc(rs.Problems, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return rs
}

// filterUse is a meta filter and a rule it names.
type filterUse struct{ filter, rule *Rule }

// addFilters fills in Rule.Filters and Rule.AppliesTo, and lists the
// meta filters among the rules. named are the detection rules each
// filter names, listed those that are loaded (enabled or not), applied
// the filters the engine applied to each enabled rule. A filter is listed
// when it applies to some rule, or would if it or the rule were enabled,
// and when it is disabled: one that could be applied to none of the rules
// it names is only in the problems.
func (rs *RuleSet) addFilters(filters []*sigma.Filter, filterMeta map[*sigma.Filter]*Rule, named map[*sigma.Filter][]*Rule,
	listed map[*Rule]bool, applied map[filterUse]bool) {
	for _, f := range filters {
		fr := filterMeta[f]
		for _, target := range named[f] {
			var applies bool
			switch {
			case !listed[target]:
				// Not loaded, for a problem of its own.
			case fr.Disabled || target.Disabled:
				applies = true
			default:
				applies = applied[filterUse{fr, target}]
			}
			if !applies {
				continue
			}
			fr.AppliesTo = append(fr.AppliesTo, refOf(target))
			if !fr.Disabled {
				target.Filters = append(target.Filters, refOf(fr))
			}
		}
		if len(fr.AppliesTo) > 0 || fr.Disabled {
			rs.Rules = append(rs.Rules, fr)
		}
	}
}

// dropFailing returns the specs that the correlation engine accepts one
// by one, with a problem for each of the others. A correlation that
// references another is tried together with what it references.
func (rs *RuleSet) dropFailing(specs []correlate.Spec, meta map[string]*Rule, opts correlate.Options) []correlate.Spec {
	var ok []correlate.Spec
	for _, s := range specs {
		if _, err := correlate.New(append(slices.Clone(ok), s), opts); err != nil {
			rule := meta[s.Key()]
			rs.Problems = append(rs.Problems, Problem{Source: rule.Source, File: rule.File, Line: rule.Line, RuleID: rule.ID, Title: rule.Title, Reason: err.Error()})
			continue
		}
		ok = append(ok, s)
	}
	return ok
}

// newRule returns the Rule of a parsed document with the operator's
// setting applied.
func newRule(m *sigma.Meta, kind, source string, settings map[string]Setting) *Rule {
	r := &Rule{
		ID: m.ID, Name: m.Name, Title: m.Title, Description: m.Description, Kind: kind,
		Level: m.Level, Status: m.Status, Author: m.Author, Tags: m.Tags,
		Techniques:     attack.FromTags(m.Tags),
		FalsePositives: m.FalsePositives, References: m.References,
		Source: source, File: m.Pos.File, Line: m.Pos.Line,
	}
	for _, ref := range []string{m.ID, m.Name} {
		if ref != "" {
			r.refs = append(r.refs, ref)
		}
	}
	if s, ok := settings[m.ID]; ok && m.ID != "" {
		r.Disabled = s.Disabled
		if s.Level != "" {
			r.Level = s.Level
		}
	}
	return r
}

// specOf maps a parsed correlation rule onto the correlation engine's
// Spec. logsources are the log sources of the detection rules, by id and
// name, for the fields the correlation names (see eventFields).
func specOf(c *sigma.Correlation, level string, logsources map[string]sigma.Logsource) correlate.Spec {
	s := correlate.Spec{
		ID: c.ID, Name: c.Name, Title: c.Title, Level: level,
		Type: correlate.Kind(c.Type), GroupBy: c.GroupBy, Timespan: c.Timespan,
		Generate: c.Generate,
	}
	for _, r := range c.Rules {
		s.Rules = append(s.Rules, r.Ref)
	}
	s.Condition.Field = c.Condition.Field
	for i, cmp := range c.Condition.Comparisons {
		if i == 0 {
			s.Condition.Op, s.Condition.Value = correlate.Op(cmp.Op), cmp.Value
			continue
		}
		s.Condition.And = append(s.Condition.And, correlate.Criterion{Op: correlate.Op(cmp.Op), Value: cmp.Value})
	}
	if len(c.Aliases) > 0 {
		s.Aliases = map[string]map[string]string{}
		for _, a := range c.Aliases {
			s.Aliases[a.Name] = maps.Clone(a.Fields)
		}
	}
	eventFields(&s, logsources)
	return s
}

// eventFields maps the fields a correlation reads (group-by, and the
// field a value_count counts) onto the events of each referenced
// detection rule: a Sigma name (User, SourceIp), or the field an alias
// gives for the rule, becomes the field the rule's log source maps it to
// (user.name, source.ip), added to the spec as an alias for that rule.
// Each rule is read with its own log source's mapping. A name that maps
// nowhere for a rule is read as given, and so are the fields read from
// the hits of referenced correlations (their group-by names).
func eventFields(s *correlate.Spec, logsources map[string]sigma.Logsource) {
	names := slices.Clone(s.GroupBy)
	if f := s.Condition.Field; f != "" && !slices.Contains(names, f) {
		names = append(names, f)
	}
	for _, name := range names {
		for _, ref := range s.Rules {
			ls, ok := logsources[ref]
			if !ok {
				continue
			}
			field := name
			if f, ok := s.Aliases[name][ref]; ok {
				field = f
			}
			path, ok := engine.EventField(ls, field)
			if !ok || path == field {
				continue
			}
			if s.Aliases == nil {
				s.Aliases = map[string]map[string]string{}
			}
			if s.Aliases[name] == nil {
				s.Aliases[name] = map[string]string{}
			}
			s.Aliases[name][ref] = path
		}
	}
}

// Evaluate runs the rules over one event and appends its detections to
// out: each matching rule that alerts by itself, and each correlation the
// matches complete.
func (rs *RuleSet) Evaluate(ev event.Event, buf []*engine.Rule, out []Detection) ([]*engine.Rule, []Detection) {
	buf = rs.engine.Match(ev, buf[:0])
	if len(buf) == 0 {
		return buf, out
	}
	var at time.Time
	for _, er := range buf {
		rule := rs.byEngineRule[er]
		if rule == nil {
			continue
		}
		if rule.Correlated && rs.corr != nil {
			if at.IsZero() {
				at = ev.Timestamp()
			}
			for _, h := range rs.corr.Observe(rule.refs, ev, at) {
				out = rs.correlationDetection(out, h, ev)
			}
		}
		if rule.Alerts {
			out = append(out, Detection{Rule: rule, Event: ev})
		}
	}
	return buf, out
}

func (rs *RuleSet) correlationDetection(out []Detection, h correlate.Hit, ev event.Event) []Detection {
	if h.Intermediate {
		return out
	}
	rule := rs.correlations[h.Spec.Key()]
	if rule == nil || !rule.Alerts {
		return out
	}
	return append(out, Detection{Rule: rule, Event: ev, Hit: &h})
}

// Flush checks the correlation windows that closed by now (conditions
// such as "fewer than") and returns their detections.
func (rs *RuleSet) Flush(now time.Time) []Detection {
	if rs.corr == nil {
		return nil
	}
	var out []Detection
	for _, h := range rs.corr.Flush(now) {
		out = rs.correlationDetection(out, h, nil)
	}
	return out
}

// Correlation returns the correlation engine, nil without correlation
// rules (for its state: Snapshot, Restore, Stats).
func (rs *RuleSet) Correlation() *correlate.Engine { return rs.corr }

// Loaded counts the rules that are evaluated, meta filters included.
func (rs *RuleSet) Loaded() int {
	n := 0
	for _, r := range rs.Rules {
		if !r.Disabled {
			n++
		}
	}
	return n
}

// rulesOnly hides the test files from the rule loader.
type rulesOnly struct{ fs.FS }

func (r rulesOnly) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(r.FS, name)
	out := entries[:0]
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), TestSuffix) {
			continue
		}
		out = append(out, e)
	}
	return out, err
}
