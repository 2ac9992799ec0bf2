//go:build !(linux && (amd64 || arm64))

package sigtrace

import "syscall"

// Tracer records the senders of the signals to one process; it cannot
// run on this system.
type Tracer struct{}

// Start returns ErrUnsupported: tracing needs Linux eBPF on amd64 or arm64.
func Start(int) (*Tracer, error) { return nil, ErrUnsupported }

// Last reports no sender.
func (*Tracer) Last(syscall.Signal) (Sender, bool) { return Sender{}, false }

// Close does nothing.
func (*Tracer) Close() error { return nil }
