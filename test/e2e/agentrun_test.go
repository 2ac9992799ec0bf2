//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/bus/enroll"
	"github.com/vigilsec/vigil/internal/event"
)

// runAgent runs the agent runtime in this process on dir with the given
// sensors and no collectors, enrolled with token, until the test ends or
// the returned stop is called. Its log goes to dir.log.
func runAgent(t *testing.T, c *center, dir, token string, sensors ...plugin.Sensor) (string, func()) {
	t.Helper()
	logf, err := os.Create(dir + ".log")
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(agent.Config{
		DataDir: dir, CenterURL: c.httpURL, JoinToken: token,
		Logger:  slog.New(slog.NewTextHandler(logf, nil)),
		Sensors: sensors, Version: "v0.0.0-e2e",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("agent Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("agent did not stop; log:\n%s", tail(logf.Name()))
		}
		logf.Close()
	})
	t.Cleanup(stop)
	var id string
	waitFor(t, 30*time.Second, "agent enrolled", func() bool {
		select {
		case err := <-done:
			t.Fatalf("agent stopped at start: %v; log:\n%s", err, tail(logf.Name()))
		default:
		}
		ident, err := enroll.Load(dir)
		id = ident.AgentID
		return err == nil
	})
	return id, stop
}

// tickSensor emits one numbered process event every interval, from its
// first Run until stop; its numbers go on across restarts of Run.
type tickSensor struct {
	interval time.Duration

	mu      sync.Mutex
	next    int // number of the next event
	started time.Time
	stopped bool
}

var _ plugin.Sensor = (*tickSensor)(nil)

func (s *tickSensor) Name() string                      { return "e2e/ticker" }
func (s *tickSensor) Requirements() plugin.Requirements { return plugin.Requirements{} }
func (s *tickSensor) Mechanism() string                 { return "timer" }

// Run emits until ctx is done or the sensor is stopped.
func (s *tickSensor) Run(ctx context.Context, emit plugin.Emitter) error {
	s.mu.Lock()
	if s.started.IsZero() {
		s.started = time.Now()
	}
	s.mu.Unlock()
	tk := time.NewTicker(s.interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		}
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return nil
		}
		n := s.next
		s.next++
		s.mu.Unlock()
		emit.Emit(tickEvent(n))
	}
}

// tickEvent is event number n; the runtime stamps id, agent and time.
func tickEvent(n int) event.Event {
	return event.Event{
		"event":   map[string]any{"category": "process", "action": "exec", "kind": "event", "dataset": "e2e.ticker"},
		"process": map[string]any{"pid": 10000 + n%50000, "executable": "/usr/bin/true", "command_line": fmt.Sprintf("/usr/bin/true %d", n)},
		"labels":  map[string]any{"seq": strconv.Itoa(n)},
	}
}

// emitted is how many events the sensor has handed over so far.
func (s *tickSensor) emitted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

// runningFor is how long ago the sensor first ran (0: not yet).
func (s *tickSensor) runningFor() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started.IsZero() {
		return 0
	}
	return time.Since(s.started)
}

// stop ends the emitting and returns how many events were emitted.
func (s *tickSensor) stop() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	return s.next
}

// tickSeq returns the number of a tickSensor event, or -1.
func tickSeq(e event.Event) int {
	if e.String("event.dataset") != "e2e.ticker" {
		return -1
	}
	n, err := strconv.Atoi(e.String("labels.seq"))
	if err != nil {
		return -1
	}
	return n
}
