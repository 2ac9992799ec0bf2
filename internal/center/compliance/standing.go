package compliance

import (
	"context"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/store"
)

// The fleet views count every check of every host. Reading them from the
// store each time decodes every item (with its evidence); instead the
// service keeps each host's standing in memory: per policy, each check's
// status as the agent reported it, before exceptions, which are applied
// when a view is computed (they change and expire on their own). A host's
// standing is read from the store when first needed and dropped when its
// results change.

// statusCode is a check status in one byte.
type statusCode uint8

// statuses lists the statuses by code; an unknown status reads as an
// error (it is not a pass).
var statuses = []eval.Status{eval.Error, eval.Pass, eval.Fail, eval.NotApplicable, eval.Excepted}

// codeOf returns the code of a status.
func codeOf(status string) statusCode {
	for i, st := range statuses {
		if string(st) == status {
			return statusCode(i)
		}
	}
	return 0
}

// checkState is one check's status on a host.
type checkState struct {
	id       string
	severity string
	status   statusCode
}

// policyStanding is a host's standing on one policy.
type policyStanding struct {
	id, version string
	// applicable is false when the policy's summary item says its
	// requirements do not hold on the host.
	applicable bool
	updatedAt  time.Time
	checks     []checkState
}

// hostStanding is a host's standing on the policies it evaluated, in the
// order their items came.
type hostStanding struct {
	policies []policyStanding
}

// standingCache holds the hosts' standings.
type standingCache struct {
	mu    sync.Mutex
	hosts map[string]*hostStanding
	// gen counts each host's invalidations, so that a standing read from
	// the store while its results changed is not kept.
	gen map[string]uint64
}

// forget drops a host's standing after its results changed.
func (c *standingCache) forget(agentID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == nil {
		c.gen = map[string]uint64{}
	}
	delete(c.hosts, agentID)
	c.gen[agentID]++
}

// keepOnly drops the standings of hosts that are not in hs (deleted).
func (c *standingCache) keepOnly(hs hostSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.hosts {
		if _, ok := hs[id]; !ok {
			delete(c.hosts, id)
			delete(c.gen, id)
		}
	}
}

// standing returns a host's standing, reading it from the store when the
// cache does not hold it.
func (s *Service) standing(ctx context.Context, agentID string) (*hostStanding, error) {
	c := &s.standings
	c.mu.Lock()
	h, ok := c.hosts[agentID]
	gen := c.gen[agentID]
	c.mu.Unlock()
	if ok {
		return h, nil
	}
	recs, err := s.items(ctx, agentID)
	if err != nil {
		return nil, err
	}
	h = s.standingOf(recs)
	c.mu.Lock()
	if c.gen[agentID] == gen {
		if c.hosts == nil {
			c.hosts = map[string]*hostStanding{}
		}
		c.hosts[agentID] = h
	}
	c.mu.Unlock()
	return h, nil
}

// standingOf reads a host's items into its standing. Check ids are taken
// from the catalogue where it knows them, so that hosts share them.
func (s *Service) standingOf(recs []store.AssetRecord) *hostStanding {
	h := &hostStanding{}
	index := map[string]int{}
	get := func(policyID string) *policyStanding {
		i, ok := index[policyID]
		if !ok {
			i = len(h.policies)
			index[policyID] = i
			id := policyID
			if e, ok := s.catalog.get(policyID); ok {
				id = e.Policy.Meta.ID
			}
			h.policies = append(h.policies, policyStanding{id: id, applicable: true})
		}
		return &h.policies[i]
	}
	for _, rec := range recs {
		var p *policyStanding
		if r, ok := resultOf(rec); ok {
			p = get(r.PolicyID)
			p.version = r.PolicyVersion
			id := r.CheckID
			if e, ok := s.catalog.get(r.PolicyID); ok {
				if c := e.check(r.CheckID); c != nil {
					id = c.ID
				}
			}
			p.checks = append(p.checks, checkState{id: id, severity: internSeverity(r.Severity), status: codeOf(r.Status)})
		} else if pf, ok := policyFields(rec); ok {
			p = get(pf.Policy)
			p.version = pf.PolicyVersion
			p.applicable = pf.Status != string(eval.NotApplicable)
		} else {
			continue
		}
		if rec.UpdatedAt.After(p.updatedAt) {
			p.updatedAt = rec.UpdatedAt
		}
	}
	return h
}

// internSeverity returns the shared copy of a known severity.
func internSeverity(s string) string {
	for _, known := range []string{"low", "medium", "high", "critical"} {
		if s == known {
			return known
		}
	}
	return s
}

// summaries counts a host's standing into its summaries, applying the
// exceptions in force.
func (h *hostStanding) summaries(agentID string, exs []store.ComplianceException, now time.Time) []Summary {
	out := make([]Summary, 0, len(h.policies))
	for i := range h.policies {
		p := &h.policies[i]
		sum := Summary{AgentID: agentID, PolicyID: p.id, PolicyVersion: p.version, Applicable: p.applicable, UpdatedAt: p.updatedAt}
		for _, c := range p.checks {
			count(&sum.Counts, string(effective(c, p.id, agentID, exs, now)))
		}
		sum.Score = eval.Score(sum.Counts)
		out = append(out, sum)
	}
	return out
}

// effective is a check's status once the exceptions in force apply.
func effective(c checkState, policyID, agentID string, exs []store.ComplianceException, now time.Time) eval.Status {
	st := statuses[c.status]
	if st == eval.Fail && exceptionFor(exs, policyID, c.id, agentID, now) != nil {
		return eval.Excepted
	}
	return st
}
