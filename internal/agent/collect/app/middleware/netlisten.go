package middleware

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/netip"

	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
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
		s, err := procparse.ParseInetLine(line, ipv6)
		if err != nil {
			malformed++
			continue
		}
		if s.State == tcpListen && s.Inode != 0 {
			into[s.Inode] = s.Local
		}
	}
	if err := sc.Err(); err != nil {
		return malformed, fmt.Errorf("socket table: %w", err)
	}
	return malformed, nil
}
