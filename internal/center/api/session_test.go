package api

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/store"
)

func TestLoginLogout(t *testing.T) {
	e := newEnv(t)
	e.call("POST", "/api/v1/users", store.RoleAdmin, map[string]any{"name": "carol", "password": "carol-secret-pw", "role": "responder"}, 201, nil)

	var sess loginAnswer
	e.call("POST", "/api/v1/login", "", map[string]any{"username": "carol", "password": "carol-secret-pw"}, 200, &sess)
	if !strings.HasPrefix(sess.Token, auth.SessionPrefix) || !sess.ExpiresAt.Equal(e.clock.Now().Add(auth.SessionTTL)) || sess.User.Name != "carol" {
		t.Fatalf("session %+v", sess)
	}
	e.tokens["carol"] = sess.Token
	var me meAnswer
	e.call("GET", "/api/v1/me", "carol", nil, 200, &me)
	if me != (meAnswer{Name: "carol", Role: store.RoleResponder, Kind: auth.KindSession}) {
		t.Fatalf("me %+v", me)
	}
	if got := e.audit("login"); len(got) != 1 || got[0].Action != "login" || got[0].Actor != "carol" || got[0].Role != store.RoleResponder {
		t.Fatalf("audit %+v", got)
	}

	for _, body := range []map[string]any{
		{"username": "carol", "password": "wrong-password"},
		{"username": "nobody", "password": "carol-secret-pw"},
	} {
		status, data := e.do("POST", "/api/v1/login", "", body)
		if status != 401 || !strings.Contains(string(data), "invalid user name or password") {
			t.Fatalf("%v: %d %s", body["username"], status, data)
		}
	}
	failed := e.audit("login.failed")
	if len(failed) != 2 || failed[0].Actor != "nobody" || failed[0].Result != "error" {
		t.Fatalf("failed logins audit %+v", failed)
	}
	for i := 0; i < auth.LoginFailuresPerUser; i++ {
		e.do("POST", "/api/v1/login", "", map[string]any{"username": "carol", "password": "wrong-password"})
	}
	status, data := e.do("POST", "/api/v1/login", "", map[string]any{"username": "carol", "password": "carol-secret-pw"})
	if status != 429 || errorCode(t, data) != "too_many_requests" {
		t.Fatalf("throttled login: %d %s", status, data)
	}
	if got := e.audit("login.failed"); len(got) != 1+auth.LoginFailuresPerUser { // nobody once, carol until blocked
		t.Fatalf("%d failed logins audited, want each failure but not the refused attempt", len(got))
	}
	e.clock.Advance(auth.LoginWindow)
	e.call("POST", "/api/v1/login", "", map[string]any{"username": "carol", "password": "carol-secret-pw"}, 200, nil)

	e.call("POST", "/api/v1/logout", store.RoleAdmin, nil, 400, nil)
	e.call("POST", "/api/v1/logout", "carol", nil, 204, nil)
	e.call("GET", "/api/v1/me", "carol", nil, 401, nil)
	before := len(e.audit(""))
	e.call("POST", "/api/v1/login", "", map[string]any{"username": "", "password": "x"}, 400, nil)
	e.call("POST", "/api/v1/login", "", "{", 400, nil)
	if after := len(e.audit("")); after != before {
		t.Fatalf("malformed logins wrote %d audit entries", after-before)
	}

	// A session expires after 12 hours.
	e.call("POST", "/api/v1/login", "", map[string]any{"username": "carol", "password": "carol-secret-pw"}, 200, &sess)
	e.tokens["carol"] = sess.Token
	e.clock.Advance(auth.SessionTTL)
	e.call("GET", "/api/v1/me", "carol", nil, 401, nil)
}
