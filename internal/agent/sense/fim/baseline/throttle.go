package baseline

import (
	"bytes"
	"strconv"

	"golang.org/x/sys/unix"
)

// Priorities of hashing threads: the lowest CPU priority (nice 19) and the
// lowest best-effort I/O priority, so that a scan takes what the host
// leaves over without being starved by a busy one (the idle I/O class
// could wait forever).
const (
	hashNice       = 19
	ioprioClassBE  = 2
	ioprioClassSet = 13 // IOPRIO_CLASS_SHIFT
	ioprioLowestBE = 7
	ioprioWhoProc  = 1 // IOPRIO_WHO_PROCESS, which takes a thread id
)

// lowerThreadPriority lowers the CPU and I/O priority of the calling
// thread, which must be locked to its goroutine. Failures are ignored: the
// read rate limit still bounds the scan.
func lowerThreadPriority() {
	tid := unix.Gettid()
	_ = unix.Setpriority(unix.PRIO_PROCESS, tid, hashNice)
	prio := ioprioClassBE<<ioprioClassSet | ioprioLowestBE
	_, _, _ = unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProc, uintptr(tid), uintptr(prio))
}

// ioMeter reads the bytes the calling thread made the kernel fetch from
// storage (read_bytes of /proc/thread-self/io): page-cache hits cost
// nothing. It must be used on the thread that created it.
type ioMeter struct {
	fd   int
	last int64
	buf  [512]byte
}

// newIOMeter opens the calling thread's I/O accounting; without it the
// meter reports -1 and callers count logical bytes instead.
func newIOMeter() *ioMeter {
	fd, err := unix.Open("/proc/thread-self/io", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	m := &ioMeter{fd: fd}
	if m.read() < 0 {
		_ = unix.Close(fd)
		return nil
	}
	m.mark()
	return m
}

func (m *ioMeter) close() {
	if m != nil {
		_ = unix.Close(m.fd)
	}
}

// mark starts counting from now.
func (m *ioMeter) mark() { m.last = m.read() }

// delta returns the storage bytes read since the last mark or delta, -1
// when unknown.
func (m *ioMeter) delta() int64 {
	now := m.read()
	if now < 0 || m.last < 0 {
		m.last = now
		return -1
	}
	d := now - m.last
	m.last = now
	return d
}

func (m *ioMeter) read() int64 {
	n, err := unix.Pread(m.fd, m.buf[:], 0)
	if err != nil || n <= 0 {
		return -1
	}
	return parseReadBytes(m.buf[:n])
}

// parseReadBytes returns the read_bytes value of a /proc/PID/io text, -1
// when it has none.
func parseReadBytes(b []byte) int64 {
	const key = "\nread_bytes: "
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return -1
	}
	b = b[i+len(key):]
	if j := bytes.IndexByte(b, '\n'); j >= 0 {
		b = b[:j]
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || v < 0 {
		return -1
	}
	return v
}
