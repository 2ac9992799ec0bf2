package correlate

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// Defaults of Options.
const (
	DefaultMaxGroups       = 10000
	DefaultMaxEntries      = 256
	DefaultAllowedLateness = time.Minute
	DefaultFutureTolerance = 10 * time.Minute
	DefaultMaxHitEventIDs  = 50
	DefaultMaxHitValues    = 50
)

// MaxAllowedLateness is the largest Options.AllowedLateness.
const MaxAllowedLateness = 7 * 24 * time.Hour

// Event times the engine accepts: from 1970 to 2200 (excluded). Outside
// them a time does not fit the engine's nanosecond arithmetic.
var (
	minEventTime = time.Unix(0, 0).UTC()
	maxEventTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// usableTime reports whether t (Unix nanoseconds) is an accepted event time.
func usableTime(t int64) bool {
	return t >= minEventTime.UnixNano() && t < maxEventTime.UnixNano()
}

// Options bound the engine's memory and set its tolerance of late events.
// Zero values take the defaults.
type Options struct {
	// MaxGroups is the number of groups one correlation keeps; when a new
	// group would exceed it, the least recently matched group is evicted.
	MaxGroups int
	// MaxEntries is the number of matches one group keeps; when exceeded,
	// the oldest is evicted (for the temporal types the oldest of the rule
	// with the most matches). A correlation whose condition needs more
	// matches than this is refused by New.
	MaxEntries int
	// AllowedLateness is how much older than the newest match of its
	// group a match may be and still count; older matches are counted as
	// late and ignored. Windows checked at close stay open this long after
	// their end.
	AllowedLateness time.Duration
	// FutureTolerance is how far ahead of the engine's clock an event may
	// be dated; later events are refused, so that one host with a wrong
	// clock cannot hold a group. Negative turns the check off.
	FutureTolerance time.Duration
	// MaxHitEventIDs and MaxHitValues bound the event ids (the newest) and
	// distinct values a hit carries.
	MaxHitEventIDs int
	MaxHitValues   int
	// Now is the engine's clock, used only for FutureTolerance (default
	// time.Now).
	Now func() time.Time
	// Logger receives what Restore drops (default slog.Default()).
	Logger *slog.Logger
}

// withDefaults fills in the defaults and checks the values.
func (o Options) withDefaults() (Options, error) {
	setInt := func(v *int, def int, name string) error {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			return fmt.Errorf("correlation options: %s is negative (%d)", name, *v)
		}
		return nil
	}
	if err := errors.Join(
		setInt(&o.MaxGroups, DefaultMaxGroups, "MaxGroups"),
		setInt(&o.MaxEntries, DefaultMaxEntries, "MaxEntries"),
		setInt(&o.MaxHitEventIDs, DefaultMaxHitEventIDs, "MaxHitEventIDs"),
		setInt(&o.MaxHitValues, DefaultMaxHitValues, "MaxHitValues"),
	); err != nil {
		return o, err
	}
	switch {
	case o.AllowedLateness == 0:
		o.AllowedLateness = DefaultAllowedLateness
	case o.AllowedLateness < 0 || o.AllowedLateness > MaxAllowedLateness:
		return o, fmt.Errorf("correlation options: AllowedLateness %s is not between 0 and %s", o.AllowedLateness, MaxAllowedLateness)
	}
	if o.FutureTolerance == 0 {
		o.FutureTolerance = DefaultFutureTolerance
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// Hit is a correlation that matched: the events of one group within one
// timespan whose count satisfied the condition.
type Hit struct {
	// Spec is the correlation (shared with the engine: do not change it).
	Spec Spec
	// Group holds the group-by values by the names in Spec.GroupBy.
	Group map[string]string
	// Count is what the condition was checked on: events (event_count),
	// distinct values (value_count), distinct rules (temporal) or rules
	// matched in order (temporal_ordered).
	Count int64
	// Values are the distinct values counted (value_count, in order of
	// first appearance) or the rules matched (temporal types), at most
	// Options.MaxHitValues.
	Values []string
	// First and Last are the times of the first and last event of the
	// hit. For a window checked at close, First is the window's start.
	First, Last time.Time
	// EventIDs are the event.id values of the newest events of the hit
	// (at most Options.MaxHitEventIDs), in time order; a correlation that
	// references another lists the events of the other's hits.
	EventIDs []string
	// Intermediate is set when another correlation consumes this one's
	// hits and none of those sets Generate: the hit feeds them and is not
	// an alert by itself.
	Intermediate bool
}

// target is one rule of one correlation that a rule ref feeds.
type target struct {
	spec *specState
	rule int
}

// Engine runs correlations over the matches of base rules. Observe and
// Flush may be called from several goroutines; each correlation has its
// own lock.
type Engine struct {
	opts  Options
	specs []*specState
	byKey map[string]*specState
	// byRef routes a rule ref (base rule, or a correlation's ID or Name)
	// to the correlations that reference it.
	byRef map[string][]target

	undated, future atomic.Uint64
}

// New validates the correlations and builds an engine for them. Keys
// (Spec.Key) must be unique, references between correlations must not
// form a cycle, and a condition must be reachable within
// Options.MaxEntries.
func New(specs []Spec, opts Options) (*Engine, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, byKey: map[string]*specState{}, byRef: map[string][]target{}}
	var problems []error
	refOwner := map[string]string{}
	for i := range specs {
		sp := specs[i].clone()
		if err := sp.Validate(); err != nil {
			problems = append(problems, err)
			continue
		}
		s := newSpecState(sp, len(e.specs), &opts)
		if _, dup := e.byKey[s.key]; dup {
			problems = append(problems, fmt.Errorf("%w %s: key %q is used by another correlation", ErrInvalidSpec, sp.describe(), s.key))
			continue
		}
		for _, ref := range s.refs {
			if other, dup := refOwner[ref]; dup {
				problems = append(problems, fmt.Errorf("%w %s: id or name %q is also that of correlation %q", ErrInvalidSpec, sp.describe(), ref, other))
			}
			refOwner[ref] = s.key
		}
		if need := minCountToFire(s.criteria); !s.atClose && (sp.Type == EventCount || sp.Type == ValueCount) && need > int64(opts.MaxEntries) {
			problems = append(problems, fmt.Errorf("%w %s: the condition needs %d matches in a group, more than the %d a group keeps (Options.MaxEntries)",
				ErrInvalidSpec, sp.describe(), need, opts.MaxEntries))
		}
		e.specs = append(e.specs, s)
		e.byKey[s.key] = s
		for r, ref := range sp.Rules {
			e.byRef[ref] = append(e.byRef[ref], target{spec: s, rule: r})
		}
	}
	if len(problems) == 0 {
		problems = append(problems, e.checkCycles()...)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	for _, s := range e.specs {
		consumed, generated := false, false
		for _, ref := range s.refs {
			for _, t := range e.byRef[ref] {
				consumed = true
				generated = generated || t.spec.spec.Generate
			}
		}
		s.intermediate = consumed && !generated
	}
	return e, nil
}

// minCountToFire returns the smallest count that satisfies lower-bound
// criteria.
func minCountToFire(criteria []Criterion) int64 {
	var need int64
	for _, c := range criteria {
		switch c.Op {
		case OpGT:
			need = max(need, c.Value+1)
		case OpGTE:
			need = max(need, c.Value)
		}
	}
	return need
}

// checkCycles refuses correlations that reference themselves through
// others.
func (e *Engine) checkCycles() []error {
	const (
		unvisited = iota
		active
		done
	)
	state := make([]int, len(e.specs))
	var problems []error
	var visit func(s *specState, path []string)
	visit = func(s *specState, path []string) {
		state[s.index] = active
		path = append(path, s.key)
		for _, ref := range s.spec.Rules {
			for _, inner := range e.specsByRef(ref) {
				switch state[inner.index] {
				case active:
					problems = append(problems, fmt.Errorf("%w %s: references form a cycle: %v", ErrInvalidSpec, s.spec.describe(), append(path, inner.key)))
				case unvisited:
					visit(inner, path)
				}
			}
		}
		state[s.index] = done
	}
	for _, s := range e.specs {
		if state[s.index] == unvisited {
			visit(s, nil)
		}
	}
	return problems
}

// specsByRef returns the correlation whose ID or Name is ref, if any.
func (e *Engine) specsByRef(ref string) []*specState {
	var out []*specState
	for _, s := range e.specs {
		if slices.Contains(s.refs, ref) {
			out = append(out, s)
		}
	}
	return out
}

// Observe feeds one match of a base rule, known by ruleRefs (its id and
// its name), for event ev dated at (ev's @timestamp when at is zero). It
// returns the hits the match completes, including those of correlations
// that reference the correlations that matched. Correlations checked at
// close never hit here; see Flush.
func (e *Engine) Observe(ruleRefs []string, ev event.Event, at time.Time) []Hit {
	if !e.Wants(ruleRefs) {
		return nil
	}
	if at.IsZero() {
		at = ev.Timestamp()
	}
	if at.Before(minEventTime) || !at.Before(maxEventTime) {
		e.undated.Add(1)
		return nil
	}
	if tol := e.opts.FutureTolerance; tol >= 0 && at.After(e.opts.Now().Add(tol)) {
		e.future.Add(1)
		return nil
	}
	hits := e.feed(nil, ruleRefs, ev, at.UnixNano(), nil)
	return e.chain(hits, 0)
}

// Wants reports whether some correlation references one of refs (a
// rule's id and name): whether its matches need to be observed.
func (e *Engine) Wants(refs []string) bool {
	for _, ref := range refs {
		if len(e.byRef[ref]) > 0 {
			return true
		}
	}
	return false
}

// feed records the match in every correlation that references one of
// refs, once per correlation and rule, and appends the hits to hits.
func (e *Engine) feed(hits []Hit, refs []string, ev event.Event, at int64, inner []string) []Hit {
	var seenBuf [8]target
	seen := seenBuf[:0]
	for _, ref := range refs {
		for _, t := range e.byRef[ref] {
			if slices.Contains(seen, t) {
				continue
			}
			seen = append(seen, t)
			if h, ok := t.spec.observe(t.rule, ev, at, inner); ok {
				hits = append(hits, h)
			}
		}
	}
	return hits
}

// chain feeds the hits from index start on to the correlations that
// reference their correlation, and appends what those complete. A hit is
// seen by the others as an event dated at its last event and carrying its
// group-by values under the group-by names.
func (e *Engine) chain(hits []Hit, start int) []Hit {
	for i := start; i < len(hits); i++ {
		s := e.byKey[hits[i].Spec.Key()]
		if s == nil || !e.Wants(s.refs) {
			continue
		}
		ev := event.Event{}
		for name, v := range hits[i].Group {
			ev[name] = v
		}
		ids := hits[i].EventIDs
		if ids == nil {
			ids = []string{}
		}
		hits = e.feed(hits, s.refs, ev, hits[i].Last.UnixNano(), ids)
	}
	return hits
}

// Flush closes, as of now, the windows of the correlations checked at
// close (conditions lt, lte, eq and neq) that ended more than
// AllowedLateness before now, and returns their hits and what those
// complete in correlations referencing them, ordered by time. It also
// forgets groups of the other correlations whose newest match is older
// than now less timespan and lateness. Call it periodically (every few
// seconds) with the current time; it visits every group.
func (e *Engine) Flush(now time.Time) []Hit {
	t := now.UnixNano()
	var hits []Hit
	for _, s := range e.specs {
		hits = append(hits, s.flush(t)...)
	}
	slices.SortStableFunc(hits, func(a, b Hit) int {
		return cmp.Or(a.First.Compare(b.First), a.Last.Compare(b.Last),
			cmp.Compare(e.byKey[a.Spec.Key()].index, e.byKey[b.Spec.Key()].index),
			cmp.Compare(groupLabel(&a), groupLabel(&b)))
	})
	return e.chain(hits, 0)
}

// Reset forgets the state of every correlation: all groups and windows.
// The statistics' counters go on.
func (e *Engine) Reset() {
	for _, s := range e.specs {
		s.mu.Lock()
		s.reset()
		s.mu.Unlock()
	}
}

// Standalone reports whether the matches of a rule, known by refs (its id
// and name), are alerts by themselves: true unless correlations reference
// the rule and none of them sets Generate.
func (e *Engine) Standalone(refs []string) bool {
	referenced := false
	for _, ref := range refs {
		for _, t := range e.byRef[ref] {
			if t.spec.spec.Generate {
				return true
			}
			referenced = true
		}
	}
	return !referenced
}

// Counts are the statistics of one correlation, or their sums.
type Counts struct {
	// Groups and Entries are held now.
	Groups, Entries int
	// Observed matches were recorded in a group.
	Observed uint64
	// Hits were produced.
	Hits uint64
	// Late matches were ignored: older than their group's newest match by
	// more than AllowedLateness, or before the last hit of their group.
	Late uint64
	// Missing matches were ignored for lack of a group-by or value field.
	Missing uint64
	// GroupsEvicted and EntriesEvicted were removed by the limits.
	GroupsEvicted, EntriesEvicted uint64
	// Expired groups were forgotten by Flush after their last window.
	Expired uint64
	// Inexact windows were checked at close on a count known only as a
	// lower bound, because matches had been evicted.
	Inexact uint64
}

// add sums c into t.
func (t *Counts) add(c Counts) {
	t.Groups += c.Groups
	t.Entries += c.Entries
	t.Observed += c.Observed
	t.Hits += c.Hits
	t.Late += c.Late
	t.Missing += c.Missing
	t.GroupsEvicted += c.GroupsEvicted
	t.EntriesEvicted += c.EntriesEvicted
	t.Expired += c.Expired
	t.Inexact += c.Inexact
}

// SpecStats are the statistics of one correlation.
type SpecStats struct {
	Key string
	Counts
}

// Stats are the engine's statistics: the sums over the correlations, the
// matches refused before reaching one, and each correlation's own.
type Stats struct {
	Counts
	// Undated matches had no usable time (zero, or outside 1970-2199).
	Undated uint64
	// Future matches were dated beyond FutureTolerance.
	Future uint64
	Specs  []SpecStats
}

// Stats returns the statistics. It visits every group.
func (e *Engine) Stats() Stats {
	st := Stats{Undated: e.undated.Load(), Future: e.future.Load()}
	for _, s := range e.specs {
		s.mu.Lock()
		c := Counts{
			Groups:         len(s.groups),
			Observed:       s.stats.observed,
			Hits:           s.stats.hits,
			Late:           s.stats.late,
			Missing:        s.stats.missing,
			GroupsEvicted:  s.stats.groupsEvicted,
			EntriesEvicted: s.stats.entriesEvicted,
			Expired:        s.stats.expired,
			Inexact:        s.stats.inexact,
		}
		for _, g := range s.groups {
			c.Entries += g.q.len()
		}
		s.mu.Unlock()
		st.Specs = append(st.Specs, SpecStats{Key: s.key, Counts: c})
		st.Counts.add(c)
	}
	return st
}
