package engine

import (
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

// TestIndexNeverChangesAVerdict compares, for random rule sets and
// events, Match (the literal index) with the evaluation of every rule.
func TestIndexNeverChangesAVerdict(t *testing.T) {
	rounds := 30
	if testing.Short() {
		rounds = 5
	}
	matched := 0
	for seed := uint64(1); seed <= uint64(rounds); seed++ {
		g := newGen(seed)
		e, problems := compileRules(t, g.rules(20+int(seed)*7), Options{})
		if len(problems) > 0 {
			t.Fatalf("seed %d: %v", seed, problems[0])
		}
		var dst, brute []*Rule
		for i := 0; i < 400; i++ {
			ev := g.event()
			if i%3 == 0 {
				ev = decoded(ev)
			}
			dst = e.Match(ev, dst[:0])
			brute = e.matchAll(ev, brute[:0])
			if ids(dst) != ids(brute) {
				t.Fatalf("seed %d event %d: index %q, every rule %q\nevent: %v", seed, i, ids(dst), ids(brute), ev)
			}
			matched += len(dst)
		}
	}
	if matched == 0 {
		t.Error("no event matched any rule: the test compares nothing")
	}
}

// TestIndexNarrowsCandidates checks that the index leaves most rules
// out: with rare literals, an ordinary event is evaluated against few.
func TestIndexNarrowsCandidates(t *testing.T) {
	g := newGen(99)
	e, problems := compileRules(t, g.rules(1000), Options{})
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	always := 0
	for _, grp := range e.groups {
		always += len(grp.always)
	}
	if always > len(e.compiled)/5 {
		t.Errorf("%d of %d rules are evaluated for every event", always, len(e.compiled))
	}
	s := newScratch(e)
	total := 0
	const n = 500
	for i := 0; i < n; i++ {
		s.reset(g.event())
		e.visitGroups(s, func(grp *group) {
			for _, r := range grp.always {
				s.candidate(r)
			}
			for _, fs := range grp.scans {
				if v, ok := s.get(fs.field); ok {
					scanValue(s, fs, v)
				}
			}
		})
		total += len(s.cands)
	}
	if avg := float64(total) / n; avg > 100 {
		t.Errorf("%.1f candidates per event of 1000 rules", avg)
	}
}

// TestMatchDoesNotAllocate checks the steady state: once warm, Match
// allocates nothing, whatever the number of rules.
func TestMatchDoesNotAllocate(t *testing.T) {
	g := newGen(7)
	e, problems := compileRules(t, g.rules(300), Options{})
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	events := make([]event.Event, 64)
	for i := range events {
		events[i] = g.event()
	}
	events = append(events, decoded(curlPost), execEvent("/usr/bin/bash", "bash", "-c", "echo "+b64("/dev/tcp/1.2.3.4/80")))
	dst := make([]*Rule, 0, 64)
	for _, ev := range events {
		dst = e.Match(ev, dst[:0])
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		dst = e.Match(events[i%len(events)], dst[:0])
		i++
	})
	if allocs > 0 {
		t.Errorf("Match allocates %.2f times per event", allocs)
	}
}

// TestMatchConcurrently runs Match from several goroutines at once: each
// gets the verdicts of a lone caller.
func TestMatchConcurrently(t *testing.T) {
	g := newGen(11)
	e, problems := compileRules(t, g.rules(200), Options{})
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	events := make([]event.Event, 200)
	want := make([]string, len(events))
	for i := range events {
		events[i] = g.event()
		want[i] = ids(e.Match(events[i], nil))
	}
	errs := make(chan string, 8)
	for w := 0; w < 8; w++ {
		go func(w int) {
			var dst []*Rule
			for round := 0; round < 5; round++ {
				for i := range events {
					j := (i + w*37) % len(events)
					dst = e.Match(events[j], dst[:0])
					if got := ids(dst); got != want[j] {
						errs <- "event " + got + " != " + want[j]
						return
					}
				}
			}
			errs <- ""
		}(w)
	}
	for w := 0; w < 8; w++ {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
}
