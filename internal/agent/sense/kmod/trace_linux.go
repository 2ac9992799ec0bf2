//go:build linux && (amd64 || arm64)

package kmod

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// probeKernel reports whether the kernel has BTF, and whether its BTF has
// the module tracepoints (and if not, why).
func probeKernel() (hasBTF, tracepoints bool, why error) {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return false, false, fmt.Errorf("the kernel has no BTF: %w", err)
	}
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return false, false, fmt.Errorf("the kernel's BTF: %w", err)
	}
	for _, tp := range []string{"btf_trace_module_load", "btf_trace_module_free"} {
		if _, err := spec.AnyTypeByName(tp); err != nil {
			return true, false, fmt.Errorf("the kernel has no %s tracepoint (%s not in its BTF)", tp[len("btf_trace_"):], tp)
		}
	}
	return true, true, nil
}

// tracer runs the eBPF programs and reads their records.
type tracer struct {
	coll  *ebpf.Collection
	links []link.Link
	rd    *ringbuf.Reader
	rec   ringbuf.Record
}

// errTracerClosed is returned by read once the tracer is closed.
var errTracerClosed = errors.New("kmod tracer closed")

// startTracer loads and attaches the programs: module_load and
// module_free when modules is set, sys_exit when attempts is.
func startTracer(modules, attempts bool) (*tracer, error) {
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("kmod: raise the memlock limit: %w", err)
	}
	spec, err := loadKmod()
	if err != nil {
		return nil, fmt.Errorf("kmod: read the eBPF object: %w", err)
	}
	if !modules {
		delete(spec.Programs, kmodProgModuleLoad)
		delete(spec.Programs, kmodProgModuleFree)
	}
	if !attempts {
		delete(spec.Programs, kmodProgSysExit)
	}
	if len(spec.Programs) == 0 {
		return nil, errors.New("kmod: no eBPF program to run")
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("kmod: load the eBPF programs: %w", explain(err))
	}
	t := &tracer{coll: coll}
	for name, prog := range coll.Programs {
		l, err := link.AttachTracing(link.TracingOptions{Program: prog})
		if err != nil {
			_ = t.close()
			return nil, fmt.Errorf("kmod: attach %s: %w", name, explain(err))
		}
		t.links = append(t.links, l)
	}
	if t.rd, err = ringbuf.NewReader(coll.Maps[kmodMapEvents]); err != nil {
		_ = t.close()
		return nil, fmt.Errorf("kmod: ring buffer: %w", err)
	}
	return t, nil
}

// explain adds the usual cause to a permission error.
func explain(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%w (needs root or CAP_BPF and CAP_PERFMON)", err)
	}
	return err
}

// setDeadline bounds the wait of the next reads.
func (t *tracer) setDeadline(at time.Time) { t.rd.SetDeadline(at) }

// read returns the next raw record, or ok false when none came before
// the deadline set with setDeadline.
func (t *tracer) read() (raw []byte, ok bool, err error) {
	err = t.rd.ReadInto(&t.rec)
	switch {
	case err == nil:
		return t.rec.RawSample, true, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, false, nil
	case errors.Is(err, ringbuf.ErrClosed), errors.Is(err, os.ErrClosed):
		return nil, false, errTracerClosed
	}
	return nil, false, fmt.Errorf("kmod: read the ring buffer: %w", err)
}

// lost returns how many records did not fit in the ring buffer so far.
func (t *tracer) lost() (uint64, error) {
	var n uint64
	if err := t.coll.Maps[kmodMapLost].Lookup(uint32(0), &n); err != nil {
		return 0, fmt.Errorf("kmod: read the loss counter: %w", err)
	}
	return n, nil
}

// interrupt makes a blocked read return errTracerClosed; safe to call
// from another goroutine.
func (t *tracer) interrupt() {
	if t.rd != nil {
		_ = t.rd.Close()
	}
}

// close detaches and unloads everything.
func (t *tracer) close() error {
	var errs []error
	if t.rd != nil {
		errs = append(errs, t.rd.Close())
	}
	for _, l := range t.links {
		errs = append(errs, l.Close())
	}
	t.coll.Close()
	return errors.Join(errs...)
}
