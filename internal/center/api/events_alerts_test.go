package api

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

func TestEvents(t *testing.T) {
	e := newEnv(t)
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i := 0; i < 6; i++ {
		ev := event.New(fmt.Sprint("ev", i), base.Add(time.Duration(i)*time.Minute), []string{"process", "network"}[i%2], "start")
		ev.Set(event.FieldAgentID, []string{"a1", "a2"}[i/3])
		ev.Set(event.FieldProcessCmd, fmt.Sprint("/usr/bin/tool --run ", i))
		evs = append(evs, ev)
	}
	if _, err := e.st.Events().Insert(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	idsOf := func(query string) []string {
		t.Helper()
		var page struct {
			Items []event.Event `json:"items"`
		}
		e.call("GET", "/api/v1/events?"+query, store.RoleViewer, nil, 200, &page)
		var out []string
		for _, ev := range page.Items {
			id, _ := ev.Get(event.FieldID)
			out = append(out, fmt.Sprint(id))
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"ev5", "ev4", "ev3", "ev2", "ev1", "ev0"}},
		{"order=asc&limit=2", []string{"ev0", "ev1"}},
		{"agent_id=a1", []string{"ev2", "ev1", "ev0"}},
		{"category=network", []string{"ev5", "ev3", "ev1"}},
		{"since=" + url.QueryEscape(base.Add(2*time.Minute).Format(time.RFC3339)) + "&until=" + url.QueryEscape(base.Add(4*time.Minute).Format(time.RFC3339)), []string{"ev3", "ev2"}},
		{"q=RUN+4", []string{"ev4"}},
	} {
		if diff := cmp.Diff(tc.want, idsOf(tc.query)); diff != "" {
			t.Errorf("%q: %s", tc.query, diff)
		}
	}
	for _, q := range []string{"since=yesterday", "until=2025-13-01T00:00:00Z", "order=up", "since=2025-06-02T00:00:00Z&until=2025-06-01T00:00:00Z"} {
		if status, data := e.do("GET", "/api/v1/events?"+q, e.tokens[store.RoleViewer], nil); status != 400 {
			t.Errorf("%q: %d %s", q, status, data)
		}
	}
}

func raiseAlert(t *testing.T, st store.Store, id, agent string, sev store.Severity, at time.Time) store.Alert {
	t.Helper()
	a, _, err := st.Alerts().Raise(context.Background(), store.Alert{
		ID: id, AgentID: agent, RuleID: "vigil.agent.lost", Title: "Agent lost", Severity: sev, State: store.AlertNew,
		Techniques: []string{"T1562.001"}, DedupKey: id, Count: 1, CreatedAt: at, UpdatedAt: at, LastSeen: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAlerts(t *testing.T) {
	e := newEnv(t)
	at := e.clock.Now()
	raiseAlert(t, e.st, "al1", "a1", store.SeverityHigh, at)
	raiseAlert(t, e.st, "al2", "a2", store.SeverityLow, at.Add(time.Minute))

	var page struct {
		Items []store.Alert `json:"items"`
	}
	e.call("GET", "/api/v1/alerts?severity=high", store.RoleViewer, nil, 200, &page)
	if len(page.Items) != 1 || page.Items[0].ID != "al1" {
		t.Fatalf("high alerts %+v", page.Items)
	}
	e.call("GET", "/api/v1/alerts?agent_id=a2&state=new", store.RoleViewer, nil, 200, &page)
	if len(page.Items) != 1 || page.Items[0].ID != "al2" {
		t.Fatalf("a2 alerts %+v", page.Items)
	}
	// By technique (a parent matches its sub-techniques) and time.
	for q, want := range map[string]int{
		"technique=T1562": 2, "technique=t1562.001": 2, "technique=T1059": 0,
		"since=" + at.Add(30*time.Second).UTC().Format(time.RFC3339): 1,
	} {
		e.call("GET", "/api/v1/alerts?"+q, store.RoleViewer, nil, 200, &page)
		if len(page.Items) != want {
			t.Errorf("%s: %d alerts, want %d", q, len(page.Items), want)
		}
	}
	for _, q := range []string{"state=closed", "severity=urgent", "technique=T15", "technique=drop%20table", "since=yesterday"} {
		e.call("GET", "/api/v1/alerts?"+q, store.RoleViewer, nil, 400, nil)
	}
	var one store.Alert
	e.call("GET", "/api/v1/alerts/al1", store.RoleViewer, nil, 200, &one)
	if one.Title != "Agent lost" || len(one.Techniques) != 1 {
		t.Fatalf("alert %+v", one)
	}
	e.call("GET", "/api/v1/alerts/none", store.RoleViewer, nil, 404, nil)

	// Triage: each step from the state the previous one left.
	for _, tc := range []struct {
		to     store.AlertState
		status int
	}{
		{store.AlertNew, 409},
		{store.AlertAcknowledged, 200},
		{store.AlertAcknowledged, 409},
		{store.AlertNew, 200},
		{store.AlertResolved, 200},
		{store.AlertAcknowledged, 409},
		{store.AlertFalsePositive, 409},
		{store.AlertNew, 200},
		{store.AlertFalsePositive, 200},
		{store.AlertResolved, 409},
		{store.AlertNew, 200},
	} {
		status, data := e.do("POST", "/api/v1/alerts/al1/state", e.tokens[store.RoleAnalyst], map[string]any{"state": tc.to, "comment": "checked " + string(tc.to)})
		if status != tc.status {
			t.Fatalf("-> %s: %d %s", tc.to, status, data)
		}
	}
	e.call("GET", "/api/v1/alerts/al1", store.RoleViewer, nil, 200, &one)
	if one.State != store.AlertNew || len(one.Comments) != 6 || one.Comments[0].Author != "token:analyst-bot" {
		t.Fatalf("after triage %+v", one)
	}
	entries := e.audit("alert.state")
	if len(entries) != 11 || entries[0].Detail["from"] != "false_positive" || entries[0].Detail["to"] != "new" || entries[1].Result != "error" {
		t.Fatalf("audit %+v", entries[:2])
	}
	for name, body := range map[string]any{
		"bad state":    map[string]any{"state": "closed"},
		"long comment": map[string]any{"state": "acknowledged", "comment": string(make([]byte, maxTextLen+1))},
	} {
		if status, data := e.do("POST", "/api/v1/alerts/al1/state", e.tokens[store.RoleAnalyst], body); status != 400 {
			t.Errorf("%s: %d %s", name, status, data)
		}
	}
	e.call("POST", "/api/v1/alerts/none/state", store.RoleAnalyst, map[string]any{"state": "acknowledged"}, 404, nil)
}
