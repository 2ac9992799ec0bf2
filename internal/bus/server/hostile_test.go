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
)

// TestHostileAgentIsConfined checks that an agent holding valid credentials
// cannot act as, listen to, or tamper with another agent or the center.
func TestHostileAgentIsConfined(t *testing.T) {
	c := bustest.Start(t)
	center := c.Server.Conn()
	a := connectAgent(t, c, "agent-a")
	b := connectAgent(t, c, "agent-b")

	// What reaches the center on B's subjects must come from B.
	onB, err := center.SubscribeSync(bus.AgentPrefix(b.id) + ".>")
	if err != nil {
		t.Fatal(err)
	}
	if err := center.Flush(); err != nil {
		t.Fatal(err)
	}
	spoofed := []string{bus.HeartbeatSubject(b.id), bus.EventsSubject(b.id), bus.GoodbyeSubject(b.id), bus.CommandSubject(b.id)}
	for _, subj := range spoofed {
		if err := a.nc.Publish(subj, []byte("forged")); err != nil {
			t.Fatal(err)
		}
		a.expectViolation(t, subj)
	}
	a.flush(t)
	if err := b.nc.Publish(bus.HeartbeatSubject(b.id), []byte("real")); err != nil {
		t.Fatal(err)
	}
	m, err := onB.NextMsg(wait)
	if err != nil || string(m.Data) != "real" {
		t.Fatalf("center on B's subjects got %v (%v), want only B's own heartbeat", m, err)
	}

	// Listening to B's commands or to everything is refused.
	for _, subj := range []string{bus.CommandSubject(b.id), "vigil.>", bus.InboxPrefix(b.id) + ".>", ">", "$KV.>"} {
		sub, err := a.nc.SubscribeSync(subj)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sub.NextMsg(wait); !errors.Is(err, nats.ErrPermissionViolation) {
			t.Errorf("subscribe %q: NextMsg err = %v, want a permission violation", subj, err)
		}
	}

	// Watching B's policy, or the whole bucket, is refused.
	kv := policyBucket(t, a.nc)
	for _, key := range []string{bus.PolicyKey(b.id), "agent.*", ">"} {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		w, err := kv.Watch(ctx, key)
		cancel()
		if err == nil {
			_ = w.Stop()
			t.Errorf("watch %q: no error", key)
		}
		a.expectViolation(t, "$JS.API.CONSUMER.CREATE.KV_vigil_policy")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := kv.Get(ctx, bus.PolicyKey(b.id)); err == nil {
		t.Errorf("get of B's policy key: no error")
	}
	a.expectViolation(t, "$JS.API.DIRECT.GET.KV_vigil_policy.$KV.vigil_policy."+bus.PolicyKey(b.id))

	// The JetStream API beyond its allowance is refused.
	forbidden := []string{
		"$JS.API.STREAM.DELETE." + bus.EventsStream,
		"$JS.API.STREAM.PURGE." + bus.EventsStream,
		"$JS.API.STREAM.INFO." + bus.EventsStream,
		"$JS.API.STREAM.NAMES",
		"$JS.API.INFO",
		"$JS.API.CONSUMER.CREATE." + bus.EventsStream + ".snoop",
		"$JS.API.CONSUMER.CREATE.KV_vigil_policy.x",
		"$JS.API.CONSUMER.DURABLE.CREATE.KV_vigil_policy.x",
		"$JS.API.CONSUMER.LIST.KV_vigil_policy",
		"$JS.API.STREAM.MSG.GET.KV_vigil_policy",
		"$JS.API.DIRECT.GET.KV_vigil_policy",
		"$JS.API.STREAM.UPDATE.KV_vigil_policy",
		"$KV.vigil_policy." + bus.PolicyKey(a.id),
		"$KV.vigil_policy." + bus.PolicyKey(b.id),
	}
	for _, subj := range forbidden {
		if err := a.nc.Publish(subj, []byte("{}")); err != nil {
			t.Fatal(err)
		}
		a.expectViolation(t, subj)
	}
	js, err := jetstream.New(center)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := js.Stream(ctx, bus.EventsStream); err != nil {
		t.Errorf("events stream after the attempts: %v", err)
	}
	if b.nc.Status() != nats.CONNECTED {
		t.Errorf("B's connection is %v", b.nc.Status())
	}
}

// policyBucket binds the policy bucket on nc.
func policyBucket(t *testing.T, nc *nats.Conn) jetstream.KeyValue {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	kv, err := js.KeyValue(ctx, bus.PolicyBucket)
	if err != nil {
		t.Fatalf("bind bucket: %v", err)
	}
	return kv
}
