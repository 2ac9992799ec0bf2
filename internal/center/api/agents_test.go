package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/store"
)

type agentList struct {
	Items      []agentView `json:"items"`
	NextCursor string      `json:"next_cursor"`
}

func ids(agents []agentView) []string {
	var out []string
	for _, a := range agents {
		out = append(out, a.ID)
	}
	return out
}

func TestListAgents(t *testing.T) {
	e := newEnv(t)
	e.addAgent("a1", "db-1", store.StatusOnline, map[string]string{"env": "prod", "role": "db"})
	e.addAgent("a2", "web-1", store.StatusOnline, map[string]string{"env": "prod", "role": "web"})
	e.addAgent("a3", "web-2", store.StatusLost, map[string]string{"env": "test", "role": "web"})
	e.addAgent("a4", "oa-1", store.StatusStopped, nil)
	e.addAgent("a5", "oa-2", store.StatusOnline, nil)

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"a1", "a4", "a5", "a2", "a3"}},
		{"status=online", []string{"a1", "a5", "a2"}},
		{"label=env=prod", []string{"a1", "a2"}},
		{"label=env=prod&label=role=web", []string{"a2"}},
		{"q=WEB", []string{"a2", "a3"}},
		{"q=10.1.0.4", []string{"a4"}},
		{"status=lost&label=role=web", []string{"a3"}},
	} {
		var got agentList
		e.call("GET", "/api/v1/agents?"+tc.query, store.RoleViewer, nil, 200, &got)
		if diff := cmp.Diff(tc.want, ids(got.Items)); diff != "" {
			t.Errorf("%q: (-want +got)\n%s", tc.query, diff)
		}
	}
	var all agentList
	e.call("GET", "/api/v1/agents", store.RoleViewer, nil, 200, &all)
	if a := all.Items[1]; a.Labels == nil || a.IPs == nil || a.LastState != nil {
		t.Errorf("agent without labels: %+v", a)
	}

	// Paging: two at a time until the cursor is empty.
	var paged []string
	cursor := ""
	for i := 0; i < 5; i++ {
		var page agentList
		e.call("GET", "/api/v1/agents?limit=2&cursor="+url.QueryEscape(cursor), store.RoleViewer, nil, 200, &page)
		paged = append(paged, ids(page.Items)...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if diff := cmp.Diff(ids(all.Items), paged); diff != "" {
		t.Errorf("paged listing differs: %s", diff)
	}

	for _, q := range []string{"status=gone", "label=env", "label==x", "limit=0", "limit=1001", "limit=x", "cursor=garbage"} {
		status, data := e.do("GET", "/api/v1/agents?"+q, e.tokens[store.RoleViewer], nil)
		if status != 400 || errorCode(t, data) != "bad_request" {
			t.Errorf("%q: %d %s", q, status, data)
		}
	}
}

func TestGetAgent(t *testing.T) {
	e := newEnv(t)
	a := e.addAgent("a1", "db-1", store.StatusOnline, map[string]string{"env": "prod"})
	a.LastState = []byte(`{"plugins":[{"name":"os/dpkg","state":"idle"}]}`)
	if err := e.st.Agents().Update(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	e.call("GET", "/api/v1/agents/a1", store.RoleViewer, nil, 200, &raw)
	state, ok := raw["last_state"].(map[string]any)
	if !ok || state["plugins"] == nil {
		t.Fatalf("last_state is not the JSON document: %v", raw["last_state"])
	}
	if raw["hostname"] != "db-1" || raw["status"] != "online" || raw["user_key"] == nil {
		t.Fatalf("agent %v", raw)
	}
	status, data := e.do("GET", "/api/v1/agents/nope", e.tokens[store.RoleViewer], nil)
	if status != 404 || errorCode(t, data) != "not_found" {
		t.Fatalf("missing agent: %d %s", status, data)
	}
}

func TestAgentLabels(t *testing.T) {
	e := newEnv(t)
	e.addAgent("a1", "db-1", store.StatusOnline, map[string]string{"env": "prod"})
	var a agentView
	e.call("PUT", "/api/v1/agents/a1/labels", store.RoleResponder, map[string]any{"labels": map[string]string{"env": "test", "tier": "1"}}, 200, &a)
	if diff := cmp.Diff(map[string]string{"env": "test", "tier": "1"}, a.Labels); diff != "" {
		t.Fatal(diff)
	}
	if published, _ := e.pub.counts(); !slices.Equal(published, []string{"a1"}) {
		t.Fatalf("published %v", published)
	}
	entries := e.audit("agent.labels")
	if len(entries) != 1 || entries[0].Target != "a1" || entries[0].Result != "ok" || entries[0].Actor != "token:responder-bot" {
		t.Fatalf("audit %+v", entries)
	}
	for name, body := range map[string]any{
		"missing labels": map[string]any{},
		"bad key":        map[string]any{"labels": map[string]string{"a b": "x"}},
		"control value":  map[string]any{"labels": map[string]string{"a": "x\ny"}},
	} {
		status, data := e.do("PUT", "/api/v1/agents/a1/labels", e.tokens[store.RoleResponder], body)
		if status != 400 {
			t.Errorf("%s: %d %s", name, status, data)
		}
	}
	status, _ := e.do("PUT", "/api/v1/agents/zz/labels", e.tokens[store.RoleResponder], map[string]any{"labels": map[string]string{}})
	if status != 404 {
		t.Errorf("labels of a missing agent: %d", status)
	}
	if entries := e.audit("agent.labels"); entries[0].Result != "error" || entries[0].Detail["status"] != float64(404) {
		t.Errorf("failed call audited as %+v", entries[0])
	}
}

func TestAgentHistoryAndPolicy(t *testing.T) {
	e := newEnv(t)
	e.addAgent("a1", "db-1", store.StatusOnline, map[string]string{"env": "prod"})
	ctx := context.Background()
	for i, to := range []store.AgentStatus{store.StatusLost, store.StatusOnline, store.StatusStopped} {
		e.clock.Advance(1e9)
		if _, err := e.st.Agents().SetStatus(ctx, "a1", to, fmt.Sprint("step ", i), e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	var hist struct {
		Items []store.StatusChange `json:"items"`
	}
	e.call("GET", "/api/v1/agents/a1/history?limit=2", store.RoleViewer, nil, 200, &hist)
	if len(hist.Items) != 2 || hist.Items[0].To != store.StatusStopped || hist.Items[1].To != store.StatusOnline {
		t.Fatalf("history %+v", hist.Items)
	}
	e.call("GET", "/api/v1/agents/nope/history", store.RoleViewer, nil, 404, nil)

	e.call("PUT", "/api/v1/agent-policies/prod", store.RoleAdmin, map[string]any{
		"selector": map[string]string{"env": "prod"}, "priority": 10,
		"spec": json.RawMessage(`{"heartbeatIntervalSeconds": 5, "collectors": {"os/dpkg": {"enabled": true, "intervalSeconds": 3600}}}`),
	}, 200, nil)
	var pol map[string]any
	e.call("GET", "/api/v1/agents/a1/policy", store.RoleViewer, nil, 200, &pol)
	if pol["name"] != "prod" || pol["heartbeatIntervalSeconds"] != "5" || pol["sensors"] == nil {
		t.Fatalf("effective policy %v", pol)
	}
}

func TestDeleteAgent(t *testing.T) {
	e := newEnv(t)
	e.addAgent("a1", "db-1", store.StatusOnline, nil)
	e.call("DELETE", "/api/v1/agents/a1", store.RoleAdmin, nil, 204, nil)
	if got := e.rev.list(); !slices.Equal(got, []string{"a1"}) {
		t.Fatalf("revoked %v", got)
	}
	if _, err := e.st.Agents().Get(context.Background(), "a1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("agent still stored: %v", err)
	}
	if published, _ := e.pub.counts(); !slices.Equal(published, []string{"a1"}) {
		t.Fatalf("policy key not removed: %v", published)
	}
	entries := e.audit("agent.delete")
	if len(entries) != 1 || entries[0].Result != "ok" || entries[0].Target != "a1" || entries[0].Detail["hostname"] != "db-1" {
		t.Fatalf("audit %+v", entries)
	}
	e.call("DELETE", "/api/v1/agents/a1", store.RoleAdmin, nil, 404, nil)
	if len(e.rev.list()) != 1 {
		t.Fatal("a missing agent was revoked")
	}
}
