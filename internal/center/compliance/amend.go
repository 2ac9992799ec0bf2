package compliance

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/store"
)

// maxSettings bounds the compliance collector's settings in an agent's
// policy: the policies travel in it, and a bus message holds 1 MiB.
const maxSettings = 768 << 10

// assignmentsTTL is how long the assignments read for Amend are reused
// (a PublishAll amends every agent's policy).
const assignmentsTTL = 5 * time.Second

// assignedPolicy is one policy in the collector's settings.
type assignedPolicy struct {
	ID     string          `json:"id"`
	Digest string          `json:"digest"`
	Policy json.RawMessage `json:"policy"`
}

// collectorSettings are the settings of compliance/baseline.
type collectorSettings struct {
	Policies []assignedPolicy `json:"policies"`
}

// assignmentCache keeps the assignments for a moment.
type assignmentCache struct {
	mu   sync.Mutex
	at   time.Time
	list []store.ComplianceAssignment
}

// Amend puts into an agent's policy the settings of compliance/baseline:
// the compact form of every policy whose enabled assignment selects the
// agent's labels, and the shortest interval among them. An agent no
// assignment selects gets the collector switched off.
func (s *Service) Amend(ctx context.Context, a store.Agent, p *busv1.AgentPolicy) error {
	as, err := s.cachedAssignments(ctx)
	if err != nil {
		return err
	}
	var settings collectorSettings
	var interval int64
	size := 0
	for _, as := range as {
		if as.Disabled || !selects(as.Selector, a.Labels) {
			continue
		}
		e, ok := s.catalog.get(as.PolicyID)
		if !ok {
			continue
		}
		if size+len(e.compact) > maxSettings {
			s.log.Warn("compliance policies left out of an agent's policy: too large together",
				"agent", a.ID, "policy", as.PolicyID, "bytes", size+len(e.compact))
			continue
		}
		size += len(e.compact)
		settings.Policies = append(settings.Policies, assignedPolicy{ID: as.PolicyID, Digest: e.rulesDigest, Policy: e.compact})
		if as.IntervalSeconds > 0 && (interval == 0 || as.IntervalSeconds < interval) {
			interval = as.IntervalSeconds
		}
	}
	if p.Collectors == nil {
		p.Collectors = map[string]*busv1.PluginPolicy{}
	}
	if len(settings.Policies) == 0 {
		p.Collectors[Collector] = &busv1.PluginPolicy{Enabled: false}
		return nil
	}
	raw, err := json.Marshal(settings)
	if err != nil {
		return fmt.Errorf("compliance settings: %w", err)
	}
	pp := p.Collectors[Collector]
	if pp == nil {
		pp = &busv1.PluginPolicy{Enabled: true}
		p.Collectors[Collector] = pp
	}
	pp.SettingsJson = string(raw)
	if interval > 0 {
		pp.IntervalSeconds = interval
	}
	return nil
}

// cachedAssignments returns the assignments, read at most every few
// seconds.
func (s *Service) cachedAssignments(ctx context.Context) ([]store.ComplianceAssignment, error) {
	c := &s.assignments
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list != nil && s.now().Sub(c.at) < assignmentsTTL {
		return c.list, nil
	}
	list, err := s.cfg.Store.Compliance().Assignments(ctx)
	if err != nil {
		return nil, fmt.Errorf("compliance assignments: %w", err)
	}
	c.list, c.at = list, s.now()
	return list, nil
}

// forgetAssignments makes the next Amend read the assignments again.
func (s *Service) forgetAssignments() {
	s.assignments.mu.Lock()
	s.assignments.list = nil
	s.assignments.mu.Unlock()
}

// selects reports whether every label of the selector is on the agent.
func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
