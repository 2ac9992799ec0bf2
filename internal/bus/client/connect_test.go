package client_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/client"
	"github.com/vigilsec/vigil/internal/bus/server"
	"github.com/vigilsec/vigil/internal/pki"
)

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestConnectWhileCenterIsDown(t *testing.T) {
	port := freePort(t)
	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// Issue the identity from a first server, stop it, start the agent.
	c := bustest.Start(t, func(cfg *server.Config) { cfg.Listen = listen })
	ident, _ := c.Agent("agent-a")
	c.Server.Shutdown()

	reconnected := make(chan struct{}, 1)
	nc, err := client.Connect(context.Background(), ident, client.Options{
		OnReconnect: func() { reconnected <- struct{}{} },
	})
	if err != nil {
		t.Fatalf("Connect with the center down: %v", err)
	}
	defer nc.Close()
	if nc.IsConnected() {
		t.Fatal("connected to a stopped center")
	}
	c.Restart()
	select {
	case <-reconnected:
	case <-time.After(wait):
		t.Fatalf("agent did not connect once the center was up: %v", nc.LastError())
	}
	if got := nc.ConnectedUrl(); !strings.HasPrefix(got, "tls://") {
		t.Errorf("connected to %q, want a tls:// URL", got)
	}
	sub, err := nc.SubscribeSync(bus.InboxPrefix("agent-a") + ".x")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if nc.NewInbox()[:len(bus.InboxPrefix("agent-a"))] != bus.InboxPrefix("agent-a") {
		t.Errorf("inbox %q does not use the agent's prefix", nc.NewInbox())
	}
	_ = sub.Unsubscribe()
}

func TestConnectRefusesAnotherCA(t *testing.T) {
	c := bustest.Start(t)
	ident, _ := c.Agent("agent-a")
	other, err := pki.EnsureCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ident.CAPEM = string(other.PEM())
	errs := make(chan error, 10)
	nc, err := client.Connect(context.Background(), ident, client.Options{
		Extra:   []nats.Option{nats.RetryOnFailedConnect(false)},
		OnError: func(err error) { errs <- err },
	})
	if err == nil {
		nc.Close()
		t.Fatal("connected to a center whose certificate the pinned CA did not sign")
	}
	if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("err = %v, want a certificate error", err)
	}
}

func TestConnectChecksIdentity(t *testing.T) {
	c := bustest.Start(t)
	good, _ := c.Agent("agent-a")
	tests := []struct {
		name   string
		change func(*bus.Identity)
	}{
		{"bad agent id", func(i *bus.Identity) { i.AgentID = "a.b" }},
		{"no URL", func(i *bus.Identity) { i.NATSURLs = nil }},
		{"no JWT", func(i *bus.Identity) { i.UserJWT = "" }},
		{"no CA", func(i *bus.Identity) { i.CAPEM = "" }},
		{"CA not PEM", func(i *bus.Identity) { i.CAPEM = "garbage" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ident := good
			tt.change(&ident)
			if nc, err := client.Connect(context.Background(), ident, client.Options{}); err == nil {
				nc.Close()
				t.Fatal("connected")
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := client.Connect(ctx, good, client.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Connect with a done context: err = %v", err)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		max     time.Duration
	}{
		{1, 250 * time.Millisecond},
		{2, 500 * time.Millisecond},
		{3, time.Second},
		{8, 30 * time.Second},
		{1000, 30 * time.Second},
	}
	for _, tt := range tests {
		var top time.Duration
		for range 200 {
			d := client.Backoff(tt.attempt)
			if d < 0 || d > tt.max {
				t.Fatalf("Backoff(%d) = %v, want within [0, %v]", tt.attempt, d, tt.max)
			}
			top = max(top, d)
		}
		if top < tt.max/2 {
			t.Errorf("Backoff(%d): largest of 200 draws %v, want jitter over [0, %v]", tt.attempt, top, tt.max)
		}
	}
}

func TestIsCommand(t *testing.T) {
	subj := bus.CommandSubject("agent-a")
	reply := bus.CenterInboxPrefix + ".abc.1"
	status := nats.Header{"Status": []string{"100"}}
	tests := []struct {
		name string
		msg  *nats.Msg
		want bool
	}{
		{"request from the center", &nats.Msg{Subject: subj, Reply: reply}, true},
		{"nil", nil, false},
		{"no reply", &nats.Msg{Subject: subj}, false},
		{"reply elsewhere", &nats.Msg{Subject: subj, Reply: "$JS.ACK.KV_vigil_policy.x.1.1.1.1.0"}, false},
		{"reply in an agent inbox", &nats.Msg{Subject: subj, Reply: bus.InboxPrefix("agent-b") + ".x"}, false},
		{"other subject", &nats.Msg{Subject: "$KV.vigil_policy.agent.agent-b", Reply: reply}, false},
		{"status header", &nats.Msg{Subject: subj, Reply: reply, Header: status}, false},
	}
	for _, tt := range tests {
		if got := client.IsCommand(tt.msg, "agent-a"); got != tt.want {
			t.Errorf("%s: IsCommand = %v, want %v", tt.name, got, tt.want)
		}
	}
}
