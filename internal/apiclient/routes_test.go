package apiclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"gopkg.in/yaml.v3"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

var t0 = apiclienttest.Now

// seeded returns a client with admin rights on a center holding two
// agents: a1 online and answering commands, a2 lost.
func seeded(t *testing.T) (*apiclient.Client, *apiclienttest.Env) {
	c, env, _ := seededWithConn(t)
	return c, env
}

// seededWithConn is seeded that also returns a1's bus connection.
func seededWithConn(t *testing.T) (*apiclient.Client, *apiclienttest.Env, *nats.Conn) {
	t.Helper()
	env := apiclienttest.Start(t)
	ctx := context.Background()
	for _, a := range []store.Agent{
		{ID: "a1", Hostname: "web-1", Status: store.StatusOnline, Labels: map[string]string{"env": "prod"},
			LastState: []byte(`{"spool_dropped_total":0}`), EnrolledAt: t0.Add(-time.Hour), UserKey: apiclienttest.UserKey("a1")},
		{ID: "a2", Hostname: "db-1", Status: store.StatusLost, Labels: map[string]string{"env": "prod", "role": "db"},
			EnrolledAt: t0.Add(-time.Hour), UserKey: apiclienttest.UserKey("a2")},
	} {
		if err := env.Store.Agents().Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	nc := env.ConnectAgent("a1", apiclienttest.Echo("a1"))
	return client(t, env, env.AdminToken), env, nc
}

// waitFor polls cond until it holds; the deadline only bounds a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAgentRoutes(t *testing.T) {
	c, env, a1 := seededWithConn(t)
	ctx := context.Background()

	page, err := c.Agents(ctx, store.AgentFilter{Status: store.StatusLost, Labels: map[string]string{"role": "db", "env": "prod"}, Q: "db"})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != "a2" {
		t.Fatalf("Agents = %+v, %v", page, err)
	}
	reqs := env.Requests()
	if want := "GET /api/v1/agents?label=env%3Dprod&label=role%3Ddb&q=db&status=lost"; reqs[len(reqs)-1] != want {
		t.Errorf("request %q, want %q", reqs[len(reqs)-1], want)
	}

	a, err := c.Agent(ctx, "a1")
	if err != nil || string(a.LastState) != `{"spool_dropped_total":0}` || a.Hostname != "web-1" {
		t.Fatalf("Agent = %+v, %v", a, err)
	}
	a, err = c.SetAgentLabels(ctx, "a1", map[string]string{"env": "test"})
	if err != nil || !cmp.Equal(a.Labels, map[string]string{"env": "test"}) {
		t.Fatalf("SetAgentLabels = %+v, %v", a, err)
	}
	for _, to := range []store.AgentStatus{store.StatusLost, store.StatusOnline} {
		if _, err := env.Store.Agents().SetStatus(ctx, "a1", to, "went "+string(to), t0); err != nil {
			t.Fatal(err)
		}
	}
	hist, err := c.AgentHistory(ctx, "a1", store.Page{Limit: 5})
	if err != nil || len(hist.Items) != 2 || hist.Items[0].Reason != "went online" {
		t.Fatalf("AgentHistory = %+v, %v", hist, err)
	}

	test := store.AgentPolicy{Name: "test", Selector: map[string]string{"env": "test"},
		Spec: json.RawMessage(`{"heartbeatIntervalSeconds":"5","spoolMaxMb":"512"}`), UpdatedAt: t0}
	for range 2 {
		if _, err := env.Store.AgentPolicies().Put(ctx, test); err != nil {
			t.Fatal(err)
		}
	}
	pol, err := c.EffectivePolicy(ctx, "a1")
	// The revision carries the stored one in its upper 32 bits.
	if err != nil || pol.GetName() != "test" || pol.GetRevision()>>32 != 2 || pol.GetHeartbeatIntervalSeconds() != 5 || pol.GetSpoolMaxMb() != 512 {
		t.Fatalf("EffectivePolicy = %v, %v", pol, err)
	}

	resp, err := c.Exec(ctx, command.Request{Name: command.Ping, Selector: map[string]string{"env": "prod"}, Timeout: 3 * time.Second})
	if err != nil || resp.Command != "ping" || len(resp.Results) != 1 || resp.Results[0].AgentID != "a2" ||
		resp.Results[0].OK || resp.Results[0].Error != "agent offline" {
		t.Fatalf("Exec = %+v, %v", resp, err)
	}
	resp, err = c.Exec(ctx, command.Request{Name: command.Status, AgentIDs: []string{"a1"}})
	if err != nil || len(resp.Results) != 1 || !resp.Results[0].OK ||
		string(resp.Results[0].Output) != `{"command":"status","issued_by":"token:admin"}` {
		t.Fatalf("Exec = %+v, %v", resp, err)
	}

	if err := c.DeleteAgent(ctx, "a2"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.Agents().Get(ctx, "a2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a2 still stored after DeleteAgent: %v", err)
	}
	if !env.Bus.Server.Revoked(apiclienttest.UserKey("a2")) {
		t.Error("credentials of a2 not revoked")
	}
	if _, err := c.Agent(ctx, "a2"); !apiclient.IsStatus(err, 404) {
		t.Errorf("Agent(a2) after delete: %v", err)
	}
	// A connected agent is cut off the bus when it is deleted.
	if err := c.DeleteAgent(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a1 disconnected", func() bool { return !a1.IsConnected() })
}

func TestPolicyRoutes(t *testing.T) {
	c, _ := seeded(t)
	ctx := context.Background()
	put := store.AgentPolicy{Name: "prod", Selector: map[string]string{"env": "prod"}, Priority: 10, Spec: json.RawMessage(`{"spoolMaxMb":"512"}`)}
	stored, err := c.PutAgentPolicy(ctx, put)
	if err != nil || stored.Revision != 1 || stored.Priority != 10 || stored.UpdatedBy != "token:admin" {
		t.Fatalf("PutAgentPolicy = %+v, %v", stored, err)
	}
	if stored, err = c.PutAgentPolicy(ctx, put); err != nil || stored.Revision != 2 {
		t.Fatalf("second PutAgentPolicy = %+v, %v", stored, err)
	}
	got, err := c.AgentPolicy(ctx, "prod")
	if err != nil || string(got.Spec) != `{"spoolMaxMb":"512"}` {
		t.Fatalf("AgentPolicy = %+v, %v", got, err)
	}
	list, err := c.AgentPolicies(ctx, store.Page{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("AgentPolicies = %+v, %v", list, err)
	}
	for _, name := range []string{"base", "web"} {
		if _, err := c.PutAgentPolicy(ctx, store.AgentPolicy{Name: name, Spec: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	names, err := apiclient.Collect(apiclient.All(ctx, func(ctx context.Context, cursor string) (apiclient.Page[store.AgentPolicy], error) {
		return c.AgentPolicies(ctx, store.Page{Limit: 1, Cursor: cursor})
	}), 0)
	if err != nil || len(names) != 3 || names[0].Name != "base" || names[1].Name != "prod" || names[2].Name != "web" {
		t.Fatalf("AgentPolicies page by page = %+v, %v", names, err)
	}
	if err := c.DeleteAgentPolicy(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAgentPolicy(ctx, "prod"); !apiclient.IsStatus(err, 404) {
		t.Errorf("second delete: %v", err)
	}
}

func TestEventAndAlertRoutes(t *testing.T) {
	c, env := seeded(t)
	ctx := context.Background()
	e1 := event.New("e1", t0.Add(time.Second), "process", "start")
	e1.Set(event.FieldAgentID, "a1")
	e1.Set(event.FieldProcessCmd, "curl http://203.0.113.9/x.sh")
	e1.Set("process.pid", 4242)
	e2 := event.New("e2", t0.Add(2*time.Second), "network", "connect")
	e2.Set(event.FieldAgentID, "a2")
	if _, err := env.Store.Events().Insert(ctx, []event.Event{e1, e2}); err != nil {
		t.Fatal(err)
	}

	page, err := c.Events(ctx, store.EventFilter{Since: t0, Q: "CURL", Ascending: true})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID() != "e1" || page.NextCursor == "" {
		t.Fatalf("Events = %+v, %v", page, err)
	}
	if pid := page.Items[0].String("process.pid"); pid != "4242" {
		t.Errorf("process.pid = %q", pid)
	}
	next, err := c.Events(ctx, store.EventFilter{Since: t0, Q: "CURL", Ascending: true, Page: store.Page{Cursor: page.NextCursor}})
	if err != nil || len(next.Items) != 0 {
		t.Fatalf("page after the newest = %+v, %v", next, err)
	}
	reqs := env.Requests()
	if want := "GET /api/v1/events?order=asc&q=CURL&since=2025-03-04T10%3A00%3A00Z"; reqs[len(reqs)-2] != want {
		t.Errorf("request %q, want %q", reqs[len(reqs)-2], want)
	}

	if _, _, err := env.Store.Alerts().Raise(ctx, store.Alert{ID: "al1", AgentID: "a1", RuleID: "r1",
		Title: "Download piped to shell", Severity: store.SeverityHigh, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	alerts, err := c.Alerts(ctx, store.AlertFilter{Severity: store.SeverityHigh, AgentID: "a1", RuleID: "r1", State: store.AlertNew})
	if err != nil || len(alerts.Items) != 1 {
		t.Fatalf("Alerts = %+v, %v", alerts, err)
	}
	al, err := c.SetAlertState(ctx, "al1", store.AlertAcknowledged, "looking")
	if err != nil || al.State != store.AlertAcknowledged || len(al.Comments) != 1 || al.Comments[0].Text != "looking" ||
		al.Comments[0].Author != "token:admin" || !al.Comments[0].At.Equal(t0) {
		t.Fatalf("SetAlertState = %+v, %v", al, err)
	}
	if al, err = c.Alert(ctx, "al1"); err != nil || al.State != store.AlertAcknowledged {
		t.Fatalf("Alert = %+v, %v", al, err)
	}

	if _, err := env.Store.Audit().Append(ctx, store.AuditEntry{At: t0.Add(-time.Minute), Actor: "alice", Action: "agent.delete", Result: "ok"}); err != nil {
		t.Fatal(err)
	}
	audit, err := c.Audit(ctx, store.AuditFilter{Action: "agent.", Since: t0.Add(-time.Hour)})
	if err != nil || len(audit.Items) != 1 || audit.Items[0].Actor != "alice" {
		t.Fatalf("Audit = %+v, %v", audit, err)
	}
	// The state change above is in the audit log too.
	audit, err = c.Audit(ctx, store.AuditFilter{Action: "alert.state"})
	if err != nil || len(audit.Items) != 1 || audit.Items[0].Actor != "token:admin" || audit.Items[0].Target != "al1" {
		t.Fatalf("Audit of alert.state = %+v, %v", audit, err)
	}
}

func TestTokenAndUserRoutes(t *testing.T) {
	c, env := seeded(t)
	ctx := context.Background()
	jt, err := c.CreateJoinToken(ctx, apiclient.JoinTokenRequest{TTL: 2 * time.Hour, Labels: map[string]string{"site": "sh"}, UsageLimit: 5, Description: "lab"})
	if err != nil || !strings.HasPrefix(jt.Token, "vgl1.") || !jt.ExpiresAt.Equal(t0.Add(2*time.Hour)) || jt.UsageLimit != 5 {
		t.Fatalf("CreateJoinToken = %+v, %v", jt, err)
	}
	jts, err := c.JoinTokens(ctx, store.Page{})
	if err != nil || len(jts.Items) != 1 || jts.Items[0].Labels["site"] != "sh" {
		t.Fatalf("JoinTokens = %+v, %v", jts, err)
	}
	if err := c.DeleteJoinToken(ctx, jt.ID); err != nil {
		t.Fatal(err)
	}

	at, err := c.CreateAPIToken(ctx, apiclient.APITokenRequest{Name: "ci", Role: store.RoleViewer, TTL: time.Hour})
	if err != nil || at.Token == "" || at.Role != store.RoleViewer || !at.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("CreateAPIToken = %+v, %v", at, err)
	}
	me, err := c.WithToken(at.Token).Me(ctx)
	if err != nil || me != (apiclient.Identity{Name: "ci", Role: store.RoleViewer, Kind: "api"}) {
		t.Fatalf("Me with the new token = %+v, %v", me, err)
	}
	ats, err := c.APITokens(ctx, store.Page{})
	if err != nil || len(ats.Items) != 3 || ats.Items[0].ID != at.ID { // the newest, then the Env's own
		t.Fatalf("APITokens = %+v, %v", ats, err)
	}
	if err := c.DeleteAPIToken(ctx, at.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WithToken(at.Token).Me(ctx); !apiclient.IsStatus(err, 401) {
		t.Errorf("Me with a deleted token: %v", err)
	}

	u, err := c.CreateUser(ctx, apiclient.NewUser{Name: "alice", Password: "correct horse", Role: store.RoleAnalyst})
	if err != nil || u.Name != "alice" {
		t.Fatalf("CreateUser = %+v, %v", u, err)
	}
	sess, err := c.Login(ctx, "alice", "correct horse")
	if err != nil || sess.User.ID != u.ID || sess.Token == "" {
		t.Fatalf("Login = %+v, %v", sess, err)
	}
	as := c.WithToken(sess.Token)
	if me, err := as.Me(ctx); err != nil || me.Kind != "session" || me.Role != store.RoleAnalyst {
		t.Fatalf("Me as alice = %+v, %v", me, err)
	}
	if err := as.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := as.Me(ctx); !apiclient.IsStatus(err, 401) {
		t.Errorf("Me after logout: %v", err)
	}
	role, disabled, pw := store.RoleResponder, true, "another secret"
	u, err = c.UpdateUser(ctx, u.ID, apiclient.UserUpdate{Role: &role, Disabled: &disabled, Password: &pw})
	if err != nil || u.Role != role || !u.Disabled || !env.PasswordIs(u.ID, pw) {
		t.Fatalf("UpdateUser = %+v, %v", u, err)
	}
	if got, err := c.User(ctx, u.ID); err != nil || got.Role != role {
		t.Fatalf("User = %+v, %v", got, err)
	}
	users, err := c.Users(ctx, store.Page{})
	if err != nil || len(users.Items) != 1 {
		t.Fatalf("Users = %+v, %v", users, err)
	}
	if err := c.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
}

func TestHealthz(t *testing.T) {
	c, env := seeded(t)
	ctx := context.Background()
	if err := c.WithToken("").Healthz(ctx); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.Close(); err != nil {
		t.Fatal(err)
	}
	err := c.Healthz(ctx)
	if !apiclient.IsStatus(err, 503) || err.Error() != "store does not answer (503 unavailable)" {
		t.Errorf("unhealthy: %v", err)
	}
}

// openAPIFile is api/openapi.yaml, from this file's folder.
func openAPIFile(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "api", "openapi.yaml")
}

// below reports whether path is prefix or a path below it.
func below(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/") || strings.HasPrefix(path, prefix+"?")
}

// describedRoutes returns "METHOD /path" of every route api/openapi.yaml
// describes at or below prefix (/api/v1/compliance), sorted.
func describedRoutes(t *testing.T, prefix string) []string {
	t.Helper()
	data, err := os.ReadFile(openAPIFile(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	var out []string
	for path, ops := range doc.Paths {
		if !below(path, prefix) {
			continue
		}
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch":
				out = append(out, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		t.Fatalf("openapi.yaml describes no route below %s", prefix)
	}
	return out
}

// pathParam is a parameter of a route's path ({id}, {name}), quoted.
var pathParam = regexp.MustCompile(`\\\{[a-z_]+\\\}`)

// routePattern matches the request lines ("GET /api/v1/x/7?q=1") of a
// route ("GET /api/v1/x/{id}").
func routePattern(route string) *regexp.Regexp {
	return regexp.MustCompile("^" + pathParam.ReplaceAllLiteralString(regexp.QuoteMeta(route), "[^/?]+") + `(\?.*)?$`)
}

// checkRoutes fails unless the env served every route of routes, each one
// described in api/openapi.yaml, and every request it served at or below
// prefix was one of them.
func checkRoutes(t *testing.T, env *apiclienttest.Env, prefix string, routes []string) {
	t.Helper()
	described := describedRoutes(t, prefix)
	used := map[string]bool{}
	for _, line := range env.Requests() {
		_, target, _ := strings.Cut(line, " ")
		if !below(target, prefix) {
			continue
		}
		// The literal routes win over those with a parameter, as in the
		// center's mux.
		i := slices.IndexFunc(routes, func(r string) bool { return !strings.Contains(r, "{") && routePattern(r).MatchString(line) })
		if i < 0 {
			i = slices.IndexFunc(routes, func(r string) bool { return routePattern(r).MatchString(line) })
		}
		if i < 0 {
			t.Errorf("request %q is none of the routes %v", line, routes)
			continue
		}
		used[routes[i]] = true
	}
	for _, r := range routes {
		if !slices.Contains(described, r) {
			t.Errorf("route %s is not described in api/openapi.yaml", r)
		}
		if !used[r] {
			t.Errorf("route %s was not called", r)
		}
	}
}
