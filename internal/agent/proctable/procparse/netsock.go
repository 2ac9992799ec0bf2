package procparse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
)

// InetSocket is one line of /proc/PID/net/{tcp,tcp6,udp,udp6}.
type InetSocket struct {
	Local, Remote netip.AddrPort
	// State is the kernel's TCP state (1 established, 10 listen ...).
	State uint8
	// UID is the user that created the socket.
	UID uint32
	// Inode is the socket's inode ("socket:[INODE]" in /proc/PID/fd), 0
	// for a socket that no file refers to.
	Inode uint64
}

// FindInetSocket looks for the socket with the inode in a tcp, tcp6,
// udp or udp6 table (ipv6 says which address width the table has). It
// returns the socket, its IPv4-mapped addresses as IPv4 ones, whether it
// was found and the first malformed line met on the way, if any (the
// lines after it are still searched).
func FindInetSocket(table []byte, ipv6 bool, inode uint64) (InetSocket, bool, error) {
	var firstErr error
	first := true
	for len(table) > 0 {
		line := table
		if i := bytes.IndexByte(table, '\n'); i >= 0 {
			line, table = table[:i], table[i+1:]
		} else {
			table = nil
		}
		if first { // the header
			first = false
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		s, err := ParseInetLine(line, ipv6)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if s.Inode == inode {
			s.Local = netip.AddrPortFrom(s.Local.Addr().Unmap(), s.Local.Port())
			s.Remote = netip.AddrPortFrom(s.Remote.Addr().Unmap(), s.Remote.Port())
			return s, true, firstErr
		}
	}
	return InetSocket{}, false, firstErr
}

// ParseInetLine parses one line of a tcp, tcp6, udp or udp6 table (not
// the header): "sl local_address rem_address st tx_queue:rx_queue
// tr:tm->when retrnsmt uid timeout inode ...", addresses as hex words in
// host byte order, one for an IPv4 table and four for an IPv6 one
// (ipv6), kept as the table has them (an IPv6 table's IPv4-mapped
// addresses stay IPv6).
func ParseInetLine(line []byte, ipv6 bool) (InetSocket, error) {
	var s InetSocket
	var f [10][]byte
	rest := line
	for i := range f {
		rest = bytes.TrimLeft(rest, " \t")
		end := bytes.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		if end == 0 {
			return s, fmt.Errorf("%w: net table: %d fields, want at least 10", ErrMalformed, i)
		}
		f[i], rest = rest[:end], rest[end:]
	}
	var err error
	if s.Local, err = parseHexAddrPort(f[1], ipv6); err != nil {
		return s, err
	}
	if s.Remote, err = parseHexAddrPort(f[2], ipv6); err != nil {
		return s, err
	}
	st, err := strconv.ParseUint(string(f[3]), 16, 8)
	if err != nil {
		return s, fmt.Errorf("%w: net table: state %q", ErrMalformed, f[3])
	}
	s.State = uint8(st)
	uid, err := strconv.ParseUint(string(f[7]), 10, 32)
	if err != nil {
		return s, fmt.Errorf("%w: net table: uid %q", ErrMalformed, f[7])
	}
	s.UID = uint32(uid)
	if s.Inode, err = strconv.ParseUint(string(f[9]), 10, 64); err != nil {
		return s, fmt.Errorf("%w: net table: inode %q", ErrMalformed, f[9])
	}
	return s, nil
}

// parseHexAddrPort parses "0100007F:1F90": the address as the kernel
// prints it (each 32-bit word in host byte order, %08X) and the port.
func parseHexAddrPort(b []byte, ipv6 bool) (netip.AddrPort, error) {
	addr, port, ok := bytes.Cut(b, []byte(":"))
	words := 1
	if ipv6 {
		words = 4
	}
	if !ok || len(addr) != 8*words || len(port) != 4 {
		return netip.AddrPort{}, fmt.Errorf("%w: net table: address %q", ErrMalformed, b)
	}
	var raw [16]byte
	for w := range words {
		v, err := strconv.ParseUint(string(addr[8*w:8*w+8]), 16, 32)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("%w: net table: address %q", ErrMalformed, b)
		}
		binary.NativeEndian.PutUint32(raw[4*w:], uint32(v))
	}
	p, err := strconv.ParseUint(string(port), 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: net table: port %q", ErrMalformed, port)
	}
	ip := netip.AddrFrom4([4]byte(raw[:4]))
	if ipv6 {
		ip = netip.AddrFrom16(raw)
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}

// UnixSocket is one line of /proc/PID/net/unix.
type UnixSocket struct {
	// Type is the socket type (1 stream, 2 datagram, 5 seqpacket).
	Type  uint16
	State uint8
	Inode uint64
	// Path is the bound path, "@name" for an abstract name, "" when the
	// socket is not bound (the usual case for the connecting side).
	Path string
}

// FindUnixSocket looks for the socket with the inode in a unix table.
// Like FindInetSocket, it returns the first malformed line's error.
func FindUnixSocket(table []byte, inode uint64) (UnixSocket, bool, error) {
	var firstErr error
	first := true
	for len(table) > 0 {
		line := table
		if i := bytes.IndexByte(table, '\n'); i >= 0 {
			line, table = table[:i], table[i+1:]
		} else {
			table = nil
		}
		if first {
			first = false
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		s, err := parseUnixLine(line)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if s.Inode == inode {
			return s, true, firstErr
		}
	}
	return UnixSocket{}, false, firstErr
}

// parseUnixLine parses "Num RefCount Protocol Flags Type St Inode [Path]".
func parseUnixLine(line []byte) (UnixSocket, error) {
	var s UnixSocket
	var f [7][]byte
	rest := line
	for n := range f {
		rest = bytes.TrimLeft(rest, " ")
		end := bytes.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		if end == 0 {
			return s, fmt.Errorf("%w: unix table: %d fields, want at least 7", ErrMalformed, n)
		}
		f[n], rest = rest[:end], rest[end:]
	}
	typ, err1 := strconv.ParseUint(string(f[4]), 16, 16)
	st, err2 := strconv.ParseUint(string(f[5]), 16, 8)
	ino, err3 := strconv.ParseUint(string(f[6]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return s, fmt.Errorf("%w: unix table: line %q", ErrMalformed, line)
	}
	s.Type, s.State, s.Inode = uint16(typ), uint8(st), ino
	if len(rest) > 0 && rest[0] == ' ' {
		s.Path = string(rest[1:])
	}
	return s, nil
}
