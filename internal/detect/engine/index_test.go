package engine

import (
	"strings"
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
	matched, listMatched := 0, 0
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
			for _, r := range dst {
				if usesObjectLists(r) {
					listMatched++
				}
			}
		}
	}
	if matched == 0 {
		t.Error("no event matched any rule: the test compares nothing")
	}
	if listMatched == 0 {
		t.Error("no rule on a list of objects matched: the test compares nothing of them")
	}
	t.Logf("%d matches, %d of rules on lists of objects", matched, listMatched)
}

// usesObjectLists reports whether a rule names a field of the objects of
// process.stdio or process.ancestry.
func usesObjectLists(r *Rule) bool {
	for _, s := range r.Sigma.Detection.Searches {
		for _, m := range s.Matches {
			if strings.HasPrefix(m.Field, "process.stdio.") || strings.HasPrefix(m.Field, "process.ancestry.") {
				return true
			}
		}
		for _, item := range s.Items {
			for _, m := range item.Matches {
				if strings.HasPrefix(m.Field, "process.stdio.") || strings.HasPrefix(m.Field, "process.ancestry.") {
					return true
				}
			}
		}
	}
	return false
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
	total := 0
	const n = 500
	for i := 0; i < n; i++ {
		total += e.candidates(g.event())
	}
	if avg := float64(total) / n; avg > 100 {
		t.Errorf("%.1f candidates per event of 1000 rules", avg)
	}
}

// TestMatchDoesNotAllocate checks the steady state: once warm, Match
// allocates nothing, whatever the number of rules.
func TestMatchDoesNotAllocate(t *testing.T) {
	g := newGen(7)
	// With rules on lists of objects that the list events below match,
	// field by field and element by element.
	src := g.rules(300) + "---\n" +
		ruleText("l-1", lsProc, "    s:\n        process.stdio.fd:\n            - 0\n            - 1\n        process.stdio.transport: tcp\n    condition: s\n") + "---\n" +
		ruleText("l-2", lsProc, "    s:\n        process.ancestry.name: sh\n        process.ancestry.executable|endswith: /dash\n    condition: s\n") + "---\n" +
		ruleText("l-3", lsProc, "    s:\n        process.stdio.remote: null\n    f:\n        process.ancestry.user.name: root\n    condition: s or f\n")
	e, problems := compileRules(t, src, Options{})
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	events := make([]event.Event, 64)
	for i := range events {
		events[i] = g.event()
	}
	events = append(events, decoded(curlPost), execEvent("/usr/bin/bash", "bash", "-c", "echo "+b64("/dev/tcp/1.2.3.4/80")),
		reverseShell, decoded(reverseShell), socketActivated, withAncestryUsers())
	dst := make([]*Rule, 0, 64)
	listHits := 0
	for _, ev := range events {
		dst = e.Match(ev, dst[:0])
		for _, r := range dst {
			if strings.HasPrefix(r.ID, "l-") {
				listHits++
			}
		}
	}
	if listHits < 3 {
		t.Errorf("the rules on lists of objects matched %d times: the test measures too little of them", listHits)
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
