package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
)

func userKey(t *testing.T) string {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func enrollBody(token, key, hostname string) map[string]any {
	return map[string]any{
		"token": token, "public_key": key, "hostname": hostname, "machine_id": "m-" + hostname,
		"facts": map[string]any{"os": "linux", "platform": "debian", "kernel": "6.1.0", "arch": "amd64", "ips": []string{"10.2.0.7"}, "bootTimeUnix": "1700000000", "futureFact": true},
	}
}

// TestJoinTokenLifecycle creates a join token, enrolls with it until its
// usage limit, lets another expire and tries a token of another center.
func TestJoinTokenLifecycle(t *testing.T) {
	e := newEnv(t)
	var created joinTokenView
	e.call("POST", "/api/v1/tokens", store.RoleAdmin, map[string]any{
		"ttl": "2h", "labels": map[string]string{"env": "prod", "site": "idc-sh"}, "usage_limit": 1, "description": "first rack",
	}, 201, &created)
	if !strings.HasPrefix(created.Token, "vgl1."+created.ID+".") || !strings.HasSuffix(created.Token, "."+testCAHash) {
		t.Fatalf("token %q id %q", created.Token, created.ID)
	}
	if !created.ExpiresAt.Equal(e.clock.Now().Add(2*time.Hour)) || created.CreatedBy != "token:bootstrap-admin" || created.UsageLimit != 1 {
		t.Fatalf("created %+v", created)
	}

	var list struct {
		Items []map[string]any `json:"items"`
	}
	data := e.call("GET", "/api/v1/tokens", store.RoleAdmin, nil, 200, &list)
	secret := strings.Split(created.Token, ".")[2]
	if len(list.Items) != 1 || strings.Contains(string(data), secret) || list.Items[0]["token"] != nil {
		t.Fatalf("listing shows the secret or misses the token: %s", data)
	}

	key := userKey(t)
	var resp bus.EnrollResponse
	e.call("POST", "/api/v1/enroll", "", enrollBody(created.Token, key, "web-7"), 200, &resp)
	if resp.AgentID == "" || resp.NATSPort != 4222 || resp.Labels["site"] != "idc-sh" {
		t.Fatalf("enroll response %+v", resp)
	}
	claims, err := jwt.DecodeUserClaims(resp.UserJWT)
	if err != nil || claims.Subject != key || claims.Name != resp.AgentID {
		t.Fatalf("user JWT: %+v %v", claims, err)
	}
	a, err := e.st.Agents().Get(context.Background(), resp.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hostname != "web-7" || a.Status != store.StatusEnrolled || a.UserKey != key || a.Labels["env"] != "prod" ||
		a.JoinTokenID != created.ID || a.Platform != "debian" || a.MachineID != "m-web-7" || a.BootTime.Unix() != 1700000000 {
		t.Fatalf("agent %+v", a)
	}
	if got := e.audit("agent.enroll"); len(got) != 1 || got[0].Target != resp.AgentID || got[0].Result != "ok" {
		t.Fatalf("audit %+v", got)
	}

	status, body := e.do("POST", "/api/v1/enroll", "", enrollBody(created.Token, userKey(t), "web-8"))
	if status != 410 || errorCode(t, body) != "gone" || !strings.Contains(string(body), "join token used up") {
		t.Fatalf("second use of a one-use token: %d %s", status, body)
	}

	var short joinTokenView
	e.call("POST", "/api/v1/tokens", store.RoleAdmin, map[string]any{"ttl": "1m"}, 201, &short)
	e.clock.Advance(2 * time.Minute)
	status, body = e.do("POST", "/api/v1/enroll", "", enrollBody(short.Token, userKey(t), "web-9"))
	if status != 410 || !strings.Contains(string(body), "join token expired") {
		t.Fatalf("expired token: %d %s", status, body)
	}

	var fresh joinTokenView
	e.call("POST", "/api/v1/tokens", store.RoleAdmin, map[string]any{}, 201, &fresh)
	if !fresh.ExpiresAt.Equal(e.clock.Now().Add(defaultJoinTTL)) || fresh.UsageLimit != 0 {
		t.Fatalf("defaults: %+v", fresh)
	}
	parts := strings.Split(fresh.Token, ".")
	otherCA := strings.Join([]string{parts[0], parts[1], parts[2], strings.Repeat("ab", 32)}, ".")
	wrongSecret := strings.Join([]string{parts[0], parts[1], strings.Repeat("a", len(parts[2])), parts[3]}, ".")
	unknownID := strings.Join([]string{parts[0], "zzzzzzzz", parts[2], parts[3]}, ".")
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		msg    string
	}{
		{"other center", enrollBody(otherCA, userKey(t), "h"), 400, "token is for another center"},
		{"wrong secret", enrollBody(wrongSecret, userKey(t), "h"), 401, "invalid join token"},
		{"unknown id", enrollBody(unknownID, userKey(t), "h"), 401, "invalid join token"},
		{"malformed", enrollBody("vgl1.abc", userKey(t), "h"), 400, "malformed join token"},
		{"account key", enrollBody(fresh.Token, "A"+userKey(t)[1:], "h"), 400, "public_key"},
		{"no hostname", enrollBody(fresh.Token, userKey(t), ""), 400, "hostname"},
	} {
		status, body := e.do("POST", "/api/v1/enroll", "", tc.body)
		if status != tc.status || !strings.Contains(string(body), tc.msg) {
			t.Errorf("%s: %d %s", tc.name, status, body)
		}
	}
	if got := e.audit("agent.enroll"); len(got) != 4 || got[0].Result != "denied" {
		t.Fatalf("refusals of known tokens are audited: %+v", got)
	}

	e.call("DELETE", "/api/v1/tokens/"+fresh.ID, store.RoleAdmin, nil, 204, nil)
	e.call("DELETE", "/api/v1/tokens/"+fresh.ID, store.RoleAdmin, nil, 404, nil)
	status, body = e.do("POST", "/api/v1/enroll", "", enrollBody(fresh.Token, userKey(t), "web-10"))
	if status != 401 {
		t.Fatalf("deleted token: %d %s", status, body)
	}

	// Ten failures from one address within a minute block it.
	for i := 0; i < 10; i++ {
		e.do("POST", "/api/v1/enroll", "", enrollBody(wrongSecret, userKey(t), "h"))
	}
	status, body = e.do("POST", "/api/v1/enroll", "", enrollBody(fresh.Token, userKey(t), "h"))
	if status != 429 || errorCode(t, body) != "too_many_requests" {
		t.Fatalf("after ten failures: %d %s", status, body)
	}
}

func TestJoinTokenValidation(t *testing.T) {
	e := newEnv(t)
	for name, body := range map[string]any{
		"ttl too long":   map[string]any{"ttl": "721h"},
		"ttl negative":   map[string]any{"ttl": "-1h"},
		"ttl garbage":    map[string]any{"ttl": "1 day"},
		"usage negative": map[string]any{"usage_limit": -1},
		"bad label":      map[string]any{"labels": map[string]string{"a=b": "c"}},
		"long desc":      map[string]any{"description": strings.Repeat("x", 300)},
	} {
		if status, data := e.do("POST", "/api/v1/tokens", e.tokens[store.RoleAdmin], body); status != 400 {
			t.Errorf("%s: %d %s", name, status, data)
		}
	}
	e.call("POST", "/api/v1/tokens", store.RoleAdmin, map[string]any{"ttl": "720h"}, 201, nil)
}

func TestAPITokens(t *testing.T) {
	e := newEnv(t)
	var created apiTokenView
	e.call("POST", "/api/v1/api-tokens", store.RoleAdmin, map[string]any{"name": "automation", "role": "analyst", "ttl": "720h"}, 201, &created)
	if !strings.HasPrefix(created.Token, "vgt_"+created.ID+"_") || created.Role != store.RoleAnalyst || created.ExpiresAt == nil {
		t.Fatalf("created %+v", created)
	}
	e.tokens["automation"] = created.Token
	var me meAnswer
	e.call("GET", "/api/v1/me", "automation", nil, 200, &me)
	if me.Name != "automation" || me.Role != store.RoleAnalyst {
		t.Fatalf("me %+v", me)
	}
	var forever apiTokenView
	e.call("POST", "/api/v1/api-tokens", store.RoleAdmin, map[string]any{"name": "forever", "role": "viewer"}, 201, &forever)
	if forever.ExpiresAt != nil {
		t.Fatalf("token without ttl expires: %+v", forever)
	}

	data := e.call("GET", "/api/v1/api-tokens?limit=1000", store.RoleAdmin, nil, 200, nil)
	for _, secret := range []string{created.Token, forever.Token, adminToken} {
		if strings.Contains(string(data), secret) {
			t.Fatal("listing shows a token secret")
		}
	}
	if !strings.Contains(string(data), `"automation"`) || strings.Contains(string(data), `"hash"`) {
		t.Fatalf("listing %s", data)
	}
	for name, body := range map[string]any{
		"bad role":  map[string]any{"name": "x", "role": "root"},
		"bad name":  map[string]any{"name": "a b", "role": "viewer"},
		"short ttl": map[string]any{"name": "x", "role": "viewer", "ttl": "1s"},
	} {
		if status, data := e.do("POST", "/api/v1/api-tokens", e.tokens[store.RoleAdmin], body); status != 400 {
			t.Errorf("%s: %d %s", name, status, data)
		}
	}
	e.call("DELETE", "/api/v1/api-tokens/"+created.ID, store.RoleAdmin, nil, 204, nil)
	e.call("GET", "/api/v1/me", "automation", nil, 401, nil)
	if a := e.audit("apitoken.delete"); len(a) != 1 || a[0].Target != created.ID {
		t.Fatalf("audit %+v", a)
	}
	// A token without a ttl outlives any.
	e.clock.Advance(721 * time.Hour)
	e.tokens["forever"] = forever.Token
	e.call("GET", "/api/v1/me", "forever", nil, 200, nil)
}
