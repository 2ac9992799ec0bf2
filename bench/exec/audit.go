//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// auditRuleKey tags the benchmark's audit rule and its records.
const auditRuleKey = "vigil-bench"

// auditBacklog is the kernel's audit backlog during the run, as
// distributions set it for auditd (Debian's audit.rules: -b 8192).
const auditBacklog = "8192"

// auditMonitor runs auditd with a rule that logs every execve, as a host
// audited for process executions does, and restores the previous audit
// state (enabled flag, backlog limit, rules) when it stops.
type auditMonitor struct {
	dir, logFile string
	cmd          *exec.Cmd
	done         chan struct{}
	kauditd      int
	prevEnabled  string
	prevBacklog  string
	ruleAdded    bool
	offset       int64
	lostAtMark   uint64
	markers      int
}

// auditStatus runs auditctl -s and returns its fields.
func auditStatus() (map[string]string, error) {
	out, err := exec.Command("auditctl", "-s").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("auditctl -s: %w: %s", err, out)
	}
	st := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			st[k] = strings.TrimSpace(v)
		}
	}
	return st, nil
}

func auditctl(args ...string) error {
	if out, err := exec.Command("auditctl", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("auditctl %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// auditdConf is the daemon's configuration: the Debian defaults, with
// the log in the benchmark's directory, no plugins and no action that
// could suspend the host's auditing.
const auditdConf = `local_events = yes
write_logs = yes
log_file = %s
log_format = ENRICHED
flush = INCREMENTAL_ASYNC
freq = 50
max_log_file = 1024
num_logs = 2
max_log_file_action = ROTATE
priority_boost = 4
name_format = NONE
space_left = 10
space_left_action = IGNORE
admin_space_left = 5
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
q_depth = 2000
overflow_action = IGNORE
plugin_dir = %s
end_of_event_timeout = 2
`

func (m *auditMonitor) start(ctx context.Context, _ string) error {
	if _, err := exec.LookPath("auditd"); err != nil {
		return errors.New("auditd is not installed (Debian package auditd)")
	}
	st, err := auditStatus()
	if err != nil {
		return err
	}
	if pid := st["pid"]; pid != "" && pid != "0" {
		return fmt.Errorf("another audit daemon (pid %s) holds the kernel's audit socket", pid)
	}
	m.prevEnabled, m.prevBacklog = st["enabled"], st["backlog_limit"]
	if m.dir, err = os.MkdirTemp("", "vigil-bench-audit-"); err != nil {
		return err
	}
	plugins := filepath.Join(m.dir, "plugins.d")
	if err := os.Mkdir(plugins, 0o750); err != nil {
		return err
	}
	m.logFile = filepath.Join(m.dir, "audit.log")
	if err := os.WriteFile(filepath.Join(m.dir, "auditd.conf"), fmt.Appendf(nil, auditdConf, m.logFile, plugins), 0o640); err != nil {
		return err
	}
	m.cmd = exec.Command("auditd", "-n", "-s", "enable", "-c", m.dir)
	logf, err := os.Create(filepath.Join(m.dir, "auditd.out"))
	if err != nil {
		return err
	}
	defer logf.Close()
	m.cmd.Stdout, m.cmd.Stderr = logf, logf
	if err := m.cmd.Start(); err != nil {
		return fmt.Errorf("start auditd: %w", err)
	}
	m.done = make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(m.done) }()
	want := strconv.Itoa(m.cmd.Process.Pid)
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := auditStatus()
		if err == nil && st["pid"] == want {
			break
		}
		select {
		case <-m.done:
			out, _ := os.ReadFile(filepath.Join(m.dir, "auditd.out"))
			return fmt.Errorf("auditd exited at start: %s", bytes.TrimSpace(out))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("auditd did not register with the kernel within 20s")
		}
	}
	m.kauditd = findKernelThread("kauditd")
	if err := auditctl("-b", auditBacklog); err != nil {
		return err
	}
	if err := auditctl("-e", "1"); err != nil {
		return err
	}
	if err := auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "execve", "-k", auditRuleKey); err != nil {
		return err
	}
	m.ruleAdded = true
	return nil
}

// mark notes where the log is: records after it are counted.
func (m *auditMonitor) mark(ctx context.Context) error {
	if err := m.waitMarker(ctx); err != nil {
		return err
	}
	fi, err := os.Stat(m.logFile)
	if err != nil {
		return err
	}
	m.offset = fi.Size()
	st, err := auditStatus()
	if err != nil {
		return err
	}
	m.lostAtMark, _ = strconv.ParseUint(st["lost"], 10, 64)
	return nil
}

// waitMarker runs a marker execution, again every few seconds (the
// kernel may have dropped it), until auditd logged it: everything
// executed before is then in the log.
func (m *auditMonitor) waitMarker(ctx context.Context) error {
	m.markers++
	marker := []byte(fmt.Sprintf("vigil-bench-marker-%d-%d", os.Getpid(), m.markers))
	f, err := os.Open(m.logFile)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(m.offset, 0); err != nil {
		return err
	}
	var tail []byte
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(120 * time.Second)
	var lastRun time.Time
	for time.Now().Before(deadline) {
		if time.Since(lastRun) > 3*time.Second {
			lastRun = time.Now()
			if err := execOnce("/bin/true", string(marker)); err != nil {
				return err
			}
		}
		for {
			n, err := f.Read(buf)
			if n > 0 {
				tail = append(tail[max(0, len(tail)-len(marker)):], buf[:n]...)
				if bytes.Contains(tail, marker) {
					return nil
				}
			}
			if err != nil || n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("auditd did not log the marker execution within 120s")
}

// collect counts the execve records of the benchmark's executions of
// target since mark.
func (m *auditMonitor) collect(ctx context.Context, benchPID int, target string) (uint64, uint64, error) {
	if err := m.waitMarker(ctx); err != nil {
		return 0, 0, err
	}
	f, err := os.Open(m.logFile)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	if _, err := f.Seek(m.offset, 0); err != nil {
		return 0, 0, err
	}
	ppid := fmt.Sprintf(" ppid=%d ", benchPID)
	exe := fmt.Sprintf(` exe="%s" `, target)
	key := fmt.Sprintf(`key="%s"`, auditRuleKey)
	var seen, markers uint64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "type=SYSCALL ") && strings.Contains(line, ppid) && strings.Contains(line, exe) && strings.Contains(line, key):
			seen++
		case strings.HasPrefix(line, "type=EXECVE ") && strings.Contains(line, "vigil-bench-marker-"):
			markers++
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if t, _ := resolveTarget("/bin/true"); t == target {
		seen -= min(seen, markers) // the closing markers ran /bin/true too
	}
	st, err := auditStatus()
	if err != nil {
		return seen, 0, err
	}
	lost, _ := strconv.ParseUint(st["lost"], 10, 64)
	return seen, lost - min(lost, m.lostAtMark), nil
}

func (m *auditMonitor) usage() (float64, int64, string) {
	if m.cmd == nil || m.cmd.Process == nil {
		return 0, 0, ""
	}
	cpu := cpuSeconds(m.cmd.Process.Pid)
	kcpu := 0.0
	if m.kauditd > 0 {
		kcpu = cpuSeconds(m.kauditd)
	}
	return cpu + kcpu, peakRSS(m.cmd.Process.Pid), "auditd + kauditd"
}

// stop removes the rule, stops auditd and restores the audit state.
func (m *auditMonitor) stop() error {
	var errs []error
	if m.ruleAdded {
		errs = append(errs, auditctl("-d", "always,exit", "-F", "arch=b64", "-S", "execve", "-k", auditRuleKey))
	}
	if m.cmd != nil && m.cmd.Process != nil {
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.done:
		case <-time.After(20 * time.Second):
			_ = m.cmd.Process.Kill()
			<-m.done
		}
	}
	if m.prevBacklog != "" {
		errs = append(errs, auditctl("-b", m.prevBacklog))
	}
	if m.prevEnabled != "" {
		errs = append(errs, auditctl("-e", m.prevEnabled))
	}
	if m.dir != "" {
		errs = append(errs, os.RemoveAll(m.dir))
	}
	return errors.Join(errs...)
}
