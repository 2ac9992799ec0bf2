package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// score returns a host's score for a policy; the score itself is
// computed by the store.
func score(agentID, policyID string, when time.Time, passed, failed int) store.ComplianceScore {
	return store.ComplianceScore{AgentID: agentID, PolicyID: policyID, At: when, Passed: passed, Failed: failed,
		Errors: 1, Excepted: 2, NotApplicable: 3}
}

// storedScore is s as the store gives it back: its time in UTC to the
// microsecond, its score passed / (passed + failed) in percent.
func storedScore(s store.ComplianceScore) store.ComplianceScore {
	s.At = stored(s.At)
	s.Score = 0
	if s.Passed+s.Failed > 0 {
		s.Score = 100 * float64(s.Passed) / float64(s.Passed+s.Failed)
	}
	return s
}

// compareScores is the listing order of scores: newest first, then by
// agent and policy id, descending.
func compareScores(a, b store.ComplianceScore) int {
	return cmp.Or(b.At.Compare(a.At), strings.Compare(b.AgentID, a.AgentID), strings.Compare(b.PolicyID, a.PolicyID))
}

// putScores puts every score.
func putScores(t *testing.T, s store.Store, scores ...store.ComplianceScore) {
	t.Helper()
	for _, sc := range scores {
		must(t, s.Compliance().PutScore(ctx(t), sc))
	}
}

// listScores lists f unpaged.
func listScores(t *testing.T, s store.Store, f store.ComplianceScoreFilter) []store.ComplianceScore {
	t.Helper()
	f.Limit = store.MaxLimit
	got, next, err := s.Compliance().Scores(ctx(t), f)
	must(t, err)
	if next != "" {
		t.Fatalf("scores of %+v take more than a page", f)
	}
	return got
}

// wantScores returns scores as stored, in listing order.
func wantScores(scores ...store.ComplianceScore) []store.ComplianceScore {
	out := []store.ComplianceScore{}
	for _, sc := range scores {
		out = append(out, storedScore(sc))
	}
	slices.SortFunc(out, compareScores)
	return out
}

func testComplianceScoresPut(t *testing.T, s store.Store) {
	diff(t, "no scores", []store.ComplianceScore{}, listScores(t, s, store.ComplianceScoreFilter{}))
	a := score("agent-01", "cis_debian12", at(0), 3, 1)
	a.Score = 12 // computed by the store
	none := score("agent-01", "mlps-2.0-l3", at(time.Minute), 0, 0)
	none.Errors, none.Excepted, none.NotApplicable = 0, 0, 0
	all := score("agent-01", "CIS_ubuntu22", at(2*time.Minute), 0, 7)
	yesterday := score("agent-01", "cis_debian12", at(-24*time.Hour), 1, 2)
	putScores(t, s, a, none, all, yesterday)
	got := listScores(t, s, store.ComplianceScoreFilter{})
	diff(t, "scores", wantScores(a, none, all, yesterday), got)
	wantUTC(t, "score", got[0].At)
	if got[0].Score != 0 || got[1].Score != 0 || got[2].Score != 75 || got[3].Score != 100.0/3 {
		t.Fatalf("scores: %v %v %v %v, want 0 0 75 33.3", got[0].Score, got[1].Score, got[2].Score, got[3].Score)
	}

	// A later score of the same day replaces the earlier, whichever its
	// time of day; other days, hosts and policies stay.
	noon := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	putScores(t, s, score("agent-01", "cis_debian12", noon, 5, 5))
	putScores(t, s, score("agent-01", "cis_debian12", noon.Add(-11*time.Hour), 2, 8)) // earlier in the day
	got = listScores(t, s, store.ComplianceScoreFilter{AgentID: "agent-01", PolicyID: "cis_debian12"})
	diff(t, "same-day scores", wantScores(score("agent-01", "cis_debian12", noon.Add(-11*time.Hour), 2, 8), yesterday), got)
	diff(t, "other scores", wantScores(none, all, score("agent-01", "cis_debian12", noon.Add(-11*time.Hour), 2, 8), yesterday),
		listScores(t, s, store.ComplianceScoreFilter{AgentID: "agent-01"}))

	// A zero time means now.
	before := time.Now().Add(-time.Second)
	putScores(t, s, store.ComplianceScore{AgentID: "agent-02", PolicyID: "cis_debian12", Passed: 1})
	got = listScores(t, s, store.ComplianceScoreFilter{AgentID: "agent-02"})
	if len(got) != 1 || got[0].At.Before(before) || got[0].At.After(time.Now()) || got[0].Score != 100 {
		t.Fatalf("score without a time: %+v", got)
	}
}

func testComplianceScoresSameDay(t *testing.T, s store.Store) {
	const agent, policy = "agent-01", "cis_debian12"
	east, west := time.FixedZone("UTC+8", 8*3600), time.FixedZone("UTC-5", -5*3600)
	// 2026-03-15 01:00 in UTC+8 is 2026-03-14 17:00 UTC; 2026-03-14
	// 22:00 in UTC-5 is 2026-03-15 03:00 UTC. Local dates are no guide.
	cases := []struct {
		name        string
		first, then time.Time
		same        bool
	}{
		{"one UTC day, two local dates", time.Date(2026, 3, 15, 1, 0, 0, 0, east), time.Date(2026, 3, 14, 18, 0, 0, 0, west), true},
		{"two UTC days, one local date", time.Date(2026, 3, 14, 22, 0, 0, 0, west), time.Date(2026, 3, 14, 9, 0, 0, 0, west), false},
		{"first and last microsecond of a UTC day",
			time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC).In(east), time.Date(2026, 3, 14, 23, 59, 59, 999999999, time.UTC).In(west), true},
		{"last microsecond and the next day",
			time.Date(2026, 3, 14, 23, 59, 59, 999999000, time.UTC), time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC).In(east), false},
		{"before the Unix epoch", time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 1, 0, 0, 0, west), true},
		{"either side of the Unix epoch", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.Unix(0, 0).In(east), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			must(t, s.Compliance().DeleteAgentScores(ctx(t), agent))
			first, then := score(agent, policy, tc.first, 1, 1), score(agent, policy, tc.then, 9, 1)
			putScores(t, s, first, then)
			want := wantScores(then)
			if !tc.same {
				want = wantScores(first, then)
			}
			diff(t, "scores", want, listScores(t, s, store.ComplianceScoreFilter{AgentID: agent}))
		})
	}
}

func testComplianceScoresInvalid(t *testing.T, s store.Store) {
	cs := s.Compliance()
	good := score("agent-01", "cis_debian12", at(0), 1, 1)
	putScores(t, s, good)
	for name, change := range map[string]func(sc *store.ComplianceScore){
		"empty agent id":          func(sc *store.ComplianceScore) { sc.AgentID = "" },
		"empty policy id":         func(sc *store.ComplianceScore) { sc.PolicyID = "" },
		"negative passed":         func(sc *store.ComplianceScore) { sc.Passed = -1 },
		"negative failed":         func(sc *store.ComplianceScore) { sc.Failed = -1 },
		"negative errors":         func(sc *store.ComplianceScore) { sc.Errors = -1 },
		"negative excepted":       func(sc *store.ComplianceScore) { sc.Excepted = -1 },
		"negative not applicable": func(sc *store.ComplianceScore) { sc.NotApplicable = -1 },
		"NUL in the agent id":     func(sc *store.ComplianceScore) { sc.AgentID = "agent-01\x00" },
		"policy id not UTF-8":     func(sc *store.ComplianceScore) { sc.PolicyID = "cis_\xff" },
	} {
		bad := score("agent-01", "cis_debian12", at(time.Minute), 5, 0)
		change(&bad)
		wantErr(t, "PutScore with "+name, cs.PutScore(ctx(t), bad), store.ErrInvalid)
	}
	diff(t, "scores after rejected puts", wantScores(good), listScores(t, s, store.ComplianceScoreFilter{}))

	for name, f := range map[string]store.ComplianceScoreFilter{
		"agent id not UTF-8":   {AgentID: "agent-\xff"},
		"NUL in the policy id": {PolicyID: "cis\x00"},
	} {
		_, err := collectErr(cs.Scores(ctx(t), f))
		wantErr(t, "Scores with "+name, err, store.ErrInvalid)
	}
}

func testComplianceScoresConcurrent(t *testing.T, s store.Store) {
	const workers = 8
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	countNew(t, workers, func(i int) (bool, error) {
		// Every worker writes the same day of two policies, at its own
		// time of day, and a day of its own.
		for _, sc := range []store.ComplianceScore{
			score("agent-01", "cis_debian12", day.Add(time.Duration(i)*time.Hour), i, 1),
			score("agent-01", "mlps-2.0-l3", day.Add(time.Duration(i)*time.Minute), i, 2),
			score("agent-01", "cis_debian12", day.Add(time.Duration(i+1)*24*time.Hour), i, 3),
		} {
			if err := s.Compliance().PutScore(ctx(t), sc); err != nil {
				return false, err
			}
		}
		return false, nil
	})
	got := listScores(t, s, store.ComplianceScoreFilter{})
	if len(got) != 2+workers {
		t.Fatalf("%d scores after concurrent puts, want %d", len(got), 2+workers)
	}
	shared := listScores(t, s, store.ComplianceScoreFilter{Until: day.Add(24 * time.Hour)})
	if len(shared) != 2 {
		t.Fatalf("scores of the shared day: %+v", shared)
	}
	for _, sc := range shared {
		// Each row is one put whole, not a mix of two.
		i := sc.Passed
		want := score("agent-01", "cis_debian12", day.Add(time.Duration(i)*time.Hour), i, 1)
		if sc.PolicyID == "mlps-2.0-l3" {
			want = score("agent-01", "mlps-2.0-l3", day.Add(time.Duration(i)*time.Minute), i, 2)
		}
		diff(t, "score of the shared day", storedScore(want), sc)
	}
}

// scoreFleet returns the score history of four hosts and three policies
// over ten days: agent and policy ids whose byte order differs from any
// locale's, hosts that report at the same time (ties), a day a host
// missed, replaced scores.
func scoreFleet() (puts, kept []store.ComplianceScore) {
	agents := []string{"agent-01", "agent-02", "Agent-03", "agent-10"}
	policies := []string{"cis_debian12", "CIS_ubuntu22", "mlps-2.0-l3"}
	start := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	for d := range 10 {
		for ai, agent := range agents {
			for pi, policy := range policies {
				if (d+ai+pi)%7 == 3 {
					continue // missed
				}
				// Hosts 0 and 1 report at the same time, host 2 every
				// policy at once, host 3 at its own hours in another zone.
				hour := []int{3 + pi, 3 + pi, 6, 9 + pi}[ai]
				when := start.Add(time.Duration(d)*24*time.Hour + time.Duration(hour)*time.Hour)
				if ai == 3 {
					when = when.In(time.FixedZone("UTC-7", -7*3600))
				}
				first := score(agent, policy, when, d+ai, pi+1)
				puts = append(puts, first)
				sc := first
				if (d+ai)%3 == 0 {
					// Rewritten later the same day.
					later := when.Add(2 * time.Hour)
					if ai != 2 {
						later = later.Add(time.Duration(pi) * time.Minute)
					}
					sc = score(agent, policy, later, d, ai+pi)
					puts = append(puts, sc)
				}
				kept = append(kept, sc)
			}
		}
	}
	return puts, wantScores(kept...)
}

// scoreMatches is the test's model of ComplianceScoreFilter.
func scoreMatches(f store.ComplianceScoreFilter, sc store.ComplianceScore) bool {
	return (f.AgentID == "" || sc.AgentID == f.AgentID) && (f.PolicyID == "" || sc.PolicyID == f.PolicyID) &&
		(f.Since.IsZero() || !sc.At.Before(f.Since)) && (f.Until.IsZero() || sc.At.Before(f.Until))
}

func testComplianceScoresList(t *testing.T, s store.Store) {
	cs := s.Compliance()
	puts, all := scoreFleet()
	putScores(t, s, puts...)
	diff(t, "the fleet's scores", all, listScores(t, s, store.ComplianceScoreFilter{}))
	tie := time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC) // agent-01 and agent-02

	since := time.Date(2026, 3, 8, 9, 0, 0, 0, time.FixedZone("UTC+9", 9*3600)) // 00:00 UTC
	until := time.Date(2026, 3, 11, 6, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		f    store.ComplianceScoreFilter
	}{
		{"all", store.ComplianceScoreFilter{}},
		{"agent", store.ComplianceScoreFilter{AgentID: "Agent-03"}},
		{"agent is exact", store.ComplianceScoreFilter{AgentID: "agent-03"}},
		{"policy", store.ComplianceScoreFilter{PolicyID: "CIS_ubuntu22"}},
		{"agent and policy", store.ComplianceScoreFilter{AgentID: "agent-10", PolicyID: "mlps-2.0-l3"}},
		{"since", store.ComplianceScoreFilter{Since: since}},
		{"until", store.ComplianceScoreFilter{Until: until}},
		{"since and until", store.ComplianceScoreFilter{Since: since, Until: until}},
		{"since a tie, inclusive", store.ComplianceScoreFilter{Since: tie}},
		{"until a tie, exclusive", store.ComplianceScoreFilter{Until: tie}},
		{"agent since", store.ComplianceScoreFilter{AgentID: "agent-01", Since: since}},
		{"policy until", store.ComplianceScoreFilter{PolicyID: "cis_debian12", Until: until}},
		{"everything", store.ComplianceScoreFilter{AgentID: "agent-02", PolicyID: "cis_debian12", Since: since, Until: until}},
		{"empty window", store.ComplianceScoreFilter{Since: until, Until: since}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := []store.ComplianceScore{}
			for _, sc := range all {
				if scoreMatches(tc.f, sc) {
					want = append(want, sc)
				}
			}
			if len(want) == 0 && !strings.HasSuffix(tc.name, "exact") && tc.name != "empty window" {
				t.Fatal("the case selects nothing")
			}
			for _, limit := range []int{1, 2, 7, store.MaxLimit} {
				got := collect(t, limit, func(p store.Page) ([]store.ComplianceScore, string, error) {
					f := tc.f
					f.Page = p
					return cs.Scores(ctx(t), f)
				})
				if got == nil {
					got = []store.ComplianceScore{}
				}
				diff(t, fmt.Sprintf("paged by %d", limit), want, got)
			}
		})
	}
	// The ties the fleet must have for the order to be tested: of two
	// hosts, and of two policies of one host.
	var agentTies, policyTies int
	for i := 1; i < len(all); i++ {
		if all[i].At.Equal(all[i-1].At) {
			if all[i].AgentID == all[i-1].AgentID {
				policyTies++
			} else {
				agentTies++
			}
		}
	}
	if agentTies == 0 || policyTies == 0 {
		t.Fatalf("the fleet has %d ties of hosts and %d of policies", agentTies, policyTies)
	}
	if n := len(listScores(t, s, store.ComplianceScoreFilter{Since: tie, Until: tie.Add(time.Microsecond)})); n != 2 {
		t.Fatalf("%d scores at the time of the tie, want 2", n)
	}

	advisoriesCursor, findingsCursor, summariesCursor := vulnCursors(t, s)
	for _, c := range append(garbageCursors, advisoriesCursor, findingsCursor, summariesCursor) {
		_, _, err := cs.Scores(ctx(t), store.ComplianceScoreFilter{Page: store.Page{Cursor: c}})
		wantErr(t, fmt.Sprintf("cursor %q", c), err, store.ErrBadCursor)
	}
}

func testComplianceScoresDelete(t *testing.T, s store.Store) {
	cs := s.Compliance()
	puts, all := scoreFleet()
	putScores(t, s, puts...)
	others := func(agents ...string) []store.ComplianceScore {
		out := []store.ComplianceScore{}
		for _, sc := range all {
			if !slices.Contains(agents, sc.AgentID) {
				out = append(out, sc)
			}
		}
		return out
	}
	must(t, cs.DeleteAgentScores(ctx(t), "agent-01"))
	diff(t, "scores after DeleteAgentScores", others("agent-01"), listScores(t, s, store.ComplianceScoreFilter{}))
	must(t, cs.DeleteAgentScores(ctx(t), "agent-01"))
	must(t, cs.DeleteAgentScores(ctx(t), "agent-02\x00"))
	must(t, cs.DeleteAgentScores(ctx(t), "AGENT-02"))
	diff(t, "scores after deleting ids no agent has", others("agent-01"), listScores(t, s, store.ComplianceScoreFilter{}))

	// Deleting an agent's inventory deletes its scores, and only its.
	must(t, s.Inventory().DeleteAgent(ctx(t), "agent-02"))
	diff(t, "scores after the inventory's delete", others("agent-01", "agent-02"),
		listScores(t, s, store.ComplianceScoreFilter{}))
	// A deleted host's history can start again.
	putScores(t, s, score("agent-02", "cis_debian12", at(0), 1, 0))
	if got := listScores(t, s, store.ComplianceScoreFilter{AgentID: "agent-02"}); len(got) != 1 {
		t.Fatalf("scores of a host deleted and back: %+v", got)
	}
}
