package ebpf

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/agent/sense/net/sockdiag"
)

// framed returns m with its two-byte length prefix.
func framed(m []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(m))), m...)
}

// seg is one segment fed to a stream.
type seg struct {
	seq   uint32
	data  []byte
	total int // 0: len(data)
	flags uint8
}

func TestTCPStreams(t *testing.T) {
	q1 := msg(1, 0x0100, 1, 0, question("one.test", 1))
	q2 := msg(2, 0x0100, 1, 0, question("two.test", 1))
	q3 := msg(3, 0x0100, 1, 0, question("three.test", 1))
	big := msg(4, 0x8180, 1, 0, question("big.test", 1), make([]byte, 2000))
	cat := slices.Concat[[]byte]
	const s0 = 1000
	f1, f2, f3 := framed(q1), framed(q2), framed(q3)
	tests := []struct {
		name  string
		segs  []seg
		want  [][]byte // the messages found, in order
		cut   []bool   // which were cut by the copy (nil: none)
		split int
		left  int // streams still followed
	}{
		{"one message", []seg{{seq: s0, data: f1}}, [][]byte{q1}, nil, 0, 1},
		{"pipelined", []seg{{seq: s0, data: cat(f1, f2, f3)}}, [][]byte{q1, q2, q3}, nil, 0, 1},
		{"segment after segment", []seg{{seq: s0, data: f1}, {seq: s0 + uint32(len(f1)), data: f2}}, [][]byte{q1, q2}, nil, 0, 1},
		{"split message skipped, the next one read", []seg{
			{seq: s0, data: cat(f1, f2[:10])},
			{seq: s0 + uint32(len(f1)+10), data: f2[10:]},
			{seq: s0 + uint32(len(f1)+len(f2)), data: f3},
		}, [][]byte{q1, q3}, nil, 1, 1},
		{"continuation shares a segment with the next message", []seg{
			{seq: s0, data: f2[:7]},
			{seq: s0 + 7, data: cat(f2[7:], f1)},
		}, [][]byte{q1}, nil, 1, 1},
		{"length prefix alone, then its message", []seg{
			{seq: s0, data: f1[:2]},
			{seq: s0 + 2, data: f1[2:]},
		}, [][]byte{q1}, nil, 0, 1},
		{"length prefix cut in two", []seg{
			{seq: s0, data: cat(f2, f1[:1])},
			{seq: s0 + uint32(len(f2)+1), data: f1[1:]},
		}, [][]byte{q2, q1}, nil, 0, 1},
		{"retransmission", []seg{
			{seq: s0, data: f1},
			{seq: s0, data: f1},
			{seq: s0 + uint32(len(f1)), data: f2},
		}, [][]byte{q1, q2}, nil, 0, 1},
		{"retransmission overlapping new data", []seg{
			{seq: s0, data: f1},
			{seq: s0, data: cat(f1, f2)},
		}, [][]byte{q1, q2}, nil, 0, 1},
		{"gap loses the waiting message", []seg{
			{seq: s0, data: f1[:2]},
			{seq: s0 + 500, data: f2},
		}, [][]byte{q2}, nil, 1, 1},
		{"copy ends inside the message", []seg{{seq: s0, data: framed(big)[:maxDNSPayload], total: len(big) + 2}},
			[][]byte{big[:maxDNSPayload-2]}, []bool{true}, 0, 1},
		{"sequence numbers wrap", []seg{
			{seq: 0xffff_fff0, data: cat(f1, f2[:3])},
			{seq: 0xffff_fff0 + uint32(len(f1)+3), data: cat(f2[3:], f3)},
		}, [][]byte{q1, q3}, nil, 1, 1},
		{"FIN ends the stream", []seg{{seq: s0, data: f1, flags: tcpFIN}}, [][]byte{q1}, nil, 0, 0},
		{"RST alone ends the stream", []seg{{seq: s0, data: f1}, {seq: s0 + uint32(len(f1)), flags: tcpRST}}, [][]byte{q1}, nil, 0, 0},
		{"FIN of an unknown stream", []seg{{seq: s0, flags: tcpFIN}}, nil, nil, 0, 0},
		{"empty message", []seg{{seq: s0, data: cat([]byte{0, 0}, f1)}}, [][]byte{nil, q1}, nil, 0, 1},
	}
	key := streamKey{local: netip.MustParseAddrPort("127.0.0.1:40000"), remote: netip.MustParseAddrPort("127.0.0.1:53"), dir: dirEgress}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTCPStreams()
			var got [][]byte
			var cut []bool
			split := 0
			for i, s := range tt.segs {
				total := s.total
				if total == 0 {
					total = len(s.data)
				}
				msgs, n := st.segment(key, s.seq, total, s.data, s.flags, uint64(i+1))
				split += n
				for _, m := range msgs {
					got = append(got, m.Data)
					cut = append(cut, m.Cut)
				}
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
			wantCut := tt.cut
			if wantCut == nil {
				wantCut = make([]bool, len(tt.want))
			}
			if diff := cmp.Diff(wantCut, cut); diff != "" && len(tt.want) > 0 {
				t.Errorf("cut (-want +got):\n%s", diff)
			}
			if split != tt.split {
				t.Errorf("%d split, want %d", split, tt.split)
			}
			if st.len() != tt.left {
				t.Errorf("%d streams left, want %d", st.len(), tt.left)
			}
		})
	}
}

// TestTCPStreamsBound: the table never holds more than maxTCPStreams
// streams; idle ones go first.
func TestTCPStreamsBound(t *testing.T) {
	st := newTCPStreams()
	f := framed(msg(1, 0x0100, 1, 0, question("a.test", 1)))
	for i := range maxTCPStreams + 100 {
		key := streamKey{local: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(i+1)), remote: netip.MustParseAddrPort("127.0.0.1:53")}
		if msgs, _ := st.segment(key, 1, len(f), f, 0, uint64(i)); len(msgs) != 1 {
			t.Fatalf("stream %d: %d messages", i, len(msgs))
		}
		if st.len() > maxTCPStreams {
			t.Fatalf("%d streams", st.len())
		}
	}
	// Far later, the idle streams make room at once.
	key := streamKey{remote: netip.MustParseAddrPort("127.0.0.1:53")}
	st.segment(key, 1, len(f), f, 0, 10*tcpStreamIdleNS)
	if st.len() != 1 {
		t.Errorf("%d streams after the idle ones expired, want 1", st.len())
	}
}

// TestConvertTCP: the events of DNS over TCP records: two pipelined
// queries, then an answer whose message is split; counters move.
func TestConvertTCP(t *testing.T) {
	c := testConverter(t, sockdiag.Filter{})
	lo := netip.MustParseAddrPort("127.0.0.1:40000")
	srv := netip.MustParseAddrPort("127.0.0.53:53")
	q1 := msg(1, 0x0100, 1, 0, question("one.test", 1))
	q2 := msg(2, 0x0100, 1, 0, question("two.test", 28))
	a1 := msg(1, 0x8180, 1, 1, question("one.test", 1), rr(ptr12, 1, 30, []byte{192, 0, 2, 1}))
	var out events
	for _, r := range []rec{
		{kind: kindDNS, pid: 9, comm: "dig", proto: 6, dir: dirEgress, flags: flagOwnerKnown, local: lo, remote: srv,
			seq: 77, payload: append(framed(q1), framed(q2)...)},
		{kind: kindDNS, pid: 9, comm: "dig", proto: 6, dir: dirIngress, flags: flagOwnerKnown, local: lo, remote: srv,
			seq: 5, payload: append(framed(a1), framed(a1)[:9]...)},
		{kind: kindDNS, pid: 9, comm: "dig", proto: 6, dir: dirIngress, flags: flagOwnerKnown, local: lo, remote: srv,
			seq: 5 + uint32(len(a1)+2+9), payload: append(framed(a1)[9:], 0, 2, 0xff, 0xff)},
	} {
		var d record
		if err := decodeRecord(r.encode(), &d); err != nil {
			t.Fatal(err)
		}
		_ = c.convert(&d, &out)
	}
	var got []string
	for _, e := range out.list {
		got = append(got, e.String("event.action")+" "+e.String("dns.question.name")+" "+e.String("network.transport")+" "+
			e.String("process.pid")+" "+e.String("destination.port"))
	}
	want := []string{"dns-query one.test tcp 9 53", "dns-query two.test tcp 9 53", "dns-answer one.test tcp 9 53"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if n := c.counters.dnsTCPSplit.Load(); n != 1 {
		t.Errorf("%d split messages counted, want 1", n)
	}
	if n := c.counters.malformedDNS.Load(); n != 1 || out.lost != 1 {
		t.Errorf("%d malformed DNS messages counted and %d lost, want 1 (the two-byte message)", n, out.lost)
	}
}

// FuzzTCPStreams: any series of segments is read without a panic, and
// never yields more messages than its bytes can frame. The input's
// first byte sets the segment size, the second how far each segment's
// sequence number falls back (retransmissions, overlaps) or jumps.
func FuzzTCPStreams(f *testing.F) {
	q := framed(msg(1, 0x0100, 1, 0, question("a.test", 1)))
	f.Add(append([]byte{7, 0}, slices.Concat(q, q, q)...))
	f.Add(append([]byte{1, 3}, q...))
	f.Add(append([]byte{200, 0x80}, slices.Concat(q, []byte{0xff, 0xff}, q)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 2 {
			return
		}
		size, shift, data := int(b[0])+1, int8(b[1]), b[2:]
		st := newTCPStreams()
		key := streamKey{remote: netip.MustParseAddrPort("127.0.0.1:53")}
		seq := uint32(0xffff_ff00)
		msgs := 0
		for i := 0; i < len(data); i += size {
			seg := data[i:min(i+size, len(data))]
			// The copy may end before the segment does.
			copied := seg[:min(len(seg), maxDNSPayload, size/2+1)]
			out, _ := st.segment(key, seq+uint32(int32(shift)*int32(i%3)), len(seg), copied, 0, uint64(i))
			for _, m := range out {
				if len(m.Data) > len(copied) {
					t.Fatalf("a message of %d bytes from a copy of %d", len(m.Data), len(copied))
				}
			}
			msgs += len(out)
			seq += uint32(len(seg))
		}
		if msgs > len(data)/2+1 {
			t.Fatalf("%d messages from %d bytes", msgs, len(data))
		}
		if st.len() > 1 {
			t.Fatalf("%d streams for one key", st.len())
		}
	})
}

// BenchmarkTCPSegment measures what user space does for a DNS over TCP
// segment holding two pipelined queries: follow the stream, parse both
// and build their events.
func BenchmarkTCPSegment(b *testing.B) {
	q := framed(msg(1, 0x0100, 1, 0, question("www.vigil.test", 1)))
	seg := slices.Concat(q, q)
	c := &converter{hostID: "host", info: sockdiag.NewProcessInfo(b.TempDir(), 16), wall: func(k uint64) time.Time { return time.Unix(0, int64(k)) }}
	raw := rec{kind: kindDNS, pid: 1, comm: "bench", proto: protoTCP, dir: dirEgress, flags: flagOwnerKnown,
		local: netip.MustParseAddrPort("127.0.0.1:40000"), remote: netip.MustParseAddrPort("127.0.0.53:53"), payload: seg}
	var r record
	b.ReportAllocs()
	seq := uint32(0)
	for b.Loop() {
		raw.seq = seq
		if err := decodeRecord(raw.encode(), &r); err != nil {
			b.Fatal(err)
		}
		if err := c.convert(&r, discard{}); err != nil {
			b.Fatal(err)
		}
		seq += uint32(len(seg))
	}
	b.ReportMetric(2*float64(b.N)/b.Elapsed().Seconds(), "messages/s")
}
