package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// concrete fills a route's path parameters.
func concrete(path string) string {
	return strings.NewReplacer("{id}", "x1", "{name...}", "linux/x1.yml", "{name}", "p1").Replace(path)
}

// TestRoleBoundaries calls every route with no token, a bad token and each
// role's token: 401 without a valid token, 403 (and an audit entry with
// result denied) below the route's role, neither at or above it.
func TestRoleBoundaries(t *testing.T) {
	e := newEnv(t)
	for _, rt := range routeTable() {
		if rt.role == noAuth {
			continue
		}
		path := concrete(rt.path)
		t.Run(rt.pattern(), func(t *testing.T) {
			for name, token := range map[string]string{"no token": "", "bad token": "vgt_nope_" + strings.Repeat("0", 64)} {
				status, data := e.do(rt.method, path, token, "{}")
				if status != http.StatusUnauthorized || errorCode(t, data) != "unauthorized" {
					t.Errorf("%s: status %d %s", name, status, data)
				}
			}
			for _, role := range auth.Roles() {
				status, data := e.do(rt.method, path, e.tokens[role], "{}")
				if auth.Allowed(role, rt.role) {
					if status == http.StatusUnauthorized || status == http.StatusForbidden {
						t.Errorf("%s: status %d %s", role, status, data)
					}
					continue
				}
				if status != http.StatusForbidden || errorCode(t, data) != "forbidden" {
					t.Errorf("%s: status %d %s, want 403", role, status, data)
					continue
				}
				entries := e.audit(rt.action)
				if len(entries) == 0 || entries[0].Result != "denied" || entries[0].Actor != "token:"+string(role)+"-bot" ||
					entries[0].Role != role || entries[0].SourceIP != "127.0.0.1" {
					t.Errorf("%s: no denied audit entry for %s: %+v", role, rt.action, entries)
				}
			}
		})
	}
}

func TestUnauthenticatedIsNotAudited(t *testing.T) {
	e := newEnv(t)
	before := len(e.audit(""))
	for i := 0; i < 5; i++ {
		e.do("DELETE", "/api/v1/agents/a1", "", nil)
		e.do("POST", "/api/v1/tokens", "vgt_bad_"+strings.Repeat("1", 40), "{}")
	}
	if after := len(e.audit("")); after != before {
		t.Fatalf("anonymous calls wrote %d audit entries", after-before)
	}
}

func TestUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/api/v1/nope", 404, "not_found"},
		{"GET", "/api/v1/agents/a1/nope", 404, "not_found"},
		{"PATCH", "/api/v1/agents/a1", 405, "method_not_allowed"},
		{"POST", "/api/v1/agents", 405, "method_not_allowed"},
		{"GET", "/api/v1/enroll", 405, "method_not_allowed"},
	} {
		status, data := e.do(tc.method, tc.path, e.tokens[store.RoleAdmin], nil)
		if status != tc.status || errorCode(t, data) != tc.code {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, status, data)
		}
	}
	status, data := e.do("GET", "/agents", "", nil)
	if status != 200 || !strings.Contains(string(data), "<title>Vigil</title>") {
		t.Errorf("console route: %d %s", status, data)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t)
	var health map[string]string
	e.call("GET", "/healthz", "", nil, 200, &health)
	if health["status"] != "ok" {
		t.Fatalf("healthz %v", health)
	}
	data := e.call("GET", "/metrics", store.RoleAdmin, nil, 200, nil)
	if string(data) != "vigil_up 1\n" || e.metricsCalls.Load() != 1 {
		t.Fatalf("metrics %q (%d calls)", data, e.metricsCalls.Load())
	}
	e.call("GET", "/metrics", store.RoleResponder, nil, 403, nil)
	e.st.Close()
	status, _ := e.do("GET", "/healthz", "", nil)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("healthz with a closed store: %d", status)
	}
}

func TestMe(t *testing.T) {
	e := newEnv(t)
	var me meAnswer
	e.call("GET", "/api/v1/me", store.RoleAnalyst, nil, 200, &me)
	if me.Name != "analyst-bot" || me.Role != store.RoleAnalyst || me.Kind != auth.KindAPI {
		t.Fatalf("me %+v", me)
	}
}
