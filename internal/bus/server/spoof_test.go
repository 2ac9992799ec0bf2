package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/client"
)

// TestForgedDeliveryIsNoCommand covers the one thing an agent can make the
// server send to another agent: a consumer on its own policy key that
// delivers to the other agent's command subject. What arrives must fail
// client.IsCommand, while a real command passes.
func TestForgedDeliveryIsNoCommand(t *testing.T) {
	c := bustest.Start(t)
	center := c.Server.Conn()
	a := connectAgent(t, c, "agent-a")
	b := connectAgent(t, c, "agent-b")
	kv := policyBucket(t, center)
	if _, err := kv.Put(context.Background(), bus.PolicyKey(a.id), []byte("policy of a")); err != nil {
		t.Fatal(err)
	}
	got := make(chan *nats.Msg, 10)
	sub, err := b.nc.Subscribe(bus.CommandSubject(b.id), func(m *nats.Msg) {
		got <- m
		if client.IsCommand(m, b.id) {
			_ = m.Respond([]byte("done"))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	b.flush(t)

	filter := "$KV." + bus.PolicyBucket + "." + bus.PolicyKey(a.id)
	req, _ := json.Marshal(map[string]any{"stream_name": "KV_" + bus.PolicyBucket, "config": map[string]any{
		"name": "forge", "deliver_subject": bus.CommandSubject(b.id), "filter_subject": filter,
		"ack_policy": "none", "deliver_policy": "last_per_subject", "idle_heartbeat": int64(100e6),
	}})
	resp, err := a.nc.Request("$JS.API.CONSUMER.CREATE.KV_"+bus.PolicyBucket+".forge."+filter, req, wait)
	if err != nil {
		t.Fatalf("consumer on its own key: %v", err)
	}
	var created struct {
		Error *struct{ Description string } `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &created); err != nil || created.Error != nil {
		t.Fatalf("consumer on its own key: %s", resp.Data)
	}
	forged := 0
	for forged < 2 {
		select {
		case m := <-got:
			if client.IsCommand(m, b.id) {
				t.Fatalf("forged delivery passes IsCommand: subject %q reply %q header %v", m.Subject, m.Reply, m.Header)
			}
			forged++
		case <-time.After(wait):
			t.Fatalf("got %d forged deliveries, want 2 (the value and an idle heartbeat)", forged)
		}
	}
	reply, err := center.Request(bus.CommandSubject(b.id), []byte("ping"), wait)
	if err != nil || string(reply.Data) != "done" {
		t.Fatalf("real command: %v %v", reply, err)
	}
}
