package cli

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	"github.com/vigilsec/vigil/internal/event"
)

// running is a CLI run in the background.
type running struct {
	Stdout, Stderr *clikittest.SyncBuffer
	done           chan int
	cancel         context.CancelFunc
}

func (h *harness) start(args ...string) *running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Stdout: &clikittest.SyncBuffer{}, Stderr: &clikittest.SyncBuffer{}, done: make(chan int, 1), cancel: cancel}
	env := h.Env(h.Vars, strings.NewReader(""), r.Stdout, r.Stderr)
	go func() { r.done <- Run(ctx, env, args) }()
	h.t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// waitFor polls cond until it holds; the deadline only bounds a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop interrupts the run as Ctrl-C does and returns its exit status.
func (r *running) stop() int {
	r.cancel()
	code := <-r.done
	r.done <- code // for the cleanup
	return code
}

func TestEventsTailFollowsNewEvents(t *testing.T) {
	h := newHarness(t)
	h.addEvents(ev("n1", time.Second, "7f3c9a", "web-1", "process", "start", map[string]any{
		"process.command_line": "bash -i"}))
	r := h.start("events", "tail", "--agent", "7f3c9a")
	waitFor(t, "the first event", func() bool { return strings.Contains(r.Stdout.String(), "bash -i") })

	h.addEvents(
		ev("late", -10*time.Minute, "7f3c9a", "web-1", "process", "start", map[string]any{"process.command_line": "stamped before the tail began"}),
		ev("other", 2*time.Second, "b81d02", "db-1", "process", "start", map[string]any{"process.command_line": "another agent"}),
		ev("n2", 3*time.Second, "7f3c9a", "web-1", "network", "connection_attempted", map[string]any{
			"source.ip": "10.0.0.5", "destination.ip": "203.0.113.9", "destination.port": 4444}),
	)
	waitFor(t, "the second event", func() bool { return strings.Contains(r.Stdout.String(), "203.0.113.9") })
	if code := r.stop(); code != 0 {
		t.Errorf("exit %d after Ctrl-C, stderr %q", code, r.Stderr.String())
	}
	want := "2025-03-04T10:00:01Z  web-1  process/start  bash -i\n" +
		"2025-03-04T10:00:03Z  web-1  network/connection_attempted  10.0.0.5 -> 203.0.113.9:4444\n"
	if got := r.Stdout.String(); got != want {
		t.Errorf("stdout\n%s\nwant\n%s", got, want)
	}

	var polls []string
	for _, req := range h.api.Requests() {
		if strings.HasPrefix(req, "GET /api/v1/events") {
			polls = append(polls, req)
		}
	}
	if len(polls) < 2 || !strings.HasPrefix(polls[0], "GET /api/v1/events?agent_id=7f3c9a&limit=500&order=asc&since=2025-03-04T10%3A00%3A00Z") ||
		strings.Contains(polls[0], "cursor=") || !strings.Contains(polls[len(polls)-1], "cursor=") {
		t.Errorf("polls %q", polls)
	}
}

func TestEventsTailJSON(t *testing.T) {
	h := newHarness(t)
	r := h.start("events", "tail", "-o", "json", "--since", "1m")
	waitFor(t, "the recent event", func() bool { return strings.Contains(r.Stdout.String(), `"e3"`) })
	h.addEvents(ev("n1", time.Second, "7f3c9a", "web-1", "process", "start", nil))
	waitFor(t, "the new event", func() bool { return strings.Contains(r.Stdout.String(), `"n1"`) })
	r.stop()
	lines := strings.Split(strings.TrimSpace(r.Stdout.String()), "\n")
	var ids []string
	for _, l := range lines {
		var e event.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		ids = append(ids, e.ID())
	}
	if strings.Join(ids, ",") != "e2,e3,n1" {
		t.Errorf("event ids %v, want e2,e3,n1 (one JSON document per line)", ids)
	}
}

func TestEventsTailWaitsForTheCenter(t *testing.T) {
	h := newHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.Vars[EnvServer] = "https://" + ln.Addr().String()
	ln.Close()
	r := h.start("events", "tail")
	waitFor(t, "the warning", func() bool { return strings.Contains(r.Stderr.String(), "retrying") })
	time.Sleep(20 * time.Millisecond) // a few more failed polls
	if code := r.stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if n := strings.Count(r.Stderr.String(), "\n"); n != 1 {
		t.Errorf("warned %d times, want once: %q", n, r.Stderr.String())
	}
}
