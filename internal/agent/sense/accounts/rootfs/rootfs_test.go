package rootfs_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
)

// tree builds a root with links of every kind.
func tree(t *testing.T) (*rootfs.FS, string) {
	t.Helper()
	root := t.TempDir()
	mk := func(p, content string) {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, p string) {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	mk("usr/lib/systemd/system/x.service", "[Service]\n")
	mk("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
	ln("usr/lib", "lib")
	ln("/lib/systemd/system/x.service", "etc/systemd/system/multi-user.target.wants/x.service")
	ln("../../../../../../../../etc/passwd", "etc/escape")
	ln("/dev/null", "etc/systemd/system/masked.service")
	ln("b", "etc/a")
	ln("a", "etc/b")
	fsys, err := rootfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	return fsys, root
}

func TestResolve(t *testing.T) {
	fsys, _ := tree(t)
	tests := []struct {
		in, want string
		exists   bool
	}{
		{"/lib/systemd/system/x.service", "/usr/lib/systemd/system/x.service", true},
		{"/etc/systemd/system/multi-user.target.wants/x.service", "/usr/lib/systemd/system/x.service", true},
		{"/etc/escape", "/etc/passwd", true},
		{"etc/../etc/./passwd", "/etc/passwd", true},
		{"/etc/systemd/system/masked.service", "/dev/null", false},
		{"/lib/missing/deeper", "/usr/lib/missing/deeper", false},
		{"/etc/passwd/x", "/etc/passwd/x", false},
		{"/", "/", true},
	}
	for _, tt := range tests {
		got, exists, err := fsys.Resolve(tt.in)
		if err != nil || got != tt.want || exists != tt.exists {
			t.Errorf("Resolve(%q) = %q, %v, %v; want %q, %v", tt.in, got, exists, err, tt.want, tt.exists)
		}
	}
	if _, _, err := fsys.Resolve("/etc/a"); !errors.Is(err, rootfs.ErrLoop) {
		t.Errorf("link loop: %v", err)
	}
}

func TestReadFile(t *testing.T) {
	fsys, root := tree(t)
	data, info, err := fsys.ReadFile("/etc/escape", 1024)
	if err != nil || string(data) != "root:x:0:0::/root:/bin/sh\n" || info.Path != "/etc/passwd" || info.CTime.IsZero() {
		t.Fatalf("ReadFile = %q, %+v, %v", data, info, err)
	}
	if _, _, err := fsys.ReadFile("/etc/passwd", 4); !errors.Is(err, rootfs.ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	if _, _, err := fsys.ReadFile("/etc/nothing", 4); !rootfs.IsNotExist(err) {
		t.Errorf("missing: %v", err)
	}
	if _, _, err := fsys.ReadFile("/etc/passwd/x", 4); !rootfs.IsNotExist(err) {
		t.Errorf("below a file: %v", err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "etc/fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fsys.ReadFile("/etc/fifo", 4); !errors.Is(err, rootfs.ErrNotFile) {
		t.Errorf("fifo: %v", err)
	}
	if _, _, err := fsys.ReadFile("/usr", 4); !errors.Is(err, rootfs.ErrNotFile) {
		t.Errorf("directory: %v", err)
	}
	ents, dir, err := fsys.ReadDir("/lib/systemd/system")
	if err != nil || dir != "/usr/lib/systemd/system" || len(ents) != 1 {
		t.Errorf("ReadDir = %v, %q, %v", ents, dir, err)
	}
	if l, err := fsys.Readlink("/lib/../etc/systemd/system/masked.service"); err != nil || l != "/dev/null" {
		t.Errorf("Readlink = %q, %v", l, err)
	}
	if in, err := fsys.Lstat("/etc/escape"); err != nil || in.Mode&os.ModeSymlink == 0 {
		t.Errorf("Lstat = %+v, %v", in, err)
	}
	if in, err := fsys.Stat("/etc/escape"); err != nil || !in.Mode.IsRegular() || in.Path != "/etc/passwd" {
		t.Errorf("Stat = %+v, %v", in, err)
	}
}

func TestHostAndLogical(t *testing.T) {
	fsys, root := tree(t)
	if got := fsys.Host("/etc/passwd"); got != filepath.Join(fsys.Root(), "etc/passwd") {
		t.Errorf("Host = %q", got)
	}
	for host, want := range map[string]string{fsys.Root(): "/", fsys.Root() + "/etc/x": "/etc/x"} {
		if got, ok := fsys.Logical(host); !ok || got != want {
			t.Errorf("Logical(%q) = %q, %v", host, got, ok)
		}
	}
	if _, ok := fsys.Logical(fsys.Root() + "x/etc"); ok {
		t.Error("a sibling of the root is inside it")
	}
	hostFS, err := rootfs.New("")
	if err != nil || hostFS.Host("/etc") != "/etc" {
		t.Errorf("host view: %v", err)
	}
	_ = root
}

func TestCached(t *testing.T) {
	fsys, root := tree(t)
	c := fsys.Cached()
	if r, ok, err := c.Resolve("/lib/systemd/system/x.service"); err != nil || !ok || r != "/usr/lib/systemd/system/x.service" {
		t.Fatalf("Resolve = %q %v %v", r, ok, err)
	}
	// The cached view keeps what it learnt; the plain view sees the change.
	if err := os.Remove(filepath.Join(root, "lib")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("etc", filepath.Join(root, "lib")); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := c.Resolve("/lib/systemd/system/x.service"); r != "/usr/lib/systemd/system/x.service" {
		t.Errorf("cached view: %q", r)
	}
	if r, _, _ := fsys.Resolve("/lib/systemd/system/x.service"); r != "/etc/systemd/system/x.service" {
		t.Errorf("plain view: %q", r)
	}
	if _, _, err := c.Resolve("/etc/a"); !errors.Is(err, rootfs.ErrLoop) {
		t.Errorf("loop through the cache: %v", err)
	}
}
