//go:build unix

// Package hostlock serializes tests that change or depend on state the
// whole machine shares, across test binaries: go test runs packages in
// parallel processes, and a test that turns kernel audit on (exec/audit)
// makes PAM in another package's sshd behave differently. Each such test
// holds the lock named after the shared state for its whole run.
package hostlock

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Names of shared host state.
const (
	// Audit is the kernel audit subsystem: its enabled flag, daemon pid,
	// backlog and rules, and what PAM does when it logs through it.
	Audit = "audit"
)

// Lock takes the machine-wide lock name until t ends, waiting for other
// test processes that hold it.
func Lock(t testing.TB, name string) {
	t.Helper()
	path := filepath.Join(os.TempDir(), "vigil-test-"+name+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("hostlock %s: %v", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("hostlock %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	})
}
