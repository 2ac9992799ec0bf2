//go:build linux && (amd64 || arm64)

package ebpf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable"
)

// tickInterval is the longest the reader waits for a record before it
// looks at the clock: forks waiting for an exec, lost records, table
// upkeep.
const tickInterval = 100 * time.Millisecond

// lostInterval is the time between two reads of the kernel's lost
// counters.
const lostInterval = time.Second

// loaded is the programs, attached.
type loaded struct {
	objs  execObjects
	links []link.Link
}

// Close detaches and unloads the programs.
func (l *loaded) Close() error {
	var errs []error
	for _, k := range l.links {
		errs = append(errs, k.Close())
	}
	errs = append(errs, l.objs.Close())
	return errors.Join(errs...)
}

// load loads and attaches the programs with a ring buffer of ringMiB.
func load(ringMiB int) (*loaded, error) {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return nil, fmt.Errorf("the kernel has no BTF (/sys/kernel/btf/vmlinux): %w", err)
	}
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("raise the memlock limit: %w", err)
	}
	spec, err := loadExec()
	if err != nil {
		return nil, fmt.Errorf("read the programs: %w", err)
	}
	if ringMiB <= 0 {
		ringMiB = DefaultRingBufferMiB
	}
	spec.Maps[execMapEvents].MaxEntries = uint32(ringMiB) << 20
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("count the CPUs: %w", err)
	}
	spec.Maps[execMapScratch].MaxEntries = uint32(cpus)
	l := &loaded{}
	if err := spec.LoadAndAssign(&l.objs, nil); err != nil {
		return nil, fmt.Errorf("load into the kernel: %w", explain(err))
	}
	for _, prog := range []struct {
		name string
		p    *ebpf.Program
	}{{"sched_process_exec", l.objs.HandleExec}, {"sched_process_fork", l.objs.HandleFork}, {"sched_process_exit", l.objs.HandleExit}} {
		k, err := link.AttachTracing(link.TracingOptions{Program: prog.p})
		if err != nil {
			_ = l.Close()
			return nil, fmt.Errorf("attach to %s: %w", prog.name, explain(err))
		}
		l.links = append(l.links, k)
	}
	return l, nil
}

// explain adds the usual cause to a permission error (the verifier's
// refusals come with EACCES too; they explain themselves).
func explain(err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return err
	}
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%w (needs root or CAP_BPF and CAP_PERFMON)", err)
	}
	return err
}

// Probe implements plugin.Alternative: it loads, attaches, detaches and
// unloads the programs.
func (s *Sensor) Probe(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l, err := load(1)
	if err != nil {
		return err
	}
	return l.Close()
}

// Run implements plugin.Sensor.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) error {
	t, settings, err := s.Begin()
	if err != nil {
		return err
	}
	l, err := load(settings.RingBufferMiB)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	defer l.Close()
	rd, err := ringbuf.NewReader(l.objs.Events)
	if err != nil {
		return fmt.Errorf("%s: open the ring buffer: %w", Name, err)
	}
	defer rd.Close()
	// Seed after attaching, so that no process falls between the two;
	// records of processes seeded meanwhile only refresh them.
	stream, err := s.Open(t, settings, emit)
	if err != nil {
		return err
	}
	defer stream.Close()

	r := reader{s: s, t: t, stream: stream, emit: emit, lostMap: l.objs.Lost}
	var rec ringbuf.Record
	lastTick, lastLost := time.Now(), time.Now()
	for ctx.Err() == nil {
		rd.SetDeadline(time.Now().Add(tickInterval))
		err := rd.ReadInto(&rec)
		switch {
		case err == nil:
			r.handle(rec.RawSample)
		case errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, ringbuf.ErrClosed):
			return nil
		default:
			emit.Lost(1)
			s.Count(func(st *Stats) { st.ReadErrors++ })
			s.Logger().Warn("ring buffer read failed", "plugin", Name, "err", err)
		}
		if now := time.Now(); now.Sub(lastTick) >= tickInterval {
			lastTick = now
			stream.Tick(now)
			if now.Sub(lastLost) >= lostInterval {
				lastLost = now
				r.pollLost()
				t.Maintain(now)
			}
		}
	}
	r.pollLost()
	return nil
}

// reader turns records into stream calls.
type reader struct {
	s       *Sensor
	t       *proctable.Table
	stream  *proctable.Stream
	emit    plugin.Emitter
	lostMap *ebpf.Map
	lost    uint64

	exec execRecord
	fork forkRecord
	exit exitRecord
}

// handle decodes and applies one record.
func (r *reader) handle(b []byte) {
	kind, err := recordKind(b)
	if err == nil {
		switch kind {
		case recordExec:
			if err = decodeExec(b, &r.exec); err == nil {
				r.onExec()
			}
		case recordFork:
			if err = decodeFork(b, &r.fork); err == nil {
				r.onFork()
			}
		case recordExit:
			if err = decodeExit(b, &r.exit); err == nil {
				r.onExit()
			}
		default:
			err = fmt.Errorf("%w: kind %d", errBadRecord, kind)
		}
	}
	if err != nil {
		r.emit.Lost(1)
		r.s.Count(func(st *Stats) { st.Malformed++ })
		r.s.Logger().Warn("malformed ring buffer record", "plugin", Name, "err", err)
	}
}

func (r *reader) onExec() {
	r.s.Count(func(st *Stats) { st.Exec++ })
	p := execProcess(r.t, &r.exec)
	if p.IsMissing(proctable.FieldExecutable) {
		// The path was too deep for the kernel's walk: /proc has it
		// while the process lives.
		if exe, err := os.Readlink(r.t.Root() + "/proc/" + strconv.Itoa(p.PID) + "/exe"); err == nil {
			if st, err := os.ReadFile(r.t.Root() + "/proc/" + strconv.Itoa(p.PID) + "/stat"); err == nil && sameStart(st, p.StartTicks) {
				p.Executable = exe
				p.Missing = without(p.Missing, proctable.FieldExecutable)
			}
		}
	}
	r.stream.Exec(r.t.Clock().FromBoot(r.exec.Ktime), p)
}

func (r *reader) onFork() {
	r.s.Count(func(st *Stats) { st.Fork++ })
	r.stream.Fork(r.t.Clock().FromBoot(r.fork.Ktime), forkProcess(r.t, &r.fork))
}

func (r *reader) onExit() {
	r.s.Count(func(st *Stats) { st.Exit++ })
	e := &r.exit
	id := r.t.EntityID(int(e.PID), procid.TicksFromBootNS(e.StartNS))
	r.stream.Exit(r.t.Clock().FromBoot(e.Ktime), int(e.PID), id, proctable.ExitStatus(e.ExitCode), exitProcess(r.t, e))
}

// pollLost reports the records the kernel could not put in the ring
// buffer since the last poll.
func (r *reader) pollLost() {
	var total uint64
	for kind := uint32(recordExec); kind <= recordExit; kind++ {
		var perCPU []uint64
		if err := r.lostMap.Lookup(kind, &perCPU); err != nil {
			continue
		}
		for _, n := range perCPU {
			total += n
		}
	}
	if total > r.lost {
		d := total - r.lost
		r.lost = total
		r.emit.Lost(d)
		r.s.Count(func(st *Stats) { st.KernelLost += d })
	}
}
