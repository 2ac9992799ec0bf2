package correlate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Kind is the type of a correlation, spelled as the type attribute of a
// Sigma correlation rule.
type Kind string

// The four correlation types of the Sigma correlation specification.
const (
	// EventCount counts the matches of the referenced rules per group.
	EventCount Kind = "event_count"
	// ValueCount counts the distinct values of Condition.Field per group.
	ValueCount Kind = "value_count"
	// Temporal counts how many of the referenced rules matched per group,
	// in any order.
	Temporal Kind = "temporal"
	// TemporalOrdered is Temporal with the rules matching in the order
	// they are listed.
	TemporalOrdered Kind = "temporal_ordered"
)

// Op is a comparison of a condition, spelled as the keys of a Sigma
// correlation condition.
type Op string

// Comparisons of a condition: the count compared with the value.
const (
	OpGT  Op = "gt"  // count > value
	OpGTE Op = "gte" // count >= value
	OpLT  Op = "lt"  // count < value
	OpLTE Op = "lte" // count <= value
	OpEQ  Op = "eq"  // count == value
	OpNEQ Op = "neq" // count != value
)

// MaxTimespan is the longest timespan a correlation may have.
const MaxTimespan = 366 * 24 * time.Hour

// ErrInvalidSpec is wrapped by every error of Spec.Validate and of New
// about a correlation.
var ErrInvalidSpec = errors.New("invalid correlation")

// Criterion is one comparison of a count with a value.
type Criterion struct {
	Op    Op
	Value int64
}

// holds reports whether count satisfies the criterion.
func (c Criterion) holds(count int64) bool {
	switch c.Op {
	case OpGT:
		return count > c.Value
	case OpGTE:
		return count >= c.Value
	case OpLT:
		return count < c.Value
	case OpLTE:
		return count <= c.Value
	case OpEQ:
		return count == c.Value
	case OpNEQ:
		return count != c.Value
	}
	return false
}

// lowerBound reports whether the criterion only asks the count to be
// large enough, so that a count that grows never stops satisfying it.
func (c Criterion) lowerBound() bool { return c.Op == OpGT || c.Op == OpGTE }

// String writes the criterion as Sigma does: "gte 10".
func (c Criterion) String() string { return fmt.Sprintf("%s %d", c.Op, c.Value) }

// Condition says when a correlation matches: a count compared with a
// value, and for value_count the field whose distinct values are counted.
// A Sigma range ("gt: 100" and "lte: 200" in one condition) is Op and
// Value for one of the two and And for the other.
type Condition struct {
	// Op and Value are the first comparison. For temporal and
	// temporal_ordered an empty Op means "all referenced rules" (gte the
	// number of rules), the default of the specification.
	Op    Op
	Value int64
	// Field is the field (an ECS path or an alias) whose distinct values
	// a value_count correlation counts; empty for the other types.
	Field string
	// And holds further comparisons that must hold as well.
	And []Criterion
}

// criteria returns every comparison of the condition, in a stable order.
func (c Condition) criteria() []Criterion {
	out := make([]Criterion, 0, 1+len(c.And))
	if c.Op != "" {
		out = append(out, Criterion{Op: c.Op, Value: c.Value})
	}
	out = append(out, c.And...)
	return out
}

// Spec is one correlation, as a Sigma correlation rule defines it. The
// caller maps the parsed rule onto it.
type Spec struct {
	// ID and Name identify the correlation; Title says what it detects.
	// Other correlations reference this one by ID or Name. Its state is
	// keyed by Key (ID, else Name, else Title).
	ID, Name, Title string
	// Level is the Sigma level of a hit: informational, low, medium,
	// high or critical (empty when unset).
	Level string
	// Type is the correlation type.
	Type Kind
	// Rules are the referenced rules by id or name: base rules, or other
	// correlations. temporal_ordered expects them in this order.
	Rules []string
	// GroupBy are the fields (ECS paths such as source.ip, or aliases)
	// whose values must be equal among the events of one hit.
	GroupBy []string
	// Timespan is the longest time between the first and the last event
	// of a hit.
	Timespan time.Duration
	// Condition says when the count matches.
	Condition Condition
	// Aliases maps an alias name used in GroupBy (or as Condition.Field)
	// to the field it stands for in the events of each referenced rule:
	// alias -> rule ref (as written in Rules) -> field path. A rule the
	// alias does not list reads the field named like the alias.
	Aliases map[string]map[string]string
	// Generate keeps the referenced rules' own matches as alerts; by
	// default only the correlation's hits are (see Engine.Standalone).
	Generate bool
}

// levels are the Sigma levels.
var levels = []string{"informational", "low", "medium", "high", "critical"}

// Key returns the identity of the correlation's state: its ID, else its
// Name, else its Title.
func (s *Spec) Key() string {
	switch {
	case s.ID != "":
		return s.ID
	case s.Name != "":
		return s.Name
	}
	return s.Title
}

// describe names the correlation in error messages.
func (s *Spec) describe() string {
	switch {
	case s.Title != "" && s.ID != "":
		return fmt.Sprintf("%q (%s)", s.Title, s.ID)
	case s.Title != "":
		return fmt.Sprintf("%q", s.Title)
	case s.Key() != "":
		return s.Key()
	}
	return "without title"
}

// criteria returns the comparisons of the condition, with the default of
// the temporal types filled in.
func (s *Spec) criteria() []Criterion {
	c := s.Condition.criteria()
	if len(c) == 0 && (s.Type == Temporal || s.Type == TemporalOrdered) {
		c = []Criterion{{Op: OpGTE, Value: int64(len(s.Rules))}}
	}
	return c
}

// Validate checks the correlation and returns every problem it finds in
// one error wrapping ErrInvalidSpec.
func (s *Spec) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if strings.TrimSpace(s.Title) == "" {
		add("title is empty")
	}
	if s.Level != "" && !slices.Contains(levels, s.Level) {
		add("level %q is not one of %s", s.Level, strings.Join(levels, ", "))
	}
	temporal := s.Type == Temporal || s.Type == TemporalOrdered
	switch s.Type {
	case EventCount, ValueCount, Temporal, TemporalOrdered:
	case "":
		add("type is empty")
	default:
		add("type %q is not one of event_count, value_count, temporal, temporal_ordered", s.Type)
	}

	switch {
	case len(s.Rules) == 0:
		add("rules: none referenced")
	case temporal && len(s.Rules) < 2:
		add("rules: %s needs at least two rules, has %d", s.Type, len(s.Rules))
	}
	if len(s.Rules) > maxRules {
		add("rules: %d referenced, at most %d", len(s.Rules), maxRules)
	}
	for i, r := range s.Rules {
		switch {
		case strings.TrimSpace(r) == "":
			add("rules[%d] is empty", i)
		case slices.Index(s.Rules, r) != i:
			add("rules[%d]: %q is listed twice", i, r)
		case r == s.ID || r == s.Name:
			add("rules[%d]: %q references the correlation itself", i, r)
		}
	}
	for i, f := range s.GroupBy {
		switch {
		case strings.TrimSpace(f) == "":
			add("group-by[%d] is empty", i)
		case slices.Index(s.GroupBy, f) != i:
			add("group-by[%d]: %q is listed twice", i, f)
		}
	}

	switch {
	case s.Timespan <= 0:
		add("timespan must be positive, not %s", s.Timespan)
	case s.Timespan > MaxTimespan:
		add("timespan %s is longer than %s", s.Timespan, MaxTimespan)
	}

	problems = append(problems, s.conditionProblems()...)
	problems = append(problems, s.aliasProblems()...)

	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w %s: %s", ErrInvalidSpec, s.describe(), strings.Join(problems, "; "))
}

// maxRules bounds the rules of one correlation.
const maxRules = 64

// conditionProblems checks the condition against the type.
func (s *Spec) conditionProblems() []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	c := s.Condition
	temporal := s.Type == Temporal || s.Type == TemporalOrdered

	if c.Op == "" && len(c.And) > 0 {
		add("condition: and without a first comparison")
	}
	if c.Op == "" && len(c.And) == 0 && !temporal && s.Type != "" {
		add("condition: %s needs a comparison (gt, gte, lt, lte, eq or neq)", s.Type)
	}
	criteria := c.criteria()
	seen := map[Op]bool{}
	for _, cr := range criteria {
		switch cr.Op {
		case OpGT, OpGTE, OpLT, OpLTE, OpEQ, OpNEQ:
		default:
			add("condition: %q is not one of gt, gte, lt, lte, eq, neq", cr.Op)
			continue
		}
		if seen[cr.Op] {
			add("condition: %s is given twice", cr.Op)
		}
		seen[cr.Op] = true
		if cr.Value < 0 {
			add("condition: %s is negative", cr)
		}
	}
	if len(problems) == 0 && len(criteria) > 0 {
		// The smallest count of a group is one event (one rule); temporal
		// counts end at the number of rules.
		upper := int64(-1)
		if temporal {
			upper = int64(len(s.Rules))
		}
		if !satisfiable(criteria, 1, upper) {
			names := make([]string, len(criteria))
			for i, cr := range criteria {
				names[i] = cr.String()
			}
			if temporal {
				add("condition: %s can never hold for a count of 1 to %d rules", strings.Join(names, " and "), upper)
			} else {
				add("condition: %s can never hold for a count of 1 or more", strings.Join(names, " and "))
			}
		}
	}

	switch {
	case s.Type == ValueCount && strings.TrimSpace(c.Field) == "":
		add("condition: value_count needs a field whose distinct values it counts")
	case s.Type != ValueCount && c.Field != "" && s.Type != "":
		add("condition: field %q is only for value_count, not %s", c.Field, s.Type)
	}
	return problems
}

// satisfiable reports whether some count in [lower, upper] (upper < 0:
// unbounded) satisfies every criterion. The criteria change their result
// only next to their values, so those points and the ends suffice.
func satisfiable(criteria []Criterion, lower, upper int64) bool {
	candidates := []int64{lower}
	top := lower
	for _, c := range criteria {
		candidates = append(candidates, c.Value-1, c.Value, c.Value+1)
		top = max(top, c.Value+1)
	}
	if upper >= 0 {
		candidates = append(candidates, upper)
	} else {
		candidates = append(candidates, top)
	}
	for _, n := range candidates {
		if n < lower || (upper >= 0 && n > upper) {
			continue
		}
		if allHold(criteria, n) {
			return true
		}
	}
	return false
}

// allHold reports whether count satisfies every criterion.
func allHold(criteria []Criterion, count int64) bool {
	for _, c := range criteria {
		if !c.holds(count) {
			return false
		}
	}
	return true
}

// aliasProblems checks that every alias is used and names known rules.
func (s *Spec) aliasProblems() []string {
	var problems []string
	for _, alias := range slices.Sorted(maps.Keys(s.Aliases)) {
		fields := s.Aliases[alias]
		if strings.TrimSpace(alias) == "" {
			problems = append(problems, "aliases: an alias name is empty")
			continue
		}
		if !slices.Contains(s.GroupBy, alias) && s.Condition.Field != alias {
			problems = append(problems, fmt.Sprintf("aliases: %q is used neither in group-by nor as the condition field", alias))
		}
		if len(fields) == 0 {
			problems = append(problems, fmt.Sprintf("aliases: %q maps no rule", alias))
		}
		for _, rule := range slices.Sorted(maps.Keys(fields)) {
			if !slices.Contains(s.Rules, rule) {
				problems = append(problems, fmt.Sprintf("aliases: %q maps rule %q, which the correlation does not reference", alias, rule))
			}
			if strings.TrimSpace(fields[rule]) == "" {
				problems = append(problems, fmt.Sprintf("aliases: %q maps rule %q to an empty field", alias, rule))
			}
		}
	}
	return problems
}

// field returns the event field that name (a group-by entry or the value
// field) stands for in the events of rule.
func (s *Spec) field(name, rule string) string {
	if f, ok := s.Aliases[name][rule]; ok {
		return f
	}
	return name
}

// clone returns a deep copy, so that the engine's copy does not change
// with the caller's.
func (s *Spec) clone() Spec {
	c := *s
	c.Rules = slices.Clone(s.Rules)
	c.GroupBy = slices.Clone(s.GroupBy)
	c.Condition.And = slices.Clone(s.Condition.And)
	if s.Aliases != nil {
		c.Aliases = make(map[string]map[string]string, len(s.Aliases))
		for k, v := range s.Aliases {
			c.Aliases[k] = maps.Clone(v)
		}
	}
	return c
}

// definitionHash digests what the correlation's state depends on: type,
// rules, group-by, timespan, condition and aliases; not its title, level
// or Generate, which change what a hit says but not what it counts. The
// comparisons and aliases are sorted so that the order a parser lists
// them in does not matter. Every string is written with its length, so
// that no two definitions share an encoding.
func (s *Spec) definitionHash() string {
	h := sha256.New()
	put := func(v string) { fmt.Fprintf(h, "%d:%s,", len(v), v) }
	putList := func(vs []string) {
		fmt.Fprintf(h, "[%d]", len(vs))
		for _, v := range vs {
			put(v)
		}
	}
	put(fmt.Sprintf("correlation/%d", snapshotVersion))
	put(string(s.Type))
	putList(s.Rules)
	putList(s.GroupBy)
	put(s.Timespan.String())
	criteria := s.criteria()
	slices.SortFunc(criteria, func(a, b Criterion) int { return strings.Compare(string(a.Op), string(b.Op)) })
	fmt.Fprintf(h, "[%d]", len(criteria))
	for _, c := range criteria {
		put(c.String())
	}
	put(s.Condition.Field)
	aliases := slices.Sorted(maps.Keys(s.Aliases))
	fmt.Fprintf(h, "[%d]", len(aliases))
	for _, alias := range aliases {
		put(alias)
		rules := slices.Sorted(maps.Keys(s.Aliases[alias]))
		fmt.Fprintf(h, "[%d]", len(rules))
		for _, rule := range rules {
			put(rule)
			put(s.Aliases[alias][rule])
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
