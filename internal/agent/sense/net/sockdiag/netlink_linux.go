//go:build linux

package sockdiag

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// tcpStates are the TCP states dumped: every state a process's socket can
// be in (TIME_WAIT and request sockets belong to no process).
const tcpStates = 1<<tcpEstablished | 1<<tcpSynSent | 1<<tcpFinWait1 | 1<<tcpFinWait2 |
	1<<tcpCloseWait | 1<<tcpLastAck | 1<<tcpListen | 1<<tcpClosing

// udpStates: every UDP socket (connected ones report TCP_ESTABLISHED,
// others TCP_CLOSE).
const udpStates = 1<<tcpEstablished | 1<<tcpClose

// dumper runs sock_diag dumps on one netlink socket.
type dumper struct {
	fd  int
	seq uint32
	buf []byte
	// stats counts what was skipped or retried since the last take.
	stats dumpStats
}

// newDumper opens a NETLINK_SOCK_DIAG socket.
func newDumper() (*dumper, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("sock_diag: open a netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("sock_diag: bind the netlink socket: %w", err)
	}
	return &dumper{fd: fd, buf: make([]byte, 64<<10)}, nil
}

// Close closes the netlink socket.
func (d *dumper) Close() error { return unix.Close(d.fd) }

// dumpAll appends every TCP and UDP socket, IPv4 and IPv6, to out.
func (d *dumper) dumpAll(out []Socket) ([]Socket, error) {
	var err error
	for _, q := range []struct {
		proto, family uint8
		states        uint32
	}{
		{protoTCP, familyV4, tcpStates}, {protoTCP, familyV6, tcpStates},
		{protoUDP, familyV4, udpStates}, {protoUDP, familyV6, udpStates},
	} {
		if out, err = d.dump(q.proto, q.family, q.states, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// dump appends the sockets of one protocol and family to out. A dump the
// kernel marks as interrupted is run again, up to three times.
func (d *dumper) dump(proto, family uint8, states uint32, out []Socket) ([]Socket, error) {
	base := len(out)
	for try := 0; ; try++ {
		out = out[:base]
		var interrupted bool
		var err error
		out, interrupted, err = d.dumpOnce(proto, family, states, out)
		if err != nil || !interrupted || try == 2 {
			return out, err
		}
		d.stats.Interrupted++
	}
}

func (d *dumper) dumpOnce(proto, family uint8, states uint32, out []Socket) ([]Socket, bool, error) {
	d.seq++
	req := dumpRequest(proto, family, states, d.seq)
	if err := unix.Sendto(d.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return out, false, fmt.Errorf("sock_diag: send the dump request: %w", err)
	}
	interrupted := false
	for {
		n, from, err := unix.Recvfrom(d.fd, d.buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return out, interrupted, fmt.Errorf("sock_diag: read the dump: %w", err)
		}
		if !fromKernel(from) {
			// Sent by a process (one with CAP_NET_ADMIN can): not a
			// socket of the dump.
			d.stats.Forged++
			continue
		}
		var res dumpResult
		out, res, err = parseDump(d.buf[:n], proto, out)
		d.stats.Malformed += res.Bad
		interrupted = interrupted || res.Interrupted
		if err != nil {
			// Drain what is left of this dump so that the next one starts
			// clean.
			d.drain()
			return out, interrupted, err
		}
		if res.Done {
			return out, interrupted, nil
		}
	}
}

// drain reads and drops replies until the socket has none waiting.
func (d *dumper) drain() {
	for {
		n, _, err := unix.Recvfrom(d.fd, d.buf, unix.MSG_DONTWAIT)
		if err != nil || n == 0 {
			return
		}
	}
}

// fromKernel reports whether a message's sender is the kernel (port id
// 0).
func fromKernel(from unix.Sockaddr) bool {
	sa, ok := from.(*unix.SockaddrNetlink)
	return ok && sa.Pid == 0
}

// takeStats returns what was skipped or retried since the last take.
func (d *dumper) takeStats() dumpStats {
	st := d.stats
	d.stats = dumpStats{}
	return st
}
