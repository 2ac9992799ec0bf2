//go:build linux

package cpuhog

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
)

// procTree is a proc directory of fixture processes whose CPU time the
// test sets: the monitor reads it as it reads the kernel's.
type procTree struct {
	t    testing.TB
	root string
	// cpu is the CPU time of each process in ticks, start its start time.
	cpu, start map[int]uint64
}

func newProcTree(t testing.TB) *procTree {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &procTree{t: t, root: root, cpu: map[int]uint64{}, start: map[int]uint64{}}
}

// put writes the stat file of pid with flags, cpu ticks and start time.
func (f *procTree) put(pid int, flags, cpu, start uint64) {
	f.t.Helper()
	dir := filepath.Join(f.root, "proc", strconv.Itoa(pid))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	// utime and stime share the time, as the kernel splits it.
	line := fmt.Sprintf("%d (proc %d) R 1 %d %d 0 -1 %d 0 0 0 0 %d %d 0 0 20 0 1 0 %d 1000 10 0\n",
		pid, pid, pid, pid, flags, cpu-cpu/3, cpu/3, start)
	f.writeStat(pid, line)
	f.cpu[pid], f.start[pid] = cpu, start
}

func (f *procTree) writeStat(pid int, line string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.root, "proc", strconv.Itoa(pid), "stat"), []byte(line), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// run adds pct percent of one core over d to pid's CPU time.
func (f *procTree) run(pid int, pct float64, d time.Duration) {
	f.t.Helper()
	ticks := uint64(math.Round(pct / 100 * d.Seconds() * 100))
	f.put(pid, 0, f.cpu[pid]+ticks, f.start[pid])
}

func (f *procTree) remove(pid int) {
	f.t.Helper()
	if err := os.RemoveAll(filepath.Join(f.root, "proc", strconv.Itoa(pid))); err != nil {
		f.t.Fatal(err)
	}
	delete(f.cpu, pid)
	delete(f.start, pid)
}

// testSettings are short settings for the fixture tests: a sample every
// 10 s, reports after a minute at 80 %.
func testSettings() Settings {
	s := DefaultSettings()
	s.Interval, s.Sustain, s.Rearm, s.MaxProcesses = 10*time.Second, time.Minute, 0, 100
	return s
}

// clockedMonitor drives a monitor over a procTree with a clock of its own.
type clockedMonitor struct {
	*monitor
	t    testing.TB
	now  time.Time
	dues []due
	c    *counters
}

func newClockedMonitor(t testing.TB, f *procTree, set Settings) *clockedMonitor {
	cm := &clockedMonitor{t: t, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), c: &counters{}}
	cm.monitor = newMonitor(f.root, set, cm.c, func(d due) {
		d.statLine = append([]byte(nil), d.statLine...)
		cm.dues = append(cm.dues, d)
	}, func() time.Time { return cm.now })
	return cm
}

// step lets interval pass: each process in load runs at its percentage
// of one core; then the monitor samples.
func (cm *clockedMonitor) step(f *procTree, load map[int]float64) {
	cm.t.Helper()
	for pid, pct := range load {
		f.run(pid, pct, cm.set.Interval)
	}
	cm.now = cm.now.Add(cm.set.Interval)
	if err := cm.tick(); err != nil {
		cm.t.Fatal(err)
	}
}

// duesOf returns the reports of pid.
func (cm *clockedMonitor) duesOf(pid int) []due {
	var out []due
	for _, d := range cm.dues {
		if d.pid == pid {
			out = append(out, d)
		}
	}
	return out
}

func TestMonitorThreshold(t *testing.T) {
	f := newProcTree(t)
	load := map[int]float64{
		100: 100, // a busy loop
		101: 1,   // idle
		102: 79,  // just under
		103: 80,  // at the threshold
		104: 250, // three threads, two and a half cores
		105: 95,
	}
	for pid := range load {
		f.put(pid, 0, 500, 1000+uint64(pid))
	}
	cm := newClockedMonitor(t, f, testSettings())
	start := cm.now
	if err := cm.tick(); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if i == 3 {
			load[105] = 20 // cools down before the sustain is reached
		}
		cm.step(f, load)
	}
	for _, tc := range []struct {
		pid     int
		reports int
		pct     float64
	}{{100, 1, 100}, {101, 0, 0}, {102, 0, 0}, {103, 1, 80}, {104, 1, 250}, {105, 0, 0}} {
		got := cm.duesOf(tc.pid)
		if len(got) != tc.reports {
			t.Errorf("pid %d: %d reports, want %d", tc.pid, len(got), tc.reports)
			continue
		}
		if tc.reports == 0 {
			continue
		}
		d := got[0]
		if !d.since.Equal(start) || !d.at.Equal(start.Add(time.Minute)) || d.rearmed || d.start != 1000+uint64(tc.pid) {
			t.Errorf("pid %d: streak %s to %s (rearmed %v, start %d), want %s to %s", tc.pid, d.since, d.at, d.rearmed, d.start, start, start.Add(time.Minute))
		}
		if math.Abs(d.corePct()-tc.pct) > 0.5 {
			t.Errorf("pid %d: %.2f%% of a core, want %.0f%%", tc.pid, d.corePct(), tc.pct)
		}
		if st, err := procparse.ParseStat(d.statLine); err != nil || st.PID != tc.pid {
			t.Errorf("pid %d: stat line %q (%v)", tc.pid, d.statLine, err)
		}
	}
	if got := cm.c.processes.Load(); got != 6 {
		t.Errorf("processes = %d, want 6", got)
	}
}

func TestMonitorCoolsAndHeatsAgain(t *testing.T) {
	f := newProcTree(t)
	f.put(100, 0, 0, 50)
	cm := newClockedMonitor(t, f, testSettings())
	if err := cm.tick(); err != nil {
		t.Fatal(err)
	}
	hot, cool := map[int]float64{100: 100}, map[int]float64{100: 10}
	for range 10 {
		cm.step(f, hot)
	}
	if n := len(cm.duesOf(100)); n != 1 {
		t.Fatalf("%d reports after 100 s hot, want 1", n)
	}
	cm.step(f, cool)
	for range 5 {
		cm.step(f, hot)
	}
	if n := len(cm.duesOf(100)); n != 1 {
		t.Fatalf("%d reports 50 s after cooling down, want still 1", n)
	}
	cm.step(f, hot)
	got := cm.duesOf(100)
	if len(got) != 2 || got[1].rearmed || got[1].at.Sub(got[1].since) != time.Minute {
		t.Fatalf("after a minute hot again: %+v", got)
	}
}

func TestMonitorRearm(t *testing.T) {
	f := newProcTree(t)
	f.put(100, 0, 0, 50)
	set := testSettings()
	set.Rearm = 2 * time.Minute
	cm := newClockedMonitor(t, f, set)
	if err := cm.tick(); err != nil {
		t.Fatal(err)
	}
	for range 30 { // five minutes
		cm.step(f, map[int]float64{100: 100})
	}
	got := cm.duesOf(100)
	var streaks []time.Duration
	var rearmed []bool
	for _, d := range got {
		streaks = append(streaks, d.at.Sub(d.since))
		rearmed = append(rearmed, d.rearmed)
	}
	want := []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute}
	if fmt.Sprint(streaks) != fmt.Sprint(want) || fmt.Sprint(rearmed) != "[false true true]" {
		t.Errorf("reports after %v (rearmed %v), want after %v", streaks, rearmed, want)
	}
}

func TestMonitorPidReuse(t *testing.T) {
	f := newProcTree(t)
	f.put(100, 0, 0, 50)
	cm := newClockedMonitor(t, f, testSettings())
	if err := cm.tick(); err != nil {
		t.Fatal(err)
	}
	for range 5 { // 50 s: not yet due
		cm.step(f, map[int]float64{100: 100})
	}
	// The process exits and another one gets its pid, with less CPU time
	// used than the first.
	f.put(100, 0, 20, 9000)
	cm.now = cm.now.Add(10 * time.Second)
	if err := cm.tick(); err != nil {
		t.Fatal(err)
	}
	reused := cm.now
	if got := cm.c.pidReuses.Load(); got != 1 {
		t.Errorf("pid_reuses = %d, want 1", got)
	}
	for range 5 {
		cm.step(f, map[int]float64{100: 100})
	}
	if n := len(cm.dues); n != 0 {
		t.Fatalf("%d reports 50 s into the new process, want 0: its measure starts again", n)
	}
	cm.step(f, map[int]float64{100: 100})
	got := cm.duesOf(100)
	if len(got) != 1 || got[0].start != 9000 || !got[0].since.Equal(reused) {
		t.Fatalf("reports %+v, want one of the new process from %s", got, reused)
	}
}

func TestMonitorExit(t *testing.T) {
	f := newProcTree(t)
	for pid := 100; pid < 110; pid++ {
		f.put(pid, 0, 0, uint64(pid))
	}
	cm := newClockedMonitor(t, f, testSettings())
	load := map[int]float64{100: 100}
	cm.step(f, load)
	for pid := 101; pid < 110; pid++ {
		f.remove(pid)
	}
	cm.step(f, load)
	if got := cm.c.processes.Load(); got != 1 || len(cm.procs) != 1 {
		t.Fatalf("processes = %d (%d in the table) after nine exited, want 1", got, len(cm.procs))
	}
	for range 3 {
		cm.step(f, load)
	}
	f.remove(100)
	cm.step(f, nil)
	if len(cm.procs) != 0 || len(cm.dues) != 0 {
		t.Fatalf("%d processes, %d reports after all exited", len(cm.procs), len(cm.dues))
	}
}

func TestMonitorKernelThreads(t *testing.T) {
	f := newProcTree(t)
	f.put(2, procparse.PFKthread, 0, 1)
	cm := newClockedMonitor(t, f, testSettings())
	for range 10 {
		f.put(2, procparse.PFKthread, f.cpu[2]+1000, 1)
		cm.step(f, nil)
	}
	if len(cm.dues) != 0 {
		t.Fatalf("a kernel thread was reported: %+v", cm.dues)
	}
}

func TestMonitorBadStatFiles(t *testing.T) {
	f := newProcTree(t)
	f.put(100, 0, 0, 1)
	f.put(101, 0, 0, 1)
	f.writeStat(101, "garbage")
	f.put(102, 0, 0, 1)
	f.writeStat(102, "999 (other) R 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5")                // another pid's line
	if err := os.MkdirAll(filepath.Join(f.root, "proc", "103", "stat"), 0o755); err != nil { // unreadable
		t.Fatal(err)
	}
	cm := newClockedMonitor(t, f, testSettings())
	for range 8 {
		cm.step(f, map[int]float64{100: 100})
	}
	if got := cm.c.malformedLines.Load(); got != 16 {
		t.Errorf("malformed_lines = %d, want 16 (two files, eight ticks)", got)
	}
	if got := cm.c.readErrors.Load(); got != 8 {
		t.Errorf("read_errors = %d, want 8", got)
	}
	if n := len(cm.duesOf(100)); n != 1 {
		t.Errorf("%d reports of the good process, want 1", n)
	}
}

// TestMonitorBounded: with more processes than max_processes, the table
// stays within the bound, and a hot process is kept.
func TestMonitorBounded(t *testing.T) {
	f := newProcTree(t)
	for pid := 1000; pid < 2000; pid++ {
		f.put(pid, 0, 0, uint64(pid))
	}
	set := testSettings()
	set.MaxProcesses = 100
	cm := newClockedMonitor(t, f, set)
	for range 5 {
		cm.step(f, nil)
		if len(cm.procs) > 100 || cm.c.processes.Load() > 100 {
			t.Fatalf("%d processes in a table bounded at 100", len(cm.procs))
		}
	}
	if cm.c.evictions.Load() < 900 {
		t.Errorf("evictions = %d, want at least 900", cm.c.evictions.Load())
	}

	// A full table of hot processes: they are kept and reported once,
	// and the newcomers are not measured.
	f = newProcTree(t)
	load := map[int]float64{}
	for pid := 100; pid < 105; pid++ {
		f.put(pid, 0, 0, uint64(pid))
		load[pid] = 100
	}
	set.MaxProcesses = 5
	cm = newClockedMonitor(t, f, set)
	for i := range 12 {
		if i == 2 {
			for pid := 200; pid < 210; pid++ {
				f.put(pid, 0, 0, uint64(pid))
			}
		}
		cm.step(f, load)
	}
	for pid := 100; pid < 105; pid++ {
		if n := len(cm.duesOf(pid)); n != 1 {
			t.Errorf("hot pid %d: %d reports, want 1", pid, n)
		}
	}
	if got := cm.c.untracked.Load(); got != 10*10 {
		t.Errorf("untracked = %d, want 100 (ten newcomers, ten ticks)", got)
	}
}

// TestMonitorHotSurvivesChurn: in a table one entry too small, a busy
// process is still measured and reported.
func TestMonitorHotSurvivesChurn(t *testing.T) {
	f := newProcTree(t)
	for pid := 100; pid < 111; pid++ {
		f.put(pid, 0, 0, uint64(pid))
	}
	set := testSettings()
	set.MaxProcesses = 10
	cm := newClockedMonitor(t, f, set)
	for range 40 {
		cm.step(f, map[int]float64{110: 100})
	}
	if n := len(cm.duesOf(110)); n != 1 {
		t.Errorf("%d reports of the busy process, want 1", n)
	}
	if len(cm.procs) > 10 {
		t.Errorf("%d processes in a table bounded at 10", len(cm.procs))
	}
}

func TestMonitorNoProc(t *testing.T) {
	cm := newClockedMonitor(t, &procTree{root: t.TempDir()}, testSettings())
	if err := cm.tick(); err == nil {
		t.Error("tick without a proc directory succeeded")
	}
}

// TestMonitorEarlySample: a sample taken soon after the last one (the
// ticker catching up after a slow tick) sees too little time to measure
// and leaves the streak as it is.
func TestMonitorEarlySample(t *testing.T) {
	f := newProcTree(t)
	f.put(100, 0, 0, 50)
	cm := newClockedMonitor(t, f, testSettings())
	start := cm.now
	if err := cm.tick(); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		cm.step(f, map[int]float64{100: 100})
		if i == 2 {
			cm.now = cm.now.Add(time.Millisecond)
			if err := cm.tick(); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := cm.duesOf(100)
	if len(got) != 1 || !got[0].since.Equal(start) {
		t.Fatalf("reports %+v, want one of the streak from %s", got, start)
	}
	if pct := got[0].corePct(); math.Abs(pct-100) > 0.1 {
		t.Errorf("%.2f%% of a core, want 100", pct)
	}
}
