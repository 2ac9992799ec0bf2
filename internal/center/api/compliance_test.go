package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/center/compliance"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// customPolicy is a small policy an operator uploads.
const customPolicy = `format: 1
policy:
  id: acme_baseline
  version: "1.0"
  name: {en: ACME baseline, zh: ACME 基线}
  description: {en: Our own rules., zh: 我们自己的规则。}
checks:
  - id: acme_baseline.1
    title: {en: No telnet server, zh: 不安装 telnet 服务}
    rationale: {en: Telnet sends passwords in clear text., zh: telnet 明文传输口令。}
    remediation: {en: apt-get purge telnetd, zh: apt-get purge telnetd}
    severity: high
    rules:
      - package: {name: telnetd, installed: false}
`

func TestCompliancePolicies(t *testing.T) {
	e := newEnv(t)
	var list struct {
		Items []policyView `json:"items"`
	}
	e.call("GET", "/api/v1/compliance/policies", store.RoleViewer, nil, 200, &list)
	shipped := 0
	for _, p := range list.Items {
		if p.Shipped {
			shipped++
		}
	}
	if shipped == 0 {
		t.Fatalf("no shipped policy listed: %+v", list.Items)
	}

	var created policyView
	e.call("PUT", "/api/v1/compliance/policies/acme_baseline", store.RoleAdmin, customPolicy, 201, &created)
	if created.Checks != 1 || created.Shipped || created.Format != "vigil" || created.Digest == "" || created.Author == "" {
		t.Errorf("created %+v", created)
	}
	e.call("PUT", "/api/v1/compliance/policies/acme_baseline", store.RoleAdmin, customPolicy, 200, nil)
	e.call("PUT", "/api/v1/compliance/policies/acme_baseline", store.RoleResponder, customPolicy, 403, nil)
	status, data := e.do("PUT", "/api/v1/compliance/policies/other", adminToken, customPolicy)
	if status != 422 || !strings.Contains(errorMessage(data), `policy id is "acme_baseline", not "other"`) {
		t.Errorf("id mismatch: %d %s", status, data)
	}
	bad := strings.Replace(customPolicy, "package: {name: telnetd, installed: false}", "config: {path: /etc/x, format: sshd2, key: a, op: eq, value: b}", 1)
	status, data = e.do("PUT", "/api/v1/compliance/policies/acme_baseline", adminToken, bad)
	if status != 422 || !strings.Contains(errorMessage(data), "acme_baseline.yml:14:") || !strings.Contains(errorMessage(data), "sshd2") {
		t.Errorf("bad policy: %d %s", status, data)
	}
	sca, err := os.ReadFile("../../compliance/policy/sca/testdata/cis_debian12_sample.yml")
	if err != nil {
		t.Fatal(err)
	}
	// The sample's id is a shipped policy's: uploaded under an id of its own.
	shippedSCA := scaPolicyIDOf(t, sca)
	sca = []byte(strings.Replace(string(sca), `id: "`+shippedSCA+`"`, "id: acme_sca", 1))
	var view policyView
	e.call("PUT", "/api/v1/compliance/policies/acme_sca?format=wazuh-sca", store.RoleAdmin, string(sca), 201, &view)
	if view.Format != "wazuh-sca" || view.Checks == 0 {
		t.Errorf("SCA upload %+v", view)
	}
	shippedID := ""
	for _, p := range list.Items {
		if p.Shipped {
			shippedID = p.ID
			break
		}
	}
	imposter := strings.ReplaceAll(customPolicy, "acme_baseline", shippedID)
	e.call("PUT", "/api/v1/compliance/policies/"+shippedID, store.RoleAdmin, imposter, 409, nil)
	e.call("DELETE", "/api/v1/compliance/policies/"+shippedID, store.RoleAdmin, nil, 409, nil)

	var detail policyDetail
	e.call("GET", "/api/v1/compliance/policies/acme_baseline", store.RoleViewer, nil, 200, &detail)
	if len(detail.Items) != 1 || detail.Items[0].Title.Zh == "" {
		t.Errorf("detail %+v", detail)
	}

	var a store.ComplianceAssignment
	e.call("PUT", "/api/v1/compliance/policies/acme_baseline/assignment", store.RoleAdmin,
		map[string]any{"selector": map[string]string{"env": "prod"}, "interval_seconds": 3600}, 200, &a)
	if a.PolicyID != "acme_baseline" || a.Selector["env"] != "prod" || a.Author == "" {
		t.Errorf("assignment %+v", a)
	}
	e.call("PUT", "/api/v1/compliance/policies/acme_baseline/assignment", store.RoleAdmin, map[string]any{"interval_seconds": 5}, 400, nil)
	e.call("PUT", "/api/v1/compliance/policies/nope/assignment", store.RoleAdmin, map[string]any{}, 404, nil)
	e.call("GET", "/api/v1/compliance/policies", store.RoleViewer, nil, 200, &list)
	for _, p := range list.Items {
		if p.ID == "acme_baseline" && (p.Assignment == nil || p.Assignment.IntervalSeconds != 3600) {
			t.Errorf("listed %+v", p)
		}
	}
	e.call("DELETE", "/api/v1/compliance/policies/acme_baseline", store.RoleAdmin, nil, 204, nil)
	e.call("DELETE", "/api/v1/compliance/policies/acme_baseline/assignment", store.RoleAdmin, nil, 404, nil)
	e.call("GET", "/api/v1/compliance/policies/acme_baseline", store.RoleViewer, nil, 404, nil)
}

// scaPolicyIDOf reads the policy id of an SCA file.
func scaPolicyIDOf(t *testing.T, data []byte) string {
	t.Helper()
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "id:" {
			return strings.Trim(f[1], `"'`)
		}
	}
	t.Fatal("no id in the SCA file")
	return ""
}

func TestComplianceResults(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addAgent("a1", "web-01", store.StatusOnline, nil)
	var list struct {
		Items []policyView `json:"items"`
	}
	e.call("GET", "/api/v1/compliance/policies", store.RoleViewer, nil, 200, &list)
	var detail policyDetail
	e.call("GET", "/api/v1/compliance/policies/"+list.Items[0].ID, store.RoleViewer, nil, 200, &detail)
	pid := detail.ID
	items := []store.AssetRecord{}
	add := func(key string, fields map[string]any) {
		b, _ := json.Marshal(map[string]any{"vigil": map[string]any{"compliance": fields}})
		items = append(items, store.AssetRecord{Kind: event.AssetCompliance, Key: key, Name: key, Fields: b,
			Hash: event.AssetHash(event.AssetCompliance, key, key, "", b)})
	}
	add(pid, map[string]any{"policy": pid, "status": "evaluated"})
	for i, st := range []string{"pass", "fail", "fail", "error"} {
		c := detail.Items[i]
		add(pid+"/"+c.ID, map[string]any{"policy": pid, "check": c.ID, "status": st, "severity": string(c.Severity),
			"evidence": []any{map[string]any{"rule": "file", "status": st, "evidence": "/etc/shadow: file root:shadow 0640"}}})
	}
	hashes := map[string][32]byte{}
	for _, it := range items {
		hashes[it.Kind+"\x00"+it.Key] = it.Hash
	}
	if _, err := e.st.Inventory().Apply(ctx, store.InventoryChanges{AgentID: "a1", Collector: compliance.Collector,
		BaseDigest: event.InventoryDigest(nil), Digest: event.InventoryDigest(hashes), Upserts: items, At: e.clock.Now(), Last: true}); err != nil {
		t.Fatal(err)
	}
	var ex store.ComplianceException
	e.call("POST", "/api/v1/compliance/exceptions", store.RoleAnalyst, map[string]any{"policy_id": pid, "check_id": detail.Items[1].ID,
		"reason": "jump host", "expires_at": e.clock.Now().Add(48 * time.Hour)}, 201, &ex)
	e.call("POST", "/api/v1/compliance/exceptions", store.RoleViewer, map[string]any{"policy_id": pid, "reason": "x"}, 403, nil)
	e.call("POST", "/api/v1/compliance/exceptions", store.RoleAnalyst, map[string]any{"policy_id": pid, "check_id": "nope", "reason": "x"}, 404, nil)
	e.call("POST", "/api/v1/compliance/exceptions", store.RoleAnalyst, map[string]any{"policy_id": pid, "reason": "x",
		"expires_at": e.clock.Now().Add(-time.Hour)}, 400, nil)

	var results struct {
		Items []compliance.Result `json:"items"`
	}
	e.call("GET", "/api/v1/compliance?agent_id=a1", store.RoleViewer, nil, 200, &results)
	got := map[string]int{}
	for _, r := range results.Items {
		got[r.Status]++
		if r.Hostname != "web-01" || r.Check == nil || len(r.Evidence) == 0 {
			t.Errorf("result %+v", r)
		}
	}
	if got["pass"] != 1 || got["fail"] != 1 || got["excepted"] != 1 || got["error"] != 1 {
		t.Errorf("statuses %v", got)
	}
	e.call("GET", "/api/v1/compliance?status=fail", store.RoleViewer, nil, 200, &results)
	if len(results.Items) != 1 {
		t.Errorf("failed: %+v", results.Items)
	}
	e.call("GET", "/api/v1/compliance?status=maybe", store.RoleViewer, nil, 400, nil)

	var sums struct {
		Items []compliance.Summary `json:"items"`
	}
	e.call("GET", "/api/v1/compliance/hosts/a1", store.RoleViewer, nil, 200, &sums)
	if len(sums.Items) != 1 || sums.Items[0].Score == nil || *sums.Items[0].Score != 50 {
		t.Errorf("host summaries %+v", sums.Items)
	}
	e.call("GET", "/api/v1/compliance/hosts/nope", store.RoleViewer, nil, 404, nil)

	// Fleet views.
	var fleet struct {
		Items []compliance.Summary `json:"items"`
	}
	e.call("GET", "/api/v1/compliance/summaries?label=env=prod", store.RoleViewer, nil, 200, &fleet)
	if len(fleet.Items) != 0 {
		t.Errorf("summaries of env=prod: %+v", fleet.Items)
	}
	e.call("GET", "/api/v1/compliance/summaries?policy_id="+pid, store.RoleViewer, nil, 200, &fleet)
	if len(fleet.Items) != 1 || fleet.Items[0].Hostname != "web-01" || *fleet.Items[0].Score != 50 {
		t.Errorf("summaries %+v", fleet.Items)
	}
	e.call("GET", "/api/v1/compliance/summaries?label=env", store.RoleViewer, nil, 400, nil)
	var groups struct {
		Items []compliance.Group `json:"items"`
	}
	e.call("GET", "/api/v1/compliance/groups?label=env", store.RoleViewer, nil, 200, &groups)
	if len(groups.Items) != 1 || groups.Items[0].Value != "" || groups.Items[0].Hosts != 1 || groups.Items[0].Counts.Excepted != 1 {
		t.Errorf("groups %+v", groups.Items)
	}
	e.call("GET", "/api/v1/compliance/groups?label=bad%20key", store.RoleViewer, nil, 400, nil)
	var checks struct {
		Items []compliance.CheckStanding `json:"items"`
	}
	e.call("GET", "/api/v1/compliance/checks?policy_id="+pid+"&limit=2", store.RoleViewer, nil, 200, &checks)
	if len(checks.Items) != 2 || checks.Items[0].CheckID != detail.Items[2].ID || checks.Items[0].Hosts.Fail != 1 {
		t.Errorf("checks %+v", checks.Items)
	}
	e.call("GET", "/api/v1/compliance/checks", store.RoleViewer, nil, 400, nil)
	e.call("GET", "/api/v1/compliance/checks?policy_id=nope", store.RoleViewer, nil, 404, nil)

	// The passing check fails in the next report: a regression.
	base := event.InventoryDigest(hashes)
	add(pid+"/"+detail.Items[0].ID, map[string]any{"policy": pid, "check": detail.Items[0].ID, "status": "fail",
		"severity": string(detail.Items[0].Severity)})
	changed := items[len(items)-1]
	hashes[changed.Kind+"\x00"+changed.Key] = changed.Hash
	if _, err := e.st.Inventory().Apply(ctx, store.InventoryChanges{AgentID: "a1", Collector: compliance.Collector,
		BaseDigest: base, Digest: event.InventoryDigest(hashes), Upserts: []store.AssetRecord{changed}, At: e.clock.Now(), Last: true}); err != nil {
		t.Fatal(err)
	}
	var drift struct {
		Items []compliance.Drift `json:"items"`
	}
	e.call("GET", "/api/v1/compliance/drift?regressed=true&policy_id="+pid, store.RoleViewer, nil, 200, &drift)
	if len(drift.Items) != 1 || !drift.Items[0].Regressed || drift.Items[0].Hostname != "web-01" || drift.Items[0].Before != "pass" {
		t.Errorf("drift %+v", drift.Items)
	}
	e.call("GET", "/api/v1/compliance/drift?regressed=maybe", store.RoleViewer, nil, 400, nil)

	// Reports.
	for _, c := range []struct {
		query, want string
	}{
		{"agent_id=a1", "web-01"},
		{"agent_id=a1&lang=zh&policy_id=" + pid, "合规"},
		{"policy_id=" + pid, "web-01"},
	} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/compliance/report?"+c.query, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens[store.RoleViewer])
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(data)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), `attachment; filename="vigil-compliance-`) ||
			!strings.Contains(body, c.want) || !strings.Contains(body, detail.Items[2].ID) || strings.Contains(body, "<script") {
			t.Errorf("report %s: %d %v\n%.300s", c.query, resp.StatusCode, resp.Header, body)
		}
	}
	for query, code := range map[string]int{"": 400, "agent_id=a1&lang=fr": 400, "policy_id=nope": 404, "agent_id=nope": 404} {
		e.call("GET", "/api/v1/compliance/report?"+query, store.RoleViewer, nil, code, nil)
	}
	e.call("GET", "/api/v1/compliance/drift?since=yesterday", store.RoleViewer, nil, 400, nil)

	var exs struct {
		Items []store.ComplianceException `json:"items"`
	}
	e.call("GET", "/api/v1/compliance/exceptions?policy_id="+pid, store.RoleViewer, nil, 200, &exs)
	if len(exs.Items) != 1 || exs.Items[0].Author == "" {
		t.Errorf("exceptions %+v", exs.Items)
	}
	e.call("DELETE", "/api/v1/compliance/exceptions/"+ex.ID, store.RoleAnalyst, nil, 204, nil)
	e.call("DELETE", "/api/v1/compliance/exceptions/"+ex.ID, store.RoleAnalyst, nil, 404, nil)
	e.call("GET", "/api/v1/compliance/scores?agent_id=a1", store.RoleViewer, nil, 200, nil)
}
