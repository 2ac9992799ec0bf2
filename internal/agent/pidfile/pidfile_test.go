//go:build unix

package pidfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/pidfile"
)

func TestAcquireRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.pid")
	if _, running, err := pidfile.Running(path); err != nil || running {
		t.Fatalf("no file: running %v, %v", running, err)
	}
	p, err := pidfile.Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.TrimSpace(string(data)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("pid file holds %q", data)
	}
	pid, running, err := pidfile.Running(path)
	if err != nil || !running || pid != os.Getpid() {
		t.Errorf("Running = %d, %v, %v; want our pid, true", pid, running, err)
	}
	if _, err := pidfile.Acquire(path); !errors.Is(err, pidfile.ErrRunning) {
		t.Errorf("second Acquire: %v, want ErrRunning", err)
	}
	if err := p.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file left after Release: %v", err)
	}
}

func TestStaleFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.pid")
	// A crashed agent leaves its file, unlocked.
	if err := os.WriteFile(path, []byte("999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if pid, running, err := pidfile.Running(path); err != nil || running || pid != 999999 {
		t.Errorf("stale file: Running = %d, %v, %v", pid, running, err)
	}
	p, err := pidfile.Acquire(path)
	if err != nil {
		t.Fatalf("Acquire over a stale file: %v", err)
	}
	defer p.Release()
	data, _ := os.ReadFile(path)
	if strings.TrimSpace(string(data)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("pid file holds %q", data)
	}
}
