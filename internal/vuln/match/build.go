// Package match compiles OSV records into a compact in-memory index and
// matches packages against it.
//
// The index keeps, per advisory, only what a finding shows (id, aliases,
// upstream ids, summary, severity, publication date) and, per affected
// package, the ranges with their versions parsed once. It is keyed by
// ecosystem (a distribution release, or a language registry) and
// normalized package name, so an OS package is only ever compared with
// its own distribution release's advisories: backported fixes are judged
// by the distribution's versions, never by upstream ranges.
package match

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"

	"github.com/vigilsec/vigil/internal/vuln/ecosystem"
	"github.com/vigilsec/vigil/internal/vuln/osv"
)

// maxSummary bounds the summary kept per advisory; records without one
// get the start of their details.
const maxSummary = 240

// advisory is what the index keeps of a record.
type advisory struct {
	id string
	// others are the aliases and upstream ids, sorted, without id.
	others    []string
	cves      []string
	summary   string
	level     osv.Level
	score     float64
	published time.Time
}

// event is a range event with its version parsed.
type event struct {
	kind osv.EventKind
	// zero marks introduced "0" (before every version), unlimited the
	// limit "*".
	zero      bool
	unlimited bool
	raw       string
	v         semantic.Version
}

// vrange is a compiled ECOSYSTEM or SEMVER range, its events sorted by
// version.
type vrange struct {
	scheme    ecosystem.Scheme
	events    []event
	hasLimits bool
}

// entry is one affected entry of an advisory for one package.
type entry struct {
	adv    int32
	eco    *ecosystem.Ecosystem
	ranges []vrange
	// versions lists the affected versions named one by one, normalized.
	versions []string
}

type pkgKey struct {
	eco  string
	name string
}

type pendingEntry struct {
	key pkgKey
	e   entry
}

type pending struct {
	adv       advisory
	modified  time.Time
	withdrawn bool
	entries   []pendingEntry
	bad       int
	git       int
	skipped   int
}

// Builder compiles records into an Index. It is not safe for concurrent
// use.
type Builder struct {
	byID     map[string]*pending
	versions *ecosystem.Versions
	ecos     map[string]*ecosystem.Ecosystem
	strs     map[string]string
	replaced int
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{
		byID:     map[string]*pending{},
		versions: ecosystem.NewVersions(1 << 18),
		ecos:     map[string]*ecosystem.Ecosystem{},
		strs:     map[string]string{},
	}
}

func (b *Builder) intern(s string) string {
	if v, ok := b.strs[s]; ok {
		return v
	}
	b.strs[s] = s
	return s
}

func (b *Builder) ecosystem(raw string) *ecosystem.Ecosystem {
	if e, ok := b.ecos[raw]; ok {
		return e
	}
	e := ecosystem.Parse(raw)
	b.ecos[raw] = &e
	return &e
}

// Add compiles a record. A record whose id was added before replaces the
// earlier one when it is as recent or more (by modified). Withdrawn
// records are counted and left out of the index.
func (b *Builder) Add(r *osv.Record) {
	if r == nil || r.ID == "" {
		return
	}
	if old, ok := b.byID[r.ID]; ok {
		if r.Modified.Before(old.modified) {
			b.replaced++
			return
		}
		b.replaced++
	}
	p := &pending{modified: r.Modified, withdrawn: !r.Withdrawn.IsZero()}
	b.byID[r.ID] = p
	if p.withdrawn {
		return
	}
	rating := osv.Severity(r)
	p.adv = advisory{
		id:        r.ID,
		others:    others(r),
		cves:      r.CVEs(),
		summary:   summary(r),
		level:     rating.Level,
		score:     rating.Score,
		published: r.Published,
	}
	for i := range r.Affected {
		b.addAffected(p, &r.Affected[i])
	}
}

func others(r *osv.Record) []string {
	var out []string
	for _, l := range [][]string{r.Aliases, r.Upstream} {
		for _, s := range l {
			if s = strings.TrimSpace(s); s != "" && s != r.ID {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func summary(r *osv.Record) string {
	s := strings.TrimSpace(r.Summary)
	if s == "" {
		s, _, _ = strings.Cut(strings.TrimSpace(r.Details), "\n")
		s = strings.TrimSpace(s)
	}
	if len(s) > maxSummary {
		cut := maxSummary
		for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func (b *Builder) addAffected(p *pending, a *osv.Affected) {
	if a.Package == nil {
		// Git ranges of a repository: no package to match.
		p.skipped++
		return
	}
	eco := b.ecosystem(a.Package.Ecosystem)
	scheme, ok := ecosystem.SchemeOf(eco.Name)
	if !ok || !eco.Matchable() {
		// No comparator, or a release this package does not understand.
		p.skipped++
		return
	}
	e := entry{eco: eco}
	for _, v := range a.Versions {
		e.versions = append(e.versions, ecosystem.NormalizeVersion(eco.Name, v))
	}
	for _, r := range a.Ranges {
		rs := scheme
		switch r.Type {
		case osv.RangeGit:
			p.git++
			continue
		case osv.RangeSemver:
			rs = ecosystem.SemVer
		}
		vr, ok := b.compileRange(rs, r.Events)
		if !ok {
			p.bad++
			continue
		}
		e.ranges = append(e.ranges, vr)
	}
	if len(e.ranges) == 0 && len(e.versions) == 0 {
		p.skipped++
		return
	}
	name := b.intern(ecosystem.NormalizeName(eco.Name, a.Package.Name))
	p.entries = append(p.entries, pendingEntry{key: pkgKey{eco: b.intern(eco.Key()), name: name}, e: e})
}

// compileRange parses a range's versions and sorts its events as OSV's
// evaluation requires, introduced "0" first and events of equal versions
// in the order written; false when a version does not parse.
func (b *Builder) compileRange(scheme ecosystem.Scheme, evs []osv.Event) (vrange, bool) {
	vr := vrange{scheme: scheme, events: make([]event, 0, len(evs))}
	for _, oe := range evs {
		ev := event{kind: oe.Kind(), raw: b.intern(oe.Version())}
		switch {
		case ev.kind == 0:
			return vr, false
		case ev.kind == osv.EventIntroduced && ev.raw == "0":
			ev.zero = true
		case ev.kind == osv.EventLimit && ev.raw == "*":
			ev.unlimited = true
		default:
			v, err := b.versions.Parse(scheme, ev.raw)
			if err != nil {
				return vr, false
			}
			ev.v = v
		}
		if ev.kind == osv.EventLimit {
			vr.hasLimits = true
		}
		vr.events = append(vr.events, ev)
	}
	failed := false
	slices.SortStableFunc(vr.events, func(x, y event) int {
		c, err := compareEvents(x, y)
		if err != nil {
			failed = true
		}
		return c
	})
	return vr, !failed
}

// bound places introduced "0" before and limit "*" after every version.
func (e event) bound() int {
	switch {
	case e.zero:
		return -1
	case e.unlimited:
		return 1
	}
	return 0
}

func compareEvents(x, y event) (int, error) {
	if bx, by := x.bound(), y.bound(); bx != 0 || by != 0 {
		return cmp.Compare(bx, by), nil
	}
	return ecosystem.Compare(x.v, y.v)
}

// Build returns the index of the records added. The builder may not be
// used afterwards.
func (b *Builder) Build() *Index {
	ids := make([]string, 0, len(b.byID))
	for id := range b.byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ix := &Index{
		packages: map[pkgKey][]entry{},
		versions: ecosystem.NewVersions(1 << 16),
	}
	st := Stats{Replaced: b.replaced, Ecosystems: map[string]EcosystemStats{}}
	advPerEco := map[string]map[int32]bool{}
	for _, id := range ids {
		p := b.byID[id]
		if p.withdrawn {
			st.Withdrawn++
			continue
		}
		st.BadRanges += p.bad
		st.GitRanges += p.git
		st.SkippedEntries += p.skipped
		if len(p.entries) == 0 {
			st.Unmatchable++
			continue
		}
		idx := int32(len(ix.advisories))
		ix.advisories = append(ix.advisories, p.adv)
		for _, pe := range p.entries {
			pe.e.adv = idx
			if _, ok := ix.packages[pe.key]; !ok {
				es := st.Ecosystems[pe.key.eco]
				es.Packages++
				st.Ecosystems[pe.key.eco] = es
			}
			ix.packages[pe.key] = append(ix.packages[pe.key], pe.e)
			st.Entries++
			st.Ranges += len(pe.e.ranges)
			if advPerEco[pe.key.eco] == nil {
				advPerEco[pe.key.eco] = map[int32]bool{}
			}
			advPerEco[pe.key.eco][idx] = true
		}
	}
	for eco, advs := range advPerEco {
		es := st.Ecosystems[eco]
		es.Advisories = len(advs)
		st.Ecosystems[eco] = es
	}
	st.Advisories = len(ix.advisories)
	st.Packages = len(ix.packages)
	ix.stats = st
	ix.state.Store(newState(len(ix.advisories), nil))
	b.byID = nil
	b.strs = nil
	return ix
}
