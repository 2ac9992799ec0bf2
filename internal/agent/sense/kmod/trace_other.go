//go:build !(linux && (amd64 || arm64))

package kmod

import (
	"errors"
	"time"
)

// errNoTracer: the eBPF programs are built for Linux on amd64 and arm64.
var errNoTracer = errors.New("kmod: eBPF tracing needs Linux on amd64 or arm64")

// errTracerClosed is returned by read once the tracer is closed.
var errTracerClosed = errors.New("kmod tracer closed")

// probeKernel reports no BTF: the programs cannot run here.
func probeKernel() (hasBTF, tracepoints bool, why error) { return false, false, errNoTracer }

// tracer cannot run here.
type tracer struct{}

func startTracer(bool, bool) (*tracer, error) { return nil, errNoTracer }
func (*tracer) setDeadline(time.Time)         {}
func (*tracer) read() ([]byte, bool, error)   { return nil, false, errTracerClosed }
func (*tracer) lost() (uint64, error)         { return 0, nil }
func (*tracer) interrupt()                    {}
func (*tracer) close() error                  { return nil }
