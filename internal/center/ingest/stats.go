package ingest

import (
	"errors"
	"maps"
	"sync"

	"github.com/vigilsec/vigil/internal/center/eventbatch"
)

// Stats are the service's counters since New, Prometheus-style: each only
// grows.
type Stats struct {
	// MessagesTotal counts messages read from the stream.
	MessagesTotal uint64 `json:"messages_total"`
	// EventsReceivedTotal counts valid events decoded.
	EventsReceivedTotal uint64 `json:"events_received_total"`
	// EventsStoredTotal counts events the store did not hold yet.
	EventsStoredTotal uint64 `json:"events_stored_total"`
	// DuplicatesTotal counts valid events the store held already.
	DuplicatesTotal uint64 `json:"duplicates_total"`
	// DroppedByAgentsTotal sums the batches' dropped_since_last: events
	// agents lost before sending (spool full).
	DroppedByAgentsTotal uint64 `json:"dropped_by_agents_total"`
	// InsertErrorsTotal counts failed Insert calls.
	InsertErrorsTotal uint64 `json:"insert_errors_total"`
	// MalformedTotal counts rejected messages and events by reason
	// (the Reason constants).
	MalformedTotal map[string]uint64 `json:"malformed_total"`
}

// counters hold the Stats.
type counters struct {
	mu        sync.Mutex
	s         Stats
	malformed map[string]uint64
}

// Stats returns a copy of the counters.
func (s *Service) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	out := s.stats.s
	out.MalformedTotal = maps.Clone(s.stats.malformed)
	return out
}

// message counts one decoded message.
func (c *counters) message(d decodedMsg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.MessagesTotal++
	var rej *eventbatch.RejectError
	if errors.As(d.err, &rej) {
		c.malformed[rej.Reason]++
		return
	}
	c.s.EventsReceivedTotal += uint64(len(d.batch.Events))
	c.s.DroppedByAgentsTotal += d.batch.AgentDropped
	for reason, n := range d.batch.Rejected {
		c.malformed[reason] += uint64(n)
	}
}

// stored counts one successful Insert of valid events, inserted of them new.
func (c *counters) stored(valid, inserted int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.EventsStoredTotal += uint64(inserted)
	c.s.DuplicatesTotal += uint64(valid - inserted)
}

func (c *counters) insertError() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.InsertErrorsTotal++
}

func (c *counters) malformedMsg(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.malformed[reason]++
}
