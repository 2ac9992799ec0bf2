package listeners

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/netip"

	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
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
// one socket a line (procparse.ParseInetLine; ipv6 for a tcp6 or udp6
// table). A line that cannot be read is skipped and counted in the
// problems.
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
		s, err := procparse.ParseInetLine(line, ipv6)
		if err != nil {
			probs.Skip(n, err.Error())
			continue
		}
		fn(Socket{Transport: transport, Local: s.Local, State: s.State, UID: s.UID, Inode: s.Inode})
	}
	if err := sc.Err(); err != nil {
		return probs, fmt.Errorf("%w: %w", procparse.ErrMalformed, err)
	}
	return probs, nil
}
