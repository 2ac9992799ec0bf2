package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var auditCases = []testCase{
	{"Audit/AppendList", testAuditAppendList},
	{"Audit/Filters", testAuditFilters},
}

func testAuditAppendList(t *testing.T, s store.Store) {
	au := s.Audit()
	var want []store.AuditEntry
	var last int64
	for i := range 11 {
		e := store.AuditEntry{
			At: at(time.Duration(i) * time.Second), Actor: "ann", Role: store.RoleAdmin,
			Action: "agent.delete", Target: fmt.Sprintf("agent-%d", i), Result: "ok",
			SourceIP: "192.0.2.1",
		}
		if i%3 == 0 {
			e.Detail = map[string]any{"reason": "decommissioned", "count": float64(i)}
		}
		id, err := au.Append(ctx(t), e)
		must(t, err)
		if id <= last {
			t.Fatalf("id %d after %d", id, last)
		}
		last = id
		e.ID, e.At = id, stored(e.At)
		want = append([]store.AuditEntry{e}, want...)
	}
	for _, limit := range []int{1, 3, 11, 50} {
		got := collect(t, limit, func(p store.Page) ([]store.AuditEntry, string, error) {
			return au.List(ctx(t), store.AuditFilter{Page: p})
		})
		diff(t, fmt.Sprintf("limit %d", limit), want, got)
		wantUTC(t, "At", got[0].At)
	}
	for _, c := range garbageCursors {
		_, _, err := au.List(ctx(t), store.AuditFilter{Page: store.Page{Cursor: c}})
		wantAnyErr(t, fmt.Sprintf("cursor %.20q", c), err)
	}
	// A zero time is stamped now.
	id, err := au.Append(ctx(t), store.AuditEntry{Actor: "system", Action: "retention", Result: "ok"})
	must(t, err)
	got, _, err := au.List(ctx(t), store.AuditFilter{Page: store.Page{Limit: 1}})
	must(t, err)
	if got[0].ID != id || time.Since(got[0].At) > time.Minute {
		t.Fatalf("zero At stored as %v", got[0].At)
	}
}

func testAuditFilters(t *testing.T, s store.Store) {
	au := s.Audit()
	entries := []struct {
		actor, action string
		sec           int
	}{
		{"ann", "agent.delete", 0}, {"bob", "agent.labels", 10}, {"ann", "agents.export", 20},
		{"token:ci", "command.collect", 30}, {"ann", "alert.state", 40}, {"bob", "Agent.delete", 50},
		{"ann", "a%b.x", 60},
	}
	ids := map[string]int64{}
	for _, e := range entries {
		id, err := au.Append(ctx(t), store.AuditEntry{
			At: at(time.Duration(e.sec) * time.Second), Actor: e.actor, Action: e.action, Result: "ok",
		})
		must(t, err)
		ids[fmt.Sprintf("%s@%d", e.action, e.sec)] = id
	}
	tests := []struct {
		name string
		f    store.AuditFilter
		want []string // action@sec, newest first
	}{
		{"actor", store.AuditFilter{Actor: "bob"}, []string{"Agent.delete@50", "agent.labels@10"}},
		{"action prefix", store.AuditFilter{Action: "agent."}, []string{"agent.labels@10", "agent.delete@0"}},
		{"action prefix without dot", store.AuditFilter{Action: "agent"}, []string{"agents.export@20", "agent.labels@10", "agent.delete@0"}},
		{"exact action", store.AuditFilter{Action: "alert.state"}, []string{"alert.state@40"}},
		{"prefix is literal", store.AuditFilter{Action: "a%"}, []string{"a%b.x@60"}},
		{"underscore is literal", store.AuditFilter{Action: "agent_"}, nil},
		{"since until", store.AuditFilter{Since: at(10 * time.Second), Until: at(40 * time.Second)},
			[]string{"command.collect@30", "agents.export@20", "agent.labels@10"}},
		{"actor and action", store.AuditFilter{Actor: "ann", Action: "agent"}, []string{"agents.export@20", "agent.delete@0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := au.List(ctx(t), tt.f)
			must(t, err)
			gotIDs := []int64{}
			for _, e := range got {
				gotIDs = append(gotIDs, e.ID)
			}
			wantIDs := []int64{}
			for _, w := range tt.want {
				wantIDs = append(wantIDs, ids[w])
			}
			diff(t, "ids", wantIDs, gotIDs)
		})
	}
}
