//go:build unix

package passwords

import (
	"io/fs"
	"os"
	"syscall"
	"time"
)

// openFlags open the state file without following a link, and without
// blocking on a FIFO put in its place.
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// ownedByUs reports whether the file belongs to this process's user.
func ownedByUs(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// processCPU returns the CPU time the process has used, user and system,
// all threads (the garbage collector's included).
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
