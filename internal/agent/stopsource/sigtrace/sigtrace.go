// Package sigtrace learns who sends a signal to a process, which Go's
// os/signal cannot tell: an eBPF program on the kernel's signal_generate
// tracepoint records, in the sender's context, the sending process, its
// parent, user, login user (audit loginuid) and session, and the latest
// record per signal is read when the signal arrives. It needs Linux with
// BTF and the right to load BPF programs (root or CAP_BPF+CAP_PERFMON);
// elsewhere Start says why it cannot run.
package sigtrace

import (
	"errors"
	"syscall"
	"time"
)

// ErrUnsupported is returned by Start where tracing cannot run.
var ErrUnsupported = errors.New("signal sender tracing is not supported on this system")

// NoID is the value of LoginUID and SessionID when the sender has none
// (a process not started from a login, or a kernel without audit).
const NoID = ^uint32(0)

// Sender is who sent one signal.
type Sender struct {
	Signal syscall.Signal
	// At is when the kernel generated the signal (wall clock, derived from
	// the monotonic clock of the record).
	At time.Time
	// FromKernel: the kernel raised the signal itself (si_code SI_KERNEL);
	// the process fields are then the task that was running, not a sender.
	FromKernel bool
	// Code is the siginfo si_code (0 SI_USER for kill(2), -6 SI_TKILL ...).
	Code int32
	PID  int
	// PPID is the sender's parent process.
	PPID       int
	UID, GID   uint32
	LoginUID   uint32
	SessionID  uint32
	Command    string // the sender's comm (at most 15 bytes)
	ParentComm string
}
