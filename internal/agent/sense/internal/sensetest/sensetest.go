// Package sensetest holds what the tests of sensors share: an Emitter
// that keeps the events a sensor emits and waits for the ones a test
// expects, and a sensor's Run started and stopped by a test.
package sensetest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// WaitLimit bounds every wait for an event: generous, for a loaded
// machine.
const WaitLimit = 20 * time.Second

// Emitter is a plugin.Emitter that keeps what it is given. It is safe
// for concurrent use; the zero value is ready.
type Emitter struct {
	mu     sync.Mutex
	events []event.Event
	taken  []bool
	lost   uint64
	// gate, while set, holds every Emit until it is closed.
	gate chan struct{}
}

// Emit implements plugin.Emitter.
func (c *Emitter) Emit(e event.Event) {
	c.mu.Lock()
	gate := c.gate
	c.mu.Unlock()
	if gate != nil {
		<-gate
	}
	c.mu.Lock()
	c.events = append(c.events, e)
	c.taken = append(c.taken, false)
	c.mu.Unlock()
}

// Lost implements plugin.Emitter.
func (c *Emitter) Lost(n uint64) {
	c.mu.Lock()
	c.lost += n
	c.mu.Unlock()
}

// LostCount returns the losses reported.
func (c *Emitter) LostCount() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lost
}

// All returns the events emitted so far.
func (c *Emitter) All() []event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

// Matching returns the events emitted so far that match.
func (c *Emitter) Matching(match func(event.Event) bool) []event.Event {
	var out []event.Event
	for _, e := range c.All() {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

// Hold makes Emit wait, as a slow runtime would, until release is
// called.
func (c *Emitter) Hold() (release func()) {
	gate := make(chan struct{})
	c.mu.Lock()
	c.gate = gate
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		c.gate = nil
		c.mu.Unlock()
		close(gate)
	}
}

// Wait waits up to WaitLimit for an event that matches and returns the
// first one; desc names it in the failure.
func (c *Emitter) Wait(t testing.TB, desc string, match func(event.Event) bool) event.Event {
	t.Helper()
	return c.wait(t, desc, func() (event.Event, bool) {
		got := c.Matching(match)
		if len(got) == 0 {
			return nil, false
		}
		return got[0], true
	})
}

// Take waits up to WaitLimit for an event that matches and was not taken
// yet, and takes it: a later Take needs another such event.
func (c *Emitter) Take(t testing.TB, desc string, match func(event.Event) bool) event.Event {
	t.Helper()
	return c.wait(t, desc, func() (event.Event, bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, e := range c.events {
			if !c.taken[i] && match(e) {
				c.taken[i] = true
				return e, true
			}
		}
		return nil, false
	})
}

func (c *Emitter) wait(t testing.TB, desc string, find func() (event.Event, bool)) event.Event {
	t.Helper()
	deadline := time.Now().Add(WaitLimit)
	for time.Now().Before(deadline) {
		if e, ok := find(); ok {
			return e
		}
		time.Sleep(20 * time.Millisecond)
	}
	var seen []string
	for _, e := range c.All() {
		seen = append(seen, e.String(event.FieldMessage))
	}
	t.Fatalf("no event %s; events seen:\n  %s", desc, strings.Join(seen, "\n  "))
	return nil
}

// Running is a sensor's Run going on in a test.
type Running struct {
	cancel context.CancelFunc
	done   chan error
}

// Start calls s.Run with emit until Stop.
func Start(s plugin.Sensor, emit plugin.Emitter) *Running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx, emit) }()
	return r
}

// Returned reports whether Run returned before Stop, with its error.
func (r *Running) Returned() (bool, error) {
	select {
	case err := <-r.done:
		r.done <- err
		return true, err
	default:
		return false, nil
	}
}

// Stop cancels Run and checks that it returns nil within WaitLimit. A
// second Stop does nothing.
func (r *Running) Stop(t testing.TB) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run = %v after cancel", err)
		}
	case <-time.After(WaitLimit):
		t.Fatal("Run did not return after cancel")
	}
}
