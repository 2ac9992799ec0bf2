package apiclient_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/store"
)

// sshPolicy is an operator's policy of Debian 12 hosts with two checks.
const sshPolicy = `format: 1
policy:
  id: acme_ssh
  version: "1.0"
  name: {en: ACME SSH baseline, zh: ACME SSH 基线}
  description: {en: How ACME servers run sshd., zh: ACME 服务器如何运行 sshd。}
requirements:
  condition: all
  rules:
    - os: {id: debian, version: "12"}
checks:
  - id: acme_ssh.1
    title: {en: Ensure sshd PermitRootLogin is disabled, zh: 确保 sshd 禁止 root 直接登录}
    rationale: {en: Root logins cannot be traced to a person., zh: root 登录无法追溯到个人。}
    remediation: {en: Set PermitRootLogin no in /etc/ssh/sshd_config., zh: 在 /etc/ssh/sshd_config 中设置 PermitRootLogin no。}
    severity: high
    rules:
      - config: {path: /etc/ssh/sshd_config, format: sshd, key: PermitRootLogin, op: eq, value: "no"}
  - id: acme_ssh.2
    title: {en: Ensure no hosts.equiv, zh: 确保没有 hosts.equiv}
    rationale: {en: Trust by host name is weak., zh: 基于主机名的信任很弱。}
    remediation: {en: Remove /etc/hosts.equiv., zh: 删除 /etc/hosts.equiv。}
    severity: critical
    rules:
      - file: {path: /etc/hosts.equiv, exists: false}
`

// debian12 is /etc/os-release of a Debian 12 host.
const debian12 = "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"

// complianceFleet starts a center with the compliance service holding
// sshPolicy, assigned to env=prod, and two hosts that evaluated it:
// web-1 (a1, Debian 12) three days ago with PermitRootLogin no and two
// hours ago with yes, and app-1 (a2, Ubuntu: not applicable).
func complianceFleet(t *testing.T) (*apiclient.Client, *apiclienttest.Env) {
	t.Helper()
	env := apiclienttest.StartWith(t, apiclienttest.Options{Compliance: true})
	c := client(t, env, env.AdminToken)
	ctx := context.Background()
	for _, a := range []store.Agent{
		{ID: "a1", Hostname: "web-1", Status: store.StatusOnline, Labels: map[string]string{"env": "prod"}, EnrolledAt: t0.AddDate(0, 0, -30)},
		{ID: "a2", Hostname: "app-1", Status: store.StatusOnline, Labels: map[string]string{"env": "prod"}, EnrolledAt: t0.AddDate(0, 0, -30)},
	} {
		if err := env.Store.Agents().Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.PutCompliancePolicy(ctx, "acme_ssh", []byte(sshPolicy), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssignCompliancePolicy(ctx, "acme_ssh", apiclient.ComplianceAssignmentRequest{Selector: map[string]string{"env": "prod"}}); err != nil {
		t.Fatal(err)
	}
	web := map[string]string{"/etc/os-release": debian12, "/etc/ssh/sshd_config": "PermitRootLogin no\n", "/etc/hosts.equiv": "batch.acme.internal\n"}
	env.EvaluateCompliance("a1", env.WriteHost(web), t0.Add(-72*time.Hour))
	env.EvaluateCompliance("a2", env.WriteHost(map[string]string{"/etc/os-release": "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\n"}), t0.Add(-72*time.Hour))
	web["/etc/ssh/sshd_config"] = "PermitRootLogin yes\n"
	env.EvaluateCompliance("a1", env.WriteHost(web), t0.Add(-2*time.Hour))
	return c, env
}

func TestCompliancePolicyRoutes(t *testing.T) {
	env := apiclienttest.StartWith(t, apiclienttest.Options{Compliance: true})
	c := client(t, env, env.AdminToken)
	ctx := context.Background()

	p, created, err := c.PutCompliancePolicy(ctx, "acme_ssh", []byte(sshPolicy), "")
	if err != nil || !created || p.Value.ID != "acme_ssh" || p.Value.Version != "1.0" || p.Value.Checks != 2 ||
		p.Value.Format != "vigil" || p.Value.Shipped || p.Value.Author != "token:admin" || p.Value.Assignment != nil {
		t.Fatalf("PutCompliancePolicy = %+v, %v, %v", p.Value, created, err)
	}
	if want := "PUT /api/v1/compliance/policies/acme_ssh"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	v11 := strings.Replace(sshPolicy, `version: "1.0"`, `version: "1.1"`, 1)
	if p, created, err = c.PutCompliancePolicy(ctx, "acme_ssh", []byte(v11), "vigil"); err != nil || created || p.Value.Version != "1.1" {
		t.Fatalf("replace = %+v, %v, %v", p.Value, created, err)
	}
	if want := "PUT /api/v1/compliance/policies/acme_ssh?format=vigil"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	bad := strings.Replace(sshPolicy, "format: sshd", "format: sshd2", 1)
	if _, _, err := c.PutCompliancePolicy(ctx, "acme_ssh", []byte(bad), ""); !apiclient.IsStatus(err, 422) || !strings.Contains(err.Error(), "invalid policy") {
		t.Errorf("invalid policy: %v", err)
	}
	shipped := strings.ReplaceAll(sshPolicy, "acme_ssh", "cis_debian12")
	if _, _, err := c.PutCompliancePolicy(ctx, "cis_debian12", []byte(shipped), ""); !apiclient.IsStatus(err, 409) {
		t.Errorf("shipped id: %v", err)
	}
	n := len(env.Requests())
	if _, _, err := c.PutCompliancePolicy(ctx, "acme_ssh", make([]byte, apiclient.MaxCompliancePolicy+1), ""); err == nil || len(env.Requests()) != n {
		t.Errorf("oversized policy: %v after %d requests", err, len(env.Requests())-n)
	}

	list, err := c.CompliancePolicies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(r apiclient.Raw[apiclient.CompliancePolicy]) bool { return r.Value.ID == "acme_ssh" })
	j := slices.IndexFunc(list, func(r apiclient.Raw[apiclient.CompliancePolicy]) bool { return r.Value.ID == "cis_debian12" })
	if i < 0 || j < 0 || !list[j].Value.Shipped || list[i].Value.Name.Zh != "ACME SSH 基线" || !strings.Contains(string(list[i].JSON), `"id":"acme_ssh"`) {
		t.Fatalf("CompliancePolicies: acme_ssh at %d, cis_debian12 at %d of %d", i, j, len(list))
	}

	as, err := c.AssignCompliancePolicy(ctx, "acme_ssh", apiclient.ComplianceAssignmentRequest{Selector: map[string]string{"env": "prod"}, Interval: 12 * time.Hour})
	if err != nil || as.Value.PolicyID != "acme_ssh" || as.Value.IntervalSeconds != 12*3600 || as.Value.Selector["env"] != "prod" ||
		as.Value.Author != "token:admin" || !as.Value.UpdatedAt.Equal(t0) {
		t.Fatalf("AssignCompliancePolicy = %+v, %v", as.Value, err)
	}
	if _, err := c.AssignCompliancePolicy(ctx, "acme_ssh", apiclient.ComplianceAssignmentRequest{Interval: time.Minute}); !apiclient.IsStatus(err, 400) {
		t.Errorf("interval of a minute: %v", err)
	}
	n = len(env.Requests())
	if _, err := c.AssignCompliancePolicy(ctx, "acme_ssh", apiclient.ComplianceAssignmentRequest{Interval: 1500 * time.Millisecond}); err == nil || len(env.Requests()) != n {
		t.Errorf("interval of 1.5s: %v", err)
	}

	d, err := c.CompliancePolicy(ctx, "acme_ssh")
	if err != nil || len(d.Value.Items) != 2 || d.Value.Items[0].ID != "acme_ssh.1" || d.Value.Requirements == nil ||
		d.Value.Assignment == nil || d.Value.Assignment.IntervalSeconds != 12*3600 {
		t.Fatalf("CompliancePolicy = %+v, %v", d.Value, err)
	}
	if _, err := c.CompliancePolicy(ctx, "nope"); !apiclient.IsStatus(err, 404) {
		t.Errorf("unknown policy: %v", err)
	}

	if err := c.UnassignCompliancePolicy(ctx, "acme_ssh"); err != nil {
		t.Fatal(err)
	}
	if err := c.UnassignCompliancePolicy(ctx, "acme_ssh"); !apiclient.IsStatus(err, 404) {
		t.Errorf("second unassign: %v", err)
	}
	if err := c.DeleteCompliancePolicy(ctx, "cis_debian12"); !apiclient.IsStatus(err, 409) {
		t.Errorf("delete a shipped policy: %v", err)
	}
	if err := c.DeleteCompliancePolicy(ctx, "acme_ssh"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompliancePolicy(ctx, "acme_ssh"); !apiclient.IsStatus(err, 404) {
		t.Errorf("policy after delete: %v", err)
	}
	if err := c.WithToken(env.ViewerToken).DeleteCompliancePolicy(ctx, "cis_rhel9"); !apiclient.IsStatus(err, 403) {
		t.Errorf("viewer deletes: %v", err)
	}
	checkRoutes(t, env, complianceRoutePrefix, policyRoutes)
}

// policyRoutes are the routes TestCompliancePolicyRoutes calls.
var policyRoutes = []string{"PUT /api/v1/compliance/policies/{id}", "GET /api/v1/compliance/policies",
	"GET /api/v1/compliance/policies/{id}", "DELETE /api/v1/compliance/policies/{id}",
	"PUT /api/v1/compliance/policies/{id}/assignment", "DELETE /api/v1/compliance/policies/{id}/assignment"}

func TestComplianceResultRoutes(t *testing.T) {
	c, env := complianceFleet(t)
	ctx := context.Background()

	ex, err := c.CreateComplianceException(ctx, apiclient.ComplianceExceptionRequest{PolicyID: "acme_ssh", CheckID: "acme_ssh.2",
		AgentID: "a1", Reason: "legacy batch host", ExpiresAt: t0.AddDate(0, 0, 30)})
	if err != nil || ex.Value.ID == "" || ex.Value.Author != "token:admin" || !ex.Value.ExpiresAt.Equal(t0.AddDate(0, 0, 30)) {
		t.Fatalf("CreateComplianceException = %+v, %v", ex.Value, err)
	}
	if _, err := c.CreateComplianceException(ctx, apiclient.ComplianceExceptionRequest{PolicyID: "acme_ssh", CheckID: "nope", Reason: "x"}); !apiclient.IsStatus(err, 404) {
		t.Errorf("exception of an unknown check: %v", err)
	}
	if _, err := c.WithToken(env.ViewerToken).CreateComplianceException(ctx, apiclient.ComplianceExceptionRequest{PolicyID: "acme_ssh", Reason: "x"}); !apiclient.IsStatus(err, 403) {
		t.Errorf("viewer creates an exception: %v", err)
	}

	results, err := c.ComplianceResults(ctx, apiclient.ComplianceResultFilter{AgentID: "a1"})
	if err != nil || len(results.Items) != 2 {
		t.Fatalf("ComplianceResults = %+v, %v", results, err)
	}
	r1, r2 := results.Items[0].Value, results.Items[1].Value
	if r1.CheckID != "acme_ssh.1" || r1.Status != "fail" || r1.Hostname != "web-1" || r1.PolicyVersion != "1.0" || r1.Check == nil ||
		r1.Check.Title.Zh != "确保 sshd 禁止 root 直接登录" || !strings.Contains(string(r1.Evidence), "PermitRootLogin") || !r1.UpdatedAt.Equal(t0.Add(-2*time.Hour)) {
		t.Errorf("result of acme_ssh.1: %+v", r1)
	}
	if r2.CheckID != "acme_ssh.2" || r2.Status != "excepted" || r2.Exception == nil || r2.Exception.ID != ex.Value.ID {
		t.Errorf("result of acme_ssh.2: %+v", r2)
	}
	results, err = c.ComplianceResults(ctx, apiclient.ComplianceResultFilter{AgentID: "a1", PolicyID: "acme_ssh", CheckID: "acme_ssh.1",
		Status: "fail", Severity: "high", Q: "root", Page: store.Page{Limit: 5}})
	if err != nil || len(results.Items) != 1 {
		t.Fatalf("filtered ComplianceResults = %+v, %v", results, err)
	}
	if want := "GET /api/v1/compliance?agent_id=a1&check_id=acme_ssh.1&limit=5&policy_id=acme_ssh&q=root&severity=high&status=fail"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	all, err := apiclient.Collect(apiclient.All(ctx, func(ctx context.Context, cursor string) (apiclient.Page[apiclient.Raw[apiclient.ComplianceResult]], error) {
		return c.ComplianceResults(ctx, apiclient.ComplianceResultFilter{Page: store.Page{Limit: 1, Cursor: cursor}})
	}), 0)
	// a1's two checks: a2 has none, the policy does not apply there.
	if err != nil || len(all) != 2 || all[0].Value.CheckID != "acme_ssh.1" || all[1].Value.CheckID != "acme_ssh.2" {
		t.Fatalf("results page by page: %d, %v", len(all), err)
	}

	sums, err := c.ComplianceHostSummaries(ctx, "a1")
	if err != nil || len(sums) != 1 {
		t.Fatalf("ComplianceHostSummaries = %+v, %v", sums, err)
	}
	if s := sums[0].Value; s.PolicyID != "acme_ssh" || !s.Applicable || s.Counts.Fail != 1 || s.Counts.Excepted != 1 || s.Score == nil || *s.Score != 0 {
		t.Errorf("summary of a1: %+v", s)
	}
	if _, err := c.ComplianceHostSummaries(ctx, "nope"); !apiclient.IsStatus(err, 404) {
		t.Errorf("summaries of an unknown agent: %v", err)
	}

	fleet, err := c.ComplianceSummaries(ctx, apiclient.ComplianceFleetFilter{PolicyID: "acme_ssh", Labels: map[string]string{"env": "prod"}})
	if err != nil || len(fleet.Items) != 2 {
		t.Fatalf("ComplianceSummaries = %+v, %v", fleet, err)
	}
	if want := "GET /api/v1/compliance/summaries?label=env%3Dprod&policy_id=acme_ssh"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	byHost := map[string]apiclient.ComplianceSummary{}
	for _, s := range fleet.Items {
		byHost[s.Value.Hostname] = s.Value
	}
	if byHost["app-1"].Applicable || !byHost["web-1"].Applicable {
		t.Errorf("summaries by host: %+v", byHost)
	}

	groups, err := c.ComplianceGroups(ctx, apiclient.ComplianceGroupFilter{Label: "env", PolicyID: "acme_ssh"})
	if err != nil || len(groups.Items) != 1 {
		t.Fatalf("ComplianceGroups = %+v, %v", groups, err)
	}
	if g := groups.Items[0].Value; g.Label != "env" || g.Value != "prod" || g.Hosts != 1 || g.Counts.Fail != 1 {
		t.Errorf("group: %+v", g)
	}
	if want := "GET /api/v1/compliance/groups?label=env&policy_id=acme_ssh"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}

	checks, err := c.ComplianceChecks(ctx, apiclient.ComplianceFleetFilter{PolicyID: "acme_ssh", AgentID: "a1"})
	if err != nil || len(checks.Items) != 2 {
		t.Fatalf("ComplianceChecks = %+v, %v", checks, err)
	}
	if ch := checks.Items[0].Value; ch.CheckID != "acme_ssh.1" || ch.Hosts.Fail != 1 || ch.Check == nil || ch.Severity != "high" {
		t.Errorf("first check: %+v", ch)
	}
	if want := "GET /api/v1/compliance/checks?agent_id=a1&policy_id=acme_ssh"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	if _, err := c.ComplianceChecks(ctx, apiclient.ComplianceFleetFilter{PolicyID: "nope"}); !apiclient.IsStatus(err, 404) {
		t.Errorf("checks of an unknown policy: %v", err)
	}

	drift, err := c.ComplianceDrift(ctx, apiclient.ComplianceDriftFilter{AgentID: "a1", PolicyID: "acme_ssh", Regressed: true,
		Since: t0.AddDate(0, 0, -7), Until: t0})
	if err != nil || len(drift.Items) != 1 {
		t.Fatalf("ComplianceDrift = %+v, %v", drift, err)
	}
	if d := drift.Items[0].Value; d.CheckID != "acme_ssh.1" || d.Before != "pass" || d.After != "fail" || !d.Regressed ||
		!d.ChangedAt.Equal(t0.Add(-2*time.Hour)) || d.Hostname != "web-1" {
		t.Errorf("drift: %+v", d)
	}
	if want := "GET /api/v1/compliance/drift?agent_id=a1&policy_id=acme_ssh&regressed=true&since=2025-02-25T10%3A00%3A00Z&until=2025-03-04T10%3A00%3A00Z"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}

	scores, err := c.ComplianceScores(ctx, store.ComplianceScoreFilter{AgentID: "a1", PolicyID: "acme_ssh", Since: t0.AddDate(0, 0, -30)})
	if err != nil || len(scores.Items) != 1 {
		t.Fatalf("ComplianceScores = %+v, %v", scores, err)
	}
	// Recorded at the center's clock after the second evaluation, before
	// the exception: both checks failed.
	if s := scores.Items[0].Value; s.AgentID != "a1" || s.Passed != 0 || s.Failed != 2 || s.Excepted != 0 || !s.At.Equal(t0) {
		t.Errorf("score: %+v", s)
	}
	if want := "GET /api/v1/compliance/scores?agent_id=a1&policy_id=acme_ssh&since=2025-02-02T10%3A00%3A00Z"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}

	exs, err := c.ComplianceExceptions(ctx, apiclient.ComplianceExceptionFilter{PolicyID: "acme_ssh", Expired: true})
	if err != nil || len(exs) != 1 || exs[0].Value.ID != ex.Value.ID || exs[0].Value.Reason != "legacy batch host" {
		t.Fatalf("ComplianceExceptions = %+v, %v", exs, err)
	}
	if want := "GET /api/v1/compliance/exceptions?expired=true&policy_id=acme_ssh"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}

	rep, err := c.ComplianceReport(ctx, apiclient.ComplianceReportQuery{PolicyID: "acme_ssh", Lang: "zh"})
	if err != nil || !strings.HasPrefix(strings.ToLower(string(rep.HTML)), "<!doctype html") || !strings.Contains(string(rep.HTML), "确保 sshd 禁止 root 直接登录") ||
		!regexp.MustCompile(`^vigil-compliance-fleet-acme_ssh-[0-9]{8}\.html$`).MatchString(rep.FileName) {
		t.Fatalf("fleet report %q (%d bytes), %v", rep.FileName, len(rep.HTML), err)
	}
	if want := "GET /api/v1/compliance/report?lang=zh&policy_id=acme_ssh"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	rep, err = c.ComplianceReport(ctx, apiclient.ComplianceReportQuery{AgentID: "a1"})
	if err != nil || !strings.Contains(string(rep.HTML), "web-1") || !strings.HasPrefix(rep.FileName, "vigil-compliance-web-1-") {
		t.Fatalf("host report %q (%d bytes), %v", rep.FileName, len(rep.HTML), err)
	}
	if _, err := c.ComplianceReport(ctx, apiclient.ComplianceReportQuery{PolicyID: "nope"}); !apiclient.IsStatus(err, 404) ||
		err.Error() != `policy "nope": not in the catalogue (404 not_found)` {
		t.Errorf("report of an unknown policy: %v", err)
	}

	if err := c.DeleteComplianceException(ctx, ex.Value.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteComplianceException(ctx, ex.Value.ID); !apiclient.IsStatus(err, 404) {
		t.Errorf("second delete: %v", err)
	}
	results, err = c.ComplianceResults(ctx, apiclient.ComplianceResultFilter{AgentID: "a1", CheckID: "acme_ssh.2"})
	if err != nil || len(results.Items) != 1 || results.Items[0].Value.Status != "fail" {
		t.Errorf("result after the exception's delete: %+v, %v", results, err)
	}
	checkRoutes(t, env, complianceRoutePrefix, append(resultRoutes, policyRoutes[0], policyRoutes[4]))
}

// complianceRoutePrefix is the path of the compliance routes.
const complianceRoutePrefix = "/api/v1/compliance"

// resultRoutes are the routes TestComplianceResultRoutes calls; the
// fleet's setup uploads and assigns a policy.
var resultRoutes = []string{"POST /api/v1/compliance/exceptions", "GET /api/v1/compliance", "GET /api/v1/compliance/hosts/{id}",
	"GET /api/v1/compliance/summaries", "GET /api/v1/compliance/groups", "GET /api/v1/compliance/checks", "GET /api/v1/compliance/drift",
	"GET /api/v1/compliance/scores", "GET /api/v1/compliance/exceptions", "GET /api/v1/compliance/report",
	"DELETE /api/v1/compliance/exceptions/{id}"}

// TestComplianceRoutesDescribed checks that the compliance methods,
// taken together, call every compliance route api/openapi.yaml describes
// (which the center's tests hold equal to its route table), so that a
// route added to the center without a method here fails.
func TestComplianceRoutesDescribed(t *testing.T) {
	var tested []string
	for _, list := range [][]string{policyRoutes, resultRoutes} {
		tested = append(tested, list...)
	}
	slices.Sort(tested)
	if described := describedRoutes(t, complianceRoutePrefix); !slices.Equal(described, tested) {
		t.Errorf("compliance routes described in api/openapi.yaml:\n %v\ncalled by the tests:\n %v", described, tested)
	}
}

// TestComplianceUploadOnTheWire checks what an upload sends: the file as
// is, as YAML, with the format, and the created flag of the answer.
func TestComplianceUploadOnTheWire(t *testing.T) {
	var method, path, query, contentType, accept, body string
	calls := 0
	c, _ := newTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		method, path, query, body = r.Method, r.URL.Path, r.URL.RawQuery, string(data)
		contentType, accept = r.Header.Get("Content-Type"), r.Header.Get("Accept")
		calls++
		w.Header().Set("Content-Type", "application/json")
		status := http.StatusCreated
		if calls > 1 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		io.WriteString(w, `{"id":"acme_wazuh","version":"1","checks":3,"format":"wazuh-sca","skipped":["x.4: no rule"]}`)
	}), "vgt_x")
	ctx := context.Background()
	p, created, err := c.PutCompliancePolicy(ctx, "acme_wazuh", []byte("policy:\n  id: acme_wazuh\n"), "wazuh-sca")
	if err != nil || !created || p.Value.Checks != 3 || !slices.Equal(p.Value.Skipped, []string{"x.4: no rule"}) {
		t.Fatalf("PutCompliancePolicy = %+v, %v, %v", p.Value, created, err)
	}
	if method != "PUT" || path != "/api/v1/compliance/policies/acme_wazuh" || query != "format=wazuh-sca" ||
		contentType != "application/yaml" || accept != "application/json" || body != "policy:\n  id: acme_wazuh\n" {
		t.Errorf("sent %s %s?%s, type %q, accept %q, body %q", method, path, query, contentType, accept, body)
	}
	if _, created, err = c.PutCompliancePolicy(ctx, "acme_wazuh", []byte("x"), ""); err != nil || created || query != "" {
		t.Errorf("replace: created %v, %v, query %q", created, err, query)
	}
}

// TestComplianceReportOnTheWire checks how a report is read: asked for as
// HTML, bounded, refused when it is no HTML, and its file name made safe.
func TestComplianceReportOnTheWire(t *testing.T) {
	var accept string
	c, _ := newTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept = r.Header.Get("Accept")
		switch r.URL.Query().Get("policy_id") {
		case "json":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{}`)
		case "huge":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.CopyN(w, zeros{}, apiclient.MaxComplianceReport+1)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="../../etc/passwd"`)
			io.WriteString(w, "<!doctype html><title>r</title>")
		}
	}), "vgt_x")
	ctx := context.Background()
	rep, err := c.ComplianceReport(ctx, apiclient.ComplianceReportQuery{PolicyID: "p"})
	if err != nil || string(rep.HTML) != "<!doctype html><title>r</title>" || rep.FileName != "passwd" || accept != "text/html" {
		t.Fatalf("report %q named %q, %v; accept %q", rep.HTML, rep.FileName, err, accept)
	}
	if _, err := c.ComplianceReport(ctx, apiclient.ComplianceReportQuery{PolicyID: "json"}); err == nil ||
		err.Error() != `GET /api/v1/compliance/report answered "application/json", not an HTML report` {
		t.Errorf("JSON for a report: %v", err)
	}
	if _, err := c.ComplianceReport(ctx, apiclient.ComplianceReportQuery{PolicyID: "huge"}); err == nil ||
		!strings.Contains(err.Error(), "the compliance report: larger than 67108864 bytes") {
		t.Errorf("oversized report: %v", err)
	}
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestComplianceItemsKeepTheirJSON checks that items are passed on as the
// center sent them, fields this client does not know included, and that
// an item that does not fit its type is an error.
func TestComplianceItemsKeepTheirJSON(t *testing.T) {
	// Spaced as the center would not, with a field this client does not
	// know holding an integer above 2^53.
	const item = `{"id":"p1", "version":"2","checks":12,"future":{"n":9007199254740993}}`
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/compliance/policies", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"items":[`+item+`],"next_cursor":""}`)
	})
	mux.HandleFunc("GET /api/v1/compliance/groups", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"items":[{"label":"env","hosts":"many"}],"next_cursor":""}`)
	})
	c, _ := newTLS(t, mux, "vgt_x")
	ctx := context.Background()
	list, err := c.CompliancePolicies(ctx)
	if err != nil || len(list) != 1 || string(list[0].JSON) != item || list[0].Value.ID != "p1" || list[0].Value.Checks != 12 {
		t.Fatalf("CompliancePolicies = %+v, %v", list, err)
	}
	out, err := json.Marshal(list)
	if err != nil || string(out) != `[{"id":"p1","version":"2","checks":12,"future":{"n":9007199254740993}}]` {
		t.Errorf("encoded again: %s, %v", out, err)
	}
	_, err = c.ComplianceGroups(ctx, apiclient.ComplianceGroupFilter{})
	if err == nil || !strings.Contains(err.Error(), "decode answer of GET /api/v1/compliance/groups") || !strings.Contains(err.Error(), "hosts") {
		t.Errorf("item of the wrong shape: %v", err)
	}
}

func TestComplianceEmptyIDsAreRefused(t *testing.T) {
	env := apiclienttest.StartWith(t, apiclienttest.Options{Compliance: true})
	c := client(t, env, env.AdminToken)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"host summaries": func() error { _, err := c.ComplianceHostSummaries(ctx, ""); return err },
		"checks":         func() error { _, err := c.ComplianceChecks(ctx, apiclient.ComplianceFleetFilter{}); return err },
		"policy":         func() error { _, err := c.CompliancePolicy(ctx, ""); return err },
		"upload":         func() error { _, _, err := c.PutCompliancePolicy(ctx, "", []byte("x"), ""); return err },
		"delete policy":  func() error { return c.DeleteCompliancePolicy(ctx, "") },
		"assign": func() error {
			_, err := c.AssignCompliancePolicy(ctx, "", apiclient.ComplianceAssignmentRequest{})
			return err
		},
		"unassign":         func() error { return c.UnassignCompliancePolicy(ctx, "") },
		"delete exception": func() error { return c.DeleteComplianceException(ctx, "") },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(env.Requests()); n != 0 {
		t.Errorf("%d requests sent for empty ids", n)
	}
}
