//go:build unix

package hostlock_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/testkit/hostlock"
)

// TestLockExcludesOtherProcesses: while a test holds the lock, another
// process cannot take it; once it is released, the other one gets it.
func TestLockExcludesOtherProcesses(t *testing.T) {
	if os.Getenv("VIGIL_HOSTLOCK_CHILD") == "1" {
		hostlock.Lock(t, "selftest")
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	t.Run("held", func(t *testing.T) {
		hostlock.Lock(t, "selftest")
		child := exec.Command(exe, "-test.run=^TestLockExcludesOtherProcesses$")
		child.Env = append(os.Environ(), "VIGIL_HOSTLOCK_CHILD=1")
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- child.Wait() }()
		select {
		case err := <-done:
			t.Fatalf("the other process got the lock while it was held: %v", err)
		case <-time.After(500 * time.Millisecond):
		}
	}) // the lock is released here
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the other process, once the lock was free: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the other process did not get the lock once it was free")
	}
}
