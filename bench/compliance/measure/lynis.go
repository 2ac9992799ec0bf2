package measure

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/bench/compliance/lynis"
)

// LynisRun is one timed Lynis audit and what it left.
type LynisRun struct {
	// Usage covers Lynis and every process it ran (wait4 counts the
	// waited-for descendants); MaxRSS is the largest of them.
	Usage      Usage        `json:"usage"`
	ReportPath string       `json:"report_path"`
	LogPath    string       `json:"log_path"`
	Audit      *lynis.Audit `json:"-"`
}

// lynisEnv is the clean environment Lynis runs with, so that the
// tools it finds do not depend on who runs the benchmark.
var lynisEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"LANG=C", "LC_ALL=C", "TERM=dumb", "HOME=/root",
}

// RunLynis runs `lynis audit system --quick --no-colors` as the Debian
// package installs it, with its log and report written into dir (not
// over /var/log's), and reads them.
func RunLynis(ctx context.Context, program, dir string) (LynisRun, error) {
	run := LynisRun{ReportPath: filepath.Join(dir, "lynis-report.dat"), LogPath: filepath.Join(dir, "lynis.log")}
	cmd := exec.CommandContext(ctx, program, "audit", "system", "--quick", "--no-colors",
		"--logfile", run.LogPath, "--report-file", run.ReportPath)
	cmd.Env = lynisEnv
	cmd.Dir = "/"
	stdout, u, err := Run(cmd, nil)
	run.Usage = u
	if err != nil {
		return run, fmt.Errorf("lynis: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lynis-stdout.txt"), stdout, 0o600); err != nil {
		return run, fmt.Errorf("lynis: keep its output: %w", err)
	}
	if run.Audit, err = lynis.ReadAudit(run.ReportPath, run.LogPath); err != nil {
		return run, err
	}
	return run, nil
}

// SSHD is an sshd started for the length of a Lynis audit, listening on
// a loopback port only.
type SSHD struct {
	Addr string
	cmd  *exec.Cmd
	done chan error
	// madeRunDir: StartSSHD created /run/sshd, which Stop removes.
	madeRunDir bool
}

// StartSSHD starts `sshd -D` from the host's own configuration with
// its listening address overridden to a free 127.0.0.1 port and no pid
// file, and waits until it accepts connections.
func StartSSHD(ctx context.Context, program string) (*SSHD, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sshd: find a free loopback port: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &SSHD{Addr: addr, done: make(chan error, 1)}
	// sshd refuses to start without its privilege separation folder,
	// which systemd creates for the ssh unit.
	if _, err := os.Stat(sshdRunDir); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(sshdRunDir, 0o755); err != nil {
			return nil, fmt.Errorf("sshd: %w", err)
		}
		s.madeRunDir = true
	}
	s.cmd = exec.CommandContext(ctx, program, "-D", "-e", "-o", "ListenAddress="+addr, "-o", "PidFile=none")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		s.removeRunDir()
		return nil, fmt.Errorf("sshd: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case err := <-s.done:
			s.removeRunDir()
			return nil, fmt.Errorf("sshd on %s exited: %v", addr, err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.Stop()
			return nil, fmt.Errorf("sshd on %s: not listening after 10s", addr)
		}
	}
}

// Stop ends the sshd (its process group: the listener and any session
// it forked) and waits for it.
func (s *SSHD) Stop() error {
	if err := syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop sshd %s: %w", strconv.Itoa(s.cmd.Process.Pid), err)
	}
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	s.removeRunDir()
	return nil
}

// sshdRunDir is sshd's privilege separation folder.
const sshdRunDir = "/run/sshd"

func (s *SSHD) removeRunDir() {
	if s.madeRunDir {
		_ = os.Remove(sshdRunDir)
		s.madeRunDir = false
	}
}
