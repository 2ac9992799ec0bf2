package match

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/osv-scalibr/semantic"

	"github.com/vigilsec/vigil/internal/vuln/ecosystem"
	"github.com/vigilsec/vigil/internal/vuln/internal/memo"
	"github.com/vigilsec/vigil/internal/vuln/osv"
)

// CacheSize is about how many packages' results an index keeps: a fleet
// shares most package versions, so each distinct one is evaluated once.
const CacheSize = 1 << 16

// Package is an installed package to match.
type Package struct {
	// Ecosystem is the package's ecosystem: the host's for OS packages
	// (ecosystem.ForOS), the registry's for libraries
	// (ecosystem.FromPURLType).
	Ecosystem ecosystem.Ecosystem `json:"ecosystem"`
	Name      string              `json:"name"`
	Version   string              `json:"version"`
	// SourceName and SourceVersion are the source package of an OS
	// package (Debian's source, an rpm's source rpm name, Alpine's
	// origin); SourceVersion is set only where it differs from Version.
	SourceName    string `json:"source_name,omitempty"`
	SourceVersion string `json:"source_version,omitempty"`
}

// Hit is one vulnerability found in a package, merging every advisory
// of that vulnerability that affects it.
type Hit struct {
	// VulnerabilityID is the id to show: the CVE that the advisories name
	// as themselves, an alias or upstream, else an advisory id (GitHub's
	// first).
	VulnerabilityID string `json:"vulnerability_id"`
	// AdvisoryIDs are the ids of the advisories merged, sorted.
	AdvisoryIDs []string `json:"advisory_ids"`
	// Aliases are the other ids of the vulnerability the advisories
	// name, sorted.
	Aliases []string `json:"aliases,omitempty"`
	// Package is the name the advisories name: the source package for
	// Debian and Ubuntu.
	Package string `json:"package"`
	// Version is the installed version compared.
	Version string `json:"version"`
	// FixedVersion is the lowest fixed version above the installed one;
	// empty when no fix is known.
	FixedVersion   string    `json:"fixed_version,omitempty"`
	Severity       osv.Level `json:"severity"`
	Score          float64   `json:"score,omitempty"`
	KnownExploited bool      `json:"known_exploited,omitempty"`
	Summary        string    `json:"summary,omitempty"`
	Published      time.Time `json:"published,omitzero"`
}

// Stats describes an index.
type Stats struct {
	// Advisories counts the advisories kept.
	Advisories int `json:"advisories"`
	// Packages counts the distinct (ecosystem, package) keys.
	Packages int `json:"packages"`
	// Entries counts the affected entries kept, Ranges their ranges.
	Entries int `json:"entries"`
	Ranges  int `json:"ranges"`
	// Withdrawn counts withdrawn records left out; Replaced records
	// superseded by another of the same id.
	Withdrawn int `json:"withdrawn"`
	Replaced  int `json:"replaced"`
	// Unmatchable counts records left out because none of their affected
	// entries can be matched.
	Unmatchable int `json:"unmatchable"`
	// BadRanges counts ranges left out because a version does not parse
	// or compare; GitRanges counts git ranges, which name commits, not
	// versions; SkippedEntries counts affected entries without a package,
	// in an ecosystem without a version comparator or with a release not
	// understood, or with nothing left to match.
	BadRanges      int `json:"bad_ranges"`
	GitRanges      int `json:"git_ranges"`
	SkippedEntries int `json:"skipped_entries"`
	// KnownExploited counts the advisories naming a known exploited CVE.
	KnownExploited int `json:"known_exploited"`
	// Cached counts the package results held.
	Cached int `json:"cached"`
	// Ecosystems gives the figures per ecosystem key ("Debian:12",
	// "Ubuntu:22.04", "Red Hat:9", "PyPI").
	Ecosystems map[string]EcosystemStats `json:"ecosystems"`
}

// EcosystemStats are an ecosystem's figures.
type EcosystemStats struct {
	Advisories int `json:"advisories"`
	Packages   int `json:"packages"`
}

// Index matches packages against compiled advisories. It is safe for
// concurrent use.
type Index struct {
	advisories []advisory
	packages   map[pkgKey][]entry
	versions   *ecosystem.Versions
	stats      Stats
	state      atomic.Pointer[state]
}

// state is what SetKnownExploited replaces as a whole, with a fresh
// cache since hits carry the flag.
type state struct {
	kevAdv []bool
	kevCVE map[string]bool
	marked int
	cache  *memo.Table[cacheKey, []Hit]
}

// cacheKey identifies a package's match: the ecosystem string
// determines every field Parse fills, and a host's minor release is the
// only other one matching reads.
type cacheKey struct {
	eco, minor, name, version, sourceName, sourceVersion string
}

func keyOf(p Package) cacheKey {
	return cacheKey{p.Ecosystem.Raw, p.Ecosystem.Minor, p.Name, p.Version, p.SourceName, p.SourceVersion}
}

func newState(advisories int, cves []string) *state {
	st := &state{
		kevAdv: make([]bool, advisories),
		kevCVE: make(map[string]bool, len(cves)),
		cache:  memo.New[cacheKey, []Hit](CacheSize),
	}
	for _, c := range cves {
		st.kevCVE[strings.ToUpper(strings.TrimSpace(c))] = true
	}
	return st
}

// SetKnownExploited replaces the set of known exploited CVEs (from the
// KEV catalog) and marks the advisories whose id, aliases or upstream
// name one. It returns the number of advisories marked.
func (ix *Index) SetKnownExploited(cves []string) int {
	st := newState(len(ix.advisories), cves)
	for i := range ix.advisories {
		for _, c := range ix.advisories[i].cves {
			if st.kevCVE[c] {
				st.kevAdv[i] = true
				st.marked++
				break
			}
		}
	}
	ix.state.Store(st)
	return st.marked
}

// Stats returns the index's figures.
func (ix *Index) Stats() Stats {
	s := ix.stats
	s.Ecosystems = maps.Clone(ix.stats.Ecosystems)
	st := ix.state.Load()
	s.KnownExploited = st.marked
	s.Cached = st.cache.Len()
	return s
}

// ClearCache drops the results kept for packages already matched.
func (ix *Index) ClearCache() {
	ix.state.Load().cache.Clear()
}

// Match returns the vulnerabilities affecting a package, most severe
// first. Results are kept per package, so matching the same package
// again is cheap. The hits' slices are shared and must not be modified.
func (ix *Index) Match(p Package) []Hit {
	st := ix.state.Load()
	k := keyOf(p)
	if hits, ok := st.cache.Get(k); ok {
		return slices.Clone(hits)
	}
	// Results depend on what the key holds only: the ecosystem is read
	// again from its string.
	minor := p.Ecosystem.Minor
	p.Ecosystem = ecosystem.Parse(p.Ecosystem.Raw)
	p.Ecosystem.Minor = minor
	hits := ix.match(st, p)
	st.cache.Put(k, hits)
	return slices.Clone(hits)
}

// found is an advisory affecting the package.
type found struct {
	adv  int32
	name string
	fix  *event
}

// subject returns the names to look up and the version to compare:
// Debian and Ubuntu advisories name source packages and their versions;
// Alpine's name the origin package; Red Hat, Rocky Linux and AlmaLinux
// advisories name binary packages, sometimes the source rpm.
func subject(p Package) ([]string, string) {
	eco := p.Ecosystem.Name
	name := ecosystem.NormalizeName(eco, p.Name)
	p.Version = ecosystem.NormalizeVersion(eco, p.Version)
	p.SourceVersion = ecosystem.NormalizeVersion(eco, p.SourceVersion)
	source := strings.TrimSpace(p.SourceName)
	switch eco {
	case ecosystem.Debian, ecosystem.Ubuntu:
		v := p.Version
		if p.SourceVersion != "" {
			v = p.SourceVersion
		}
		if source != "" {
			return []string{source}, v
		}
		return []string{name}, v
	case ecosystem.Alpine:
		if source != "" {
			return []string{source}, p.Version
		}
	case ecosystem.RedHat, ecosystem.RockyLinux, ecosystem.AlmaLinux:
		if source != "" && source != name {
			return []string{source, name}, p.Version
		}
	}
	return []string{name}, p.Version
}

func (ix *Index) match(st *state, p Package) []Hit {
	host := p.Ecosystem
	if strings.TrimSpace(p.Version) == "" || !host.Matchable() {
		return nil
	}
	names, version := subject(p)
	key := host.Key()
	var hits []found
	for _, name := range names {
		entries := ix.packages[pkgKey{eco: key, name: name}]
		for i := range entries {
			e := &entries[i]
			if !ecosystem.Applies(*e.eco, host) || slices.ContainsFunc(hits, func(f found) bool { return f.adv == e.adv }) {
				continue
			}
			if ok, fix := ix.evaluate(e, version); ok {
				hits = append(hits, found{adv: e.adv, name: name, fix: fix})
			}
		}
	}
	if len(hits) == 0 {
		return nil
	}
	return ix.merge(st, hits, version)
}

// evaluate tells whether the version is affected by an entry and gives
// the fix that applies: the highest of the matching ranges' fixes, none
// when a matching range has no fix above the version.
func (ix *Index) evaluate(e *entry, version string) (bool, *event) {
	affected := slices.Contains(e.versions, version)
	var fix *event
	unfixed := false
	for i := range e.ranges {
		r := &e.ranges[i]
		v, err := ix.versions.Parse(r.scheme, version)
		if err != nil {
			continue
		}
		ok, f := includes(r, v)
		if !ok {
			continue
		}
		affected = true
		switch {
		case f == nil:
			unfixed = true
		case fix == nil:
			fix = f
		default:
			if c, err := ecosystem.Compare(f.v, fix.v); err == nil && c > 0 {
				fix = f
			}
		}
	}
	if unfixed {
		fix = nil
	}
	return affected, fix
}

// includes evaluates a range as OSV defines it: walking the events in
// version order, an introduced at or below the version makes it
// affected, a fixed at or below it, or a last_affected below it, makes it
// not; with limits, the version must also be below one of them. It
// returns the lowest fixed event above the version. A comparison that
// fails makes the range not match.
func includes(r *vrange, v semantic.Version) (bool, *event) {
	affected := false
	cmpv := func(e *event) (int, bool) {
		c, err := ecosystem.Compare(v, e.v)
		return c, err == nil
	}
	for i := range r.events {
		e := &r.events[i]
		switch e.kind {
		case osv.EventIntroduced:
			if e.zero {
				affected = true
				continue
			}
			c, ok := cmpv(e)
			if !ok {
				return false, nil
			}
			if c >= 0 {
				affected = true
			}
		case osv.EventFixed:
			c, ok := cmpv(e)
			if !ok {
				return false, nil
			}
			if c >= 0 {
				affected = false
			}
		case osv.EventLastAffected:
			c, ok := cmpv(e)
			if !ok {
				return false, nil
			}
			if c > 0 {
				affected = false
			}
		}
	}
	if affected && r.hasLimits {
		below := false
		for i := range r.events {
			e := &r.events[i]
			if e.kind != osv.EventLimit {
				continue
			}
			if e.unlimited {
				below = true
				break
			}
			if c, ok := cmpv(e); ok && c < 0 {
				below = true
				break
			}
		}
		affected = below
	}
	if !affected {
		return false, nil
	}
	for i := range r.events {
		e := &r.events[i]
		if e.kind != osv.EventFixed {
			continue
		}
		if c, ok := cmpv(e); ok && c < 0 {
			return true, e
		}
	}
	return true, nil
}

// merge groups the advisories found by vulnerability: one hit per CVE
// they name (an advisory naming several CVEs counts for each); an
// advisory naming none joins the CVEs of advisories it shares an id
// with, else forms a hit with the advisories it shares ids with.
func (ix *Index) merge(st *state, fs []found, version string) []Hit {
	byCVE := map[string][]int{}
	var loose []int
	for i, f := range fs {
		a := &ix.advisories[f.adv]
		if len(a.cves) == 0 {
			loose = append(loose, i)
			continue
		}
		for _, c := range a.cves {
			byCVE[c] = append(byCVE[c], i)
		}
	}
	shares := func(i, j int) bool {
		a, b := &ix.advisories[fs[i].adv], &ix.advisories[fs[j].adv]
		for _, x := range append([]string{a.id}, a.others...) {
			if x == b.id || slices.Contains(b.others, x) {
				return true
			}
		}
		return false
	}
	// Loose advisories: attach to CVE groups, else group among
	// themselves (union-find).
	parent := make(map[int]int, len(loose))
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	var alone []int
	for _, i := range loose {
		attached := false
		for c, members := range byCVE {
			for _, j := range members {
				if len(ix.advisories[fs[j].adv].cves) > 0 && shares(i, j) {
					byCVE[c] = append(byCVE[c], i)
					attached = true
					break
				}
			}
		}
		if !attached {
			alone = append(alone, i)
			parent[i] = i
		}
	}
	for x, i := range alone {
		for _, j := range alone[x+1:] {
			if shares(i, j) {
				parent[find(j)] = find(i)
			}
		}
	}
	groups := map[int][]int{}
	for _, i := range alone {
		r := find(i)
		groups[r] = append(groups[r], i)
	}

	hits := make([]Hit, 0, len(byCVE)+len(groups))
	for c, members := range byCVE {
		h := ix.hit(fs, members, c, version)
		h.KnownExploited = st.kevCVE[c]
		hits = append(hits, h)
	}
	for _, members := range groups {
		h := ix.hit(fs, members, "", version)
		for _, m := range members {
			h.KnownExploited = h.KnownExploited || st.kevAdv[fs[m].adv]
		}
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(b.Severity.Rank(), a.Severity.Rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return strings.Compare(a.VulnerabilityID, b.VulnerabilityID)
	})
	return hits
}

// hit builds one hit from the advisories found at the given positions;
// cve is the vulnerability's CVE, empty for a group without one.
func (ix *Index) hit(fs []found, members []int, cve, version string) Hit {
	slices.SortFunc(members, func(i, j int) int {
		return strings.Compare(ix.advisories[fs[i].adv].id, ix.advisories[fs[j].adv].id)
	})
	members = slices.Compact(members)
	h := Hit{VulnerabilityID: cve, Version: version, Severity: osv.LevelUnknown}
	ids := map[string]bool{}
	var names []string
	var fix *event
	top := -1
	for _, m := range members {
		f := fs[m]
		a := &ix.advisories[f.adv]
		h.AdvisoryIDs = append(h.AdvisoryIDs, a.id)
		ids[a.id] = true
		names = append(names, a.others...)
		if h.Package == "" {
			h.Package = f.name
		}
		if f.fix != nil {
			if fix == nil {
				fix = f.fix
			} else if c, err := ecosystem.Compare(f.fix.v, fix.v); err == nil && c > 0 {
				fix = f.fix
			}
		}
		if top < 0 || a.level.Rank() > h.Severity.Rank() || (a.level.Rank() == h.Severity.Rank() && a.score > h.Score) {
			h.Severity, h.Score = a.level, a.score
			top = m
		}
		if !a.published.IsZero() && (h.Published.IsZero() || a.published.Before(h.Published)) {
			h.Published = a.published
		}
	}
	h.AdvisoryIDs = slices.Compact(h.AdvisoryIDs)
	if fix != nil {
		h.FixedVersion = fix.raw
	}
	if s := ix.advisories[fs[top].adv].summary; s != "" {
		h.Summary = s
	} else {
		for _, m := range members {
			if s := ix.advisories[fs[m].adv].summary; s != "" {
				h.Summary = s
				break
			}
		}
	}
	if h.VulnerabilityID == "" {
		h.VulnerabilityID = preferredID(h.AdvisoryIDs, names)
	}
	for _, n := range names {
		if n == h.VulnerabilityID || ids[n] || (cve != "" && osv.IsCVE(n)) {
			continue
		}
		h.Aliases = append(h.Aliases, n)
	}
	slices.Sort(h.Aliases)
	h.Aliases = slices.Compact(h.Aliases)
	return h
}

// preferredID picks the id to show for a vulnerability without a CVE:
// GitHub's advisory id when there is one (other databases alias it),
// else the first advisory id.
func preferredID(advisoryIDs, aliases []string) string {
	for _, l := range [][]string{advisoryIDs, aliases} {
		for _, id := range l {
			if strings.HasPrefix(id, "GHSA-") {
				return id
			}
		}
	}
	return advisoryIDs[0]
}
