//go:build unix

package stopsource_test

import (
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

func TestForSignal(t *testing.T) {
	t.Setenv("INVOCATION_ID", "")
	src := stopsource.ForSignal()
	if src.GetVia() != stopsource.ViaSignal || src.GetPid() != int32(os.Getppid()) {
		t.Errorf("source = %v", src)
	}
	if runtime.GOOS == "linux" && (src.GetCommand() == "" || src.GetUser() == "") {
		t.Errorf("parent's command or user missing: %v", src)
	}
	// Under systemd the parent is pid 1; the test's parent is not, so
	// INVOCATION_ID alone does not make it systemd.
	t.Setenv("INVOCATION_ID", "abc")
	if os.Getppid() != 1 && stopsource.ForSignal().GetVia() == stopsource.ViaSystemd {
		t.Error("reported systemd for a process systemd did not start")
	}
}

func TestForUninstall(t *testing.T) {
	t.Setenv("SUDO_USER", "alice")
	src, detail := stopsource.ForUninstall()
	if src.GetVia() != stopsource.ViaUninstall || src.GetUid() != int32(os.Getuid()) || src.GetUser() == "" {
		t.Errorf("source = %v", src)
	}
	if !strings.Contains(detail, "sudo_user=alice") || !strings.Contains(detail, "pid="+strconv.Itoa(os.Getpid())) {
		t.Errorf("detail = %q", detail)
	}
}
