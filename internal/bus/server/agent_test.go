package server_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
)

func TestAgentDoesItsJob(t *testing.T) {
	c := bustest.Start(t)
	center := c.Server.Conn()
	a := connectAgent(t, c, "agent-a")

	hb, err := center.SubscribeSync(bus.AllHeartbeats)
	if err != nil {
		t.Fatal(err)
	}
	if err := center.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := a.nc.Publish(bus.HeartbeatSubject(a.id), []byte("beat")); err != nil {
		t.Fatal(err)
	}
	m, err := hb.NextMsg(wait)
	if err != nil || m.Subject != bus.HeartbeatSubject(a.id) || string(m.Data) != "beat" {
		t.Fatalf("heartbeat: %v %v", m, err)
	}

	js, err := jetstream.New(a.nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ack, err := js.Publish(ctx, bus.EventsSubject(a.id), []byte(`{"event":1}`), jetstream.WithMsgID("batch-1"))
	if err != nil {
		t.Fatalf("JetStream publish: %v", err)
	}
	if ack.Stream != bus.EventsStream || ack.Sequence == 0 {
		t.Errorf("PubAck = %+v", ack)
	}
	dup, err := js.Publish(ctx, bus.EventsSubject(a.id), []byte(`{"event":1}`), jetstream.WithMsgID("batch-1"))
	if err != nil || !dup.Duplicate {
		t.Errorf("second publish of batch-1: %+v %v, want a duplicate", dup, err)
	}

	cmds, err := a.nc.Subscribe(bus.CommandSubject(a.id), func(m *nats.Msg) {
		_ = m.Respond(append([]byte("done "), m.Data...))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cmds.Unsubscribe()
	a.flush(t)
	reply, err := center.Request(bus.CommandSubject(a.id), []byte("ping"), wait)
	if err != nil || string(reply.Data) != "done ping" {
		t.Fatalf("command reply: %v %v", reply, err)
	}

	goodbye, err := center.Subscribe(bus.AllGoodbyes, func(m *nats.Msg) { _ = m.Respond([]byte("ok")) })
	if err != nil {
		t.Fatal(err)
	}
	defer goodbye.Unsubscribe()
	if err := center.Flush(); err != nil {
		t.Fatal(err)
	}
	ok, err := a.nc.Request(bus.GoodbyeSubject(a.id), []byte("bye"), wait)
	if err != nil || string(ok.Data) != "ok" {
		t.Fatalf("goodbye request: %v %v", ok, err)
	}
	a.flush(t)
	if len(a.errs) != 0 {
		t.Errorf("unexpected async error: %v", <-a.errs)
	}
}
