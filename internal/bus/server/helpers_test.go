package server_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/client"
)

// wait bounds every wait for something that should happen at once.
const wait = 5 * time.Second

// agent is a connected test agent that records its asynchronous errors.
type agent struct {
	id     string
	key    string
	ident  bus.Identity
	nc     *nats.Conn
	errs   chan error
	closed chan struct{}
	disc   chan struct{}
}

// connectAgent issues credentials for id and connects with client.Connect.
func connectAgent(t *testing.T, c *bustest.Center, id string, extra ...nats.Option) *agent {
	t.Helper()
	ident, key := c.Agent(id)
	return connectAs(t, ident, key, extra...)
}

// connectAs connects with an existing identity.
func connectAs(t *testing.T, ident bus.Identity, key string, extra ...nats.Option) *agent {
	t.Helper()
	a := &agent{id: ident.AgentID, key: key, ident: ident, errs: make(chan error, 100),
		closed: make(chan struct{}), disc: make(chan struct{}, 10)}
	var once sync.Once
	nc, err := client.Connect(context.Background(), ident, client.Options{
		OnError:      func(err error) { a.errs <- err },
		OnClosed:     func() { once.Do(func() { close(a.closed) }) },
		OnDisconnect: func(error) { a.disc <- struct{}{} },
		Extra:        extra,
	})
	if err != nil {
		t.Fatalf("connect %s: %v", ident.AgentID, err)
	}
	t.Cleanup(nc.Close)
	a.nc = nc
	deadline := time.Now().Add(wait)
	for !nc.IsConnected() {
		if time.Now().After(deadline) {
			t.Fatalf("%s not connected: %v", ident.AgentID, nc.LastError())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return a
}

// expectViolation waits for a permission violation naming subject.
func (a *agent) expectViolation(t *testing.T, subject string) {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case err := <-a.errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subject) {
				return
			}
		case <-timeout:
			t.Fatalf("%s: no permission violation for %q", a.id, subject)
		}
	}
}

// flush makes sure the server has processed everything a sent.
func (a *agent) flush(t *testing.T) {
	t.Helper()
	if err := a.nc.FlushTimeout(wait); err != nil {
		t.Fatalf("%s flush: %v", a.id, err)
	}
}
