package engine

import (
	"fmt"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

// BenchmarkMatch measures events per second on one core with 10, 100 and
// 1,000 generated rules (processes, connections, files, auditd and sshd,
// with every kind of modifier, fields of lists of objects included) over
// a stream of generated events, each rule count twice: with the literal
// index (Match), and with the index off (every rule of the event's log
// sources evaluated in full, as a matcher without an index works). The
// goal is at least 100,000 events/s at 1,000 rules, with no allocation.
func BenchmarkMatch(b *testing.B) {
	for _, decode := range []bool{false, true} {
		for _, n := range []int{10, 100, 1000} {
			g := newGen(42)
			e, problems := compileRules(b, g.rules(n), Options{})
			if len(problems) > 0 {
				b.Fatal(problems[0])
			}
			events := make([]event.Event, 4096)
			evaluated := 0
			for i := range events {
				events[i] = g.event()
				if decode {
					events[i] = decoded(events[i])
				}
				evaluated += e.candidates(events[i])
			}
			for _, indexed := range []bool{true, false} {
				name := fmt.Sprintf("rules=%d", n)
				if decode {
					name += "/decoded"
				}
				match, perEvent := e.Match, float64(evaluated)/float64(len(events))
				if indexed {
					name += "/index"
				} else {
					name += "/full"
					match = e.matchAll
					perEvent = float64(e.selected(events)) / float64(len(events))
				}
				b.Run(name, func(b *testing.B) {
					dst := make([]*Rule, 0, 16)
					matches := 0
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						dst = match(events[i&4095], dst[:0])
						matches += len(dst)
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
					b.ReportMetric(float64(matches)/float64(b.N), "matches/event")
					b.ReportMetric(perEvent, "evaluated/event")
				})
			}
		}
	}
}

// BenchmarkNew measures compiling 1,000 rules.
func BenchmarkNew(b *testing.B) {
	g := newGen(42)
	src := g.rules(1000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, problems := compileRules(b, src, Options{}); len(problems) > 0 {
			b.Fatal(problems[0])
		}
	}
}

// BenchmarkMatchFilters measures events per second at 1,000 generated
// rules with 0 and with 100 meta filters (each naming one to five rules
// of one log source, about 250 rules named in all), over one stream of
// generated events. A rule's filters are evaluated only when the rule
// matched, so the two should run at the same speed: evaluated/event (the
// rules the index leaves) is the same, and filters-evaluated/event counts
// the filter conditions Match evaluates. Both engines are built before
// either runs; compare runs of one sub-benchmark per process on a busy
// machine.
func BenchmarkMatchFilters(b *testing.B) {
	g := newGen(42)
	fs := g.filterSet(1000, 100)
	events := make([]event.Event, 4096)
	for i := range events {
		events[i] = g.event()
	}
	engines := map[int]*Engine{}
	for _, n := range []int{0, 100} {
		src := fs.rules
		if n > 0 {
			src += "---\n" + fs.filters
		}
		e, problems := compileSet(b, src)
		if len(problems) > 0 {
			b.Fatal(problems[0])
		}
		if n > 0 && len(e.Filters()) != n {
			b.Fatalf("%d filters applied, want %d", len(e.Filters()), n)
		}
		engines[n] = e
	}
	for _, n := range []int{0, 100} {
		e := engines[n]
		evaluated, filterEvals := 0, 0
		for _, ev := range events {
			evaluated += e.candidates(ev)
			filterEvals += e.filterEvaluations(ev)
		}
		b.Run(fmt.Sprintf("rules=1000/filters=%d", n), func(b *testing.B) {
			dst := make([]*Rule, 0, 16)
			matches := 0
			before := suppressedBy(e)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				dst = e.Match(events[i&4095], dst[:0])
				matches += len(dst)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(matches)/float64(b.N), "matches/event")
			b.ReportMetric(float64(suppressedBy(e)-before)/float64(b.N), "suppressed/event")
			b.ReportMetric(float64(evaluated)/float64(len(events)), "evaluated/event")
			b.ReportMetric(float64(filterEvals)/float64(len(events)), "filters-evaluated/event")
		})
	}
}

// suppressedBy sums the matches the engine's filters left out.
func suppressedBy(e *Engine) uint64 {
	var n uint64
	for _, f := range e.Filters() {
		n += f.Suppressed()
	}
	return n
}
