package agent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// firstRunSpread spreads the first runs of the collectors over this
// time, so that they do not all start at once.
const firstRunSpread = 2 * time.Second

// collectorRunner schedules one collector.
type collectorRunner struct {
	runner
	c        plugin.Collector
	interval time.Duration // under the agent's supMu
	runMu    sync.Mutex    // one run at a time: schedule and commands
}

// startCollector starts the collector's schedule; supMu is held.
func (a *Agent) startCollector(ctx context.Context, r *collectorRunner) {
	ctx, cancel := context.WithCancel(ctx)
	r.cancel, r.done = cancel, make(chan struct{})
	a.status.set(r.st, StateIdle, "")
	interval := r.interval
	go func() {
		defer close(r.done)
		wait := rand.N(firstRunSpread)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			// Over budget, scheduled runs wait until the agent is under it.
			if err := a.gov.Wait(ctx); err != nil {
				return
			}
			_, _ = a.collect(ctx, r)
			wait = interval
		}
	}()
}

// collect runs the collector once and spools its events. It returns the
// number of events spooled and the run's error.
func (a *Agent) collect(ctx context.Context, r *collectorRunner) (int, error) {
	r.runMu.Lock()
	defer r.runMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, collectTimeout)
	defer cancel()
	a.status.set(r.st, StateRunning, "")
	var evs []event.Event
	err := a.safely(r.c.Name(), func() error {
		var cerr error
		evs, cerr = r.c.Collect(ctx, a.env)
		return cerr
	})
	n, perr := a.pipe.add(evs)
	r.st.events.Add(uint64(n))
	r.st.dropped.Add(uint64(len(evs) - n))
	if perr != nil {
		a.log.Warn("collector events not spooled", "plugin", r.c.Name(), "dropped", len(evs)-n, "err", perr)
	}
	after := StateIdle
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) && err != nil {
		// Stopped by policy or shutdown: not the collector's failure.
		err = nil
	}
	if err != nil {
		a.log.Warn("collector failed", "plugin", r.c.Name(), "err", err, "events", n)
		err = fmt.Errorf("collect: %w", err)
	}
	a.status.finished(r.st, err, after)
	return n, err
}
