package api

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

func TestAgentPolicies(t *testing.T) {
	e := newEnv(t)
	spec := json.RawMessage(`{"collectors": {"os/dpkg": {"enabled": true}}, "budget": {"cpuPercent": 2.5, "memoryMb": 128}}`)
	var p store.AgentPolicy
	e.call("PUT", "/api/v1/agent-policies/base", store.RoleAdmin, map[string]any{"spec": spec}, 200, &p)
	if p.Name != "base" || p.Revision != 1 || p.UpdatedBy != "token:bootstrap-admin" || p.Selector == nil {
		t.Fatalf("stored %+v", p)
	}
	e.call("PUT", "/api/v1/agent-policies/base", store.RoleAdmin, map[string]any{"spec": spec, "priority": 5}, 200, &p)
	if p.Revision != 2 || p.Priority != 5 {
		t.Fatalf("replaced %+v", p)
	}
	if _, all := e.pub.counts(); all != 2 {
		t.Fatalf("PublishAll called %d times, want 2", all)
	}
	if a := e.audit("policy.put"); len(a) != 2 || a[0].Target != "base" || a[0].Detail["revision"] != float64(2) {
		t.Fatalf("audit %+v", a)
	}

	for name, body := range map[string]any{
		"no spec":         map[string]any{"priority": 1},
		"spec not object": map[string]any{"spec": "x"},
		"unknown field":   map[string]any{"spec": json.RawMessage(`{"collectors": {}, "nope": 1}`)},
		"wrong type":      map[string]any{"spec": json.RawMessage(`{"heartbeatIntervalSeconds": "often"}`)},
		"negative":        map[string]any{"spec": json.RawMessage(`{"collectors": {"os/dpkg": {"intervalSeconds": -1}}}`)},
		"bad selector":    map[string]any{"spec": spec, "selector": map[string]string{"": "x"}},
	} {
		status, data := e.do("PUT", "/api/v1/agent-policies/p2", e.tokens[store.RoleAdmin], body)
		if status != 400 || errorCode(t, data) != "bad_request" {
			t.Errorf("%s: %d %s", name, status, data)
		}
	}
	status, _ := e.do("PUT", "/api/v1/agent-policies/..bad", e.tokens[store.RoleAdmin], map[string]any{"spec": spec})
	if status != 400 {
		t.Errorf("bad policy name: %d", status)
	}

	var got store.AgentPolicy
	e.call("GET", "/api/v1/agent-policies/base", store.RoleViewer, nil, 200, &got)
	var doc map[string]any
	if err := json.Unmarshal(got.Spec, &doc); err != nil || doc["budget"] == nil {
		t.Fatalf("spec %s: %v", got.Spec, err)
	}
	e.call("GET", "/api/v1/agent-policies/none", store.RoleViewer, nil, 404, nil)

	for _, n := range []string{"c", "a", "d"} {
		e.call("PUT", "/api/v1/agent-policies/"+n, store.RoleAdmin, map[string]any{"spec": json.RawMessage(`{}`)}, 200, nil)
	}
	var names []string
	cursor := ""
	for i := 0; i < 4; i++ {
		var page struct {
			Items      []store.AgentPolicy `json:"items"`
			NextCursor string              `json:"next_cursor"`
		}
		e.call("GET", "/api/v1/agent-policies?limit=3&cursor="+url.QueryEscape(cursor), store.RoleViewer, nil, 200, &page)
		for _, p := range page.Items {
			names = append(names, p.Name)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if want := []string{"a", "base", "c", "d"}; len(names) != 4 || names[0] != want[0] || names[3] != want[3] {
		t.Fatalf("paged names %v, want %v", names, want)
	}
	e.call("GET", "/api/v1/agent-policies?cursor=!!", store.RoleViewer, nil, 400, nil)

	e.call("DELETE", "/api/v1/agent-policies/base", store.RoleAdmin, nil, 204, nil)
	e.call("DELETE", "/api/v1/agent-policies/base", store.RoleAdmin, nil, 404, nil)
	if a := e.audit("policy.delete"); len(a) != 2 || a[1].Result != "ok" || a[0].Result != "error" {
		t.Fatalf("audit %+v", a)
	}
}
