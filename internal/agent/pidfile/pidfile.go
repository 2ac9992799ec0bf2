//go:build unix

// Package pidfile is the agent's pid file: it holds the running agent's
// process id and stays locked (flock) for as long as that agent runs, so
// that a second agent on the same data directory is refused and a stale
// file left by a crash is told apart from a running agent.
package pidfile

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Name is the pid file's name in the agent's data directory.
const Name = "agent.pid"

// ErrRunning means another process holds the pid file.
var ErrRunning = errors.New("another agent is running on this data directory")

// File is a pid file held by this process.
type File struct {
	path string
	f    *os.File
}

// Acquire creates or takes over the pid file at path, locks it and writes
// this process's id into it. It fails with ErrRunning when a running
// process holds it.
func Acquire(path string) (*File, error) {
	for attempt := 0; attempt < 10; attempt++ {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("pid file: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				pid, _ := readPID(path)
				return nil, fmt.Errorf("pid file %s (pid %d): %w", path, pid, ErrRunning)
			}
			return nil, fmt.Errorf("lock pid file %s: %w", path, err)
		}
		// The holder may have removed the file between our open and our
		// lock: then the lock is on a file nobody sees; start again.
		if !samePath(f, path) {
			f.Close()
			continue
		}
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, fmt.Errorf("pid file: %w", err)
		}
		if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
			f.Close()
			return nil, fmt.Errorf("pid file: %w", err)
		}
		return &File{path: path, f: f}, nil
	}
	return nil, fmt.Errorf("pid file %s keeps being replaced", path)
}

// Release removes the file and drops the lock.
func (p *File) Release() error {
	rmErr := os.Remove(p.path)
	if errors.Is(rmErr, os.ErrNotExist) {
		rmErr = nil
	}
	return errors.Join(rmErr, p.f.Close())
}

// Running reports whether a live process holds the pid file at path, and
// its process id. A missing or unlocked (stale) file is not running.
func Running(path string) (pid int, running bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("pid file: %w", err)
	}
	defer f.Close()
	pid, _ = readPID(path)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return pid, true, nil
		}
		return pid, false, fmt.Errorf("check pid file %s: %w", path, err)
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return pid, false, nil
}

// readPID parses the file's process id.
func readPID(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s holds no process id", path)
	}
	return pid, nil
}

// samePath reports whether the open file is still the one at path.
func samePath(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}
