// Package compliance is the center's compliance service: the catalogue
// of policies (shipped in package policies, or uploaded: Vigil's format
// or Wazuh SCA files), which hosts evaluate which policy (assignments by
// host labels), exceptions with a reason and an expiry, and the results:
// the agents' collector compliance/baseline reports one inventory item
// per check with its evidence, which this package reads back as results,
// counts into scores per host, policy and group, and records as a score
// history.
package compliance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// Config configures the service. Store is required.
type Config struct {
	Store  store.Store
	Logger *slog.Logger
	// Now is the clock (nil for time.Now).
	Now func() time.Time
}

// Service is the compliance service.
type Service struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	catalog *catalog

	assignments assignmentCache
	standings   standingCache
}

// New loads the catalogue and returns the service.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("compliance: Store is required")
	}
	s := &Service{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	c, err := newCatalog(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	s.catalog = c
	return s, nil
}

// Policy returns a policy of the catalogue.
func (s *Service) Policy(id string) (*Entry, bool) { return s.catalog.get(id) }

// Policies returns the catalogue, by id.
func (s *Service) Policies() []*Entry { return s.catalog.all() }

// ResultFilter selects results.
type ResultFilter struct {
	AgentID  string
	PolicyID string
	CheckID  string
	// Status keeps results of that status (after exceptions).
	Status   string
	Severity string
	// Q matches the check id and titles (substring, case-insensitive).
	Q string
	store.Page
}

// Results lists check results, with their exceptions and texts.
func (s *Service) Results(ctx context.Context, f ResultFilter) ([]Result, string, error) {
	now := s.now()
	exs, err := s.cfg.Store.Compliance().Exceptions(ctx, f.PolicyID, now, false)
	if err != nil {
		return nil, "", fmt.Errorf("compliance exceptions: %w", err)
	}
	view := func(rec store.AssetRecord) (Result, bool) {
		r, ok := resultOf(rec)
		if !ok {
			return r, false
		}
		except(&r, exs, now)
		if e, ok := s.catalog.get(r.PolicyID); ok {
			if c := e.check(r.CheckID); c != nil {
				r.Check = infoOf(c)
			}
		}
		return r, true
	}
	af := store.AssetFilter{AgentID: f.AgentID, Kind: event.AssetCompliance, Collector: Collector, Page: f.Page,
		Match: func(rec store.AssetRecord) bool {
			r, ok := view(rec)
			return ok && (f.PolicyID == "" || r.PolicyID == f.PolicyID) && (f.CheckID == "" || r.CheckID == f.CheckID) &&
				(f.Status == "" || r.Status == f.Status) && (f.Severity == "" || r.Severity == f.Severity) &&
				(f.Q == "" || matchesText(r, f.Q))
		}}
	recs, next, err := s.cfg.Store.Inventory().List(ctx, af)
	if err != nil {
		return nil, "", fmt.Errorf("compliance results: %w", err)
	}
	out := make([]Result, 0, len(recs))
	for _, rec := range recs {
		if r, ok := view(rec); ok {
			out = append(out, r)
		}
	}
	return out, next, nil
}

// HostSummaries returns one host's standing on each policy it evaluated.
func (s *Service) HostSummaries(ctx context.Context, agentID string) ([]Summary, error) {
	h, err := s.standing(ctx, agentID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	exs, err := s.cfg.Store.Compliance().Exceptions(ctx, "", now, false)
	if err != nil {
		return nil, fmt.Errorf("compliance exceptions: %w", err)
	}
	return h.summaries(agentID, exs, now), nil
}

// items lists every compliance item of an agent.
func (s *Service) items(ctx context.Context, agentID string) ([]store.AssetRecord, error) {
	var out []store.AssetRecord
	f := store.AssetFilter{AgentID: agentID, Kind: event.AssetCompliance, Collector: Collector, Page: store.Page{Limit: store.MaxLimit}}
	for {
		page, next, err := s.cfg.Store.Inventory().List(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("compliance items of %s: %w", agentID, err)
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		f.Cursor = next
	}
}

// InventoryChanged records a host's scores after its results changed
// (the inventory service calls it for every changed set).
func (s *Service) InventoryChanged(agentID, collector string) {
	if collector != Collector {
		return
	}
	s.standings.forget(agentID)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.RecordScores(ctx, agentID); err != nil {
		s.log.Error("compliance scores", "agent", agentID, "err", err)
	}
}

// RecordScores computes a host's scores from its results and records
// them in the score history (one per host, policy and day).
func (s *Service) RecordScores(ctx context.Context, agentID string) error {
	sums, err := s.HostSummaries(ctx, agentID)
	if err != nil {
		return err
	}
	at := s.now().UTC()
	for _, sum := range sums {
		if !sum.Applicable {
			continue
		}
		err := s.cfg.Store.Compliance().PutScore(ctx, store.ComplianceScore{AgentID: agentID, PolicyID: sum.PolicyID, At: at,
			Passed: sum.Counts.Pass, Failed: sum.Counts.Fail, Errors: sum.Counts.Error, Excepted: sum.Counts.Excepted,
			NotApplicable: sum.Counts.NotApplicable})
		if err != nil {
			return fmt.Errorf("compliance score of %s for %s: %w", agentID, sum.PolicyID, err)
		}
	}
	return nil
}

// Bounds of an uploaded policy.
const maxUpload = 4 << 20

// ErrInvalidPolicy wraps the problems of an uploaded policy.
var ErrInvalidPolicy = errors.New("invalid policy")

// PutPolicy parses and stores an uploaded policy (format FormatVigil or
// FormatSCA) whose id must be id, and reports whether it is new. A
// shipped policy's id is refused. The problems of a bad file come back
// wrapped in ErrInvalidPolicy, each with its line.
func (s *Service) PutPolicy(ctx context.Context, id, name string, data []byte, format, author string) (*Entry, bool, error) {
	if len(data) > maxUpload {
		return nil, false, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidPolicy, len(data), maxUpload)
	}
	if format == "" {
		format = FormatVigil
	}
	e, err := parseUpload(name, data, format)
	if err == nil {
		err = e.prepare()
	}
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	if e.Policy.Meta.ID != id {
		return nil, false, fmt.Errorf("%w: the file's policy id is %q, not %q", ErrInvalidPolicy, e.Policy.Meta.ID, id)
	}
	if s.catalog.isShipped(id) {
		return nil, false, fmt.Errorf("%w: %s", ErrShipped, id)
	}
	created, err := s.cfg.Store.Compliance().PutPolicy(ctx, store.CompliancePolicy{ID: id, Version: e.Policy.Meta.Version,
		Digest: e.Policy.RulesDigest(), Name: e.Policy.Meta.Name.En, Format: format, Checks: len(e.Policy.Checks),
		Content: data, Author: author})
	if err != nil {
		return nil, false, fmt.Errorf("store policy %s: %w", id, err)
	}
	e.Author = author
	return e, created, s.catalog.reload(ctx)
}

// DeletePolicy removes an uploaded policy and its assignment.
func (s *Service) DeletePolicy(ctx context.Context, id string) error {
	if s.catalog.isShipped(id) {
		return fmt.Errorf("%w: %s", ErrShipped, id)
	}
	if err := s.cfg.Store.Compliance().DeletePolicy(ctx, id); err != nil {
		return fmt.Errorf("delete policy %s: %w", id, err)
	}
	s.forgetAssignments()
	return s.catalog.reload(ctx)
}

// ErrUnknownPolicy is returned for an assignment of a policy the
// catalogue does not have.
var ErrUnknownPolicy = errors.New("no such policy")

// PutAssignment assigns a policy to the hosts a selector names.
func (s *Service) PutAssignment(ctx context.Context, a store.ComplianceAssignment) error {
	if _, ok := s.catalog.get(a.PolicyID); !ok {
		return fmt.Errorf("%w: %s", ErrUnknownPolicy, a.PolicyID)
	}
	if a.IntervalSeconds != 0 && (a.IntervalSeconds < minInterval || a.IntervalSeconds > maxInterval) {
		return fmt.Errorf("interval: between %d and %d seconds, or 0 for daily", int64(minInterval), int64(maxInterval))
	}
	defer s.forgetAssignments()
	return s.cfg.Store.Compliance().PutAssignment(ctx, a)
}

// DeleteAssignment removes a policy's assignment.
func (s *Service) DeleteAssignment(ctx context.Context, policyID string) error {
	defer s.forgetAssignments()
	return s.cfg.Store.Compliance().DeleteAssignment(ctx, policyID)
}

// Bounds of an assignment's interval, in seconds.
const (
	minInterval = 600
	maxInterval = 30 * 24 * 3600
)
