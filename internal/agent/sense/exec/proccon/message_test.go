package proccon

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// message builds one netlink datagram with a proc event.
func message(what, cpu, seq uint32, ts uint64, payload ...uint32) []byte {
	data := make([]byte, procEventHead+4*len(payload))
	ne.PutUint32(data[0:], what)
	ne.PutUint32(data[4:], cpu)
	ne.PutUint64(data[8:], ts)
	for i, v := range payload {
		ne.PutUint32(data[procEventHead+4*i:], v)
	}
	total := nlmsgHeaderSize + cnMsgSize + len(data)
	b := make([]byte, total)
	ne.PutUint32(b[0:], uint32(total))
	ne.PutUint16(b[4:], nlmsgDone)
	c := b[nlmsgHeaderSize:]
	ne.PutUint32(c[0:], cnIdxProc)
	ne.PutUint32(c[4:], cnValProc)
	ne.PutUint32(c[8:], seq)
	ne.PutUint16(c[16:], uint16(len(data)))
	copy(c[cnMsgSize:], data)
	return b
}

func TestDecodeMessages(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []procEvent
		bad  bool
	}{
		{"fork", message(procEventFork, 1, 7, 99, 10, 10, 11, 11),
			[]procEvent{{What: procEventFork, CPU: 1, Seq: 7, TimestampNS: 99, ParentPID: 10, ParentTGID: 10, PID: 11, TGID: 11}}, false},
		{"exec", message(procEventExec, 0, 1, 5, 12, 12), []procEvent{{What: procEventExec, Seq: 1, TimestampNS: 5, PID: 12, TGID: 12}}, false},
		{"uid", message(procEventUID, 0, 2, 5, 12, 12, 1000, 0),
			[]procEvent{{What: procEventUID, Seq: 2, TimestampNS: 5, PID: 12, TGID: 12, RealID: 1000}}, false},
		{"exit with parent", message(procEventExit, 0, 3, 5, 12, 12, 0x300, 17, 10, 10),
			[]procEvent{{What: procEventExit, Seq: 3, TimestampNS: 5, PID: 12, TGID: 12, ExitCode: 0x300, ExitSignal: 17, ParentPID: 10, ParentTGID: 10}}, false},
		{"old exit", message(procEventExit, 0, 3, 5, 12, 12, 9, 17), []procEvent{{What: procEventExit, Seq: 3, TimestampNS: 5, PID: 12, TGID: 12, ExitCode: 9, ExitSignal: 17}}, false},
		{"listen answer", message(procEventNone, 0, 0, 0, 0), nil, false},
		{"two", append(message(procEventExec, 0, 1, 5, 12, 12), message(procEventSID, 0, 2, 6, 12, 12)...),
			[]procEvent{{What: procEventExec, Seq: 1, TimestampNS: 5, PID: 12, TGID: 12}, {What: procEventSID, Seq: 2, TimestampNS: 6, PID: 12, TGID: 12}}, false},
		{"short exec", message(procEventExec, 0, 1, 5, 12), nil, true},
		{"pid 0", message(procEventExec, 0, 1, 5, 0, 0), nil, true},
		{"truncated", message(procEventExec, 0, 1, 5, 12, 12)[:30], nil, true},
		{"empty", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []procEvent
			err := decodeMessages(tt.in, func(e procEvent) { got = append(got, e) })
			if tt.bad != (err != nil) || err != nil && !errors.Is(err, errBadMessage) {
				t.Fatalf("err = %v", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestSeqTracker(t *testing.T) {
	var s seqTracker
	steps := []struct {
		cpu, seq uint32
		lost     uint64
	}{{0, 10, 0}, {0, 11, 0}, {1, 5, 0}, {0, 15, 3}, {1, 6, 0}, {0, 15, 0}, {0, 0xffffffff, 0}, {0, 1, 1}}
	for i, st := range steps {
		if got := s.gap(procEvent{CPU: st.cpu, Seq: st.seq}); got != st.lost {
			t.Errorf("step %d: lost %d, want %d", i, got, st.lost)
		}
	}
}

func TestListenMessage(t *testing.T) {
	b := listenMessage(true)
	if len(b) != 40 || ne.Uint32(b) != 40 || ne.Uint32(b[36:]) != 1 || ne.Uint32(listenMessage(false)[36:]) != 2 {
		t.Errorf("listen message % x", b)
	}
}

func FuzzDecodeMessages(f *testing.F) {
	f.Add(message(procEventFork, 1, 7, 99, 10, 10, 11, 11))
	f.Add(message(procEventExit, 0, 3, 5, 12, 12, 0x300, 17, 10, 10))
	f.Add(append(message(procEventExec, 0, 1, 5, 12, 12), message(procEventUID, 0, 2, 6, 12, 12, 1, 1)...))
	f.Add(message(0x200, 0, 1, 5, 12, 12))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := decodeMessages(b, func(e procEvent) {
			if e.TGID == 0 && (e.What == procEventExec || e.What == procEventFork || e.What == procEventExit) {
				t.Fatalf("event about process 0: %+v", e)
			}
		})
		if err != nil && !errors.Is(err, errBadMessage) {
			t.Fatalf("error %v does not wrap errBadMessage", err)
		}
	})
}
