// Package batchtest builds event batches as agents publish them, for the
// tests of the services that read the events stream.
package batchtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
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
