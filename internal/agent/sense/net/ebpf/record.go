package ebpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/net/sockdiag"
	"github.com/vigilsec/vigil/internal/event"
)

// Kinds of ring buffer records (enum in net.bpf.c).
const (
	kindConnect  = 1
	kindAccept   = 2
	kindListen   = 3
	kindUnlisten = 4
	kindUDPPeer  = 5
	kindDNS      = 6
)

// Directions (enum in net.bpf.c).
const (
	dirUnknown = 0
	dirEgress  = 1
	dirIngress = 2
)

// Record flags (EVF_* in net.bpf.c).
const (
	flagSuccess    = 1
	flagFailure    = 2
	flagOwnerKnown = 4
	// flagOwnerListener: an accepted connection attributed to its
	// listener's owner (exact_accept_owner off).
	flagOwnerListener = 8
)

// Layout of struct event in net.bpf.c (little or native endian, as the
// kernel wrote it). A test checks it against the generated Go type.
const (
	offKtime      = 0
	offStartTicks = 8
	offTgid       = 16
	offUID        = 20
	offComm       = 24
	offKind       = 40
	offProto      = 44
	offDir        = 45
	offFamily     = 46
	offFlags      = 47
	offLport      = 48
	offRport      = 50
	offPayloadLen = 52
	offLaddr      = 56
	offRaddr      = 72
	offSeq        = 88
	offTCPFlags   = 92
	recordLen     = 96
	// maxDNSPayload is DNS_MAX in net.bpf.c.
	maxDNSPayload = 1280
)

const (
	afInet  = 2
	afInet6 = 10
)

// IP protocol numbers.
const (
	protoTCP = 6
	protoUDP = 17
)

// errRecord is the cause of every record decoding error.
var errRecord = errors.New("malformed ring buffer record")

// record is one decoded ring buffer record.
type record struct {
	KtimeNS    uint64
	Owner      sockdiag.Process
	Kind       uint32
	Proto      uint8
	Dir        uint8
	Family     uint8
	Flags      uint8
	Local      netip.AddrPort
	Remote     netip.AddrPort
	PayloadLen uint32
	// Payload is the copied DNS message, or the start of the TCP
	// segment's payload (at most maxDNSPayload bytes); it aliases the
	// buffer decodeRecord was given.
	Payload []byte
	// Seq and TCPFlags are the sequence number and flags of a DNS
	// record's TCP segment.
	Seq      uint32
	TCPFlags uint8
}

// decodeRecord decodes b into r.
func decodeRecord(b []byte, r *record) error {
	if len(b) < recordLen {
		return fmt.Errorf("%w: %d bytes, want at least %d", errRecord, len(b), recordLen)
	}
	ne := binary.NativeEndian
	*r = record{
		KtimeNS:    ne.Uint64(b[offKtime:]),
		Kind:       ne.Uint32(b[offKind:]),
		Proto:      b[offProto],
		Dir:        b[offDir],
		Family:     b[offFamily],
		Flags:      b[offFlags],
		PayloadLen: ne.Uint32(b[offPayloadLen:]),
		Seq:        ne.Uint32(b[offSeq:]),
		TCPFlags:   b[offTCPFlags],
	}
	if r.Kind < kindConnect || r.Kind > kindDNS {
		return fmt.Errorf("%w: kind %d", errRecord, r.Kind)
	}
	if r.Family != afInet && r.Family != afInet6 {
		return fmt.Errorf("%w: address family %d", errRecord, r.Family)
	}
	if r.Flags&flagOwnerKnown != 0 {
		r.Owner = sockdiag.Process{
			PID:        int(ne.Uint32(b[offTgid:])),
			StartTicks: ne.Uint64(b[offStartTicks:]),
			UID:        ne.Uint32(b[offUID:]),
			HasUID:     true,
			Name:       cString(b[offComm : offComm+16]),
		}
	}
	r.Local = netip.AddrPortFrom(addr(b[offLaddr:offLaddr+16], r.Family), ne.Uint16(b[offLport:]))
	if r.Local.Port() == 0 && r.Local.Addr().IsUnspecified() {
		r.Local = netip.AddrPort{} // not bound yet (a UDP send): no local side
	}
	r.Remote = netip.AddrPortFrom(addr(b[offRaddr:offRaddr+16], r.Family), ne.Uint16(b[offRport:]))
	if r.Kind == kindDNS {
		n := min(int(r.PayloadLen), maxDNSPayload)
		if len(b) < recordLen+n {
			return fmt.Errorf("%w: DNS record of %d bytes for a %d-byte payload", errRecord, len(b), n)
		}
		r.Payload = b[recordLen : recordLen+n]
	}
	return nil
}

// addr returns the address in a 16-byte field: IPv4 sockets' addresses
// are stored mapped into IPv6.
func addr(b []byte, family uint8) netip.Addr {
	a := netip.AddrFrom16([16]byte(b))
	if family == afInet {
		return a.Unmap()
	}
	return a
}

// cString returns the text of a NUL-terminated fixed-size field.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// transport names an IP protocol number.
func transport(proto uint8) string {
	switch proto {
	case protoTCP:
		return "tcp"
	case protoUDP:
		return "udp"
	}
	return strconv.Itoa(int(proto))
}

// converter turns records into events. It is used by one goroutine.
type converter struct {
	hostID string
	info   *sockdiag.ProcessInfo
	filter sockdiag.Filter
	// wall turns a bpf_ktime_get_ns reading into wall-clock time.
	wall func(ktime uint64) time.Time
	// counters, when set, count malformed and skipped DNS messages.
	counters *counters
	// streams follows DNS over TCP; created on first use.
	streams *tcpStreams
}

// convert emits the events of r: none when the filter leaves it out, one
// for most records, one per DNS message a TCP segment holds. A DNS
// message that does not parse is counted lost; the error returned is the
// last such.
func (c *converter) convert(r *record, emit plugin.Emitter) error {
	if r.Kind == kindDNS {
		return c.dns(r, emit)
	}
	if e := c.connection(r); e != nil {
		emit.Emit(e)
	}
	return nil
}

// connection returns the event of a record that is not DNS; nil when the
// filter leaves it out.
func (c *converter) connection(r *record) event.Event {
	at := c.wall(r.KtimeNS)
	conn := sockdiag.Connection{
		At: at, Owner: r.Owner, Transport: transport(r.Proto),
		Local: r.Local, Remote: r.Remote,
	}
	switch {
	case r.Flags&flagSuccess != 0:
		conn.Outcome = "success"
	case r.Flags&flagFailure != 0:
		conn.Outcome = "failure"
	}
	switch r.Kind {
	case kindConnect:
		conn.Action, conn.Direction = sockdiag.ActionConnectionAttempted, sockdiag.DirectionEgress
	case kindAccept:
		conn.Action, conn.Direction = sockdiag.ActionConnectionAccepted, sockdiag.DirectionIngress
	case kindListen, kindUnlisten:
		conn.Action, conn.Direction = sockdiag.ActionListenStarted, sockdiag.DirectionListening
		if r.Kind == kindUnlisten {
			conn.Action = sockdiag.ActionListenStopped
		}
		conn.Remote = netip.AddrPort{}
		if c.filter.Ignores(netip.Addr{}, r.Local.Port()) {
			return nil
		}
		return c.info.ConnectionEvent(Name, c.hostID, conn)
	case kindUDPPeer:
		conn.Action, conn.Direction = sockdiag.ActionUDPPeer, sockdiag.DirectionEgress
	}
	if c.filter.Ignores(r.Remote.Addr(), r.Local.Port(), r.Remote.Port()) {
		return nil
	}
	e := c.info.ConnectionEvent(Name, c.hostID, conn)
	if r.Kind == kindAccept && r.Flags&flagOwnerListener != 0 && e != nil {
		// The process that owns the listener, which may have handed
		// the connection to a worker.
		e.Set("vigil.network.owner_source", "listener")
	}
	return e
}

// dns emits the DNS messages of a record: a UDP datagram's, or those a
// TCP segment holds.
func (c *converter) dns(r *record, emit plugin.Emitter) error {
	if c.filter.Ignores(r.Remote.Addr(), r.Remote.Port()) {
		return nil
	}
	at := c.wall(r.KtimeNS)
	if r.Proto != protoTCP {
		return c.dnsMessage(r, r.Payload, int(r.PayloadLen) > len(r.Payload), at, emit)
	}
	if c.streams == nil {
		c.streams = newTCPStreams()
	}
	msgs, split := c.streams.segment(streamKey{local: r.Local, remote: r.Remote, dir: r.Dir},
		r.Seq, int(r.PayloadLen), r.Payload, r.TCPFlags, r.KtimeNS)
	if split > 0 && c.counters != nil {
		c.counters.dnsTCPSplit.Add(uint64(split))
	}
	var last error
	for _, m := range msgs {
		if err := c.dnsMessage(r, m.Data, m.Cut, at, emit); err != nil {
			last = err
		}
	}
	return last
}

// dnsMessage emits the dns-query or dns-answer event of one message of
// a DNS record, b; cut says that the copy ended before the message did.
// One that does not parse is counted lost.
func (c *converter) dnsMessage(r *record, b []byte, cut bool, at time.Time, emit plugin.Emitter) error {
	e, err := c.dnsEvent(r, b, cut, at)
	if err != nil {
		emit.Lost(1)
		if c.counters != nil {
			c.counters.malformedDNS.Add(1)
		}
		return err
	}
	emit.Emit(e)
	return nil
}

// dnsEvent returns the event of the DNS message b of record r. Source is
// the client (this host), destination the server, for both queries and
// answers.
func (c *converter) dnsEvent(r *record, b []byte, cut bool, at time.Time) (event.Event, error) {
	m, err := parseDNS(b)
	if err != nil {
		return nil, err
	}
	action, typ := sockdiag.ActionDNSQuery, "query"
	if m.Response {
		action, typ = sockdiag.ActionDNSAnswer, "answer"
	}
	e := event.New("", at, "network", action)
	e.Set(event.FieldKind, "event")
	e.Set(event.FieldDataset, Name)
	e.Set("event.type", []string{"protocol"})
	e.Set("network.protocol", "dns")
	e.Set("network.transport", transport(r.Proto))
	e.Set("network.type", "ipv4")
	if !r.Remote.Addr().Unmap().Is4() {
		e.Set("network.type", "ipv6")
	}
	e.Set("network.direction", sockdiag.DirectionEgress)
	e.Set("source.ip", r.Local.Addr().Unmap().String())
	e.Set("source.port", int(r.Local.Port()))
	e.Set("destination.ip", r.Remote.Addr().Unmap().String())
	e.Set("destination.port", int(r.Remote.Port()))
	e.Set("dns.type", typ)
	e.Set("dns.id", strconv.Itoa(int(m.ID)))
	e.Set("dns.op_code", opcodeName(m.OpCode))
	if len(m.Flags) > 0 {
		e.Set("dns.header_flags", m.Flags)
	}
	q := m.Questions[0]
	e.Set("dns.question.name", q.Name)
	e.Set("dns.question.type", q.Type)
	e.Set("dns.question.class", q.Class)
	if m.Partial || cut {
		e.Set("vigil.dns.truncated", true)
	}
	msg := fmt.Sprintf("%s asked %s for %s %s", procLabel(r.Owner), r.Remote.Addr().Unmap(), q.Type, q.Name)
	if m.Response {
		e.Set("dns.response_code", rcodeName(m.RCode))
		answers := make([]map[string]any, 0, len(m.Answers))
		var ips []string
		for _, a := range m.Answers {
			answers = append(answers, map[string]any{
				"name": a.Name, "type": a.Type, "class": a.Class, "data": a.Data, "ttl": a.TTL,
			})
			if a.IP.IsValid() {
				ips = append(ips, a.IP.String())
			}
		}
		e.Set("dns.answers", answers)
		if len(ips) > 0 {
			e.Set("dns.resolved_ip", ips)
		}
		msg = fmt.Sprintf("%s got %s for %s %s: %d answers", procLabel(r.Owner), rcodeName(m.RCode), q.Type, q.Name, len(m.Answers))
	}
	e.Set(event.FieldMessage, msg)
	c.info.SetProcess(e, c.hostID, r.Owner)
	return e, nil
}

// procLabel names a process for a message.
func procLabel(p sockdiag.Process) string {
	if !p.Known() {
		return "an unknown process"
	}
	return p.Name + " (pid " + strconv.Itoa(p.PID) + ")"
}
