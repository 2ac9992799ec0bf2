//go:build linux && (amd64 || arm64)

package sigtrace_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/stopsource/sigtrace"
)

// start returns a tracer, skipping where the kernel cannot run it unless
// VIGIL_REQUIRE_KERNEL=1 (as in CI) says it must.
func start(t *testing.T, pid int) *sigtrace.Tracer {
	t.Helper()
	tr, err := sigtrace.Start(pid)
	if errors.Is(err, sigtrace.ErrUnsupported) && os.Getenv("VIGIL_REQUIRE_KERNEL") != "1" {
		t.Skipf("no eBPF here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tr.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return tr
}

func sleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// TestSenders: a signal from this process and one from a kill command are
// recorded with their senders; signals to other processes are not.
func TestSenders(t *testing.T) {
	target, other := sleeper(t), sleeper(t)
	tr := start(t, target.Process.Pid)
	if _, ok := tr.Last(syscall.SIGTERM); ok {
		t.Fatal("a sender recorded before any signal")
	}

	before := time.Now()
	if err := syscall.Kill(target.Process.Pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	self, ok := tr.Last(syscall.SIGCONT)
	if !ok {
		t.Fatal("SIGCONT from this process not recorded")
	}
	exe, _ := os.Executable()
	if self.PID != os.Getpid() || self.PPID != os.Getppid() || self.UID != uint32(os.Getuid()) ||
		self.GID != uint32(os.Getgid()) || self.Code != 0 || self.FromKernel || self.Signal != syscall.SIGCONT {
		t.Errorf("self sender %+v, want pid %d ppid %d", self, os.Getpid(), os.Getppid())
	}
	if want := comm(filepath.Base(exe)); self.Command != want {
		t.Errorf("command %q, want %q", self.Command, want)
	}
	if self.At.Before(before.Add(-time.Second)) || self.At.After(time.Now().Add(time.Second)) {
		t.Errorf("at %v, not around %v", self.At, before)
	}

	if err := syscall.Kill(other.Process.Pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	again, _ := tr.Last(syscall.SIGCONT)
	if d := again.At.Sub(self.At).Abs(); d < time.Millisecond {
		again.At = self.At // the same record, converted to wall time again
	}
	if again != self {
		t.Errorf("a signal to another process changed the record: %+v", again)
	}

	kill := exec.Command("/bin/kill", "-TERM", strconv.Itoa(target.Process.Pid))
	if out, err := kill.CombinedOutput(); err != nil {
		t.Fatalf("kill: %v %s", err, out)
	}
	got, ok := tr.Last(syscall.SIGTERM)
	if !ok {
		t.Fatal("SIGTERM from kill not recorded")
	}
	if got.PID != kill.Process.Pid || got.Command != "kill" || got.PPID != os.Getpid() || got.ParentComm != self.Command {
		t.Errorf("kill sender %+v, want pid %d (kill) with parent %d", got, kill.Process.Pid, os.Getpid())
	}
	if _, ok := tr.Last(syscall.SIGHUP); ok {
		t.Error("a SIGHUP recorded that nobody sent")
	}
}

func TestStartRefusesBadPID(t *testing.T) {
	if _, err := sigtrace.Start(0); err == nil {
		t.Error("Start(0) succeeded")
	}
}

// comm is what the kernel keeps of a process name: 15 bytes.
func comm(name string) string {
	if len(name) > 15 {
		return name[:15]
	}
	return name
}
