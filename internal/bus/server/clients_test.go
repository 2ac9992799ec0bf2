package server_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/server"
)

// recordingDialer keeps the raw TCP connection so a test can cut it.
type recordingDialer struct {
	mu   sync.Mutex
	conn net.Conn
}

func (d *recordingDialer) Dial(network, address string) (net.Conn, error) {
	c, err := net.Dial(network, address)
	if err == nil {
		d.mu.Lock()
		d.conn = c
		d.mu.Unlock()
	}
	return c, err
}

func TestWatchClients(t *testing.T) {
	c := bustest.Start(t)
	events := make(chan server.ClientEvent, 20)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Server.WatchClients(ctx, func(ev server.ClientEvent) { events <- ev }); err != nil {
		t.Fatal(err)
	}
	d := &recordingDialer{}
	a := connectAgent(t, c, "agent-a", nats.SetCustomDialer(d), nats.NoReconnect())

	ev := nextEvent(t, events, wait)
	if ev.Kind != server.Connect || ev.AgentID != a.id || ev.UserKey != a.key || ev.ConnName != a.id || ev.RemoteAddr != "127.0.0.1" {
		t.Errorf("connect event = %+v", ev)
	}
	if time.Since(ev.At) > time.Minute || ev.At.After(time.Now().Add(time.Second)) {
		t.Errorf("connect event time %v", ev.At)
	}

	d.mu.Lock()
	_ = d.conn.Close() // as if the process died: no clean close of the NATS connection
	d.mu.Unlock()
	ev = nextEvent(t, events, time.Second)
	if ev.Kind != server.Disconnect || ev.AgentID != a.id || ev.UserKey != a.key || ev.Reason == "" {
		t.Errorf("disconnect event = %+v", ev)
	}

	b := connectAgent(t, c, "agent-b")
	if ev := nextEvent(t, events, wait); ev.Kind != server.Connect || ev.AgentID != b.id {
		t.Errorf("second connect event = %+v", ev)
	}
	if err := c.Server.Revoke(b.key); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, events, time.Second); ev.Kind != server.Disconnect || ev.AgentID != b.id {
		t.Errorf("revocation disconnect event = %+v", ev)
	} else {
		t.Logf("revoked client closed with reason %q", ev.Reason)
	}
}

// nextEvent returns the next event within d.
func nextEvent(t *testing.T, events <-chan server.ClientEvent, d time.Duration) server.ClientEvent {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(d):
		t.Fatalf("no client event within %s", d)
	}
	return server.ClientEvent{}
}
