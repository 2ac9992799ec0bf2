package compliance

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// FleetFilter selects the hosts and the policy of a fleet view.
type FleetFilter struct {
	PolicyID string
	AgentID  string
	// Labels must all match a host's labels.
	Labels map[string]string
}

// hostSet is the hosts a fleet view covers, by id.
type hostSet map[string]store.Agent

// hosts lists the hosts f selects.
func (s *Service) hosts(ctx context.Context, f FleetFilter) (hostSet, error) {
	out := hostSet{}
	if f.AgentID != "" {
		a, err := s.cfg.Store.Agents().Get(ctx, f.AgentID)
		if err != nil {
			return nil, fmt.Errorf("agent %s: %w", f.AgentID, err)
		}
		if selects(f.Labels, a.Labels) {
			out[a.ID] = a
		}
		return out, nil
	}
	af := store.AgentFilter{Labels: f.Labels, Page: store.Page{Limit: store.MaxLimit}}
	for {
		list, next, err := s.cfg.Store.Agents().List(ctx, af)
		if err != nil {
			return nil, fmt.Errorf("agents: %w", err)
		}
		for _, a := range list {
			out[a.ID] = a
		}
		if next == "" {
			return out, nil
		}
		af.Cursor = next
	}
}

// Summaries returns the standing of every host f selects on every policy
// it evaluated (or f's policy), by policy, then lowest score first (hosts
// without a score last), then hostname.
func (s *Service) Summaries(ctx context.Context, f FleetFilter) ([]Summary, error) {
	hs, err := s.hosts(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.summaries(ctx, hs, f)
}

// summaries returns the standing of the hosts in hs (see Summaries).
func (s *Service) summaries(ctx context.Context, hs hostSet, f FleetFilter) ([]Summary, error) {
	now := s.now()
	exs, err := s.cfg.Store.Compliance().Exceptions(ctx, f.PolicyID, now, false)
	if err != nil {
		return nil, fmt.Errorf("compliance exceptions: %w", err)
	}
	var sums []Summary
	err = s.eachStanding(ctx, hs, f, func(agentID string, h *hostStanding) {
		for _, sum := range h.summaries(agentID, exs, now) {
			if f.PolicyID == "" || sum.PolicyID == f.PolicyID {
				sum.Hostname = hs[agentID].Hostname
				sums = append(sums, sum)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(sums, func(a, b Summary) int {
		return cmp.Or(cmp.Compare(a.PolicyID, b.PolicyID), compareScores(a.Score, b.Score),
			cmp.Compare(a.Hostname, b.Hostname), cmp.Compare(a.AgentID, b.AgentID))
	})
	return sums, nil
}

// eachStanding calls fn with the standing of each host in hs, in id
// order. When f selects the whole fleet, the standings of hosts that are
// gone are dropped.
func (s *Service) eachStanding(ctx context.Context, hs hostSet, f FleetFilter, fn func(agentID string, h *hostStanding)) error {
	if f.AgentID == "" && len(f.Labels) == 0 {
		s.standings.keepOnly(hs)
	}
	for _, id := range slices.Sorted(maps.Keys(hs)) {
		h, err := s.standing(ctx, id)
		if err != nil {
			return err
		}
		fn(id, h)
	}
	return nil
}

// compareScores orders scores lowest first, missing ones last.
func compareScores(a, b *float64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Compare(*a, *b)
}

// Group is the standing of a group of hosts on a policy: the hosts whose
// label Label has the value Value ("" for the hosts without that label;
// Label "" for the whole fleet).
type Group struct {
	Label    string `json:"label"`
	Value    string `json:"value"`
	PolicyID string `json:"policy_id"`
	// Hosts is the number of hosts of the group the policy applies to.
	Hosts int `json:"hosts"`
	// Counts sums the hosts' counts; Score is computed from them.
	Counts eval.Counts `json:"counts"`
	Score  *float64    `json:"score"`
}

// Groups returns the standing of each group of hosts by the value of
// label on each policy (or policyID), by policy then value. Without a
// label, each policy's group is the whole fleet. Hosts a policy does not
// apply to are not counted.
func (s *Service) Groups(ctx context.Context, label, policyID string) ([]Group, error) {
	hs, err := s.hosts(ctx, FleetFilter{})
	if err != nil {
		return nil, err
	}
	sums, err := s.summaries(ctx, hs, FleetFilter{PolicyID: policyID})
	if err != nil {
		return nil, err
	}
	type key struct{ policy, value string }
	groups := map[key]*Group{}
	for _, sum := range sums {
		if !sum.Applicable {
			continue
		}
		value := ""
		if label != "" {
			value = hs[sum.AgentID].Labels[label]
		}
		k := key{sum.PolicyID, value}
		g, ok := groups[k]
		if !ok {
			g = &Group{Label: label, Value: value, PolicyID: sum.PolicyID}
			groups[k] = g
		}
		g.Hosts++
		g.Counts.Merge(sum.Counts)
	}
	out := make([]Group, 0, len(groups))
	for _, k := range slices.SortedFunc(maps.Keys(groups), func(a, b key) int {
		return cmp.Or(cmp.Compare(a.policy, b.policy), cmp.Compare(a.value, b.value))
	}) {
		g := groups[k]
		g.Score = eval.Score(g.Counts)
		out = append(out, *g)
	}
	return out, nil
}

// CheckStanding is one check's standing across the fleet: how many hosts
// have each status.
type CheckStanding struct {
	PolicyID string     `json:"policy_id"`
	CheckID  string     `json:"check_id"`
	Severity string     `json:"severity,omitempty"`
	Check    *CheckInfo `json:"check,omitempty"`
	// Hosts counts the hosts by the check's status on them.
	Hosts eval.Counts `json:"hosts"`
}

// Checks returns the standing of each check of f's policy (required) on
// the hosts f selects: the checks failing on most hosts first, then the
// most errors, then in the policy's order.
func (s *Service) Checks(ctx context.Context, f FleetFilter) ([]CheckStanding, error) {
	if f.PolicyID == "" {
		return nil, fmt.Errorf("compliance checks: a policy is required")
	}
	hs, err := s.hosts(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	exs, err := s.cfg.Store.Compliance().Exceptions(ctx, f.PolicyID, now, false)
	if err != nil {
		return nil, fmt.Errorf("compliance exceptions: %w", err)
	}
	entry, known := s.catalog.get(f.PolicyID)
	byID := map[string]*CheckStanding{}
	err = s.eachStanding(ctx, hs, f, func(agentID string, h *hostStanding) {
		for i := range h.policies {
			p := &h.policies[i]
			if p.id != f.PolicyID {
				continue
			}
			for _, c := range p.checks {
				cs, ok := byID[c.id]
				if !ok {
					cs = &CheckStanding{PolicyID: p.id, CheckID: c.id, Severity: c.severity}
					if known {
						if pc := entry.check(c.id); pc != nil {
							cs.Check = infoOf(pc)
						}
					}
					byID[c.id] = cs
				}
				count(&cs.Hosts, string(effective(c, p.id, agentID, exs, now)))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	position := func(id string) int {
		if known {
			if i, ok := entry.order[id]; ok {
				return i
			}
		}
		return len(byID) + 1 // checks the policy no longer has come last
	}
	out := make([]CheckStanding, 0, len(byID))
	for _, c := range byID {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b CheckStanding) int {
		return cmp.Or(cmp.Compare(b.Hosts.Fail, a.Hosts.Fail), cmp.Compare(b.Hosts.Error, a.Hosts.Error),
			cmp.Compare(position(a.CheckID), position(b.CheckID)), cmp.Compare(a.CheckID, b.CheckID))
	})
	return out, nil
}

// Drift is a change of a check's status on a host.
type Drift struct {
	AgentID  string     `json:"agent_id"`
	Hostname string     `json:"hostname,omitempty"`
	PolicyID string     `json:"policy_id"`
	CheckID  string     `json:"check_id"`
	Severity string     `json:"severity,omitempty"`
	Check    *CheckInfo `json:"check,omitempty"`
	// Before and After are the agent's statuses (exceptions are not
	// applied: they change no host).
	Before string `json:"before"`
	After  string `json:"after"`
	// Regressed: the check passed and now fails or errs.
	Regressed bool      `json:"regressed"`
	ChangedAt time.Time `json:"changed_at"`
}

// DriftFilter selects status changes.
type DriftFilter struct {
	AgentID  string
	PolicyID string
	Since    time.Time
	Until    time.Time
	// Regressed keeps the regressions only.
	Regressed bool
	store.Page
}

// maxDriftPages bounds the history pages one Drift call reads while it
// finds no status change (each page is f.Limit changes).
const maxDriftPages = 20

// Drift lists the changes of checks' statuses, newest first, from the
// inventory's history of compliance items. A page may hold fewer items
// than its limit while more follow: go on while the cursor is not empty.
func (s *Service) Drift(ctx context.Context, f DriftFilter) ([]Drift, string, error) {
	cf := store.AssetChangeFilter{AgentID: f.AgentID, Kind: event.AssetCompliance, Action: store.AssetChanged,
		Since: f.Since, Until: f.Until, Page: f.Page}
	if f.PolicyID != "" {
		cf.Q = f.PolicyID + "/"
	}
	var out []Drift
	for range maxDriftPages {
		changes, next, err := s.cfg.Store.Inventory().Changes(ctx, cf)
		if err != nil {
			return nil, "", fmt.Errorf("compliance drift: %w", err)
		}
		for _, ch := range changes {
			if d, ok := s.driftOf(ch, f); ok {
				out = append(out, d)
			}
		}
		if len(out) > 0 || next == "" {
			return out, next, nil
		}
		cf.Cursor = next
	}
	return out, cf.Cursor, nil
}

// driftOf reads a history entry as a status change that f selects.
func (s *Service) driftOf(ch store.AssetChange, f DriftFilter) (Drift, bool) {
	if ch.Collector != Collector {
		return Drift{}, false
	}
	before, ok1 := checkStatus(ch.BeforeFields)
	after, ok2 := checkStatus(ch.AfterFields)
	if !ok1 || !ok2 || before.Status == after.Status || after.Check == "" ||
		(f.PolicyID != "" && after.Policy != f.PolicyID) {
		return Drift{}, false
	}
	d := Drift{AgentID: ch.AgentID, PolicyID: after.Policy, CheckID: after.Check, Severity: after.Severity,
		Before: before.Status, After: after.Status, ChangedAt: ch.At,
		Regressed: before.Status == string(eval.Pass) && (after.Status == string(eval.Fail) || after.Status == string(eval.Error))}
	if f.Regressed && !d.Regressed {
		return Drift{}, false
	}
	if e, ok := s.catalog.get(d.PolicyID); ok {
		if c := e.check(d.CheckID); c != nil {
			d.Check = infoOf(c)
		}
	}
	return d, true
}

// checkFields is what drift reads of a compliance item's fields.
type checkFields struct {
	Policy, Check, Status, Severity string
}

// checkStatus decodes a compliance item's fields.
func checkStatus(fields json.RawMessage) (checkFields, bool) {
	var f itemFields
	if len(fields) == 0 || json.Unmarshal(fields, &f) != nil {
		return checkFields{}, false
	}
	c := f.Vigil.Compliance
	return checkFields{Policy: c.Policy, Check: c.Check, Status: c.Status, Severity: c.Severity}, c.Status != ""
}
