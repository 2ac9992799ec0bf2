package audit

import (
	"encoding/binary"
	"maps"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/proctable"
	"github.com/vigilsec/vigil/internal/agent/proctable/proctest"
)

// netlinkMessage frames an audit record as the kernel sends it.
func netlinkMessage(typ uint16, text string) []byte {
	b := make([]byte, unix.NLMSG_HDRLEN+len(text))
	binary.NativeEndian.PutUint32(b, uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	copy(b[unix.NLMSG_HDRLEN:], text)
	return b
}

// TestCounters: records handed to the handler as the socket gives them
// move the sensor's counters: an exec, a failed exec, an exit, an event
// whose end never came, and malformed records, which are also counted as
// lost.
func TestCounters(t *testing.T) {
	tbl, stream, em := proctest.Offline(t, Name)
	s := New()
	h := &handler{s: s, t: tbl, stream: stream, emit: em, asm: newAssembler(proctable.DefaultMaxArgsBytes, maxPending)}
	for _, r := range execRecords {
		h.message(netlinkMessage(r.typ, r.text))
	}
	for _, m := range [][]byte{
		netlinkMessage(typeEOE, `audit(1700000000.123:77): `),
		netlinkMessage(typeSyscall, `audit(1700000000.200:78): arch=c000003e syscall=59 success=no exit=-2 ppid=10 pid=13`),
		netlinkMessage(typeEOE, `audit(1700000000.200:78): `),
		netlinkMessage(typeSyscall, `audit(1700000001.000:79): arch=c000003e syscall=231 a0=3 ppid=10 pid=11 comm="sh" exe="/usr/bin/dash"`),
		netlinkMessage(typeEOE, `audit(1700000001.000:79): `),
		netlinkMessage(typeSyscall, `audit(1700000002.000:80): arch=c000003e syscall=59 success=yes ppid=10 pid=14`),
		{1, 2, 3},
		netlinkMessage(typeCwd, `no header`),
	} {
		h.message(m)
	}
	for _, ev := range h.asm.expire(time.Now().Add(time.Hour), unfinishedAfter) {
		h.unfinished(ev)
	}
	want := map[string]uint64{"execs": 2, "exits": 1, "failed_execs": 1, "unfinished_events": 1, "malformed_records": 2,
		"lost_records": 0, "overflows": 0}
	if got := s.Counters(); !maps.Equal(got, want) {
		t.Errorf("counters %v, want %v", got, want)
	}
	if n := em.LostCount(); n != 2 {
		t.Errorf("%d lost, want the 2 malformed records", n)
	}
}
