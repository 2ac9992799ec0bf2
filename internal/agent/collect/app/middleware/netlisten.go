package middleware

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strconv"
)

// tcpListen is the kernel's state number of a listening TCP socket.
const tcpListen = 0x0A

// maxNetLine bounds one line of a socket table.
const maxNetLine = 4096

// ParseListenTable reads a /proc/net/tcp or tcp6 table (ipv6 says which)
// and returns the local address of every listening socket by inode. A
// malformed line is skipped and counted; an error is returned only when
// the table cannot be read.
func ParseListenTable(r io.Reader, ipv6 bool, into map[uint64]netip.AddrPort) (malformed int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxNetLine)
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		if first { // the header
			first = false
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		addr, state, inode, err := parseTCPLine(line, ipv6)
		if err != nil {
			malformed++
			continue
		}
		if state == tcpListen && inode != 0 {
			into[inode] = addr
		}
	}
	if err := sc.Err(); err != nil {
		return malformed, fmt.Errorf("socket table: %w", err)
	}
	return malformed, nil
}

// parseTCPLine parses "sl local remote st tx:rx tr:when retrnsmt uid
// timeout inode ..." and returns the local address, state and inode.
func parseTCPLine(line []byte, ipv6 bool) (netip.AddrPort, uint8, uint64, error) {
	var f [10][]byte
	n := 0
	rest := line
	for n < len(f) {
		rest = bytes.TrimLeft(rest, " \t")
		if len(rest) == 0 {
			break
		}
		end := bytes.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		f[n], rest = rest[:end], rest[end:]
		n++
	}
	if n < len(f) {
		return netip.AddrPort{}, 0, 0, fmt.Errorf("%w: socket table: %d fields", ErrMalformed, n)
	}
	addr, err := parseHexAddrPort(f[1], ipv6)
	if err != nil {
		return netip.AddrPort{}, 0, 0, err
	}
	st, err := strconv.ParseUint(string(f[3]), 16, 8)
	if err != nil {
		return netip.AddrPort{}, 0, 0, fmt.Errorf("%w: socket table: state", ErrMalformed)
	}
	ino, err := strconv.ParseUint(string(f[9]), 10, 64)
	if err != nil {
		return netip.AddrPort{}, 0, 0, fmt.Errorf("%w: socket table: inode", ErrMalformed)
	}
	return addr, uint8(st), ino, nil
}

// parseHexAddrPort parses "0100007F:1F90": the address as the kernel
// prints it (each 32-bit word in host byte order) and the port.
func parseHexAddrPort(b []byte, ipv6 bool) (netip.AddrPort, error) {
	addr, port, ok := bytes.Cut(b, []byte(":"))
	words := 1
	if ipv6 {
		words = 4
	}
	if !ok || len(addr) != 8*words || len(port) != 4 {
		return netip.AddrPort{}, fmt.Errorf("%w: socket table: address", ErrMalformed)
	}
	var raw [16]byte
	for w := 0; w < words; w++ {
		v, err := strconv.ParseUint(string(addr[8*w:8*w+8]), 16, 32)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("%w: socket table: address", ErrMalformed)
		}
		binary.NativeEndian.PutUint32(raw[4*w:], uint32(v))
	}
	p, err := strconv.ParseUint(string(port), 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: socket table: port", ErrMalformed)
	}
	var ip netip.Addr
	if ipv6 {
		ip = netip.AddrFrom16(raw)
	} else {
		ip = netip.AddrFrom4([4]byte(raw[:4]))
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}
