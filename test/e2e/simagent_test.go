//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/client"
	"github.com/vigilsec/vigil/internal/bus/enroll"
	"github.com/vigilsec/vigil/internal/event"
)

// simAgent is an agent simulated inside the test: it enrolls with a join
// token and connects with the credentials the center issued, exactly as
// vigil-agent does, and then publishes whatever the test hands it.
type simAgent struct {
	t   *testing.T
	id  bus.Identity
	nc  *nats.Conn
	js  jetstream.JetStream
	enc *zstd.Encoder
}

// publishWindow is how many batches are in flight at once; the next
// window is sent only when the previous one is acknowledged.
const publishWindow = 16

// enrollSim enrolls a simulated agent with the center and connects it.
func enrollSim(t *testing.T, c *center, token string) *simAgent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hostname, _ := os.Hostname()
	facts := &busv1.HostFacts{Hostname: hostname, Os: runtime.GOOS, Arch: runtime.GOARCH, AgentVersion: "v0.0.0-e2e"}
	id, err := enroll.Enroll(ctx, c.httpURL, token, facts)
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	nc, err := client.Connect(ctx, id, client.Options{})
	if err != nil {
		t.Fatalf("bus connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(publishWindow),
		jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "bus connection up", nc.IsConnected)
	return &simAgent{t: t, id: id, nc: nc, js: js, enc: enc}
}

// batch encodes events as one busv1.EventBatch message of the agent, as
// the agent's sender does: NDJSON, zstd, Nats-Msg-Id of agent id and seq.
func (a *simAgent) batch(seq uint64, events []event.Event) *nats.Msg {
	a.t.Helper()
	var raw []byte
	for _, e := range events {
		line, err := json.Marshal(e)
		if err != nil {
			a.t.Fatal(err)
		}
		raw = append(append(raw, line...), '\n')
	}
	return a.message(seq, &busv1.EventBatch{
		AgentId: a.id.AgentID, BatchSeq: seq, Count: uint32(len(events)),
		Compression: busv1.EventBatch_COMPRESSION_ZSTD, Payload: a.enc.EncodeAll(raw, nil),
	})
}

// message wraps an encoded batch for the agent's events subject.
func (a *simAgent) message(seq uint64, eb *busv1.EventBatch) *nats.Msg {
	a.t.Helper()
	data, err := proto.Marshal(eb)
	if err != nil {
		a.t.Fatal(err)
	}
	return a.raw(seq, data)
}

// decodeBatch decodes the batch in a message made by batch.
func decodeBatch(t *testing.T, m *nats.Msg) *busv1.EventBatch {
	t.Helper()
	var eb busv1.EventBatch
	if err := proto.Unmarshal(m.Data, &eb); err != nil {
		t.Fatal(err)
	}
	return &eb
}

// raw is a message of arbitrary bytes on the agent's events subject.
func (a *simAgent) raw(seq uint64, data []byte) *nats.Msg {
	m := nats.NewMsg(bus.EventsSubject(a.id.AgentID))
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, a.id.AgentID+"-"+strconv.FormatUint(seq, 10))
	m.Header.Set(jetstream.ExpectedStreamHeader, bus.EventsStream)
	return m
}

// publishStats say what publishAll took.
type publishStats struct {
	rounds, retried int
	took            time.Duration
}

// publishAll publishes msgs until the stream acknowledged every one,
// publishWindow at a time. A message whose acknowledgement does not come
// (the center is down, or died after receiving it) is published again
// under the same Nats-Msg-Id, so the stream keeps it once.
func (a *simAgent) publishAll(ctx context.Context, msgs []*nats.Msg) (publishStats, error) {
	begin := time.Now()
	var st publishStats
	pending := msgs
	for len(pending) > 0 {
		st.rounds++
		var failed []*nats.Msg
		for len(pending) > 0 {
			n := min(publishWindow, len(pending))
			failed = append(failed, a.publishWindow(ctx, pending[:n])...)
			pending = pending[n:]
		}
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("publish: %d batches not acknowledged: %w", len(failed), err)
		}
		st.retried += len(failed)
		pending = failed
		if len(failed) > 0 {
			time.Sleep(250 * time.Millisecond)
		}
	}
	st.took = time.Since(begin)
	return st, nil
}

// publishWindow publishes msgs asynchronously and returns those that were
// not acknowledged.
func (a *simAgent) publishWindow(ctx context.Context, msgs []*nats.Msg) []*nats.Msg {
	type sent struct {
		m *nats.Msg
		f jetstream.PubAckFuture
	}
	var failed []*nats.Msg
	var futures []sent
	for _, m := range msgs {
		// A fresh message each time: the library keeps a reference.
		f, err := a.js.PublishMsgAsync(&nats.Msg{Subject: m.Subject, Data: m.Data, Header: m.Header})
		if err != nil {
			failed = append(failed, m)
			continue
		}
		futures = append(futures, sent{m, f})
	}
	for _, s := range futures {
		select {
		case <-s.f.Ok():
		case <-s.f.Err():
			failed = append(failed, s.m)
		case <-ctx.Done():
			failed = append(failed, s.m)
		}
	}
	return failed
}

// publishSync publishes one message and waits for the stream's ack.
func (a *simAgent) publishSync(m *nats.Msg) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := a.js.PublishMsg(ctx, m); err != nil {
		a.t.Fatalf("publish to %s: %v", m.Subject, err)
	}
}
