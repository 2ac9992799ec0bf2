//go:build linux

package proctest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable"
	"github.com/vigilsec/vigil/internal/event"
)

// Sensor is what the scenarios drive.
type Sensor interface {
	plugin.Sensor
	plugin.Configurer
	plugin.Tunable
	plugin.Alternative
	plugin.ProcessLister
	plugin.Counted
	// StreamStats returns the counters of the current run's events.
	StreamStats() proctable.StreamStats
}

// Offline returns a table of an empty host root, where every process is
// gone, and a stream of its events to a new Emitter, closed when the test
// ends: for feeding a sensor's handling of records without its kernel
// mechanism.
func Offline(t *testing.T, dataset string) (*proctable.Table, *proctable.Stream, *Emitter) {
	tbl := proctable.New(proctable.Config{Root: t.TempDir(), HostID: "offline"})
	em := NewEmitter()
	stream := tbl.NewStream(proctable.StreamConfig{Dataset: dataset}, em)
	t.Cleanup(stream.Close)
	return tbl, stream, em
}

// Options says what a sensor guarantees beyond the common scenarios.
type Options struct {
	// ShortLivedComplete: the exec event of a process that exits at once
	// is complete (eBPF reads everything in the kernel); otherwise it may
	// be flagged incomplete instead.
	ShortLivedComplete bool
	// ExecPath: the sensor reports the path given to execve
	// (vigil.process.exec_path) when it differs from the executable.
	ExecPath bool
	// NoForks: the sensor cannot see forks (exec/audit: a clone rule
	// would fire for every thread); the fork scenario is skipped.
	NoForks bool
	// NoSignalExits: the sensor sees only exits by exit_group
	// (exec/audit), not the end of a process killed by a signal.
	NoSignalExits bool
	// KernelObjects, when set, counts the kernel objects the sensor
	// loads (its eBPF programs); it must come back to its value before
	// Run once Run has returned.
	KernelObjects func() (int, error)
}

// Timeouts of the scenarios: generous, for a loaded machine.
const (
	eventWait = 20 * time.Second
	stopWait  = 20 * time.Second
)

// Run runs every scenario with a new sensor each.
func Run(t *testing.T, newSensor func() Sensor, opts Options) {
	tests := []struct {
		name string
		run  func(t *testing.T, newSensor func() Sensor, opts Options)
	}{
		{"ProcessTree", testProcessTree},
		{"ForkEvents", testForkEvents},
		{"Setuid", testSetuid},
		{"Container", testContainer},
		{"ReverseShell", testReverseShell},
		{"Terminal", testTerminal},
		{"ShortLived", testShortLived},
		{"MultiThreadedExit", testMultiThreadedExit},
		{"Settings", testSettings},
		{"Counters", testCounters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newSensor, opts) })
	}
}

// requireKernel skips the test (or fails it under VIGIL_REQUIRE_KERNEL=1)
// when cond does not hold.
func requireKernel(t *testing.T, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
		t.Fatalf("VIGIL_REQUIRE_KERNEL=1 but %s", why)
	}
	t.Skip(why)
}

// randomID returns n random bytes in hex.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Emitter collects a sensor's events. It is safe for concurrent use.
type Emitter struct {
	mu     sync.Mutex
	events []event.Event
	lost   uint64
	notify chan struct{}
}

// NewEmitter returns an empty Emitter.
func NewEmitter() *Emitter { return &Emitter{notify: make(chan struct{}, 1)} }

// Emit implements plugin.Emitter; it checks that the event encodes.
func (e *Emitter) Emit(ev event.Event) {
	e.mu.Lock()
	e.events = append(e.events, ev)
	e.mu.Unlock()
	select {
	case e.notify <- struct{}{}:
	default:
	}
}

// Lost implements plugin.Emitter.
func (e *Emitter) Lost(n uint64) {
	e.mu.Lock()
	e.lost += n
	e.mu.Unlock()
}

// LostCount returns the losses reported.
func (e *Emitter) LostCount() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lost
}

// Events returns the events matching pred, in order.
func (e *Emitter) Events(pred func(event.Event) bool) []event.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []event.Event
	for _, ev := range e.events {
		if pred(ev) {
			out = append(out, ev)
		}
	}
	return out
}

// Wait returns the first event matching pred, waiting up to d.
func (e *Emitter) Wait(t *testing.T, d time.Duration, what string, pred func(event.Event) bool) event.Event {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		if evs := e.Events(pred); len(evs) > 0 {
			return evs[0]
		}
		select {
		case <-e.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("no %s within %v", what, d)
		}
	}
}

// Harness runs one sensor for a test.
type Harness struct {
	T      *testing.T
	Sensor Sensor
	Emit   *Emitter
	HostID string

	cancel context.CancelFunc
	done   chan error
}

// Start configures a new sensor with settings, runs it and waits until it
// reports processes. The test's cleanup stops it and checks that it left
// nothing behind.
func Start(t *testing.T, newSensor func() Sensor, opts Options, settings string) *Harness {
	t.Helper()
	requireKernel(t, os.Geteuid() == 0, "the process sensors need root")
	s := newSensor()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := s.Probe(ctx)
	cancel()
	requireKernel(t, err == nil, fmt.Sprintf("%s does not work here: %v", s.Mechanism(), err))

	h := &Harness{T: t, Sensor: s, Emit: NewEmitter(), HostID: "proctest-" + randomID(8), done: make(chan error, 1)}
	if err := s.Configure(plugin.Env{Root: "/", HostID: h.HostID}); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySettings(json.RawMessage(settings)); err != nil {
		t.Fatal(err)
	}
	fdsBefore, routinesBefore := countFDs(t), runtime.NumGoroutine()
	var objectsBefore int
	if opts.KernelObjects != nil {
		if objectsBefore, err = opts.KernelObjects(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, h.cancel = context.WithCancel(context.Background())
	go func() { h.done <- s.Run(ctx, h.Emit) }()
	t.Cleanup(func() {
		h.Stop()
		waitFor(t, "file descriptors back to their number before Run", func() bool { return countFDs(t) <= fdsBefore })
		waitFor(t, "goroutines back to their number before Run", func() bool { return runtime.NumGoroutine() <= routinesBefore })
		if opts.KernelObjects != nil {
			waitFor(t, "kernel objects unloaded", func() bool {
				n, err := opts.KernelObjects()
				return err == nil && n <= objectsBefore
			})
		}
	})
	h.waitReady()
	return h
}

// waitReady runs a marker command until the sensor reports its exec.
func (h *Harness) waitReady() {
	t := h.T
	t.Helper()
	marker := "vigil-ready-" + randomID(6)
	deadline := time.Now().Add(eventWait)
	for time.Now().Before(deadline) {
		select {
		case err := <-h.done:
			t.Fatalf("Run returned before it was ready: %v", err)
		default:
		}
		cmd := exec.Command("/bin/sh", "-c", "exit 0", marker)
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		// The exec event, not the exit: audit can complete the exit's
		// records before the exec's, and the exit carries the arguments
		// too.
		seen := func() bool {
			return len(h.Emit.Events(func(e event.Event) bool {
				return e.String(event.FieldAction) == "exec" && hasArg(e, marker)
			})) > 0
		}
		for range 10 {
			if seen() {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Fatalf("the sensor reported no exec within %v of starting", eventWait)
}

// Stop cancels Run and checks that it returns nil.
func (h *Harness) Stop() {
	t := h.T
	t.Helper()
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run = %v after cancel, want nil", err)
		}
	case <-time.After(stopWait):
		t.Fatalf("Run did not return within %v of cancel", stopWait)
	}
}

// countFDs counts this process's open file descriptors.
func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// waitFor polls cond for up to stopWait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(stopWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("not within %v: %s", stopWait, what)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Action returns a predicate for events of the action about pid.
func Action(action string, pid int) func(event.Event) bool {
	return func(e event.Event) bool {
		return e.String(event.FieldAction) == action && e.String(event.FieldProcessPID) == fmt.Sprint(pid)
	}
}

// hasArg reports whether the event's process has argument a.
func hasArg(e event.Event, a string) bool {
	return slices.Contains(Args(e), a)
}

// Args returns process.args.
func Args(e event.Event) []string {
	v, _ := e.Get("process.args")
	switch a := v.(type) {
	case []string:
		return a
	case []any:
		out := make([]string, 0, len(a))
		for _, x := range a {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// Int returns a numeric field (-1 when absent).
func Int(e event.Event, path string) int {
	v, ok := e.Get(path)
	if !ok {
		return -1
	}
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case uint32:
		return int(n)
	case uint64:
		return int(n)
	case float64:
		return int(n)
	}
	return -1
}

// resolve returns the path with every symlink resolved.
func resolve(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// describe shows an event in test failures.
func describe(e event.Event) string {
	b, _ := json.Marshal(e)
	s := string(b)
	if len(s) > 3000 {
		s = s[:3000] + "..."
	}
	return s
}

// startCmd starts cmd in a new session (no terminal) and kills it at
// cleanup.
func startCmd(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = newSession()
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", strings.Join(cmd.Args, " "), err)
	}
	t.Cleanup(func() {
		killGroup(cmd)
		_ = cmd.Wait()
	})
}
