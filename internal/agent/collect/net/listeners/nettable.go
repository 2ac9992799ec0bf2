package listeners

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// Kernel socket states of the tables (include/net/tcp_states.h). A TCP
// listener is in TCP_LISTEN; an unconnected UDP socket, which is what
// receives datagrams from anyone, in TCP_CLOSE.
const (
	stateListen = 0x0a
	stateClose  = 0x07
)

// Transports.
const (
	TCP = "tcp"
	UDP = "udp"
)

// ErrMalformed is wrapped by the errors of ParseNetTable.
var ErrMalformed = errors.New("malformed socket table")

// Socket is one line of /proc/net/{tcp,tcp6,udp,udp6}.
type Socket struct {
	// Transport is TCP or UDP.
	Transport string
	Local     netip.AddrPort
	// State is the kernel's socket state (0x0a listen, 0x07 close ...).
	State uint8
	// UID is the user that created the socket.
	UID uint32
	// Inode is the socket's inode ("socket:[INODE]" in /proc/PID/fd), 0
	// for a socket that no file refers to (one the kernel opened).
	Inode uint64
}

// Listening reports whether s accepts connections or datagrams from
// anyone: a TCP socket in the listen state, or a bound UDP socket that is
// not connected (ss -l shows the same).
func (s Socket) Listening() bool {
	switch s.Transport {
	case TCP:
		return s.State == stateListen
	case UDP:
		return s.State == stateClose && s.Local.Port() != 0
	}
	return false
}

// ParseNetTable parses a socket table of /proc/net: a header line, then
// one socket a line ("sl local_address rem_address st tx_queue:rx_queue
// tr:tm->when retrnsmt uid timeout inode ..."). Addresses are hex words
// in host byte order: one for IPv4 tables, four for IPv6 ones (ipv6).
// A line that cannot be read is skipped and counted in the problems.
func ParseNetTable(data []byte, transport string, ipv6 bool) ([]Socket, textfile.Problems) {
	var out []Socket
	probs, _ := scanNetTable(bytes.NewReader(data), transport, ipv6, func(s Socket) { out = append(out, s) })
	return out, probs
}

// maxLine bounds a line of a socket table (real ones are under 200 bytes).
const maxLine = 4096

// scanNetTable is ParseNetTable reading from r and handing each socket to
// fn, so that a table of many connections is never held whole. The error
// is a read error, or a line longer than maxLine.
func scanNetTable(r io.Reader, transport string, ipv6 bool, fn func(Socket)) (textfile.Problems, error) {
	var probs textfile.Problems
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if n == 1 || textfile.Blank(line) { // the header
			continue
		}
		s, err := parseSocketLine(line, ipv6)
		if err != nil {
			probs.Skip(n, err.Error())
			continue
		}
		s.Transport = transport
		fn(s)
	}
	if err := sc.Err(); err != nil {
		return probs, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return probs, nil
}

// parseSocketLine parses the first ten fields of one table line.
func parseSocketLine(line []byte, ipv6 bool) (Socket, error) {
	var s Socket
	var f [10][]byte
	rest := line
	for i := range f {
		rest = bytes.TrimLeft(rest, " \t")
		end := bytes.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		if end == 0 {
			return s, fmt.Errorf("%w: %d fields, want at least 10", ErrMalformed, i)
		}
		f[i], rest = rest[:end], rest[end:]
	}
	var err error
	if s.Local, err = parseHexAddrPort(f[1], ipv6); err != nil {
		return s, err
	}
	st, err := strconv.ParseUint(string(f[3]), 16, 8)
	if err != nil {
		return s, fmt.Errorf("%w: state is not a hex byte", ErrMalformed)
	}
	s.State = uint8(st)
	uid, err := strconv.ParseUint(string(f[7]), 10, 32)
	if err != nil {
		return s, fmt.Errorf("%w: uid is not a number", ErrMalformed)
	}
	s.UID = uint32(uid)
	if s.Inode, err = strconv.ParseUint(string(f[9]), 10, 64); err != nil {
		return s, fmt.Errorf("%w: inode is not a number", ErrMalformed)
	}
	return s, nil
}

// parseHexAddrPort parses "0100007F:0016": the address as the kernel
// prints it (each 32-bit word in host byte order, %08X) and the port.
func parseHexAddrPort(b []byte, ipv6 bool) (netip.AddrPort, error) {
	addr, port, ok := bytes.Cut(b, []byte(":"))
	words := 1
	if ipv6 {
		words = 4
	}
	if !ok || len(addr) != 8*words || len(port) != 4 {
		return netip.AddrPort{}, fmt.Errorf("%w: address is not %d hex words and a port", ErrMalformed, words)
	}
	var raw [16]byte
	for w := range words {
		v, err := strconv.ParseUint(string(addr[8*w:8*w+8]), 16, 32)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("%w: address is not hex", ErrMalformed)
		}
		binary.NativeEndian.PutUint32(raw[4*w:], uint32(v))
	}
	p, err := strconv.ParseUint(string(port), 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: port is not hex", ErrMalformed)
	}
	ip := netip.AddrFrom4([4]byte(raw[:4]))
	if ipv6 {
		ip = netip.AddrFrom16(raw)
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}
