package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable"
	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
)

// Timing of the loop.
const (
	// tickInterval is the longest a receive waits before the sensor
	// looks at the clock.
	tickInterval = 100 * time.Millisecond
	// unfinishedAfter is how long an event waits for its end record.
	unfinishedAfter = 3 * time.Second
	// maxPending bounds the events waiting for their end record.
	maxPending = 4096
)

// Probe implements plugin.Alternative: it checks the audit status
// (refusing an immutable configuration, the panic failure mode and, unless
// audit_daemon is "share", a running audit daemon) and opens the
// receiving socket (registering as the audit process for a moment), then
// closes it again.
func (s *Sensor) Probe(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	settings := s.Settings()
	if _, _, err := buildRules(); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	c, err := dialControl()
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	st, err := c.GetStatus()
	c.Close()
	if err != nil {
		return fmt.Errorf("%s: get the audit status: %w", Name, err)
	}
	multicast, err := checkStatus(st, settings.AuditDaemon == DaemonShare)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	r, err := openReceiver(multicast, tickInterval)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	if err := r.close(); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	return nil
}

// Run implements plugin.Sensor.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) (err error) {
	t, settings, err := s.Begin()
	if err != nil {
		return err
	}
	sess, err := begin(settings, s.Logger(), tickInterval)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	defer func() {
		if e := sess.end(); e != nil {
			err = errors.Join(err, fmt.Errorf("%s: restore the audit state: %w", Name, e))
		}
	}()
	s.Count(func(st *Stats) { st.Multicast = sess.recv.multicast })
	lostBase, err := sess.lost()
	if err != nil {
		return fmt.Errorf("%s: get the audit status: %w", Name, err)
	}
	// Seed after the rules are in, so that no process falls between.
	stream, err := s.Open(t, settings, emit)
	if err != nil {
		return err
	}
	defer stream.Close()

	h := &handler{s: s, t: t, stream: stream, emit: emit,
		asm: newAssembler(proctable.DefaultMaxArgsBytes, maxPending)}
	buf := make([]byte, 64<<10)
	lastTick, lastMaintain := time.Now(), time.Now()
	for ctx.Err() == nil {
		n, err := sess.recv.receive(buf)
		switch {
		case err == nil:
			h.message(buf[:n])
		case errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, unix.ENOBUFS):
			emit.Lost(1)
			s.Count(func(st *Stats) { st.Overflows++ })
		default:
			return fmt.Errorf("%s: receive: %w", Name, err)
		}
		if now := time.Now(); now.Sub(lastTick) >= tickInterval {
			lastTick = now
			for _, ev := range h.asm.expire(now, unfinishedAfter) {
				h.unfinished(ev)
			}
			stream.Tick(now)
			if now.Sub(lastMaintain) >= time.Second {
				lastMaintain = now
				t.Maintain(now)
				if lost, err := sess.lost(); err == nil {
					if d := lostDelta(lostBase, lost); d > 0 {
						emit.Lost(d)
						s.Count(func(st *Stats) { st.KernelLost += d })
					}
					lostBase = lost
				}
			}
		}
	}
	return nil
}

// lostDelta is the growth of the kernel's lost counter; a smaller value
// means it was reset (by an audit daemon), and counts from zero.
func lostDelta(before, now uint32) uint64 {
	if now >= before {
		return uint64(now - before)
	}
	return uint64(now)
}

// handler turns audit events into stream calls.
type handler struct {
	s      *Sensor
	t      *proctable.Table
	stream *proctable.Stream
	emit   plugin.Emitter
	asm    *assembler
}

// message takes one netlink message.
func (h *handler) message(b []byte) {
	typ, data, ok := splitMessage(b)
	if !ok {
		h.malformed(errors.New("short netlink message"))
		return
	}
	ev, err := h.asm.add(typ, data, time.Now())
	if err != nil {
		h.malformed(err)
		return
	}
	if ev != nil {
		h.event(ev)
	}
}

func (h *handler) malformed(err error) {
	h.emit.Lost(1)
	h.s.Count(func(st *Stats) { st.Malformed++ })
	h.s.Logger().Warn("malformed audit record", "plugin", Name, "err", err)
}

// unfinished takes an event whose end record did not come: it is
// reported when its SYSCALL record is in, and counted.
func (h *handler) unfinished(ev *auditEvent) {
	h.s.Count(func(st *Stats) { st.Unfinished++ })
	if !ev.HaveSyscall {
		h.emit.Lost(1)
		return
	}
	h.event(ev)
}

// event reports one complete audit event.
func (h *handler) event(ev *auditEvent) {
	if !ev.HaveSyscall {
		h.emit.Lost(1)
		h.s.Count(func(st *Stats) { st.Unfinished++ })
		return
	}
	switch ev.Kind {
	case kindExec:
		if !ev.Success {
			h.s.Count(func(st *Stats) { st.FailedExec++ })
			return
		}
		h.s.Count(func(st *Stats) { st.Exec++ })
		h.stream.Exec(ev.At, h.execProcess(ev))
	case kindExitGroup:
		h.s.Count(func(st *Stats) { st.Exit++ })
		status := proctable.ExitStatus((ev.A0 & 0xff) << 8)
		id := ""
		var unknown *proctable.Process
		if p, ok := h.t.Get(ev.PID); ok {
			id = p.EntityID
		} else {
			unknown = h.exitedProcess(ev)
		}
		h.stream.Exit(ev.At, ev.PID, id, status, unknown)
	}
}

// execProcess describes the process of an exec event: the audit records
// for the image, /proc for its start, container and stdio.
func (h *handler) execProcess(ev *auditEvent) *proctable.Process {
	p := &proctable.Process{
		PID: ev.PID, PPID: ev.PPID, Name: ev.Comm, Executable: ev.Exe, WorkingDir: ev.Cwd,
		UID: ev.UID, EUID: ev.EUID, GID: ev.GID, EGID: ev.EGID, AUID: ev.AUID, SessionID: ev.SessionID,
		TTY: procparse.KernelTTYName(ev.TTY),
	}
	switch {
	case ev.HaveExecve:
		p.Args, p.ArgsTruncated = ev.args(), ev.ArgsTruncated
	case len(ev.Proctitle) > 0:
		p.Args, _ = procparse.ParseArgs(ev.Proctitle, 0)
		p.ArgsTruncated = true
	default:
		p.Missing = append(p.Missing, proctable.FieldArgs)
	}
	if ev.Exe == "" {
		p.Missing = append(p.Missing, proctable.FieldExecutable)
	}
	if ev.Cwd == "" {
		p.Missing = append(p.Missing, proctable.FieldCwd)
	}
	if ev.Path0 != "" && ev.Path0 != ev.Exe {
		p.ExecPath = ev.Path0
	}
	if q, err := h.t.ReadProc(ev.PID); err == nil && !q.Start.After(ev.At.Add(time.Second)) {
		p.StartTicks, p.Start, p.EntityID = q.StartTicks, q.Start, q.EntityID
		if q.PPID == ev.PPID {
			p.ParentEntityID = q.ParentEntityID
		}
		p.Container, p.Stdio = q.Container, q.Stdio
		for _, f := range []string{proctable.FieldCgroup, proctable.FieldStdio} {
			if q.IsMissing(f) {
				p.Missing = append(p.Missing, f)
			}
		}
		if q.Executable == p.Executable {
			p.Exe = q.Exe
		}
	} else {
		// Gone already: the same process's earlier image tells its start;
		// else it is about the event's time.
		if base, ok := h.t.Get(ev.PID); ok && base.PPID == ev.PPID && !base.IsMissing(proctable.FieldStart) {
			p.StartTicks, p.Start, p.EntityID, p.Container = base.StartTicks, base.Start, base.EntityID, base.Container
		} else {
			p.StartTicks = procid.TicksFromBootNS(h.t.Clock().BootNS(ev.At))
			p.Start, p.EntityID = ev.At, h.t.EntityID(ev.PID, p.StartTicks)
			p.Missing = append(p.Missing, proctable.FieldStart)
		}
		p.Missing = append(p.Missing, proctable.FieldCgroup, proctable.FieldStdio)
	}
	if p.ParentEntityID == "" && p.PPID > 0 {
		if parent, ok := h.t.Lookup(p.PPID); ok {
			p.ParentEntityID = parent.EntityID
		} else {
			p.Missing = append(p.Missing, proctable.FieldParent)
		}
	}
	return p
}

// exitedProcess describes a process the table does not know from its
// exit_group record.
func (h *handler) exitedProcess(ev *auditEvent) *proctable.Process {
	p := &proctable.Process{
		PID: ev.PID, PPID: ev.PPID, Name: ev.Comm, Executable: ev.Exe,
		UID: ev.UID, EUID: ev.EUID, GID: ev.GID, EGID: ev.EGID, AUID: ev.AUID, SessionID: ev.SessionID,
		TTY:     procparse.KernelTTYName(ev.TTY),
		Missing: []string{proctable.FieldArgs, proctable.FieldCwd, proctable.FieldCgroup, proctable.FieldStdio},
	}
	if q, err := h.t.ReadProc(ev.PID); err == nil && !q.Start.After(ev.At.Add(time.Second)) { // a zombie
		p.StartTicks, p.Start, p.EntityID, p.ParentEntityID = q.StartTicks, q.Start, q.EntityID, q.ParentEntityID
	} else {
		p.StartTicks = procid.TicksFromBootNS(h.t.Clock().BootNS(ev.At))
		p.Start, p.EntityID = ev.At, h.t.EntityID(ev.PID, p.StartTicks)
		p.Missing = append(p.Missing, proctable.FieldStart)
	}
	return p
}
