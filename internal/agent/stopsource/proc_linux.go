package stopsource

import (
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"
)

// process is what /proc tells about a process.
type process struct {
	command string
	comm    string
	uid     int
}

// lookupProcess reads pid's command line and real user id.
func lookupProcess(pid int) (process, bool) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return process{}, false
	}
	var out process
	if comm, err := p.Comm(); err == nil {
		out.comm = comm
	}
	if args, err := p.CmdLine(); err == nil && len(args) > 0 {
		out.command = strings.Join(args, " ")
	} else if out.comm != "" {
		out.command = "[" + out.comm + "]"
	}
	st, err := p.NewStatus()
	if err != nil {
		return out, out.command != ""
	}
	out.uid = int(st.UIDs[0])
	return out, true
}

// loginUID returns this process's audit login user id, if it has one.
func loginUID() (int, bool) {
	b, err := os.ReadFile("/proc/self/loginuid")
	if err != nil {
		return 0, false
	}
	id, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil || uint32(id) == ^uint32(0) {
		return 0, false
	}
	return int(id), true
}

// terminal returns the terminal on standard input, if any.
func terminal() string {
	link, err := os.Readlink("/proc/self/fd/0")
	if err != nil || !(strings.HasPrefix(link, "/dev/pts/") || strings.HasPrefix(link, "/dev/tty")) {
		return ""
	}
	return link
}
