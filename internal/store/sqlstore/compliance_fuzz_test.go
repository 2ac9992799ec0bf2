package sqlstore_test

import (
	"cmp"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// compareScores is the listing order of scores: newest first, then by
// agent and policy id, descending.
func compareScores(a, b store.ComplianceScore) int {
	return cmp.Or(b.At.Compare(a.At), strings.Compare(b.AgentID, a.AgentID), strings.Compare(b.PolicyID, a.PolicyID))
}

// FuzzComplianceListings feeds arbitrary cursors, ids and time bounds,
// as API clients send them, to the listings of the compliance store on a
// real database: each must list or reject them with ErrBadCursor or
// ErrInvalid, never fail otherwise; what it lists must match the filter,
// in order, and a listing that starts from an accepted cursor must page
// on after it.
func FuzzComplianceListings(f *testing.F) {
	cs := openSQLite(f).Compliance()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for d := range 6 {
		for a := range 3 {
			for p := range 3 {
				sc := store.ComplianceScore{AgentID: fmt.Sprintf("agent-%d", a), PolicyID: fmt.Sprintf("policy-%d", p),
					At: start.Add(time.Duration(d)*24*time.Hour + time.Duration(p)*time.Hour), Passed: d + a, Failed: p}
				if err := cs.PutScore(f.Context(), sc); err != nil {
					f.Fatal(err)
				}
			}
		}
		e := store.ComplianceException{PolicyID: fmt.Sprintf("policy-%d", d%3), Reason: "accepted",
			ExpiresAt: start.Add(time.Duration(d) * 24 * time.Hour), CreatedAt: start}
		if _, err := cs.CreateException(f.Context(), e); err != nil {
			f.Fatal(err)
		}
	}
	var cursors []string
	for _, filter := range []store.ComplianceScoreFilter{
		{}, {AgentID: "agent-1"}, {PolicyID: "policy-2"}, {AgentID: "agent-0", PolicyID: "policy-0"},
	} {
		filter.Limit = 2
		_, next, err := cs.Scores(f.Context(), filter)
		if err != nil || next == "" {
			f.Fatalf("a first page of %+v: cursor %q, %v", filter, next, err)
		}
		cursors = append(cursors, next)
	}
	day := int64(24 * time.Hour / time.Microsecond)
	for _, seed := range []struct {
		cursor, agent, policy string
		since, until          int64
	}{
		{cursors[0], "", "", 0, 0}, {cursors[1], "agent-1", "", start.UnixMicro(), 0},
		{cursors[2], "", "policy-2", 0, start.UnixMicro() + 3*day}, {cursors[3], "agent-0", "policy-0", 0, 0},
		{cursors[0], "agent-2", "policy-1", start.UnixMicro() + day, start.UnixMicro() + 4*day},
		{"", "agent-\x00", "", 0, 0}, {"e30", "", "policy-\xff", -1, 1}, {"eyJrIjoic2NvcmVzIn0", "%", "_", 0, 0},
	} {
		f.Add(seed.cursor, seed.agent, seed.policy, seed.since, seed.until)
	}
	f.Fuzz(func(t *testing.T, cursor, agentID, policyID string, since, until int64) {
		filter := store.ComplianceScoreFilter{AgentID: agentID, PolicyID: policyID, Page: store.Page{Limit: 3, Cursor: cursor}}
		if since != 0 {
			filter.Since = time.UnixMicro(since)
		}
		if until != 0 {
			filter.Until = time.UnixMicro(until)
		}
		scores, next, err := cs.Scores(t.Context(), filter)
		if !listingAccepted(t, "Scores", err) {
			return
		}
		checkListed(t, "score", scores, filter, func(sc store.ComplianceScore) bool {
			return !(agentID != "" && sc.AgentID != agentID || policyID != "" && sc.PolicyID != policyID ||
				!filter.Since.IsZero() && sc.At.Before(filter.Since) || !filter.Until.IsZero() && !sc.At.Before(filter.Until))
		}, compareScores)
		if next != "" {
			filter.Cursor = next
			more, _, err := cs.Scores(t.Context(), filter)
			if listingAccepted(t, "Scores after its cursor", err) {
				checkPagedOn(t, scores[len(scores)-1], more, compareScores)
			}
		}
		now := time.UnixMicro(since)
		es, err := cs.Exceptions(t.Context(), policyID, now, until%2 == 0)
		listingAccepted(t, "Exceptions", err)
		for _, e := range es {
			if policyID != "" && e.PolicyID != policyID || until%2 != 0 && !e.ExpiresAt.IsZero() && !e.ExpiresAt.After(now) {
				t.Fatalf("exception %+v listed for policy %q at %v", e, policyID, now)
			}
		}
	})
}
