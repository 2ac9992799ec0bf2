package fleet

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// pair dials a loopback listener through a dialer and returns the
// dialer's connection and the accepted server end.
func pair(t *testing.T) (*dialer, net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	d := &dialer{net: netDialer()}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(); d.release() })
	return d, c, srv
}

func TestKilledResetsAndRefusesDials(t *testing.T) {
	d, c, srv := pair(t)
	if _, err := c.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if n, err := srv.Read(buf); err != nil || string(buf[:n]) != "hi" {
		t.Fatalf("server read %q, %v", buf[:n], err)
	}
	d.fail(Killed)
	srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := srv.Read(buf); err == nil || errors.Is(err, io.EOF) || isTimeout(err) {
		t.Errorf("server read after kill: %v, want a connection reset", err)
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Error("write on a killed connection succeeded")
	}
	if _, err := d.Dial("tcp", srv.LocalAddr().String()); !errors.Is(err, errDown) {
		t.Errorf("dial after kill: %v, want errDown", err)
	}
}

func TestSilentSwallowsAndKeepsSocketOpen(t *testing.T) {
	d, c, srv := pair(t)
	d.fail(Silent)
	if n, err := c.Write([]byte("lost")); err != nil || n != 4 {
		t.Fatalf("write on a silent connection = %d, %v", n, err)
	}
	if _, err := srv.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 8))
		read <- err
	}()
	buf := make([]byte, 8)
	srv.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, err := srv.Read(buf); !isTimeout(err) {
		t.Fatalf("server read %q, %v; want nothing (timeout)", buf[:n], err)
	}
	select {
	case err := <-read:
		t.Fatalf("read on a silent connection returned %v", err)
	default:
	}
	// The client closing its end must not reach the server either.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-read; !errors.Is(err, net.ErrClosed) {
		t.Errorf("blocked read after close: %v, want net.ErrClosed", err)
	}
	srv.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := srv.Read(buf); !isTimeout(err) {
		t.Fatalf("server read after client close: %v; want a timeout", err)
	}
	d.release()
	srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	// The unread "ping" makes the close a reset rather than an EOF.
	if _, err := srv.Read(buf); err == nil || isTimeout(err) {
		t.Errorf("server read after release: %v, want the connection closed", err)
	}
}

func TestFailureString(t *testing.T) {
	for f, want := range map[Failure]string{Killed: "killed", Silent: "silent", 0: "none"} {
		if got := f.String(); got != want {
			t.Errorf("Failure(%d).String() = %q, want %q", f, got, want)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
