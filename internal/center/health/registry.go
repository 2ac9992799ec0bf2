package health

import (
	"context"
	"fmt"
	"sync"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/store"
)

// unknownTTL is how long an id the store does not know is remembered as
// unknown, so that a stream of messages from it costs no store reads.
const unknownTTL = 10 * time.Second

// agentState is what the service knows of one agent. It is guarded by
// registry.mu.
type agentState struct {
	id, hostname, userKey string
	status                store.AgentStatus
	// heard is when the agent last showed life (heartbeat or connect) on
	// the center's clock; the sweep measures silence from it.
	heard time.Time
	// seenDirty: heard is newer than the last_seen written.
	seenDirty bool
	// conns are the agent's live connections: server/client id -> address.
	conns map[string]string
	// goodbyeAt and goodbyeSent are when the last goodbye arrived (center
	// clock) and when the agent sent it (agent clock).
	goodbyeAt   time.Time
	goodbyeSent int64
	// goodbyeSource is who the last goodbye says stopped the agent.
	goodbyeSource *busv1.StopSource
	// loss is the disconnect waiting for its grace to pass.
	loss *pendingLoss
	// Last state: what the last heartbeats said.
	hb           *busv1.Heartbeat
	stats        *busv1.AgentStats
	plugins      []*busv1.PluginStatus
	factsSum     uint64
	pluginsSum   uint64
	stateDirty   bool
	stateWritten time.Time
}

// pendingLoss is a disconnect without goodbye, not yet confirmed.
type pendingLoss struct {
	at     time.Time
	reason string
}

// registry is the in-memory view of every agent.
type registry struct {
	mu      sync.Mutex
	agents  map[string]*agentState
	unknown map[string]time.Time // id -> until
}

func newRegistry() *registry {
	return &registry{agents: map[string]*agentState{}, unknown: map[string]time.Time{}}
}

// stateOf returns a new state for a stored agent, heard now so that an
// online agent gets a full heartbeat timeout to show up. An agent that
// enrolled and was never seen on the bus since is measured from its
// enrollment instead, with its own deadline (EnrollConnectTimeout).
func stateOf(a store.Agent, now time.Time) *agentState {
	st := &agentState{
		id: a.ID, hostname: a.Hostname, userKey: a.UserKey, status: a.Status,
		heard: now, conns: map[string]string{}, stateWritten: now,
	}
	if a.Status == store.StatusEnrolled && !a.EnrolledAt.IsZero() {
		st.heard = a.EnrolledAt
	}
	return st
}

// sync makes the registry hold exactly the given agents: new ones are
// added with their stored status, deleted ones dropped; the state of the
// others is kept, their hostname and user key refreshed.
func (r *registry) sync(agents []store.Agent, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keep := make(map[string]bool, len(agents))
	for _, a := range agents {
		keep[a.ID] = true
		if st, ok := r.agents[a.ID]; ok {
			st.userKey = a.UserKey
			if a.Hostname != "" {
				st.hostname = a.Hostname
			}
			continue
		}
		r.agents[a.ID] = stateOf(a, now)
	}
	for id := range r.agents {
		if !keep[id] {
			delete(r.agents, id)
		}
	}
}

// remove forgets a deleted agent.
func (r *registry) remove(id string) {
	r.mu.Lock()
	delete(r.agents, id)
	r.mu.Unlock()
}

// online counts the agents online now.
func (r *registry) online() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, st := range r.agents {
		if st.status == store.StatusOnline {
			n++
		}
	}
	return n
}

// known makes sure the registry holds agent id, reading the store for an
// agent enrolled since the last sync, and reports whether it exists.
func (s *Service) known(ctx context.Context, id string) (bool, error) {
	r := s.reg
	now := time.Now()
	r.mu.Lock()
	_, ok := r.agents[id]
	until, unknown := r.unknown[id]
	r.mu.Unlock()
	if ok {
		return true, nil
	}
	if unknown && now.Before(until) {
		return false, nil
	}
	a, err := s.store.Agents().Get(ctx, id)
	if err != nil {
		if isNotFound(err) {
			r.mu.Lock()
			if len(r.unknown) > 10_000 {
				clear(r.unknown)
			}
			r.unknown[id] = now.Add(unknownTTL)
			r.mu.Unlock()
			return false, nil
		}
		return false, fmt.Errorf("look up agent %q: %w", id, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.unknown, id)
	if _, ok := r.agents[id]; !ok {
		r.agents[id] = stateOf(a, now)
	}
	return true, nil
}

// loadAll returns every stored agent.
func (s *Service) loadAll(ctx context.Context) ([]store.Agent, error) {
	var all []store.Agent
	f := store.AgentFilter{Page: store.Page{Limit: store.MaxLimit}}
	for {
		page, next, err := s.store.Agents().List(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list agents: %w", err)
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		f.Cursor = next
	}
}
