package audit

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// syscallKind is what a SYSCALL record reports.
type syscallKind uint8

const (
	kindOther syscallKind = iota
	kindExec
	kindExitGroup
)

// archSyscalls maps an audit arch (AUDIT_ARCH_*) to its execve,
// execveat and exit_group numbers.
var archSyscalls = map[uint64]struct{ execve, execveat, exitGroup int64 }{
	0xc000003e: {59, 322, 231}, // x86_64
	0x40000003: {11, 358, 252}, // i386
	0xc00000b7: {221, 281, 94}, // aarch64
	0x40000028: {11, 387, 248}, // arm
	0xc00000f3: {221, 281, 94}, // riscv64
	0x80000016: {11, 354, 248}, // s390x
	0x80000015: {11, 362, 234}, // ppc64
	0xc0000015: {11, 362, 234}, // ppc64le
}

// classify names the syscall of a SYSCALL record.
func classify(arch uint64, nr int64) syscallKind {
	s, ok := archSyscalls[arch]
	switch {
	case !ok:
		return kindOther
	case nr == s.execve || nr == s.execveat:
		return kindExec
	case nr == s.exitGroup:
		return kindExitGroup
	}
	return kindOther
}

// auditEvent is one audit event (the records of one serial) as far as
// the sensor needs it.
type auditEvent struct {
	At     time.Time
	Serial uint64
	Kind   syscallKind
	// From SYSCALL.
	HaveSyscall          bool
	Success              bool
	A0                   uint64
	PID, PPID            int
	UID, EUID, GID, EGID uint32
	AUID, SessionID      uint32
	TTY, Comm, Exe       string
	// From EXECVE.
	HaveExecve    bool
	Argc          int
	Args          [][]byte
	ArgsBytes     int
	ArgsTruncated bool
	// From CWD and PATH item 0.
	Cwd, Path0 string
	// Proctitle is PROCTITLE's arguments (NUL-separated, cut by the
	// kernel at 128 bytes), used when EXECVE is missing.
	Proctitle []byte
	arrived   time.Time
}

// maxArgc bounds the argument slots kept for one exec.
const maxArgc = 65536

// assembler gathers the records of audit events by serial. It is used
// from one goroutine.
type assembler struct {
	maxArgsBytes int
	maxPending   int
	pending      map[uint64]*auditEvent
}

func newAssembler(maxArgsBytes, maxPending int) *assembler {
	return &assembler{maxArgsBytes: maxArgsBytes, maxPending: maxPending, pending: map[uint64]*auditEvent{}}
}

// add takes one record. It returns the event the record completed (EOE),
// or nil. Records of types the sensor does not read are ignored, as are
// the records of events whose SYSCALL is neither an exec nor an
// exit_group. An error means the record could not be parsed; the event
// it belongs to, when known, is dropped.
func (a *assembler) add(typ uint16, data []byte, now time.Time) (*auditEvent, error) {
	switch typ {
	case typeSyscall, typeExecve, typeCwd, typePath, typeProctitle, typeEOE:
	default:
		return nil, nil
	}
	h, body, err := parseHeader(data)
	if err != nil {
		return nil, err
	}
	ev := a.pending[h.Serial]
	if typ == typeEOE {
		if ev != nil {
			delete(a.pending, h.Serial)
			if ev.Kind == kindOther {
				return nil, nil
			}
		}
		return ev, nil
	}
	if ev == nil {
		if len(a.pending) >= a.maxPending {
			return nil, fmt.Errorf("%w: more than %d audit events waiting for their end", errMalformed, a.maxPending)
		}
		ev = &auditEvent{At: h.At, Serial: h.Serial, arrived: now, AUID: noID, SessionID: noID}
		a.pending[h.Serial] = ev
	}
	if ev.HaveSyscall && ev.Kind == kindOther {
		return nil, nil // an event the sensor does not read
	}
	switch typ {
	case typeSyscall:
		err = ev.parseSyscall(body)
	case typeExecve:
		err = ev.parseExecve(body, a.maxArgsBytes)
	case typeCwd:
		err = eachField(body, func(k, v []byte) bool {
			if string(k) == "cwd" {
				if s, ok := untrusted(v); ok {
					ev.Cwd = string(s)
				}
			}
			return true
		})
	case typePath:
		err = ev.parsePath(body)
	case typeProctitle:
		err = eachField(body, func(k, v []byte) bool {
			if string(k) == "proctitle" {
				if s, ok := untrusted(v); ok {
					ev.Proctitle = bytes.Clone(s)
				}
			}
			return true
		})
	}
	if err != nil {
		delete(a.pending, h.Serial)
		return nil, err
	}
	return nil, nil
}

// expire returns the events that waited longer than d for their end
// record (the EOE was lost) and forgets them.
func (a *assembler) expire(now time.Time, d time.Duration) []*auditEvent {
	var out []*auditEvent
	for serial, ev := range a.pending {
		if now.Sub(ev.arrived) >= d {
			delete(a.pending, serial)
			if ev.Kind != kindOther {
				out = append(out, ev)
			}
		}
	}
	return out
}

// noID is an unset login uid or session.
const noID = ^uint32(0)

func (ev *auditEvent) parseSyscall(body []byte) error {
	var arch uint64
	var nr int64
	var bad string
	err := eachField(body, func(k, v []byte) bool {
		ok := true
		switch string(k) {
		case "arch":
			arch, ok = parseHexArg(v)
		case "syscall":
			nr, ok = parseNum(v)
		case "success":
			ev.Success = string(v) == "yes"
		case "a0":
			ev.A0, ok = parseHexArg(v)
		case "pid":
			var n int64
			n, ok = parseNum(v)
			ev.PID = int(n)
		case "ppid":
			var n int64
			n, ok = parseNum(v)
			ev.PPID = int(n)
		case "uid":
			ev.UID, ok = parseID(v)
		case "euid":
			ev.EUID, ok = parseID(v)
		case "gid":
			ev.GID, ok = parseID(v)
		case "egid":
			ev.EGID, ok = parseID(v)
		case "auid":
			ev.AUID, ok = parseID(v)
		case "ses":
			ev.SessionID, ok = parseID(v)
		case "tty":
			if s := string(v); s != "(none)" {
				ev.TTY = s
			}
		case "comm":
			if s, u := untrusted(v); u {
				ev.Comm = string(s)
			}
		case "exe":
			if s, u := untrusted(v); u {
				ev.Exe = string(s)
			}
		}
		if !ok {
			bad = string(k) + "=" + string(v)
		}
		return ok
	})
	if err != nil {
		return err
	}
	if bad != "" {
		return fmt.Errorf("%w: SYSCALL field %q", errMalformed, bad)
	}
	if ev.PID <= 0 {
		return fmt.Errorf("%w: SYSCALL without pid", errMalformed)
	}
	ev.HaveSyscall = true
	ev.Kind = classify(arch, nr)
	return nil
}

// parseExecve reads one EXECVE record: argc=N a0=... a1_len=L
// a1[0]=... (a long argument comes in parts, possibly over several
// records).
func (ev *auditEvent) parseExecve(body []byte, maxBytes int) error {
	var bad string
	err := eachField(body, func(k, v []byte) bool {
		key := string(k)
		if key == "argc" {
			n, ok := parseNum(v)
			if !ok || n < 0 {
				bad = key
				return false
			}
			ev.Argc = int(n)
			ev.HaveExecve = true
			return true
		}
		if len(key) < 2 || key[0] != 'a' || key[1] < '0' || key[1] > '9' {
			return true
		}
		num := key[1:]
		if i := indexAny(num, "_["); i >= 0 {
			if num[i] == '_' { // a%d_len: the parts follow
				return true
			}
			num = num[:i]
		}
		idx, err := strconv.Atoi(num)
		if err != nil || idx < 0 {
			bad = key
			return false
		}
		s, ok := untrusted(v)
		if !ok {
			return true // "(null)": the kernel could not read it
		}
		ev.addArg(idx, s, maxBytes)
		return true
	})
	if err != nil {
		return err
	}
	if bad != "" {
		return fmt.Errorf("%w: EXECVE field %q", errMalformed, bad)
	}
	return nil
}

func indexAny(s, chars string) int {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return i
			}
		}
	}
	return -1
}

// addArg appends s to argument idx, within the bounds.
func (ev *auditEvent) addArg(idx int, s []byte, maxBytes int) {
	if idx >= maxArgc || ev.Argc > 0 && idx >= ev.Argc {
		ev.ArgsTruncated = true
		return
	}
	room := maxBytes - ev.ArgsBytes
	if room <= 0 {
		ev.ArgsTruncated = true
		return
	}
	if len(s) > room {
		s = s[:room]
		ev.ArgsTruncated = true
	}
	for len(ev.Args) <= idx {
		ev.Args = append(ev.Args, nil)
	}
	ev.Args[idx] = append(ev.Args[idx], s...)
	ev.ArgsBytes += len(s)
}

// parsePath reads the name of PATH item 0 (the file given to execve).
func (ev *auditEvent) parsePath(body []byte) error {
	var item0 bool
	var name []byte
	err := eachField(body, func(k, v []byte) bool {
		switch string(k) {
		case "item":
			item0 = string(v) == "0"
		case "name":
			if s, ok := untrusted(v); ok {
				name = s
			}
		}
		return true
	})
	if err == nil && item0 && name != nil {
		ev.Path0 = string(name)
	}
	return err
}

// args returns the arguments as strings, argc of them when EXECVE said
// how many (a missing one is empty).
func (ev *auditEvent) args() []string {
	n := len(ev.Args)
	if ev.Argc > n && !ev.ArgsTruncated {
		n = ev.Argc
	}
	if n > maxArgc {
		n = maxArgc
	}
	out := make([]string, n)
	for i := range ev.Args {
		if i < n {
			out[i] = string(ev.Args[i])
		}
	}
	return out
}
