//go:build linux

package cpuhog

import (
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// procDir is an open proc directory, read without allocating.
type procDir struct {
	fd int
}

// openProcDir opens the proc directory at p.
func openProcDir(p string) (procDir, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return procDir{fd: -1}, fmt.Errorf("open %s: %w", p, err)
	}
	return procDir{fd: fd}, nil
}

// close closes the directory.
func (d procDir) close() {
	if d.fd >= 0 {
		unix.Close(d.fd)
	}
}

// list appends the pids of the directory, read once from its start, to
// pids, reading the entries into buf.
func (d procDir) list(buf []byte, pids []int) ([]int, error) {
	for {
		n, err := unix.Getdents(d.fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return pids, fmt.Errorf("read the proc directory: %w", err)
		}
		if n <= 0 {
			return pids, nil
		}
		if pids, err = parseDirents(buf[:n], pids); err != nil {
			return pids, err
		}
	}
}

// readStat reads PID/stat below the directory into buf, building its
// path in pathBuf (which must have room for it: 32 bytes); it returns the
// number of bytes read. It calls openat, read and close directly: through
// os.Open the path and the file would be allocated for every process at
// every tick.
func (d procDir) readStat(pid int, pathBuf, buf []byte) (int, error) {
	p := strconv.AppendInt(pathBuf[:0], int64(pid), 10)
	p = append(p, "/stat\x00"...)
	r, _, errno := unix.Syscall6(unix.SYS_OPENAT, uintptr(d.fd), uintptr(unsafe.Pointer(&p[0])),
		uintptr(unix.O_RDONLY|unix.O_CLOEXEC), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	fd := int(r)
	defer unix.Close(fd)
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return n, err
	}
}

// gone reports whether err says the process no longer exists.
func gone(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH)
}
