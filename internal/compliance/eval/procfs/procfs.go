// Package procfs parses the kernel's tables a compliance check reads:
// the socket tables of /proc/net (tcp, tcp6, udp, udp6), mountinfo,
// /proc/modules and /etc/fstab.
package procfs

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Socket is one row of a /proc/net socket table.
type Socket struct {
	Protocol string // tcp, tcp6, udp, udp6
	Local    netip.AddrPort
	Remote   netip.AddrPort
	State    int // TCP state; 10 is LISTEN, 7 an unconnected UDP socket
	UID      int
	Inode    uint64
}

// TCP states of the kernel's tables.
const (
	StateListen = 0x0A
	StateClose  = 0x07
)

// Listening reports whether the socket waits for peers: a TCP socket
// in LISTEN, a UDP socket bound without a peer.
func (s Socket) Listening() bool {
	if strings.HasPrefix(s.Protocol, "tcp") {
		return s.State == StateListen
	}
	return s.State == StateClose && s.Remote.Port() == 0
}

// Loopback reports whether the socket is bound to a loopback address
// (127.0.0.0/8, ::1, ::ffff:127.x).
func (s Socket) Loopback() bool { return s.Local.Addr().Unmap().IsLoopback() }

// ParseNet reads a /proc/net/{tcp,tcp6,udp,udp6} table; protocol names it.
func ParseNet(protocol string, data []byte) ([]Socket, error) {
	var out []Socket
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || i == 0 && f[0] == "sl" {
			continue
		}
		if len(f) < 10 {
			return nil, fmt.Errorf("%s line %d: %d fields, want at least 10", protocol, i+1, len(f))
		}
		local, err := parseHexAddr(f[1])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: local address: %w", protocol, i+1, err)
		}
		remote, err := parseHexAddr(f[2])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: remote address: %w", protocol, i+1, err)
		}
		state, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: state %q: %w", protocol, i+1, f[3], err)
		}
		uid, err := strconv.Atoi(f[7])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: uid %q: %w", protocol, i+1, f[7], err)
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: inode %q: %w", protocol, i+1, f[9], err)
		}
		out = append(out, Socket{Protocol: protocol, Local: local, Remote: remote, State: int(state), UID: uid, Inode: inode})
	}
	return out, nil
}

// parseHexAddr reads "0100007F:0016": an IPv4 or IPv6 address in the
// kernel's byte order (32-bit words in host order, little endian here)
// and a port.
func parseHexAddr(s string) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("%q: want ADDR:PORT", s)
	}
	raw, err := hex.DecodeString(a)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q: %w", s, err)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q: port: %w", s, err)
	}
	if len(raw) != 4 && len(raw) != 16 {
		return netip.AddrPort{}, fmt.Errorf("%q: %d address bytes, want 4 or 16", s, len(raw))
	}
	for w := 0; w+4 <= len(raw); w += 4 {
		raw[w], raw[w+1], raw[w+2], raw[w+3] = raw[w+3], raw[w+2], raw[w+1], raw[w]
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// Mount is one line of /proc/self/mountinfo.
type Mount struct {
	Point   string
	FSType  string
	Source  string
	Options []string // per-mount options, then the superblock's
	Line    string
}

// HasOption reports whether o is among the mount's options.
func (m Mount) HasOption(o string) bool {
	for _, x := range m.Options {
		if x == o {
			return true
		}
	}
	return false
}

// ParseMountinfo reads /proc/self/mountinfo.
func ParseMountinfo(data []byte) ([]Mount, error) {
	var out []Mount
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		sep := -1
		for j := 6; j < len(f); j++ {
			if f[j] == "-" {
				sep = j
				break
			}
		}
		if len(f) < 7 || sep < 0 || sep+2 >= len(f) {
			return nil, fmt.Errorf("mountinfo line %d: want ID PARENT MAJ:MIN ROOT POINT OPTIONS ... - TYPE SOURCE SUPEROPTIONS", i+1)
		}
		opts := strings.Split(f[5], ",")
		if sep+3 < len(f) {
			opts = append(opts, strings.Split(f[sep+3], ",")...)
		}
		out = append(out, Mount{Point: unescapeOctal(f[4]), FSType: f[sep+1], Source: unescapeOctal(f[sep+2]), Options: opts, Line: line})
	}
	return out, nil
}

// unescapeOctal decodes the \040-style escapes of mount tables.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// FstabEntry is one line of /etc/fstab.
type FstabEntry struct {
	Source  string
	Point   string
	FSType  string
	Options []string
	Line    int
	Text    string
}

// ParseFstab reads /etc/fstab; lines with fewer than four fields are
// errors.
func ParseFstab(data []byte) ([]FstabEntry, error) {
	var out []FstabEntry
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		f := strings.Fields(t)
		if len(f) < 4 {
			return nil, fmt.Errorf("fstab line %d: %d fields, want at least 4", i+1, len(f))
		}
		out = append(out, FstabEntry{Source: unescapeOctal(f[0]), Point: unescapeOctal(f[1]), FSType: f[2],
			Options: strings.Split(f[3], ","), Line: i + 1, Text: t})
	}
	return out, nil
}

// ParseModules reads /proc/modules and returns the loaded modules' names.
func ParseModules(data []byte) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			out[f[0]] = true
		}
	}
	return out
}
