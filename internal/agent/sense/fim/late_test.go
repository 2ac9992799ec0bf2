package fim

import (
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/proctable"
)

// TestLateProcesses: the process of a change read after it left /proc is
// named from the table: live there, ended lately, or reported by the
// process sensor while the change waits; a second change of a process
// the table never learned of does not wait again.
func TestLateProcesses(t *testing.T) {
	tbl := proctable.New(proctable.Config{Root: t.TempDir(), HostID: "h"})
	var l lateProcesses
	proc := func(pid int, id string) *proctable.Process {
		return &proctable.Process{PID: pid, EntityID: id, AUID: proctable.NoID, SessionID: proctable.NoID}
	}

	tbl.Put(proc(100, "live-100"))
	if got := l.entity(tbl, 100); got != "live-100" {
		t.Errorf("live process: %q", got)
	}

	tbl.Put(proc(200, "gone-200"))
	if _, ok := tbl.Exit(200, "gone-200", time.Now(), 0); !ok {
		t.Fatal("exit of 200 not recorded")
	}
	if got := l.entity(tbl, 200); got != "gone-200" {
		t.Errorf("ended process: %q", got)
	}

	// The process sensor reports 300 while its change waits.
	go func() {
		time.Sleep(50 * time.Millisecond)
		tbl.Put(proc(300, "late-300"))
	}()
	start := time.Now()
	if got := l.entity(tbl, 300); got != "late-300" {
		t.Errorf("process reported while the change waited: %q", got)
	}
	if took := time.Since(start); took > lateWait+time.Second {
		t.Errorf("the wait took %v", took)
	}

	// 400 never comes: the first change waits, the next does not.
	var waits int
	l.sleep = func(d time.Duration) { waits++; time.Sleep(d) }
	if got := l.entity(tbl, 400); got != "" {
		t.Errorf("unknown process named %q", got)
	}
	first := waits
	if first == 0 {
		t.Error("the first change of an unknown process did not wait")
	}
	if got := l.entity(tbl, 400); got != "" || waits != first {
		t.Errorf("second change of 400: %q after %d more waits", got, waits-first)
	}
}

// TestLateProcessAwait: a change whose process /proc named (its entity
// id) waits for the process sensor to report it, once per process id.
func TestLateProcessAwait(t *testing.T) {
	tbl := proctable.New(proctable.Config{Root: t.TempDir(), HostID: "h"})
	var l lateProcesses
	go func() {
		time.Sleep(50 * time.Millisecond)
		tbl.Put(&proctable.Process{PID: 500, EntityID: "e-500", AUID: proctable.NoID, SessionID: proctable.NoID})
	}()
	if !l.await(tbl, 500, "e-500") {
		t.Error("the process reported while the change waited was not found")
	}
	if l.await(tbl, 600, "e-600") {
		t.Error("a process never reported was found")
	}
	waits := 0
	l.sleep = func(time.Duration) { waits++ }
	if l.await(tbl, 600, "e-600") || waits != 0 {
		t.Errorf("a second change of 600 waited %d times", waits)
	}
}
