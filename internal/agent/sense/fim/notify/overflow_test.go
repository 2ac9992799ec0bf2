package notify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// queueLimit returns the kernel's bound of queued events read from
// sysctl (16384, the kernel's default, where the file does not exist),
// skipping when it is too large to fill in a test.
func queueLimit(t *testing.T, sysctl string) int {
	t.Helper()
	n := 16384
	if b, err := os.ReadFile(sysctl); err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			n = v
		}
	}
	if n > 1<<17 {
		t.Skipf("%s is %d: too many events to queue in a test", sysctl, n)
	}
	return n
}

// flood creates n empty files in dir: at least one event each.
func flood(t *testing.T, dir string, n int) {
	t.Helper()
	for i := range n {
		fd, err := unix.Open(filepath.Join(dir, fmt.Sprintf("f%06d", i)), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		_ = unix.Close(fd)
	}
}

// checkOverflow is the common part of the overflow tests: the reader of r
// is blocked (the test does not take its notices) while more events than
// the kernel queues happen; then the notices come: the ones queued, an
// overflow, and none about a file created once the queue was full; and
// the source goes on after it.
func checkOverflow(t *testing.T, r *runningSource, dir string, limit int, mech string) {
	t.Helper()
	flood(t, dir, limit+4096)
	lost := filepath.Join(dir, "lost")
	if err := os.WriteFile(lost, []byte("l"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, before := r.next(t, "overflow", func(n Notice) bool { return n.Op == OpOverflow })
	if n.Malformed || n.Mechanism != mech {
		t.Errorf("overflow notice %+v", n)
	}
	// The queue held limit events, the last of them the overflow.
	if len(before) < limit-1 {
		t.Errorf("%d notices before the overflow, want at least %d", len(before), limit-1)
	}
	for _, b := range before {
		if b.Path == lost {
			t.Errorf("notice about a file created with the queue full: %+v", b)
		}
	}
	later := filepath.Join(dir, "later")
	if err := os.WriteFile(later, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.next(t, "creation after the overflow", op(OpCreate, later))
}

// TestInotifyOverflow: when the kernel's queue overflows (IN_Q_OVERFLOW)
// the source says so with an OpOverflow notice, and goes on.
func TestInotifyOverflow(t *testing.T) {
	limit := queueLimit(t, "/proc/sys/fs/inotify/max_queued_events")
	dir := t.TempDir()
	w, err := NewInotify(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Watch(dir); err != nil {
		w.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// Unbuffered: the reader blocks on its first notice until the test
	// takes it, and the kernel queues the rest.
	r := &runningSource{out: make(chan Notice), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- w.Run(ctx, r.out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	checkOverflow(t, r, dir, limit, MechInotify)
}

// TestFanotifyOverflow: when the kernel's queue overflows
// (FAN_Q_OVERFLOW, the group having no FAN_UNLIMITED_QUEUE) the source
// says so with an OpOverflow notice, and goes on.
func TestFanotifyOverflow(t *testing.T) {
	needFanotifyGroup(t)
	limit := queueLimit(t, "/proc/sys/fs/fanotify/max_queued_events")
	dir := t.TempDir()
	r := startFanotify(t, FanotifyOptions{Trees: []string{dir}}, dir)
	checkOverflow(t, r, dir, limit, MechFanotify)
	if st := r.f.Stats(); st.InodeMarks != 1 {
		t.Errorf("%d inode marks after the overflow, want 1", st.InodeMarks)
	}
}
