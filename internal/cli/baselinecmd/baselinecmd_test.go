package baselinecmd_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	"github.com/vigilsec/vigil/internal/cli/intelcmd/intelcmdtest"
	"github.com/vigilsec/vigil/internal/store"
)

// profiles lists the stored login profiles of an agent.
func profiles(t *testing.T, e *intelcmdtest.Env, agentID string) []store.LoginProfile {
	t.Helper()
	list, _, err := e.Store.Baselines().ListLoginProfiles(context.Background(), store.LoginProfileFilter{AgentID: agentID})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestGolden checks the listings of the seeded login profiles.
func TestGolden(t *testing.T) {
	e := intelcmdtest.Start(t, intelcmdtest.Options{})
	e.SeedProfiles()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"logins", []string{"baselines", "logins"}},
		{"logins_wide", []string{"baselines", "logins", "--wide"}},
		{"logins_agent", []string{"baselines", "logins", "--agent", intelcmdtest.WebAgent}},
		{"logins_user_wide", []string{"baseline", "login", "--user", "root", "--wide"}},
		{"logins_none_wide", []string{"baselines", "logins", "--user", "nobody", "--wide"}},
		{"logins_json", []string{"baselines", "logins", "--agent", intelcmdtest.DBAgent, "-o", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) { clikittest.Golden(t, tc.name, e.OK(tc.args...)) })
	}
	e.OK("baselines", "logins", "--agent", intelcmdtest.WebAgent, "--user", "alice", "--limit", "5")
	if got, want := e.LastRequest(), "GET /api/v1/baselines/logins?agent_id=7f3c9a&limit=5&user=alice"; got != want {
		t.Errorf("asked %s, want %s", got, want)
	}
	if out := e.OK("baselines", "logins", "--limit", "2"); strings.Count(out, "\n") != 3 {
		t.Errorf("--limit 2 listed:\n%s", out)
	}
	if out := e.OK("baselines", "logins", "--limit", "2", "--all"); strings.Count(out, "\n") != 5 {
		t.Errorf("--all listed:\n%s", out)
	}
	if r := e.RunAs(context.Background(), e.ViewerToken, "", "baselines", "logins"); r.Code != 0 || !strings.Contains(r.Stdout, "alice") {
		t.Errorf("viewer list: %+v", r)
	}
}

func TestReset(t *testing.T) {
	e := intelcmdtest.Start(t, intelcmdtest.Options{})
	e.SeedProfiles()
	ctx := context.Background()

	// Asked first: no keeps the profiles.
	r := e.RunAs(ctx, e.AnalystToken, "n\n", "baselines", "reset", "--agent", intelcmdtest.WebAgent)
	if r.Code != 1 || !strings.HasPrefix(r.Stderr, "Forget the 2 login profiles of agent 7f3c9a? Learning starts again. [y/N] ") ||
		!strings.HasSuffix(r.Stderr, "vigil: login profiles of agent 7f3c9a not reset (confirm with --yes)\n") {
		t.Errorf("reset answered no: %+v", r)
	}
	if n := len(profiles(t, e, intelcmdtest.WebAgent)); n != 2 {
		t.Errorf("%d profiles after no, want 2", n)
	}

	// One user's profile.
	r = e.RunAs(ctx, e.AnalystToken, "y\n", "baselines", "reset", "--agent", intelcmdtest.WebAgent, "--user", "deploy")
	if r.Code != 0 || r.Stdout != "login profiles of user deploy on agent 7f3c9a reset: 1 removed\n" ||
		!strings.Contains(r.Stderr, "Forget the 1 login profiles of user deploy on agent 7f3c9a?") {
		t.Errorf("reset of one user: %+v", r)
	}
	if ps := profiles(t, e, intelcmdtest.WebAgent); len(ps) != 1 || ps[0].User != "alice" {
		t.Errorf("profiles left %+v", ps)
	}
	if got, want := e.LastRequest(), "DELETE /api/v1/baselines/logins?agent_id=7f3c9a&user=deploy"; got != want {
		t.Errorf("asked %s, want %s", got, want)
	}

	// The whole agent, without asking, as JSON.
	r = e.Run(ctx, "", "baselines", "reset", "--agent", intelcmdtest.DBAgent, "--yes", "-o", "json")
	var done struct {
		AgentID string `json:"agent_id"`
		Removed int    `json:"removed"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &done); r.Code != 0 || err != nil || done.AgentID != intelcmdtest.DBAgent || done.Removed != 1 {
		t.Errorf("reset --yes -o json: %+v (%v)", r, err)
	}
	if n := len(profiles(t, e, intelcmdtest.DBAgent)); n != 0 {
		t.Errorf("%d profiles of db-1 left", n)
	}
	// Nothing to reset is no error.
	if out := e.OK("baselines", "reset", "--agent", intelcmdtest.DBAgent, "-y"); out != "login profiles of agent b81d02 reset: 0 removed\n" {
		t.Errorf("reset of nothing printed %q", out)
	}
	if out := e.OK("baselines", "logins"); strings.Contains(out, "root") || !strings.Contains(out, "alice") || !strings.Contains(out, "bob") {
		t.Errorf("after the resets:\n%s", out)
	}
}

func TestErrors(t *testing.T) {
	e := intelcmdtest.Start(t, intelcmdtest.Options{})
	e.SeedProfiles()
	for _, tc := range []struct {
		name   string
		viewer bool
		args   []string
		want   string
	}{
		{"no agent", false, []string{"baselines", "reset", "--yes"},
			"vigil: --agent is required: name the host whose login profiles to forget\nRun 'vigil baselines reset --help' for usage.\n"},
		{"arguments", false, []string{"baselines", "reset", intelcmdtest.WebAgent},
			"vigil: baselines reset takes no arguments, got [\"7f3c9a\"]\nRun 'vigil baselines reset --help' for usage.\n"},
		{"bad limit", false, []string{"baselines", "logins", "--limit", "-3"},
			"vigil: --limit -3: want 0 or more\nRun 'vigil baselines logins --help' for usage.\n"},
		{"viewer resets", true, []string{"baselines", "reset", "--agent", intelcmdtest.WebAgent, "--yes"},
			"vigil: role viewer may not do this (needs analyst) — ask an admin for a token with that role\n"},
		{"unknown subcommand", false, []string{"baselines", "rest"},
			"vigil: unknown command \"rest\" for \"vigil baselines\"; did you mean reset?\nRun 'vigil baselines --help' for usage.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := e.AdminToken
			if tc.viewer {
				token = e.ViewerToken
			}
			r := e.RunAs(context.Background(), token, "", tc.args...)
			if r.Code != 1 || r.Stderr != tc.want {
				t.Errorf("exit %d, stderr\n%q\nwant exit 1,\n%q", r.Code, r.Stderr, tc.want)
			}
		})
	}
	if n := len(profiles(t, e, intelcmdtest.WebAgent)); n != 2 {
		t.Errorf("%d profiles of web-1 after refused resets, want 2", n)
	}
}

// TestBaselinesOff: a center with login baselines off says so.
func TestBaselinesOff(t *testing.T) {
	e := intelcmdtest.Start(t, intelcmdtest.Options{NoBaselines: true})
	for _, args := range [][]string{{"baselines", "logins"}, {"baselines", "reset", "--agent", "x", "--yes"}, {"baselines", "reset", "--agent", "x"}} {
		r := e.Run(context.Background(), "y\n", args...)
		if want := "vigil: login baselines are off on this center\n"; r.Code != 1 || r.Stderr != want {
			t.Errorf("vigil %s: exit %d, stderr %q; want %q", strings.Join(args, " "), r.Code, r.Stderr, want)
		}
	}
}
