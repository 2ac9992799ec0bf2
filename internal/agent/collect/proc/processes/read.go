package processes

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/internal/agent/collect/net/listeners"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
)

// maxArgsBytes bounds the arguments kept of one process.
const maxArgsBytes = 16 << 10

// errSkip marks a process that is not listed: a kernel thread, a zombie.
var errSkip = errors.New("not listed")

// proc is what the collector reads of one process.
type proc struct {
	pid, ppid  int
	comm       string
	startTicks uint64
	euid       uint32
	args       []string
	truncated  bool
	// exe is the executable, "" when its link could not be read.
	exe     string
	deleted bool
	key     exehash.Key
	// container is the container id, "" for the host.
	container string
}

// readProc reads process pid of the /proc directory procDir. It returns
// errSkip for a kernel thread or a zombie, an error satisfying gone for
// a process that exited, and another error for one it could not read.
func readProc(procDir string, pid int) (*proc, error) {
	dir := filepath.Join(procDir, strconv.Itoa(pid))
	b, err := readSmall(filepath.Join(dir, "stat"), 4096)
	if err != nil {
		return nil, err
	}
	st, err := procparse.ParseStat(b)
	if err != nil {
		return nil, fmt.Errorf("process %d: %w", pid, err)
	}
	if st.IsKernelThread() || st.State == 'Z' || st.State == 'X' {
		return nil, errSkip
	}
	p := &proc{pid: pid, ppid: st.PPID, comm: strings.ToValidUTF8(st.Comm, "\uFFFD"), startTicks: st.StartTicks}
	b, err = readSmall(filepath.Join(dir, "status"), 64<<10)
	if err != nil {
		return nil, err
	}
	status, err := procparse.ParseStatus(b)
	if err != nil {
		return nil, fmt.Errorf("process %d: %w", pid, err)
	}
	p.euid = status.UID[1]
	b, err = readSmall(filepath.Join(dir, "cmdline"), maxArgsBytes+1)
	if err != nil {
		return nil, err
	}
	if len(b) > maxArgsBytes {
		b, p.truncated = b[:maxArgsBytes], true
	}
	p.args, _ = procparse.ParseArgs(b, 0)
	// A process that rewrote its title (setproctitle) pads the rest of
	// its argument area with NULs: empty arguments at the end say nothing.
	for len(p.args) > 0 && p.args[len(p.args)-1] == "" {
		p.args = p.args[:len(p.args)-1]
	}
	for i, a := range p.args {
		p.args[i] = strings.ToValidUTF8(a, "\uFFFD")
	}
	exePath := filepath.Join(dir, "exe")
	if link, err := os.Readlink(exePath); err == nil {
		p.exe, p.deleted = listeners.Executable(strings.ToValidUTF8(link, "\uFFFD"))
		if fi, err := os.Stat(exePath); err == nil {
			p.key, _ = exehash.KeyOf(fi)
		}
	} else if gone(err) && len(p.args) == 0 {
		return nil, errSkip // exiting: its image is gone
	}
	if b, err := readSmall(filepath.Join(dir, "cgroup"), 64<<10); err == nil {
		if ct, ok, _ := procparse.ContainerFromCgroup(b); ok {
			p.container = ct.ID
		}
	}
	return p, nil
}

// gone reports whether err says that the process exited.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// readSmall reads at most limit bytes of a file.
func readSmall(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

// readUptime reads the time since boot from /proc/uptime, in clock
// ticks.
func readUptime(procDir string) (uint64, error) {
	b, err := readSmall(filepath.Join(procDir, "uptime"), 256)
	if err != nil {
		return 0, err
	}
	return ParseUptime(b)
}

// ParseUptime parses /proc/uptime ("350735.47 234388.90": the seconds
// since boot and the idle seconds of all CPUs) into the clock ticks
// since boot (procid.TicksPerSecond a second).
func ParseUptime(b []byte) (uint64, error) {
	field, _, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	secs, frac, hasFrac := strings.Cut(field, ".")
	s, err := strconv.ParseUint(secs, 10, 64)
	if err != nil || s > math.MaxUint64/procid.TicksPerSecond-procid.TicksPerSecond {
		return 0, fmt.Errorf("uptime: %q is not a number of seconds", clip(field))
	}
	ticks := s * procid.TicksPerSecond
	if hasFrac {
		if frac == "" || strings.Trim(frac, "0123456789") != "" {
			return 0, fmt.Errorf("uptime: %q is not a number of seconds", clip(field))
		}
		// Hundredths: the ticks of procid.TicksPerSecond (100).
		h := (frac + "00")[:2]
		v, _ := strconv.ParseUint(h, 10, 64)
		ticks += v * procid.TicksPerSecond / 100
	}
	return ticks, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
