//go:build unix

package uninstall

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/agent/pidfile"
)

// unitDirs are where systemd unit files of packages and administrators
// live.
var unitDirs = []string{"/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}

// stopAgent stops the agent running on dir: its systemd unit first (which
// would start it again otherwise), then the process named in the pid file.
func stopAgent(ctx context.Context, dir string, opts Options) error {
	if unitExists(opts.Unit) {
		if path, err := exec.LookPath("systemctl"); err == nil {
			out, err := exec.CommandContext(ctx, path, "disable", "--now", opts.Unit).CombinedOutput()
			if err != nil && !opts.Force {
				return fmt.Errorf("uninstall: systemctl disable --now %s: %w: %s", opts.Unit, err, out)
			}
			opts.Logger.Info("systemd unit stopped and disabled", "unit", opts.Unit)
		}
	}
	pidPath := filepath.Join(dir, pidfile.Name)
	pid, running, err := pidfile.Running(pidPath)
	if err != nil {
		return fmt.Errorf("uninstall: %w", err)
	}
	if !running {
		return nil
	}
	if pid <= 0 {
		return fmt.Errorf("uninstall: %s is locked but names no process", pidPath)
	}
	opts.Logger.Info("stopping the running agent", "pid", pid)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("uninstall: stop agent (pid %d): %w", pid, err)
	}
	if waitStopped(ctx, pidPath, opts.StopTimeout) {
		return nil
	}
	if !opts.Force {
		return fmt.Errorf("uninstall: the agent (pid %d) did not stop within %s", pid, opts.StopTimeout)
	}
	opts.Logger.Warn("the agent did not stop; killing it (--force)", "pid", pid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	if !waitStopped(ctx, pidPath, 2*time.Second) {
		return fmt.Errorf("uninstall: the agent (pid %d) survived SIGKILL", pid)
	}
	return nil
}

// waitStopped waits until nothing holds the pid file.
func waitStopped(ctx context.Context, pidPath string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if _, running, err := pidfile.Running(pidPath); err == nil && !running {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// unitExists reports whether a unit file of that name is installed.
func unitExists(unit string) bool {
	for _, d := range unitDirs {
		if _, err := os.Stat(filepath.Join(d, unit)); err == nil {
			return true
		}
	}
	return false
}
