package fim_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/sense/fim"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/filecap/filecaptest"
	"github.com/vigilsec/vigil/internal/event"
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

// waitLong polls for an event matching want for up to a minute: a rescan
// behind a full queue takes a while on a loaded machine.
func (c *collector) waitLong(t *testing.T, what string, want func(event.Event) bool) event.Event {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, e := range c.all() {
			if want(e) {
				return e
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no event: %s", what)
	return nil
}

// TestOverflowRescan: when the kernel's queue overflows (the sensor held
// still while more events than the kernel queues happen), the overflow is
// counted, the watched trees are rescanned, and what changed while the
// events were dropped is reported by the rescan.
func TestOverflowRescan(t *testing.T) {
	for _, tt := range []struct{ mech, sysctl string }{
		{fim.MechanismInotify, "/proc/sys/fs/inotify/max_queued_events"},
		{fim.MechanismFanotify, "/proc/sys/fs/fanotify/max_queued_events"},
	} {
		t.Run(tt.mech, func(t *testing.T) {
			if tt.mech == fim.MechanismFanotify {
				needFanotifyGroup(t)
			}
			limit := queueLimit(t, tt.sysctl)
			root, data := host(t), t.TempDir()
			at := func(p string) string { return filepath.Join(root, p) }
			if err := os.MkdirAll(at("etc/flood"), 0o755); err != nil {
				t.Fatal(err)
			}
			r := start(t, root, data, tt.mech)
			defer r.stop(t)
			if got := r.s.Counters(); got["overflows"] != 0 || got["rescans"] != 0 {
				t.Fatalf("counters before the overflow: %v", got)
			}

			release := fim.HoldNotices(r.s)
			released := false
			defer func() {
				if !released {
					release()
				}
			}()
			// At least one event per file: more than the kernel's queue,
			// the sensor's channel and one read buffer of the source hold.
			for i := range limit + 8192 {
				fd, err := unix.Open(at(fmt.Sprintf("etc/flood/f%06d", i)), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				_ = unix.Close(fd)
			}
			// With the queue full, these events are dropped.
			write(t, at("etc/during-overflow.conf"), "made while events were dropped\n")
			if err := os.Remove(at("etc/ssh/sshd_config")); err != nil {
				t.Fatal(err)
			}
			filecaptest.Write(t, at("usr/bin/tool"), capNetRaw) // the index knows it had none
			release()
			released = true

			e := r.c.waitLong(t, "the file made during the overflow", is(fim.ActionCreated, "/etc/during-overflow.conf"))
			if e.String("vigil.fim.rescan") != "true" || e.String("file.hash.sha256") != sum([]byte("made while events were dropped\n")) {
				t.Errorf("file made during the overflow not reported by the rescan: %v", e)
			}
			e = r.c.waitLong(t, "the file deleted during the overflow", is(fim.ActionDeleted, "/etc/ssh/sshd_config"))
			if e.String("vigil.fim.rescan") != "true" {
				t.Errorf("file deleted during the overflow not reported by the rescan: %v", e)
			}
			e = r.c.waitLong(t, "the capabilities set during the overflow", capsEvent("/usr/bin/tool", "", "cap_net_raw=ep"))
			if e.String("vigil.fim.rescan") != "true" {
				t.Errorf("capabilities set during the overflow not reported by the rescan: %v", e)
			}
			got := r.s.Counters()
			if got["overflows"] < 1 || got["rescans"] < 1 || got["overflows"] > got["rescans"] {
				t.Errorf("counters after the overflow: %v", got)
			}
			r.c.mu.Lock()
			lost := r.c.lost
			r.c.mu.Unlock()
			if lost < 1 {
				t.Error("the overflow was not told to the runtime as lost events")
			}
			// After the rescan, events are read again.
			r.c.waitLong(t, "the last flood file", is(fim.ActionCreated, fmt.Sprintf("/etc/flood/f%06d", limit+8191)))
			write(t, at("etc/after.conf"), "after\n")
			if e := r.c.waitLong(t, "a file made after the overflow", is(fim.ActionCreated, "/etc/after.conf")); e.String("vigil.fim.rescan") == "true" {
				t.Errorf("file made after the overflow found by a rescan: %v", e)
			}
			// Every flood file is reported once: by its own event or, when
			// that was dropped or not yet handled, by the rescan.
			created := map[string]int{}
			rescanned := 0
			for _, e := range r.c.all() {
				if p := e.String(event.FieldFilePath); strings.HasPrefix(p, "/etc/flood/") && e.String(event.FieldAction) == fim.ActionCreated {
					created[p]++
					if e.String("vigil.fim.rescan") == "true" {
						rescanned++
					}
				}
			}
			if len(created) != limit+8192 {
				t.Errorf("%d flood files reported, want %d", len(created), limit+8192)
			}
			for p, n := range created {
				if n != 1 {
					t.Errorf("%s reported %d times", p, n)
				}
			}
			if rescanned == 0 {
				t.Error("no flood file was reported by the rescan")
			}
		})
	}
}
