package audit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable/proctest"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/testkit/hostlock"
)

// helperEnv turns the test binary into a process that holds the audit
// pid until its standard input closes.
const helperEnv = "VIGIL_AUDIT_TEST_HELPER"

func TestMain(m *testing.M) {
	proctest.HelperMain()
	if os.Getenv(helperEnv) == "holdpid" {
		os.Exit(holdPID())
	}
	os.Exit(m.Run())
}

// holdPID registers as the audit process, says "ready", and unregisters
// when its standard input closes.
func holdPID() int {
	r, err := openReceiver(false, tickInterval)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	if err := r.close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// requireAudit skips (fails under VIGIL_REQUIRE_KERNEL=1) without root or
// audit.
func requireAudit(t *testing.T) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "the audit sensor needs root"
	} else if c, err := dialControl(); err != nil {
		why = fmt.Sprintf("no audit netlink: %v", err)
	} else {
		_, err := c.GetStatus()
		c.Close()
		if err != nil {
			why = fmt.Sprintf("no audit status: %v", err)
		}
	}
	if why == "" {
		// The test changes the host's audit state: no other test
		// process may depend on it meanwhile (PAM logs through it).
		hostlock.Lock(t, hostlock.Audit)
		return
	}
	if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
		t.Fatalf("VIGIL_REQUIRE_KERNEL=1 but %s", why)
	}
	t.Skip(why)
}

// auditState is what the sensor must leave as it found it.
type auditState struct {
	Enabled, PID, BacklogLimit, BacklogWaitTime uint32
	OurRules                                    int
}

func readState(t *testing.T) auditState {
	t.Helper()
	c, err := dialControl()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.GetStatus()
	if err != nil {
		t.Fatal(err)
	}
	rules, err := c.GetRules()
	if err != nil {
		t.Fatal(err)
	}
	s := auditState{Enabled: st.Enabled, PID: st.PID, BacklogLimit: st.BacklogLimit, BacklogWaitTime: st.BacklogWaitTime}
	for _, r := range rules {
		if isOurs(r) {
			s.OurRules++
		}
	}
	return s
}

// checkRestored records the audit state now and, at cleanup (also when
// the test fails), checks that it is back, repairing it if not.
func checkRestored(t *testing.T) {
	t.Helper()
	before := readState(t)
	if before.PID != 0 {
		t.Skipf("process %d holds the audit pid: the tests do not disturb it", before.PID)
	}
	if before.OurRules != 0 {
		t.Fatalf("%d audit rules with key %s before the test", before.OurRules, RuleKey)
	}
	t.Cleanup(func() {
		var after auditState
		deadline := time.Now().Add(20 * time.Second)
		for {
			after = readState(t)
			if after == before || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if after != before {
			t.Errorf("audit state after the run %+v, want %+v", after, before)
			repair(t, before)
		}
	})
}

// repair puts the audit state back after a failed test.
func repair(t *testing.T, st auditState) {
	c, err := dialControl()
	if err != nil {
		t.Error(err)
		return
	}
	defer c.Close()
	s := &session{ctrl: c}
	if _, err := s.removeRules(); err != nil {
		t.Error(err)
	}
	_ = c.SetEnabled(st.Enabled == 1, 1)
	_ = c.SetBacklogLimit(st.BacklogLimit, 1)
	_ = c.SetBacklogWaitTime(int32(st.BacklogWaitTime), 1)
}

func TestProbe(t *testing.T) {
	requireAudit(t)
	checkRestored(t)
	if err := New().Probe(context.Background()); err != nil {
		t.Fatalf("Probe: %v", err)
	}
}

// TestProbeRefusesDaemon: another process holding the audit pid makes
// Probe and Run refuse, naming it, and leaves it in place; with
// audit_daemon "share" the sensor reads the multicast group next to it.
func TestProbeRefusesDaemon(t *testing.T) {
	requireAudit(t)
	checkRestored(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=holdpid")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // registered after checkRestored's: runs first
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("audit pid holder: %v", err)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Error("the audit pid holder did not stop")
		}
	})
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("audit pid holder: %q", line)
	}
	if st := readState(t); st.PID != uint32(cmd.Process.Pid) {
		t.Fatalf("audit pid %d, want the holder's %d", st.PID, cmd.Process.Pid)
	}

	s := New()
	s.Configure(envFor(t))
	err = s.Probe(context.Background())
	if !errors.Is(err, errDaemon) || !strings.Contains(err.Error(), strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("Probe = %v, want a refusal naming process %d", err, cmd.Process.Pid)
	}
	if err := s.Run(context.Background(), proctest.NewEmitter()); !errors.Is(err, errDaemon) {
		t.Fatalf("Run = %v, want a refusal", err)
	}
	if st := readState(t); st.PID != uint32(cmd.Process.Pid) || st.OurRules != 0 {
		t.Fatalf("after the refusal: %+v", st)
	}

	// Shared: multicast reading, own rules, the holder keeps its place.
	if err := s.ApplySettings([]byte(`{"audit_daemon":"share"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Probe(context.Background()); err != nil {
		t.Fatalf("Probe with audit_daemon share: %v", err)
	}
	em := proctest.NewEmitter()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, em) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	marker := "vigil-shared-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	waitExec(t, em, done, marker)
	if st := readState(t); st.PID != uint32(cmd.Process.Pid) {
		t.Errorf("audit pid %d while sharing, want the holder's %d", st.PID, cmd.Process.Pid)
	}
	if !s.Stats().Multicast {
		t.Error("not counted as multicast reading")
	}
}

// waitExec runs /bin/sh -c "exit 0" marker until the sensor reports it.
func waitExec(t *testing.T, em *proctest.Emitter, done chan error, marker string) event.Event {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("Run returned: %v", err)
		default:
		}
		if err := exec.Command("/bin/sh", "-c", "exit 0", marker).Run(); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			if evs := em.Events(func(e event.Event) bool { return slices.Contains(proctest.Args(e), marker) }); len(evs) > 0 {
				return evs[0]
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Fatalf("no exec of the marker %s", marker)
	return nil
}

// TestExec: a shell runs a child with arguments needing hex encoding
// (spaces, quotes, a newline, non-ASCII), in a directory, as another
// user; the exec event has them decoded, the ids, the parent; the exit
// has its code. The audit state is back after Run.
func TestExec(t *testing.T) {
	requireAudit(t)
	checkRestored(t)
	h := proctest.Start(t, func() proctest.Sensor { return New() }, proctest.Options{}, "")
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	marker := "vigil-exec-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	args := []string{"/bin/sh", "-c", `exit 3`, marker, "two words", `it's "quoted"`, "line\nbreak", "héllo", ""}
	cmd := exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups"}, args...)...)
	cmd.Dir = dir
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 3 {
		t.Fatalf("child: %v", err)
	}
	pid := cmd.Process.Pid
	sh, _ := filepath.EvalSymlinks("/bin/sh")
	// setpriv executes the shell in the same process.
	e := h.Emit.Wait(t, 20*time.Second, "exec of the shell", func(e event.Event) bool {
		return proctest.Action("exec", pid)(e) && e.String("process.executable") == sh
	})
	if got := proctest.Args(e); !slices.Equal(got, args) {
		t.Errorf("args %q, want %q", got, args)
	}
	for path, want := range map[string]string{
		"process.executable": sh, "process.working_directory": dir, "process.name": "sh",
		"process.args_count": strconv.Itoa(len(args)), "event.dataset": Name,
		"process.user.id": "65534", "process.real_user.id": "65534", "process.group.id": "65534",
		"process.real_group.id": "65534", "user.name": "nobody",
		"process.parent.pid": strconv.Itoa(os.Getpid()),
	} {
		if got := e.String(path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if e.String("process.parent.entity_id") == "" || e.String("process.entity_id") == "" {
		t.Errorf("no entity ids: %v", e)
	}
	x := h.Emit.Wait(t, 20*time.Second, "exit of the shell", proctest.Action("exit", pid))
	if got := x.String("process.exit_code"); got != "3" {
		t.Errorf("exit code %q, want 3", got)
	}
	if got, want := x.String("process.entity_id"), e.String("process.entity_id"); got != want {
		t.Errorf("exit entity id %q, exec's %q", got, want)
	}
	if st := readState(t); st.OurRules == 0 || st.PID != uint32(os.Getpid()) || st.Enabled != 1 {
		t.Errorf("while running: %+v", st)
	}
}
func envFor(t *testing.T) plugin.Env {
	return plugin.Env{Root: "/", HostID: "audit-test-" + t.Name()}
}
