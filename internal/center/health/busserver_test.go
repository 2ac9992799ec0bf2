package health

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/client"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// TestWithBusServer runs the service on the center's real bus server:
// operator mode, agents known by the name in their user JWT, TLS.
func TestWithBusServer(t *testing.T) {
	c := bustest.Start(t)
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	id, userKey := c.Agent("agent-jwt")
	if err := st.Agents().Create(t.Context(), store.Agent{ID: id.AgentID, Hostname: "h", UserKey: userKey, Status: store.StatusStopped}); err != nil {
		t.Fatal(err)
	}
	svc := New(Config{Store: st, Conn: c.Server.Conn(), SysConn: c.Server.SysConn(), Account: c.Server.AccountKey(),
		Grace: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	e := &env{t: t, store: st, svc: svc}
	e.eventually("service subscribed", func() bool {
		_, err := c.Server.Conn().Request(bus.GoodbyeSubject("nobody"), nil, time.Second)
		return err == nil
	})

	nc, err := client.Connect(t.Context(), id, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.waitStatus(id.AgentID, store.StatusOnline)
	nc.Close()
	got := e.waitStatus(id.AgentID, store.StatusLost)
	if got.StatusReason != "disconnected without goodbye: Client Closed (from 127.0.0.1)" {
		t.Errorf("reason %q", got.StatusReason)
	}
}
