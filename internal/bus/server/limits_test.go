package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/server"
)

func TestLimitsAndTLS(t *testing.T) {
	c := bustest.Start(t)
	a := connectAgent(t, c, "agent-a")
	if got := a.nc.MaxPayload(); got != server.MaxPayload {
		t.Errorf("MaxPayload = %d, want %d", got, server.MaxPayload)
	}
	err := a.nc.Publish(bus.EventsSubject(a.id), make([]byte, server.MaxPayload+1))
	if !errors.Is(err, nats.ErrMaxPayload) {
		t.Errorf("oversized publish: err = %v, want ErrMaxPayload", err)
	}
	if err := a.nc.Publish(bus.EventsSubject(a.id), make([]byte, server.MaxPayload-1024)); err != nil {
		t.Errorf("publish just under the limit: %v", err)
	}
	a.flush(t)

	// Without TLS the server does not even read the credentials.
	plain := "nats://" + c.Server.ClientURL()[len("tls://"):]
	ident, _ := c.Agent("agent-plain")
	if nc, err := nats.Connect(plain, nats.UserJWTAndSeed(ident.UserJWT, ident.UserSeed), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Errorf("connected without TLS")
	}
}

func TestRestartKeepsStreamsAndCredentials(t *testing.T) {
	c := bustest.Start(t, func(cfg *server.Config) {
		cfg.EventsMaxAge = 48 * time.Hour
		cfg.EventsMaxBytes = 64 << 20
	})
	a := connectAgent(t, c, "agent-a")
	ctx, cancel := context.WithTimeout(context.Background(), 3*wait)
	defer cancel()
	js, err := jetstream.New(a.nc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := js.Publish(ctx, bus.EventsSubject(a.id), []byte{byte(i)}); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}

	c.Restart()
	waitConnected(t, a.nc)
	expectWorks(t, c, a)
	ack, err := js.Publish(ctx, bus.EventsSubject(a.id), []byte("after restart"))
	if err != nil || ack.Sequence != 4 {
		t.Fatalf("publish after restart: %+v %v, want sequence 4", ack, err)
	}
	center, err := jetstream.New(c.Server.Conn())
	if err != nil {
		t.Fatal(err)
	}
	st, err := center.Stream(ctx, bus.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	info := st.CachedInfo()
	want := struct {
		Subjects   []string
		Storage    jetstream.StorageType
		MaxAge     time.Duration
		MaxBytes   int64
		Duplicates time.Duration
		Msgs       uint64
	}{[]string{bus.AllEvents}, jetstream.FileStorage, 48 * time.Hour, 64 << 20, server.DuplicateWindow, 4}
	got := want
	got.Subjects, got.Storage, got.MaxAge = info.Config.Subjects, info.Config.Storage, info.Config.MaxAge
	got.MaxBytes, got.Duplicates, got.Msgs = info.Config.MaxBytes, info.Config.Duplicates, info.State.Msgs
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events stream (-want +got):\n%s", diff)
	}
	kv, err := center.KeyValue(ctx, bus.PolicyBucket)
	if err != nil {
		t.Fatalf("policy bucket: %v", err)
	}
	if st, err := kv.Status(ctx); err != nil || st.History() != 1 {
		t.Errorf("policy bucket history: %v %v", st, err)
	}
}
