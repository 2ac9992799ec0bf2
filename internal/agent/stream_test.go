package agent_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/event"
)

// stream reads one agent's batches from the EVENTS stream, as the center
// does, and decodes their events.
type stream struct {
	cons    jetstream.Consumer
	zstd    *zstd.Decoder
	batches []*busv1.EventBatch
	msgIDs  []string
	events  []event.Event
}

// readStream starts reading agent id's batches from the start of the
// stream, on the center's current connection.
func (c *center) readStream(t *testing.T, id string) *stream {
	t.Helper()
	js, err := jetstream.New(c.conn())
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.OrderedConsumer(context.Background(), bus.EventsStream,
		jetstream.OrderedConsumerConfig{FilterSubjects: []string{bus.EventsSubject(id)}})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dec.Close)
	return &stream{cons: cons, zstd: dec}
}

// poll reads what arrived since the last poll.
func (s *stream) poll(t *testing.T) {
	t.Helper()
	for {
		batch, err := s.cons.Fetch(500, jetstream.FetchMaxWait(100*time.Millisecond))
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			s.decode(t, m.Data())
			s.msgIDs = append(s.msgIDs, m.Headers().Get(jetstream.MsgIDHeader))
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("fetch: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// decode decodes one EventBatch and checks it.
func (s *stream) decode(t *testing.T, data []byte) {
	t.Helper()
	b := &busv1.EventBatch{}
	if err := proto.Unmarshal(data, b); err != nil {
		t.Fatalf("batch does not decode: %v", err)
	}
	if b.GetCompression() != busv1.EventBatch_COMPRESSION_ZSTD {
		t.Errorf("batch %d: compression %v", b.GetBatchSeq(), b.GetCompression())
	}
	raw, err := s.zstd.DecodeAll(b.GetPayload(), nil)
	if err != nil {
		t.Fatalf("batch %d: zstd: %v", b.GetBatchSeq(), err)
	}
	lines := bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
	if len(lines) != int(b.GetCount()) {
		t.Errorf("batch %d: count %d, %d lines", b.GetBatchSeq(), b.GetCount(), len(lines))
	}
	for _, line := range lines {
		e, err := event.Decode(line)
		if err != nil {
			t.Fatalf("batch %d: %v", b.GetBatchSeq(), err)
		}
		if e.AgentID() != b.GetAgentId() {
			t.Errorf("event of agent %q in a batch of %q", e.AgentID(), b.GetAgentId())
		}
		s.events = append(s.events, e)
	}
	s.batches = append(s.batches, b)
}

// count returns how many events of the action were read.
func (s *stream) count(action string) int {
	n := 0
	for _, e := range s.events {
		if e.String(event.FieldAction) == action {
			n++
		}
	}
	return n
}

// waitAction polls until at least n events of the action arrived, then
// once more, so that duplicates would show.
func (s *stream) waitAction(t *testing.T, action string, n int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for s.count(action) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d events %q arrived within %s, want %d", s.count(action), action, wait, n)
		}
		s.poll(t)
	}
	time.Sleep(300 * time.Millisecond)
	s.poll(t)
}

// checkOnce checks that events 0..n-1 of the action each arrived exactly
// once (by labels.seq), with distinct event ids.
func (s *stream) checkOnce(t *testing.T, action string, n int) {
	t.Helper()
	seen := map[string]int{}
	ids := map[string]bool{}
	for _, e := range s.events {
		if e.String(event.FieldAction) != action {
			continue
		}
		seen[e.String("labels.seq")]++
		if ids[e.ID()] {
			t.Errorf("event id %s twice", e.ID())
		}
		ids[e.ID()] = true
	}
	for i := range n {
		if c := seen[itoa(i)]; c != 1 {
			t.Errorf("event %d of %q arrived %d times", i, action, c)
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct events %q, want %d", len(seen), action, n)
	}
}
