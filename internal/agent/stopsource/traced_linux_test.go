//go:build linux && (amd64 || arm64)

package stopsource_test

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/stopsource"
	"github.com/vigilsec/vigil/internal/agent/stopsource/sigtrace"
)

// TestForSignalTraced: a SIGTERM sent by a kill command names the kill
// process, its parent (this test) and its user.
func TestForSignalTraced(t *testing.T) {
	tr, err := sigtrace.Start(os.Getpid())
	if errors.Is(err, sigtrace.ErrUnsupported) && os.Getenv("VIGIL_REQUIRE_KERNEL") != "1" {
		t.Skipf("no eBPF here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	defer signal.Stop(ch)

	kill := exec.Command("/bin/kill", "-TERM", strconv.Itoa(os.Getpid()))
	if out, err := kill.CombinedOutput(); err != nil {
		t.Fatalf("kill: %v %s", err, out)
	}
	var sig os.Signal
	select {
	case sig = <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM not received")
	}
	src := stopsource.ForSignal(sig, tr, nil)
	if src.GetSeenBy() != stopsource.SeenByEBPF || src.GetVia() != stopsource.ViaSignal ||
		src.GetPid() != int32(kill.Process.Pid) || src.GetCommand() != "[kill]" ||
		src.GetUid() != int32(os.Getuid()) || src.GetUser() == "" || src.GetParentPid() != int32(os.Getpid()) {
		t.Errorf("source = %v, want kill pid %d run by pid %d", src, kill.Process.Pid, os.Getpid())
	}
	// The parent still runs: its full command line is given.
	if !strings.Contains(src.GetParentCommand(), "stopsource.test") {
		t.Errorf("parent command %q", src.GetParentCommand())
	}
	if src.GetNote() != "" {
		t.Errorf("note %q for a known sender", src.GetNote())
	}
}
