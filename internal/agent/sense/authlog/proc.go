package authlog

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/agent/procid"
)

// liveWindow is how recent a line must be for its process to be looked
// up: older lines name processes that are probably gone, their pids
// maybe reused.
const liveWindow = 30 * time.Second

// addProcess adds process.entity_id, process.executable and
// process.start to proc when the process that logged at t still runs:
// its pid holds a process of the same name that started before t.
func (s *Sensor) addProcess(proc map[string]any, pid int, program string, t time.Time) {
	if s.bootTime.IsZero() || s.now().Sub(t).Abs() > liveWindow {
		return
	}
	dir := filepath.Join(s.env.Root, "proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return
	}
	comm, ticks, ok := parseStat(stat)
	if !ok || !sameProgram(comm, program) {
		return
	}
	start := s.bootTime.Add(time.Duration(ticks) * time.Second / procid.TicksPerSecond)
	if start.After(t.Add(time.Second)) {
		return // a later process with the same pid
	}
	proc["entity_id"] = procid.EntityID(s.env.HostID, pid, ticks)
	proc["start"] = start.UTC().Format(time.RFC3339Nano)
	if exe, err := os.Readlink(filepath.Join(dir, "exe")); err == nil {
		proc["executable"] = exe
	}
}

// sameProgram compares a process's comm (cut to 15 bytes by the kernel)
// with a syslog program name.
func sameProgram(comm, program string) bool {
	if len(program) > 15 {
		program = program[:15]
	}
	return comm == program
}

// parseStat returns the comm and start time (field 22, in ticks) of a
// /proc/PID/stat line.
func parseStat(b []byte) (string, uint64, bool) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return "", 0, false
	}
	comm := string(b[open+1 : end])
	fields := bytes.Fields(b[end+1:])
	// fields[0] is field 3 (state): field 22 is fields[19].
	if len(fields) < 20 {
		return "", 0, false
	}
	ticks, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return "", 0, false
	}
	return comm, ticks, true
}

// readBootTime reads btime from /proc/stat under root; zero when absent.
func readBootTime(root string) time.Time {
	b, err := os.ReadFile(filepath.Join(root, "proc", "stat"))
	if err != nil {
		return time.Time{}
	}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			sec, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err == nil {
				return time.Unix(sec, 0)
			}
		}
	}
	return time.Time{}
}
