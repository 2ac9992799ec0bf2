package vuln

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/vuln/ecosystem"
	"github.com/vigilsec/vigil/internal/vuln/match"
	"github.com/vigilsec/vigil/internal/vuln/osv"
)

// rebuild builds the index from the store's advisories and the known
// exploited catalogue, and puts it in use.
func (s *Service) rebuild(ctx context.Context) error {
	start := s.now()
	b := match.NewBuilder()
	var bad int
	err := s.cfg.Store.Vulns().ScanAdvisories(ctx, func(a store.Advisory) error {
		rec, err := osv.Parse(a.Record)
		if err != nil {
			// Stored records were checked on import; one that no
			// longer parses (a schema rule tightened since) is
			// left out, not fatal.
			bad++
			return nil
		}
		b.Add(rec)
		return nil
	})
	if err != nil {
		return fmt.Errorf("vuln: read advisories: %w", err)
	}
	ix := b.Build()
	kev, err := s.cfg.Store.Vulns().KnownExploited(ctx)
	if err != nil {
		return fmt.Errorf("vuln: read known exploited: %w", err)
	}
	cves := make([]string, len(kev))
	for i, k := range kev {
		cves[i] = k.CVE
	}
	ix.SetKnownExploited(cves)
	s.index.Store(ix)
	st := ix.Stats()
	s.mu.Lock()
	s.state.IndexBuiltAt = s.now().UTC()
	s.mu.Unlock()
	s.log.Info("vulnerability index built", "advisories", st.Advisories, "packages", st.Packages,
		"known_exploited", st.KnownExploited, "unreadable", bad, "took", s.now().Sub(start).Round(time.Millisecond))
	return nil
}

// turn matches the hosts asked for: all of them after a database
// change, else those marked dirty.
func (s *Service) turn(ctx context.Context) error {
	s.mu.Lock()
	all := s.rematchAll
	dirty := s.dirty
	s.rematchAll, s.dirty = false, map[string]bool{}
	s.mu.Unlock()
	if !all && len(dirty) == 0 {
		return nil
	}
	start := s.now()
	agents, err := s.agents(ctx)
	if err != nil {
		return err
	}
	var todo []store.Agent
	for _, a := range agents {
		if all || dirty[a.ID] {
			todo = append(todo, a)
		}
	}
	err = s.matchAgents(ctx, todo)
	if all {
		if perr := s.pruneGone(ctx, agents); perr != nil {
			err = errors.Join(err, perr)
		}
		s.mu.Lock()
		s.state.LastFleetMatch = s.now().UTC()
		s.state.LastFleetMatchTook = s.now().Sub(start).Round(time.Millisecond).String()
		s.mu.Unlock()
		s.log.Info("fleet matched against the vulnerability index", "hosts", len(todo), "took", s.now().Sub(start).Round(time.Millisecond))
	}
	return err
}

// agents lists every enrolled agent.
func (s *Service) agents(ctx context.Context) ([]store.Agent, error) {
	var out []store.Agent
	f := store.AgentFilter{Page: store.Page{Limit: store.MaxLimit}}
	for {
		page, next, err := s.cfg.Store.Agents().List(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("vuln: list agents: %w", err)
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		f.Cursor = next
	}
}

// pruneGone removes the findings of agents that are no longer enrolled.
func (s *Service) pruneGone(ctx context.Context, agents []store.Agent) error {
	known := make(map[string]bool, len(agents))
	for _, a := range agents {
		known[a.ID] = true
	}
	sums, err := s.cfg.Store.Vulns().HostSummaries(ctx, "")
	if err != nil {
		return fmt.Errorf("vuln: host summaries: %w", err)
	}
	for _, h := range sums {
		if known[h.AgentID] {
			continue
		}
		if err := s.cfg.Store.Vulns().DeleteAgentFindings(ctx, h.AgentID); err != nil {
			return fmt.Errorf("vuln: remove the findings of agent %s: %w", h.AgentID, err)
		}
		s.mu.Lock()
		delete(s.matchedAt, h.AgentID)
		s.mu.Unlock()
	}
	return nil
}

// findChanged marks the hosts whose package, library or process
// inventory changed since they were matched (by this center or,
// in a cluster, by another that received the inventory).
func (s *Service) findChanged(ctx context.Context) error {
	agents, err := s.agents(ctx)
	if err != nil {
		return err
	}
	var changed int
	for _, a := range agents {
		at, err := s.inventoryTime(ctx, a.ID)
		if err != nil {
			return err
		}
		s.mu.Lock()
		matched, ok := s.matchedAt[a.ID]
		if !ok || at.After(matched) {
			s.dirty[a.ID] = true
			changed++
		}
		s.mu.Unlock()
	}
	if changed > 0 {
		s.signal()
	}
	return nil
}

// inventoryTime returns when the collectors the findings come from last
// changed an agent's inventory.
func (s *Service) inventoryTime(ctx context.Context, agentID string) (time.Time, error) {
	sets, err := s.cfg.Store.Inventory().Sets(ctx, agentID)
	if err != nil {
		return time.Time{}, fmt.Errorf("vuln: inventory sets of %s: %w", agentID, err)
	}
	var at time.Time
	for _, set := range sets {
		if matchedCollectors[set.Collector] && set.UpdatedAt.After(at) {
			at = set.UpdatedAt
		}
	}
	return at, nil
}

// matchAgents matches hosts, a few at once.
func (s *Service) matchAgents(ctx context.Context, agents []store.Agent) error {
	ix := s.index.Load()
	if ix == nil {
		return errors.New("vuln: no index")
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	work := make(chan store.Agent)
	for range min(matchWorkers, max(1, len(agents))) {
		wg.Go(func() {
			for a := range work {
				err := s.matchAgent(ctx, ix, a)
				s.mu.Lock()
				if err != nil {
					s.state.HostErrors++
					s.state.LastError = err.Error()
				} else {
					s.state.HostsMatched++
				}
				s.mu.Unlock()
				if err != nil {
					mu.Lock()
					if len(errs) < 10 {
						errs = append(errs, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, a := range agents {
		select {
		case work <- a:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

// packageFields is the part of a package or library item the matching
// reads.
type packageFields struct {
	Package struct {
		Name          string `json:"name"`
		Version       string `json:"version"`
		Type          string `json:"type"`
		Source        string `json:"source"`
		SourceVersion string `json:"source_version"`
		Path          string `json:"path"`
		InstallStatus string `json:"install_status"`
	} `json:"package"`
}

// matchAgent matches one host's packages and libraries and stores its
// findings.
func (s *Service) matchAgent(ctx context.Context, ix *match.Index, a store.Agent) error {
	at, err := s.inventoryTime(ctx, a.ID)
	if err != nil {
		return err
	}
	host, hostErr := ecosystem.ForOS(a.Platform, a.PlatformVersion)
	procs, err := s.assets(ctx, a.ID, event.AssetProcess)
	if err != nil {
		return err
	}
	use := newUsage(procs)
	var findings []store.VulnFinding
	for _, kind := range []string{event.AssetPackage, event.AssetLibrary} {
		items, err := s.assets(ctx, a.ID, kind)
		if err != nil {
			return err
		}
		for _, item := range items {
			var f packageFields
			if len(item.Fields) == 0 || json.Unmarshal(item.Fields, &f) != nil {
				continue
			}
			p := f.Package
			if p.Name == "" || p.Version == "" {
				continue
			}
			// A Debian package removed with its configuration
			// kept runs no code.
			if p.InstallStatus == "config-files" || p.InstallStatus == "not-installed" {
				continue
			}
			var eco ecosystem.Ecosystem
			if kind == event.AssetPackage {
				if hostErr != nil {
					continue
				}
				if eco, err = ecosystem.ForPackage(host, p.Type); err != nil {
					continue
				}
			} else {
				var ok bool
				if eco, ok = ecosystem.FromPURLType(p.Type); !ok {
					continue
				}
			}
			hits := ix.Match(match.Package{Ecosystem: eco, Name: p.Name, Version: p.Version,
				SourceName: p.Source, SourceVersion: p.SourceVersion})
			if len(hits) == 0 {
				continue
			}
			var running, listening bool
			if kind == event.AssetPackage {
				running, listening = use.pkg(p.Name)
			} else {
				running, listening = use.library(p.Path)
			}
			for _, h := range hits {
				findings = append(findings, store.VulnFinding{
					AssetKind: kind, AssetKey: item.Key, VulnID: h.VulnerabilityID,
					Advisories: slices.Clone(h.AdvisoryIDs), Aliases: slices.Clone(h.Aliases),
					Ecosystem: eco.String(), Package: p.Name, Version: p.Version, FixedVersion: h.FixedVersion,
					Path: p.Path, Severity: string(h.Severity), Score: h.Score, KnownExploited: h.KnownExploited,
					Summary: h.Summary, Running: running, Listening: listening,
				})
			}
		}
	}
	if _, err := s.cfg.Store.Vulns().ReplaceFindings(ctx, a.ID, findings, s.now().UTC()); err != nil {
		return fmt.Errorf("vuln: store the findings of %s: %w", a.ID, err)
	}
	s.mu.Lock()
	s.matchedAt[a.ID] = at
	s.mu.Unlock()
	return nil
}

// assets lists an agent's items of a kind.
func (s *Service) assets(ctx context.Context, agentID, kind string) ([]store.AssetRecord, error) {
	var out []store.AssetRecord
	f := store.AssetFilter{AgentID: agentID, Kind: kind, Page: store.Page{Limit: store.MaxLimit}}
	for {
		page, next, err := s.cfg.Store.Inventory().List(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("vuln: %s items of %s: %w", kind, agentID, err)
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		f.Cursor = next
	}
}

// RebuildIndex builds the index from the store's advisories again and
// puts it in use (Run does it at its start and after every change of the
// database).
func (s *Service) RebuildIndex(ctx context.Context) error { return s.rebuild(ctx) }

// MatchFleet matches every host against the index in use now, waiting
// for the end; it returns the number of hosts matched.
func (s *Service) MatchFleet(ctx context.Context) (int, error) {
	agents, err := s.agents(ctx)
	if err != nil {
		return 0, err
	}
	return len(agents), s.matchAgents(ctx, agents)
}
