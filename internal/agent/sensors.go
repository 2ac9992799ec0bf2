package agent

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// sensorRunner supervises one sensor.
type sensorRunner struct {
	runner
	s plugin.Sensor
	// alt is set for a sensor that is one of several mechanisms; probed
	// says whether its Probe ran (under supMu).
	alt    plugin.Alternative
	probed bool
	// limiter and filters are the sensor's own rate limit and drop
	// filters from the policy; nil when it has none.
	limiter atomic.Pointer[rate.Limiter]
	filters atomic.Pointer[[]dropFilter]
}

// setLimits puts the policy's rate limit and drop filters for the sensor
// in force, without a restart.
func (r *sensorRunner) setLimits(pp *busv1.PluginPolicy) {
	if eps := pp.GetMaxEventsPerSecond(); eps > 0 {
		burst := max(1, int(eps))
		if l := r.limiter.Load(); l != nil {
			l.SetLimit(rate.Limit(eps))
			l.SetBurst(burst)
		} else {
			r.limiter.Store(rate.NewLimiter(rate.Limit(eps), burst))
		}
	} else {
		r.limiter.Store(nil)
	}
	if fs := compileFilters(pp.GetDrop()); fs != nil {
		r.filters.Store(&fs)
	} else {
		r.filters.Store(nil)
	}
}

// startSensor runs the sensor until its context ends, starting it again
// after a growing pause when it fails; supMu is held.
func (a *Agent) startSensor(ctx context.Context, r *sensorRunner) {
	ctx, cancel := context.WithCancel(ctx)
	r.cancel, r.done = cancel, make(chan struct{})
	go func() {
		defer close(r.done)
		em := &emitter{a: a, r: r, st: r.st, ctx: ctx}
		for pause := restartMin; ; pause = min(2*pause, restartMax) {
			a.status.set(r.st, StateRunning, "")
			started := time.Now()
			err := a.safely(r.s.Name(), func() error { return r.s.Run(ctx, em) })
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				// A sensor that ends on its own has nothing (more) to watch.
				a.status.finished(r.st, nil, StateIdle)
				a.log.Info("sensor returned", "plugin", r.s.Name())
				return
			}
			if time.Since(started) > restartMax {
				pause = restartMin // it ran well for a while
			}
			a.status.finished(r.st, err, StateFailed)
			a.log.Warn("sensor failed; starting it again", "plugin", r.s.Name(), "err", err, "pause", pause)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
		}
	}()
}

// emitter takes one sensor's events: the policy's drop filters remove
// (and count) what they match, the sensor's and then the agent's rate
// limits drop (and count) what is above them, the CPU budget slows the
// sensor down, and the rest goes to the spool.
type emitter struct {
	a   *Agent
	r   *sensorRunner
	st  *pluginStatus
	ctx context.Context
}

var _ plugin.Emitter = (*emitter)(nil)

// Emit implements plugin.Emitter.
func (e *emitter) Emit(ev event.Event) {
	a := e.a
	if fs := e.r.filters.Load(); fs != nil && matchAny(*fs, ev) {
		e.st.filtered.Add(1)
		return
	}
	if l := e.r.limiter.Load(); l != nil && !l.Allow() {
		e.st.dropped.Add(1)
		return
	}
	if e.ctx.Err() != nil || !a.limiter.Allow() {
		e.st.dropped.Add(1)
		return
	}
	if a.gov.Throttled() {
		if err := a.throttler.Wait(e.ctx); err != nil {
			e.st.dropped.Add(1)
			return
		}
	}
	if _, err := a.pipe.add([]event.Event{ev}); err != nil {
		e.st.dropped.Add(1)
		if !errors.Is(err, context.Canceled) {
			a.log.Debug("sensor event not spooled", "plugin", e.st.name, "err", err)
		}
		return
	}
	e.st.events.Add(1)
}

// Lost implements plugin.Emitter.
func (e *emitter) Lost(n uint64) { e.st.dropped.Add(n) }
