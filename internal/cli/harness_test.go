package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// now is the clock of every test and of the center's API: relative times
// in golden files are measured from it.
var now = apiclienttest.Now

// harness runs the CLI in-process (clikittest) against the center's real
// REST API (apiclienttest) over TLS on loopback, on a store seeded with a
// small fleet whose online agent answers commands on the bus. Its Vars are
// the environment of the runs: tests change them.
type harness struct {
	*clikittest.Runner
	t   *testing.T
	api *apiclienttest.Env
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
	incidents, _, err := api.Store.Incidents().List(context.Background(), store.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{Runner: clikittest.For(t, api, Run), t: t, api: api}
	for i := len(incidents) - 1; i >= 0; i-- {
		h.incidents = append(h.incidents, incidents[i].ID)
	}
	return h
}

// fork returns a harness for the subtest t on the same center, with its
// own copy of the environment: for subtests that only read, or whose
// changes the others do not see.
func (h *harness) fork(t *testing.T) *harness {
	r := *h.Runner
	r.TB, r.Vars = t, maps.Clone(h.Vars)
	return &harness{Runner: &r, t: t, api: h.api, incidents: h.incidents}
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
