package fim_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/fim"
	"github.com/vigilsec/vigil/internal/event"
)

// runShell runs a shell command line to its end and returns its pid.
func runShell(t *testing.T, line string) int {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", line, err, out)
	}
	return cmd.Process.Pid
}

// byPID matches the event of action on path whose actor is pid.
func byPID(action, path string, pid int) func(event.Event) bool {
	return func(e event.Event) bool {
		return is(action, path)(e) && e.String("process.pid") == fmt.Sprint(pid)
	}
}

// TestNewDirectoryMarked: a directory created after the start is marked,
// so that a file another process writes in it is reported with that
// process; so is one written at once by the process that made the
// directory.
func TestNewDirectoryMarked(t *testing.T) {
	needFanotify(t)
	root, data := host(t), t.TempDir()
	r := start(t, root, data, fim.MechanismFanotify)
	defer r.stop(t)
	at := func(p string) string { return filepath.Join(root, p) }

	if err := os.Mkdir(at("etc/fresh"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.c.waitFor(t, "created /etc/fresh", is(fim.ActionCreated, "/etc/fresh"))
	marks := r.s.FanotifyStats().InodeMarks
	pid := runShell(t, "echo x > "+at("etc/fresh/f.conf"))
	e := r.c.waitFor(t, "created /etc/fresh/f.conf", is(fim.ActionCreated, "/etc/fresh/f.conf"))
	if e.String("process.pid") != fmt.Sprint(pid) || e.String("vigil.fim.marks") != fim.FanotifyMarksInode {
		t.Errorf("created /etc/fresh/f.conf by pid %d: %v", pid, e)
	}

	// One process makes a directory and writes a file in it at once: the
	// file is reported with that process whether the mark was in place
	// before the write or the scan of the new directory found the file.
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperMkdirWrite$")
	helper.Env = append(os.Environ(), "VIGIL_FIM_TEST_MKDIR_WRITE="+at("etc/now/g.conf"))
	if out, err := helper.CombinedOutput(); err != nil {
		t.Fatalf("helper: %v: %s", err, out)
	}
	r.c.waitFor(t, "created /etc/now/g.conf by the helper", byPID(fim.ActionCreated, "/etc/now/g.conf", helper.Process.Pid))
	if got := r.s.FanotifyStats().InodeMarks; got != marks+1 {
		t.Errorf("%d inode marks after /etc/now, want %d", got, marks+1)
	}
}

// TestHelperMkdirWrite is a helper process of TestNewDirectoryMarked: it
// makes the directory of the file named by VIGIL_FIM_TEST_MKDIR_WRITE and
// writes the file.
func TestHelperMkdirWrite(t *testing.T) {
	p := os.Getenv("VIGIL_FIM_TEST_MKDIR_WRITE")
	if p == "" {
		t.Skip("helper process only")
	}
	if err := os.Mkdir(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOutsideWritesQuiet: heavy writing on the same filesystem outside
// the watched trees produces no event and, with inode marks, no event
// read from fanotify at all; with filesystem marks each is read and
// dropped.
func TestOutsideWritesQuiet(t *testing.T) {
	needFanotify(t)
	const files = 300
	for _, tt := range []struct {
		marks              string
		minRecords, maxRec uint64
	}{
		// The sentinel's creation, write and close.
		{fim.FanotifyMarksInode, 1, 3},
		// At least the creation of each outside file.
		{fim.FanotifyMarksFilesystem, files, 1 << 62},
	} {
		t.Run(tt.marks, func(t *testing.T) {
			root, data := host(t), t.TempDir()
			build := filepath.Join(root, "srv/build")
			if err := os.MkdirAll(build, 0o755); err != nil {
				t.Fatal(err)
			}
			r := startWith(t, root, data, fim.MechanismFanotify, map[string]any{"fanotify_marks": tt.marks}, nil)
			defer r.stop(t)
			before := r.s.FanotifyStats().Records

			for i := range files {
				p := filepath.Join(build, fmt.Sprintf("obj%d.o", i))
				write(t, p, strings.Repeat("o", 100))
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
			}
			f, err := os.Create(filepath.Join(build, "big.log"))
			if err != nil {
				t.Fatal(err)
			}
			chunk := bytes.Repeat([]byte{'b'}, 4096)
			for range 256 {
				if _, err := f.Write(chunk); err != nil {
					t.Fatal(err)
				}
			}
			f.Close()
			if err := os.MkdirAll(filepath.Join(build, "a/b/c"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(root, "etc/sentinel.conf"), "s\n")
			r.c.waitFor(t, "sentinel", is(fim.ActionCreated, "/etc/sentinel.conf"))

			for _, e := range r.c.all() {
				if p := e.String(event.FieldFilePath); strings.HasPrefix(p, "/srv") {
					t.Errorf("event outside the watched trees: %v", e)
				}
			}
			if got := r.s.FanotifyStats().Records - before; got < tt.minRecords || got > tt.maxRec {
				t.Errorf("%d fanotify records read during the writes, want %d to %d", got, tt.minRecords, tt.maxRec)
			}
		})
	}
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestMarkLimitFallback: when the inode marks of a tree do not fit (here
// a bound set by the test, standing for fs.fanotify.max_user_marks), its
// filesystem is marked as a whole instead: the log, the mechanism, the
// baseline and every event on that filesystem say so, and events keep
// their process.
func TestMarkLimitFallback(t *testing.T) {
	needFanotify(t)
	root, data := host(t), t.TempDir()
	at := func(p string) string { return filepath.Join(root, p) }
	for i := range 12 {
		if err := os.MkdirAll(at(fmt.Sprintf("etc/d%d", i)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(at("srv/www"), 0o755); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	r := startWith(t, root, data, fim.MechanismFanotify, map[string]any{"paths": []string{"/etc", "/srv/www"}},
		func(s *fim.Sensor, env *plugin.Env) {
			// Six marks: "/" and "/srv" above the trees, /etc and three
			// of the 13 directories in it.
			fim.SetMaxInodeMarks(s, 6)
			env.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		})
	defer r.stop(t)

	const why = "the inode marks of /etc do not fit (bound of inode marks reached (6))"
	if got, want := r.s.Mechanism(), "fanotify (filesystem marks for /etc: inode marks do not fit)"; got != want {
		t.Errorf("Mechanism() = %q, want %q", got, want)
	}
	if got := r.s.MechanismReason(); !strings.Contains(got, why) {
		t.Errorf("MechanismReason() = %q, want it to say %q", got, why)
	}
	if !strings.Contains(logs.String(), "fanotify inode marks do not fit") || !strings.Contains(logs.String(), "tree=/etc") {
		t.Errorf("no fallback in the log:\n%s", logs.String())
	}
	if st := r.s.FanotifyStats(); st.InodeMarks != 0 || st.FilesystemMarks != 1 {
		t.Errorf("fanotify stats %+v, want no inode mark and one filesystem mark", st)
	}
	b := r.c.waitFor(t, "baseline", func(e event.Event) bool { return e.String(event.FieldAction) == fim.ActionBaselineCompleted })
	if b.String("vigil.fim.marks") != "inode+filesystem" || !strings.Contains(b.String("vigil.fim.mechanism_reason"), why) ||
		b.String("vigil.fim.fanotify.filesystem_marks") != "1" {
		t.Errorf("baseline event: %v", b)
	}

	// Both trees share the filesystem, so both are watched through its
	// mark, with the acting process; so is a directory made later.
	runShell(t, "mkdir "+at("etc/late"))
	r.c.waitFor(t, "created /etc/late", is(fim.ActionCreated, "/etc/late"))
	for _, p := range []string{"/etc/d7/new.conf", "/srv/www/index.html", "/etc/late/x.conf"} {
		pid := runShell(t, "echo x > "+at(p))
		e := r.c.waitFor(t, "created "+p, byPID(fim.ActionCreated, p, pid))
		if e.String("vigil.fim.marks") != fim.FanotifyMarksFilesystem || !strings.Contains(e.String("vigil.fim.mechanism_reason"), why) {
			t.Errorf("created %s: %v", p, e)
		}
	}
	if st := r.s.FanotifyStats(); st.InodeMarks != 0 {
		t.Errorf("%d inode marks after the fallback", st.InodeMarks)
	}
}
