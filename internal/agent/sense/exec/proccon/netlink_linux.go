package proccon

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// receiveBuffer is the socket receive buffer asked for: large enough to
// ride out a burst of process events while /proc is being read.
const receiveBuffer = 8 << 20

// conn is a netlink socket subscribed to the proc connector.
type conn struct {
	fd int
}

// dial opens a socket and subscribes it to the proc connector's events.
func dial() (*conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("netlink connector socket: %w", err)
	}
	c := &conn{fd: fd}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc, Pid: 0}); err != nil {
		c.close()
		return nil, fmt.Errorf("bind to the proc connector: %w", explain(err))
	}
	// As root the buffer may exceed rmem_max; else take what is allowed.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, receiveBuffer); err != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, receiveBuffer)
	}
	if err := unix.Sendto(fd, listenMessage(true), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		c.close()
		return nil, fmt.Errorf("subscribe to the proc connector: %w", explain(err))
	}
	return c, nil
}

// explain adds the usual cause to a permission error.
func explain(err error) error {
	if err == unix.EPERM || err == unix.EACCES {
		return fmt.Errorf("%w (needs root or CAP_NET_ADMIN)", err)
	}
	return err
}

// setTimeout bounds every receive to d.
func (c *conn) setTimeout(d time.Duration) error {
	tv := unix.NsecToTimeval(d.Nanoseconds())
	return unix.SetsockoptTimeval(c.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
}

// receive reads one datagram into buf. It returns os.ErrDeadlineExceeded
// when the timeout passed, unix.ENOBUFS when the kernel dropped events.
func (c *conn) receive(buf []byte) (int, error) {
	for {
		n, from, err := unix.Recvfrom(c.fd, buf, 0)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN || err == unix.EWOULDBLOCK:
			return 0, os.ErrDeadlineExceeded
		case err != nil:
			return 0, err
		}
		if sa, ok := from.(*unix.SockaddrNetlink); ok && sa.Pid != 0 {
			continue // not from the kernel
		}
		return n, nil
	}
}

// close unsubscribes and closes the socket.
func (c *conn) close() {
	_ = unix.Sendto(c.fd, listenMessage(false), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
	_ = unix.Close(c.fd)
}
