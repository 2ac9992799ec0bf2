package audit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"golang.org/x/sys/unix"
)

// receiveBuffer is the socket receive buffer asked for.
const receiveBuffer = 8 << 20

// groupReadLog is the audit multicast group (AUDIT_NLGRP_READLOG) as a
// bind mask.
const groupReadLog = 1 << (libaudit.NetlinkGroupReadLog - 1)

// errDaemon is wrapped when an audit daemon holds the audit pid.
var errDaemon = errors.New("an audit daemon holds the audit pid")

// receiver is the netlink socket the records arrive on: registered as
// the audit process (unicast), or subscribed to the multicast group.
type receiver struct {
	fd        int
	multicast bool
	pidSet    bool
	seq       uint32
}

// openReceiver opens the socket; unicast registers this process as the
// audit process, failing with errDaemon when another one is.
func openReceiver(multicast bool, timeout time.Duration) (*receiver, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
	if err != nil {
		return nil, fmt.Errorf("audit netlink socket: %w", err)
	}
	r := &receiver{fd: fd, multicast: multicast}
	sa := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	if multicast {
		sa.Groups = groupReadLog
	}
	if err := unix.Bind(fd, sa); err != nil {
		r.close()
		if multicast {
			return nil, fmt.Errorf("join the audit multicast group (Linux 3.16+, CAP_AUDIT_READ): %w", err)
		}
		return nil, fmt.Errorf("bind the audit socket: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, receiveBuffer); err != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, receiveBuffer)
	}
	tv := unix.NsecToTimeval(timeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		r.close()
		return nil, fmt.Errorf("set the receive timeout: %w", err)
	}
	if !multicast {
		if err := r.setPID(uint32(os.Getpid())); err != nil {
			r.close()
			if errors.Is(err, unix.EEXIST) {
				return nil, fmt.Errorf("%w: %w", errDaemon, err)
			}
			return nil, fmt.Errorf("register as the audit process: %w", err)
		}
		r.pidSet = true
	}
	return r, nil
}

// setPID sends AUDIT_SET with the pid and waits for the kernel's answer,
// skipping the records that arrive meanwhile.
func (r *receiver) setPID(pid uint32) error {
	r.seq++
	st := libaudit.AuditStatus{Mask: libaudit.AuditStatusPID, PID: pid}
	var body bytes.Buffer
	_ = binary.Write(&body, binary.NativeEndian, st)
	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+body.Len())
	binary.NativeEndian.PutUint32(msg[0:], uint32(unix.NLMSG_HDRLEN+body.Len()))
	binary.NativeEndian.PutUint16(msg[4:], libaudit.AuditSet)
	binary.NativeEndian.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(msg[8:], r.seq)
	msg = append(msg, body.Bytes()...)
	if err := unix.Sendto(r.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		n, err := r.receive(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, unix.ENOBUFS) {
				continue
			}
			return err
		}
		if n < unix.NLMSG_HDRLEN+4 || binary.NativeEndian.Uint16(buf[4:]) != unix.NLMSG_ERROR ||
			binary.NativeEndian.Uint32(buf[8:]) != r.seq {
			continue // a record
		}
		if errno := int32(binary.NativeEndian.Uint32(buf[unix.NLMSG_HDRLEN:])); errno != 0 {
			return unix.Errno(-errno)
		}
		return nil
	}
	return errors.New("no answer from the kernel")
}

// receive reads one message into buf. It returns os.ErrDeadlineExceeded
// when the timeout passed, unix.ENOBUFS when records were dropped.
func (r *receiver) receive(buf []byte) (int, error) {
	for {
		n, from, err := unix.Recvfrom(r.fd, buf, 0)
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

// close unregisters the audit process (when this socket registered it)
// and closes the socket.
func (r *receiver) close() error {
	var err error
	if r.pidSet {
		if err = r.setPID(0); err != nil {
			err = fmt.Errorf("unregister as the audit process: %w", err)
		}
		r.pidSet = false
	}
	return errors.Join(err, unix.Close(r.fd))
}

// splitMessage returns the type and text of one audit netlink message.
func splitMessage(b []byte) (uint16, []byte, bool) {
	if len(b) < unix.NLMSG_HDRLEN {
		return 0, nil, false
	}
	typ := binary.NativeEndian.Uint16(b[4:])
	data := b[unix.NLMSG_HDRLEN:]
	// The length in the header is not reliable for audit records; the
	// text ends at the datagram's end or at a NUL.
	if i := bytes.IndexByte(data, 0); i >= 0 {
		data = data[:i]
	}
	return typ, bytes.TrimRight(data, "\n"), true
}
