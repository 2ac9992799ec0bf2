//go:build unix

package users

import "syscall"

// Open flags: links were resolved already, and a FIFO put in place of a
// log must not block the reader.
const (
	oNoFollow = syscall.O_NOFOLLOW
	oNonBlock = syscall.O_NONBLOCK
)
