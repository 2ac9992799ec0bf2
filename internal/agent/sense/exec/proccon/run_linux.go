package proccon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable"
)

// tickInterval is the longest a receive waits before the sensor looks at
// the clock: forks waiting for an exec, table upkeep.
const tickInterval = 100 * time.Millisecond

// probeWait bounds the wait for the probe's own process events.
const probeWait = 5 * time.Second

// Probe implements plugin.Alternative: it subscribes to the proc
// connector, runs a short command and waits for its events (the
// connector is silent in a network namespace other than the initial one).
func (s *Sensor) Probe(ctx context.Context) error {
	c, err := dial()
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.setTimeout(tickInterval); err != nil {
		return fmt.Errorf("set the receive timeout: %w", err)
	}
	var path string
	for _, p := range []string{"/bin/true", "/usr/bin/true", "/bin/sh"} {
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		return nil // nothing to run: the subscription alone must do
	}
	cmd := exec.CommandContext(ctx, path)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", path, err)
	}
	pid := uint32(cmd.Process.Pid)
	_ = cmd.Wait()
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(probeWait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n, err := c.receive(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, unix.ENOBUFS) {
				continue
			}
			return fmt.Errorf("receive: %w", err)
		}
		seen := false
		_ = decodeMessages(buf[:n], func(e procEvent) { seen = seen || e.TGID == pid })
		if seen {
			return nil
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("no event about process %d from the proc connector within %v (a network namespace other than the host's?)", pid, probeWait)
}

// Run implements plugin.Sensor.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) error {
	t, settings, err := s.Begin()
	if err != nil {
		return err
	}
	c, err := dial()
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	defer c.close()
	if err := c.setTimeout(tickInterval); err != nil {
		return fmt.Errorf("%s: set the receive timeout: %w", Name, err)
	}
	// Seed after subscribing, so that no process falls between the two.
	stream, err := s.Open(t, settings, emit)
	if err != nil {
		return err
	}
	defer stream.Close()

	h := handler{s: s, t: t, stream: stream, emit: emit}
	buf := make([]byte, 64<<10)
	lastTick, lastMaintain := time.Now(), time.Now()
	for ctx.Err() == nil {
		n, err := c.receive(buf)
		switch {
		case err == nil:
			h.datagram(buf[:n])
		case errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, unix.ENOBUFS):
			// The sequence numbers of the next events tell how many.
			s.Count(func(st *Stats) { st.Overflows++ })
		default:
			return fmt.Errorf("%s: receive: %w", Name, err)
		}
		if now := time.Now(); now.Sub(lastTick) >= tickInterval {
			lastTick = now
			stream.Tick(now)
			if now.Sub(lastMaintain) >= time.Second {
				lastMaintain = now
				t.Maintain(now)
			}
		}
	}
	return nil
}

// handler turns proc events into stream calls.
type handler struct {
	s      *Sensor
	t      *proctable.Table
	stream *proctable.Stream
	emit   plugin.Emitter
	seq    seqTracker
}

// datagram takes one datagram of the connector.
func (h *handler) datagram(b []byte) {
	if err := decodeMessages(b, h.handle); err != nil {
		h.emit.Lost(1)
		h.s.Count(func(st *Stats) { st.Malformed++ })
		h.s.Logger().Warn("malformed proc connector message", "plugin", Name, "err", err)
	}
}

// handle takes one event.
func (h *handler) handle(ev procEvent) {
	if lost := h.seq.gap(ev); lost > 0 {
		h.emit.Lost(lost)
		h.s.Count(func(st *Stats) { st.Lost += lost })
	}
	at := h.t.Clock().FromMonotonic(ev.TimestampNS)
	pid := int(ev.TGID)
	switch ev.What {
	case procEventFork:
		if ev.PID != ev.TGID {
			return // a thread
		}
		h.s.Count(func(st *Stats) { st.Fork++ })
		h.stream.Fork(at, h.forkChild(ev, pid))
	case procEventExec:
		h.s.Count(func(st *Stats) { st.Exec++ })
		h.stream.Exec(at, h.execed(ev, pid))
	case procEventExit:
		if ev.PID != ev.TGID {
			return // a thread; the process ends with its main thread
		}
		h.s.Count(func(st *Stats) { st.Exit++ })
		id := ""
		if p, ok := h.t.Get(pid); ok {
			id = p.EntityID
		}
		var unknown *proctable.Process
		if id == "" {
			unknown = h.gone(ev, pid, nil)
		}
		h.stream.Exit(at, pid, id, proctable.ExitStatus(ev.ExitCode), unknown)
	case procEventUID:
		h.s.Count(func(st *Stats) { st.UID++ })
		h.t.Update(pid, "", func(p *proctable.Process) { p.UID, p.EUID = ev.RealID, ev.EffectiveID })
	case procEventGID:
		h.s.Count(func(st *Stats) { st.GID++ })
		h.t.Update(pid, "", func(p *proctable.Process) { p.GID, p.EGID = ev.RealID, ev.EffectiveID })
	case procEventSID:
		h.s.Count(func(st *Stats) { st.SID++ })
		// A new session has no controlling terminal.
		h.t.Update(pid, "", func(p *proctable.Process) { p.TTY = "" })
	}
}

// forkChild describes the child of a fork event.
func (h *handler) forkChild(ev procEvent, pid int) *proctable.Process {
	ppid := int(ev.ParentTGID)
	parent, _ := h.t.Lookup(ppid)
	p, err := h.t.ReadProc(pid)
	var c *proctable.Process
	if err == nil {
		c = h.t.ForkChild(parent, pid, ppid, p.StartTicks, p.Start)
		c.UID, c.EUID, c.GID, c.EGID = p.UID, p.EUID, p.GID, p.EGID
	} else {
		// Gone already: its start time is about the event's.
		ticks := procid.TicksFromBootNS(h.t.Clock().MonotonicToBoot(ev.TimestampNS))
		c = h.t.ForkChild(parent, pid, ppid, ticks, h.t.Clock().FromMonotonic(ev.TimestampNS))
		c.Missing = append(c.Missing, proctable.FieldStart)
	}
	if parent == nil {
		c.Missing = append(c.Missing, proctable.FieldParent)
	}
	return c
}

// execed describes the process of an exec event from /proc, or, when it
// is gone, from what the table knew of it.
func (h *handler) execed(ev procEvent, pid int) *proctable.Process {
	p, err := h.t.ReadProc(pid)
	if err == nil {
		return p
	}
	base, ok := h.t.Get(pid)
	if !ok {
		// A sweep may have put its fork aside while the sensor was
		// behind the kernel.
		base, _ = h.t.Retired(pid)
	}
	return h.gone(ev, pid, base)
}

// gone describes a process that /proc no longer shows: its identity and
// ids from base (what the table knew: its fork) when there is one, the
// image fields missing.
func (h *handler) gone(ev procEvent, pid int, base *proctable.Process) *proctable.Process {
	missing := []string{proctable.FieldExecutable, proctable.FieldArgs, proctable.FieldCwd,
		proctable.FieldCgroup, proctable.FieldStdio}
	if base == nil {
		if p, err := h.t.ReadProc(pid); err == nil { // a zombie still has its stat
			p.Missing = append(p.Missing, missing...)
			return p
		}
		ticks := procid.TicksFromBootNS(h.t.Clock().MonotonicToBoot(ev.TimestampNS))
		return &proctable.Process{
			EntityID: h.t.EntityID(pid, ticks), PID: pid, PPID: int(ev.ParentTGID), StartTicks: ticks,
			AUID: proctable.NoID, SessionID: proctable.NoID,
			Missing: append(missing, proctable.FieldStart, proctable.FieldUser, proctable.FieldParent),
		}
	}
	p := &proctable.Process{
		EntityID: base.EntityID, PID: pid, PPID: base.PPID, ParentEntityID: base.ParentEntityID,
		StartTicks: base.StartTicks, Start: base.Start, Name: base.Name,
		UID: base.UID, EUID: base.EUID, GID: base.GID, EGID: base.EGID, AUID: base.AUID, SessionID: base.SessionID,
		TTY: base.TTY, Container: base.Container, Missing: missing,
	}
	if base.IsMissing(proctable.FieldStart) {
		p.Missing = append(p.Missing, proctable.FieldStart)
	}
	return p
}
