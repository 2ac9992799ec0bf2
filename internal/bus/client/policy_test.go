package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/client"
)

const wait = 10 * time.Second

func TestWatchPolicy(t *testing.T) {
	c := bustest.Start(t)
	ident, _ := c.Agent("agent-a")
	nc, err := client.Connect(context.Background(), ident, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	put(t, c, "agent-a", &busv1.AgentPolicy{Revision: 1, Name: "base"})
	put(t, c, "agent-b", &busv1.AgentPolicy{Revision: 99, Name: "not mine"})

	got := make(chan *busv1.AgentPolicy, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- client.WatchPolicy(ctx, nc, "agent-a", func(p *busv1.AgentPolicy) { got <- p }) }()

	expectPolicy(t, got, 1)
	put(t, c, "agent-a", &busv1.AgentPolicy{Revision: 2, Name: "strict", HeartbeatIntervalSeconds: 5})
	if p := expectPolicy(t, got, 2); p.GetName() != "strict" || p.GetHeartbeatIntervalSeconds() != 5 {
		t.Errorf("update = %v", p)
	}

	// A value that is no AgentPolicy is skipped.
	if _, err := bucket(t, c).Put(context.Background(), bus.PolicyKey("agent-a"), []byte{0xff, 0xff}); err != nil {
		t.Fatal(err)
	}

	// A restarted center has lost the watch's consumer: the watch is made
	// anew, without handing the current value again.
	c.Restart()
	put(t, c, "agent-a", &busv1.AgentPolicy{Revision: 3})
	expectPolicy(t, got, 3)

	kv := bucket(t, c)
	if err := kv.Delete(context.Background(), bus.PolicyKey("agent-a")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != nil {
			t.Errorf("after delete got %v, want nil", p)
		}
	case <-time.After(wait):
		t.Fatal("no call after delete")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("WatchPolicy returned %v", err)
		}
	case <-time.After(wait):
		t.Fatal("WatchPolicy did not return after cancel")
	}
	if len(got) != 0 {
		t.Errorf("extra call: %v", <-got)
	}
}

// expectPolicy waits for the next policy and checks its revision.
func expectPolicy(t *testing.T, got <-chan *busv1.AgentPolicy, rev uint64) *busv1.AgentPolicy {
	t.Helper()
	select {
	case p := <-got:
		if p.GetRevision() != rev {
			t.Fatalf("policy revision = %d, want %d", p.GetRevision(), rev)
		}
		return p
	case <-time.After(wait):
		t.Fatalf("no policy with revision %d", rev)
	}
	return nil
}

// bucket binds the policy bucket on the center's connection.
func bucket(t *testing.T, c *bustest.Center) jetstream.KeyValue {
	t.Helper()
	js, err := jetstream.New(c.Server.Conn())
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), bus.PolicyBucket)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// put stores an agent's policy as the center does.
func put(t *testing.T, c *bustest.Center, id string, p *busv1.AgentPolicy) {
	t.Helper()
	data, err := proto.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bucket(t, c).Put(context.Background(), bus.PolicyKey(id), data); err != nil {
		t.Fatalf("put policy: %v", err)
	}
}
