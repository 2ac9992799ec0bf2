// Package procparse parses the files of /proc that describe a process:
// stat, status, cmdline, cgroup, loginuid and sessionid, the targets of
// the fd links, and the socket tables under /proc/PID/net. Each parser
// takes the file's bytes and returns a value or an error wrapping
// ErrMalformed; none panics on any input (each has a fuzz target). The
// package does no I/O.
package procparse

import "errors"

// ErrMalformed is wrapped by every parse error.
var ErrMalformed = errors.New("malformed /proc data")
