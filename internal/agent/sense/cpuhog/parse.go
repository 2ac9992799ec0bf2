package cpuhog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
)

// cpuStat is what a sample needs of /proc/PID/stat.
type cpuStat struct {
	pid   int
	state byte
	// flags are the kernel's PF_* flags (field 9).
	flags uint64
	// cpuTicks is utime plus stime (fields 14 and 15): the CPU time the
	// process's threads used, in clock ticks.
	cpuTicks uint64
	// startTicks is the start time in clock ticks after boot (field 22).
	startTicks uint64
}

// kernelThread reports whether the process is a kernel thread.
func (s cpuStat) kernelThread() bool { return s.flags&procparse.PFKthread != 0 }

// Fields of /proc/PID/stat, numbered as in proc(5), that parseCPUStat
// reads.
const (
	fieldState = 3
	fieldFlags = 9
	fieldUTime = 14
	fieldSTime = 15
	fieldStart = 22
)

// parseCPUStat parses the fields of a /proc/PID/stat line that a sample
// needs, without allocating: it runs for every process at every tick.
// (procparse.ParseStat reads the whole record, command name included, for
// the process table.) The command name may hold spaces and parentheses:
// it runs from the first '(' to the last ')'. Errors wrap
// procparse.ErrMalformed.
func parseCPUStat(b []byte) (cpuStat, error) {
	var s cpuStat
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open <= 0 || closing < open {
		return s, fmt.Errorf("%w: stat: no command name", procparse.ErrMalformed)
	}
	pid, ok := parseUint(bytes.TrimRight(b[:open], " "))
	if !ok || pid == 0 || pid > math.MaxInt32 {
		return s, fmt.Errorf("%w: stat: bad pid %q", procparse.ErrMalformed, b[:open])
	}
	s.pid = int(pid)
	rest := b[closing+1:]
	var utime, stime uint64
	field := fieldState
	for field <= fieldStart {
		for len(rest) > 0 && rest[0] == ' ' {
			rest = rest[1:]
		}
		end := bytes.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		tok := bytes.TrimRight(rest[:end], "\n")
		rest = rest[end:]
		if len(tok) == 0 {
			return s, fmt.Errorf("%w: stat: %d fields, want at least %d", procparse.ErrMalformed, field-1, fieldStart)
		}
		var dst *uint64
		switch field {
		case fieldState:
			if len(tok) != 1 {
				return s, fmt.Errorf("%w: stat: bad state %q", procparse.ErrMalformed, tok)
			}
			s.state = tok[0]
		case fieldFlags:
			dst = &s.flags
		case fieldUTime:
			dst = &utime
		case fieldSTime:
			dst = &stime
		case fieldStart:
			dst = &s.startTicks
		}
		if dst != nil {
			v, ok := parseUint(tok)
			if !ok {
				return s, fmt.Errorf("%w: stat: field %d %q is not a number", procparse.ErrMalformed, field, tok)
			}
			*dst = v
		}
		field++
	}
	s.cpuTicks = utime + stime
	if s.cpuTicks < utime {
		return s, fmt.Errorf("%w: stat: utime %d + stime %d overflows", procparse.ErrMalformed, utime, stime)
	}
	return s, nil
}

// parseUint parses a decimal number of at most 64 bits.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// Layout of a struct linux_dirent64, as getdents64 returns them: inode
// (8 bytes), offset (8), record length (2), type (1), then the name
// ending with a zero byte, the record padded to 8 bytes.
const (
	direntReclen = 16
	direntType   = 18
	direntName   = 19
	// Directory entry types that a /proc/PID directory may have.
	dtUnknown = 0
	dtDir     = 4
)

// parseDirents appends to pids the process ids among the directory
// entries of buf (records of getdents64 on a proc directory): the names
// made of digits only, of directories. Other entries are skipped; a
// record that does not fit in buf is an error wrapping
// procparse.ErrMalformed, and the pids before it are kept.
func parseDirents(buf []byte, pids []int) ([]int, error) {
	for len(buf) > 0 {
		if len(buf) < direntName+1 {
			return pids, fmt.Errorf("%w: directory entry of %d bytes", procparse.ErrMalformed, len(buf))
		}
		reclen := int(binary.NativeEndian.Uint16(buf[direntReclen:]))
		if reclen < direntName+1 || reclen > len(buf) {
			return pids, fmt.Errorf("%w: directory entry length %d with %d bytes left", procparse.ErrMalformed, reclen, len(buf))
		}
		rec := buf[:reclen]
		buf = buf[reclen:]
		name := rec[direntName:]
		end := bytes.IndexByte(name, 0)
		if end < 0 {
			return pids, fmt.Errorf("%w: directory entry name without its end", procparse.ErrMalformed)
		}
		if t := rec[direntType]; t != dtDir && t != dtUnknown {
			continue
		}
		name = name[:end]
		if len(name) == 0 || name[0] == '0' {
			continue
		}
		if pid, ok := parseUint(name); ok && pid <= math.MaxInt32 {
			pids = append(pids, int(pid))
		}
	}
	return pids, nil
}

// maxCPUs bounds the CPUs parseCPUList counts.
const maxCPUs = 1 << 16

// parseCPUList counts the CPUs of a kernel CPU list such as
// /sys/devices/system/cpu/online holds: "0-3,6,8-9" is 7.
func parseCPUList(b []byte) (int, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: empty CPU list", procparse.ErrMalformed)
	}
	n := 0
	for part := range bytes.SplitSeq(b, []byte{','}) {
		lo, hi, isRange := bytes.Cut(part, []byte{'-'})
		first, ok1 := parseUint(lo)
		last, ok2 := first, true
		if isRange {
			last, ok2 = parseUint(hi)
		}
		if !ok1 || !ok2 || last < first || last >= maxCPUs {
			return 0, fmt.Errorf("%w: CPU list %q: bad range %q", procparse.ErrMalformed, b, part)
		}
		n += int(last-first) + 1
		if n > maxCPUs {
			return 0, fmt.Errorf("%w: CPU list %q: more than %d CPUs", procparse.ErrMalformed, b, maxCPUs)
		}
	}
	return n, nil
}
