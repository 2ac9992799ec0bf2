package cli

import (
	"context"
	"net"
	"strings"
	"testing"
)

func TestErrorMessages(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "https://" + ln.Addr().String()
	ln.Close()

	shared := newHarness(t)
	for _, tc := range []struct {
		name   string
		env    map[string]string // overrides
		args   []string
		stderr string
	}{
		{"bad token", map[string]string{EnvToken: "wrong"}, []string{"agents", "list"},
			"vigil: missing, invalid or expired token — the center refused the token: check VIGIL_TOKEN or --token\n"},
		{"no token", map[string]string{EnvToken: ""}, []string{"agents", "list"},
			"vigil: missing, invalid or expired token — no API token given: set VIGIL_TOKEN or --token\n"},
		{"role too weak", map[string]string{EnvToken: shared.api.ViewerToken}, []string{"users", "list"},
			"vigil: role viewer may not do this (needs admin) — ask an admin for a token with that role\n"},
		{"not found", nil, []string{"agents", "show", "nope"}, "vigil: agent nope not found\n"},
		{"conflict", nil, []string{"alerts", "reopen", "al-1"}, "vigil: alert al-1 is new and cannot become new\n"},
		{"refused", map[string]string{EnvServer: closed}, []string{"agents", "list"},
			"vigil: cannot reach center at " + closed + ": connection refused — is vigil-center running? set VIGIL_SERVER\n"},
		{"untrusted certificate", map[string]string{EnvCA: ""}, []string{"agents", "list"},
			"vigil: cannot verify the certificate of center at SERVER: certificate signed by unknown authority — set VIGIL_CA or --ca to the center's CA certificate (DATA/tls/ca.pem)\n"},
		{"plain http", map[string]string{EnvServer: "http://127.0.0.1:8443"}, []string{"agents", "list"},
			"vigil: server \"http://127.0.0.1:8443\": want an https:// URL (the center only speaks HTTPS)\n"},
		{"missing CA file", map[string]string{EnvCA: "/nonexistent/ca.pem"}, []string{"agents", "list"},
			"vigil: read CA file: open /nonexistent/ca.pem: no such file or directory\n"},
		{"missing argument", nil, []string{"agents", "show"},
			"vigil: agents show wants ID, got 0 arguments\nRun 'vigil agents show --help' for usage.\n"},
		{"unknown flag", nil, []string{"agents", "list", "--bogus"},
			"vigil: unknown flag: --bogus\nRun 'vigil agents list --help' for usage.\n"},
		{"unknown command", nil, []string{"agentz"},
			"vigil: unknown command \"agentz\" for \"vigil\"; did you mean agents?\nRun 'vigil --help' for usage.\n"},
		{"unknown subcommand", nil, []string{"agents", "lst"},
			"vigil: unknown command \"lst\" for \"vigil agents\"; did you mean list?\nRun 'vigil agents --help' for usage.\n"},
		{"bad output", nil, []string{"agents", "list", "-o", "yaml"}, "vigil: --output \"yaml\": want table or json\n"},
		{"bad label", nil, []string{"token", "create", "--labels", "env"},
			"vigil: --labels: \"env\": want key=value\nRun 'vigil token create --help' for usage.\n"},
		{"bad since", nil, []string{"events", "list", "--since", "yesterday"},
			"vigil: --since \"yesterday\": want a duration such as 1h or 7d, or an RFC 3339 time such as 2025-01-02T15:04:05Z\nRun 'vigil events list --help' for usage.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := shared.fork(t)
			for k, v := range tc.env {
				h.Vars[k] = v
			}
			r := h.Run(context.Background(), "", tc.args...)
			if r.Code != 1 || r.Stderr != tc.stderr || r.Stdout != "" {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant   %q", r.Code, r.Stdout, r.Stderr, tc.stderr)
			}
		})
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	h := newHarness(t)
	ca := h.Vars[EnvCA]
	h.Vars = map[string]string{EnvServer: "https://127.0.0.1:1"}
	out := h.OK("--server", h.api.URL, "--token", h.api.ViewerToken, "--ca", ca, "whoami")
	if out != "viewer (role viewer, api token) at "+h.api.URL+"\n" {
		t.Errorf("whoami: %q", out)
	}
}

func TestGroupsPrintHelp(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{nil, {"agents"}, {"agents", "policy"}, {"users", "--help"}} {
		r := h.Run(context.Background(), "", args...)
		if r.Code != 0 || !strings.Contains(r.Stdout, "Usage:") || r.Stderr != "" {
			t.Errorf("vigil %v: exit %d, stderr %q", args, r.Code, r.Stderr)
		}
	}
}
