//go:build unix

package containerd

import "syscall"

// Open flags: a link or a FIFO put in place of a state file must not be
// followed or block the reader (a task directory holds a FIFO, "log").
const (
	oNoFollow = syscall.O_NOFOLLOW
	oNonBlock = syscall.O_NONBLOCK
)
