package vuln

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/center/vuln/feed"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/vuln/ecosystem"
	"github.com/vigilsec/vigil/internal/vuln/match"
)

// Collectors whose inventory the findings are made from: a change in
// one of them re-matches the host.
var matchedCollectors = map[string]bool{"os/packages": true, "app/libraries": true, "proc/processes": true}

// Defaults of a Service.
const (
	// DefaultSweep is how often the service looks for hosts whose
	// inventory changed since they were matched (on this center or
	// another of the cluster).
	DefaultSweep = time.Minute
	// matchWorkers bounds the hosts matched at once.
	matchWorkers = 4
)

// Config configures the service. Store is required.
type Config struct {
	Store store.Store
	// Sources are the feeds that sync reads; none for a center fed only
	// by imports.
	Sources feed.Config
	// TempDir holds uploads and downloads while they are imported
	// (the system's temporary folder when empty).
	TempDir string
	// Sweep is how often changed inventories are looked for
	// (DefaultSweep when zero).
	Sweep  time.Duration
	Logger *slog.Logger
	// Now is the clock (nil for time.Now).
	Now func() time.Time
}

// Service keeps the vulnerability database and the findings.
type Service struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	fetcher *feed.Fetcher

	index atomic.Pointer[match.Index]
	jobs  jobs

	// wake is signalled when hosts were marked dirty or the database
	// changed.
	wake chan struct{}

	mu sync.Mutex
	// dirty are hosts to match at the next turn; rematchAll asks for
	// every host.
	dirty      map[string]bool
	rematchAll bool
	// matchedAt is the inventory time each host was matched at.
	matchedAt map[string]time.Time
	// state is what the status shows.
	state State
	// busy serializes database changes (imports, syncs).
	busy sync.Mutex
}

// State is the service's state as the status shows it.
type State struct {
	// IndexBuiltAt is when the index in use was built, from Revision
	// advisories.
	IndexBuiltAt time.Time   `json:"index_built_at,omitzero"`
	Index        match.Stats `json:"index"`
	// LastFleetMatch is when every host was last matched against the
	// index, and how long it took.
	LastFleetMatch     time.Time `json:"last_fleet_match,omitzero"`
	LastFleetMatchTook string    `json:"last_fleet_match_took,omitempty"`
	// HostsMatched and HostErrors count host matches since the start.
	HostsMatched int64  `json:"hosts_matched"`
	HostErrors   int64  `json:"host_errors"`
	LastError    string `json:"last_error,omitempty"`
}

// New returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("vuln: Store is required")
	}
	if err := cfg.Sources.Validate(); err != nil {
		return nil, fmt.Errorf("vuln: sources: %w", err)
	}
	s := &Service{cfg: cfg, log: cfg.Logger, now: cfg.Now, wake: make(chan struct{}, 1),
		dirty: map[string]bool{}, matchedAt: map[string]time.Time{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.jobs.now = s.now
	f, err := feed.NewFetcher(cfg.Sources, cfg.TempDir)
	if err != nil {
		return nil, fmt.Errorf("vuln: %w", err)
	}
	s.fetcher = f
	return s, nil
}

// Run builds the index from the store, matches the fleet, and then keeps
// the findings current until ctx ends: hosts whose inventory changed,
// the whole fleet when the database changed, the sources on their
// schedule.
func (s *Service) Run(ctx context.Context) error {
	if err := s.rebuild(ctx); err != nil {
		return err
	}
	sweep := s.cfg.Sweep
	if sweep <= 0 {
		sweep = DefaultSweep
	}
	sweepTicker := time.NewTicker(sweep)
	defer sweepTicker.Stop()
	var syncC <-chan time.Time
	if iv := time.Duration(s.cfg.Sources.Interval); iv > 0 && len(s.cfg.Sources.Sources) > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		syncC = t.C
	}
	s.requestFleet()
	for {
		if err := s.turn(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("vulnerability matching", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-sweepTicker.C:
			if err := s.findChanged(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("vulnerability matching: look for changed inventories", "err", err)
			}
		case <-syncC:
			if _, err := s.Sync("", ""); err != nil && !errors.Is(err, ErrBusy) {
				s.log.Error("vulnerability database sync", "err", err)
			}
		}
	}
}

// InventoryChanged tells the service that an agent's inventory changed
// (the inventory service calls it); the host is matched again soon when
// the collector is one the findings come from.
func (s *Service) InventoryChanged(agentID, collector string) {
	if !matchedCollectors[collector] {
		return
	}
	s.mu.Lock()
	s.dirty[agentID] = true
	s.mu.Unlock()
	s.signal()
}

// signal wakes Run without blocking.
func (s *Service) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// requestFleet asks for every host to be matched at the next turn.
func (s *Service) requestFleet() {
	s.mu.Lock()
	s.rematchAll = true
	s.mu.Unlock()
	s.signal()
}

// State returns the service's state.
func (s *Service) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	if ix := s.index.Load(); ix != nil {
		st.Index = ix.Stats()
	}
	return st
}

// Index returns the index in use (nil before Run built it).
func (s *Service) Index() *match.Index { return s.index.Load() }

// versions caches the versions CompareVersions parses.
var versions = ecosystem.NewVersions(1 << 14)

// CompareVersions orders two versions of an ecosystem ("Debian:12",
// "Maven") by its rules; versions it cannot compare are ordered as text.
func CompareVersions(eco, a, b string) int {
	if scheme, ok := ecosystem.SchemeOf(ecosystem.Parse(eco).Name); ok {
		if c, err := versions.Compare(scheme, a, b); err == nil {
			return c
		}
	}
	return strings.Compare(a, b)
}
