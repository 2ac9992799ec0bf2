//go:build unix

package stopsource_test

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/stopsource"
)

func TestSignalName(t *testing.T) {
	for sig, want := range map[os.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT", syscall.SIGHUP: "SIGHUP"} {
		if got := stopsource.SignalName(sig); got != want {
			t.Errorf("SignalName(%v) = %q, want %q", sig, got, want)
		}
	}
}

func TestForSignalWithoutTracer(t *testing.T) {
	t.Setenv("INVOCATION_ID", "")
	src := stopsource.ForSignal(syscall.SIGTERM, nil, errors.New("no BTF"))
	if src.GetVia() != stopsource.ViaSignal || src.GetPid() != 0 || src.GetSeenBy() != "" {
		t.Errorf("source = %v", src)
	}
	note := src.GetNote()
	if !strings.Contains(note, "sender unknown (no signal tracer: no BTF)") || !strings.Contains(note, "pid "+strconv.Itoa(os.Getppid())) {
		t.Errorf("note %q", note)
	}
	if runtime.GOOS == "linux" && !strings.Contains(note, "user ") {
		t.Errorf("note %q lacks the parent's user", note)
	}
	// Under systemd the parent is pid 1; the test's parent is not, so
	// INVOCATION_ID alone does not make it systemd.
	t.Setenv("INVOCATION_ID", "abc")
	if os.Getppid() != 1 && stopsource.ForSignal(syscall.SIGTERM, nil, nil).GetVia() == stopsource.ViaSystemd {
		t.Error("reported systemd for a process systemd did not start")
	}
}

func TestForUninstall(t *testing.T) {
	t.Setenv("SUDO_USER", "alice")
	src, detail := stopsource.ForUninstall()
	if src.GetVia() != stopsource.ViaUninstall || src.GetUid() != int32(os.Getuid()) || src.GetUser() == "" ||
		src.GetPid() != int32(os.Getpid()) || src.GetParentPid() != int32(os.Getppid()) {
		t.Errorf("source = %v", src)
	}
	if runtime.GOOS == "linux" && (src.GetCommand() == "" || src.GetParentCommand() == "") {
		t.Errorf("command or parent command missing: %v", src)
	}
	if !strings.Contains(detail, "sudo_user=alice") {
		t.Errorf("detail = %q", detail)
	}
}
