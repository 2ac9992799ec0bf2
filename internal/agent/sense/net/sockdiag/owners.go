package sockdiag

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"
)

// ownerFinder finds the processes that hold sockets, by their inodes,
// through the links of /proc/PID/fd ("socket:[INODE]"). A scan reads
// every process's descriptors until it has found all the inodes it was
// asked for, so its cost grows with the number of processes and open
// files: the sensor asks only for sockets it has not attributed yet, in
// one batch per poll.
type ownerFinder struct {
	proc string
	// scanned counts the descriptors read, for the benchmark and tests.
	scanned int
	// bad counts /proc entries that could not be parsed, since the last
	// takeBad.
	bad int
}

// takeBad returns the count of unparsable /proc entries and resets it.
func (f *ownerFinder) takeBad() int {
	n := f.bad
	f.bad = 0
	return n
}

func newOwnerFinder(root string) *ownerFinder {
	if root == "" {
		root = "/"
	}
	return &ownerFinder{proc: filepath.Join(root, "proc")}
}

// find fills want (inode -> owner) for the inodes it finds; the owners of
// sockets held by several processes are the lowest pid's.
func (f *ownerFinder) find(want map[uint32]*Process) {
	missing := 0
	for _, p := range want {
		if !p.Known() {
			missing++
		}
	}
	if missing == 0 {
		return
	}
	dir, err := os.Open(f.proc)
	if err != nil {
		return
	}
	names, _ := dir.Readdirnames(-1)
	_ = dir.Close()
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	fs, err := procfs.NewFS(f.proc)
	if err != nil {
		return
	}
	for _, pid := range pids {
		fdDir := filepath.Join(f.proc, strconv.Itoa(pid), "fd")
		d, err := os.Open(fdDir)
		if err != nil {
			continue // gone, or a kernel thread
		}
		fds, _ := d.Readdirnames(-1)
		_ = d.Close()
		var owner *Process
		for _, fd := range fds {
			f.scanned++
			link, err := os.Readlink(filepath.Join(fdDir, fd))
			if err != nil {
				continue
			}
			inode, ok := parseSocketLink(link)
			if !ok {
				continue
			}
			p, wanted := want[inode]
			if !wanted || p.Known() {
				continue
			}
			if owner == nil {
				owner = f.process(fs, pid)
				if owner == nil {
					break // the process is gone
				}
			}
			*p = *owner
			if missing--; missing == 0 {
				return
			}
		}
	}
}

// process reads what a socket event names of process pid.
func (f *ownerFinder) process(fs procfs.FS, pid int) *Process {
	pr, err := fs.Proc(pid)
	if err != nil {
		return nil
	}
	st, err := pr.Stat()
	if err != nil {
		f.bad++
		return nil
	}
	p := &Process{PID: pid, StartTicks: st.Starttime, Name: st.Comm}
	if status, err := pr.NewStatus(); err == nil {
		p.UID, p.HasUID = uint32(status.UIDs[1]), true
	}
	return p
}

// parseSocketLink returns the inode of a /proc/PID/fd link target of the
// form "socket:[INODE]".
func parseSocketLink(s string) (uint32, bool) {
	if !strings.HasPrefix(s, "socket:[") || !strings.HasSuffix(s, "]") {
		return 0, false
	}
	n, err := strconv.ParseUint(s[len("socket:["):len(s)-1], 10, 32)
	if err != nil || n == 0 {
		return 0, false
	}
	return uint32(n), true
}
