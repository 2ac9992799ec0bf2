package fleet

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Failure is how a simulated agent is taken off the bus.
type Failure int

// Kinds of failure.
const (
	// Killed closes the agent's TCP socket at once with a reset, as when
	// its process is killed and the kernel drops the connection.
	Killed Failure = iota + 1
	// Silent stops reading and writing on the socket without closing it,
	// as when a cable is cut or the host freezes: the center sees nothing
	// until its own liveness checks give up on the connection.
	Silent
)

// String names the failure in reports.
func (f Failure) String() string {
	switch f {
	case Killed:
		return "killed"
	case Silent:
		return "silent"
	default:
		return "none"
	}
}

// errDown is what dials of an agent that was taken down return, so that
// its client cannot come back.
var errDown = errors.New("simulated agent is down")

// conn is the agent's TCP connection, which can be killed or silenced
// from outside while the NATS client (and its TLS layer) use it.
type conn struct {
	net.Conn
	mode     atomic.Int32 // 0, or a Failure
	released chan struct{}
	once     sync.Once
}

func newConn(c net.Conn) *conn { return &conn{Conn: c, released: make(chan struct{})} }

// Read blocks on a silenced connection until it is closed: the peer's
// bytes stay unread, like those sent into a cut cable.
func (c *conn) Read(b []byte) (int, error) {
	if Failure(c.mode.Load()) == Silent {
		<-c.released
		return 0, net.ErrClosed
	}
	return c.Conn.Read(b)
}

// Write discards the bytes on a silenced connection: they never reach the
// peer, and the writer is not held up.
func (c *conn) Write(b []byte) (int, error) {
	switch Failure(c.mode.Load()) {
	case Silent:
		return len(b), nil
	case Killed:
		return 0, net.ErrClosed
	}
	return c.Conn.Write(b)
}

// Close closes the socket, except on a silenced connection: there it only
// ends the local reader and writer, and the socket stays open (as the
// peer's end of a cut cable does) until release.
func (c *conn) Close() error {
	if Failure(c.mode.Load()) == Silent {
		c.once.Do(func() { close(c.released) })
		return nil
	}
	return c.Conn.Close()
}

// fail applies the failure; it returns the time it took effect.
func (c *conn) fail(f Failure) time.Time {
	if f == Killed {
		if tc, ok := c.Conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close with a reset, not an orderly shutdown
		}
		c.mode.Store(int32(Killed))
		at := time.Now()
		_ = c.Conn.Close()
		return at
	}
	c.mode.Store(int32(f))
	return time.Now()
}

// release closes the socket for good, whatever its state.
func (c *conn) release() {
	c.once.Do(func() { close(c.released) })
	_ = c.Conn.Close()
}

// dialer makes the agent's TCP connections and refuses new ones once the
// agent is taken down. It implements nats.CustomDialer.
type dialer struct {
	net  net.Dialer
	mu   sync.Mutex
	down bool
	cur  *conn
	all  []*conn
}

// Dial connects to address and keeps the connection so that it can be
// failed later.
func (d *dialer) Dial(network, address string) (net.Conn, error) {
	d.mu.Lock()
	down := d.down
	d.mu.Unlock()
	if down {
		return nil, errDown
	}
	raw, err := d.net.Dial(network, address)
	if err != nil {
		return nil, err
	}
	c := newConn(raw)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		_ = raw.Close()
		return nil, errDown
	}
	d.cur = c
	d.all = append(d.all, c)
	return c, nil
}

// fail refuses further dials and applies f to the current connection. It
// returns when the failure took effect.
func (d *dialer) fail(f Failure) time.Time {
	d.mu.Lock()
	d.down = true
	c := d.cur
	d.mu.Unlock()
	if c == nil {
		return time.Now()
	}
	return c.fail(f)
}

// release closes every socket the dialer made.
func (d *dialer) release() {
	d.mu.Lock()
	d.down = true
	all := d.all
	d.all, d.cur = nil, nil
	d.mu.Unlock()
	for _, c := range all {
		c.release()
	}
}
