package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

var eventCases = []testCase{
	{"Events/InsertList", testEventInsertList},
	{"Events/InsertIdempotent", testEventInsertIdempotent},
	{"Events/InsertInvalid", testEventInsertInvalid},
	{"Events/InsertNUL", testEventInsertNUL},
	{"Events/Filters", testEventFilters},
	{"Events/Paging", testEventPaging},
	{"Events/Follow", testEventFollow},
	{"Events/Limits", testEventLimits},
	{"Events/DeleteBefore", testEventDeleteBefore},
}

// roundTrip is e as the store gives it back: numbers as json.Number, so
// that integers above 2^53 stay exact.
func roundTrip(t *testing.T, e event.Event) event.Event {
	t.Helper()
	b, err := json.Marshal(e)
	must(t, err)
	out, err := event.Decode(b)
	must(t, err)
	return out
}

// processEvents returns n events of agentID, one second apart from base.
func processEvents(n int, agentID string) []event.Event {
	out := make([]event.Event, n)
	for i := range out {
		out[i] = ProcessEvent(i, agentID, at(time.Duration(i)*time.Second))
	}
	return out
}

func ids(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID()
	}
	return out
}

func reversed[T any](in []T) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[len(in)-1-i] = v
	}
	return out
}

func insert(t *testing.T, s store.Store, evs []event.Event) int {
	t.Helper()
	n, err := s.Events().Insert(ctx(t), evs)
	must(t, err)
	return n
}

func testEventInsertList(t *testing.T, s store.Store) {
	evs := processEvents(5, "agent-1")
	evs[2].Set("labels", map[string]any{"nested": []any{"x", 1.5, true, nil}})
	if n := insert(t, s, evs); n != 5 {
		t.Fatalf("inserted %d, want 5", n)
	}
	got, next, err := s.Events().List(ctx(t), store.EventFilter{})
	must(t, err)
	if next != "" {
		t.Errorf("next cursor on a short listing")
	}
	want := make([]event.Event, len(evs))
	for i, e := range evs {
		want[len(evs)-1-i] = roundTrip(t, e)
	}
	diff(t, "newest first", want, got)
	got, _, err = s.Events().List(ctx(t), store.EventFilter{Ascending: true})
	must(t, err)
	diff(t, "ascending", reversed(want), got)
	n, err := s.Events().Count(ctx(t))
	must(t, err)
	if n != 5 {
		t.Fatalf("Count %d, want 5", n)
	}
	if n := insert(t, s, nil); n != 0 {
		t.Fatalf("empty insert: %d", n)
	}
}

func testEventInsertIdempotent(t *testing.T, s store.Store) {
	evs := processEvents(15, "agent-1")
	if n := insert(t, s, evs[:10]); n != 10 {
		t.Fatalf("first insert %d, want 10", n)
	}
	if n := insert(t, s, evs); n != 5 {
		t.Fatalf("second insert %d, want 5", n)
	}
	dup := []event.Event{ProcessEvent(100, "agent-1", at(0)), ProcessEvent(100, "agent-1", at(0)), evs[0]}
	if n := insert(t, s, dup); n != 1 {
		t.Fatalf("insert with duplicates %d, want 1", n)
	}
	// A batch larger than one statement.
	big := make([]event.Event, 2600)
	for i := range big {
		big[i] = ProcessEvent(1000+i, "agent-2", at(time.Duration(i)*time.Millisecond))
	}
	if n := insert(t, s, append(big, evs...)); n != len(big) {
		t.Fatalf("large insert %d, want %d", n, len(big))
	}
	count, err := s.Events().Count(ctx(t))
	must(t, err)
	if count != int64(16+len(big)) {
		t.Fatalf("Count %d, want %d", count, 16+len(big))
	}
}

func testEventInsertInvalid(t *testing.T, s store.Store) {
	bad := []event.Event{
		{"message": "no fields"},
		event.New("x", at(0), "process", "exec"), // no agent.id
	}
	for i, b := range bad {
		for _, before := range []int{0, 3, 700} { // the last after several statements
			evs := append(processEvents(before, "agent-1"), b)
			if _, err := s.Events().Insert(ctx(t), evs); err == nil {
				t.Fatalf("invalid event %d stored after %d valid ones", i, before)
			}
		}
	}
	if n, err := s.Events().Count(ctx(t)); err != nil || n != 0 {
		t.Fatalf("after failed inserts: count %d, err %v", n, err)
	}
}

func testEventInsertNUL(t *testing.T, s store.Store) {
	e := ProcessEvent(1, "agent-1", at(0))
	e.Set(event.FieldProcessCmd, "sh\x00-c\x00id")
	e.Set(event.FieldMessage, `literal \u0000 text`)
	if n := insert(t, s, []event.Event{e}); n != 1 {
		t.Fatalf("inserted %d", n)
	}
	got, _, err := s.Events().List(ctx(t), store.EventFilter{Q: "-c"})
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("found %d events", len(got))
	}
	if cmd := got[0].String(event.FieldProcessCmd); strings.ContainsRune(cmd, 0) || !strings.Contains(cmd, "-c") {
		t.Errorf("command line %q", cmd)
	}
	if msg := got[0].String(event.FieldMessage); msg != `literal \u0000 text` {
		t.Errorf("message %q changed", msg)
	}
}

func testEventLimits(t *testing.T, s store.Store) {
	insert(t, s, processEvents(store.MaxLimit+5, "agent-1"))
	tests := []struct{ limit, want int }{
		{0, store.DefaultLimit}, {-3, store.DefaultLimit}, {7, 7},
		{store.MaxLimit, store.MaxLimit}, {store.MaxLimit + 1, store.MaxLimit}, {1 << 30, store.MaxLimit},
	}
	for _, tt := range tests {
		got, next, err := s.Events().List(ctx(t), store.EventFilter{Page: store.Page{Limit: tt.limit}})
		must(t, err)
		if len(got) != tt.want || next == "" {
			t.Errorf("limit %d: %d events (cursor %q), want %d and a cursor", tt.limit, len(got), next, tt.want)
		}
	}
}

func testEventDeleteBefore(t *testing.T, s store.Store) {
	evs := processEvents(50, "agent-1") // one second apart
	insert(t, s, evs)
	n, err := s.Events().DeleteBefore(ctx(t), at(20*time.Second))
	must(t, err)
	if n != 20 {
		t.Fatalf("deleted %d, want 20", n)
	}
	got, _, err := s.Events().List(ctx(t), store.EventFilter{Ascending: true})
	must(t, err)
	diff(t, "remaining", ids(evs[20:]), ids(got))
	n, err = s.Events().DeleteBefore(ctx(t), at(0))
	must(t, err)
	if n != 0 {
		t.Fatalf("deleted %d again", n)
	}
	// A deleted id may be stored again.
	if n := insert(t, s, evs[:1]); n != 1 {
		t.Fatalf("re-insert after retention: %d", n)
	}
	wantCount := int64(31)
	if c, err := s.Events().Count(ctx(t)); err != nil || c != wantCount {
		t.Fatalf("Count %d (%v), want %d", c, err, wantCount)
	}
	// More than a store deletes per statement.
	many := make([]event.Event, 5600)
	for i := range many {
		many[i] = ProcessEvent(i, "agent-2", at(-time.Hour+time.Duration(i)*time.Millisecond))
	}
	insert(t, s, many)
	n, err = s.Events().DeleteBefore(ctx(t), at(-time.Minute))
	must(t, err)
	if n != int64(len(many)) {
		t.Fatalf("deleted %d of %d", n, len(many))
	}
}
