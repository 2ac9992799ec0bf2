package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func TestTokenCreatePrintsOnlyTheToken(t *testing.T) {
	h := newHarness(t)
	r := h.Run(context.Background(), "", "token", "create", "--ttl", "2h", "--labels", "env=prod, site=idc-sh", "--usage-limit", "50", "--description", "prod web")
	if r.Code != 0 || r.Stderr != "" || !regexp.MustCompile(`^vgl1\.[^\s]+\n$`).MatchString(r.Stdout) {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	got := h.joinTokens()[0] // the newest
	if got.UsageLimit != 50 || got.Description != "prod web" || !got.ExpiresAt.Equal(now.Add(2*time.Hour)) ||
		!cmp.Equal(got.Labels, map[string]string{"env": "prod", "site": "idc-sh"}) {
		t.Errorf("stored token %+v", got)
	}
	if !strings.Contains(r.Stdout, got.ID) {
		t.Errorf("token %q does not carry id %s", r.Stdout, got.ID)
	}

	var js map[string]any
	decodeJSON(t, h.OK("token", "create", "-o", "json"), &js)
	for _, k := range []string{"token", "id", "expires_at"} {
		if js[k] == nil || js[k] == "" {
			t.Errorf("token create -o json lacks %q: %v", k, js)
		}
	}
	if out := h.OK("token", "delete", got.ID); out != "join token "+got.ID+" deleted\n" {
		t.Errorf("token delete: %q", out)
	}
}

func TestExecExitStatus(t *testing.T) {
	h := newHarness(t)
	r := h.Run(context.Background(), "", "agents", "exec", "ping", "--selector", "env=prod")
	want := "AGENT   HOSTNAME  RESULT  DURATION  OUTPUT\n" +
		"b81d02  db-1      failed  ~         agent offline\n" +
		"7f3c9a  web-1     ok      ~         {\"command\":\"ping\",\"issued_by\":\"token:admin\"}\n"
	if r.Code != 1 || maskCommand(r.Stdout) != want || r.Stderr != "vigil: ping failed on 1 of 2 agents\n" {
		t.Errorf("exit %d\nstdout %q\nstderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = h.Run(context.Background(), "", "agents", "exec", "ping", "--selector", "env=nowhere")
	if r.Code != 1 || r.Stderr != "vigil: ping: no agent matched\n" {
		t.Errorf("no match: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = h.Run(context.Background(), "", "agents", "exec", "ping")
	if r.Code != 1 || !strings.Contains(r.Stderr, "choose agents with --agent ID or --selector k=v") {
		t.Errorf("no target: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = h.Run(context.Background(), "", "agents", "exec", "collect", "--agent", "7f3c9a")
	if r.Code != 1 || r.Stderr != "vigil: invalid command arguments: collect needs args.name\n" {
		t.Errorf("collect without a name: exit %d, stderr %q", r.Code, r.Stderr)
	}
	out := h.OK("agents", "exec", "collect", "--agent", "7f3c9a", "--arg", "name=host/facts", "--timeout", "30s", "-o", "json")
	if !strings.Contains(out, `"args": {`) || !strings.Contains(out, `"name": "host/facts"`) {
		t.Errorf("collect: the agent did not get its argument:\n%s", out)
	}
	reqs := h.api.Requests()
	if last := reqs[len(reqs)-1]; last != "POST /api/v1/agents/commands" {
		t.Errorf("last request %q", last)
	}
}

func TestAgentsLabel(t *testing.T) {
	h := newHarness(t)
	out := h.OK("agents", "label", "7f3c9a", "site=idc-sh", "owner=ops team", "--remove", "role")
	if out != "agent 7f3c9a labels: env=prod,owner=ops team,site=idc-sh\n" {
		t.Errorf("output %q", out)
	}
	a, _ := h.agent("7f3c9a")
	if !cmp.Equal(a.Labels, map[string]string{"env": "prod", "owner": "ops team", "site": "idc-sh"}) {
		t.Errorf("labels %v", a.Labels)
	}
	r := h.Run(context.Background(), "", "agents", "label", "7f3c9a")
	if r.Code != 1 || !strings.Contains(r.Stderr, "give labels to set") {
		t.Errorf("no change: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func TestAgentsDeleteAsksFirst(t *testing.T) {
	h := newHarness(t)
	r := h.Run(context.Background(), "n\n", "agents", "delete", "b81d02")
	if r.Code != 1 || r.Stderr != "Delete agent b81d02 (db-1) and revoke its credentials? [y/N] vigil: agent b81d02 not deleted (confirm with --yes)\n" {
		t.Errorf("declined: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if _, ok := h.agent("b81d02"); !ok {
		t.Fatal("deleted although declined")
	}
	r = h.Run(context.Background(), "yes\n", "agents", "delete", "b81d02")
	if r.Code != 0 || r.Stdout != "agent b81d02 deleted\n" {
		t.Errorf("confirmed: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if out := h.OK("agents", "delete", "c0ffee", "--yes", "-o", "json"); out != "{\n  \"deleted\": true,\n  \"id\": \"c0ffee\"\n}\n" {
		t.Errorf("--yes -o json: %q", out)
	}
	if _, ok := h.agent("c0ffee"); ok {
		t.Error("c0ffee still there")
	}
	for _, id := range []string{"b81d02", "c0ffee"} {
		if !h.api.Bus.Server.Revoked(apiclienttest.UserKey(id)) {
			t.Errorf("credentials of %s not revoked", id)
		}
	}
}

func TestAlertTriage(t *testing.T) {
	h := newHarness(t)
	if out := h.OK("alerts", "ack", "al-1", "-m", "restarting the agent"); out != "alert al-1 is now acknowledged\n" {
		t.Errorf("ack: %q", out)
	}
	if out := h.OK("alerts", "resolve", "al-1", "--false-positive"); out != "alert al-1 is now false_positive\n" {
		t.Errorf("resolve: %q", out)
	}
	h.OK("alerts", "reopen", "al-1")
	h.OK("alerts", "resolve", "al-1", "-m", "agent back")
	a := h.alert("al-1")
	var states []string
	for _, c := range a.Comments {
		states = append(states, string(c.State)+":"+c.Text)
	}
	want := []string{"acknowledged:restarting the agent", "false_positive:", "new:", "resolved:agent back"}
	if a.State != store.AlertResolved || !cmp.Equal(states, want) {
		t.Errorf("alert %s, comments %v", a.State, states)
	}
}

func TestPolicySet(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	yamlFile := filepath.Join(dir, "prod.yaml")
	if err := os.WriteFile(yamlFile, []byte("heartbeatIntervalSeconds: 10\nbudget:\n  cpuPercent: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// An existing policy keeps its selector and priority.
	r := h.Run(context.Background(), "", "agents", "policy", "set", "prod", "--file", yamlFile)
	if r.Code != 0 || r.Stdout != "agent policy prod saved (revision 2)\n" || r.Stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	var p store.AgentPolicy
	decodeJSON(t, h.OK("agents", "policy", "show", "prod", "-o", "json"), &p)
	if clikit.CompactJSON(p.Spec) != `{"budget":{"cpuPercent":3},"heartbeatIntervalSeconds":10}` || p.Priority != 10 || p.Selector["env"] != "prod" {
		t.Errorf("stored %+v spec %s", p, p.Spec)
	}

	// A whole policy as show prints it, with a flag overriding the file.
	whole := filepath.Join(dir, "whole.json")
	if err := os.WriteFile(whole, []byte(h.OK("agents", "policy", "show", "prod", "-o", "json")), 0o600); err != nil {
		t.Fatal(err)
	}
	h.OK("agents", "policy", "set", "web", "-f", whole, "--priority", "20")
	decodeJSON(t, h.OK("agents", "policy", "show", "web", "-o", "json"), &p)
	if p.Priority != 20 || p.Selector["env"] != "prod" || p.Revision != 1 {
		t.Errorf("web: %+v", p)
	}

	// A new policy without a selector applies to every agent: say so.
	r = h.Run(context.Background(), `{"spoolMaxMb": "64"}`, "agents", "policy", "set", "all", "--file", "-")
	if r.Code != 0 || r.Stderr != "vigil: note: agent policy all has no selector and applies to every agent\n" {
		t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = h.Run(context.Background(), "- a\n- b\n", "agents", "policy", "set", "bad", "--file", "-")
	if r.Code != 1 || r.Stderr != "vigil: policy -: want a JSON or YAML object, the agent policy document\n" {
		t.Errorf("list document: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if out := h.OK("agents", "policy", "delete", "all"); out != "agent policy all deleted\n" {
		t.Errorf("delete: %q", out)
	}
}

func TestUsers(t *testing.T) {
	h := newHarness(t)
	r := h.Run(context.Background(), "a long enough password\n", "users", "create", "carol", "--role", "analyst", "--password-stdin")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "user carol created (id ") || strings.Contains(r.Stdout, "password") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(r.Stdout, "user carol created (id "), ", role analyst)\n")
	if !h.api.PasswordIs(id, "a long enough password") {
		t.Errorf("stored password of %s is not the one given", id)
	}

	out := h.OK("users", "create", "dave", "--role", "viewer")
	m := regexp.MustCompile(`(?m)^password: ([A-Z2-7]{20})$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no generated password in %q", out)
	}
	var created struct {
		ID, Password string
	}
	decodeJSON(t, h.OK("users", "create", "erin", "--role", "viewer", "-o", "json"), &created)
	if created.Password == "" || !h.api.PasswordIs(created.ID, created.Password) {
		t.Errorf("JSON create: %+v", created)
	}

	if out := h.OK("users", "update", "carol", "--role", "responder", "--disable"); out != "user carol updated (role responder, disabled)\n" {
		t.Errorf("update: %q", out)
	}
	h.Run(context.Background(), "new password here\n", "users", "update", id, "--password-stdin")
	if !h.api.PasswordIs(id, "new password here") {
		t.Errorf("password of %s not changed", id)
	}
	if out := h.OK("users", "delete", "carol"); out != "user carol deleted\n" {
		t.Errorf("delete: %q", out)
	}
	r = h.Run(context.Background(), "", "users", "delete", "carol")
	if r.Code != 1 || !strings.Contains(r.Stderr, "user carol not found") {
		t.Errorf("second delete: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func TestAPITokens(t *testing.T) {
	h := newHarness(t)
	token := strings.TrimSpace(h.OK("apitokens", "create", "automation", "--role", "analyst", "--ttl", "720h"))
	if !strings.HasPrefix(token, "vgt_") {
		t.Fatalf("token %q", token)
	}
	h.Vars[EnvToken] = token
	if out := h.OK("whoami"); !strings.HasPrefix(out, "automation (role analyst, api token)") {
		t.Errorf("whoami with the new token: %q", out)
	}
	h.Vars[EnvToken] = h.api.AdminToken
	id := strings.Split(token, "_")[1]
	h.OK("apitokens", "delete", id)
	h.Vars[EnvToken] = token
	if r := h.Run(context.Background(), "", "whoami"); r.Code != 1 {
		t.Errorf("deleted token still works: %q", r.Stdout)
	}
}

func TestVersion(t *testing.T) {
	h := newHarness(t)
	if out := h.OK("version"); !regexp.MustCompile(`^vigil \S+ \(go\S+, \w+/\w+\)\n$`).MatchString(out) {
		t.Errorf("version: %q", out)
	}
	if out := h.OK("completion", "bash"); !strings.Contains(out, "__start_vigil") {
		t.Errorf("completion bash does not define __start_vigil")
	}
}
