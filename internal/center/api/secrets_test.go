package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// TestNoSecretInAudit runs every call that handles a secret, then checks
// that no password, token or token secret appears in the audit log.
func TestNoSecretInAudit(t *testing.T) {
	e := newEnv(t)
	var secrets []string
	const pw, pw2 = "first-password-9", "second-password-9"
	secrets = append(secrets, pw, pw2, adminToken, e.tokens[store.RoleViewer])

	var u store.User
	e.call("POST", "/api/v1/users", store.RoleAdmin, map[string]any{"name": "dave", "password": pw, "role": "analyst"}, 201, &u)
	e.call("PATCH", "/api/v1/users/"+u.ID, store.RoleAdmin, map[string]any{"password": pw2}, 200, nil)
	e.do("POST", "/api/v1/login", "", map[string]any{"username": "dave", "password": pw})
	var sess loginAnswer
	e.call("POST", "/api/v1/login", "", map[string]any{"username": "dave", "password": pw2}, 200, &sess)
	secrets = append(secrets, sess.Token)

	var jt joinTokenView
	e.call("POST", "/api/v1/tokens", store.RoleAdmin, map[string]any{"labels": map[string]string{"env": "x"}}, 201, &jt)
	secrets = append(secrets, jt.Token, strings.Split(jt.Token, ".")[2])
	e.call("POST", "/api/v1/enroll", "", enrollBody(jt.Token, userKey(t), "h1"), 200, nil)
	parts := strings.Split(jt.Token, ".")
	e.do("POST", "/api/v1/enroll", "", enrollBody(strings.Join([]string{parts[0], parts[1], strings.Repeat("b", len(parts[2])), parts[3]}, "."), userKey(t), "h2"))

	var at apiTokenView
	e.call("POST", "/api/v1/api-tokens", store.RoleAdmin, map[string]any{"name": "ci", "role": "viewer"}, 201, &at)
	secrets = append(secrets, at.Token)
	e.do("POST", "/api/v1/tokens", e.tokens[store.RoleViewer], map[string]any{})

	entries := e.audit("")
	if len(entries) < 8 {
		t.Fatalf("only %d audit entries", len(entries))
	}
	data, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(data), s) {
			t.Errorf("audit log contains a secret %.8s...", s)
		}
	}
	// And the API's own audit listing does not either.
	listed := e.call("GET", "/api/v1/audit?limit=1000", store.RoleAdmin, nil, 200, nil)
	for _, s := range secrets {
		if strings.Contains(string(listed), s) {
			t.Errorf("GET /audit shows a secret %.8s...", s)
		}
	}
}

func TestAuditListing(t *testing.T) {
	e := newEnv(t)
	e.addAgent("a1", "h", store.StatusOnline, nil)
	e.call("PUT", "/api/v1/agents/a1/labels", store.RoleResponder, map[string]any{"labels": map[string]string{"a": "b"}}, 200, nil)
	e.clock.Advance(time.Hour)
	e.call("DELETE", "/api/v1/agents/a1", store.RoleAdmin, nil, 204, nil)
	var page struct {
		Items []store.AuditEntry `json:"items"`
	}
	e.call("GET", "/api/v1/audit?action=agent.", store.RoleAdmin, nil, 200, &page)
	if len(page.Items) != 2 || page.Items[0].Action != "agent.delete" || page.Items[1].Action != "agent.labels" {
		t.Fatalf("audit %+v", page.Items)
	}
	e.call("GET", "/api/v1/audit?actor=token:responder-bot", store.RoleAdmin, nil, 200, &page)
	if len(page.Items) != 1 || page.Items[0].Action != "agent.labels" {
		t.Fatalf("by actor %+v", page.Items)
	}
	since := e.clock.Now().Add(-30 * time.Minute).Format(time.RFC3339)
	e.call("GET", "/api/v1/audit?action=agent.&since="+since, store.RoleAdmin, nil, 200, &page)
	if len(page.Items) != 1 || page.Items[0].Action != "agent.delete" {
		t.Fatalf("since %+v", page.Items)
	}
	e.call("GET", "/api/v1/audit?until=never", store.RoleAdmin, nil, 400, nil)
}
