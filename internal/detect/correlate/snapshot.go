package correlate

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Snapshot format: JSON lines.
//
//	{"format":"vigil-correlation-state","version":1,"specs":[{"key":K,"hash":H},...]}
//	{"spec":I,"group":[V,...],"newest":T,"min":T,"open":B,"start":T,"evicted":N,"entries":[{"t":T,"r":R,"v":V,"id":ID,"inner":[ID,...]},...]}
//	...
//	{"end":G}
//
// The header lists the correlations by key and definition hash; each
// group line refers to one of them by its index in that list ("spec"),
// holds its group-by values in the order of its GroupBy and its matches
// in time order ("t" Unix nanoseconds, "r" the index of the rule in
// Rules, "v" the value_count value, "id" the event id, "inner" the event
// ids of a referenced correlation's hit). "min" is the earliest time a new
// match may have (0: any), "newest" the latest time seen; "open", "start"
// and "evicted" describe the open window of a correlation checked at
// close. Groups are written from the least to the most recently matched.
// The last line gives the number of group lines, so that a cut file is
// recognized. A string that is not valid UTF-8 is written as
// {"base64":"..."}.

const (
	snapshotFormat  = "vigil-correlation-state"
	snapshotVersion = 1
	// maxSnapshotLine bounds one line of a snapshot.
	maxSnapshotLine = 16 << 20
)

// ErrCorruptSnapshot is wrapped by Restore's errors about the snapshot's
// content.
var ErrCorruptSnapshot = errors.New("corrupt correlation snapshot")

type snapHeader struct {
	Format  string     `json:"format"`
	Version int        `json:"version"`
	Specs   []snapSpec `json:"specs"`
}

type snapSpec struct {
	Key  text   `json:"key"`
	Hash string `json:"hash"`
}

// snapEnd is the end line.
type snapEnd struct {
	End int `json:"end"`
}

// snapLine is a group line or, when End is set, the end line.
type snapLine struct {
	End     *int        `json:"end,omitempty"`
	Spec    int         `json:"spec"`
	Group   []text      `json:"group"`
	Newest  int64       `json:"newest"`
	Min     int64       `json:"min,omitempty"`
	Open    bool        `json:"open,omitempty"`
	Start   int64       `json:"start,omitempty"`
	Evicted int64       `json:"evicted,omitempty"`
	Entries []snapEntry `json:"entries"`
}

type snapEntry struct {
	At    int64  `json:"t"`
	Rule  int32  `json:"r"`
	Value text   `json:"v,omitempty"`
	ID    text   `json:"id,omitempty"`
	Inner []text `json:"inner,omitempty"`
}

// text is a string that survives JSON unchanged even when it is not
// valid UTF-8.
type text string

// MarshalJSON writes valid UTF-8 as a JSON string, anything else as
// {"base64":"..."}.
func (t text) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(t)) {
		return json.Marshal(string(t))
	}
	return json.Marshal(map[string]string{"base64": base64.StdEncoding.EncodeToString([]byte(t))})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *text) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var o struct {
			Base64 string `json:"base64"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			return fmt.Errorf("string as object: %w", err)
		}
		raw, err := base64.StdEncoding.DecodeString(o.Base64)
		if err != nil {
			return fmt.Errorf("string as base64: %w", err)
		}
		*t = text(raw)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*t = text(s)
	return nil
}

// Snapshot writes the state of every correlation to w. Each correlation
// is written under its own lock, so Observe and Flush may go on meanwhile
// (a match may reach one correlation before it is written and another
// after).
func (e *Engine) Snapshot(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	h := snapHeader{Format: snapshotFormat, Version: snapshotVersion}
	for _, s := range e.specs {
		h.Specs = append(h.Specs, snapSpec{Key: text(s.key), Hash: s.hash})
	}
	if err := enc.Encode(h); err != nil {
		return fmt.Errorf("snapshot correlation state: %w", err)
	}
	groups := 0
	for _, s := range e.specs {
		n, err := s.snapshot(enc)
		groups += n
		if err != nil {
			return fmt.Errorf("snapshot correlation state of %q: %w", s.key, err)
		}
	}
	if err := enc.Encode(snapEnd{End: groups}); err != nil {
		return fmt.Errorf("snapshot correlation state: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("snapshot correlation state: %w", err)
	}
	return nil
}

// snapshot writes the groups of s and returns how many.
func (s *specState) snapshot(enc *json.Encoder) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for g := s.recent.prev; g != &s.recent; g = g.prev {
		l := snapLine{Spec: s.index, Newest: g.newest, Open: g.open, Start: g.start, Evicted: g.evicted}
		if g.minAt != noTime {
			l.Min = g.minAt
		}
		for _, v := range g.values {
			l.Group = append(l.Group, text(v))
		}
		es := g.q.live()
		l.Entries = make([]snapEntry, len(es))
		for i := range es {
			l.Entries[i] = snapEntry{At: es[i].at, Rule: es[i].rule, Value: text(es[i].value), ID: text(es[i].id)}
			if es[i].inner != nil {
				l.Entries[i].Inner = make([]text, len(es[i].inner))
				for j, id := range es[i].inner {
					l.Entries[i].Inner[j] = text(id)
				}
			}
		}
		if err := enc.Encode(l); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Restore replaces the engine's state with a snapshot. The state of a
// correlation whose key and definition hash are the same as when the
// snapshot was written is kept; the state of one that changed or is gone
// is dropped (and logged). The limits of Options apply to what is read.
// When the snapshot is corrupt or cut short, Restore returns an error
// wrapping ErrCorruptSnapshot and leaves the engine with no state.
func (e *Engine) Restore(r io.Reader) error {
	staged, err := e.readSnapshot(r)
	if err != nil {
		e.Reset()
		return fmt.Errorf("restore correlation state: %w", err)
	}
	for _, s := range e.specs {
		s.mu.Lock()
		s.reset()
		for _, g := range staged[s] {
			s.install(g)
		}
		s.mu.Unlock()
	}
	return nil
}

// install adds a restored group as the most recent, applying the limits.
func (s *specState) install(g *group) {
	if len(s.groups) >= s.limits.groups {
		if oldest := s.recent.prev; oldest != &s.recent {
			s.removeGroup(oldest)
			s.stats.groupsEvicted++
		}
	}
	if over := g.q.len() - s.limits.entries; over > 0 {
		g.q.drop(over)
		s.stats.entriesEvicted += uint64(over)
		if g.open {
			g.evicted += int64(over)
		}
	}
	s.groups[g.key] = g
	s.touch(g)
}

// lineReader reads lines of at most maxSnapshotLine bytes.
type lineReader struct {
	r    *bufio.Reader
	line int
	buf  []byte
}

// next returns the next line without its newline, or io.EOF.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.r.ReadSlice('\n')
		lr.buf = append(lr.buf, chunk...)
		if len(lr.buf) > maxSnapshotLine {
			return nil, fmt.Errorf("%w: line %d is longer than %d bytes", ErrCorruptSnapshot, lr.line+1, maxSnapshotLine)
		}
		switch {
		case err == nil:
			lr.line++
			return lr.buf[:len(lr.buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(lr.buf) > 0:
			lr.line++
			return lr.buf, nil
		default:
			return nil, err
		}
	}
}

// decodeStrict decodes one JSON value from b, refusing unknown fields and
// trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// readSnapshot reads and checks a whole snapshot, and returns the groups
// of the correlations whose state is kept, in file order.
func (e *Engine) readSnapshot(r io.Reader) (map[*specState][]*group, error) {
	lr := &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: line %d: %s", ErrCorruptSnapshot, lr.line, fmt.Sprintf(format, args...))
	}
	line, err := lr.next()
	switch {
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: empty", ErrCorruptSnapshot)
	case err != nil:
		return nil, fmt.Errorf("read: %w", err)
	}
	var h snapHeader
	if err := decodeStrict(line, &h); err != nil {
		return nil, corrupt("header: %v", err)
	}
	if h.Format != snapshotFormat {
		return nil, corrupt("format %q, want %q", h.Format, snapshotFormat)
	}
	if h.Version != snapshotVersion {
		return nil, corrupt("version %d, this program reads version %d", h.Version, snapshotVersion)
	}

	// kept[i] is the correlation whose state the header's i-th entry is,
	// or nil when it is dropped.
	kept := make([]*specState, len(h.Specs))
	seenKeys := map[text]bool{}
	for i, sp := range h.Specs {
		if seenKeys[sp.Key] {
			return nil, corrupt("correlation %q is listed twice", sp.Key)
		}
		seenKeys[sp.Key] = true
		s := e.byKey[string(sp.Key)]
		switch {
		case s == nil:
			e.opts.Logger.Info("correlation state dropped: correlation no longer loaded", "correlation", string(sp.Key))
		case s.hash != sp.Hash:
			e.opts.Logger.Info("correlation state dropped: definition changed", "correlation", s.key)
		default:
			kept[i] = s
		}
	}

	staged := map[*specState][]*group{}
	seenGroups := map[*specState]map[string]bool{}
	groups := 0
	for {
		line, err := lr.next()
		switch {
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%w: ends after line %d without its end line (cut short?)", ErrCorruptSnapshot, lr.line)
		case err != nil:
			return nil, fmt.Errorf("read: %w", err)
		}
		var l snapLine
		if err := decodeStrict(line, &l); err != nil {
			return nil, corrupt("%v", err)
		}
		if l.End != nil {
			if *l.End != groups {
				return nil, corrupt("end line counts %d groups, the snapshot has %d", *l.End, groups)
			}
			if _, err := lr.next(); !errors.Is(err, io.EOF) {
				return nil, corrupt("data after the end line")
			}
			return staged, nil
		}
		groups++
		if l.Spec < 0 || l.Spec >= len(kept) {
			return nil, corrupt("group of correlation %d, the header lists %d", l.Spec, len(kept))
		}
		s := kept[l.Spec]
		if s == nil {
			continue
		}
		g, err := s.restoredGroup(&l)
		if err != nil {
			return nil, corrupt("group of correlation %q: %v", s.key, err)
		}
		if seenGroups[s] == nil {
			seenGroups[s] = map[string]bool{}
		}
		if seenGroups[s][g.key] {
			return nil, corrupt("group of correlation %q: %q is listed twice", s.key, g.values)
		}
		seenGroups[s][g.key] = true
		staged[s] = append(staged[s], g)
	}
}

// restoredGroup checks a group line against the correlation and builds
// the group.
func (s *specState) restoredGroup(l *snapLine) (*group, error) {
	if len(l.Group) != len(s.spec.GroupBy) {
		return nil, fmt.Errorf("%d group-by values, the correlation groups by %d fields", len(l.Group), len(s.spec.GroupBy))
	}
	g := &group{newest: l.Newest, minAt: noTime, open: l.Open, start: l.Start, evicted: l.Evicted}
	for _, v := range l.Group {
		if v == "" {
			return nil, errors.New("empty group-by value")
		}
		g.values = append(g.values, string(v))
	}
	if len(g.values) == 1 {
		g.key = g.values[0]
	} else {
		g.key = string(appendKey(nil, g.values))
	}
	if !usableTime(l.Newest) {
		return nil, fmt.Errorf("newest time %d out of range", l.Newest)
	}
	if l.Min != 0 {
		if l.Min < 0 || l.Min > l.Newest+s.span+1 {
			return nil, fmt.Errorf("min time %d out of range", l.Min)
		}
		g.minAt = l.Min
	}
	if s.atClose {
		if l.Open != (len(l.Entries) > 0) {
			return nil, fmt.Errorf("window open is %t with %d entries", l.Open, len(l.Entries))
		}
		if l.Evicted < 0 || (!l.Open && l.Evicted != 0) {
			return nil, fmt.Errorf("evicted count %d", l.Evicted)
		}
		if l.Open && (!usableTime(l.Start) || l.Start > l.Entries[0].At || l.Start < g.minAt) {
			return nil, fmt.Errorf("window start %d does not fit its entries", l.Start)
		}
		if !l.Open && l.Start != 0 {
			return nil, fmt.Errorf("closed window with start %d", l.Start)
		}
	} else if l.Open || l.Start != 0 || l.Evicted != 0 {
		return nil, errors.New("window fields on a correlation checked on every match")
	}
	g.q.buf = make([]entry, 0, len(l.Entries))
	for i, se := range l.Entries {
		e := entry{at: se.At, rule: se.Rule, value: string(se.Value), id: string(se.ID)}
		if se.Inner != nil {
			e.inner = make([]string, len(se.Inner))
			for j, id := range se.Inner {
				e.inner[j] = string(id)
			}
		}
		switch {
		case !usableTime(e.at) || e.at > l.Newest || e.at < g.minAt:
			return nil, fmt.Errorf("entry %d: time %d out of range", i, e.at)
		case e.rule < 0 || int(e.rule) >= len(s.spec.Rules):
			return nil, fmt.Errorf("entry %d: rule %d, the correlation has %d", i, e.rule, len(s.spec.Rules))
		case (s.spec.Type == ValueCount) != (e.value != ""):
			return nil, fmt.Errorf("entry %d: value %q does not fit a %s correlation", i, e.value, s.spec.Type)
		case i > 0 && e.before(&g.q.buf[i-1]):
			return nil, fmt.Errorf("entry %d: out of order", i)
		}
		g.q.buf = append(g.q.buf, e)
	}
	return g, nil
}
