//go:build linux && (amd64 || arm64)

package sigtrace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// Tracer records the senders of the signals to one process.
type Tracer struct {
	objs sigtraceObjects
	link link.Link
}

// Start loads the program and attaches it for the signals sent to the
// process pid. Close releases it.
func Start(pid int) (*Tracer, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("sigtrace: bad pid %d", pid)
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return nil, fmt.Errorf("%w: the kernel has no BTF (/sys/kernel/btf/vmlinux): %w", ErrUnsupported, err)
	}
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("%w: raise the memlock limit: %w", ErrUnsupported, err)
	}
	spec, err := loadSigtrace()
	if err != nil {
		return nil, fmt.Errorf("sigtrace: load the program: %w", err)
	}
	if err := spec.Variables[sigtraceVarTargetTgid].Set(uint32(pid)); err != nil {
		return nil, fmt.Errorf("sigtrace: set the target: %w", err)
	}
	t := &Tracer{}
	if err := spec.LoadAndAssign(&t.objs, nil); err != nil {
		return nil, fmt.Errorf("%w: load into the kernel: %w", ErrUnsupported, explain(err))
	}
	l, err := link.AttachTracing(link.TracingOptions{Program: t.objs.SignalGenerate})
	if err != nil {
		_ = t.objs.Close()
		return nil, fmt.Errorf("%w: attach to signal_generate: %w", ErrUnsupported, explain(err))
	}
	t.link = l
	return t, nil
}

// explain adds the usual cause to a permission error.
func explain(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%w (needs root or CAP_BPF and CAP_PERFMON)", err)
	}
	return err
}

// Last returns the latest recorded sender of sig, if any was recorded.
func (t *Tracer) Last(sig syscall.Signal) (Sender, bool) {
	if t == nil || sig <= 0 || sig > 64 {
		return Sender{}, false
	}
	var rec sigtraceSender
	if err := t.objs.Senders.Lookup(uint32(sig), &rec); err != nil || rec.KtimeNs == 0 {
		return Sender{}, false
	}
	return Sender{
		Signal:     syscall.Signal(rec.Signal),
		At:         wallClock(rec.KtimeNs),
		FromKernel: rec.SiCode == 0x80,
		Code:       rec.SiCode,
		PID:        int(rec.Tgid),
		PPID:       int(rec.Ppid),
		UID:        rec.Uid,
		GID:        rec.Gid,
		LoginUID:   rec.Loginuid,
		SessionID:  rec.Sessionid,
		Command:    cString(rec.Comm[:]),
		ParentComm: cString(rec.ParentComm[:]),
	}, true
}

// Close detaches and unloads the program.
func (t *Tracer) Close() error {
	if t == nil {
		return nil
	}
	var errs []error
	if t.link != nil {
		errs = append(errs, t.link.Close())
	}
	errs = append(errs, t.objs.Close())
	return errors.Join(errs...)
}

// wallClock turns a bpf_ktime_get_ns (CLOCK_MONOTONIC) reading into wall
// time.
func wallClock(ktime uint64) time.Time {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return time.Time{}
	}
	ago := time.Duration(ts.Nano() - int64(ktime))
	return time.Now().Add(-ago)
}

// cString returns the text of a NUL-terminated comm.
func cString(b []int8) string {
	raw := make([]byte, len(b))
	for i, c := range b {
		raw[i] = byte(c)
	}
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		raw = raw[:i]
	}
	return string(raw)
}
