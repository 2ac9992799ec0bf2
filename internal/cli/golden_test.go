package cli

import (
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/center/api/apitest"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
)

// TestGolden checks the table and JSON output of every listing and show.
// The listings share one center; commands sent to agents, which the center
// audits, get their own. An argument "@N" stands for the seeded incident
// N, whose random id the output shows as incidentPlaceholder(N).
func TestGolden(t *testing.T) {
	shared := newHarness(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"agents_list", []string{"agents", "list"}},
		{"agents_list_json", []string{"agents", "list", "-o", "json"}},
		{"agents_list_filtered", []string{"agents", "list", "--status", "online", "--label", "env=prod", "-q", "web"}},
		{"agents_show", []string{"agents", "show", "7f3c9a"}},
		{"agents_show_json", []string{"agents", "show", "7f3c9a", "-o", "json"}},
		{"agents_history", []string{"agents", "history", "7f3c9a"}},
		{"agents_history_json", []string{"agents", "history", "7f3c9a", "-o", "json"}},
		{"policy_list", []string{"agents", "policy", "list"}},
		{"policy_list_json", []string{"agents", "policy", "list", "-o", "json"}},
		{"policy_show", []string{"agents", "policy", "show", "prod"}},
		{"policy_get", []string{"agents", "policy", "get", "7f3c9a"}},
		{"token_list", []string{"token", "list"}},
		{"token_list_json", []string{"token", "list", "-o", "json"}},
		{"alerts_list", []string{"alerts", "list"}},
		{"alerts_list_json", []string{"alerts", "list", "--state", "new", "-o", "json"}},
		{"alerts_show", []string{"alerts", "show", "al-2"}},
		{"alerts_show_json", []string{"alerts", "show", "al-2", "-o", "json"}},
		{"alerts_list_incident", []string{"alerts", "list", "--incident", "@2"}},
		{"incidents_list", []string{"incidents", "list"}},
		{"incidents_list_json", []string{"incidents", "list", "--state", "investigating", "-o", "json"}},
		{"incidents_show", []string{"incidents", "show", "@2"}},
		{"incidents_show_json", []string{"incidents", "show", "@2", "-o", "json"}},
		{"incidents_alerts", []string{"incidents", "alerts", "@2"}},
		{"incidents_timeline", []string{"incidents", "timeline", "@2"}},
		{"incidents_timeline_json", []string{"incidents", "timeline", "@2", "--before", "1h", "-o", "json"}},
		{"rules_list", []string{"rules", "list"}},
		{"rules_list_json", []string{"rules", "list", "--source", "imported", "-o", "json"}},
		{"rules_list_filtered", []string{"rules", "list", "--technique", "T1059", "--enabled"}},
		{"rules_show", []string{"rules", "show", apitest.RuleCurlPipe}},
		{"rules_show_disabled", []string{"rules", "show", apitest.RuleToolPort}},
		{"rules_show_json", []string{"rules", "show", apitest.RuleSSHBrute, "-o", "json"}},
		{"rules_source", []string{"rules", "source", apitest.RuleNetcat}},
		{"rules_problems", []string{"rules", "problems"}},
		{"rules_problems_json", []string{"rules", "problems", "-o", "json"}},
		{"rules_files", []string{"rules", "files"}},
		{"rules_files_json", []string{"rules", "files", "-o", "json"}},
		{"exceptions_list", []string{"exceptions", "list"}},
		{"exceptions_list_json", []string{"exceptions", "list", "--active", "-o", "json"}},
		{"exceptions_show", []string{"exceptions", "show", "ex-apt"}},
		{"exceptions_show_json", []string{"exceptions", "show", "ex-lab", "-o", "json"}},
		{"events_list", []string{"events", "list"}},
		{"events_list_json", []string{"events", "list", "--agent", "7f3c9a", "--since", "1m", "-o", "json"}},
		{"assets_list", []string{"assets", "list"}},
		{"assets_search", []string{"assets", "list", "name:redis-server version<7"}},
		{"assets_port", []string{"assets", "list", "port:3000", "-o", "json"}},
		{"assets_changes", []string{"assets", "changes"}},
		{"assets_summary", []string{"assets", "summary", "--agent", "7f3c9a"}},
		{"users_list", []string{"users", "list"}},
		{"users_list_json", []string{"users", "list", "-o", "json"}},
		{"apitokens_list", []string{"apitokens", "list"}},
		{"apitokens_list_json", []string{"apitokens", "list", "-o", "json"}},
		{"audit", []string{"audit"}},
		{"audit_json", []string{"audit", "--action", "agent.", "-o", "json"}},
		{"exec_ok", []string{"agents", "exec", "ping", "--agent", "7f3c9a"}},
		{"exec_ok_json", []string{"agents", "exec", "status", "--agent", "7f3c9a", "-o", "json"}},
		{"whoami", []string{"whoami", "-o", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec := tc.args[0] == "agents" && tc.args[1] == "exec"
			h := shared.fork(t)
			if exec {
				h = newHarness(t)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = a
				if n, err := strconv.Atoi(strings.TrimPrefix(a, "@")); err == nil && strings.HasPrefix(a, "@") {
					args[i] = h.incidents[n-1]
				}
			}
			out := h.maskIncidents(h.OK(args...))
			if exec {
				out = maskCommand(out)
			}
			clikittest.Golden(t, tc.name, out)
		})
	}
}
