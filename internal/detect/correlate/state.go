package correlate

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// noTime marks an unset time (a group that never fired, a rule without a
// chain).
const noTime = math.MinInt64

// group is the state of one correlation for one combination of group-by
// values.
type group struct {
	key    string   // encoded values, the key in specState.groups
	values []string // group-by values, in the order of Spec.GroupBy
	q      entries
	// minAt is the earliest time a new entry may have: a hit consumes the
	// events up to its last one, so events before it are not counted again.
	minAt  int64
	newest int64 // latest event time seen in the group
	// The open window of a correlation whose condition is checked when the
	// window closes: it began at start and ends at start+timespan; evicted
	// counts its entries removed by the entry limit.
	open    bool
	start   int64
	evicted int64

	prev, next *group // recency list, most recent after the sentinel
}

// counters are the statistics of one correlation.
type counters struct {
	observed, hits, late, missing uint64
	groupsEvicted, entriesEvicted uint64
	expired, inexact              uint64
}

// specState is one correlation and its groups. mu guards everything that
// changes; the rest is set by New.
type specState struct {
	spec     Spec
	index    int
	key      string
	hash     string
	refs     []string // ID and Name, the refs other correlations use
	criteria []Criterion
	// atClose: the condition is checked when a group's window closes
	// (Flush), because a count that grows can stop satisfying it (lt,
	// lte, eq, neq). Otherwise it is checked on every match.
	atClose bool
	// intermediate: another correlation consumes the hits and none of
	// those sets Generate.
	intermediate bool
	span         int64 // Timespan in nanoseconds
	lateness     int64
	fields       [][]string // per rule: the event field of each group-by entry
	valueFields  []string   // per rule: the event field value_count counts
	limits       limits

	mu     sync.Mutex
	groups map[string]*group
	recent group // sentinel of the recency list
	stats  counters
	// Scratch space, used under mu.
	keyBuf    []byte
	vals      []string
	distinct  map[string]int32
	ruleCount []int32
	best      []int64
}

// limits are the bounds from Options that a correlation applies.
type limits struct {
	groups, entries, hitIDs, hitValues int
}

func newSpecState(spec Spec, index int, opts *Options) *specState {
	s := &specState{
		spec:      spec,
		index:     index,
		key:       spec.Key(),
		hash:      spec.definitionHash(),
		criteria:  spec.criteria(),
		span:      int64(spec.Timespan),
		lateness:  int64(opts.AllowedLateness),
		limits:    limits{opts.MaxGroups, opts.MaxEntries, opts.MaxHitEventIDs, opts.MaxHitValues},
		groups:    map[string]*group{},
		distinct:  map[string]int32{},
		ruleCount: make([]int32, len(spec.Rules)),
		best:      make([]int64, len(spec.Rules)),
	}
	for _, r := range []string{spec.ID, spec.Name} {
		if r != "" && !slices.Contains(s.refs, r) {
			s.refs = append(s.refs, r)
		}
	}
	for _, c := range s.criteria {
		if !c.lowerBound() {
			s.atClose = true
		}
	}
	s.fields = make([][]string, len(spec.Rules))
	s.valueFields = make([]string, len(spec.Rules))
	for i, rule := range spec.Rules {
		s.fields[i] = make([]string, len(spec.GroupBy))
		for j, name := range spec.GroupBy {
			s.fields[i][j] = spec.field(name, rule)
		}
		if spec.Type == ValueCount {
			s.valueFields[i] = spec.field(spec.Condition.Field, rule)
		}
	}
	s.recent.prev, s.recent.next = &s.recent, &s.recent
	return s
}

// holds reports whether count satisfies the condition.
func (s *specState) holds(count int64) bool { return allHold(s.criteria, count) }

// holdsFromOn reports whether every count from count upwards satisfies
// the condition: what is known when count is only a lower bound.
func (s *specState) holdsFromOn(count int64) bool {
	for _, c := range s.criteria {
		switch c.Op {
		case OpGT, OpGTE:
			if !c.holds(count) {
				return false
			}
		case OpNEQ:
			if count <= c.Value {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// groupKey encodes group-by values as a map key in the scratch buffer.
func (s *specState) groupKey(vals []string) []byte {
	s.keyBuf = appendKey(s.keyBuf[:0], vals)
	return s.keyBuf
}

// appendKey encodes several group-by values as a map key: each preceded
// by its length. (A single value is its own key.)
func appendKey(b []byte, vals []string) []byte {
	for _, v := range vals {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

// lookupGroup returns the group of vals, or nil.
func (s *specState) lookupGroup(vals []string) *group {
	if len(vals) == 1 {
		return s.groups[vals[0]]
	}
	return s.groups[string(s.groupKey(vals))]
}

// addGroup creates the group of vals, evicting the least recently used
// group when the limit is reached.
func (s *specState) addGroup(vals []string) *group {
	if len(s.groups) >= s.limits.groups {
		if oldest := s.recent.prev; oldest != &s.recent {
			s.removeGroup(oldest)
			s.stats.groupsEvicted++
		}
	}
	g := &group{values: slices.Clone(vals), minAt: noTime, newest: noTime}
	if len(vals) == 1 {
		g.key = vals[0]
	} else {
		g.key = string(s.groupKey(vals))
	}
	s.groups[g.key] = g
	s.touch(g)
	return g
}

// touch makes g the most recently used group.
func (s *specState) touch(g *group) {
	if s.recent.next == g {
		return
	}
	if g.prev != nil {
		g.prev.next, g.next.prev = g.next, g.prev
	}
	g.prev, g.next = &s.recent, s.recent.next
	s.recent.next.prev = g
	s.recent.next = g
}

// removeGroup forgets g.
func (s *specState) removeGroup(g *group) {
	if g.prev != nil {
		g.prev.next, g.next.prev = g.next, g.prev
		g.prev, g.next = nil, nil
	}
	delete(s.groups, g.key)
}

// reset forgets every group.
func (s *specState) reset() {
	clear(s.groups)
	s.recent.prev, s.recent.next = &s.recent, &s.recent
}

// observe records one match of rule and returns the hit it completes.
func (s *specState) observe(rule int, ev event.Event, at int64, inner []string) (Hit, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	vals := s.vals[:0]
	for _, f := range s.fields[rule] {
		v := ev.String(f)
		if v == "" {
			s.stats.missing++
			return Hit{}, false
		}
		vals = append(vals, v)
	}
	s.vals = vals
	var value string
	if s.spec.Type == ValueCount {
		if value = ev.String(s.valueFields[rule]); value == "" {
			s.stats.missing++
			return Hit{}, false
		}
	}

	g := s.lookupGroup(vals)
	if g == nil {
		g = s.addGroup(vals)
	} else {
		s.touch(g)
		if at < g.minAt || at < g.newest-s.lateness {
			s.stats.late++
			return Hit{}, false
		}
	}
	s.stats.observed++
	k := g.q.insert(entry{at: at, rule: int32(rule), value: value, id: ev.ID(), inner: inner})
	g.newest = max(g.newest, at)

	if s.atClose {
		if !g.open || at < g.start {
			g.open, g.start = true, at
		}
	} else {
		// Entries older than this can no longer share a window with an
		// accepted match.
		cut := g.newest - s.span - s.lateness
		n := 0
		for es := g.q.live(); n < len(es) && es[n].at < cut; n++ {
		}
		g.q.drop(n)
		k -= n
	}
	if g.q.len() > s.limits.entries {
		i := s.evictIndex(g.q.live())
		g.q.remove(i)
		s.stats.entriesEvicted++
		if s.atClose {
			g.evicted++
		}
		switch {
		case i == k:
			return Hit{}, false
		case i < k:
			k--
		}
	}
	if s.atClose {
		return Hit{}, false
	}
	return s.checkWindow(g, k)
}

// evictIndex chooses the entry to drop when a group is full: the oldest;
// for the temporal types the oldest of the rule with the most entries, so
// that a noisy rule does not push out the only match of another.
func (s *specState) evictIndex(es []entry) int {
	if s.spec.Type != Temporal && s.spec.Type != TemporalOrdered {
		return 0
	}
	counts := s.ruleCount
	clear(counts)
	for i := range es {
		counts[es[i].rule]++
	}
	top := 0
	for r, n := range counts {
		if n > counts[top] {
			top = r
		}
	}
	for i := range es {
		if int(es[i].rule) == top {
			return i
		}
	}
	return 0
}

// checkWindow looks for a window of at most the timespan, containing the
// new entry k, whose count satisfies the condition (a lower bound). On a
// hit the entries up to the hit's last event are consumed: the group
// starts over.
func (s *specState) checkWindow(g *group, k int) (Hit, bool) {
	es := g.q.live()
	x := es[k].at
	lo := firstAtOrAfter(es[:k+1], x-s.span)
	hi := k + 1 + firstAfter(es[k+1:], x+s.span)

	var i, j int
	var count int64
	found := false
	switch s.spec.Type {
	case TemporalOrdered:
		var first, last int64
		count, first, last = s.longestChain(es[lo:hi])
		if found = count > 0 && s.holds(count); found {
			i = firstAtOrAfter(es, first)
			j = firstAfter(es, last)
		}
	case EventCount:
		for i = lo; i <= k; i++ {
			j = i + firstAfter(es[i:hi], es[i].at+s.span)
			count = int64(j - i)
			if found = s.holds(count); found || j == hi {
				break
			}
		}
	default:
		// Slide the window's start over the entries at or before x; the
		// end follows. Once the end reaches hi later windows only shrink.
		s.resetCounts()
		j = lo
		for i = lo; i <= k; i++ {
			if i > lo {
				s.uncount(&es[i-1])
			}
			for ; j < hi && es[j].at-es[i].at <= s.span; j++ {
				s.count(&es[j])
			}
			count = s.distinctCount()
			if found = s.holds(count); found || j == hi {
				break
			}
		}
	}
	if !found {
		return Hit{}, false
	}
	window := es[i:j]
	h := s.makeHit(g, window, count, window[0].at, window[len(window)-1].at)
	g.minAt = window[len(window)-1].at
	g.q.drop(j)
	s.stats.hits++
	return h, true
}

// resetCounts empties the distinct counters.
func (s *specState) resetCounts() {
	clear(s.distinct)
	clear(s.ruleCount)
}

// count adds e to the distinct counters.
func (s *specState) count(e *entry) {
	if s.spec.Type == ValueCount {
		s.distinct[e.value]++
	} else {
		s.ruleCount[e.rule]++
	}
}

// uncount removes e from the distinct counters.
func (s *specState) uncount(e *entry) {
	if s.spec.Type == ValueCount {
		if n := s.distinct[e.value]; n <= 1 {
			delete(s.distinct, e.value)
		} else {
			s.distinct[e.value] = n - 1
		}
	} else {
		s.ruleCount[e.rule]--
	}
}

// distinctCount returns the number of distinct values (value_count) or
// rules (temporal) counted.
func (s *specState) distinctCount() int64 {
	if s.spec.Type == ValueCount {
		return int64(len(s.distinct))
	}
	var n int64
	for _, c := range s.ruleCount {
		if c > 0 {
			n++
		}
	}
	return n
}

// longestChain returns the longest prefix of the rules matched in order
// within one timespan among es, with the times of its first and last
// match (the earliest such chain). best[r] is the latest start of a chain
// of rules 0..r ending at an entry seen so far: the latest start leaves
// the most room for the rules after r.
func (s *specState) longestChain(es []entry) (length int64, first, last int64) {
	best := s.best
	for r := range best {
		best[r] = noTime
	}
	for i := range es {
		e := &es[i]
		start := e.at
		if e.rule > 0 {
			if start = best[e.rule-1]; start == noTime {
				continue
			}
		}
		if e.at-start > s.span {
			continue
		}
		best[e.rule] = max(best[e.rule], start)
		if n := int64(e.rule) + 1; n > length {
			length, first, last = n, start, e.at
		}
	}
	return length, first, last
}

// closeWindows closes every window of g that ended before now less the
// allowed lateness, checks the condition on each and returns the hits.
func (s *specState) closeWindows(g *group, now int64) []Hit {
	var hits []Hit
	for g.open && now >= g.start+s.span+s.lateness {
		end := g.start + s.span
		es := g.q.live()
		j := firstAfter(es, end)
		window := es[:j]
		var count int64
		exact := g.evicted == 0
		switch s.spec.Type {
		case EventCount:
			count, exact = int64(j)+g.evicted, true
		case TemporalOrdered:
			count, _, _ = s.longestChain(window)
		default:
			s.resetCounts()
			for i := range window {
				s.count(&window[i])
			}
			count = s.distinctCount()
		}
		fire := s.holds(count)
		if !exact {
			s.stats.inexact++
			fire = s.holdsFromOn(count)
		}
		if fire {
			last := g.start
			if j > 0 {
				last = window[j-1].at
			}
			hits = append(hits, s.makeHit(g, window, count, g.start, last))
			s.stats.hits++
		}
		g.q.drop(j)
		g.minAt, g.evicted = end+1, 0
		if g.q.len() > 0 {
			g.start = g.q.live()[0].at
		} else {
			g.open, g.start = false, 0
		}
	}
	return hits
}

// flush closes the windows that ended before now and forgets groups with
// nothing left to count.
func (s *specState) flush(now int64) []Hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []Hit
	for _, g := range s.groups {
		if s.atClose {
			hits = append(hits, s.closeWindows(g, now)...)
			if !g.open {
				s.removeGroup(g)
				s.stats.expired++
			}
			continue
		}
		if g.newest < now-s.span-s.lateness {
			s.removeGroup(g)
			s.stats.expired++
		}
	}
	return hits
}

// makeHit builds the hit of window, whose events span first to last.
func (s *specState) makeHit(g *group, window []entry, count, first, last int64) Hit {
	h := Hit{
		Spec:         s.spec,
		Group:        make(map[string]string, len(g.values)),
		Count:        count,
		First:        time.Unix(0, first).UTC(),
		Last:         time.Unix(0, last).UTC(),
		EventIDs:     eventIDs(window, s.limits.hitIDs),
		Intermediate: s.intermediate,
	}
	for i, name := range s.spec.GroupBy {
		h.Group[name] = g.values[i]
	}
	switch s.spec.Type {
	case ValueCount:
		seen := make(map[string]bool)
		for i := range window {
			v := window[i].value
			if !seen[v] {
				seen[v] = true
				if len(h.Values) < s.limits.hitValues {
					h.Values = append(h.Values, v)
				}
			}
		}
	case Temporal:
		matched := make([]bool, len(s.spec.Rules))
		for i := range window {
			matched[window[i].rule] = true
		}
		for r, ok := range matched {
			if ok && len(h.Values) < s.limits.hitValues {
				h.Values = append(h.Values, s.spec.Rules[r])
			}
		}
	case TemporalOrdered:
		if n := min(int(count), len(s.spec.Rules), s.limits.hitValues); n > 0 {
			h.Values = slices.Clone(s.spec.Rules[:n])
		}
	}
	return h
}

// eventIDs returns the event ids of the newest max events of window, in
// time order.
func eventIDs(window []entry, limit int) []string {
	var ids []string
	for i := len(window) - 1; i >= 0 && len(ids) < limit; i-- {
		e := &window[i]
		for j := len(e.inner) - 1; j >= 0 && len(ids) < limit; j-- {
			ids = append(ids, e.inner[j])
		}
		if e.inner == nil && e.id != "" {
			ids = append(ids, e.id)
		}
	}
	slices.Reverse(ids)
	return ids
}

// groupLabel orders hits of equal times.
func groupLabel(h *Hit) string {
	var b strings.Builder
	for _, name := range h.Spec.GroupBy {
		b.WriteString(h.Group[name])
		b.WriteByte(0)
	}
	return b.String()
}
