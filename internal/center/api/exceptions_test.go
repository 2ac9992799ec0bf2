package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/center/api/apitest"
	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/store"
)

func TestExceptions(t *testing.T) {
	e := newEnv(t)
	expires := e.clock.Now().Add(7 * 24 * time.Hour)
	var created store.Exception
	e.call("POST", "/api/v1/exceptions", store.RoleAnalyst, map[string]any{
		"rule_id": apitest.RuleCurlPipe, "match": map[string][]string{"process.parent.executable": {"/usr/bin/apt*", "/usr/bin/dpkg"}},
		"reason": "package installs fetch and run scripts", "expires_at": expires,
	}, 201, &created)
	if created.ID == "" || created.RuleID != apitest.RuleCurlPipe || created.Author != "token:analyst-bot" ||
		!created.ExpiresAt.Equal(expires) || !created.CreatedAt.Equal(e.clock.Now()) || len(created.Match["process.parent.executable"]) != 2 {
		t.Fatalf("created %+v", created)
	}
	var other store.Exception
	e.clock.Advance(time.Minute)
	e.call("POST", "/api/v1/exceptions", store.RoleAnalyst, map[string]any{"agent_id": "a1", "reason": "lab host"}, 201, &other)

	var page struct {
		Items []store.Exception `json:"items"`
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{other.ID, created.ID}},
		{"rule_id=" + apitest.RuleCurlPipe, []string{created.ID}},
		{"agent_id=a1", []string{other.ID}},
		{"active=true", []string{other.ID, created.ID}},
	} {
		page.Items = nil
		e.call("GET", "/api/v1/exceptions?"+tc.query, store.RoleViewer, nil, 200, &page)
		var got []string
		for _, x := range page.Items {
			got = append(got, x.ID)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q: %s", tc.query, diff)
		}
	}
	for _, q := range []string{"active=yes", "limit=5000", "rule_id=" + strings.Repeat("r", maxQueryLen+1)} {
		e.call("GET", "/api/v1/exceptions?"+q, store.RoleViewer, nil, 400, nil)
	}

	var got store.Exception
	e.call("GET", "/api/v1/exceptions/"+created.ID, store.RoleViewer, nil, 200, &got)
	if got.Reason != "package installs fetch and run scripts" {
		t.Errorf("get %+v", got)
	}
	e.call("GET", "/api/v1/exceptions/nope", store.RoleViewer, nil, 404, nil)

	e.clock.Advance(time.Minute)
	got = store.Exception{}
	e.call("PUT", "/api/v1/exceptions/"+created.ID, store.RoleAnalyst, map[string]any{
		"rule_id": apitest.RuleCurlPipe, "match": map[string][]string{"user.name": {"root"}}, "reason": "only root",
	}, 200, &got)
	if got.Reason != "only root" || !got.ExpiresAt.IsZero() || len(got.Match) != 1 || got.Author != "token:analyst-bot" ||
		!got.UpdatedAt.Equal(e.clock.Now()) || !got.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("updated %+v", got)
	}
	e.call("PUT", "/api/v1/exceptions/nope", store.RoleAnalyst, map[string]any{"agent_id": "a1", "reason": "x"}, 404, nil)

	// Once expired, an exception is no longer active.
	e.call("PUT", "/api/v1/exceptions/"+other.ID, store.RoleAnalyst, map[string]any{"agent_id": "a1", "reason": "lab host",
		"expires_at": e.clock.Now().Add(time.Hour)}, 200, nil)
	e.clock.Advance(2 * time.Hour)
	page.Items = nil
	e.call("GET", "/api/v1/exceptions?active=true", store.RoleViewer, nil, 200, &page)
	if len(page.Items) != 1 || page.Items[0].ID != created.ID {
		t.Errorf("active after expiry %+v", page.Items)
	}

	e.call("DELETE", "/api/v1/exceptions/"+created.ID, store.RoleAnalyst, nil, 204, nil)
	e.call("DELETE", "/api/v1/exceptions/"+created.ID, store.RoleAnalyst, nil, 404, nil)

	entries := e.audit("exception.")
	var actions []string
	for _, x := range entries {
		actions = append(actions, x.Action+":"+x.Result)
	}
	want := []string{"exception.delete:error", "exception.delete:ok", "exception.update:ok", "exception.update:error",
		"exception.update:ok", "exception.create:ok", "exception.create:ok"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	if d := entries[6].Detail; entries[6].Target != created.ID || d["rule_id"] != apitest.RuleCurlPipe ||
		d["reason"] != "package installs fetch and run scripts" || d["expires_at"] == nil || d["match"] == nil {
		t.Errorf("create audit %+v", entries[6])
	}
	if d := entries[1].Detail; d["hits"] != float64(0) || d["rule_id"] != apitest.RuleCurlPipe {
		t.Errorf("delete audit %+v", entries[1])
	}
}

func TestExceptionInput(t *testing.T) {
	e := newEnv(t)
	tooMany := map[string][]string{}
	for i := range maxMatchFields + 1 {
		tooMany[fmt.Sprintf("labels.f%d", i)] = []string{"x"}
	}
	patterns := make([]string, maxMatchPatterns+1)
	for i := range patterns {
		patterns[i] = "p"
	}
	past := e.clock.Now().Add(-time.Minute)
	for _, tc := range []struct {
		name string
		body any
		msg  string
	}{
		{"no reason", map[string]any{"agent_id": "a1"}, "reason: required"},
		{"blank reason", map[string]any{"agent_id": "a1", "reason": "  "}, "reason: required"},
		{"unknown rule", map[string]any{"rule_id": "nope", "reason": "r"}, `rule_id "nope": no such rule`},
		{"rule that failed to load", map[string]any{"rule_id": apitest.RuleShadowRead, "reason": "r"}, "no such rule"},
		{"bad agent", map[string]any{"agent_id": "a b", "reason": "r"}, "not an agent id"},
		{"every event", map[string]any{"reason": "r"}, "at least one field"},
		{"empty match", map[string]any{"match": map[string][]string{}, "reason": "r"}, "at least one field"},
		{"bad field", map[string]any{"match": map[string][]string{"process executable": {"x"}}, "reason": "r"}, "dotted ECS field"},
		{"dotted nothing", map[string]any{"match": map[string][]string{"process..name": {"x"}}, "reason": "r"}, "dotted ECS field"},
		{"long field", map[string]any{"match": map[string][]string{strings.Repeat("a", maxFieldPathLen+1): {"x"}}, "reason": "r"}, "dotted ECS field"},
		{"no pattern", map[string]any{"match": map[string][]string{"user.name": {}}, "reason": "r"}, "want 1 to 64 patterns"},
		{"empty pattern", map[string]any{"match": map[string][]string{"user.name": {""}}, "reason": "r"}, "a pattern is empty"},
		{"control pattern", map[string]any{"match": map[string][]string{"user.name": {"a\x1bb"}}, "reason": "r"}, "not printable"},
		{"too many patterns", map[string]any{"match": map[string][]string{"user.name": patterns}, "reason": "r"}, "want 1 to 64 patterns"},
		{"too many fields", map[string]any{"match": tooMany, "reason": "r"}, "at most 32 fields"},
		{"past expiry", map[string]any{"agent_id": "a1", "reason": "r", "expires_at": past}, "in the future"},
		{"not a time", `{"agent_id":"a1","reason":"r","expires_at":"tomorrow"}`, `parsing time "tomorrow"`},
		{"wrong type", `{"match":{"user.name":"root"},"reason":"r"}`, "want array, got string"},
		{"unknown field", `{"agent_id":"a1","reason":"r","hits":5}`, `unknown field "hits"`},
		{"huge", `{"reason":"` + strings.Repeat("x", maxBody) + `"}`, "larger than"},
	} {
		status, data := e.do("POST", "/api/v1/exceptions", e.tokens[store.RoleAnalyst], tc.body)
		if status/100 != 4 || !strings.Contains(errorMessage(data), tc.msg) {
			t.Errorf("%s: %d %s", tc.name, status, clip(string(data)))
		}
	}
	// @timestamp and ECS fields with digits, '_' and '-' are fields.
	e.call("POST", "/api/v1/exceptions", store.RoleAnalyst, map[string]any{"reason": "r",
		"match": map[string][]string{"@timestamp": {"2025-*"}, "process.args_count": {"3"}, "labels.k8s-app": {"x"}}}, 201, nil)
}

// FuzzDecodeException: any body decodes and is checked or gives a 400
// (or 503: the fuzzed server has no detection to look rules up in),
// never a panic.
func FuzzDecodeException(f *testing.F) {
	f.Add(`{"rule_id":"r1","match":{"process.executable":["/usr/bin/*"]},"reason":"ok","expires_at":"2030-01-01T00:00:00Z"}`)
	f.Add(`{"agent_id":"a1","reason":"lab"}`)
	f.Add(`{"match":{"":[""]},"reason":""}`)
	f.Add(`{"match":{"@.x":["a"]},"reason":"r"}`)
	f.Add(`{"match":null,"reason":1}`)
	s := &server{now: func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }}
	f.Fuzz(func(t *testing.T, body string) {
		var b apitypes.Exception
		err := decodeJSON([]byte(body), &b)
		if err == nil {
			err = s.checkException(b)
		}
		var ae *apiError
		if err != nil && (!errors.As(err, &ae) || ae.Status != http.StatusBadRequest && ae.Status != http.StatusServiceUnavailable) {
			t.Fatalf("not a client error: %v", err)
		}
	})
}
