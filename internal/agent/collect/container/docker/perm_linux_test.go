package docker

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// TestPermissionDenied runs the collector as an unprivileged user against
// a socket only root may use, as a host where the agent lacks the docker
// group. Root passes any file permission, so the test runs a copy of the
// test binary as nobody.
func TestPermissionDenied(t *testing.T) {
	if root := os.Getenv("VIGIL_DOCKER_PERM_ROOT"); root != "" {
		// The child, as nobody.
		_, err := New().Assets(context.Background(), plugin.Env{Root: root})
		if !errors.Is(err, ErrPermission) {
			t.Fatalf("Assets as uid %d: %v, want ErrPermission", os.Getuid(), err)
		}
		return
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to run a child as another user")
	}
	root := serveEngine(t, &fakeEngine{dir: "testdata/engine-26.1"})
	sock := filepath.Join(root, "var/run/docker.sock")
	if err := os.Chmod(sock, 0o600); err != nil {
		t.Fatal(err)
	}
	// nobody must reach the socket's directory and run the binary: open
	// the test's own directories; the ones above must be open already.
	for _, d := range []string{filepath.Dir(root), root, filepath.Join(root, "var"), filepath.Join(root, "var/run")} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for d := filepath.Dir(filepath.Dir(root)); ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm()&0o001 == 0 {
			t.Skipf("%s is closed to other users", d)
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	bin := filepath.Join(root, "docker.test")
	copyFile(t, os.Args[0], bin)
	cmd := exec.Command(bin, "-test.run=^TestPermissionDenied$", "-test.count=1")
	cmd.Env = append(os.Environ(), "VIGIL_DOCKER_PERM_ROOT="+root)
	cmd.Dir = root
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
