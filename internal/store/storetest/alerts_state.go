package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

func testAlertSetState(t *testing.T, s store.Store) {
	al := s.Alerts()
	_, _, err := al.Raise(ctx(t), alert("al-1", "k1", at(0)))
	must(t, err)
	c1 := store.AlertComment{At: at(time.Minute), Author: "ann", Text: "looking"}
	got, err := al.SetState(ctx(t), "al-1", store.AlertAcknowledged, c1)
	must(t, err)
	c2 := store.AlertComment{At: at(2 * time.Minute), Author: "bob", Text: "benign admin task"}
	got2, err := al.SetState(ctx(t), "al-1", store.AlertFalsePositive, c2)
	must(t, err)
	want := []store.AlertComment{
		{At: stored(c1.At), Author: "ann", State: store.AlertAcknowledged, Text: "looking"},
		{At: stored(c2.At), Author: "bob", State: store.AlertFalsePositive, Text: "benign admin task"},
	}
	diff(t, "first comment", want[:1], got.Comments)
	diff(t, "comments", want, got2.Comments)
	if got2.State != store.AlertFalsePositive || !got2.UpdatedAt.Equal(stored(c2.At)) {
		t.Fatalf("state %s updated %v", got2.State, got2.UpdatedAt)
	}
	again, err := al.Get(ctx(t), "al-1")
	must(t, err)
	diff(t, "Get after SetState", got2, again)
	wantUTC(t, "comment", again.Comments[0].At)
	_, err = al.SetState(ctx(t), "missing", store.AlertResolved, c1)
	wantErr(t, "SetState missing", err, store.ErrNotFound)
}

func testAlertList(t *testing.T, s store.Store) {
	al := s.Alerts()
	var all []store.Alert
	for i := range 14 {
		a := alert(fmt.Sprintf("al-%02d", i), "", at(time.Duration(i/2)*time.Second))
		a.AgentID = []string{"agent-1", "agent-2"}[i%2]
		a.Severity = []store.Severity{store.SeverityLow, store.SeverityHigh, store.SeverityCritical}[i%3]
		if i%4 == 0 {
			a.RuleID = "lnx_cron_persistence"
			a.Techniques = []string{"T1053.003"}
		}
		if i%5 == 0 {
			a.Techniques = append(a.Techniques, "T1053")
		}
		got, _, err := al.Raise(ctx(t), a)
		must(t, err)
		all = append([]store.Alert{got}, all...) // newest first, id descending on ties
	}
	_, err := al.SetState(ctx(t), "al-03", store.AlertResolved, store.AlertComment{At: at(time.Hour), Author: "ann"})
	must(t, err)
	for i, a := range all {
		if a.ID == "al-03" {
			all[i], err = al.Get(ctx(t), "al-03")
			must(t, err)
		}
	}
	match := func(keep func(store.Alert) bool) []store.Alert {
		out := []store.Alert{}
		for _, a := range all {
			if keep(a) {
				out = append(out, a)
			}
		}
		return out
	}
	tests := []struct {
		name string
		f    store.AlertFilter
		want []store.Alert
	}{
		{"all", store.AlertFilter{}, all},
		{"agent", store.AlertFilter{AgentID: "agent-2"}, match(func(a store.Alert) bool { return a.AgentID == "agent-2" })},
		{"state", store.AlertFilter{State: store.AlertResolved}, match(func(a store.Alert) bool { return a.ID == "al-03" })},
		{"severity", store.AlertFilter{Severity: store.SeverityCritical}, match(func(a store.Alert) bool { return a.Severity == store.SeverityCritical })},
		{"rule", store.AlertFilter{RuleID: "lnx_cron_persistence"}, match(func(a store.Alert) bool { return a.RuleID == "lnx_cron_persistence" })},
		{"agent and severity", store.AlertFilter{AgentID: "agent-1", Severity: store.SeverityLow},
			match(func(a store.Alert) bool { return a.AgentID == "agent-1" && a.Severity == store.SeverityLow })},
		{"none", store.AlertFilter{AgentID: "agent-9"}, []store.Alert{}},
		{"technique and its sub-techniques", store.AlertFilter{Technique: "T1053"},
			match(func(a store.Alert) bool {
				return slices.ContainsFunc(a.Techniques, func(t string) bool { return strings.HasPrefix(t, "T1053") })
			})},
		{"sub-technique", store.AlertFilter{Technique: "T1053.003"},
			match(func(a store.Alert) bool { return slices.Contains(a.Techniques, "T1053.003") })},
		{"no such technique", store.AlertFilter{Technique: "T1070"}, []store.Alert{}},
		{"technique prefix is not a parent", store.AlertFilter{Technique: "T105"}, []store.Alert{}},
		{"since", store.AlertFilter{Since: at(5 * time.Second)},
			match(func(a store.Alert) bool { return !a.CreatedAt.Before(stored(at(5 * time.Second))) })},
	}
	for _, tt := range tests {
		for _, limit := range []int{1, 3, 100} {
			t.Run(fmt.Sprintf("%s/limit %d", tt.name, limit), func(t *testing.T) {
				got := collect(t, limit, func(p store.Page) ([]store.Alert, string, error) {
					f := tt.f
					f.Page = p
					return al.List(ctx(t), f)
				})
				if got == nil {
					got = []store.Alert{}
				}
				diff(t, "alerts", tt.want, got)
			})
		}
	}
	for _, c := range garbageCursors {
		_, _, err := al.List(ctx(t), store.AlertFilter{Page: store.Page{Cursor: c}})
		wantAnyErr(t, fmt.Sprintf("cursor %.20q", c), err)
	}
}
