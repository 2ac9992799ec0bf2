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
	agent := c.startAgent(t, filepath.Join(dir, "agent"), c.joinToken("--ttl", "1h", "--labels", "e2e=compliance"))
	defer agent.stop(t)
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
	if code := c.api("GET", "/compliance/hosts/"+id, nil, &sums); code != 200 || len(sums.Items) != 1 || sums.Items[0].Score == nil {
		t.Errorf("host summary: %d %+v", code, sums.Items)
	}
	var scores struct{ Items []map[string]any }
	waitFor(t, 30*time.Second, "the score history", func() bool {
		c.api("GET", "/compliance/scores?agent_id="+id, nil, &scores)
		return len(scores.Items) == 1
	})
}
