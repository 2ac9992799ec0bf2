package stopsource

import (
	"os"
	"strings"

	"github.com/prometheus/procfs"
)

// process is what /proc tells about a process.
type process struct {
	command string
	uid     int
}

// lookupProcess reads pid's command line and real user id.
func lookupProcess(pid int) (process, bool) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return process{}, false
	}
	var out process
	if args, err := p.CmdLine(); err == nil && len(args) > 0 {
		out.command = strings.Join(args, " ")
	} else if comm, err := p.Comm(); err == nil {
		out.command = "[" + comm + "]"
	}
	st, err := p.NewStatus()
	if err != nil {
		return out, out.command != ""
	}
	out.uid = int(st.UIDs[0])
	return out, true
}

// terminal returns the terminal on standard input, if any.
func terminal() string {
	link, err := os.Readlink("/proc/self/fd/0")
	if err != nil || !(strings.HasPrefix(link, "/dev/pts/") || strings.HasPrefix(link, "/dev/tty")) {
		return ""
	}
	return link
}
