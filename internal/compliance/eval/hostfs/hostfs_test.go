package hostfs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRootConfinement(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "etc/sub"), 0o755))
	must(os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("inside"), 0o644))
	must(os.WriteFile(filepath.Join(root, "secret"), []byte("root secret"), 0o644))
	must(os.Symlink("/etc/passwd", filepath.Join(root, "etc/abs")))
	must(os.Symlink("../../../../../../secret", filepath.Join(root, "etc/sub/up")))
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "etc/escape")))
	must(os.Symlink("loop", filepath.Join(root, "etc/loop")))
	must(os.Symlink("/etc", filepath.Join(root, "etc-link")))

	f := New(root)
	cases := map[string]string{"/etc/abs": "inside", "/etc/sub/up": "root secret", "/etc-link/passwd": "inside", "/../../etc/passwd": "inside"}
	for p, want := range cases {
		data, err := f.ReadFile(p)
		if err != nil || string(data) != want {
			t.Errorf("%s: %q %v, want %q", p, data, err, want)
		}
	}
	// An absolute link names a path below the root, not this machine's.
	if _, err := f.ReadFile("/etc/escape"); err == nil {
		t.Error("a link out of the root was followed")
	}
	if _, err := f.ReadFile("/etc/loop"); err == nil {
		t.Error("a link loop must fail")
	}
	if got, _ := f.Glob("/etc/*"); len(got) != 5 {
		t.Errorf("glob: %v", got)
	}
	if got, _ := f.Glob("/etc-link/pass*"); len(got) != 1 {
		t.Errorf("glob through a link: %v", got)
	}
	reads := f.Reads()
	_, _ = f.ReadFile("/secret")
	_, _ = f.ReadFile("/secret")
	if f.Reads() != reads+1 {
		t.Errorf("a file was read twice: %d reads", f.Reads()-reads)
	}
	if _, err := f.Glob("/etc/["); err == nil {
		t.Error("a bad glob must be an error")
	}
	if _, err := NewAt(filepath.Join(root, "etc/passwd")); err == nil {
		t.Error("a file is no root")
	}
}
