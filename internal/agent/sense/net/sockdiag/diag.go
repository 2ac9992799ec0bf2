package sockdiag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// Protocols and address families of the dumps.
const (
	protoTCP = 6
	protoUDP = 17
	familyV4 = 2
	familyV6 = 10
)

// TCP states (include/net/tcp_states.h) that the dumps ask for.
const (
	tcpEstablished = 1
	tcpSynSent     = 2
	tcpFinWait1    = 4
	tcpFinWait2    = 5
	tcpClose       = 7
	tcpCloseWait   = 8
	tcpLastAck     = 9
	tcpListen      = 10
	tcpClosing     = 11
)

// Netlink framing (linux/netlink.h, linux/inet_diag.h).
const (
	nlmsgHdrLen      = 16
	nlmsgError       = 2
	nlmsgDone        = 3
	nlmFDumpIntr     = 0x10
	sockDiagByFamily = 20
	inetDiagMsgLen   = 72
	inetDiagReqLen   = 56
	inetDiagInfo     = 2 // INET_DIAG_INFO: struct tcp_info
	rtaHdrLen        = 4
)

// Offsets in struct tcp_info (linux/tcp.h) of the RFC 4898 byte counters,
// present since Linux 4.1 and 4.2.
const (
	tcpiBytesAcked    = 120
	tcpiBytesReceived = 128
	tcpiSegsOut       = 136
	tcpiSegsIn        = 140
)

// errDiag is the cause of every sock_diag parse error.
var errDiag = errors.New("malformed sock_diag message")

// Socket is one socket of an inet_diag dump.
type Socket struct {
	Proto  uint8 // 6 TCP, 17 UDP
	Family uint8 // 2 AF_INET, 10 AF_INET6
	// State is the TCP state (TCP_ESTABLISHED 1 ... TCP_LISTEN 10); UDP
	// sockets report 1 when connected and 7 otherwise.
	State         uint8
	Local, Remote netip.AddrPort
	// Cookie is the kernel's socket cookie, unique for the socket's life.
	Cookie uint64
	// Inode is the socket's inode (socket:[INODE] in /proc/PID/fd), 0 for
	// a socket no file refers to any more.
	Inode uint32
	UID   uint32
	// BytesSent and BytesReceived are tcp_info's bytes_acked and
	// bytes_received (payload bytes), SegsOut and SegsIn its segment
	// counts; HasCounters says whether the dump carried them.
	BytesSent, BytesReceived uint64
	SegsOut, SegsIn          uint32
	HasCounters              bool
}

// Listening reports whether s is a TCP listener.
func (s *Socket) Listening() bool { return s.Proto == protoTCP && s.State == tcpListen }

// Transport returns "tcp" or "udp".
func (s *Socket) Transport() string {
	if s.Proto == protoUDP {
		return "udp"
	}
	return "tcp"
}

// dumpRequest returns the netlink message asking for every socket of
// proto and family in the states of mask, with tcp_info for TCP.
func dumpRequest(proto, family uint8, states uint32, seq uint32) []byte {
	b := make([]byte, nlmsgHdrLen+inetDiagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], sockDiagByFamily)
	ne.PutUint16(b[6:], 0x1|0x300) // NLM_F_REQUEST | NLM_F_DUMP
	ne.PutUint32(b[8:], seq)
	r := b[nlmsgHdrLen:]
	r[0] = family
	r[1] = proto
	if proto == protoTCP {
		r[2] = 1 << (inetDiagInfo - 1)
	}
	ne.PutUint32(r[4:], states)
	// The socket id stays zero but for the cookie, which must be
	// INET_DIAG_NOCOOKIE (all ones) to match every socket.
	ne.PutUint32(r[48:], ^uint32(0))
	ne.PutUint32(r[52:], ^uint32(0))
	return b
}

// dumpResult is what parseDump found in one buffer of a dump's replies.
type dumpResult struct {
	// Done is set by the message ending the dump.
	Done bool
	// Interrupted is set when the kernel said the dump may be
	// inconsistent (sockets changed while it ran).
	Interrupted bool
	// Bad counts messages that were skipped because they were malformed.
	Bad int
}

// parseDump parses one buffer of netlink replies to a dump of proto,
// appending each socket to out. A malformed socket message is skipped and
// counted; broken framing or an error reply ends the parse with an error.
func parseDump(buf []byte, proto uint8, out []Socket) ([]Socket, dumpResult, error) {
	var res dumpResult
	ne := binary.NativeEndian
	for len(buf) > 0 {
		if len(buf) < nlmsgHdrLen {
			return out, res, fmt.Errorf("%w: %d trailing bytes", errDiag, len(buf))
		}
		l := int(ne.Uint32(buf[0:]))
		typ := ne.Uint16(buf[4:])
		flags := ne.Uint16(buf[6:])
		if l < nlmsgHdrLen || l > len(buf) {
			return out, res, fmt.Errorf("%w: message length %d of %d bytes", errDiag, l, len(buf))
		}
		msg := buf[nlmsgHdrLen:l]
		if flags&nlmFDumpIntr != 0 {
			res.Interrupted = true
		}
		switch typ {
		case nlmsgDone:
			res.Done = true
			return out, res, nil
		case nlmsgError:
			if len(msg) >= 4 {
				if errno := int32(ne.Uint32(msg)); errno != 0 {
					return out, res, fmt.Errorf("sock_diag: kernel error: %w", syscall.Errno(-errno))
				}
			}
		case sockDiagByFamily:
			s, err := parseSocket(msg, proto)
			if err != nil {
				res.Bad++
			} else {
				out = append(out, s)
			}
		}
		next := (l + 3) &^ 3
		if next > len(buf) {
			next = len(buf)
		}
		buf = buf[next:]
	}
	return out, res, nil
}

// parseSocket parses one inet_diag_msg and its attributes.
func parseSocket(msg []byte, proto uint8) (Socket, error) {
	var s Socket
	if len(msg) < inetDiagMsgLen {
		return s, fmt.Errorf("%w: %d bytes, shorter than inet_diag_msg", errDiag, len(msg))
	}
	s.Proto = proto
	s.Family = msg[0]
	s.State = msg[1]
	be, ne := binary.BigEndian, binary.NativeEndian
	sport, dport := be.Uint16(msg[4:]), be.Uint16(msg[6:])
	var src, dst netip.Addr
	switch s.Family {
	case familyV4:
		src = netip.AddrFrom4([4]byte(msg[8:12]))
		dst = netip.AddrFrom4([4]byte(msg[24:28]))
	case familyV6:
		src = netip.AddrFrom16([16]byte(msg[8:24]))
		dst = netip.AddrFrom16([16]byte(msg[24:40]))
	default:
		return s, fmt.Errorf("%w: address family %d", errDiag, s.Family)
	}
	s.Local = netip.AddrPortFrom(src, sport)
	s.Remote = netip.AddrPortFrom(dst, dport)
	s.Cookie = uint64(ne.Uint32(msg[44:])) | uint64(ne.Uint32(msg[48:]))<<32
	s.UID = ne.Uint32(msg[64:])
	s.Inode = ne.Uint32(msg[68:])
	attrs := msg[inetDiagMsgLen:]
	for len(attrs) >= rtaHdrLen {
		al := int(ne.Uint16(attrs[0:]))
		at := ne.Uint16(attrs[2:]) & 0x3fff
		if al < rtaHdrLen || al > len(attrs) {
			return s, fmt.Errorf("%w: attribute length %d of %d bytes", errDiag, al, len(attrs))
		}
		val := attrs[rtaHdrLen:al]
		if at == inetDiagInfo && len(val) >= tcpiSegsIn+4 {
			s.BytesSent = ne.Uint64(val[tcpiBytesAcked:])
			s.BytesReceived = ne.Uint64(val[tcpiBytesReceived:])
			s.SegsOut = ne.Uint32(val[tcpiSegsOut:])
			s.SegsIn = ne.Uint32(val[tcpiSegsIn:])
			s.HasCounters = true
		}
		next := (al + 3) &^ 3
		if next > len(attrs) {
			next = len(attrs)
		}
		attrs = attrs[next:]
	}
	return s, nil
}
