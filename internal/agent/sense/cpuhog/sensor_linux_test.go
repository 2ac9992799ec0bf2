//go:build linux

package cpuhog_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
	"github.com/vigilsec/vigil/internal/agent/sense/cpuhog"
	"github.com/vigilsec/vigil/internal/agent/sense/internal/sensetest"
	"github.com/vigilsec/vigil/internal/event"
)

// fastSettings sample every 100 ms and report after a second. The
// threshold is far below the default: the machine that runs the tests may
// be shared and saturated, and a busy loop then gets only part of a core
// (a fifth of one was seen), though never as little as this; an idle
// process gets nothing at all.
const fastSettings = `{"interval":"100ms","sustain":"1s","cpu_threshold":5`

// settings returns fastSettings with more fields.
func settings(more string) json.RawMessage {
	if more != "" {
		return json.RawMessage(fastSettings + "," + more + "}")
	}
	return json.RawMessage(fastSettings + "}")
}

// startSensor runs the sensor with raw settings until the test ends.
func startSensor(t *testing.T, raw json.RawMessage) (*cpuhog.Sensor, *sensetest.Emitter) {
	t.Helper()
	s := cpuhog.New()
	s.PackageOf = packageOf
	if err := s.Configure(plugin.Env{Root: "/", HostID: testHostID}); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySettings(raw); err != nil {
		t.Fatal(err)
	}
	em := &sensetest.Emitter{}
	run := sensetest.Start(s, em)
	t.Cleanup(func() { run.Stop(t) })
	return s, em
}

// copyFile copies src to dst with mode.
func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// start starts cmd and kills it when the test ends.
func start(t *testing.T, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// busy starts cmd, a process that uses the CPU, and kills it when the
// test ends. The machine that runs the tests may be shared and
// saturated, with the scheduler sharing the CPUs between sessions rather
// than processes (autogroups): as root, the process gets a session of its
// own with a higher share (nice -10), so that it uses a CPU in every
// sample without taking all of it.
func busy(t *testing.T, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	start(t, cmd)
	if os.Geteuid() == 0 {
		group := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/autogroup"
		if err := os.WriteFile(group, []byte("-10"), 0); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("raise the share of %s: %v", group, err)
		}
	}
	return cmd
}

// spinner starts a copy of the shell named name in dir that loops
// forever: a program of no package, busy on one core.
func spinner(t *testing.T, dir, name string, cred *syscall.Credential) *exec.Cmd {
	t.Helper()
	exe := filepath.Join(dir, name)
	copyFile(t, "/usr/bin/dash", exe, 0o755)
	cmd := exec.Command(exe, "-c", "while :; do :; done")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return busy(t, cmd)
}

// startTicks reads the start time of pid.
func startTicks(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	st, err := procparse.ParseStat(b)
	if err != nil {
		t.Fatal(err)
	}
	return st.StartTicks
}

// of matches the sensor's events of process pid.
func of(pid int) func(event.Event) bool {
	return func(e event.Event) bool {
		return e.String(event.FieldAction) == cpuhog.ActionSustained && e.String(event.FieldProcessPID) == strconv.Itoa(pid)
	}
}

// want checks fields of e, each given as the text event.String reads.
func want(t *testing.T, what string, e event.Event, fields map[string]string) {
	t.Helper()
	for f, v := range fields {
		if got := e.String(f); got != v {
			t.Errorf("%s: %s = %q, want %q", what, f, got, v)
		}
	}
}

// absent checks that e has none of paths.
func absent(t *testing.T, what string, e event.Event, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if v, ok := e.Get(p); ok {
			t.Errorf("%s: %s = %v, want none", what, p, v)
		}
	}
}

func number(t *testing.T, e event.Event, path string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(e.String(path), 64)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// TestBusyLoop: a program of no package, run from a temporary folder
// and deleted there, that loops on a CPU is reported once with the
// process's fields; gzip, busy too, is reported with its package; a
// sleeping process is not reported.
func TestBusyLoop(t *testing.T) {
	dir := t.TempDir()
	spin := spinner(t, dir, "spin", nil)
	exe := filepath.Join(dir, "spin")
	if err := os.Remove(exe); err != nil { // still running: /proc/PID/exe says "(deleted)"
		t.Fatal(err)
	}
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer zero.Close()
	gzip := exec.Command("/usr/bin/gzip", "-1", "-c")
	gzip.Stdin = zero
	busy(t, gzip)
	sleeper := start(t, exec.Command("/usr/bin/sleep", "60"))

	began := time.Now()
	s, em := startSensor(t, settings(""))
	e := em.Wait(t, "of the busy loop", of(spin.Process.Pid))
	pid := spin.Process.Pid
	want(t, "busy loop", e, map[string]string{
		"event.category":                   "process",
		"event.action":                     "cpu-sustained",
		"event.kind":                       "event",
		"event.dataset":                    "cpuhog",
		"process.entity_id":                procid.EntityID(testHostID, pid, startTicks(t, pid)),
		"process.name":                     "spin",
		"process.executable":               exe,
		"process.command_line":             exe + " -c while :; do :; done",
		"process.parent.pid":               strconv.Itoa(os.Getpid()),
		"user.id":                          strconv.Itoa(os.Geteuid()),
		"vigil.process.package":            cpuhog.Unowned,
		"vigil.process.executable_deleted": "true",
		"vigil.process.executable_in_temp": "true",
		"vigil.cpuhog.rearmed":             "false",
		"vigil.cpuhog.threshold_pct":       "5",
	})
	if types, _ := e.Get("event.type"); len(types.([]string)) != 1 || types.([]string)[0] != "info" {
		t.Errorf("event.type = %v", types)
	}
	if v := number(t, e, "vigil.cpuhog.core_pct"); v < 5 || v > 110 {
		t.Errorf("core_pct %v of a one-thread busy loop", v)
	}
	cpus := number(t, e, "vigil.cpuhog.cpus")
	if v := number(t, e, "process.cpu.pct"); v <= 0 || v > 1.1/cpus {
		t.Errorf("process.cpu.pct %v on %v CPUs", v, cpus)
	}
	// The sustain is reached at the first sample a second after the
	// streak began; a loaded machine may take a sample late.
	if v := number(t, e, "vigil.cpuhog.sustained_seconds"); v < 1 || v > 3 {
		t.Errorf("sustained_seconds %v, want 1 (or a little more)", v)
	}
	from, err := time.Parse(time.RFC3339Nano, e.String("event.start"))
	if err != nil || from.Before(began.Add(-time.Second)) || !from.Before(e.Timestamp()) {
		t.Errorf("event.start %q (%v) before @timestamp %s, after %s", e.String("event.start"), err, e.Timestamp(), began)
	}
	if d := number(t, e, "event.duration"); d < float64(time.Second) || d > float64(4*time.Second) {
		t.Errorf("event.duration %v", d)
	}
	if msg := e.String(event.FieldMessage); !strings.HasPrefix(msg, "spin (pid "+strconv.Itoa(pid)+") kept ") {
		t.Errorf("message %q", msg)
	}
	if _, err := json.Marshal(e); err != nil {
		t.Errorf("the event does not encode: %v", err)
	}

	g := em.Wait(t, "of gzip", of(gzip.Process.Pid))
	want(t, "gzip", g, map[string]string{"process.executable": "/usr/bin/gzip", "vigil.process.package": "gzip"})
	absent(t, "gzip", g, "vigil.process.executable_deleted", "vigil.process.executable_in_temp")

	time.Sleep(1500 * time.Millisecond) // more samples, all hot
	if n := len(em.Matching(of(pid))); n != 1 {
		t.Errorf("%d events of the busy loop, want 1", n)
	}
	if n := len(em.Matching(of(sleeper.Process.Pid))); n != 0 {
		t.Errorf("%d events of a sleeping process", n)
	}
	c := s.Counters()
	if c["processes"] < 3 || c["package_lookups"] < 2 {
		t.Errorf("counters %v", c)
	}
}

// TestCoolDownAndRearm: a process that stopped using the CPU for a
// while and then loops again is reported again; one that loops without a
// break is reported again after rearm, marked so.
func TestCoolDownAndRearm(t *testing.T) {
	spin := spinner(t, t.TempDir(), "spin", nil)
	pid := spin.Process.Pid
	_, em := startSensor(t, settings(`"rearm":"3s"`))
	first := em.Take(t, "of the busy loop", of(pid))
	stopped := time.Now()
	if err := spin.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := spin.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	second := em.Take(t, "after the pause", of(pid))
	third := em.Take(t, "after rearm", of(pid))
	want(t, "first", first, map[string]string{"vigil.cpuhog.rearmed": "false"})
	want(t, "after the pause", second, map[string]string{"vigil.cpuhog.rearmed": "false"})
	want(t, "after rearm", third, map[string]string{"vigil.cpuhog.rearmed": "true", "event.start": second.String("event.start")})
	// The second streak began with a sample taken while the process was
	// stopped, and lasted a second.
	if from, err := time.Parse(time.RFC3339Nano, second.String("event.start")); err != nil || !from.After(stopped) {
		t.Errorf("second streak from %s (%v), before the process was stopped at %s", from, err, stopped)
	}
	if at := second.Timestamp(); !at.After(resumed) {
		t.Errorf("reported again at %s, before the process resumed at %s", at, resumed)
	}
	if gap := third.Timestamp().Sub(second.Timestamp()); gap < 3*time.Second || gap > 5*time.Second {
		t.Errorf("reported again %s after the second report, want after rearm (3s)", gap)
	}
}

// TestIgnore: the ignore list keeps a program out of the events.
func TestIgnore(t *testing.T) {
	ignoredDir, keptDir := t.TempDir(), t.TempDir()
	ignored := spinner(t, ignoredDir, "render", nil)
	kept := spinner(t, keptDir, "render", nil)
	s, em := startSensor(t, settings(`"ignore":["/nonexistent/*",`+strconv.Quote(ignoredDir+"/rend*")+`]`))
	em.Wait(t, "of the program not ignored", of(kept.Process.Pid))
	time.Sleep(500 * time.Millisecond)
	if n := len(em.Matching(of(ignored.Process.Pid))); n != 0 {
		t.Errorf("%d events of an ignored program", n)
	}
	if c := s.Counters()["ignored"]; c != 1 {
		t.Errorf("ignored = %d, want 1", c)
	}
}

// TestUnprivileged runs the sensor as nobody: it measures every process,
// and describes fully the ones of its own user only.
func TestUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running the sensor as another user needs root")
	}
	// A folder that nobody may enter, holding a copy of the test binary.
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := filepath.Join(dir, "cpuhog.test")
	copyFile(t, self, helper, 0o755)
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	own := spinner(t, dir, "spin-nobody", nobody)
	other := spinner(t, dir, "spin-root", nil)

	cmd := exec.Command(helper, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=sensor", settingsEnv+"="+string(settings("")))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: nobody}
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sensor as nobody: %v\n%s", err, stderr.String())
	}
	events := map[int]event.Event{}
	var counters map[string]uint64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Bytes()
		if c, ok := bytes.CutPrefix(line, []byte(helperCounters)); ok {
			if err := json.Unmarshal(c, &counters); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var e event.Event
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("helper output %q: %v", line, err)
		}
		pid, _ := strconv.Atoi(e.String(event.FieldProcessPID))
		events[pid] = e
	}
	e, ok := events[own.Process.Pid]
	if !ok {
		t.Fatalf("no event of nobody's own busy loop; output:\n%s", out)
	}
	want(t, "nobody's process", e, map[string]string{
		"process.executable":               filepath.Join(dir, "spin-nobody"),
		"vigil.process.package":            cpuhog.Unowned,
		"vigil.process.executable_in_temp": "true",
		"user.id":                          "65534",
	})
	e, ok = events[other.Process.Pid]
	if !ok {
		t.Fatalf("no event of root's busy loop; output:\n%s", out)
	}
	want(t, "root's process", e, map[string]string{"process.name": "spin-root", "user.id": "0"})
	absent(t, "root's process", e, "process.executable", "vigil.process.package", "vigil.process.executable_in_temp")
	if counters["processes"] == 0 || counters["read_errors"] != 0 {
		t.Errorf("counters as nobody: %v", counters)
	}
}
