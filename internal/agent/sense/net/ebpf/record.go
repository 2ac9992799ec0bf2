package ebpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

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
	recordLen     = 88
	// maxDNSPayload is DNS_MAX in net.bpf.c.
	maxDNSPayload = 1280
)

const (
	afInet  = 2
	afInet6 = 10
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
	// Payload is the copied DNS message (at most maxDNSPayload bytes); it
	// aliases the buffer decodeRecord was given.
	Payload []byte
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
	case 6:
		return "tcp"
	case 17:
		return "udp"
	}
	return strconv.Itoa(int(proto))
}

// converter turns records into events.
type converter struct {
	hostID string
	info   *sockdiag.ProcessInfo
	filter sockdiag.Filter
	// wall turns a bpf_ktime_get_ns reading into wall-clock time.
	wall func(ktime uint64) time.Time
}

// convert returns the event of r; nil (and no error) when the filter
// leaves it out.
func (c *converter) convert(r *record) (event.Event, error) {
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
			return nil, nil
		}
		return c.info.ConnectionEvent(Name, c.hostID, conn), nil
	case kindUDPPeer:
		conn.Action, conn.Direction = sockdiag.ActionUDPPeer, sockdiag.DirectionEgress
	case kindDNS:
		return c.dnsEvent(r, at)
	}
	if c.filter.Ignores(r.Remote.Addr(), r.Local.Port(), r.Remote.Port()) {
		return nil, nil
	}
	e := c.info.ConnectionEvent(Name, c.hostID, conn)
	if r.Kind == kindAccept && r.Flags&flagOwnerListener != 0 && e != nil {
		// The process that owns the listener, which may have handed
		// the connection to a worker.
		e.Set("vigil.network.owner_source", "listener")
	}
	return e, nil
}

// dnsEvent returns the dns-query or dns-answer event of a DNS record.
// Source is the client (this host), destination the server, for both.
func (c *converter) dnsEvent(r *record, at time.Time) (event.Event, error) {
	if c.filter.Ignores(r.Remote.Addr(), r.Remote.Port()) {
		return nil, nil
	}
	m, err := parseDNS(r.Payload)
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
	if m.Partial || int(r.PayloadLen) > len(r.Payload) {
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
