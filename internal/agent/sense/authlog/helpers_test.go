package authlog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog"
	"github.com/vigilsec/vigil/internal/event"
)

// waitLimit bounds every wait: generous, for a loaded machine.
const waitLimit = 20 * time.Second

// collector is an Emitter that keeps what it is given.
type collector struct {
	mu     sync.Mutex
	events []event.Event
	lost   uint64
}

func (c *collector) Emit(e event.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

func (c *collector) Lost(n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lost += n
}

func (c *collector) snapshot() ([]event.Event, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event.Event(nil), c.events...), c.lost
}

// matching returns the events for which match holds.
func (c *collector) matching(match func(event.Event) bool) []event.Event {
	evs, _ := c.snapshot()
	var out []event.Event
	for _, e := range evs {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

// waitFor polls until match holds for at least n events, and returns
// them.
func (c *collector) waitFor(t *testing.T, what string, n int, match func(event.Event) bool) []event.Event {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		got := c.matching(match)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			evs, lost := c.snapshot()
			t.Fatalf("waited %s for %d %s, have %d; all %d events (lost %d):\n%s",
				waitLimit, n, what, len(got), len(evs), lost, dump(evs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dump(evs []event.Event) string {
	var b strings.Builder
	for _, e := range evs {
		j, _ := json.Marshal(e)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// action matches events of an action.
func action(a string) func(event.Event) bool {
	return func(e event.Event) bool { return e.String(event.FieldAction) == a }
}

// fixture is a host root and a data directory for one sensor.
type fixture struct {
	root, data string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	f := fixture{root: t.TempDir(), data: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(f.root, "var/log"), 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f fixture) path(p string) string { return filepath.Join(f.root, p) }

// appendLines appends lines to a file under the root.
func (f fixture) appendLines(t *testing.T, p string, lines ...string) {
	t.Helper()
	file, err := os.OpenFile(f.path(p), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, l := range lines {
		if _, err := file.WriteString(l + "\n"); err != nil {
			t.Fatal(err)
		}
	}
}

// running is a sensor running in the background.
type running struct {
	s      *authlog.Sensor
	out    *collector
	cancel context.CancelFunc
	done   chan error
	t      *testing.T
}

// start configures a sensor on the fixture with settings and runs it.
// The sensor is stopped at the end of the test if stop was not called.
func (f fixture) start(t *testing.T, s *authlog.Sensor, settings string) *running {
	t.Helper()
	if err := s.ApplySettings(json.RawMessage(settings)); err != nil {
		t.Fatalf("settings: %v", err)
	}
	if err := s.Configure(plugin.Env{Root: f.root, DataDir: f.data, HostID: "test-host"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, out: &collector{}, cancel: cancel, done: make(chan error, 1), t: t}
	go func() { r.done <- s.Run(ctx, r.out) }()
	t.Cleanup(func() {
		if r.cancel != nil {
			r.stop()
		}
	})
	return r
}

// stop cancels Run and checks that it returned nil in time.
func (r *running) stop() {
	r.t.Helper()
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("Run = %v after cancel", err)
		}
	case <-time.After(waitLimit):
		r.t.Fatal("Run did not return after cancel")
	}
}

// waitStats polls the sensor's totals until ok holds.
func (r *running) waitStats(what string, ok func(authlog.Stats) bool) {
	r.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !ok(r.s.Stats()) {
		if time.Now().After(deadline) {
			r.t.Fatalf("waited for %s; stats %+v", what, r.s.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

// checkNoLeaks checks, after a test's sensors stopped, that the number
// of open files and goroutines came back to what it was.
func checkNoLeaks(t *testing.T) func() {
	t.Helper()
	fds, gs := openFDs(t), runtime.NumGoroutine()
	return func() {
		t.Helper()
		deadline := time.Now().Add(waitLimit)
		for {
			nfd, ng := openFDs(t), runtime.NumGoroutine()
			if nfd <= fds && ng <= gs {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				n := runtime.Stack(buf, true)
				t.Fatalf("leak: %d open files (was %d), %d goroutines (was %d)\n%s", nfd, fds, ng, gs, buf[:n])
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// sshLine returns a traditional auth.log line of a failed ssh password
// from port port.
func sshLine(ts string, pid, port int) string {
	return fmt.Sprintf("%s web1 sshd[%d]: Failed password for root from 192.0.2.7 port %d ssh2", ts, pid, port)
}

// ports returns the source ports of events, in order.
func ports(evs []event.Event) []int {
	var out []int
	for _, e := range evs {
		v, _ := e.Get("source.port")
		p, _ := v.(int)
		out = append(out, p)
	}
	return out
}
