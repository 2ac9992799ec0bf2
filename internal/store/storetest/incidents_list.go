package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

func testIncidentAttachConcurrent(t *testing.T, s store.Store) {
	// Each alert shares one entity with the others and brings its own;
	// every other one brings more than a transaction locks one by one.
	const workers, extra = 12, 40
	joins := make([]store.Join, workers)
	wantEntities := 1
	for i := range joins {
		id := fmt.Sprintf("al-%02d", i)
		raise(t, s, alert(id, "", at(time.Duration(i)*time.Second)))
		entities := []store.Entity{ent(store.EntityProcess, fmt.Sprintf("agent-1:%d:1773451613", 1000+i)), attackerIP}
		if i%2 == 1 {
			for k := range extra {
				entities = append(entities, ent(store.EntityDomain, fmt.Sprintf("c%d-%d.example", i, k)))
			}
		}
		wantEntities += len(entities) - 1
		joins[i] = store.Join{AlertID: id, Entities: entities, Window: time.Hour, At: at(time.Minute)}
	}
	var mu sync.Mutex
	ids := map[string]bool{}
	news := countNew(t, workers, func(i int) (bool, error) {
		inc, isNew, err := s.Incidents().Attach(ctx(t), joins[i])
		if err == nil {
			mu.Lock()
			defer mu.Unlock()
			ids[inc.ID] = true
		}
		return isNew, err
	})
	list, _, err := s.Incidents().List(ctx(t), store.IncidentFilter{})
	must(t, err)
	if news != 1 || len(ids) != 1 || len(list) != 1 {
		t.Fatalf("%d new, %d returned and %d stored incidents, want 1, 1 and 1", news, len(ids), len(list))
	}
	inc := list[0]
	if inc.AlertCount != workers || len(inc.Entities) != wantEntities {
		t.Fatalf("incident has %d alerts and %d entities, want %d and %d", inc.AlertCount, len(inc.Entities), workers, wantEntities)
	}
	for _, j := range joins {
		if got := alertIncident(t, s, j.AlertID); got != inc.ID {
			t.Errorf("alert %s in incident %q, want %q", j.AlertID, got, inc.ID)
		}
	}
	alerts := collect(t, 5, func(p store.Page) ([]store.Alert, string, error) {
		return s.Incidents().Alerts(ctx(t), inc.ID, p)
	})
	if len(alerts) != workers {
		t.Fatalf("incident lists %d alerts, want %d", len(alerts), workers)
	}
}

func testIncidentAttachConcurrentSameAlert(t *testing.T, s store.Store) {
	raise(t, s, alert("al-1", "", at(0)))
	const workers = 8
	news := countNew(t, workers, func(i int) (bool, error) {
		_, isNew, err := s.Incidents().Attach(ctx(t), store.Join{
			AlertID: "al-1", Entities: []store.Entity{attackerIP, ent(store.EntityDomain, fmt.Sprintf("c%d.example", i))},
		})
		return isNew, err
	})
	list, _, err := s.Incidents().List(ctx(t), store.IncidentFilter{})
	must(t, err)
	if news != 1 || len(list) != 1 || list[0].AlertCount != 1 || len(list[0].Entities) != 1+workers {
		t.Fatalf("%d new, %d incidents, want 1 and 1 with one alert and %d entities: %+v", news, len(list), 1+workers, list)
	}
}

func testIncidentSetState(t *testing.T, s store.Store) {
	is := s.Incidents()
	raise(t, s, alert("al-1", "", at(0)))
	inc, _ := attach(t, s, "al-1", at(0), attackerIP)
	c1 := store.IncidentComment{At: at(time.Minute), Author: "ann", Text: "taking it"}
	got, err := is.SetState(ctx(t), inc.ID, store.IncidentInvestigating, "ann", c1)
	must(t, err)
	c2 := store.IncidentComment{At: at(2 * time.Minute), Author: "bob", Text: "contained, host reimaged", State: store.IncidentOpen}
	got2, err := is.SetState(ctx(t), inc.ID, store.IncidentResolved, "", c2)
	must(t, err)
	want := []store.IncidentComment{
		{At: stored(c1.At), Author: "ann", State: store.IncidentInvestigating, Text: "taking it"},
		{At: stored(c2.At), Author: "bob", State: store.IncidentResolved, Text: "contained, host reimaged"},
	}
	diff(t, "first comment", want[:1], got.Comments)
	if got.Assignee != "ann" || got.State != store.IncidentInvestigating {
		t.Fatalf("first SetState: %s assigned to %q", got.State, got.Assignee)
	}
	wantInc := inc
	wantInc.State, wantInc.Assignee, wantInc.Comments, wantInc.UpdatedAt = store.IncidentResolved, "ann", want, stored(c2.At)
	diff(t, "second SetState", wantInc, got2)
	wantIncident(t, s, "Get after SetState", inc.ID, wantInc)
	wantUTC(t, "comment", got2.Comments[0].At)

	got, err = is.SetState(ctx(t), inc.ID, store.IncidentOpen, "carl", store.IncidentComment{Author: "carl"})
	must(t, err)
	if got.Assignee != "carl" || got.State != store.IncidentOpen || len(got.Comments) != 3 ||
		got.Comments[2].At.Before(time.Now().Add(-time.Minute)) {
		t.Fatalf("reopen: %s assigned to %q comments %+v", got.State, got.Assignee, got.Comments)
	}

	_, err = is.SetState(ctx(t), inc.ID, "closed", "", c1)
	wantErr(t, "SetState unknown state", err, store.ErrInvalid)
	_, err = is.SetState(ctx(t), "missing", store.IncidentResolved, "", c1)
	wantErr(t, "SetState missing", err, store.ErrNotFound)
}

func testIncidentList(t *testing.T, s store.Store) {
	is := s.Incidents()
	var all []store.Incident
	for i := range 14 {
		a := hostAlert(fmt.Sprintf("al-%02d", i), []string{"agent-1", "agent-2"}[i%2], "", "r",
			[]store.Severity{store.SeverityLow, store.SeverityHigh, store.SeverityCritical}[i%3],
			at(time.Duration(i/2)*time.Second))
		raise(t, s, a)
		inc, isNew := attach(t, s, a.ID, at(time.Hour), ent(store.EntityDomain, fmt.Sprintf("c%d.example", i)))
		if !isNew {
			t.Fatalf("alert %d joined %s", i, inc.ID)
		}
		all = append(all, inc)
	}
	// A third host joins the first incident; two incidents change state.
	raise(t, s, hostAlert("al-x", "agent-3", "", "r", store.SeverityLow, at(0)))
	joined, _ := attach(t, s, "al-x", at(2*time.Hour), ent(store.EntityDomain, "c0.example"))
	all[0] = joined
	for _, i := range []int{3, 8} {
		var err error
		all[i], err = is.SetState(ctx(t), all[i].ID, store.IncidentResolved, "", store.IncidentComment{At: at(3 * time.Hour)})
		must(t, err)
	}
	// Most recently seen first, then by id descending.
	slices.SortFunc(all, func(a, b store.Incident) int {
		if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	match := func(keep func(store.Incident) bool) []store.Incident {
		out := []store.Incident{}
		for _, inc := range all {
			if keep(inc) {
				out = append(out, inc)
			}
		}
		return out
	}
	hasAgent := func(id string) func(store.Incident) bool {
		return func(inc store.Incident) bool { return slices.Contains(inc.AgentIDs, id) }
	}
	tests := []struct {
		name string
		f    store.IncidentFilter
		want []store.Incident
	}{
		{"all", store.IncidentFilter{}, all},
		{"agent", store.IncidentFilter{AgentID: "agent-1"}, match(hasAgent("agent-1"))},
		{"joined agent", store.IncidentFilter{AgentID: "agent-3"}, match(hasAgent("agent-3"))},
		{"state", store.IncidentFilter{State: store.IncidentResolved},
			match(func(inc store.Incident) bool { return inc.State == store.IncidentResolved })},
		{"severity", store.IncidentFilter{Severity: store.SeverityCritical},
			match(func(inc store.Incident) bool { return inc.Severity == store.SeverityCritical })},
		{"agent, state and severity", store.IncidentFilter{AgentID: "agent-2", State: store.IncidentOpen, Severity: store.SeverityHigh},
			match(func(inc store.Incident) bool {
				return hasAgent("agent-2")(inc) && inc.State == store.IncidentOpen && inc.Severity == store.SeverityHigh
			})},
		{"none", store.IncidentFilter{AgentID: "agent-9"}, []store.Incident{}},
	}
	if len(tests[2].want) != 1 || len(tests[5].want) == 0 {
		t.Fatalf("fixture: %d incidents of the joined agent, %d of the combined filter", len(tests[2].want), len(tests[5].want))
	}
	for _, tt := range tests {
		for _, limit := range []int{1, 3, 100} {
			t.Run(fmt.Sprintf("%s/limit %d", tt.name, limit), func(t *testing.T) {
				got := collect(t, limit, func(p store.Page) ([]store.Incident, string, error) {
					f := tt.f
					f.Page = p
					return is.List(ctx(t), f)
				})
				if got == nil {
					got = []store.Incident{}
				}
				diff(t, "incidents", tt.want, got)
			})
		}
	}
	for _, c := range garbageCursors {
		_, _, err := is.List(ctx(t), store.IncidentFilter{Page: store.Page{Cursor: c}})
		wantErr(t, fmt.Sprintf("cursor %.20q", c), err, store.ErrBadCursor)
	}
}

func testIncidentAlerts(t *testing.T, s store.Store) {
	is := s.Incidents()
	var members []store.Alert // oldest first, id ascending on ties
	var first store.Incident
	for i := range 7 {
		a := raise(t, s, alert(fmt.Sprintf("al-%02d", 6-i), "", at(time.Duration((6-i)/2)*time.Second)))
		inc, _ := attach(t, s, a.ID, at(time.Minute), attackerIP)
		first = inc
		a.IncidentID = inc.ID
		members = append(members, a)
	}
	slices.SortFunc(members, func(a, b store.Alert) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	raise(t, s, alert("al-other", "", at(0)))
	other, _ := attach(t, s, "al-other", at(time.Minute), dropper)
	raise(t, s, alert("al-loose", "", at(0)))

	for _, limit := range []int{1, 2, 3, 7, 100} {
		got := collect(t, limit, func(p store.Page) ([]store.Alert, string, error) {
			return is.Alerts(ctx(t), first.ID, p)
		})
		diff(t, fmt.Sprintf("Alerts limit %d", limit), members, got)
		// The alert listing filters by incident too, newest first.
		got = collect(t, limit, func(p store.Page) ([]store.Alert, string, error) {
			return s.Alerts().List(ctx(t), store.AlertFilter{IncidentID: first.ID, Page: p})
		})
		slices.Reverse(got)
		diff(t, fmt.Sprintf("alerts of the incident, limit %d", limit), members, got)
	}
	got, next, err := is.Alerts(ctx(t), other.ID, store.Page{})
	must(t, err)
	if len(got) != 1 || got[0].ID != "al-other" || next != "" {
		t.Fatalf("other incident's alerts: %d, next %q", len(got), next)
	}

	_, _, err = is.Alerts(ctx(t), "missing", store.Page{})
	wantErr(t, "Alerts of a missing incident", err, store.ErrNotFound)
	_, next, err = is.Alerts(ctx(t), first.ID, store.Page{Limit: 2})
	must(t, err)
	_, _, err = is.Alerts(ctx(t), other.ID, store.Page{Cursor: next})
	wantErr(t, "cursor of another incident", err, store.ErrBadCursor)
	_, _, err = is.List(ctx(t), store.IncidentFilter{Page: store.Page{Cursor: next}})
	wantErr(t, "alerts cursor for incidents", err, store.ErrBadCursor)
	for _, c := range garbageCursors {
		_, _, err := is.Alerts(ctx(t), first.ID, store.Page{Cursor: c})
		wantErr(t, fmt.Sprintf("cursor %.20q", c), err, store.ErrBadCursor)
	}
}
