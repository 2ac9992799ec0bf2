package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
)

// setupTimeout bounds each request that starts a watch.
const setupTimeout = 10 * time.Second

// errReconnected ends a watch so that it is made anew on the new link.
var errReconnected = errors.New("reconnected")

// WatchPolicy follows the agent's own key bus.PolicyKey(agentID) in the
// policy bucket and calls fn with its current value and with every new
// one, in order, from the calling goroutine; fn gets nil when the key is
// deleted, and is not called while the key has never been set. Values that
// are not a valid AgentPolicy are logged with slog.Default and skipped. It
// blocks until ctx is done (and then returns nil). It keeps watching
// across disconnects and center restarts: after each reconnect the watch
// is made anew (the center may have lost its consumers), and a value
// already handed to fn is not handed again.
func WatchPolicy(ctx context.Context, nc *nats.Conn, agentID string, fn func(*busv1.AgentPolicy)) error {
	if !bus.ValidAgentID(agentID) {
		return fmt.Errorf("watch policy: invalid agent id %q", agentID)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("watch policy: %w", err)
	}
	reconnected := nc.StatusChanged(nats.CONNECTED)
	defer nc.RemoveStatusListener(reconnected)
	w := policyWatch{js: js, key: bus.PolicyKey(agentID), fn: fn, reconnected: reconnected,
		log: slog.Default().With("agent", agentID)}
	for attempt := 1; ; attempt++ {
		delivered, err := w.run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if delivered || errors.Is(err, errReconnected) {
			attempt = 1
		}
		w.log.Debug("policy watch restarts", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-reconnected:
		case <-time.After(Backoff(attempt)):
		}
	}
}

// policyWatch is one agent's watch on its policy key.
type policyWatch struct {
	js          jetstream.JetStream
	key         string
	fn          func(*busv1.AgentPolicy)
	reconnected <-chan nats.Status
	log         *slog.Logger
	// last is the revision last handed to fn, so that a new watch does not
	// repeat the current value.
	last uint64
}

// run watches until ctx is done, the connection comes back after a drop or
// the watcher ends, and reports whether the watch got as far as
// delivering.
func (w *policyWatch) run(ctx context.Context) (bool, error) {
	// A request lost to a disconnect must not hang the watch.
	setup, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	kv, err := w.js.KeyValue(setup, bus.PolicyBucket)
	if err != nil {
		return false, fmt.Errorf("bucket %s: %w", bus.PolicyBucket, err)
	}
	watcher, err := kv.Watch(setup, w.key)
	if err != nil {
		return false, fmt.Errorf("watch %s: %w", w.key, err)
	}
	defer func() { _ = watcher.Stop() }()
	delivered := false
	for {
		select {
		case <-ctx.Done():
			return delivered, ctx.Err()
		case <-w.reconnected:
			return delivered, errReconnected
		case e, ok := <-watcher.Updates():
			if !ok {
				return delivered, errors.New("watcher stopped")
			}
			delivered = true
			if e != nil {
				w.deliver(e)
			}
		}
	}
}

// deliver decodes one entry and hands it to fn.
func (w *policyWatch) deliver(e jetstream.KeyValueEntry) {
	if e.Revision() == w.last {
		return
	}
	w.last = e.Revision()
	if e.Operation() != jetstream.KeyValuePut {
		w.fn(nil)
		return
	}
	p := &busv1.AgentPolicy{}
	if err := proto.Unmarshal(e.Value(), p); err != nil {
		w.log.Warn("policy value is not an AgentPolicy; kept the previous one", "revision", e.Revision(), "err", err)
		return
	}
	w.fn(p)
}
