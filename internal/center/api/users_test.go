package api

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

func TestUsers(t *testing.T) {
	e := newEnv(t)
	var alice store.User
	data := e.call("POST", "/api/v1/users", store.RoleAdmin, map[string]any{"name": "alice", "password": "alice-secret-pw", "role": "admin"}, 201, &alice)
	if alice.ID == "" || alice.Role != store.RoleAdmin || strings.Contains(string(data), "argon2") || strings.Contains(string(data), "password") {
		t.Fatalf("created %s", data)
	}
	status, body := e.do("POST", "/api/v1/users", e.tokens[store.RoleAdmin], map[string]any{"name": "alice", "password": "another-password", "role": "viewer"})
	if status != 409 || errorCode(t, body) != "conflict" {
		t.Fatalf("duplicate name: %d %s", status, body)
	}
	for name, b := range map[string]any{
		"short password": map[string]any{"name": "bob", "password": "short", "role": "viewer"},
		"bad role":       map[string]any{"name": "bob", "password": "long-enough-pw", "role": "root"},
		"bad name":       map[string]any{"name": "-bob", "password": "long-enough-pw", "role": "viewer"},
	} {
		if status, data := e.do("POST", "/api/v1/users", e.tokens[store.RoleAdmin], b); status != 400 {
			t.Errorf("%s: %d %s", name, status, data)
		}
	}
	var bob store.User
	e.call("POST", "/api/v1/users", store.RoleAdmin, map[string]any{"name": "bob", "password": "bob-secret-pw", "role": "viewer"}, 201, &bob)

	data = e.call("GET", "/api/v1/users", store.RoleAdmin, nil, 200, nil)
	if strings.Contains(string(data), "argon2") || !strings.Contains(string(data), `"bob"`) {
		t.Fatalf("listing %s", data)
	}
	e.call("GET", "/api/v1/users/"+bob.ID, store.RoleAdmin, nil, 200, nil)
	e.call("GET", "/api/v1/users/none", store.RoleAdmin, nil, 404, nil)

	// The last enabled admin can be neither demoted, disabled nor deleted.
	for _, tc := range []struct {
		method string
		body   any
	}{
		{"PATCH", map[string]any{"role": "responder"}},
		{"PATCH", map[string]any{"disabled": true}},
		{"DELETE", nil},
	} {
		status, data := e.do(tc.method, "/api/v1/users/"+alice.ID, e.tokens[store.RoleAdmin], tc.body)
		if status != 409 || errorCode(t, data) != "conflict" {
			t.Errorf("%s %v on the last admin: %d %s", tc.method, tc.body, status, data)
		}
	}
	var u store.User
	e.call("PATCH", "/api/v1/users/"+bob.ID, store.RoleAdmin, map[string]any{"role": "admin"}, 200, &u)
	if u.Role != store.RoleAdmin {
		t.Fatalf("promoted %+v", u)
	}
	e.call("PATCH", "/api/v1/users/"+alice.ID, store.RoleAdmin, map[string]any{"role": "analyst"}, 200, &u)
	e.call("PATCH", "/api/v1/users/"+bob.ID, store.RoleAdmin, map[string]any{"disabled": true}, 409, nil)
	e.call("PATCH", "/api/v1/users/"+alice.ID, store.RoleAdmin, map[string]any{"password": "x"}, 400, nil)
	e.call("PATCH", "/api/v1/users/"+alice.ID, store.RoleAdmin, map[string]any{"nickname": "al"}, 400, nil)

	// Disabling ends the user's sessions; deleting removes them.
	var sess loginAnswer
	e.call("POST", "/api/v1/login", "", map[string]any{"username": "alice", "password": "alice-secret-pw"}, 200, &sess)
	e.tokens["alice"] = sess.Token
	e.call("GET", "/api/v1/me", "alice", nil, 200, nil)
	e.call("PATCH", "/api/v1/users/"+alice.ID, store.RoleAdmin, map[string]any{"disabled": true}, 200, nil)
	e.call("GET", "/api/v1/me", "alice", nil, 401, nil)
	e.call("DELETE", "/api/v1/users/"+alice.ID, store.RoleAdmin, nil, 204, nil)
	e.call("DELETE", "/api/v1/users/"+alice.ID, store.RoleAdmin, nil, 404, nil)

	entries := e.audit("user.")
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action+":"+en.Result)
		for k := range en.Detail {
			if strings.Contains(k, "password") && k != "password_changed" {
				t.Errorf("audit detail has %q", k)
			}
		}
	}
	joined := strings.Join(actions, " ")
	for _, want := range []string{"user.create:ok", "user.create:error", "user.update:ok", "user.update:error", "user.delete:ok", "user.delete:error"} {
		if !strings.Contains(joined, want) {
			t.Errorf("audit misses %s: %s", want, joined)
		}
	}
}
