package compliancecmd_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	cct "github.com/vigilsec/vigil/internal/cli/compliancecmd/compliancecmdtest"
)

// seeded starts a center holding the seeded fleet.
func seeded(t *testing.T) (*cct.Env, map[string]*cct.Host) {
	t.Helper()
	e := cct.Start(t)
	return e, e.Seed()
}

// TestGolden checks the table and JSON output of every listing and show.
func TestGolden(t *testing.T) {
	e, _ := seeded(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"results", []string{"compliance", "results"}},
		{"results_zh", []string{"compliance", "results", "--lang", "zh", "--policy", "acme_baseline", "--severity", "HIGH"}},
		{"results_failing_json", []string{"compliance", "results", "--status", "fail", "-o", "json"}},
		{"results_evidence", []string{"compliance", "results", "--agent", cct.Web, "--evidence"}},
		{"results_evidence_zh", []string{"compliance", "results", "--agent", cct.DB, "--status", "n/a", "--evidence", "--lang", "zh"}},
		{"summary", []string{"compliance", "summary"}},
		{"summary_json", []string{"compliance", "summary", "--label", "role=db", "-o", "json"}},
		{"groups_role", []string{"compliance", "groups", "--label", "role"}},
		{"groups_policies", []string{"compliance", "groups"}},
		{"groups_json", []string{"compliance", "groups", "--label", "env", "--policy", "acme_baseline", "-o", "json"}},
		{"checks", []string{"compliance", "checks", "--policy", "acme_baseline"}},
		{"checks_zh", []string{"compliance", "checks", "--policy", "acme_baseline", "--lang", "zh"}},
		{"checks_json", []string{"compliance", "checks", "--policy", "acme_logging", "-o", "json"}},
		{"drift", []string{"compliance", "drift", "--since", "7d"}},
		{"drift_regressed_json", []string{"compliance", "drift", "--regressed", "-o", "json"}},
		{"scores", []string{"compliance", "scores"}},
		{"scores_json", []string{"compliance", "scores", "--agent", cct.Web, "-o", "json"}},
		{"policies", []string{"compliance", "policies"}},
		{"policies_zh", []string{"compliance", "policies", "list", "--lang", "zh"}},
		{"policies_json", []string{"compliance", "policies", "-o", "json"}},
		{"policy_show", []string{"compliance", "policies", "show", "acme_baseline"}},
		{"policy_show_zh", []string{"compliance", "policies", "show", "acme_logging", "--lang", "zh"}},
		{"policy_show_json", []string{"compliance", "policies", "show", "acme_logging", "-o", "json"}},
		{"exceptions", []string{"compliance", "exceptions"}},
		{"exceptions_expired", []string{"compliance", "exceptions", "list", "--expired"}},
		{"exceptions_json", []string{"compliance", "exceptions", "--policy", "acme_baseline", "-o", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clikittest.Golden(t, tc.name, e.Mask(e.OK(tc.args...)))
		})
	}
}

// TestFiltersReachTheAPI checks that each flag becomes its query
// parameter.
func TestFiltersReachTheAPI(t *testing.T) {
	e, _ := seeded(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compliance", "results", "--agent", "a1", "--policy", "p1", "--check", "p1.2", "--status", "N/A", "--severity", "Critical", "-q", "ssh", "--limit", "0"},
			"GET /api/v1/compliance?agent_id=a1&check_id=p1.2&limit=1000&policy_id=p1&q=ssh&severity=critical&status=not_applicable"},
		{[]string{"compliance", "results", "--status", "excepted"}, "GET /api/v1/compliance?limit=100&status=excepted"},
		{[]string{"compliance", "summary", "--policy", "p1", "--label", "env=prod", "--label", "site=sh,rack=4", "--agent", cct.Web},
			"GET /api/v1/compliance/summaries?agent_id=7f3c9a&label=env%3Dprod&label=rack%3D4&label=site%3Dsh&limit=1000&policy_id=p1"},
		{[]string{"compliance", "groups", "--label", "env", "--policy", "p1", "--limit", "5"}, "GET /api/v1/compliance/groups?label=env&limit=5&policy_id=p1"},
		{[]string{"compliance", "checks", "--policy", "acme_baseline", "--label", "env=prod"},
			"GET /api/v1/compliance/checks?label=env%3Dprod&limit=1000&policy_id=acme_baseline"},
		{[]string{"compliance", "drift", "--since", "7d", "--until", "2025-03-04", "--regressed", "--agent", "a1"},
			"GET /api/v1/compliance/drift?agent_id=a1&limit=1000&regressed=true&since=2025-02-25T10%3A00%3A00Z&until=2025-03-04T00%3A00%3A00Z"},
		{[]string{"compliance", "scores", "--agent", "a1", "--policy", "p1", "--since", "2025-03-01T00:00:00+08:00"},
			"GET /api/v1/compliance/scores?agent_id=a1&limit=1000&policy_id=p1&since=2025-02-28T16%3A00%3A00Z"},
		{[]string{"compliance", "exceptions", "--policy", "p1", "--expired"}, "GET /api/v1/compliance/exceptions?expired=true&policy_id=p1"},
		{[]string{"compliance", "policies", "show", "acme_logging"}, "GET /api/v1/compliance/policies/acme_logging"},
	} {
		e.OK(tc.args...)
		reqs := e.Requests()
		if got := reqs[len(reqs)-1]; got != tc.want {
			t.Errorf("vigil %s asked\n %s\nwant\n %s", strings.Join(tc.args, " "), got, tc.want)
		}
	}
	out := e.OK("compliance", "results", "--limit", "3", "-o", "json")
	var items []apiclient.ComplianceResult
	if err := json.Unmarshal([]byte(out), &items); err != nil || len(items) != 3 {
		t.Errorf("--limit 3 listed %d results (%v)", len(items), err)
	}
}

// TestViewerReads checks that a viewer may read every view, and may not
// change policies.
func TestViewerReads(t *testing.T) {
	e, _ := seeded(t)
	ctx := context.Background()
	for _, args := range [][]string{
		{"compliance", "results"}, {"compliance", "summary"}, {"compliance", "groups"}, {"compliance", "checks", "--policy", "acme_baseline"},
		{"compliance", "drift"}, {"compliance", "scores"}, {"compliance", "policies"}, {"compliance", "exceptions"},
	} {
		if r := e.RunAs(ctx, e.ViewerToken, "", args...); r.Code != 0 {
			t.Errorf("viewer: vigil %s: exit %d, %s", strings.Join(args, " "), r.Code, r.Stderr)
		}
	}
	r := e.RunAs(ctx, e.ViewerToken, "", "compliance", "assign", "acme_logging")
	if r.Code != 1 || !strings.Contains(r.Stderr, "needs admin") || !strings.Contains(r.Stderr, "ask an admin for a token with that role") {
		t.Errorf("viewer assigns: %+v", r)
	}
}

// TestErrors checks the messages of mistakes and refusals, and that each
// ends the run with status 1.
func TestErrors(t *testing.T) {
	e, _ := seeded(t)
	dir := t.TempDir()
	noID := writeFile(t, dir, "noid.yml", "format: 1\nchecks: []\n")
	bad := writeFile(t, dir, "bad.yml", strings.Replace(cct.LoggingPolicy, "format: ini", "format: ini2", 1))
	shipped := writeFile(t, dir, "shipped.yml", strings.ReplaceAll(cct.LoggingPolicy, "acme_logging", "cis_debian12"))
	for _, tc := range []struct {
		name  string
		token string
		args  []string
		want  []string
	}{
		{"bad status", "", []string{"compliance", "results", "--status", "failed"},
			[]string{`vigil: --status "failed": want pass, fail, error, not_applicable, excepted`, "Run 'vigil compliance results --help' for usage."}},
		{"bad severity", "", []string{"compliance", "results", "--severity", "urgent"}, []string{`--severity "urgent": want critical, high, medium, low`}},
		{"bad lang", "", []string{"compliance", "results", "--lang", "fr"}, []string{`--lang "fr": want en or zh`}},
		{"negative limit", "", []string{"compliance", "results", "--limit", "-1"}, []string{"--limit -1: want 0 (all) or more"}},
		{"results argument", "", []string{"compliance", "results", "web-1"}, []string{`compliance results takes no arguments, got ["web-1"]`}},
		{"bad output", "", []string{"compliance", "summary", "-o", "yaml"}, []string{`--output "yaml": want table or json`}},
		{"summary bad label", "", []string{"compliance", "summary", "--label", "env"}, []string{`--label: "env": want key=value`}},
		{"groups bad label", "", []string{"compliance", "groups", "--label", "env=prod"}, []string{`--label: key "env=prod": want 1 to 63 letters`}},
		{"checks without policy", "", []string{"compliance", "checks"}, []string{"checks needs --policy ID", "Run 'vigil compliance checks --help'"}},
		{"checks unknown policy", "", []string{"compliance", "checks", "--policy", "nope"}, []string{`vigil: policy "nope": not in the catalogue`}},
		{"drift bad since", "", []string{"compliance", "drift", "--since", "yesterday"},
			[]string{`--since "yesterday": want a duration such as 1h or 7d, or an RFC 3339 time`}},
		{"drift since after until", "", []string{"compliance", "drift", "--since", "1h", "--until", "2h"},
			[]string{"--since 2025-03-04T09:00:00Z is not before --until 2025-03-04T08:00:00Z"}},
		{"scores bad until", "", []string{"compliance", "scores", "--until", "0s"}, []string{`--until "0s": want a positive duration`}},
		{"run wait too long", "", []string{"compliance", "run", "--wait", "10m"}, []string{"--wait 10m0s: want 1s to 5m"}},
		{"run bad wait", "", []string{"compliance", "run", "--wait", "soon"}, []string{`invalid argument "soon" for "--wait" flag`, "Run 'vigil compliance run --help'"}},
		{"run bad label", "", []string{"compliance", "run", "--label", "env"}, []string{`--label: "env": want key=value`}},
		{"run empty agent", "", []string{"compliance", "run", "--agent", ""}, []string{"--agent: empty agent ID"}},
		{"run unknown policy", "", []string{"compliance", "run", "--policy", "nope"}, []string{"vigil: policy nope not found"}},
		{"run unassigned policy", "", []string{"compliance", "run", "--policy", "cis_debian12"},
			[]string{"vigil: policy cis_debian12 is not assigned to any host: assign it first (vigil compliance assign cis_debian12 --selector k=v)"}},
		{"run unknown agent", "", []string{"compliance", "run", "--agent", "nope"}, []string{"vigil: agent nope not found"}},
		{"run no label match", "", []string{"compliance", "run", "--label", "env=qa"}, []string{"vigil: no agent has the labels env=qa"}},
		{"run host without policy", "", []string{"compliance", "run", "--label", "env=dev"},
			[]string{"vigil: no host to evaluate: no compliance policy assigned to any of the 1 chosen hosts"}},
		{"run policy not on host", "", []string{"compliance", "run", "--agent", cct.Web, "--policy", "acme_logging"},
			[]string{"vigil: no host to evaluate: policy acme_logging not assigned to any of the 1 chosen hosts"}},
		{"run as analyst", "analyst", []string{"compliance", "run", "--agent", cct.Web},
			[]string{"vigil: role analyst may not do this (needs responder) — ask an admin for a token with that role"}},
		{"assign short interval", "", []string{"compliance", "assign", "acme_logging", "--interval", "5m"}, []string{`--interval "5m": want 10m to 30d`}},
		{"assign bad interval", "", []string{"compliance", "assign", "acme_logging", "--interval", "often"}, []string{`--interval "often": want a duration`}},
		{"assign bad selector", "", []string{"compliance", "assign", "acme_logging", "--selector", "a b=c"}, []string{`--selector: key "a b"`}},
		{"assign twice the key", "", []string{"compliance", "assign", "acme_logging", "--selector", "env=a", "--selector", "env=b"}, []string{`--selector: key "env" given twice`}},
		{"assign unknown policy", "", []string{"compliance", "assign", "nope"}, []string{"vigil: no such policy: nope"}},
		{"assign without id", "", []string{"compliance", "assign"}, []string{"compliance assign wants ID, got 0 arguments"}},
		{"unassign unassigned", "", []string{"compliance", "unassign", "cis_rhel9"}, []string{"vigil: assignment of cis_rhel9 not found"}},
		{"exception without policy", "", []string{"compliance", "exceptions", "add", "--reason", "x"}, []string{"exceptions add needs --policy ID"}},
		{"exception without reason", "", []string{"compliance", "exceptions", "add", "--policy", "acme_baseline"}, []string{"--reason is required"}},
		{"exception bad expiry", "", []string{"compliance", "exceptions", "add", "--policy", "acme_baseline", "--reason", "x", "--expires", "soon"},
			[]string{`--expires "soon": want a duration such as 30d or 12h, or an RFC 3339 time`}},
		{"exception past expiry", "", []string{"compliance", "exceptions", "add", "--policy", "acme_baseline", "--reason", "x", "--expires", "2025-01-01"},
			[]string{`--expires "2025-01-01": 2025-01-01T00:00:00Z is not in the future`}},
		{"exception unknown check", "", []string{"compliance", "exceptions", "add", "--policy", "acme_baseline", "--check", "nope", "--reason", "x"},
			[]string{`vigil: policy acme_baseline has no check "nope"`}},
		{"exception as viewer", "viewer", []string{"compliance", "exceptions", "add", "--policy", "acme_baseline", "--reason", "x"},
			[]string{"needs analyst"}},
		{"delete unknown exception", "", []string{"compliance", "exceptions", "delete", "nope"}, []string{"vigil: compliance exception nope not found"}},
		{"exceptions unknown subcommand", "", []string{"compliance", "exceptions", "lst"},
			[]string{`unknown command "lst" for "vigil compliance exceptions"; did you mean list?`}},
		{"unknown subcommand", "", []string{"compliance", "polices"}, []string{`unknown command "polices" for "vigil compliance"; did you mean policies?`}},
		{"upload missing file", "", []string{"compliance", "policies", "upload", "/nonexistent/p.yml"}, []string{"vigil: open /nonexistent/p.yml: no such file or directory"}},
		{"upload without id", "", []string{"compliance", "policies", "upload", noID}, []string{"noid.yml: no policy.id"}},
		{"upload bad format flag", "", []string{"compliance", "policies", "upload", noID, "--format", "xml"}, []string{`--format "xml": want vigil or wazuh-sca`}},
		{"upload invalid policy", "", []string{"compliance", "policies", "upload", bad}, []string{"vigil: invalid policy: acme_logging.yml:", "ini2"}},
		{"upload shipped id", "", []string{"compliance", "policies", "upload", shipped}, []string{"vigil: a shipped policy cannot be replaced or deleted: cis_debian12"}},
		{"upload empty stdin", "", []string{"compliance", "policies", "upload", "-"}, []string{"vigil: -: empty"}},
		{"delete shipped", "", []string{"compliance", "policies", "delete", "cis_debian12"}, []string{"a shipped policy cannot be replaced or deleted"}},
		{"show unknown policy", "", []string{"compliance", "policies", "show", "nope"}, []string{"vigil: policy nope not found"}},
		{"report without policy", "", []string{"compliance", "report"}, []string{"report needs --policy ID (and --agent ID for one host's report)"}},
		{"report bad lang", "", []string{"compliance", "report", "--policy", "acme_baseline", "--lang", "de"}, []string{`--lang "de": want en or zh`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := e.AdminToken
			switch tc.token {
			case "viewer":
				token = e.ViewerToken
			case "analyst":
				token = e.AnalystToken
			}
			r := e.RunAs(context.Background(), token, "", tc.args...)
			if r.Code != 1 {
				t.Errorf("exit %d, want 1; stdout %q", r.Code, r.Stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr %q\nwant %q", r.Stderr, w)
				}
			}
		})
	}
}

// writeFile writes a file in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConnection checks that the global flags reach the compliance
// routes, and the hints of a center that cannot be reached or trusted.
func TestConnection(t *testing.T) {
	e, _ := seeded(t)
	ctx := context.Background()
	r := e.RunEnv(ctx, map[string]string{clikit.EnvServer: "https://127.0.0.1:1"}, "",
		"--server", e.URL, "--token", e.ViewerToken, "--ca", e.CAFile, "compliance", "summary", "-o", "json")
	if r.Code != 0 || !strings.Contains(r.Stdout, `"policy_id": "acme_baseline"`) {
		t.Errorf("flags: %+v", r)
	}
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"no token", map[string]string{clikit.EnvServer: e.URL, clikit.EnvCA: e.CAFile},
			"— no API token given: set VIGIL_TOKEN or --token"},
		{"wrong token", map[string]string{clikit.EnvServer: e.URL, clikit.EnvCA: e.CAFile, clikit.EnvToken: "vgt_nope"},
			"— the center refused the token: check VIGIL_TOKEN or --token"},
		{"unknown CA", map[string]string{clikit.EnvServer: e.URL, clikit.EnvToken: e.AdminToken},
			"vigil: cannot verify the certificate of center at SERVER: certificate signed by unknown authority — set VIGIL_CA or --ca"},
		{"missing CA file", map[string]string{clikit.EnvServer: e.URL, clikit.EnvToken: e.AdminToken, clikit.EnvCA: "/nonexistent/ca.pem"},
			"vigil: read CA file: open /nonexistent/ca.pem: no such file or directory"},
		{"no center", map[string]string{clikit.EnvServer: "https://127.0.0.1:1", clikit.EnvToken: e.AdminToken, clikit.EnvCA: e.CAFile},
			"vigil: cannot reach center at https://127.0.0.1:1: connection refused — is vigil-center running? set VIGIL_SERVER"},
		{"plain http", map[string]string{clikit.EnvServer: "http://127.0.0.1:1", clikit.EnvToken: e.AdminToken},
			`vigil: server "http://127.0.0.1:1": want an https:// URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.RunEnv(ctx, tc.vars, "", "compliance", "results")
			if r.Code != 1 || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("exit %d, stderr %q, want %q", r.Code, r.Stderr, tc.want)
			}
		})
	}
}
