package api

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/attack"
	"github.com/vigilsec/vigil/internal/center/api/apitest"
	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/store"
)

// ruleList is the answer of GET /rules.
type ruleList struct {
	Items      []apitypes.Rule `json:"items"`
	NextCursor string          `json:"next_cursor"`
}

// ruleIDs lists the ids of the rules a query selects.
func (e *env) ruleIDs(query string) []string {
	e.t.Helper()
	var page ruleList
	e.call("GET", "/api/v1/rules?"+query, store.RoleViewer, nil, 200, &page)
	ids := []string{}
	for _, r := range page.Items {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestRuleListing(t *testing.T) {
	e := newEnv(t)
	all := []string{apitest.RuleSSHFailed, apitest.RuleToolPort, apitest.RuleCurlPipe, apitest.RuleSSHBrute}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", all},
		{"kind=correlation", []string{apitest.RuleSSHBrute}},
		{"kind=filter", []string{}},
		{"kind=detection&level=informational", []string{apitest.RuleSSHFailed}},
		{"status=experimental", []string{apitest.RuleToolPort}},
		{"source=builtin", all},
		{"source=imported", []string{}},
		{"technique=T1059", []string{apitest.RuleCurlPipe}},
		{"technique=t1059.004", []string{apitest.RuleCurlPipe}},
		{"technique=T1059.003", []string{}},
		{"technique=T1110.001", []string{apitest.RuleSSHFailed, apitest.RuleSSHBrute}},
		{"q=REVERSE+SHELL", []string{apitest.RuleToolPort}},
		{"q=attack.t1105", []string{apitest.RuleCurlPipe}},
		{"q=" + apitest.RuleSSHBrute[:8], []string{apitest.RuleSSHBrute}},
		{"disabled=true", []string{}},
		{"disabled=false", all},
	} {
		if diff := cmp.Diff(tc.want, e.ruleIDs(tc.query)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.query, diff)
		}
	}
	for _, q := range []string{"kind=exception", "level=severe", "status=draft", "source=mine", "technique=TA0001",
		"technique=T59", "disabled=yes", "q=" + strings.Repeat("x", maxQueryLen+1), "limit=0", "cursor=bm9wZQ"} {
		if status, data := e.do("GET", "/api/v1/rules?"+q, e.tokens[store.RoleViewer], nil); status != 400 || errorCode(t, data) != "bad_request" {
			t.Errorf("%q: %d %s", q, status, data)
		}
	}

	// Page by page, the same rules in the same order.
	var got []string
	cursor := ""
	for i := 0; ; i++ {
		var page ruleList
		e.call("GET", "/api/v1/rules?limit=1&cursor="+url.QueryEscape(cursor), store.RoleViewer, nil, 200, &page)
		for _, r := range page.Items {
			got = append(got, r.ID)
		}
		if page.NextCursor == "" || i > len(all) {
			break
		}
		cursor = page.NextCursor
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("paged (-want +got):\n%s", diff)
	}
}

func TestRuleObject(t *testing.T) {
	e := newEnv(t)
	var r apitypes.Rule
	e.call("GET", "/api/v1/rules/"+apitest.RuleCurlPipe, store.RoleViewer, nil, 200, &r)
	want := apitypes.Rule{
		ID: apitest.RuleCurlPipe, Title: "Download piped to a shell", Description: "A download tool's output is run by a shell.",
		Kind: "detection", Level: "high", Status: "test", Author: "Vigil", Source: "builtin",
		File: "linux/proc_creation_curl_pipe_shell.yml", Line: 1,
		Techniques:     []string{"T1059.004", "T1105"},
		Tags:           []string{"attack.execution", "attack.t1059.004", "attack.command_and_control", "attack.t1105"},
		FalsePositives: []string{"Installers run by administrators"},
		References:     []string{"https://attack.mitre.org/techniques/T1059/004/"},
		Logsource:      apitypes.Logsource{Product: "linux", Category: "process_creation"},
		Alerts:         true, Severity: store.SeverityHigh,
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("rule (-want +got):\n%s", diff)
	}

	// The correlation's base rule only feeds it; informational is low.
	r = apitypes.Rule{}
	e.call("GET", "/api/v1/rules/"+apitest.RuleSSHFailed, store.RoleViewer, nil, 200, &r)
	if r.Alerts || !r.Correlated || r.Severity != store.SeverityLow || r.Name != "ssh_failed_login" || r.Logsource.Service != "sshd" {
		t.Errorf("base rule %+v", r)
	}
	r = apitypes.Rule{}
	e.call("GET", "/api/v1/rules/"+apitest.RuleSSHBrute, store.RoleViewer, nil, 200, &r)
	if r.Kind != "correlation" || !r.Alerts || r.Severity != store.SeverityHigh || r.Line < 10 {
		t.Errorf("correlation %+v", r)
	}
	if status, data := e.do("GET", "/api/v1/rules/nope", e.tokens[store.RoleViewer], nil); status != 404 || !strings.Contains(string(data), "rule nope not found") {
		t.Errorf("unknown rule: %d %s", status, data)
	}
	// A rule that failed to load is a problem, not a rule.
	e.call("GET", "/api/v1/rules/"+apitest.RuleShadowRead, store.RoleViewer, nil, 404, nil)
}

func TestRuleSourceAndProblems(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/rules/"+apitest.RuleSSHBrute+"/source", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[store.RoleViewer])
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fs.ReadFile(apitest.RulePack(), "linux/auth_ssh_bruteforce.yml")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/yaml; charset=utf-8" || string(data) != string(want) {
		t.Errorf("source: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	e.call("GET", "/api/v1/rules/nope/source", store.RoleViewer, nil, 404, nil)

	var problems struct {
		Items []apitypes.Problem `json:"items"`
	}
	e.call("GET", "/api/v1/rules/problems", store.RoleViewer, nil, 200, &problems)
	if len(problems.Items) != 1 {
		t.Fatalf("problems %+v", problems.Items)
	}
	p := problems.Items[0]
	if p.Source != "builtin" || p.File != "linux/file_access_shadow.yml" || p.Line == 0 || p.RuleID != apitest.RuleShadowRead ||
		p.Title != "Shadow file read" || !strings.Contains(p.Reason, "file_access") {
		t.Errorf("problem %+v", p)
	}
}

func TestRuleSettings(t *testing.T) {
	e := newEnv(t)
	path := "/api/v1/rules/" + apitest.RuleToolPort + "/setting"
	var r apitypes.Rule
	e.call("PUT", path, store.RoleResponder, map[string]any{"disabled": true}, 200, &r)
	if !r.Disabled || r.Setting == nil || !r.Setting.Disabled || r.Setting.Author != "token:responder-bot" || r.Severity != store.SeverityMedium {
		t.Fatalf("disabled: %+v (setting %+v)", r, r.Setting)
	}
	if diff := cmp.Diff([]string{apitest.RuleToolPort}, e.ruleIDs("disabled=true")); diff != "" {
		t.Errorf("disabled rules: %s", diff)
	}
	r = apitypes.Rule{}
	e.call("PUT", path, store.RoleResponder, map[string]any{"disabled": false, "severity": "critical"}, 200, &r)
	if r.Disabled || r.Severity != store.SeverityCritical || r.Level != "critical" || r.Setting.Severity != store.SeverityCritical {
		t.Fatalf("critical: %+v", r)
	}
	entries := e.audit("rule.setting")
	if len(entries) != 2 || entries[0].Target != apitest.RuleToolPort || entries[0].Detail["severity"] != "critical" ||
		entries[0].Detail["disabled"] != false || entries[0].Detail["title"] != "Connection to a common reverse shell port" {
		t.Errorf("audit %+v", entries)
	}
	for name, body := range map[string]string{
		"bad severity":  `{"severity":"urgent"}`,
		"informational": `{"severity":"informational"}`,
		"wrong type":    `{"disabled":"yes"}`,
		"unknown field": `{"disabled":true,"level":"low"}`,
	} {
		if status, data := e.do("PUT", path, e.tokens[store.RoleResponder], body); status != 400 {
			t.Errorf("%s: %d %s", name, status, data)
		}
	}
	e.call("PUT", "/api/v1/rules/nope/setting", store.RoleResponder, map[string]any{"disabled": true}, 404, nil)

	e.call("DELETE", path, store.RoleResponder, nil, 204, nil)
	r = apitypes.Rule{}
	e.call("GET", "/api/v1/rules/"+apitest.RuleToolPort, store.RoleViewer, nil, 200, &r)
	if r.Disabled || r.Setting != nil || r.Severity != store.SeverityMedium {
		t.Errorf("after reset: %+v", r)
	}
	if status, data := e.do("DELETE", path, e.tokens[store.RoleResponder], nil); status != 404 || !strings.Contains(string(data), "setting of rule") {
		t.Errorf("second reset: %d %s", status, data)
	}
	e.call("DELETE", "/api/v1/rules/nope/setting", store.RoleResponder, nil, 404, nil)
	if entries := e.audit("rule.setting.delete"); len(entries) != 3 || entries[2].Result != "ok" || entries[1].Result != "error" {
		t.Errorf("audit of resets %+v", entries)
	}
}

func TestDetectionOff(t *testing.T) {
	e := startEnv(t, false)
	for _, rt := range routeTable() {
		if !strings.Contains(rt.path, "/rules") && !strings.Contains(rt.path, "/rule-files") && !strings.HasPrefix(rt.path, "/api/v1/exceptions") &&
			!strings.Contains(rt.path, "/attack/") {
			continue
		}
		status, data := e.do(rt.method, concrete(rt.path), e.tokens[store.RoleAdmin], `{"files":[{"name":"a.yml","content":"x"}],"reason":"r","match":{"a":["b"]}}`)
		if status != http.StatusServiceUnavailable || errorCode(t, data) != "unavailable" || !strings.Contains(string(data), "detection is off") {
			t.Errorf("%s: %d %s", rt.pattern(), status, data)
		}
	}
	// Incidents come from the store and need no detection.
	e.call("GET", "/api/v1/incidents", store.RoleViewer, nil, 200, nil)
}

// storedFiles returns the names of the imported files in the store.
func (e *env) storedFiles() []string {
	e.t.Helper()
	files, err := e.st.Rules().Files(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	names := []string{}
	for _, f := range files {
		names = append(names, f.Name)
	}
	return names
}

// cell finds a technique's cell in a coverage: a technique of the first
// column it is in, or a sub-technique under its parent.
func cell(cov apitypes.Coverage, id string) (attack.Cell, bool) {
	for _, col := range cov.Columns {
		for _, c := range col.Techniques {
			if c.ID == id {
				return c, true
			}
			for _, sub := range c.SubTechniques {
				if sub.ID == id {
					return sub, true
				}
			}
		}
	}
	return attack.Cell{}, false
}

func TestAttackCoverage(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	raise := func(id string, techniques []string, at time.Time) {
		t.Helper()
		_, _, err := e.st.Alerts().Raise(context.Background(), store.Alert{ID: id, AgentID: "a1", RuleID: "r", Title: id,
			Severity: store.SeverityHigh, State: store.AlertNew, Techniques: techniques, DedupKey: id, Count: 1, CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
	}
	raise("old", []string{"T1059.004"}, now.AddDate(0, 0, -40))
	raise("a1", []string{"T1059.004", "T1105"}, now.Add(-time.Hour))
	raise("a2", []string{"T1059.004"}, now.Add(-time.Minute))
	e.call("PUT", "/api/v1/rules/"+apitest.RuleToolPort+"/setting", store.RoleResponder, map[string]any{"disabled": true}, 200, nil)

	var cov apitypes.Coverage
	e.call("GET", "/api/v1/attack/coverage", store.RoleViewer, nil, 200, &cov)
	if cov.Rules != 3 || cov.Alerts != 2 || cov.Truncated || !cov.Since.Equal(now.AddDate(0, 0, -30)) || len(cov.Columns) != 14 || cov.Version == "" {
		t.Fatalf("coverage: rules %d, alerts %d, since %s, %d columns", cov.Rules, cov.Alerts, cov.Since, len(cov.Columns))
	}
	for _, tc := range []struct {
		id             string
		covered, fired int
	}{
		{"T1059.004", 1, 2},
		{"T1105", 1, 1},
		{"T1110.001", 2, 0}, // the correlation and its base rule
		{"T1571", 0, 0},     // its rule is disabled
	} {
		c, ok := cell(cov, tc.id)
		if !ok || c.Covered != tc.covered || c.Fired != tc.fired {
			t.Errorf("%s: %+v (found %v)", tc.id, c, ok)
		}
	}
	if c, _ := cell(cov, "T1059"); c.TotalCovered != 1 || c.TotalFired != 2 {
		t.Errorf("T1059 totals %+v", c)
	}
	cov = apitypes.Coverage{}
	e.call("GET", "/api/v1/attack/coverage?since="+url.QueryEscape(now.AddDate(0, 0, -60).Format(time.RFC3339)), store.RoleViewer, nil, 200, &cov)
	if c, _ := cell(cov, "T1059.004"); cov.Alerts != 3 || c.Fired != 3 {
		t.Errorf("60 days: %d alerts, %+v", cov.Alerts, c)
	}
	e.call("GET", "/api/v1/attack/coverage?since=last+week", store.RoleViewer, nil, 400, nil)
}
