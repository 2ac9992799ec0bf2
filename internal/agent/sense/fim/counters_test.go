package fim_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/fim"
	"github.com/vigilsec/vigil/internal/event"
)

// TestCounters: the sensor's counters (plugin.Counted) say what it holds
// while it runs (index entries, watches or marks, kept contents) and keep
// their totals after it stops.
func TestCounters(t *testing.T) {
	var _ plugin.Counted = fim.New()
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for _, tt := range []struct {
		mech    string
		running []string // counters that must be above zero while running
	}{
		{fim.MechanismInotify, []string{"index_entries", "index_bytes", "inotify_watches", "content_bytes"}},
		{fim.MechanismFanotify, []string{"index_entries", "index_bytes", "inode_marks", "content_bytes", "fanotify_reads", "fanotify_records"}},
	} {
		t.Run(tt.mech, func(t *testing.T) {
			if tt.mech == fim.MechanismFanotify {
				needFanotifyGroup(t)
			}
			root, data := host(t), t.TempDir()
			unreadable := filepath.Join(root, "etc/locked.conf")
			write(t, unreadable, "secret\n")
			if err := os.Chmod(unreadable, 0); err != nil {
				t.Fatal(err)
			}
			r := start(t, root, data, tt.mech)
			b := r.c.waitFor(t, "baseline", func(e event.Event) bool { return e.String(event.FieldAction) == fim.ActionBaselineCompleted })
			write(t, filepath.Join(root, "etc/new.conf"), "n\n")
			r.c.waitFor(t, "created", is(fim.ActionCreated, "/etc/new.conf"))

			// The event goes out just before the index takes the file.
			entries, _ := strconv.ParseUint(b.String("vigil.fim.scan.entries"), 10, 64)
			got := r.s.Counters()
			for deadline := time.Now().Add(10 * time.Second); got["index_entries"] != entries+1 && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
				got = r.s.Counters()
			}
			for name := range got {
				if !snake.MatchString(name) {
					t.Errorf("counter name %q is not snake_case", name)
				}
			}
			for _, name := range tt.running {
				if got[name] == 0 {
					t.Errorf("%s is 0 while running: %v", name, got)
				}
			}
			if got["index_entries"] != entries+1 {
				t.Errorf("index_entries %d, want the baseline's %d and the new file", got["index_entries"], entries)
			}
			if got["overflows"] != 0 || got["rescans"] != 0 {
				t.Errorf("overflows or rescans without an overflow: %v", got)
			}
			// root reads any file; anyone else cannot read the locked one.
			if os.Geteuid() != 0 && (got["unreadable_files"] != 1 || got["scan_errors"] != 1) {
				t.Errorf("unreadable_files %d and scan_errors %d, want 1 each", got["unreadable_files"], got["scan_errors"])
			}
			r.stop(t)

			after := r.s.Counters()
			for _, name := range []string{"index_entries", "index_bytes", "inotify_watches", "inode_marks", "filesystem_marks", "content_bytes"} {
				if after[name] != 0 {
					t.Errorf("%s is %d after the stop", name, after[name])
				}
			}
			for _, name := range []string{"fanotify_reads", "fanotify_records", "unreadable_files", "scan_errors"} {
				if after[name] < got[name] {
					t.Errorf("total %s went from %d to %d at the stop", name, got[name], after[name])
				}
			}

			// The totals carry over to the sensor's next run.
			ctx, cancel := context.WithCancel(context.Background())
			c := &collector{}
			done := make(chan error, 1)
			go func() { done <- r.s.Run(ctx, c) }()
			c.waitFor(t, "baseline of the next run", func(e event.Event) bool { return e.String(event.FieldAction) == fim.ActionBaselineCompleted })
			next := r.s.Counters()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
			for _, name := range []string{"fanotify_reads", "fanotify_records", "unreadable_files", "scan_errors"} {
				if next[name] < after[name] {
					t.Errorf("total %s went from %d to %d at the next run", name, after[name], next[name])
				}
			}
			if next["index_entries"] != entries+1 {
				t.Errorf("index_entries %d at the next run, want %d", next["index_entries"], entries+1)
			}
		})
	}
}
