// Package fleet simulates many vigil agents against one real center: each
// enrolls with a join token (its own NKEY user key and JWT), connects to
// the bus with the agent's client and sends heartbeats like vigil-agent.
// Each agent's TCP connection can be killed or silenced on demand, to see
// how fast the center notices.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/internal/bus/client"
	"github.com/vigilsec/vigil/internal/bus/enroll"
)

// dialTimeout bounds one TCP connect of an agent.
const dialTimeout = 10 * time.Second

func netDialer() net.Dialer { return net.Dialer{Timeout: dialTimeout} }

// Counters are running totals of the fleet, safe to read at any time.
type Counters struct {
	HeartbeatsSent  atomic.Uint64
	HeartbeatErrors atomic.Uint64
	Connects        atomic.Uint64 // first connects and reconnects
	Disconnects     atomic.Uint64 // drops of a live connection, take-downs excluded
	AsyncErrors     atomic.Uint64 // errors the client reported asynchronously
}

// Fleet is a set of simulated agents.
type Fleet struct {
	agents   []*Agent
	log      *slog.Logger
	counters Counters

	mu        sync.Mutex
	firstUp   int       // agents connected at least once
	lastFirst time.Time // when the last of them first connected

	done chan struct{}
	wg   sync.WaitGroup
}

// New prepares n agents named prefix-00001 ... (nothing is contacted yet).
func New(n int, prefix string, log *slog.Logger) (*Fleet, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Fleet{log: log, done: make(chan struct{})}
	for i := 1; i <= n; i++ {
		a, err := newAgent(f, prefix, i)
		if err != nil {
			return nil, err
		}
		f.agents = append(f.agents, a)
	}
	return f, nil
}

// Agents returns the agents; those with an empty ID() failed to enroll.
func (f *Fleet) Agents() []*Agent { return f.agents }

// Counters returns the fleet's running totals.
func (f *Fleet) Counters() *Counters { return &f.counters }

// Result is the outcome of enrolling or connecting the fleet.
type Result struct {
	Wall      time.Duration
	OK        int
	Failed    int
	Latencies []time.Duration // of the successful calls
	// Finished are the successful calls' end times from the start, in
	// order.
	Finished []time.Duration
	// Errors counts failures by message (first 5 distinct messages).
	Errors map[string]int
}

func (r *Result) fail(err error) {
	r.Failed++
	msg := err.Error()
	if _, ok := r.Errors[msg]; ok || len(r.Errors) < 5 {
		r.Errors[msg]++
	}
}

// Enroll enrolls every agent with the center at centerURL, concurrency at
// a time. Agents that fail keep an empty ID and are left out of Connect.
func (f *Fleet) Enroll(ctx context.Context, centerURL, joinToken string, concurrency int) Result {
	return f.each(ctx, concurrency, func(a *Agent) bool { return true }, func(ctx context.Context, a *Agent) error {
		id, err := enroll.Enroll(ctx, centerURL, joinToken, a.facts)
		if err != nil {
			return err
		}
		a.Identity = id
		return nil
	})
}

// Connect connects every enrolled agent to the bus, concurrency at a time,
// and starts its heartbeats every interval. A call counts as done when the
// client's first connect succeeded or failed; a client that failed keeps
// trying in the background, as vigil-agent does.
func (f *Fleet) Connect(ctx context.Context, concurrency int, interval time.Duration) Result {
	enrolled := func(a *Agent) bool { return a.ID() != "" }
	return f.each(ctx, concurrency, enrolled, func(ctx context.Context, a *Agent) error {
		a.started = time.Now()
		nc, err := client.Connect(ctx, a.Identity, client.Options{
			OnReconnect: a.onConnect,
			OnDisconnect: func(error) {
				if !a.isDown() {
					f.counters.Disconnects.Add(1)
				}
			},
			OnError: func(error) { f.counters.AsyncErrors.Add(1) },
			Extra:   []nats.Option{nats.SetCustomDialer(a.dialer)},
		})
		if err != nil {
			return err
		}
		a.nc = nc
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			a.heartbeats(f.done, interval)
		}()
		if !nc.IsConnected() {
			return fmt.Errorf("first connect failed (retrying): %w", orUnknown(nc.LastError()))
		}
		return nil
	})
}

// each runs fn for the agents that pass want, concurrency at a time.
func (f *Fleet) each(ctx context.Context, concurrency int, want func(*Agent) bool, fn func(context.Context, *Agent) error) Result {
	res := Result{Errors: map[string]int{}}
	var mu sync.Mutex
	work := make(chan *Agent)
	var wg sync.WaitGroup
	start := time.Now()
	for range max(concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				t0 := time.Now()
				err := fn(ctx, a)
				took := time.Since(t0)
				mu.Lock()
				if err != nil {
					res.fail(err)
				} else {
					res.OK++
					res.Latencies = append(res.Latencies, took)
					res.Finished = append(res.Finished, time.Since(start))
				}
				mu.Unlock()
			}
		}()
	}
	for _, a := range f.agents {
		if !want(a) {
			continue
		}
		select {
		case work <- a:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	res.Wall = time.Since(start)
	return res
}

func orUnknown(err error) error {
	if err == nil {
		return errors.New("not connected")
	}
	return err
}
