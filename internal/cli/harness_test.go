package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
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

// now is the clock of every test and of the center's API: relative times
// in golden files are measured from it.
var now = apiclienttest.Now

// harness runs the CLI in-process against the center's real REST API
// (apiclienttest) over TLS on loopback, on a store seeded with a small
// fleet whose online agent answers commands on the bus.
type harness struct {
	t   *testing.T
	api *apiclienttest.Env
	url string
	env map[string]string
	// incidents are the seeded incidents' ids, oldest first.
	incidents []string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	api := apiclienttest.Start(t)
	seed(t, api.Store)
	if err := api.Detection.ReloadRules(context.Background()); err != nil {
		t.Fatal(err)
	}
	api.ConnectAgent("7f3c9a", apiclienttest.Echo("7f3c9a"))
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, api.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	incidents, _, err := api.Store.Incidents().List(context.Background(), store.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, api: api, url: api.URL, env: map[string]string{
		EnvServer: api.URL, EnvToken: api.AdminToken, EnvCA: ca,
	}}
	for i := len(incidents) - 1; i >= 0; i-- {
		h.incidents = append(h.incidents, incidents[i].ID)
	}
	return h
}

// fork returns a harness for the subtest t on the same center, with its
// own copy of the environment: for subtests that only read, or whose
// changes the others do not see.
func (h *harness) fork(t *testing.T) *harness {
	return &harness{t: t, api: h.api, url: h.url, env: maps.Clone(h.env), incidents: h.incidents}
}

// incidentPlaceholder stands for the seeded incident n (from 1) in
// golden files, as long as an id so that tables keep their shape.
func incidentPlaceholder(n int) string { return fmt.Sprintf("incident-%027d", n) }

// maskIncidents replaces the seeded incidents' random ids.
func (h *harness) maskIncidents(out string) string {
	for i, id := range h.incidents {
		out = strings.ReplaceAll(out, id, incidentPlaceholder(i+1))
	}
	return out
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

var (
	commandID  = regexp.MustCompile(`"id": "[0-9a-f-]{36}"`)
	durationMS = regexp.MustCompile(`"duration_ms": \d+`)
)

// maskCommand replaces what the center measures or draws at random in the
// output of agents exec: the command's id and each agent's round trip. In
// a table, the DURATION cell of every row becomes "~".
func maskCommand(out string) string {
	out = commandID.ReplaceAllString(out, `"id": "COMMAND-ID"`)
	out = durationMS.ReplaceAllString(out, `"duration_ms": DURATION`)
	lines := strings.SplitAfter(out, "\n")
	start, end := strings.Index(lines[0], "DURATION"), strings.Index(lines[0], "OUTPUT")
	if start < 0 || end < start {
		return out
	}
	for i, l := range lines[1:] {
		if len(l) > end {
			lines[i+1] = l[:start] + "~" + strings.Repeat(" ", end-start-1) + l[end:]
		}
	}
	return strings.Join(lines, "")
}

// joinTokens returns the stored join tokens, newest first.
func (h *harness) joinTokens() []store.JoinToken {
	h.t.Helper()
	tokens, _, err := h.api.Store.JoinTokens().List(context.Background(), store.Page{})
	if err != nil {
		h.t.Fatal(err)
	}
	return tokens
}

// agent returns a stored agent and whether it exists.
func (h *harness) agent(id string) (store.Agent, bool) {
	h.t.Helper()
	a, err := h.api.Store.Agents().Get(context.Background(), id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.t.Fatal(err)
	}
	return a, err == nil
}

// alert returns a stored alert.
func (h *harness) alert(id string) store.Alert {
	h.t.Helper()
	a, err := h.api.Store.Alerts().Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// addEvents stores events as ingest does.
func (h *harness) addEvents(events ...event.Event) {
	h.t.Helper()
	if _, err := h.api.Store.Events().Insert(context.Background(), events); err != nil {
		h.t.Fatal(err)
	}
}
