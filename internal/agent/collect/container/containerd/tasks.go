package containerd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// taskDir is where the runc v2 shims keep their tasks, below the state
// directory: <state>/io.containerd.runtime.v2.task/<namespace>/<id>/,
// holding config.json (the runtime spec), init.pid, a FIFO "log" ...
const taskDir = "io.containerd.runtime.v2.task"

// task is one task directory.
type task struct {
	ns, id string
	// spec is the task's runtime spec; nil when it could not be read.
	spec *spec
	// pid is the init process's pid; 0 when init.pid is missing.
	pid int
	// startedAt is when init.pid was written: when the task started.
	startedAt time.Time
	// running is true when the init process lives, in the container's
	// cgroup (a pid reused by another process does not count).
	running bool
}

// validName reports whether a namespace or container id can be one:
// containerd allows letters, digits and ._- (ids up to 76 bytes,
// namespaces likewise).
func validName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// scanTasks reads the task directories of a state directory (a path of
// this process). proc is the host's /proc. A missing task directory is no
// task; an unreadable one is an error. Tasks whose spec cannot be read
// are returned without it and counted in malformed.
func scanTasks(state, proc string) (tasks []task, malformed int, err error) {
	base := filepath.Join(state, taskDir)
	nss, err := os.ReadDir(base)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read tasks: %w", err)
	}
	for _, nsEnt := range nss {
		ns := nsEnt.Name()
		if !nsEnt.IsDir() || !validName(ns) {
			continue
		}
		ids, err := os.ReadDir(filepath.Join(base, ns))
		if err != nil {
			return nil, 0, fmt.Errorf("read tasks of namespace %s: %w", ns, err)
		}
		for _, idEnt := range ids {
			id := idEnt.Name()
			if !idEnt.IsDir() || !validName(id) {
				continue
			}
			dir := filepath.Join(base, ns, id)
			t := task{ns: ns, id: id}
			if b, err := readSmall(filepath.Join(dir, "config.json"), maxSpec); err == nil {
				if s, err := decodeSpec(b); err == nil {
					t.spec = s
				} else {
					malformed++
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				malformed++
			}
			t.pid, t.startedAt = readPid(filepath.Join(dir, "init.pid"))
			t.running = t.pid > 0 && inCgroup(proc, t.pid, id)
			tasks = append(tasks, t)
		}
	}
	return tasks, malformed, nil
}

// readPid reads a pid file and the time it was written.
func readPid(p string) (int, time.Time) {
	b, err := readSmall(p, 64)
	if err != nil {
		return 0, time.Time{}
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b)))
	if err != nil || pid <= 0 {
		return 0, time.Time{}
	}
	fi, err := os.Stat(p)
	if err != nil {
		return pid, time.Time{}
	}
	return pid, fi.ModTime().UTC()
}

// inCgroup reports whether process pid lives and its cgroup path names the
// container: containerd's cgroups end in the id ("/default/web",
// "kubepods-...:cri-containerd:<id>", ".../cri-containerd-<id>.scope").
func inCgroup(proc string, pid int, id string) bool {
	b, err := readSmall(filepath.Join(proc, strconv.Itoa(pid), "cgroup"), 64<<10)
	return err == nil && bytes.Contains(b, []byte(id))
}
