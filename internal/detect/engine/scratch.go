package engine

import (
	"unsafe"

	"github.com/vigilsec/vigil/internal/event"
)

// scratch is the per-call state of Match: the event, a cache of its
// field values, the candidate rules and buffers. It is pooled, so a
// steady stream of events allocates nothing for it. Slices indexed by
// rule, pattern, group or field slot are sized when the scratch is made
// (an Engine never changes).
type scratch struct {
	ev    event.Event
	epoch uint32

	valEpoch []uint32
	vals     []any
	valOK    []bool

	ruleEpoch  []uint32
	patEpoch   []uint32
	groupEpoch []uint32
	cands      []int32

	buf, buf2, buf3 []byte
	pair            fieldPair
	// strs holds the list elements that fields with an index name
	// (by slot); elems the elements of string lists being matched, one
	// per nesting depth.
	strs  []string
	elems [4]string
	depth int
	// projs holds, by slot, the values of fields under a list of
	// objects (process.stdio.transport): boxing a pointer into one
	// allocates nothing.
	projs []projection
}

func newScratch(e *Engine) *scratch {
	return &scratch{
		valEpoch:   make([]uint32, len(e.fields)),
		vals:       make([]any, len(e.fields)),
		valOK:      make([]bool, len(e.fields)),
		strs:       make([]string, len(e.fields)),
		projs:      make([]projection, len(e.fields)),
		ruleEpoch:  make([]uint32, len(e.compiled)),
		patEpoch:   make([]uint32, e.npat),
		groupEpoch: make([]uint32, len(e.groups)),
		buf:        make([]byte, 0, 64),
		buf2:       make([]byte, 0, 64),
		buf3:       make([]byte, 0, 64),
	}
}

// reset starts the scratch on event ev.
func (s *scratch) reset(ev event.Event) {
	s.ev = ev
	s.cands = s.cands[:0]
	s.epoch++
	if s.epoch == 0 {
		// The counter wrapped: old marks could look current.
		clear(s.valEpoch)
		clear(s.ruleEpoch)
		clear(s.patEpoch)
		clear(s.groupEpoch)
		s.epoch = 1
	}
}

// release drops the references to the event, so that the pool does not
// keep it alive.
func (s *scratch) release() {
	s.ev = nil
	clear(s.vals)
	clear(s.strs)
	clear(s.projs)
	s.elems = [4]string{}
	s.pair = fieldPair{}
}

// get returns the value of a field of the event, from the cache after
// the first read.
func (s *scratch) get(f *fieldRef) (any, bool) {
	if s.valEpoch[f.slot] == s.epoch {
		return s.vals[f.slot], s.valOK[f.slot]
	}
	var v any
	var ok bool
	switch {
	case f.index >= 0:
		// An element of the list at path.
		if v, ok = s.get(f.parent); ok {
			v, ok = element(v, f.index, &s.strs[f.slot])
		}
	case f.parent == nil:
		v, ok = s.ev.Get(f.path)
	default:
		// The usual nested shape through the parent object's cached
		// lookup; else every flat dotted form, as event.Get reads them.
		if pv, pok := s.get(f.parent); pok {
			switch m := pv.(type) {
			case map[string]any:
				v, ok = m[f.leaf]
			case event.Event:
				v, ok = m[f.leaf]
			case []any, []map[string]any, []event.Event, *projection:
				// A field of the objects of a list: the list of their
				// values, present when one of them has the field.
				p := &s.projs[f.slot]
				*p = projection{src: pv, leaf: f.leaf}
				if p.each(present) {
					v, ok = p, true
				}
			}
		}
		if !ok {
			v, ok = s.ev.Get(f.path)
		}
	}
	s.valEpoch[f.slot], s.vals[f.slot], s.valOK[f.slot] = s.epoch, v, ok
	return v, ok
}

// present is the visitor that stops at the first value.
func present(any) bool { return true }

// bind makes the list field of n hold the object m alone, for the
// evaluation of n's matches on that element: the cached values of the
// fields under the list are dropped, so that they are read from m.
func (s *scratch) bind(n *bindNode, m map[string]any) {
	slot := n.list.slot
	s.valEpoch[slot], s.vals[slot], s.valOK[slot] = s.epoch, m, true
	for _, f := range n.under {
		s.valEpoch[f.slot] = 0
	}
}

// unbind gives the list field of n, and the fields under it, their
// values in the event again.
func (s *scratch) unbind(n *bindNode) {
	s.valEpoch[n.list.slot] = 0
	for _, f := range n.under {
		s.valEpoch[f.slot] = 0
	}
}

// candidate marks rule r as a candidate.
func (s *scratch) candidate(r int32) {
	if s.ruleEpoch[r] != s.epoch {
		s.ruleEpoch[r] = s.epoch
		s.cands = append(s.cands, r)
	}
}

// unsafeString views b as a string without copying; the string is valid
// until b is written again.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
