// Package trackertest helps test sensors built on package tracker: an
// emitter that collects events, a copy of a fixture root, running a
// sensor and stopping it with a check that it left no inotify instance
// behind, waiting for events, and golden files of events.
package trackertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
	"github.com/vigilsec/vigil/internal/event"
)

// Wait is how long a test waits for an event: generous, for loaded
// machines.
const Wait = 20 * time.Second

// Emitter collects a sensor's events.
type Emitter struct {
	mu     sync.Mutex
	events []event.Event
	lost   uint64
}

// Emit implements plugin.Emitter.
func (e *Emitter) Emit(ev event.Event) {
	e.mu.Lock()
	e.events = append(e.events, ev)
	e.mu.Unlock()
}

// Lost implements plugin.Emitter.
func (e *Emitter) Lost(n uint64) {
	e.mu.Lock()
	e.lost += n
	e.mu.Unlock()
}

// Events returns the events so far.
func (e *Emitter) Events() []event.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]event.Event(nil), e.events...)
}

// LostCount returns the losses reported so far.
func (e *Emitter) LostCount() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lost
}

// Len is the number of events so far.
func (e *Emitter) Len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.events)
}

// WaitFor waits up to Wait for an event with the action, emitted at or
// after index from, for which match (nil: any) holds.
func (e *Emitter) WaitFor(t testing.TB, from int, action string, match func(event.Event) bool) event.Event {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for {
		evs := e.Events()
		for _, ev := range evs[min(from, len(evs)):] {
			if ev.String(event.FieldAction) == action && (match == nil || match(ev)) {
				return ev
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s event within %s; got:\n%s", action, Wait, Summary(evs[min(from, len(evs)):]))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Summary lists events as action and message, one a line.
func Summary(evs []event.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "  %s: %s\n", ev.String(event.FieldAction), ev.String(event.FieldMessage))
	}
	return b.String()
}

// StatsSensor is a sensor with tracker statistics.
type StatsSensor interface {
	plugin.Sensor
	Stats() tracker.Stats
}

// Running is a sensor running in a test.
type Running struct {
	Emit    *Emitter
	sensor  StatsSensor
	cancel  context.CancelFunc
	done    chan error
	inotify int
	passes  uint64
}

// Start runs a configured sensor and waits until its first reading is
// done and its watches are in place.
func Start(t testing.TB, s StatsSensor) *Running {
	t.Helper()
	r := &Running{Emit: &Emitter{}, sensor: s, done: make(chan error, 1), inotify: inotifyFDs(t)}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- s.Run(ctx, r.Emit) }()
	t.Cleanup(func() { r.stop() })
	r.passes = r.WaitPass(t, s.Stats().Passes)
	return r
}

// WaitPass waits until the sensor finished a reading after the given
// count of passes, and returns the new count.
func (r *Running) WaitPass(t testing.TB, after uint64) uint64 {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for {
		if n := r.sensor.Stats().Passes; n > after {
			return n
		}
		select {
		case err := <-r.done:
			t.Fatalf("sensor returned early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sensor did not finish a reading within %s", Wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop cancels the sensor and returns what Run returned.
func (r *Running) stop() error {
	if r.cancel == nil {
		return nil
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		return err
	case <-time.After(Wait):
		return fmt.Errorf("Run did not return within %s after cancel", Wait)
	}
}

// Stop stops the sensor and checks that Run returned nil and closed its
// inotify instance.
func (r *Running) Stop(t testing.TB) {
	t.Helper()
	if err := r.stop(); err != nil {
		t.Fatalf("Run = %v after cancel", err)
	}
	if n := inotifyFDs(t); n != r.inotify {
		t.Errorf("inotify instances open: %d after Run, %d before", n, r.inotify)
	}
}

// inotifyFDs counts this process's inotify file descriptors.
func inotifyFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("list fds: %v", err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && l == "anon_inode:inotify" {
			n++
		}
	}
	return n
}

// RequireRoot skips a test that needs root, unless VIGIL_REQUIRE_KERNEL=1
// says it must run.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
		t.Fatal("this test needs root (VIGIL_REQUIRE_KERNEL=1)")
	}
	t.Skip("this test needs root")
}

// CopyTree copies the fixture tree src to dst (files, directories and
// symbolic links; permissions as in the fixture).
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(to, fi.Mode().Perm()|0o700)
		case fi.Mode()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, to)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, data, fi.Mode().Perm())
		}
	})
	if err != nil {
		t.Fatalf("copy fixture: %v", err)
	}
}

// WriteAtomic writes a file the way careful tools do: a temporary file in
// the same directory, renamed over the target.
func WriteAtomic(t testing.TB, path string, data []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// Append appends data to a file, creating it.
func Append(t testing.TB, path string, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// Volatile are the fields Golden leaves out: they differ from run to run.
var Volatile = []string{event.FieldTimestamp, "event.created"}

// Golden compares events, without the Volatile fields, to the golden
// file (one JSON document a line), or rewrites it when update is set.
func Golden(t testing.TB, file string, evs []event.Event, update bool) {
	t.Helper()
	var b bytes.Buffer
	for _, ev := range evs {
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var copy event.Event
		if err := json.Unmarshal(data, &copy); err != nil {
			t.Fatal(err)
		}
		for _, f := range Volatile {
			drop(copy, f)
		}
		data, err = json.Marshal(copy)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	if update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("golden file (run with -update to write it): %v", err)
	}
	if !bytes.Equal(want, b.Bytes()) {
		t.Errorf("events differ from %s (run with -update to accept):\n got:\n%s\nwant:\n%s", file, b.String(), want)
	}
}

// drop removes a dotted field from a decoded event.
func drop(m map[string]any, path string) {
	if _, ok := m[path]; ok {
		delete(m, path)
		return
	}
	head, rest, ok := strings.Cut(path, ".")
	if !ok {
		return
	}
	if sub, ok := m[head].(map[string]any); ok {
		drop(sub, rest)
		if len(sub) == 0 {
			delete(m, head)
		}
	}
}

// Logger returns a logger that writes to the test's log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testWriter writes log records to a test's log.
type testWriter struct{ t testing.TB }

// Write logs one record.
func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// Check checks what every event of a tracker sensor must have: it
// validates once the runtime's fields are added, names the dataset,
// has a one-line message, an event.type array, and fits event.MaxSize.
func Check(t testing.TB, dataset string, evs []event.Event) {
	t.Helper()
	for _, ev := range evs {
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("encode %v: %v", ev, err)
		}
		var c event.Event
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatal(err)
		}
		c.Set(event.FieldID, "test")
		c.Set(event.FieldAgentID, "test")
		if err := c.Validate(); err != nil {
			t.Errorf("event does not validate: %v\n%s", err, data)
		}
		if len(data) > event.MaxSize {
			t.Errorf("event of %d bytes", len(data))
		}
		if ev.String(event.FieldDataset) != dataset || ev.String(event.FieldKind) != "event" {
			t.Errorf("dataset/kind: %s", data)
		}
		if m := ev.String(event.FieldMessage); m == "" || strings.Contains(m, "\n") {
			t.Errorf("message %q", m)
		}
		if types, _ := ev.Get("event.type"); types == nil {
			t.Errorf("no event.type: %s", data)
		} else if l, ok := types.([]string); !ok || len(l) == 0 {
			t.Errorf("event.type %v is not a list of strings", types)
		}
	}
}

// Overlay writes every file and link of the fixture tree src over root,
// the way careful tools do: a file through a temporary file renamed over
// the old one (with the fixture's permissions), a link through a
// temporary link renamed likewise.
func Overlay(t testing.TB, src, root string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(root, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return err
			}
			tmp := to + ".tmp-link"
			if err := os.Symlink(l, tmp); err != nil {
				return err
			}
			return os.Rename(tmp, to)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		WriteAtomic(t, to, data, fi.Mode().Perm())
		return nil
	})
	if err != nil {
		t.Fatalf("overlay %s: %v", src, err)
	}
}

// WaitStats waits up to Wait until the sensor's statistics satisfy ok.
func (r *Running) WaitStats(t testing.TB, ok func(tracker.Stats) bool) tracker.Stats {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for {
		st := r.sensor.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("statistics not as expected within %s: %+v", Wait, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Sensor is a tracker-based sensor as tests configure it.
type Sensor interface {
	StatsSensor
	plugin.Configurer
	plugin.Tunable
}

// Configure configures s for the host at root with the data directory
// data, logging to the test, and applies settings; it returns s.
func Configure[S Sensor](t testing.TB, s S, root, data, settings string) S {
	t.Helper()
	if err := s.Configure(plugin.Env{Root: root, DataDir: data, Logger: Logger(t)}); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySettings(json.RawMessage(settings)); err != nil {
		t.Fatal(err)
	}
	return s
}

// Fixture copies the fixture tree src to a new directory, adds the
// directories dirs (relative to it), and returns it.
func Fixture(t testing.TB, src string, dirs ...string) string {
	t.Helper()
	root := t.TempDir()
	CopyTree(t, src, root)
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// NeedTools skips the test when one of the tools is not installed,
// unless VIGIL_REQUIRE_KERNEL=1 says it must run.
func NeedTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
				t.Fatalf("%s is missing", tool)
			}
			t.Skipf("%s is missing", tool)
		}
	}
}

// Run runs a command and returns its output, failing the test when it
// fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Is matches the events whose field is want (Emitter.WaitFor).
func Is(field, want string) func(event.Event) bool {
	return func(e event.Event) bool { return e.String(field) == want }
}

// BenchmarkBaseline measures a first start on this host ("/", read
// only) of the sensors newSensor configures with a data directory,
// starting and stopping included; µs/reading is the time of the reading
// itself: every source read, the watches placed, the state saved.
func BenchmarkBaseline(b *testing.B, newSensor func(data string) StatsSensor) {
	if os.Geteuid() != 0 {
		b.Skip("reading the host's files needs root")
	}
	var s StatsSensor
	for b.Loop() {
		b.StopTimer()
		s = newSensor(b.TempDir())
		b.StartTimer()
		r := Start(b, s)
		r.Stop(b)
	}
	st := s.Stats()
	b.ReportMetric(float64(st.PassTime.Microseconds())/float64(st.Passes), "µs/reading")
	b.ReportMetric(float64(st.Records), "records")
	b.ReportMetric(float64(st.Sources), "sources")
	b.ReportMetric(float64(st.Watches), "watches")
	b.ReportMetric(float64(st.MalformedLines), "malformed")
}
