package health

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// silentOpenFactor: an agent that keeps a connection open but sends no
// heartbeat for this many heartbeat timeouts is lost too (a hung or
// tampered agent whose connection lives on).
const silentOpenFactor = 4

// loop sweeps every second, flushes every FlushInterval and resyncs every
// ResyncInterval until ctx is done.
func (s *Service) loop(ctx context.Context) {
	sweep := time.NewTicker(sweepInterval)
	defer sweep.Stop()
	resync := time.NewTicker(s.cfg.ResyncInterval)
	defer resync.Stop()
	lastFlush := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-sweep.C:
			s.sweep(now)
			if now.Sub(lastFlush) >= s.cfg.FlushInterval {
				s.flush(now, false)
				lastFlush = now
			}
		case <-resync.C:
			s.q.push(job{kind: jobResync})
		}
	}
}

// sweep marks lost the online agents that went silent and the enrolled
// ones that never connected.
func (s *Service) sweep(now time.Time) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	for _, st := range s.reg.agents {
		silent := now.Sub(st.heard)
		if st.status == store.StatusEnrolled {
			if len(st.conns) == 0 && silent > s.cfg.EnrollConnectTimeout {
				s.change(st, store.StatusLost, fmt.Sprintf("enrolled %s ago and never connected to the bus (is the bus port reachable?)", silent.Round(time.Second)), now, nil)
			}
			continue
		}
		if st.status != store.StatusOnline {
			continue
		}
		switch {
		case len(st.conns) == 0 && silent > s.cfg.HeartbeatTimeout:
			s.change(st, store.StatusLost, fmt.Sprintf("no heartbeat for %s and no connection", silent.Round(time.Second)), now, nil)
		case silent > silentOpenFactor*s.cfg.HeartbeatTimeout:
			s.change(st, store.StatusLost, fmt.Sprintf("no heartbeat for %s with the connection still open", silent.Round(time.Second)), now, nil)
		}
	}
}

// flush queues the writes of last-seen times and of last states that
// changed only in their stats; all of them at stop.
func (s *Service) flush(now time.Time, all bool) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	touch := map[string]time.Time{}
	for id, st := range s.reg.agents {
		if st.seenDirty {
			touch[id], st.seenDirty = st.heard, false
		}
		if st.stateDirty && (all || now.Sub(st.stateWritten) >= s.cfg.StateInterval) {
			s.q.push(job{kind: jobUpdate, id: id, state: st.lastState(now)})
			st.stateDirty, st.stateWritten = false, now
		}
	}
	if len(touch) > 0 {
		s.q.push(job{kind: jobTouch, touch: touch})
	}
}

// change moves an agent to a new status and queues the write (with the
// alert it raises), under the registry lock. The last state is written
// first when it changed, so that the store keeps what the agent said last.
// done, when set, receives the outcome; at once when there is no change.
func (s *Service) change(st *agentState, to store.AgentStatus, reason string, at time.Time, done chan error) {
	if st.status == to {
		if done != nil {
			done <- nil
		}
		return
	}
	if to != store.StatusOnline && st.stateDirty {
		s.q.push(job{kind: jobUpdate, id: st.id, state: st.lastState(at)})
		st.stateDirty, st.stateWritten = false, at
	}
	st.status = to
	if to != store.StatusOnline {
		st.loss = nil
	}
	s.q.push(job{kind: jobStatus, id: st.id, to: to, reason: reason, at: at, alert: alertFor(st, to, reason, at), done: done})
}
