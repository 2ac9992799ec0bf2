package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/server"
)

func TestRevoke(t *testing.T) {
	c := bustest.Start(t)
	a := connectAgent(t, c, "agent-a")
	b := connectAgent(t, c, "agent-b")

	if err := c.Server.Revoke(a.key); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	select {
	case <-a.disc:
	case <-time.After(time.Second):
		t.Fatalf("A still connected a second after its revocation")
	}
	if !c.Server.Revoked(a.key) || c.Server.Revoked(b.key) {
		t.Errorf("Revoked(A)=%v Revoked(B)=%v", c.Server.Revoked(a.key), c.Server.Revoked(b.key))
	}
	select {
	case <-a.closed:
	case <-time.After(wait):
		t.Fatalf("A's client did not give up after being refused: %v", a.nc.LastError())
	}
	if err := a.nc.LastError(); !errors.Is(err, nats.ErrAuthorization) && !errors.Is(err, nats.ErrAuthRevoked) {
		t.Errorf("A's last error = %v, want an authorization error", err)
	}
	expectRefused(t, c, a.ident)
	expectWorks(t, c, b)
	expectJetStream(t, b)
	if _, err := c.Server.IssueAgent("agent-a", a.key); !errors.Is(err, server.ErrRevoked) {
		t.Errorf("IssueAgent for a revoked key: err = %v, want ErrRevoked", err)
	}
	if err := c.Server.Revoke(a.key); err != nil {
		t.Errorf("revoking again: %v", err)
	}

	c.Restart()
	expectRefused(t, c, a.ident)
	waitConnected(t, b.nc)
	expectWorks(t, c, b)
	expectJetStream(t, b)
	if !c.Server.Revoked(a.key) {
		t.Errorf("revocation lost on restart")
	}
}

// expectRefused checks that a fresh connection with ident is refused.
func expectRefused(t *testing.T, c *bustest.Center, ident bus.Identity) {
	t.Helper()
	nc, err := nats.Connect(c.Server.ClientURL(), nats.Secure(c.ClientTLS()),
		nats.UserJWTAndSeed(ident.UserJWT, ident.UserSeed), nats.NoReconnect())
	if err == nil {
		nc.Close()
		t.Fatalf("%s connected with revoked credentials", ident.AgentID)
	}
	if !errors.Is(err, nats.ErrAuthorization) && !errors.Is(err, nats.ErrAuthRevoked) {
		t.Errorf("%s: connect err = %v, want an authorization error", ident.AgentID, err)
	}
}

// expectWorks checks a command round trip to a.
func expectWorks(t *testing.T, c *bustest.Center, a *agent) {
	t.Helper()
	sub, err := a.nc.Subscribe(bus.CommandSubject(a.id), func(m *nats.Msg) { _ = m.Respond([]byte("ok")) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	a.flush(t)
	if _, err := c.Server.Conn().Request(bus.CommandSubject(a.id), nil, wait); err != nil {
		t.Fatalf("%s: command round trip: %v", a.id, err)
	}
}

// expectJetStream checks that a can still publish events.
func expectJetStream(t *testing.T, a *agent) {
	t.Helper()
	js, err := jetstream.New(a.nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := js.Publish(ctx, bus.EventsSubject(a.id), []byte("event")); err != nil {
		t.Fatalf("%s: JetStream publish: %v", a.id, err)
	}
}

// waitConnected waits until nc is connected again.
func waitConnected(t *testing.T, nc *nats.Conn) {
	t.Helper()
	deadline := time.Now().Add(3 * wait)
	for !nc.IsConnected() {
		if time.Now().After(deadline) {
			t.Fatalf("not reconnected: %v", nc.LastError())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
