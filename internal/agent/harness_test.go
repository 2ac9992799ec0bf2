package agent_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/bus/enroll"
	"github.com/vigilsec/vigil/internal/event"
)

// running is an agent started by a test.
type running struct {
	id     string
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when Run returned
	err    error         // Run's result
}

// stop stops the agent with cause and returns Run's result.
func (r *running) stop(t *testing.T, cause error) error {
	t.Helper()
	r.cancel(cause)
	select {
	case <-r.done:
		return r.err
	case <-time.After(wait):
		t.Fatal("agent did not stop")
	}
	return nil
}

// startAgent runs an agent on dir against c until the test ends, waits
// for its first heartbeat and returns it with its id.
func startAgent(t *testing.T, c *center, hbs *heartbeats, dir string, change func(*agent.Config)) *running {
	t.Helper()
	cfg := agent.Config{
		DataDir: dir, CenterURL: c.url, JoinToken: c.token,
		Logger:            slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		HeartbeatInterval: 200 * time.Millisecond,
		Version:           "v0.0.0-test",
		// A generous budget: these tests are about delivery, and throttling
		// would only slow them down.
		DefaultPolicy: &busv1.AgentPolicy{Budget: &busv1.Budget{CpuPercent: 1000}},
	}
	if change != nil {
		change(&cfg)
	}
	a, err := agent.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	r := &running{cancel: cancel, done: make(chan struct{})}
	before := hbs.count()
	go func() {
		r.err = a.Run(ctx)
		close(r.done)
	}()
	t.Cleanup(func() { _ = r.stop(t, context.Canceled) })
	deadline := time.Now().Add(wait)
	for hbs.count() == before {
		select {
		case <-r.done:
			t.Fatalf("agent stopped at start: %v", r.err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no heartbeat from the new agent")
		}
	}
	id, err := enroll.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.id = id.AgentID
	return r
}

// testSensor emits, for each number it receives on in, that many events
// of action "flood" with a running sequence number in labels.seq.
type testSensor struct {
	name string
	req  plugin.Requirements
	in   chan int
	// starts counts the calls of Run; stops receives when one returns.
	starts atomic.Int32
	stops  chan struct{}
	seq    atomic.Int64
	panics bool
}

func newTestSensor(name string) *testSensor {
	return &testSensor{name: name, in: make(chan int, 16), stops: make(chan struct{}, 16)}
}

func (s *testSensor) Name() string                      { return s.name }
func (s *testSensor) Requirements() plugin.Requirements { return s.req }
func (s *testSensor) Mechanism() string                 { return "test" }

func (s *testSensor) Run(ctx context.Context, emit plugin.Emitter) error {
	s.starts.Add(1)
	defer func() { s.stops <- struct{}{} }()
	if s.panics {
		panic("sensor bug")
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-s.in:
			for range n {
				i := s.seq.Add(1) - 1
				emit.Emit(floodEvent(i))
			}
		}
	}
}

// floodEvent is the i-th event of a test sensor.
func floodEvent(i int64) map[string]any {
	return map[string]any{
		"event":   map[string]any{"category": "process", "action": "flood"},
		"labels":  map[string]any{"seq": fmt.Sprint(i)},
		"message": "test event",
	}
}

// testCollector returns n events of action "counted" per run.
type testCollector struct {
	name string
	n    int
	err  error
	runs atomic.Int32
}

func (c *testCollector) Name() string                      { return c.name }
func (c *testCollector) Requirements() plugin.Requirements { return plugin.Requirements{} }
func (c *testCollector) DefaultInterval() time.Duration    { return time.Hour }
func (c *testCollector) Collect(ctx context.Context, env plugin.Env) ([]event.Event, error) {
	run := c.runs.Add(1)
	evs := make([]event.Event, c.n)
	for i := range evs {
		evs[i] = event.Event{
			"event":  map[string]any{"category": "host", "action": "counted"},
			"labels": map[string]any{"run": fmt.Sprint(run), "seq": fmt.Sprint(i), "agent": env.AgentID},
		}
	}
	return evs, c.err
}

// itoa formats i.
func itoa(i int) string { return fmt.Sprint(i) }

// errTest is a collector's failure.
var errTest = errors.New("test collector failure")
