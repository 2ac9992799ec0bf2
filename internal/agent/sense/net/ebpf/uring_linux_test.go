//go:build linux && (amd64 || arm64)

package ebpf_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/sense/net/ebpf"
)

// A minimal io_uring (linux/io_uring.h), enough to accept connections
// the way io_uring servers do: IORING_OP_ACCEPT with no system call
// named accept.
const (
	ioringOpAccept       = 13
	ioringEnterGetEvents = 1
	ioringFeatSingleMmap = 1
	ioringOffSQRing      = 0
	ioringOffCQRing      = 0x8000000
	ioringOffSQEs        = 0x10000000
	ioringRegisterFiles  = 2
	// iosqeAsync makes the kernel run the request in an io-wq worker.
	iosqeAsync = 1 << 4
	// ioringAcceptMultishot, in an accept's ioprio, keeps the request
	// accepting: one completion per connection.
	ioringAcceptMultishot = 1 << 0
	sqeSize               = 64
	cqeSize               = 16
)

// uringParams is struct io_uring_params.
type uringParams struct {
	SQEntries, CQEntries, Flags, SQThreadCPU, SQThreadIdle, Features, WQFd uint32
	Resv                                                                   [3]uint32
	SQOff                                                                  struct {
		Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
		UserAddr                                                        uint64
	}
	CQOff struct {
		Head, Tail, RingMask, RingEntries, Overflow, CQEs, Flags, Resv1 uint32
		UserAddr                                                        uint64
	}
}

// uring is one ring with its mappings.
type uring struct {
	fd        int
	p         uringParams
	sq, cq    []byte
	sqes      []byte
	submitted uint64
	// single: one mapping holds both rings.
	single bool
}

// newURing sets up a ring of 8 entries.
func newURing() (*uring, error) {
	u := &uring{}
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, 8, uintptr(unsafe.Pointer(&u.p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", errno)
	}
	u.fd = int(fd)
	sqLen := int(u.p.SQOff.Array + u.p.SQEntries*4)
	cqLen := int(u.p.CQOff.CQEs + u.p.CQEntries*cqeSize)
	mmap := func(off int64, n int) ([]byte, error) {
		return unix.Mmap(u.fd, off, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	}
	var err error
	if u.p.Features&ioringFeatSingleMmap != 0 {
		u.sq, err = mmap(ioringOffSQRing, max(sqLen, cqLen))
		u.cq, u.single = u.sq, true
	} else if u.sq, err = mmap(ioringOffSQRing, sqLen); err == nil {
		u.cq, err = mmap(ioringOffCQRing, cqLen)
	}
	if err == nil {
		u.sqes, err = mmap(ioringOffSQEs, int(u.p.SQEntries)*sqeSize)
	}
	if err != nil {
		u.close()
		return nil, fmt.Errorf("map the rings: %w", err)
	}
	return u, nil
}

func (u *uring) close() {
	if u.sqes != nil {
		_ = unix.Munmap(u.sqes)
	}
	if u.cq != nil && !u.single {
		_ = unix.Munmap(u.cq)
	}
	if u.sq != nil {
		_ = unix.Munmap(u.sq)
	}
	_ = unix.Close(u.fd)
}

// word returns the ring word at off of mapping m.
func word(m []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&m[off])) }

// submitAccept queues an accept of listener fd (no peer address asked
// for) with the SQE flags and hands it to the kernel without waiting.
// A slot above 0 asks for the connection in fixed file slot-1 instead
// of a descriptor.
func (u *uring) submitAccept(fd int, flags uint8, slot uint32) error {
	return u.submitAcceptPrio(fd, flags, slot, 0)
}

// submitAcceptPrio is submitAccept with the accept flags of ioprio.
func (u *uring) submitAcceptPrio(fd int, flags uint8, slot uint32, ioprio uint16) error {
	tail := atomic.LoadUint32(word(u.sq, u.p.SQOff.Tail))
	idx := tail & *word(u.sq, u.p.SQOff.RingMask)
	sqe := u.sqes[idx*sqeSize : (idx+1)*sqeSize]
	clear(sqe)
	sqe[0] = ioringOpAccept
	sqe[1] = flags
	binary.NativeEndian.PutUint16(sqe[2:], ioprio)
	binary.NativeEndian.PutUint32(sqe[4:], uint32(fd))
	if slot == 0 {
		// accept_flags; a fixed file has no close-on-exec flag.
		binary.NativeEndian.PutUint32(sqe[28:], unix.SOCK_CLOEXEC)
	}
	u.submitted++
	binary.NativeEndian.PutUint64(sqe[32:], u.submitted) // user_data
	binary.NativeEndian.PutUint32(sqe[44:], slot)        // file_index
	*word(u.sq, u.p.SQOff.Array+idx*4) = idx
	atomic.StoreUint32(word(u.sq, u.p.SQOff.Tail), tail+1)
	for {
		n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(u.fd), 1, 0, 0, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return fmt.Errorf("io_uring_enter: %w", errno)
		}
		if n != 1 {
			return fmt.Errorf("io_uring_enter submitted %d requests", n)
		}
		return nil
	}
}

// wait waits for the next completion and returns its result: the new
// descriptor of an accept.
func (u *uring) wait() (int, error) {
	for {
		head := atomic.LoadUint32(word(u.cq, u.p.CQOff.Head))
		if head != atomic.LoadUint32(word(u.cq, u.p.CQOff.Tail)) {
			idx := head & *word(u.cq, u.p.CQOff.RingMask)
			off := u.p.CQOff.CQEs + idx*cqeSize
			res := int32(binary.NativeEndian.Uint32(u.cq[off+8:]))
			atomic.StoreUint32(word(u.cq, u.p.CQOff.Head), head+1)
			if res < 0 {
				return 0, fmt.Errorf("accept through io_uring: %w", unix.Errno(-res))
			}
			return int(res), nil
		}
		_, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(u.fd), 0, 1, ioringEnterGetEvents, 0, 0)
		if errno != 0 && errno != unix.EINTR {
			return 0, fmt.Errorf("io_uring_enter: %w", errno)
		}
	}
}

// registerSparse registers a table of n empty fixed file slots.
func (u *uring) registerSparse(n int) error {
	fds := make([]int32, n)
	for i := range fds {
		fds[i] = -1
	}
	_, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(u.fd), ioringRegisterFiles,
		uintptr(unsafe.Pointer(&fds[0])), uintptr(n), 0, 0)
	if errno != 0 {
		return fmt.Errorf("io_uring_register files: %w", errno)
	}
	return nil
}

// uringUsable reports why io_uring cannot be used here, nil when it can.
func uringUsable() error {
	u, err := newURing()
	if err != nil {
		return err
	}
	u.close()
	return nil
}

// uringAcceptHelper accepts three connections on the listener it got as
// descriptor 3, through io_uring, each a different way: an accept
// waiting for its connection (completed from task work), one whose
// connection is already queued (completed inline), and one forced into
// an io-wq worker. After each it writes the accept's number to the new
// connection, and reads one byte from it before the next.
func uringAcceptHelper() error {
	const listener = 3
	u, err := newURing()
	if err != nil {
		return err
	}
	defer u.close()
	// The first accept waits before the first connection exists.
	if err := u.submitAccept(listener, 0, 0); err != nil {
		return err
	}
	fmt.Printf("ready io_uring\n")
	for i, flags := range []uint8{0, 0, iosqeAsync} {
		if i > 0 {
			if err := u.submitAccept(listener, flags, 0); err != nil {
				return err
			}
		}
		fd, err := u.wait()
		if err != nil {
			return err
		}
		if _, err := unix.Write(fd, []byte{byte('1' + i)}); err != nil {
			return fmt.Errorf("write to accepted connection %d: %w", i+1, err)
		}
		// The test answers when the next connection is queued.
		for {
			_, err := unix.Read(fd, make([]byte, 1))
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				return fmt.Errorf("read from accepted connection %d: %w", i+1, err)
			}
			break
		}
	}
	return nil
}

// uringAcceptFixedHelper accepts one connection on the listener it got
// as descriptor 3 into a fixed file slot: the connection never has a
// descriptor. It then closes the ring, which closes the connection.
func uringAcceptFixedHelper() error {
	const listener = 3
	u, err := newURing()
	if err != nil {
		return err
	}
	if err := u.registerSparse(1); err != nil {
		u.close()
		return err
	}
	if err := u.submitAccept(listener, 0, 1); err != nil {
		u.close()
		return err
	}
	fmt.Printf("ready io_uring fixed\n")
	_, err = u.wait()
	u.close()
	return err
}

// uringAcceptMultishotHelper accepts two connections on the listener it
// got as descriptor 3 with one multishot accept, and writes the accept's
// number to each.
func uringAcceptMultishotHelper() error {
	const listener = 3
	u, err := newURing()
	if err != nil {
		return err
	}
	defer u.close()
	if err := u.submitAcceptPrio(listener, 0, 0, ioringAcceptMultishot); err != nil {
		return err
	}
	fmt.Printf("ready io_uring multishot\n")
	for i := range 2 {
		fd, err := u.wait()
		if err != nil {
			return err
		}
		if _, err := unix.Write(fd, []byte{byte('1' + i)}); err != nil {
			return fmt.Errorf("write to accepted connection %d: %w", i+1, err)
		}
	}
	return nil
}

// TestURingAccept: connections accepted through io_uring, by a process
// that did not open the listener. With exact_accept_owner the sensor
// names that process; by default, the listener's owner (this test).
// The three accepts complete three ways: from task work after waiting,
// inline, and in an io-wq worker.
func TestURingAccept(t *testing.T) {
	if err := uringUsable(); err != nil {
		t.Skipf("io_uring cannot be used here: %v", err)
	}
	for _, tc := range []struct {
		name, settings string
		exact          bool
	}{
		{"listener-owner", `{"flow_interval":"1s"}`, false},
		{"exact", `{"flow_interval":"1s","exact_accept_owner":true}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startSensor(t, ebpf.New(), testHostID, tc.settings)
			waitReady(t, r)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			lf, err := l.(*net.TCPListener).File()
			if err != nil {
				t.Fatal(err)
			}
			h := startHelperFiles(t, "uring-accept", nil, []*os.File{lf})
			_ = lf.Close()

			var ports []string
			var prev net.Conn
			for i := range 3 {
				c, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				// The connection is queued: let the helper go on.
				if prev != nil {
					if _, err := prev.Write([]byte{'n'}); err != nil {
						t.Fatal(err)
					}
				}
				_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
				b := make([]byte, 1)
				if _, err := io.ReadFull(c, b); err != nil || b[0] != byte('1'+i) {
					t.Fatalf("accept %d through io_uring: read %q, %v", i+1, b, err)
				}
				_, port, _ := net.SplitHostPort(c.LocalAddr().String())
				ports = append(ports, port)
				prev = c
			}
			if _, err := prev.Write([]byte{'n'}); err != nil {
				t.Fatal(err)
			}

			wantPID, wantSource := strconv.Itoa(os.Getpid()), "listener"
			if tc.exact {
				wantPID, wantSource = strconv.Itoa(h.pid), ""
			}
			for i, port := range ports {
				e := r.out.Wait(t, "connection-accepted "+strconv.Itoa(i+1),
					has("event.action", "connection-accepted", "source.port", port))
				checkFields(t, e, map[string]string{
					"process.pid": wantPID, "vigil.network.owner_source": wantSource, "event.outcome": "success",
					"destination.ip": "127.0.0.1", "network.direction": "ingress",
				})
			}
			h.stop()
			r.Stop(t)
			checkEvents(t, r.out)
		})
	}
}

// TestURingAcceptMultishot: one multishot accept through io_uring
// accepts two connections; with exact_accept_owner both are named after
// the process that accepted them.
func TestURingAcceptMultishot(t *testing.T) {
	if err := uringUsable(); err != nil {
		t.Skipf("io_uring cannot be used here: %v", err)
	}
	r := startSensor(t, ebpf.New(), testHostID, `{"flow_interval":"1s","exact_accept_owner":true}`)
	waitReady(t, r)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lf, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	h := startHelperFiles(t, "uring-accept-multishot", nil, []*os.File{lf})
	_ = lf.Close()
	for i := range 2 {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		b := make([]byte, 1)
		if _, err := io.ReadFull(c, b); err != nil || b[0] != byte('1'+i) {
			t.Fatalf("accept %d through io_uring: read %q, %v", i+1, b, err)
		}
		_, port, _ := net.SplitHostPort(c.LocalAddr().String())
		e := r.out.Wait(t, "connection-accepted "+strconv.Itoa(i+1),
			has("event.action", "connection-accepted", "source.port", port))
		checkFields(t, e, map[string]string{"process.pid": strconv.Itoa(h.pid), "vigil.network.owner_source": ""})
	}
	h.stop()
	r.Stop(t)
	checkEvents(t, r.out)
}

// TestURingAcceptFixed: a connection accepted through io_uring into a
// fixed file slot has no descriptor for exact_accept_owner to find; it
// is reported when it closes, with the listener's owner (this test).
func TestURingAcceptFixed(t *testing.T) {
	if err := uringUsable(); err != nil {
		t.Skipf("io_uring cannot be used here: %v", err)
	}
	r := startSensor(t, ebpf.New(), testHostID, `{"flow_interval":"1s","exact_accept_owner":true}`)
	waitReady(t, r)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lf, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	h := startHelperFiles(t, "uring-accept-fixed", nil, []*os.File{lf})
	_ = lf.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(c.LocalAddr().String())
	// The helper closes its ring after the accept, and with it the
	// connection.
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read %d bytes, %v; want the end of the connection", n, err)
	}
	_ = c.Close()
	e := r.out.Wait(t, "connection-accepted", has("event.action", "connection-accepted", "source.port", port))
	checkFields(t, e, map[string]string{
		"process.pid": strconv.Itoa(os.Getpid()), "vigil.network.owner_source": "listener", "event.outcome": "success",
	})
	h.stop()
	r.Stop(t)
	if n := len(r.out.Matching(has("event.action", "connection-accepted", "source.port", port))); n != 1 {
		t.Errorf("%d connection-accepted events, want 1", n)
	}
	checkEvents(t, r.out)
}
