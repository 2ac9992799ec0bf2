package correlate

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// BenchmarkObserve measures one Observe call on an engine holding 10,000
// groups: a match of a base rule from one of 10,000 sources (or accounts),
// in time order, that completes no hit.
func BenchmarkObserve(b *testing.B) {
	const groups = 10000
	cases := []struct {
		name string
		spec Spec
		rule []string
	}{
		{"event_count", bruteForce(Condition{Op: OpGTE, Value: 100}, time.Minute), ruleFailed},
		{"value_count", Spec{ID: "v", Title: "spray", Type: ValueCount, Rules: []string{"ssh_login_failed"},
			GroupBy: []string{"source.ip"}, Timespan: time.Minute, Condition: Condition{Op: OpGTE, Value: 100, Field: "user.name"}}, ruleFailed},
		{"temporal_ordered", Spec{ID: "o", Title: "fail then login", Type: TemporalOrdered,
			Rules: []string{"ssh_login_failed", "ssh_login_success"}, GroupBy: []string{"source.ip"}, Timespan: time.Minute}, ruleFailed},
		{"event_count_two_fields", Spec{ID: "c", Title: "per source and account", Type: EventCount, Rules: []string{"ssh_login_failed"},
			GroupBy: []string{"source.ip", "user.name"}, Timespan: time.Minute, Condition: Condition{Op: OpGTE, Value: 100}}, ruleFailed},
		{"fewer_than_at_close", Spec{ID: "l", Title: "few", Type: EventCount, Rules: []string{"ssh_login_failed"},
			GroupBy: []string{"source.ip"}, Timespan: time.Minute, Condition: Condition{Op: OpLT, Value: 3}}, ruleFailed},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e := newEngine(b, []Spec{c.spec}, Options{MaxGroups: groups})
			evs := make([]event.Event, groups)
			for i := range evs {
				evs[i] = failure(fmt.Sprintf("f%d", i), t0, fmt.Sprintf("user%d", i%7), fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255))
			}
			// Each source fails every 10,000 calls, 1ms apart: a few
			// matches per group within the minute.
			at := t0
			for i := range evs {
				at = at.Add(time.Millisecond)
				e.Observe(c.rule, evs[i], at)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				at = at.Add(time.Millisecond)
				if hits := e.Observe(c.rule, evs[i%groups], at); len(hits) != 0 {
					b.Fatalf("unexpected hit %+v", hits[0])
				}
			}
			b.StopTimer()
			if st := e.Stats(); st.Groups != groups || st.GroupsEvicted != 0 {
				b.Fatalf("stats %+v, want %d groups and no eviction", st.Counts, groups)
			}
		})
	}
}
