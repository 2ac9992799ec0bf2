package notify

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
)

// Process is what /proc told about an acting process when its event was
// read. Fields that could not be read (the process had exited) are empty.
type Process struct {
	PID int32
	// StartTicks is field 22 of /proc/PID/stat; valid when HasStart.
	StartTicks uint64
	HasStart   bool
	PPID       int32
	Name       string
	Executable string
	Args       []string
	// UID is the effective user id, -1 when unknown.
	UID int64
}

// Bounds of what is copied from a process.
const (
	maxArgs     = 64
	maxArgBytes = 4096
)

// procReader reads processes from a /proc directory, remembering the last
// one (a burst of writes comes from one process).
type procReader struct {
	dir  string
	last *Process
}

// read returns what can be read of process pid, never nil.
func (r *procReader) read(pid int32) *Process {
	if pid <= 0 {
		return nil
	}
	base := r.dir + "/" + strconv.Itoa(int(pid))
	stat, err := os.ReadFile(base + "/stat")
	var st procStat
	if err == nil {
		st, err = parseStat(stat)
	}
	if err == nil && r.last != nil && r.last.PID == pid && r.last.HasStart && r.last.StartTicks == st.start {
		return r.last
	}
	p := &Process{PID: pid, UID: -1}
	if err == nil {
		p.StartTicks, p.HasStart, p.PPID, p.Name = st.start, true, st.ppid, st.comm
	}
	if exe, err := os.Readlink(base + "/exe"); err == nil {
		p.Executable = strings.TrimSuffix(exe, " (deleted)")
	}
	if cmd, err := os.ReadFile(base + "/cmdline"); err == nil {
		p.Args = splitArgs(cmd)
	}
	if status, err := os.ReadFile(base + "/status"); err == nil {
		p.UID = parseEffectiveUID(status)
	}
	if p.HasStart {
		r.last = p
	}
	return p
}

type procStat struct {
	comm  string
	ppid  int32
	start uint64
}

var errStat = errors.New("malformed /proc/PID/stat")

// parseStat reads comm, ppid and starttime (field 22) from /proc/PID/stat.
// comm may hold spaces and parentheses: it ends at the last ')'.
func parseStat(b []byte) (procStat, error) {
	var st procStat
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open || end+2 > len(b) {
		return st, errStat
	}
	st.comm = string(b[open+1 : end])
	fields := strings.Fields(string(b[end+1:]))
	// fields[0] is the state (field 3); ppid is field 4, starttime 22.
	if len(fields) < 20 {
		return st, errStat
	}
	ppid, err := strconv.ParseInt(fields[1], 10, 32)
	if err != nil {
		return st, errStat
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return st, errStat
	}
	st.ppid, st.start = int32(ppid), start
	return st, nil
}

// splitArgs splits a NUL-separated command line, bounded.
func splitArgs(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	if len(b) > maxArgBytes {
		b = b[:maxArgBytes]
	}
	var out []string
	for _, a := range bytes.Split(b, []byte{0}) {
		if len(out) == maxArgs {
			break
		}
		out = append(out, string(a))
	}
	return out
}

// parseEffectiveUID returns the effective uid of a /proc/PID/status text,
// -1 when it has none.
func parseEffectiveUID(b []byte) int64 {
	i := bytes.Index(b, []byte("\nUid:"))
	if i < 0 {
		return -1
	}
	line := b[i+5:]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	f := strings.Fields(string(line))
	if len(f) < 2 {
		return -1
	}
	uid, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil {
		return -1
	}
	return int64(uid)
}
