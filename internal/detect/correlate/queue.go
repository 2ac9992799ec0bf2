package correlate

// entry is one match of a referenced rule within a group.
type entry struct {
	at    int64  // event time, Unix nanoseconds
	rule  int32  // index into Spec.Rules
	value string // value_count: the counted field's value
	id    string // event.id of the event
	// inner holds the event ids of a correlation hit that another
	// correlation took as its match (nil for a base rule's event).
	inner []string
}

// before orders entries by time, then by rule: events with equal
// timestamps count as being in the order of the rules.
func (e *entry) before(o *entry) bool {
	return e.at < o.at || (e.at == o.at && e.rule < o.rule)
}

// entries is a group's matches sorted by time. Matches mostly arrive in
// time order and leave from the front, so it keeps an offset into its
// buffer and moves the live part down only once the dead front is as long
// as the live part: amortized constant work and no allocation once the
// buffer has grown to the group's working size.
type entries struct {
	buf []entry
	off int
}

// live returns the entries in time order. The slice is valid until the
// next change.
func (q *entries) live() []entry { return q.buf[q.off:] }

// len returns the number of entries.
func (q *entries) len() int { return len(q.buf) - q.off }

// insert adds e in time order and returns its index in live().
func (q *entries) insert(e entry) int {
	live := q.live()
	// Search from the back: most matches are the newest of their group.
	i := len(live)
	for i > 0 && e.before(&live[i-1]) {
		i--
	}
	if len(q.buf) == cap(q.buf) && q.off > 0 && q.off >= len(live) {
		n := copy(q.buf, live)
		clear(q.buf[n:])
		q.buf = q.buf[:n]
		q.off = 0
		live = q.live()
	}
	q.buf = append(q.buf, entry{})
	live = q.live()
	copy(live[i+1:], live[i:len(live)-1])
	live[i] = e
	return i
}

// drop removes the first n entries.
func (q *entries) drop(n int) {
	if n <= 0 {
		return
	}
	clear(q.buf[q.off : q.off+n])
	q.off += n
	if q.off == len(q.buf) {
		q.buf = q.buf[:0]
		q.off = 0
	}
}

// remove removes the entry at index i of live().
func (q *entries) remove(i int) {
	if i == 0 {
		q.drop(1)
		return
	}
	live := q.live()
	copy(live[i:], live[i+1:])
	live[len(live)-1] = entry{}
	q.buf = q.buf[:len(q.buf)-1]
}

// reset removes every entry and releases the buffer.
func (q *entries) reset() { *q = entries{} }

// firstAtOrAfter returns the index of the first entry at or after t.
func firstAtOrAfter(es []entry, t int64) int {
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].at < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// firstAfter returns the index of the first entry after t.
func firstAfter(es []entry, t int64) int {
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].at <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
