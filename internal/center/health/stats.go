package health

import (
	"maps"
	"sync"

	"github.com/vigilsec/vigil/internal/store"
)

// Reasons a message is dropped, the labels of Stats.MalformedTotal.
const (
	ReasonSubject       = "subject"        // not an agent's heartbeat or goodbye subject
	ReasonDecode        = "decode"         // not the expected protobuf message
	ReasonAgentMismatch = "agent_mismatch" // agent_id is not the subject's agent
	ReasonUnknownAgent  = "unknown_agent"  // no such agent in the store
	ReasonClientEvent   = "client_event"   // a connect or disconnect event that does not decode
)

// Stats are the service's counters since New, Prometheus-style: the
// totals only grow.
type Stats struct {
	HeartbeatsTotal  uint64 `json:"heartbeats_total"`
	GoodbyesTotal    uint64 `json:"goodbyes_total"`
	ConnectsTotal    uint64 `json:"connects_total"`
	DisconnectsTotal uint64 `json:"disconnects_total"`
	// MalformedTotal counts dropped messages by reason.
	MalformedTotal map[string]uint64 `json:"malformed_total"`
	// StatusChangesTotal counts stored status changes by new status.
	StatusChangesTotal map[store.AgentStatus]uint64 `json:"status_changes_total"`
	AlertsTotal        uint64                       `json:"alerts_total"`
	// StoreErrorsTotal counts failed store writes.
	StoreErrorsTotal uint64 `json:"store_errors_total"`
	// Online is the number of agents online now (a gauge).
	Online int `json:"online"`
}

// counters hold the Stats but Online.
type counters struct {
	mu sync.Mutex
	s  Stats
}

func newCounters() *counters {
	return &counters{s: Stats{MalformedTotal: map[string]uint64{}, StatusChangesTotal: map[store.AgentStatus]uint64{}}}
}

// add runs f on the counters under their lock.
func (c *counters) add(f func(*Stats)) {
	c.mu.Lock()
	f(&c.s)
	c.mu.Unlock()
}

func (c *counters) malformed(reason string) {
	c.add(func(s *Stats) { s.MalformedTotal[reason]++ })
}

// Stats returns a copy of the counters.
func (s *Service) Stats() Stats {
	s.stats.mu.Lock()
	out := s.stats.s
	out.MalformedTotal = maps.Clone(out.MalformedTotal)
	out.StatusChangesTotal = maps.Clone(out.StatusChangesTotal)
	s.stats.mu.Unlock()
	out.Online = s.reg.online()
	return out
}
