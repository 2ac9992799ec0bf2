package proccon

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// What a proc connector event reports (linux/cn_proc.h, enum what).
const (
	procEventNone = 0x00000000
	procEventFork = 0x00000001
	procEventExec = 0x00000002
	procEventUID  = 0x00000004
	procEventGID  = 0x00000040
	procEventSID  = 0x00000080
	procEventExit = 0x80000000
)

// Sizes of the headers of a proc connector message.
const (
	nlmsgHeaderSize = 16
	cnMsgSize       = 20
	procEventHead   = 16 // what, cpu, timestamp_ns
	cnIdxProc       = 1
	cnValProc       = 1
	nlmsgDone       = 3
	nlmsgError      = 2
)

// errBadMessage is wrapped by the errors of decodeMessages.
var errBadMessage = errors.New("malformed proc connector message")

// procEvent is one decoded proc connector event. The fields used depend
// on What.
type procEvent struct {
	What uint32
	CPU  uint32
	// Seq is the connector's per-CPU sequence number.
	Seq uint32
	// TimestampNS is CLOCK_MONOTONIC nanoseconds.
	TimestampNS uint64
	// PID and TGID are the thread and process the event is about (the
	// child for a fork).
	PID, TGID uint32
	// ParentPID and ParentTGID: the forking thread and its process.
	ParentPID, ParentTGID uint32
	// Real and effective uid or gid (UID and GID events).
	RealID, EffectiveID uint32
	// ExitCode is the wait status of an exit.
	ExitCode, ExitSignal uint32
}

var ne = binary.NativeEndian

// decodeMessages decodes the netlink messages of one datagram and hands
// each proc event to fn. Messages of other kinds are skipped; a malformed
// message ends the datagram with an error (the events before it were
// handed over).
func decodeMessages(b []byte, fn func(procEvent)) error {
	for len(b) > 0 {
		if len(b) < nlmsgHeaderSize {
			return fmt.Errorf("%w: %d bytes left, short of a netlink header", errBadMessage, len(b))
		}
		msgLen := int(ne.Uint32(b[0:]))
		typ := ne.Uint16(b[4:])
		if msgLen < nlmsgHeaderSize || msgLen > len(b) {
			return fmt.Errorf("%w: netlink length %d of %d bytes", errBadMessage, msgLen, len(b))
		}
		body := b[nlmsgHeaderSize:msgLen]
		aligned := (msgLen + 3) &^ 3
		if aligned > len(b) {
			aligned = len(b)
		}
		b = b[aligned:]
		if typ == nlmsgError {
			return fmt.Errorf("%w: netlink error message", errBadMessage)
		}
		if typ != nlmsgDone {
			continue
		}
		if err := decodeConnector(body, fn); err != nil {
			return err
		}
	}
	return nil
}

// decodeConnector decodes one cn_msg carrying a proc_event.
func decodeConnector(b []byte, fn func(procEvent)) error {
	if len(b) < cnMsgSize {
		return fmt.Errorf("%w: %d bytes, short of a connector header", errBadMessage, len(b))
	}
	idx, val := ne.Uint32(b[0:]), ne.Uint32(b[4:])
	if idx != cnIdxProc || val != cnValProc {
		return nil // another connector's message
	}
	seq := ne.Uint32(b[8:])
	dataLen := int(ne.Uint16(b[16:]))
	data := b[cnMsgSize:]
	if dataLen > len(data) {
		return fmt.Errorf("%w: connector data of %d bytes announced, %d present", errBadMessage, dataLen, len(data))
	}
	data = data[:dataLen]
	if len(data) < procEventHead {
		return fmt.Errorf("%w: proc event of %d bytes", errBadMessage, len(data))
	}
	ev := procEvent{What: ne.Uint32(data[0:]), CPU: ne.Uint32(data[4:]), Seq: seq, TimestampNS: ne.Uint64(data[8:])}
	u := data[procEventHead:]
	need := 0
	switch ev.What {
	case procEventNone:
		return nil // the answer to a listen request
	case procEventFork:
		need = 16
	case procEventExec, procEventSID:
		need = 8
	case procEventUID, procEventGID:
		need = 16
	case procEventExit:
		need = 16 // parent_pid and parent_tgid follow on newer kernels
	default:
		fn(ev) // counted by the caller, not decoded
		return nil
	}
	if len(u) < need {
		return fmt.Errorf("%w: event %#x of %d bytes, want %d", errBadMessage, ev.What, len(u), need)
	}
	switch ev.What {
	case procEventFork:
		ev.ParentPID, ev.ParentTGID = ne.Uint32(u[0:]), ne.Uint32(u[4:])
		ev.PID, ev.TGID = ne.Uint32(u[8:]), ne.Uint32(u[12:])
	case procEventExec, procEventSID:
		ev.PID, ev.TGID = ne.Uint32(u[0:]), ne.Uint32(u[4:])
	case procEventUID, procEventGID:
		ev.PID, ev.TGID = ne.Uint32(u[0:]), ne.Uint32(u[4:])
		ev.RealID, ev.EffectiveID = ne.Uint32(u[8:]), ne.Uint32(u[12:])
	case procEventExit:
		ev.PID, ev.TGID = ne.Uint32(u[0:]), ne.Uint32(u[4:])
		ev.ExitCode, ev.ExitSignal = ne.Uint32(u[8:]), ne.Uint32(u[12:])
		if len(u) >= 24 {
			ev.ParentPID, ev.ParentTGID = ne.Uint32(u[16:]), ne.Uint32(u[20:])
		}
	}
	if ev.TGID == 0 {
		return fmt.Errorf("%w: event %#x about process 0", errBadMessage, ev.What)
	}
	fn(ev)
	return nil
}

// listenMessage returns the request that subscribes (listen true) or
// unsubscribes a socket to the proc connector's events.
func listenMessage(listen bool) []byte {
	const total = nlmsgHeaderSize + cnMsgSize + 4
	b := make([]byte, total)
	ne.PutUint32(b[0:], total)
	ne.PutUint16(b[4:], nlmsgDone)
	c := b[nlmsgHeaderSize:]
	ne.PutUint32(c[0:], cnIdxProc)
	ne.PutUint32(c[4:], cnValProc)
	ne.PutUint16(c[16:], 4)
	op := uint32(2) // PROC_CN_MCAST_IGNORE
	if listen {
		op = 1 // PROC_CN_MCAST_LISTEN
	}
	ne.PutUint32(c[cnMsgSize:], op)
	return b
}

// seqTracker counts the events lost between two received ones from the
// per-CPU sequence numbers of the connector.
type seqTracker struct {
	last map[uint32]uint32
}

// gap records ev's sequence number and returns how many events of its
// CPU were missed since the previous one.
func (s *seqTracker) gap(ev procEvent) uint64 {
	if s.last == nil {
		s.last = map[uint32]uint32{}
	}
	prev, seen := s.last[ev.CPU]
	s.last[ev.CPU] = ev.Seq
	if !seen {
		return 0
	}
	d := ev.Seq - prev // wraps like the kernel's counter
	if d == 0 || d > 1<<30 {
		return 0 // a duplicate, or a reordering
	}
	return uint64(d - 1)
}
