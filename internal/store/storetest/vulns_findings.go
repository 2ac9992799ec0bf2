package storetest

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// finding returns a finding of a Debian package.
func finding(vulnID, pkgName, severity string, score float64) store.VulnFinding {
	return store.VulnFinding{
		AssetKind: "package", AssetKey: pkgName + ":amd64", VulnID: vulnID,
		Advisories: []string{"DEBIAN-" + vulnID}, Aliases: []string{vulnID},
		Ecosystem: "Debian:12", Package: pkgName, Version: "1.0-1", FixedVersion: "1.0-2",
		Severity: severity, Score: score, Summary: "Flaw in " + pkgName,
	}
}

// storedFinding is f as the store gives it back for agentID, first seen
// at first and written at updated.
func storedFinding(agentID string, f store.VulnFinding, first, updated time.Time) store.VulnFinding {
	f.AgentID = agentID
	f.FirstSeen, f.UpdatedAt = stored(first), stored(updated)
	if f.Severity == "" {
		f.Severity = "unknown"
	}
	if f.Advisories == nil {
		f.Advisories = []string{}
	}
	if f.Aliases == nil {
		f.Aliases = []string{}
	}
	return f
}

// vulnRank orders severities as the listings do: critical first,
// anything but the known ones last.
func vulnRank(severity string) int {
	switch severity {
	case "critical":
		return 0
	case "high":
		return 1
	case "medium":
		return 2
	case "low":
		return 3
	case "none":
		return 4
	}
	return 5
}

// compareFindings is the listing order of findings.
func compareFindings(a, b store.VulnFinding) int {
	return cmp.Or(cmp.Compare(vulnRank(a.Severity), vulnRank(b.Severity)), cmp.Compare(b.Score, a.Score),
		strings.Compare(a.AgentID, b.AgentID), strings.Compare(a.VulnID, b.VulnID), strings.Compare(a.AssetKey, b.AssetKey))
}

// agentFindings lists one agent's findings, unpaged.
func agentFindings(t *testing.T, s store.Store, agentID string) []store.VulnFinding {
	t.Helper()
	got, next, err := s.Vulns().ListFindings(ctx(t), store.VulnFindingFilter{AgentID: agentID, Page: store.Page{Limit: store.MaxLimit}})
	must(t, err)
	if next != "" {
		t.Fatalf("findings of %s take more than a page", agentID)
	}
	return got
}

// replaceFindings replaces an agent's findings and compares the outcome
// with want.
func replaceFindings(t *testing.T, s store.Store, agentID string, fs []store.VulnFinding, when time.Time, want store.VulnReplace) {
	t.Helper()
	got, err := s.Vulns().ReplaceFindings(ctx(t), agentID, fs, when)
	must(t, err)
	diff(t, "ReplaceFindings of "+agentID, want, got)
}

// sortedFindings returns fs in listing order.
func sortedFindings(fs ...store.VulnFinding) []store.VulnFinding {
	out := slices.Clone(fs)
	slices.SortFunc(out, compareFindings)
	if out == nil {
		out = []store.VulnFinding{}
	}
	return out
}

func testFindingsReplace(t *testing.T, s store.Store) {
	xz := finding("CVE-2024-3094", "xz-utils", "critical", 10)
	xz.KnownExploited, xz.Running, xz.Listening = true, true, true
	xz.AgentID = "someone-else"                         // set by the store
	xz.FirstSeen, xz.UpdatedAt = at(-time.Hour), at(-1) // set by the store
	webp := finding("CVE-2023-4863", "libwebp7", "high", 8.8)
	firefox := finding("CVE-2023-4863", "firefox-esr", "high", 8.8) // the same vulnerability, another package
	firefox.FixedVersion = ""
	jar := store.VulnFinding{AssetKind: "library", AssetKey: "/opt/app/lib/log4j-core-2.14.1.jar",
		VulnID: "CVE-2021-44228", Ecosystem: "Maven", Package: "org.apache.logging.log4j:log4j-core",
		Version: "2.14.1", Path: "/opt/app/lib/log4j-core-2.14.1.jar", Score: 10}

	replaceFindings(t, s, "a1", []store.VulnFinding{xz, webp, firefox}, at(0), store.VulnReplace{Added: 3})
	replaceFindings(t, s, "a2", []store.VulnFinding{webp}, at(0), store.VulnReplace{Added: 1})
	got := agentFindings(t, s, "a1")
	diff(t, "first findings", sortedFindings(storedFinding("a1", xz, at(0), at(0)),
		storedFinding("a1", webp, at(0), at(0)), storedFinding("a1", firefox, at(0), at(0))), got)
	wantUTC(t, "finding", got[0].FirstSeen, got[0].UpdatedAt)

	// Kept findings keep their first sighting, changed or not.
	xz2 := xz
	xz2.Severity, xz2.Score, xz2.FixedVersion, xz2.Running = "high", 8.1, "5.6.1+really5.4.5-1", false
	replaceFindings(t, s, "a1", []store.VulnFinding{firefox, xz2, jar}, at(time.Hour),
		store.VulnReplace{Added: 1, Removed: 1, Kept: 2})
	diff(t, "replaced findings", sortedFindings(storedFinding("a1", xz2, at(0), at(time.Hour)),
		storedFinding("a1", firefox, at(0), at(time.Hour)), storedFinding("a1", jar, at(time.Hour), at(time.Hour))),
		agentFindings(t, s, "a1"))
	diff(t, "other agent's findings", []store.VulnFinding{storedFinding("a2", webp, at(0), at(0))}, agentFindings(t, s, "a2"))

	// The same again only moves the update time.
	replaceFindings(t, s, "a1", []store.VulnFinding{firefox, xz2, jar}, at(2*time.Hour), store.VulnReplace{Kept: 3})
	diff(t, "findings written again", sortedFindings(storedFinding("a1", xz2, at(0), at(2*time.Hour)),
		storedFinding("a1", firefox, at(0), at(2*time.Hour)), storedFinding("a1", jar, at(time.Hour), at(2*time.Hour))),
		agentFindings(t, s, "a1"))

	// None: every finding goes, and one coming back is new again.
	replaceFindings(t, s, "a1", nil, at(3*time.Hour), store.VulnReplace{Removed: 3})
	diff(t, "no findings", []store.VulnFinding{}, agentFindings(t, s, "a1"))
	replaceFindings(t, s, "a1", []store.VulnFinding{xz}, at(4*time.Hour), store.VulnReplace{Added: 1})
	diff(t, "finding back", []store.VulnFinding{storedFinding("a1", xz, at(4*time.Hour), at(4*time.Hour))},
		agentFindings(t, s, "a1"))

	// A zero time means now.
	before := time.Now().Add(-time.Second)
	replaceFindings(t, s, "a3", []store.VulnFinding{webp}, time.Time{}, store.VulnReplace{Added: 1})
	if f := agentFindings(t, s, "a3")[0]; f.FirstSeen.Before(before) || !f.UpdatedAt.Equal(f.FirstSeen) {
		t.Fatalf("default time: %+v", f)
	}
}

func testFindingsInvalid(t *testing.T, s store.Store) {
	vs := s.Vulns()
	good := finding("CVE-2024-3094", "xz-utils", "critical", 10)
	replaceFindings(t, s, "a1", []store.VulnFinding{good}, at(0), store.VulnReplace{Added: 1})
	_, err := vs.ReplaceFindings(ctx(t), "", []store.VulnFinding{good}, at(0))
	wantErr(t, "ReplaceFindings without agent", err, store.ErrInvalid)
	for name, change := range map[string]func(f *store.VulnFinding){
		"no asset key":        func(f *store.VulnFinding) { f.AssetKey = "" },
		"no vulnerability id": func(f *store.VulnFinding) { f.VulnID = "" },
		"unknown severity":    func(f *store.VulnFinding) { f.Severity = "CRITICAL" },
		"score above 10":      func(f *store.VulnFinding) { f.Score = 11 },
		"infinite score":      func(f *store.VulnFinding) { f.Score = math.Inf(1) },
		"NUL in the package":  func(f *store.VulnFinding) { f.Package = "xz\x00" },
		"advisory not UTF-8":  func(f *store.VulnFinding) { f.Advisories = []string{"DSA-\xc3"} },
		"given twice":         func(f *store.VulnFinding) { f.Package = "other" }, // same key as good
	} {
		bad := good
		change(&bad)
		_, err := vs.ReplaceFindings(ctx(t), "a1", []store.VulnFinding{finding("CVE-1", "zlib1g", "low", 1), good, bad}, at(time.Hour))
		wantErr(t, "ReplaceFindings with "+name, err, store.ErrInvalid)
	}
	diff(t, "findings after rejected replaces", []store.VulnFinding{storedFinding("a1", good, at(0), at(0))},
		agentFindings(t, s, "a1"))
}

func testFindingsConcurrent(t *testing.T, s store.Store) {
	const workers = 8
	sets := make([][]store.VulnFinding, workers)
	for w := range sets {
		for i := range 40 {
			// Overlapping sets: each worker's keys are 0-39 shifted by 5.
			sets[w] = append(sets[w], finding(fmt.Sprintf("CVE-2024-%04d", i+5*w), "openssl", "high", 7))
		}
	}
	countNew(t, workers, func(w int) (bool, error) {
		_, err := s.Vulns().ReplaceFindings(ctx(t), "a1", sets[w], at(time.Duration(w)*time.Second))
		return false, err
	})
	got := agentFindings(t, s, "a1")
	if len(got) != 40 {
		t.Fatalf("%d findings after concurrent replaces, want 40", len(got))
	}
	for _, set := range sets {
		if got[0].VulnID == set[0].VulnID && got[39].VulnID == set[39].VulnID {
			return
		}
	}
	t.Fatalf("findings after concurrent replaces are none of the sets: %s ... %s", got[0].VulnID, got[39].VulnID)
}

// fleetVulns are the vulnerabilities of findingFleet: ties in severity
// and score, every severity, an empty one (unknown).
var fleetVulns = []struct {
	id, severity string
	score        float64
	kev, fixed   bool
}{
	{"CVE-2024-3094", "critical", 10, true, true},
	{"CVE-2023-4863", "critical", 8.8, true, false},
	{"CVE-2023-38545", "critical", 9.8, false, true},
	{"CVE-2023-44487", "high", 7.5, true, true},
	{"GHSA-jfh8-c2jp-5v3q", "high", 7.5, false, false},
	{"CVE-2022-0001", "medium", 5.5, false, true},
	{"CVE-2021-0002", "low", 3.3, false, false},
	{"DEBIAN-CVE-2020-0001", "none", 0, false, true},
	{"CVE-2019-0003", "unknown", 0, false, false},
	{"CVE-2018-0004", "", 0, false, false},
}

// findingFleet returns findings of four agents, by agent: agent ids whose
// byte order differs from any locale's, a vulnerability on two assets of
// one agent, one whose severity and summary differ between hosts.
func findingFleet() map[string][]store.VulnFinding {
	agents := []string{"agent-01", "agent-02", "Agent-03", "agent-10"}
	pkgs := []string{"openssl", "curl", "libwebp7", "xz-utils", "Nghttp2"}
	out := map[string][]store.VulnFinding{}
	for ai, agent := range agents {
		for vi, v := range fleetVulns {
			if (ai+vi)%3 == 0 {
				continue
			}
			f := finding(v.id, pkgs[(vi+ai)%len(pkgs)], v.severity, v.score)
			f.KnownExploited = v.kev
			if !v.fixed {
				f.FixedVersion = ""
			}
			f.Running = (ai+vi)%2 == 0
			f.Listening = f.Running && vi%3 == 0
			if v.id == "CVE-2023-44487" && ai == 2 {
				f.Severity, f.Score, f.Summary = "critical", 9.1, "HTTP/2 Rapid Reset"
			}
			out[agent] = append(out[agent], f)
			if vi%4 == 0 {
				lib := f
				lib.AssetKind, lib.AssetKey = "library", "/opt/app/lib/jackson-databind-2.9.10.jar"
				lib.Ecosystem, lib.Package = "Maven", "com.fasterxml.jackson.core:jackson-databind"
				lib.Path = lib.AssetKey
				out[agent] = append(out[agent], lib)
			}
		}
	}
	return out
}

// putFleet writes the fleet's findings and returns them as stored, in
// listing order.
func putFleet(t *testing.T, s store.Store) []store.VulnFinding {
	t.Helper()
	var all []store.VulnFinding
	for agent, fs := range findingFleet() {
		replaceFindings(t, s, agent, fs, at(0), store.VulnReplace{Added: len(fs)})
		for _, f := range fs {
			all = append(all, storedFinding(agent, f, at(0), at(0)))
		}
	}
	return sortedFindings(all...)
}

// findingMatches is the test's model of VulnFindingFilter.
func findingMatches(f store.VulnFindingFilter, x store.VulnFinding) bool {
	if f.AgentID != "" && x.AgentID != f.AgentID || f.VulnID != "" && x.VulnID != f.VulnID ||
		f.Ecosystem != "" && x.Ecosystem != f.Ecosystem || f.Package != "" && x.Package != f.Package {
		return false
	}
	if len(f.Severities) > 0 && !slices.ContainsFunc(f.Severities, func(sev string) bool {
		return cmp.Or(sev, "unknown") == x.Severity
	}) {
		return false
	}
	if f.KnownExploited && !x.KnownExploited || f.Running && !x.Running || f.Fixable && x.FixedVersion == "" {
		return false
	}
	text := strings.ToLower(x.VulnID + "\n" + strings.Join(x.Advisories, "\n") + "\n" + x.Package + "\n" + x.Summary)
	return strings.Contains(text, strings.ToLower(f.Q))
}

// findingFilters are the filters the listing cases try.
var findingFilters = []struct {
	name string
	f    store.VulnFindingFilter
}{
	{"all", store.VulnFindingFilter{}},
	{"agent", store.VulnFindingFilter{AgentID: "Agent-03"}},
	{"vulnerability", store.VulnFindingFilter{VulnID: "CVE-2023-44487"}},
	{"ecosystem", store.VulnFindingFilter{Ecosystem: "Maven"}},
	{"package", store.VulnFindingFilter{Package: "openssl"}},
	{"package is exact", store.VulnFindingFilter{Package: "OpenSSL"}},
	{"severities", store.VulnFindingFilter{Severities: []string{"low", "critical"}}},
	{"empty severity is unknown", store.VulnFindingFilter{Severities: []string{""}}},
	{"known exploited", store.VulnFindingFilter{KnownExploited: true}},
	{"running", store.VulnFindingFilter{Running: true}},
	{"fixable", store.VulnFindingFilter{Fixable: true}},
	{"q in the id", store.VulnFindingFilter{Q: "ghsa-JFH8"}},
	{"q in an advisory", store.VulnFindingFilter{Q: "debian-cve-2023"}},
	{"q in the package", store.VulnFindingFilter{Q: "NGHTTP"}},
	{"q in the summary", store.VulnFindingFilter{Q: "rapid reset"}},
	{"q with wildcards", store.VulnFindingFilter{Q: "cve_2023%"}},
	{"several", store.VulnFindingFilter{Severities: []string{"critical", "high"}, Running: true, Fixable: true,
		Ecosystem: "Debian:12", Q: "cve-"}},
}

func testFindingsList(t *testing.T, s store.Store) {
	vs := s.Vulns()
	all := putFleet(t, s)
	for _, tc := range findingFilters {
		t.Run(tc.name, func(t *testing.T) {
			want := []store.VulnFinding{}
			for _, x := range all {
				if findingMatches(tc.f, x) {
					want = append(want, x)
				}
			}
			if len(want) == 0 && !strings.HasSuffix(tc.name, "exact") && !strings.HasSuffix(tc.name, "wildcards") {
				t.Fatal("the case selects nothing")
			}
			for _, limit := range []int{1, 4, 9, store.MaxLimit} {
				got := collect(t, limit, func(p store.Page) ([]store.VulnFinding, string, error) {
					f := tc.f
					f.Page = p
					return vs.ListFindings(ctx(t), f)
				})
				if got == nil {
					got = []store.VulnFinding{}
				}
				diff(t, fmt.Sprintf("paged by %d", limit), want, got)
			}
		})
	}
	_, err := collectErr(vs.ListFindings(ctx(t), store.VulnFindingFilter{Severities: []string{"high", "severe"}}))
	wantErr(t, "ListFindings with an unknown severity", err, store.ErrInvalid)
	_, err = collectErr(vs.ListFindings(ctx(t), store.VulnFindingFilter{AgentID: "agent-\xff"}))
	wantErr(t, "ListFindings of an agent id that is not UTF-8", err, store.ErrInvalid)
	_, err = collectErr(vs.VulnSummaries(ctx(t), store.VulnFindingFilter{Q: "\x00"}))
	wantErr(t, "VulnSummaries with NUL in the query", err, store.ErrInvalid)
	advisoryCursor, _, summariesCursor := vulnCursors(t, s)
	for _, c := range append(garbageCursors, advisoryCursor, summariesCursor) {
		_, _, err := vs.ListFindings(ctx(t), store.VulnFindingFilter{Page: store.Page{Cursor: c}})
		wantErr(t, fmt.Sprintf("cursor %q", c), err, store.ErrBadCursor)
	}
}

func testFindingsHostSummaries(t *testing.T, s store.Store) {
	vs := s.Vulns()
	none, err := vs.HostSummaries(ctx(t), "")
	must(t, err)
	diff(t, "summaries without findings", []store.VulnHostSummary{}, none)
	all := putFleet(t, s)
	byAgent := map[string]*store.VulnHostSummary{}
	for _, f := range all {
		h := byAgent[f.AgentID]
		if h == nil {
			h = &store.VulnHostSummary{AgentID: f.AgentID}
			byAgent[f.AgentID] = h
		}
		switch f.Severity {
		case "critical":
			h.Critical++
		case "high":
			h.High++
		case "medium":
			h.Medium++
		case "low":
			h.Low++
		default:
			h.Other++
		}
		if f.KnownExploited {
			h.KnownExploited++
		}
		if f.FixedVersion != "" {
			h.Fixable++
		}
		h.Total++
	}
	var want []store.VulnHostSummary
	for _, h := range byAgent {
		want = append(want, *h)
	}
	slices.SortFunc(want, func(a, b store.VulnHostSummary) int { return strings.Compare(a.AgentID, b.AgentID) })
	got, err := vs.HostSummaries(ctx(t), "")
	must(t, err)
	diff(t, "host summaries, by agent in byte order", want, got)
	one, err := vs.HostSummaries(ctx(t), "agent-02")
	must(t, err)
	diff(t, "one host's summary", []store.VulnHostSummary{*byAgent["agent-02"]}, one)
	unknown, err := vs.HostSummaries(ctx(t), "agent-99")
	must(t, err)
	diff(t, "summary of a host without findings", []store.VulnHostSummary{}, unknown)
}

// vulnSummaries is the test's model of VulnSummaries over findings.
func vulnSummaries(findings []store.VulnFinding) []store.VulnSummary {
	byVuln := map[string]*store.VulnSummary{}
	hosts := map[string]map[string]bool{}
	for _, f := range findings {
		v := byVuln[f.VulnID]
		if v == nil {
			v = &store.VulnSummary{VulnID: f.VulnID, Severity: f.Severity, Packages: []string{}}
			byVuln[f.VulnID] = v
			hosts[f.VulnID] = map[string]bool{}
		}
		if vulnRank(f.Severity) < vulnRank(v.Severity) {
			v.Severity = f.Severity
		}
		v.Score = max(v.Score, f.Score)
		v.KnownExploited = v.KnownExploited || f.KnownExploited
		v.Summary = max(v.Summary, f.Summary)
		v.Fixable = v.Fixable || f.FixedVersion != ""
		if !slices.Contains(v.Packages, f.Package) {
			v.Packages = append(v.Packages, f.Package)
		}
		hosts[f.VulnID][f.AgentID] = true
	}
	out := []store.VulnSummary{}
	for id, v := range byVuln {
		v.Hosts = len(hosts[id])
		slices.Sort(v.Packages)
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b store.VulnSummary) int {
		return cmp.Or(cmp.Compare(vulnRank(a.Severity), vulnRank(b.Severity)), cmp.Compare(b.Hosts, a.Hosts),
			strings.Compare(a.VulnID, b.VulnID))
	})
	return out
}

func testFindingsVulnSummaries(t *testing.T, s store.Store) {
	vs := s.Vulns()
	all := putFleet(t, s)
	for _, tc := range findingFilters {
		t.Run(tc.name, func(t *testing.T) {
			var selected []store.VulnFinding
			for _, x := range all {
				if findingMatches(tc.f, x) {
					selected = append(selected, x)
				}
			}
			want := vulnSummaries(selected)
			for _, limit := range []int{1, 3, store.MaxLimit} {
				got := collect(t, limit, func(p store.Page) ([]store.VulnSummary, string, error) {
					f := tc.f
					f.Page = p
					return vs.VulnSummaries(ctx(t), f)
				})
				if got == nil {
					got = []store.VulnSummary{}
				}
				diff(t, fmt.Sprintf("paged by %d", limit), want, got)
			}
		})
	}
	// The vulnerability whose severity differs between hosts takes the
	// highest, and its hosts are counted once each.
	got, _, err := vs.VulnSummaries(ctx(t), store.VulnFindingFilter{VulnID: "CVE-2024-3094"})
	must(t, err)
	if len(got) != 1 || got[0].Hosts < 2 || len(got[0].Packages) < 2 || !got[0].KnownExploited {
		t.Fatalf("summary of a vulnerability on several hosts and assets: %+v", got)
	}
	got, _, err = vs.VulnSummaries(ctx(t), store.VulnFindingFilter{VulnID: "CVE-2023-44487"})
	must(t, err)
	if len(got) != 1 || got[0].Severity != "critical" || got[0].Score != 9.1 || got[0].Summary != "HTTP/2 Rapid Reset" {
		t.Fatalf("summary of a vulnerability rated differently on hosts: %+v", got)
	}
	_, err = collectErr(vs.VulnSummaries(ctx(t), store.VulnFindingFilter{Severities: []string{"moderate"}}))
	wantErr(t, "VulnSummaries with an unknown severity", err, store.ErrInvalid)
	advisoryCursor, findingsCursor, _ := vulnCursors(t, s)
	for _, c := range append(garbageCursors, advisoryCursor, findingsCursor) {
		_, _, err := vs.VulnSummaries(ctx(t), store.VulnFindingFilter{Page: store.Page{Cursor: c}})
		wantErr(t, fmt.Sprintf("cursor %q", c), err, store.ErrBadCursor)
	}
}

func testFindingsDelete(t *testing.T, s store.Store) {
	vs := s.Vulns()
	putFleet(t, s)
	must(t, vs.DeleteAgentFindings(ctx(t), "agent-01"))
	diff(t, "findings of a deleted agent", []store.VulnFinding{}, agentFindings(t, s, "agent-01"))
	if len(agentFindings(t, s, "agent-02")) == 0 {
		t.Fatal("another agent's findings went too")
	}
	must(t, vs.DeleteAgentFindings(ctx(t), "agent-01"))
	must(t, vs.DeleteAgentFindings(ctx(t), "agent-02\x00"))
	if len(agentFindings(t, s, "agent-02")) == 0 {
		t.Fatal("deleting the findings of an id with NUL deleted another's")
	}
	none, err := vs.HostSummaries(ctx(t), "agent-02\x00")
	must(t, err)
	diff(t, "summary of an agent id with NUL", []store.VulnHostSummary{}, none)
	// Deleting an agent's inventory deletes the findings made from it.
	must(t, s.Inventory().DeleteAgent(ctx(t), "agent-02"))
	diff(t, "findings after the inventory's delete", []store.VulnFinding{}, agentFindings(t, s, "agent-02"))
	hosts, err := vs.HostSummaries(ctx(t), "")
	must(t, err)
	var agents []string
	for _, h := range hosts {
		agents = append(agents, h.AgentID)
	}
	diff(t, "hosts left", []string{"Agent-03", "agent-10"}, agents)
}
