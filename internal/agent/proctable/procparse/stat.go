package procparse

import (
	"bytes"
	"fmt"
	"strconv"
)

// Stat holds the fields of /proc/PID/stat that describe a process.
type Stat struct {
	PID   int
	Comm  string
	State byte
	PPID  int
	PGRP  int
	// Session is the process id of the session leader.
	Session int
	// TTYNr is the controlling terminal's device number (0: none).
	TTYNr uint32
	// Flags are the kernel's PF_* flags.
	Flags uint64
	// StartTicks is the start time in clock ticks after boot (field 22).
	StartTicks uint64
}

// PFKthread is the kernel flag of kernel threads.
const PFKthread = 0x00200000

// IsKernelThread reports whether the process is a kernel thread.
func (s Stat) IsKernelThread() bool { return s.Flags&PFKthread != 0 }

// ParseStat parses /proc/PID/stat. The command name may hold spaces and
// parentheses: it runs from the first '(' to the last ')'.
func ParseStat(b []byte) (Stat, error) {
	var s Stat
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open <= 0 || closing < open {
		return s, fmt.Errorf("%w: stat: no command name", ErrMalformed)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil || pid <= 0 {
		return s, fmt.Errorf("%w: stat: bad pid %q", ErrMalformed, bytes.TrimSpace(b[:open]))
	}
	s.PID = pid
	s.Comm = string(b[open+1 : closing])
	// Fields after the name, numbered from 3 (state) as in proc(5).
	rest := b[closing+1:]
	var field [20][]byte // fields 3 to 22
	n := 0
	for n < len(field) {
		rest = bytes.TrimLeft(rest, " ")
		if len(rest) == 0 {
			break
		}
		end := bytes.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		field[n] = bytes.TrimRight(rest[:end], "\n")
		rest = rest[end:]
		n++
	}
	if n < len(field) {
		return s, fmt.Errorf("%w: stat: %d fields after the name, want at least %d", ErrMalformed, n, len(field))
	}
	if len(field[0]) != 1 {
		return s, fmt.Errorf("%w: stat: bad state %q", ErrMalformed, field[0])
	}
	s.State = field[0][0]
	ints := []struct {
		idx int
		dst *int
	}{{1, &s.PPID}, {2, &s.PGRP}, {3, &s.Session}}
	for _, f := range ints {
		v, err := strconv.Atoi(string(field[f.idx]))
		if err != nil {
			return s, fmt.Errorf("%w: stat: field %d: %v", ErrMalformed, f.idx+3, err)
		}
		*f.dst = v
	}
	tty, err := strconv.ParseInt(string(field[4]), 10, 64)
	if err != nil {
		return s, fmt.Errorf("%w: stat: tty_nr: %v", ErrMalformed, err)
	}
	s.TTYNr = uint32(tty)
	if s.Flags, err = strconv.ParseUint(string(field[6]), 10, 64); err != nil {
		return s, fmt.Errorf("%w: stat: flags: %v", ErrMalformed, err)
	}
	if s.StartTicks, err = strconv.ParseUint(string(field[19]), 10, 64); err != nil {
		return s, fmt.Errorf("%w: stat: starttime: %v", ErrMalformed, err)
	}
	return s, nil
}
