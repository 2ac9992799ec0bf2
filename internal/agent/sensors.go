package agent

import (
	"context"
	"errors"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// sensorRunner supervises one sensor.
type sensorRunner struct {
	runner
	s plugin.Sensor
}

// startSensor runs the sensor until its context ends, starting it again
// after a growing pause when it fails; supMu is held.
func (a *Agent) startSensor(ctx context.Context, r *sensorRunner) {
	ctx, cancel := context.WithCancel(ctx)
	r.cancel, r.done = cancel, make(chan struct{})
	go func() {
		defer close(r.done)
		em := &emitter{a: a, st: r.st, ctx: ctx}
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

// emitter takes one sensor's events: the policy's rate limit drops (and
// counts) what is above it, the CPU budget slows the sensor down, and the
// rest goes to the spool.
type emitter struct {
	a   *Agent
	st  *pluginStatus
	ctx context.Context
}

var _ plugin.Emitter = (*emitter)(nil)

// Emit implements plugin.Emitter.
func (e *emitter) Emit(ev event.Event) {
	a := e.a
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
