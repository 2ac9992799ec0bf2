//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/nats-io/nats.go"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/event"
)

// TestMalformedFromAgent sends, with an enrolled agent's real
// credentials, what a broken or hostile agent could put on its events
// subject, and checks that the center counts and drops it and goes on
// storing good batches.
func TestMalformedFromAgent(t *testing.T) {
	t.Parallel()
	c := startCenter(t, filepath.Join(t.TempDir(), "center"))
	a := enrollSim(t, c, c.joinToken("--ttl", "1h"))
	hostname, _ := os.Hostname()
	const otherAgent = "0b6c2f1e-7d7a-4f57-9a51-5c0f3b2d9e44"
	seq := uint64(time.Now().UnixMicro())
	next := func() uint64 { seq++; return seq }
	events := func(agentID string, n int) []event.Event {
		evs := make([]event.Event, n)
		for i := range evs {
			e, err := processEvent(agentID, hostname, i, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			evs[i] = e
		}
		return evs
	}

	// Garbage: 'G' is field 8 with wire type 7, which protobuf does not have.
	a.publishSync(a.raw(next(), []byte("GARBAGE \x00\xff\xfe not an event batch")))

	bomb := zstdZeros(t, 100<<20)
	t.Logf("zip bomb: 100 MiB of zeros in %d bytes of zstd", len(bomb))
	a.publishSync(a.message(next(), &busv1.EventBatch{AgentId: a.id.AgentID, BatchSeq: seq, Count: 1,
		Compression: busv1.EventBatch_COMPRESSION_ZSTD, Payload: bomb}))

	// The agent's own batch, with events that claim another agent.
	const foreign = 5
	a.publishSync(a.batch(next(), events(otherAgent, foreign)))
	// A batch that names another agent on this agent's subject.
	spoof := a.batch(next(), events(a.id.AgentID, 2))
	spoofed := decodeBatch(t, spoof)
	spoofed.AgentId = otherAgent
	a.publishSync(a.message(seq, spoofed))

	// Over the bus's message size limit: the client library refuses it...
	limit := int(a.nc.MaxPayload())
	if limit != 1<<20 {
		t.Errorf("bus max payload %d, want 1 MiB", limit)
	}
	if err := a.nc.Publish(bus.EventsSubject(a.id.AgentID), make([]byte, limit+1)); !errors.Is(err, nats.ErrMaxPayload) {
		t.Errorf("oversized publish: err = %v, want ErrMaxPayload", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.js.Publish(ctx, bus.EventsSubject(a.id.AgentID), make([]byte, limit+1)); !errors.Is(err, nats.ErrMaxPayload) {
		t.Errorf("oversized JetStream publish: err = %v, want ErrMaxPayload", err)
	}
	// ...and the server refuses the raw frame and drops the connection.
	rn, err := dialRawNATS(a.id)
	if err != nil {
		t.Fatalf("raw bus connection: %v", err)
	}
	answer, closed := rn.publishOversize(bus.EventsSubject(a.id.AgentID), limit+1)
	rn.close()
	t.Logf("raw PUB of %d bytes: server answered %q, closed the connection: %v", limit+1, answer, closed)
	if !strings.Contains(answer, "Maximum Payload Violation") || !closed {
		t.Errorf("raw oversized PUB: answer %q, closed %v; want a Maximum Payload Violation and a closed connection", answer, closed)
	}
	if !a.nc.IsConnected() {
		t.Errorf("the agent's own connection dropped")
	}

	// A good batch after all that is stored.
	good := events(a.id.AgentID, 3)
	a.publishSync(a.batch(next(), good))
	f := &follower{c: c, agentID: a.id.AgentID}
	waitFor(t, 30*time.Second, "the good batch stored", func() bool {
		f.poll()
		return len(f.events) >= len(good)
	})
	checkMalformedOutcome(t, c, f, good, foreign)
}

// checkMalformedOutcome checks that the center is up, stored exactly the
// good events, and counted every rejection by its reason.
func checkMalformedOutcome(t *testing.T, c *center, f *follower, good []event.Event, foreign int) {
	t.Helper()
	select {
	case <-c.proc.done:
		t.Fatalf("vigil-center exited; log:\n%s", tail(c.proc.log))
	default:
	}
	resp, err := c.client.Get(c.httpURL + "/healthz")
	if err != nil {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz: HTTP %d", resp.StatusCode)
	}
	time.Sleep(500 * time.Millisecond) // a late, wrongly stored event would show up here
	f.poll()
	if len(f.events) != len(good) {
		t.Errorf("stored %d events of the agent, want only the %d good ones: %s", len(f.events), len(good), jsonString(f.events))
	}
	want := map[string]bool{}
	for _, e := range good {
		want[e.ID()] = true
	}
	for _, e := range f.events {
		if !want[e.ID()] {
			t.Errorf("stored an event that is not one of the good ones: %s", jsonString(e))
		}
	}

	m := c.mustScrape()
	for reason, n := range map[string]float64{
		"decode": 1, "too_large": 1, "event_agent_mismatch": float64(foreign), "agent_mismatch": 1,
	} {
		if got := m.malformed(reason); got != n {
			t.Errorf(`vigil_ingest_malformed_total{reason=%q} = %v, want %v`, reason, got, n)
		}
	}
	// Five messages reached ingest: the four bad ones and the good one;
	// the oversized frames never entered the bus.
	if got := m["vigil_ingest_messages_total"]; got != 5 {
		t.Errorf("vigil_ingest_messages_total = %v, want 5", got)
	}
	if got := m["vigil_ingest_events_stored_total"]; got != float64(len(good)) {
		t.Errorf("vigil_ingest_events_stored_total = %v, want %d", got, len(good))
	}
	var counts []string
	for k, v := range m {
		if strings.HasPrefix(k, "vigil_ingest_") {
			counts = append(counts, k+" "+jsonString(v))
		}
	}
	slices.Sort(counts)
	t.Logf("ingest counters: %s", strings.Join(counts, ", "))
}

// zstdZeros compresses n zero bytes with a streaming encoder, as a bomb
// that names no content size in its frame header would be.
func zstdZeros(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := zw.Write(chunk[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
