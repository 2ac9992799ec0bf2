package ingest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/center/eventbatch/batchtest"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// env is a JetStream server with the events stream and a SQLite store.
type env struct {
	tb    testing.TB
	url   string
	js    jetstream.JetStream
	store store.Store
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	e := &env{tb: tb}
	e.url, e.js = batchtest.Server(tb)
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	e.store = st
	return e
}

// connect opens a connection of its own.
func (e *env) connect() (jetstream.JetStream, *nats.Conn) { return batchtest.Connect(e.tb, e.url) }

// run starts a Service and returns it with a function that stops it and
// waits for Run to return.
func (e *env) run(cfg Config) (*Service, func()) {
	e.tb.Helper()
	if cfg.JS == nil {
		cfg.JS = e.js
	}
	cfg.Events = e.store.Events()
	s := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			e.tb.Errorf("Run: %v", err)
		}
	}
	e.tb.Cleanup(stop)
	return s, stop
}

// publish publishes raw data on agent id's events subject.
func (e *env) publish(subject string, data []byte) {
	e.tb.Helper()
	if _, err := e.js.Publish(context.Background(), subject, data); err != nil {
		e.tb.Fatalf("publish: %v", err)
	}
}

// events, lines and batchMsg build batches as agents publish them.
var (
	events   = batchtest.Events
	lines    = batchtest.Lines
	batchMsg = batchtest.Message
)

// eventually polls cond until it holds or the deadline passes.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// count returns the number of stored events.
func (e *env) count() int64 {
	n, err := e.store.Events().Count(context.Background())
	if err != nil {
		e.tb.Fatal(err)
	}
	return n
}

// settled reports whether the consumer has nothing pending or unacked.
func (e *env) settled() bool {
	c, err := e.js.Consumer(context.Background(), bus.EventsStream, bus.IngestConsumer)
	if err != nil {
		return false
	}
	info, err := c.Info(context.Background())
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0
}
