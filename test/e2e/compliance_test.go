//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCompliance: CIS Debian 12 assigned by label reaches a real agent in
// its policy; a run on demand evaluates it on this host; the center lists
// every check's result with its evidence and the host's score.
func TestCompliance(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("the compliance checks read shadow: they need root")
		}
		t.Skip("the compliance checks read shadow: they need root")
	}
	osRelease, err := os.ReadFile("/etc/os-release")
	if err != nil || !strings.Contains(string(osRelease), `VERSION_ID="12"`) || !strings.Contains(string(osRelease), "ID=debian") {
		t.Skip("CIS Debian 12 applies to Debian 12 only")
	}
	t.Parallel()
	dir := t.TempDir()
	c := startCenter(t, filepath.Join(dir, "center"))
	if code := c.api("PUT", "/compliance/policies/cis_debian12/assignment", map[string]any{
		"selector": map[string]string{"e2e": "compliance"}}, nil); code != 200 {
		t.Fatalf("assign: %d", code)
	}
	// A policy of our own watches a file of the test: changing its mode
	// between two runs makes drift.
	watched := filepath.Join(dir, "secret.conf")
	if err := os.WriteFile(watched, []byte("key=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := c.api("PUT", "/compliance/policies/e2e_drift", []byte(driftPolicy(watched)), nil); code != 201 {
		t.Fatalf("upload e2e_drift: %d", code)
	}
	if code := c.api("PUT", "/compliance/policies/e2e_drift/assignment", map[string]any{
		"selector": map[string]string{"e2e": "compliance"}}, nil); code != 200 {
		t.Fatalf("assign e2e_drift: %d", code)
	}
	agent := c.startAgent(t, filepath.Join(dir, "agent"), c.joinToken("--ttl", "1h", "--labels", "e2e=compliance"))
	defer agent.stop(t)
	defer func() {
		if t.Failed() {
			t.Logf("agent log:\n%s\ncenter log:\n%s", tail(agent.log), tail(c.proc.log))
		}
	}()
	var id string
	waitFor(t, 60*time.Second, "agent online", func() bool {
		for _, a := range c.agents() {
			if a.Status == "online" {
				id = a.ID
				return true
			}
		}
		return false
	})
	type resultJSON struct {
		CheckID  string           `json:"check_id"`
		Status   string           `json:"status"`
		Evidence []map[string]any `json:"evidence"`
		Check    *struct {
			Title map[string]string `json:"title"`
		} `json:"check"`
	}
	var results []resultJSON
	waitFor(t, 120*time.Second, "the results of cis_debian12", func() bool {
		// The policy reaches the agent with its next policy update; a run
		// on demand then evaluates it.
		c.collect(id, "compliance/baseline")
		var page struct{ Items []resultJSON }
		if code := c.api("GET", "/compliance?limit=1000&policy_id=cis_debian12&agent_id="+id, nil, &page); code != 200 {
			t.Fatalf("GET /compliance: %d", code)
		}
		results = page.Items
		return len(results) > 0
	})
	var detail struct {
		Checks int `json:"checks"`
	}
	c.api("GET", "/compliance/policies/cis_debian12", nil, &detail)
	if len(results) != detail.Checks {
		t.Errorf("%d results of %d checks", len(results), detail.Checks)
	}
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Status]++
		if r.Check == nil || r.Check.Title["zh"] == "" {
			t.Errorf("%s has no texts", r.CheckID)
		}
		if r.Status != "not_applicable" && len(r.Evidence) == 0 {
			t.Errorf("%s (%s) has no evidence", r.CheckID, r.Status)
		}
	}
	if counts["pass"] == 0 || counts["fail"] == 0 {
		t.Errorf("statuses on this host: %v", counts)
	}
	t.Logf("cis_debian12 on this host: %v", counts)
	var sums struct {
		Items []struct {
			PolicyID string   `json:"policy_id"`
			Score    *float64 `json:"score"`
		} `json:"items"`
	}
	if code := c.api("GET", "/compliance/hosts/"+id, nil, &sums); code != 200 || len(sums.Items) != 2 || sums.Items[0].Score == nil {
		t.Errorf("host summary: %d %+v", code, sums.Items)
	}
	var scores struct{ Items []map[string]any }
	waitFor(t, 30*time.Second, "the score history", func() bool {
		c.api("GET", "/compliance/scores?agent_id="+id, nil, &scores)
		return len(scores.Items) == 2 // cis_debian12 and e2e_drift
	})

	fleetViews(t, c, id, watched)
}

// driftPolicy is a one-check policy: path is private.
func driftPolicy(path string) string {
	return `format: 1
policy:
  id: e2e_drift
  version: "1"
  name: {en: Drift test, zh: 漂移测试}
  description: {en: One private file., zh: 一个私有文件。}
checks:
  - id: e2e_drift.1
    title: {en: The secret file is private, zh: 机密文件仅属主可读写}
    rationale: {en: Others must not read it., zh: 其他用户不得读取。}
    remediation: {en: chmod 600 the file, zh: 将文件权限设为 600}
    severity: high
    rules:
      - file: {path: "` + path + `", mode_max: "0600"}
`
}

// fleetViews: the fleet's summaries, group scores and per-check standing
// include the host, and a check that passed and fails after a change on
// the host shows as a regression.
func fleetViews(t *testing.T, c *center, id, watched string) {
	type statusOf struct {
		Items []struct {
			Status string `json:"status"`
		} `json:"items"`
	}
	waitFor(t, 60*time.Second, "e2e_drift evaluated", func() bool {
		c.collect(id, "compliance/baseline")
		var page statusOf
		c.api("GET", "/compliance?policy_id=e2e_drift&agent_id="+id, nil, &page)
		return len(page.Items) == 1 && page.Items[0].Status == "pass"
	})
	var sums struct {
		Items []struct {
			AgentID  string `json:"agent_id"`
			Hostname string `json:"hostname"`
			PolicyID string `json:"policy_id"`
		} `json:"items"`
	}
	if code := c.api("GET", "/compliance/summaries?label=e2e=compliance", nil, &sums); code != 200 || len(sums.Items) != 2 || sums.Items[0].Hostname == "" {
		t.Errorf("summaries: %d %+v", code, sums.Items)
	}
	var groups struct {
		Items []struct {
			Value    string `json:"value"`
			PolicyID string `json:"policy_id"`
			Hosts    int    `json:"hosts"`
		} `json:"items"`
	}
	if code := c.api("GET", "/compliance/groups?label=e2e", nil, &groups); code != 200 || len(groups.Items) != 2 ||
		groups.Items[0].Value != "compliance" || groups.Items[0].Hosts != 1 {
		t.Errorf("groups: %d %+v", code, groups.Items)
	}
	var checks struct {
		Items []struct {
			CheckID string         `json:"check_id"`
			Hosts   map[string]int `json:"hosts"`
		} `json:"items"`
	}
	if code := c.api("GET", "/compliance/checks?policy_id=cis_debian12&limit=5", nil, &checks); code != 200 || len(checks.Items) != 5 || checks.Items[0].Hosts["fail"] != 1 {
		t.Errorf("checks: %d %+v", code, checks.Items)
	}

	for _, q := range []string{"agent_id=" + id + "&lang=zh", "policy_id=cis_debian12&lang=en"} {
		if code := c.api("GET", "/compliance/report?"+q, nil, nil); code != 200 {
			t.Errorf("report %s: %d", q, code)
		}
	}

	if err := os.Chmod(watched, 0o644); err != nil {
		t.Fatal(err)
	}
	type driftJSON struct {
		CheckID   string `json:"check_id"`
		Before    string `json:"before"`
		After     string `json:"after"`
		Regressed bool   `json:"regressed"`
	}
	waitFor(t, 60*time.Second, "the regression of e2e_drift.1", func() bool {
		c.collect(id, "compliance/baseline")
		var drift struct{ Items []driftJSON }
		c.api("GET", "/compliance/drift?regressed=true&agent_id="+id, nil, &drift)
		for _, d := range drift.Items {
			if d.CheckID == "e2e_drift.1" && d.Before == "pass" && d.After == "fail" && d.Regressed {
				return true
			}
		}
		return false
	})
}
