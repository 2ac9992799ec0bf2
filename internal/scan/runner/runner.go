// Package runner runs vigil-scan as a child process for the agent's
// inventory collectors: found next to the agent's executable or at a
// given path, started with low CPU and I/O priority in a process group
// of its own, bounded in time and memory, its standard output read as a
// protocol stream line by line.
//
// Like package protocol it links nothing of the scanner, so the agent
// stays small.
package runner

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
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/protocol"
)

// ExecutableName is the scanner's file name.
const ExecutableName = "vigil-scan"

// ErrNotFound is wrapped by Locate's error when there is no scanner.
var ErrNotFound = errors.New("scanner not found")

// ErrUntrusted: the scanner, or its folder, could be replaced by a user
// other than root and the agent's.
var ErrUntrusted = errors.New("scanner not trusted")

// Locate returns the scanner to run: path when it is set, else
// ExecutableName in the folder of the running executable. The error
// wraps ErrNotFound and says where it looked.
//
// The scanner and its folder must be owned by root or by the agent's own
// user and writable by no one else (ErrUntrusted otherwise).
func Locate(path string) (string, error) {
	if path == "" {
		self, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("%w: the agent's own path is unknown: %w", ErrNotFound, err)
		}
		path = filepath.Join(filepath.Dir(self), ExecutableName)
	}
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("%w: %q is not an absolute path", ErrNotFound, path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%w at %s: %w", ErrNotFound, path, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%w: %s is not an executable file", ErrNotFound, path)
	}
	// The agent runs it as root: a scanner anyone else could replace
	// would be a way to root.
	if err := trusted(path, fi); err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrUntrusted, path, err)
	}
	return path, nil
}

// Defaults of a Runner.
const (
	DefaultNice        = 10
	DefaultMemoryLimit = 384 << 20
	// grace is added to the scanner's own time limit before it is
	// killed: it stops by itself and writes its summary first.
	grace = 15 * time.Second
	// stderrKeep is how much of the scanner's standard error is kept
	// for an error message (the end of it).
	stderrKeep = 4 << 10
)

// Runner runs the scanner.
type Runner struct {
	// Path is the scanner's executable (see Locate).
	Path string
	// Timeout is the scanner's time limit; it is killed Timeout plus a
	// grace period after its start. Zero: no limit but the context's.
	Timeout time.Duration
	// Nice is the child's nice value (0: DefaultNice; negative values are
	// refused).
	Nice int
	// MemoryLimit is the child's Go memory limit, GOMEMLIMIT, in bytes
	// (0: DefaultMemoryLimit).
	MemoryLimit int64
	// Started, when set, is called with the child's pid once its
	// priorities are set (tests).
	Started func(pid int)
}

// Result is one run's output.
type Result struct {
	// Assets are the valid assets received, in order.
	Assets []event.Asset
	// Summary is the scanner's summary line.
	Summary protocol.Summary
	// Read counts the lines skipped.
	Read protocol.ReadStats
	// PriorityErr says why the child's priorities could not be lowered
	// (the run went on regardless); nil when they were.
	PriorityErr error
}

// Run runs the scanner with args (a command and its flags) and returns
// the assets of the given kinds it lists. An error means the set cannot
// be trusted: the scanner failed, was killed, said the scan is
// incomplete, or its stream broke the protocol.
func (r Runner) Run(ctx context.Context, args []string, kinds []string) (Result, error) {
	var res Result
	if r.Path == "" {
		return res, fmt.Errorf("%w: no path given", ErrNotFound)
	}
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout+grace)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, r.Path, args...)
	cmd.Env = r.env()
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The whole group: the scanner starts no children, but a
		// group kill leaves nothing behind if it ever does.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
	stderr := &tailBuffer{max: stderrKeep}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, fmt.Errorf("scanner: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("start scanner %s: %w", r.Path, err)
	}
	res.PriorityErr = r.lowerPriority(cmd.Process.Pid)
	if r.Started != nil {
		r.Started(cmd.Process.Pid)
	}
	sum, st, rerr := protocol.Read(stdout, kinds, func(a event.Asset) error {
		res.Assets = append(res.Assets, a)
		return nil
	})
	res.Summary, res.Read = sum, st
	if rerr != nil {
		// Stop a scanner whose stream is refused, so that Wait returns.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	werr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("scanner %s: %w%s", strings.Join(args[:min(1, len(args))], " "), context.Cause(ctx), stderr.suffix())
	case rerr != nil && werr != nil:
		return res, fmt.Errorf("scanner output: %w (scanner: %v)%s", rerr, werr, stderr.suffix())
	case rerr != nil:
		return res, fmt.Errorf("scanner output: %w%s", rerr, stderr.suffix())
	case werr != nil:
		var ee *exec.ExitError
		if errors.As(werr, &ee) && ee.ExitCode() == protocol.ExitIncomplete && sum.Reason != "" {
			return res, fmt.Errorf("scan incomplete: %s", sum.Reason)
		}
		return res, fmt.Errorf("scanner: %w%s", werr, stderr.suffix())
	case !sum.Complete:
		return res, fmt.Errorf("scan incomplete: %s", sum.Reason)
	}
	return res, nil
}

// env is the child's whole environment: its memory limit, one thread's
// worth of parallelism, and where to put temporary files.
func (r Runner) env() []string {
	limit := r.MemoryLimit
	if limit <= 0 {
		limit = DefaultMemoryLimit
	}
	env := []string{
		"GOMEMLIMIT=" + strconv.FormatInt(limit, 10),
		"GOMAXPROCS=1",
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	}
	if t := os.Getenv("TMPDIR"); t != "" {
		env = append(env, "TMPDIR="+t)
	}
	return env
}

// I/O priority (linux/ioprio.h).
const (
	ioprioWhoPgrp  = 2
	ioprioClassIdl = 3
	ioprioClassSh  = 13
)

// lowerPriority gives the child's process group (all its threads) a nice
// value and the idle I/O class, and makes the child the first the kernel
// kills when memory runs out (the agent's service caps the memory of the
// agent and its children together).
func (r Runner) lowerPriority(pid int) error {
	nice := r.Nice
	if nice == 0 {
		nice = DefaultNice
	}
	if nice < 0 || nice > 19 {
		return fmt.Errorf("nice %d is not between 1 and 19", nice)
	}
	var errs []error
	if err := syscall.Setpriority(syscall.PRIO_PGRP, pid, nice); err != nil {
		errs = append(errs, fmt.Errorf("setpriority: %w", err))
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOPRIO_SET, ioprioWhoPgrp, uintptr(pid), ioprioClassIdl<<ioprioClassSh); e != 0 {
		errs = append(errs, fmt.Errorf("ioprio_set: %w", e))
	}
	if err := os.WriteFile("/proc/"+strconv.Itoa(pid)+"/oom_score_adj", []byte("1000"), 0); err != nil {
		errs = append(errs, fmt.Errorf("oom_score_adj: %w", err))
	}
	return errors.Join(errs...)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
	cut bool
}

// Write implements io.Writer.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
		t.cut = true
	}
	return len(p), nil
}

// suffix is ": <the end of the scanner's standard error>", or "".
func (t *tailBuffer) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(strings.ToValidUTF8(string(t.b), "?"))
	if s == "" {
		return ""
	}
	if t.cut {
		s = "..." + s
	}
	return "; scanner said: " + s
}
