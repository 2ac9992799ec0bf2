package ebpf

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/vigilsec/vigil/internal/agent/sense/net/sockdiag"
	"github.com/vigilsec/vigil/internal/event"
)

// rec describes a record to encode as the kernel writes it.
type rec struct {
	kind, pid         uint32
	start             uint64
	comm              string
	proto, dir, flags uint8
	local, remote     netip.AddrPort
	payload           []byte
	payloadLen        uint32 // 0: len(payload)
	seq               uint32
	tcpFlags          uint8
}

// encode writes r in the layout of struct event (+ the DNS payload).
func (r rec) encode() []byte {
	b := make([]byte, recordLen+len(r.payload))
	ne := binary.NativeEndian
	ne.PutUint64(b[offKtime:], 1_000_000)
	ne.PutUint64(b[offStartTicks:], r.start)
	ne.PutUint32(b[offTgid:], r.pid)
	ne.PutUint32(b[offUID:], 0)
	copy(b[offComm:offComm+15], r.comm)
	ne.PutUint32(b[offKind:], r.kind)
	b[offProto], b[offDir], b[offFlags] = r.proto, r.dir, r.flags
	b[offFamily] = afInet6
	if r.remote.Addr().Is4() {
		b[offFamily] = afInet
	}
	ne.PutUint16(b[offLport:], r.local.Port())
	ne.PutUint16(b[offRport:], r.remote.Port())
	n := r.payloadLen
	if n == 0 {
		n = uint32(len(r.payload))
	}
	ne.PutUint32(b[offPayloadLen:], n)
	l16, r16 := r.local.Addr().As16(), r.remote.Addr().As16()
	copy(b[offLaddr:], l16[:])
	copy(b[offRaddr:], r16[:])
	ne.PutUint32(b[offSeq:], r.seq)
	b[offTCPFlags] = r.tcpFlags
	copy(b[recordLen:], r.payload)
	return b
}

func testConverter(t testing.TB, f sockdiag.Filter) *converter {
	return &converter{
		hostID: "host", info: sockdiag.NewProcessInfo(t.TempDir(), 16), filter: f,
		wall:     func(k uint64) time.Time { return time.Unix(1700000000, int64(k)) },
		counters: &counters{},
	}
}

// events is an Emitter that keeps what it is given.
type events struct {
	list []event.Event
	lost uint64
}

func (e *events) Emit(ev event.Event) { e.list = append(e.list, ev) }
func (e *events) Lost(n uint64)       { e.lost += n }

// convertOne converts r and returns its one event, nil for none.
func convertOne(t testing.TB, c *converter, r *record) (event.Event, error) {
	t.Helper()
	var out events
	err := c.convert(r, &out)
	if len(out.list) > 1 {
		t.Fatalf("%d events from one record", len(out.list))
	}
	if (err != nil) != (out.lost > 0) {
		t.Fatalf("error %v, %d lost", err, out.lost)
	}
	if len(out.list) == 0 {
		return nil, err
	}
	return out.list[0], err
}

func TestConvert(t *testing.T) {
	lo := netip.MustParseAddrPort("127.0.0.1:40000")
	peer := netip.MustParseAddrPort("192.0.2.9:443")
	dnsQ := msg(9, 0x0100, 1, 0, question("vigil.test", 1))
	dnsA := msg(9, 0x8180, 1, 1, question("vigil.test", 1), rr(ptr12, 1, 30, []byte{192, 0, 2, 3}))
	filter, err := sockdiag.NewFilter([]int{22}, []string{"198.51.100.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    rec
		want map[string]string // nil: filtered out
	}{
		{"connect", rec{kind: kindConnect, pid: 42, start: 7, comm: "curl", proto: 6, dir: dirEgress, flags: flagOwnerKnown, local: lo, remote: peer},
			map[string]string{"event.action": "connection-attempted", "process.pid": "42", "process.name": "curl",
				"destination.ip": "192.0.2.9", "destination.port": "443", "source.port": "40000", "network.type": "ipv4",
				"process.entity_id": sockdiag.Process{PID: 42, StartTicks: 7}.EntityID("host"), "user.id": "0",
				"@timestamp": "2023-11-14T22:13:20.001Z"}},
		{"accept ipv6", rec{kind: kindAccept, pid: 5, comm: "sshd", proto: 6, dir: dirIngress, flags: flagOwnerKnown | flagSuccess,
			local: netip.MustParseAddrPort("[2001:db8::1]:2222"), remote: netip.MustParseAddrPort("[2001:db8::2]:5000")},
			map[string]string{"event.action": "connection-accepted", "source.ip": "2001:db8::2", "destination.port": "2222",
				"network.direction": "ingress", "event.outcome": "success", "network.type": "ipv6"}},
		{"listen", rec{kind: kindListen, pid: 5, proto: 6, flags: flagOwnerKnown, local: netip.MustParseAddrPort("0.0.0.0:8080")},
			map[string]string{"event.action": "listen-started", "source.ip": "0.0.0.0", "source.port": "8080", "network.direction": "listening"}},
		{"udp peer without local side", rec{kind: kindUDPPeer, pid: 5, proto: 17, flags: flagOwnerKnown,
			local: netip.AddrPortFrom(netip.IPv4Unspecified(), 0), remote: netip.MustParseAddrPort("192.0.2.53:53")},
			map[string]string{"event.action": "udp-peer", "destination.port": "53", "source.ip": ""}},
		{"dns query", rec{kind: kindDNS, pid: 5, proto: 17, dir: dirEgress, flags: flagOwnerKnown, local: lo,
			remote: netip.MustParseAddrPort("127.0.0.53:53"), payload: dnsQ},
			map[string]string{"event.action": "dns-query", "dns.question.name": "vigil.test", "dns.type": "query", "destination.port": "53"}},
		{"dns answer of an unknown process", rec{kind: kindDNS, proto: 17, dir: dirIngress, local: lo,
			remote: netip.MustParseAddrPort("127.0.0.53:53"), payload: dnsA},
			map[string]string{"event.action": "dns-answer", "dns.resolved_ip": "", "dns.response_code": "NOERROR", "process.pid": ""}},
		{"ignored port", rec{kind: kindAccept, proto: 6, local: netip.MustParseAddrPort("10.0.0.1:22"), remote: peer}, nil},
		{"ignored address", rec{kind: kindConnect, proto: 6, local: lo, remote: netip.MustParseAddrPort("198.51.100.7:80")}, nil},
	}
	c := testConverter(t, filter)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r record
			if err := decodeRecord(tt.r.encode(), &r); err != nil {
				t.Fatal(err)
			}
			e, err := convertOne(t, c, &r)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if e != nil {
					t.Fatalf("event %v, want none", e)
				}
				return
			}
			if e == nil {
				t.Fatal("no event")
			}
			for k, v := range tt.want {
				if got := e.String(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			e.Set(event.FieldID, "x")
			e.Set(event.FieldAgentID, "a")
			if err := e.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	good := rec{kind: kindDNS, proto: 17, remote: netip.MustParseAddrPort("127.0.0.1:53"), payload: make([]byte, 20)}.encode()
	for name, b := range map[string][]byte{
		"short":         good[:recordLen-1],
		"dns cut short": good[:recordLen+10],
		"bad kind":      func() []byte { b := append([]byte(nil), good...); b[offKind] = 99; return b }(),
		"bad family":    func() []byte { b := append([]byte(nil), good...); b[offFamily] = 1; return b }(),
	} {
		var r record
		if err := decodeRecord(b, &r); !errors.Is(err, errRecord) {
			t.Errorf("%s: %v, want errRecord", name, err)
		}
	}
}

// FuzzDecodeRecord: any ring buffer record decodes or fails cleanly, and
// a decoded one converts or fails cleanly.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(rec{kind: kindConnect, pid: 1, proto: 6, flags: flagOwnerKnown, remote: netip.MustParseAddrPort("192.0.2.1:80")}.encode())
	f.Add(rec{kind: kindDNS, proto: 17, remote: netip.MustParseAddrPort("[::1]:53"),
		payload: msg(1, 0x8180, 1, 1, question("a.test", 1), rr(ptr12, 1, 1, []byte{1, 2, 3, 4}))}.encode())
	f.Add(rec{kind: kindDNS, proto: 17, remote: netip.MustParseAddrPort("[::1]:53"), payload: []byte{1, 2}, payloadLen: 5000}.encode())
	q := msg(1, 0x0100, 1, 0, question("a.test", 1))
	f.Add(rec{kind: kindDNS, proto: 6, dir: dirEgress, remote: netip.MustParseAddrPort("127.0.0.1:53"), seq: 1000,
		payload: append(framed(q), framed(q)...)}.encode())
	f.Add(rec{kind: kindDNS, proto: 6, dir: dirEgress, remote: netip.MustParseAddrPort("127.0.0.1:53"), seq: 1000,
		payload: framed(q)[:5], payloadLen: 5, tcpFlags: tcpFIN}.encode())
	c := testConverter(f, sockdiag.Filter{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c.streams = nil // each input on its own
		var r record
		if err := decodeRecord(b, &r); err != nil {
			if !errors.Is(err, errRecord) {
				t.Fatalf("error %v does not wrap errRecord", err)
			}
			return
		}
		if len(r.Payload) > maxDNSPayload {
			t.Fatalf("payload of %d bytes", len(r.Payload))
		}
		var out events
		err := c.convert(&r, &out)
		if err != nil && !errors.Is(err, errDNS) {
			t.Fatalf("convert: %v", err)
		}
		if (err != nil) != (out.lost > 0) {
			t.Fatalf("error %v, %d lost", err, out.lost)
		}
		if r.Kind == kindDNS && r.Proto == protoTCP {
			// Every message takes at least its two-byte prefix.
			if len(out.list)+int(out.lost) > len(r.Payload)/2+1 {
				t.Fatalf("%d events and %d lost from a %d-byte segment", len(out.list), out.lost, len(r.Payload))
			}
			return
		}
		if len(out.list)+int(out.lost) != 1 {
			t.Fatalf("%d events and %d lost from one record without a filter", len(out.list), out.lost)
		}
	})
}

// BenchmarkDecodeConvert measures what user space does for each ring
// buffer record: decode it and build its event (the executable comes from
// the cache after the first record of a process).
func BenchmarkDecodeConvert(b *testing.B) {
	self := os.Getpid()
	st := selfStartTicks(b)
	lo := netip.MustParseAddrPort("127.0.0.1:40000")
	for _, bc := range []struct {
		name string
		r    rec
	}{
		{"connect", rec{kind: kindConnect, pid: uint32(self), start: st, comm: "bench", proto: 6, flags: flagOwnerKnown,
			local: lo, remote: netip.MustParseAddrPort("192.0.2.9:443")}},
		{"dns-answer", rec{kind: kindDNS, pid: uint32(self), start: st, comm: "bench", proto: 17, flags: flagOwnerKnown,
			local: lo, remote: netip.MustParseAddrPort("127.0.0.53:53"),
			payload: msg(9, 0x8180, 1, 2, question("www.vigil.test", 1), rr(ptr12, 5, 30, append([]byte{3, 'c', 'd', 'n'}, 0xc0, 16)),
				rr(ptr12, 1, 30, []byte{192, 0, 2, 3}))}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := &converter{hostID: "host", info: sockdiag.NewProcessInfo("/", 1024), wall: func(k uint64) time.Time { return time.Unix(0, int64(k)) }}
			raw := bc.r.encode()
			var r record
			b.ReportAllocs()
			for b.Loop() {
				if err := decodeRecord(raw, &r); err != nil {
					b.Fatal(err)
				}
				if err := c.convert(&r, discard{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// selfStartTicks returns this process's start time in ticks, 0 where
// /proc cannot tell.
func selfStartTicks(b *testing.B) uint64 {
	p, err := procfs.Self()
	if err != nil {
		return 0
	}
	st, err := p.Stat()
	if err != nil {
		return 0
	}
	return st.Starttime
}

// discard is an Emitter that drops everything.
type discard struct{}

func (discard) Emit(event.Event) {}
func (discard) Lost(uint64)      {}
