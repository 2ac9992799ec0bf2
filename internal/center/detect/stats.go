package detect

import "sync/atomic"

// Stats are the service's counters since it started.
type Stats struct {
	MessagesTotal  uint64 `json:"messages_total"`
	EventsTotal    uint64 `json:"events_total"`
	MalformedTotal uint64 `json:"malformed_total"`
	// RedeliveredTotal counts messages that came again after a
	// checkpoint held them (their acknowledgement was lost): not counted
	// twice.
	RedeliveredTotal uint64 `json:"redelivered_total"`
	// MatchesTotal counts rule matches, AlertsTotal the alerts raised of
	// them (NewAlertsTotal those not merged into an open alert), and
	// SuppressedTotal those an exception stopped.
	MatchesTotal          uint64 `json:"matches_total"`
	CorrelationHitsTotal  uint64 `json:"correlation_hits_total"`
	AlertsTotal           uint64 `json:"alerts_total"`
	NewAlertsTotal        uint64 `json:"new_alerts_total"`
	SuppressedTotal       uint64 `json:"suppressed_total"`
	StoreErrorsTotal      uint64 `json:"store_errors_total"`
	CheckpointErrorsTotal uint64 `json:"checkpoint_errors_total"`
}

type counters struct {
	messages, events, malformedMsgs, matches, correlations   atomic.Uint64
	redeliveredN                                             atomic.Uint64
	alerts, newAlerts, suppressedN, storeErrs, checkpointErr atomic.Uint64
}

func (c *counters) message(events int) {
	c.messages.Add(1)
	c.events.Add(uint64(events))
}
func (c *counters) malformed()       { c.messages.Add(1); c.malformedMsgs.Add(1) }
func (c *counters) match()           { c.matches.Add(1) }
func (c *counters) redelivered()     { c.redeliveredN.Add(1) }
func (c *counters) correlation()     { c.correlations.Add(1) }
func (c *counters) suppressed()      { c.suppressedN.Add(1) }
func (c *counters) storeError()      { c.storeErrs.Add(1) }
func (c *counters) checkpointError() { c.checkpointErr.Add(1) }
func (c *counters) alert(isNew bool) {
	c.alerts.Add(1)
	if isNew {
		c.newAlerts.Add(1)
	}
}

// Stats returns the counters.
func (s *Service) Stats() Stats {
	c := &s.stats
	return Stats{
		MessagesTotal: c.messages.Load(), EventsTotal: c.events.Load(),
		MalformedTotal: c.malformedMsgs.Load(), RedeliveredTotal: c.redeliveredN.Load(), MatchesTotal: c.matches.Load(),
		CorrelationHitsTotal: c.correlations.Load(), AlertsTotal: c.alerts.Load(),
		NewAlertsTotal: c.newAlerts.Load(), SuppressedTotal: c.suppressedN.Load(),
		StoreErrorsTotal: c.storeErrs.Load(), CheckpointErrorsTotal: c.checkpointErr.Load(),
	}
}
