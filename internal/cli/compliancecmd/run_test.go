package compliancecmd_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	"github.com/vigilsec/vigil/internal/cli/compliancecmd"
	cct "github.com/vigilsec/vigil/internal/cli/compliancecmd/compliancecmdtest"
)

// TestRun evaluates hosts on demand: the collect command travels on the
// bus to the connected hosts, which evaluate their assigned policies with
// the agent's collector and send the results with the agent's syncer to
// the inventory service; run then prints what the center holds.
func TestRun(t *testing.T) {
	e, hosts := seeded(t)
	ctx := context.Background()

	// app-1 is not connected: it is offline.
	r := e.Run(ctx, "", "compliance", "run", "--agent", cct.App, "--wait", "5s")
	if r.Code != 1 || !strings.Contains(r.Stdout, "app-1  c4e5f6  agent offline") ||
		!strings.Contains(r.Stderr, "vigil: compliance run failed on 1 of 1 hosts") {
		t.Errorf("offline host: %+v", r)
	}

	for _, id := range []string{cct.Web, cct.DB, cct.App} {
		hosts[id].Connect()
	}
	// web-1 fixes its sshd: the run must show the new result.
	hosts[cct.Web].Write("/etc/ssh/sshd_config", "PermitRootLogin no\n")
	out := e.OK("compliance", "run")
	clikittest.Golden(t, "run", out)
	got := e.OK("compliance", "results", "--agent", cct.Web, "--check", "acme_baseline.1")
	if !strings.Contains(got, "acme_baseline.1  pass") {
		t.Errorf("web-1's result after the run:\n%s", got)
	}

	out = e.OK("compliance", "run", "--label", "role=db", "-o", "json")
	var rep compliancecmd.RunReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("run -o json: %v\n%s", err, out)
	}
	if len(rep.Asked) != 1 || rep.Asked[0].AgentID != cct.DB || !slices.Equal(rep.Asked[0].Policies, []string{"acme_baseline", "acme_logging"}) ||
		len(rep.NotAssigned) != 0 || len(rep.Results) != 1 || !rep.Results[0].OK || len(rep.Summaries) != 2 || rep.CommandID == "" {
		t.Errorf("run -o json = %+v", rep)
	}
	var output struct {
		Collector string `json:"collector"`
		Assets    int    `json:"assets"`
	}
	if err := json.Unmarshal(rep.Results[0].Output, &output); err != nil || output.Collector != compliancecmd.Collector || output.Assets != 10 {
		t.Errorf("db-1's answer %s (%v): want 10 items of %s (2 policies, 8 checks)", rep.Results[0].Output, err, compliancecmd.Collector)
	}

	out = e.OK("compliance", "run", "--policy", "acme_logging")
	clikittest.Golden(t, "run_policy", out)

	// A host named with --agent that has no policy makes the run fail,
	// after the others are evaluated.
	r = e.Run(ctx, "", "compliance", "run", "--agent", cct.Web, "--agent", cct.Dev)
	if r.Code != 1 || !strings.Contains(r.Stdout, "Not asked, no compliance policy assigned: dev-1 (9d0e1f)") ||
		!strings.Contains(r.Stdout, "web-1  7f3c9a  acme_baseline") ||
		!strings.Contains(r.Stderr, "vigil: 1 of the hosts named with --agent not evaluated: no compliance policy assigned") {
		t.Errorf("named host without policy: %+v", r)
	}
}
