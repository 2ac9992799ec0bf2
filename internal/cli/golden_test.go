package cli

import "testing"

// TestGolden checks the table and JSON output of every listing and show.
// The listings share one center; commands sent to agents, which the center
// audits, get their own.
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
			out := h.ok(tc.args...)
			if exec {
				out = maskCommand(out)
			}
			golden(t, tc.name, out)
		})
	}
}
