package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// needFanotifyGroup skips (or fails under VIGIL_REQUIRE_KERNEL=1) when
// fanotify in this source's mode cannot run here at all.
func needFanotifyGroup(t *testing.T) {
	t.Helper()
	if err := ProbeFanotify([]string{t.TempDir()}, MarksInode); err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatalf("fanotify required: %v", err)
		}
		t.Skipf("no fanotify here: %v", err)
	}
}

// needKernelFanotify is needFanotifyGroup for tests that also check what
// only a privileged group gets: without CAP_SYS_ADMIN the kernel gives no
// pid of other processes' events and refuses filesystem marks.
func needKernelFanotify(t *testing.T) {
	t.Helper()
	needFanotifyGroup(t)
	if !capSysAdmin(t) {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("fanotify with acting processes and filesystem marks required, and this test runs without CAP_SYS_ADMIN")
		}
		t.Skip("fanotify reports acting processes and marks filesystems only with CAP_SYS_ADMIN (run as root)")
	}
}

// capSysAdmin reports whether this process has CAP_SYS_ADMIN in its
// effective set.
func capSysAdmin(t *testing.T) bool {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return err == nil && caps&(1<<21) != 0 // CAP_SYS_ADMIN
		}
	}
	return false
}

// runningSource is a started fanotify source whose notices are read one
// at a time: the source blocks on each until the test takes it.
type runningSource struct {
	f      *Fanotify
	out    chan Notice
	cancel context.CancelFunc
	done   chan error
}

func startFanotify(t *testing.T, opt FanotifyOptions, watch ...string) *runningSource {
	t.Helper()
	f, err := NewFanotify(opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range watch {
		if err := f.Watch(d); err != nil {
			f.Close()
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningSource{f: f, out: make(chan Notice), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- f.Run(ctx, r.out) }()
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
	return r
}

// next returns the first notice matching want, failing after a generous
// deadline; the notices before it are returned too.
func (r *runningSource) next(t *testing.T, what string, want func(Notice) bool) (Notice, []Notice) {
	t.Helper()
	var seen []Notice
	deadline := time.After(20 * time.Second)
	for {
		select {
		case n := <-r.out:
			if want(n) {
				return n, seen
			}
			seen = append(seen, n)
		case <-deadline:
			for _, n := range seen {
				t.Logf("seen %s %q %q dir=%v", n.Op, n.Path, n.OldPath, n.Dir)
			}
			t.Fatalf("no notice: %s", what)
			return Notice{}, nil
		}
	}
}

func op(o Op, p string) func(Notice) bool {
	return func(n Notice) bool { return n.Op == o && n.Path == p }
}

// shell runs a shell command line and returns its pid.
func shell(t *testing.T, line string) int {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", line, err, out)
	}
	return cmd.Process.Pid
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func statDev(t *testing.T, p string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Dev
}

// TestFanotifyNewDirectoryMarked: a directory created in a watched tree
// is marked by the source before its creation is handed on, so that a
// file another process writes in it at once is reported with that
// process, with no scan behind.
func TestFanotifyNewDirectoryMarked(t *testing.T) {
	needKernelFanotify(t)
	tree := filepath.Join(t.TempDir(), "tree")
	mkdirs(t, tree)
	r := startFanotify(t, FanotifyOptions{Trees: []string{tree}}, tree)
	if st := r.f.Stats(); st.InodeMarks != 1 || st.FilesystemMarks != 0 {
		t.Fatalf("stats after Watch: %+v", st)
	}
	sub := filepath.Join(tree, "sub")
	mkdirs(t, sub)
	n, _ := r.next(t, "creation of sub", op(OpCreate, sub))
	if !n.Dir || n.Proc == nil || n.Proc.PID != int32(os.Getpid()) {
		t.Errorf("creation of sub: %+v", n)
	}
	if st := r.f.Stats(); st.InodeMarks != 2 {
		t.Errorf("%d inode marks after the creation of sub, want 2", st.InodeMarks)
	}
	file := filepath.Join(sub, "f")
	pid := shell(t, "echo x > "+file)
	n, _ = r.next(t, "close after writing sub/f", op(OpCloseWrite, file))
	if n.Proc == nil || n.Proc.PID != int32(pid) {
		t.Errorf("sub/f written by pid %d, notice %+v", pid, n.Proc)
	}

	// Deleting the directory releases its mark.
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	r.next(t, "deletion of sub", func(n Notice) bool { return n.Op == OpDelete && n.Path == sub && n.Dir })
	if st := r.f.Stats(); st.InodeMarks != 1 {
		t.Errorf("%d inode marks after the deletion of sub, want 1", st.InodeMarks)
	}
}

// TestFanotifyOutsideQuiet: with inode marks, changes on the same
// filesystem outside the watched tree do not reach the source at all;
// with a filesystem mark they are read and dropped.
func TestFanotifyOutsideQuiet(t *testing.T) {
	needKernelFanotify(t)
	for _, tt := range []struct {
		marks      string
		minRecords uint64
		maxRecords uint64
	}{
		// The sentinel's creation, write and close: at most one record
		// each.
		{MarksInode, 1, 3},
		// At least the creation of each outside file.
		{MarksFilesystem, 200, 1 << 62},
	} {
		t.Run(tt.marks, func(t *testing.T) {
			base := t.TempDir()
			watched, outside := filepath.Join(base, "watched"), filepath.Join(base, "outside")
			mkdirs(t, watched, outside)
			if statDev(t, watched) != statDev(t, outside) {
				t.Fatal("watched and outside directories on different filesystems")
			}
			keep := func(p string) bool { return within(p, watched) }
			r := startFanotify(t, FanotifyOptions{Keep: keep, Marks: tt.marks, Trees: []string{watched}}, watched)
			for i := range 200 {
				p := filepath.Join(outside, fmt.Sprintf("f%d", i))
				if err := os.WriteFile(p, []byte("data"), 0o644); err != nil {
					t.Fatal(err)
				}
				if i%2 == 0 {
					if err := os.Remove(p); err != nil {
						t.Fatal(err)
					}
				}
			}
			mkdirs(t, filepath.Join(outside, "d"))
			sentinel := filepath.Join(watched, "sentinel")
			if err := os.WriteFile(sentinel, []byte("s"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, before := r.next(t, "close after writing the sentinel", op(OpCloseWrite, sentinel))
			for _, n := range before {
				if !within(n.Path, watched) || n.OldPath != "" {
					t.Errorf("notice outside the watched tree: %+v", n)
				}
			}
			st := r.f.Stats()
			if st.Records < tt.minRecords || st.Records > tt.maxRecords {
				t.Errorf("%d records read (%d reads), want %d to %d", st.Records, st.Reads, tt.minRecords, tt.maxRecords)
			}
		})
	}
}

// TestFanotifyMarkBound: when inode marks do not fit, the filesystem is
// marked instead, once, the inode marks on it are released, and events
// keep coming with their process.
func TestFanotifyMarkBound(t *testing.T) {
	needKernelFanotify(t)
	base := t.TempDir()
	big, small := filepath.Join(base, "big"), filepath.Join(base, "small")
	dirs := []string{big, filepath.Join(big, "1"), filepath.Join(big, "2"), filepath.Join(big, "3")}
	mkdirs(t, append(dirs, small)...)
	var mu sync.Mutex
	var fallbacks []Fallback
	f, err := NewFanotify(FanotifyOptions{Trees: []string{big, small}, MaxInodeMarks: 2,
		OnFallback: func(fb Fallback) {
			mu.Lock()
			defer mu.Unlock()
			fallbacks = append(fallbacks, fb)
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, d := range append(dirs, small) {
		if err := f.Watch(d); err != nil {
			t.Fatalf("Watch(%s): %v", d, err)
		}
		st := f.Stats()
		switch {
		case i < 2 && (st.InodeMarks != i+1 || st.FilesystemMarks != 0):
			t.Errorf("after %d directories: %+v", i+1, st)
		case i >= 2 && (st.InodeMarks != 0 || st.FilesystemMarks != 1):
			t.Errorf("after %d directories (over the bound): %+v", i+1, st)
		}
	}
	mu.Lock()
	if len(fallbacks) != 1 || fallbacks[0].Tree != big || fallbacks[0].Dir != dirs[2] || !errors.Is(fallbacks[0].Cause, errMarkBound) {
		t.Errorf("fallbacks %+v", fallbacks)
	}
	mu.Unlock()
	marks, fb := f.MarksOn(statDev(t, big))
	if marks != MarksFilesystem || fb == nil || fb.Tree != big {
		t.Errorf("MarksOn = %s, %+v", marks, fb)
	}
	if got := f.Fallbacks(); len(got) != 1 || got[0].Tree != big {
		t.Errorf("Fallbacks = %+v", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Notice)
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, out) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	r := &runningSource{f: f, out: out}
	for _, p := range []string{filepath.Join(big, "3", "f"), filepath.Join(small, "g")} {
		pid := shell(t, "echo x > "+p)
		n, _ := r.next(t, "close after writing "+p, op(OpCloseWrite, p))
		if n.Proc == nil || n.Proc.PID != int32(pid) {
			t.Errorf("%s written by pid %d, notice %+v", p, pid, n.Proc)
		}
	}
}

// TestFanotifyInodeMarks: what inode marks report of moves, of the
// trees themselves and of a tree that is a file.
func TestFanotifyInodeMarks(t *testing.T) {
	needKernelFanotify(t)
	base := t.TempDir()
	above := filepath.Join(base, "above")
	tree := filepath.Join(above, "tree")
	elsewhere := filepath.Join(base, "elsewhere")
	fileTree := filepath.Join(above, "later.conf")
	mkdirs(t, tree, elsewhere)
	other := filepath.Join(above, "other")
	if err := os.WriteFile(other, []byte("o"), 0o644); err != nil {
		t.Fatal(err)
	}
	// No Keep: what is reported is what the marks ask for.
	r := startFanotify(t, FanotifyOptions{Trees: []string{tree, fileTree}}, above, tree)
	at := func(p ...string) string { return filepath.Join(append([]string{tree}, p...)...) }

	// A file moved in from an unwatched directory: only its new name.
	src := filepath.Join(elsewhere, "in")
	if err := os.WriteFile(src, []byte("in"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(src, at("in")); err != nil {
		t.Fatal(err)
	}
	n, _ := r.next(t, "moved in", op(OpRename, at("in")))
	if n.OldPath != "" {
		t.Errorf("moved in: old path %q", n.OldPath)
	}
	// Moved out: only its old name.
	if err := os.Rename(at("in"), filepath.Join(elsewhere, "out")); err != nil {
		t.Fatal(err)
	}
	r.next(t, "moved out", func(n Notice) bool { return n.Op == OpRename && n.OldPath == at("in") && n.Path == "" })

	// A directory moved in is marked at once; moved out, released.
	if err := os.Mkdir(filepath.Join(elsewhere, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(elsewhere, "d"), at("d")); err != nil {
		t.Fatal(err)
	}
	r.next(t, "directory moved in", func(n Notice) bool { return n.Op == OpRename && n.Path == at("d") && n.Dir })
	if st := r.f.Stats(); st.InodeMarks != 3 {
		t.Errorf("%d inode marks with d moved in, want 3", st.InodeMarks)
	}
	pid := shell(t, "echo x > "+at("d", "f"))
	if n, _ := r.next(t, "write in the moved directory", op(OpCloseWrite, at("d", "f"))); n.Proc == nil || n.Proc.PID != int32(pid) {
		t.Errorf("write in d: %+v", n.Proc)
	}
	if err := os.Rename(at("d"), filepath.Join(elsewhere, "d2")); err != nil {
		t.Fatal(err)
	}
	r.next(t, "directory moved out", func(n Notice) bool { return n.Op == OpRename && n.OldPath == at("d") && n.Dir })
	if st := r.f.Stats(); st.InodeMarks != 2 {
		t.Errorf("%d inode marks with d moved out, want 2", st.InodeMarks)
	}

	// The tree's own attributes, from its own mark.
	if err := os.Chmod(tree, 0o700); err != nil {
		t.Fatal(err)
	}
	r.next(t, "chmod of the tree", func(n Notice) bool { return n.Op == OpAttrib && n.Path == tree && n.Dir })

	// Writes to the other files of the directory above are not reported.
	if err := os.WriteFile(other, []byte("written"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(at("last"), []byte("l"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, seen := r.next(t, "close after writing last", op(OpCloseWrite, at("last")))
	for _, n := range seen {
		if n.Path == other {
			t.Errorf("notice on a file above the trees: %+v", n)
		}
	}

	// A tree that is a file, created after the start: its parent is
	// marked for its changes when it appears (and from then on reports
	// its other files' changes too).
	if err := os.WriteFile(fileTree, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.next(t, "creation of the file tree", op(OpCreate, fileTree))
	if err := os.WriteFile(fileTree, []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.next(t, "write of the file tree", op(OpModify, fileTree))
}
