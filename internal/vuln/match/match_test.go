package match

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/vuln/ecosystem"
	"github.com/vigilsec/vigil/internal/vuln/osv"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixtureIndex builds an index from the records in testdata/records,
// written for these tests with the facts of real advisories.
func fixtureIndex(t testing.TB) *Index {
	t.Helper()
	b := NewBuilder()
	rep, err := osv.ReadDir(filepath.Join("testdata", "records"), osv.ReadOptions{}, func(r *osv.Record) error {
		b.Add(r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bad != 0 {
		t.Fatalf("fixture records rejected: %+v", rep.Problems)
	}
	return b.Build()
}

func host(t testing.TB, platform, version string) ecosystem.Ecosystem {
	t.Helper()
	e, err := ecosystem.ForOS(platform, version)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func lib(t testing.TB, purlType string) ecosystem.Ecosystem {
	t.Helper()
	e, ok := ecosystem.FromPURLType(purlType)
	if !ok {
		t.Fatalf("no ecosystem for %q", purlType)
	}
	return e
}

func log4j(t testing.TB, version string) Package {
	return Package{Ecosystem: lib(t, "maven"), Name: "org.apache.logging.log4j:log4j-core", Version: version}
}

// brief is what the tests compare of a hit.
type brief struct {
	ID    string
	Advs  string
	Fixed string
	Sev   osv.Level
	KEV   bool
}

func briefs(hits []Hit) []brief {
	var out []brief
	for _, h := range hits {
		out = append(out, brief{h.VulnerabilityID, strings.Join(h.AdvisoryIDs, " "), h.FixedVersion, h.Severity, h.KnownExploited})
	}
	return out
}

func TestMatchFixtures(t *testing.T) {
	ix := fixtureIndex(t)
	// GHSA-jfh8-c2jp-5v3q and CVE-2021-44228; the six advisories naming
	// CVE-2023-0464 (Ubuntu, Alpine, two RHSA, RLSA, ALSA).
	if n := ix.SetKnownExploited([]string{"CVE-2021-44228", "cve-2023-0464"}); n != 8 {
		t.Errorf("advisories marked known exploited: %d, want 8", n)
	}
	debian12 := host(t, "debian", "12.11")
	debian11 := host(t, "debian", "11.9")
	ubuntu2204 := host(t, "ubuntu", "22.04")
	ubuntu2004 := host(t, "ubuntu", "20.04")
	alpine317 := host(t, "alpine", "3.17.3")
	alpine318 := host(t, "alpine", "3.18.4")
	rhel93 := host(t, "redhat", "9.3")
	rhel90 := host(t, "redhat", "9.0")
	rocky92 := host(t, "rocky", "9.2")
	pypi, npm, golang := lib(t, "pypi"), lib(t, "npm"), lib(t, "golang")

	const (
		log4jFix  = "GHSA-jfh8-c2jp-5v3q"
		curlAdvs  = "DEBIAN-CVE-2023-46218 DSA-5587-1"
		sslAdvs   = "DEBIAN-CVE-2023-5363 DSA-5532-1"
		rhsa      = "RHSA-2023:3722"
		djangoAll = "GHSA-jh3w-4vvf-mjgr PYSEC-2023-100"
	)
	tests := []struct {
		name string
		pkg  Package
		want []brief
	}{
		// log4j: the branches fixed in 2.3.1, 2.12.2 and 2.15.0, and the
		// later fixes.
		{"log4j 2.14.1", log4j(t, "2.14.1"), []brief{
			{"CVE-2021-44228", "CVE-2021-44228 " + log4jFix, "2.15.0", osv.LevelCritical, true},
			{"CVE-2021-45046", "GHSA-7rjr-3q55-vv33", "2.16.0", osv.LevelCritical, false},
			{"CVE-2021-44832", "GHSA-8489-44mv-ggj8", "2.17.1", osv.LevelMedium, false},
			{"CVE-2021-45105", "GHSA-p6xc-xr62-6r2g", "2.17.0", osv.LevelMedium, false},
		}},
		{"log4j 2.15.0", log4j(t, "2.15.0"), []brief{
			{"CVE-2021-45046", "GHSA-7rjr-3q55-vv33", "2.16.0", osv.LevelCritical, false},
			{"CVE-2021-44832", "GHSA-8489-44mv-ggj8", "2.17.1", osv.LevelMedium, false},
			{"CVE-2021-45105", "GHSA-p6xc-xr62-6r2g", "2.17.0", osv.LevelMedium, false},
		}},
		{"log4j 2.17.1", log4j(t, "2.17.1"), nil},
		{"log4j 2.12.1 on the Java 7 branch", log4j(t, "2.12.1"), []brief{
			{"CVE-2021-44228", "CVE-2021-44228 " + log4jFix, "2.12.2", osv.LevelCritical, true},
			{"CVE-2021-45046", "GHSA-7rjr-3q55-vv33", "2.12.2", osv.LevelCritical, false},
			{"CVE-2021-44832", "GHSA-8489-44mv-ggj8", "2.12.4", osv.LevelMedium, false},
			{"CVE-2021-45105", "GHSA-p6xc-xr62-6r2g", "2.12.3", osv.LevelMedium, false},
		}},
		{"log4j 2.12.2 has the backported fix", log4j(t, "2.12.2"), []brief{
			{"CVE-2021-44832", "GHSA-8489-44mv-ggj8", "2.12.4", osv.LevelMedium, false},
			{"CVE-2021-45105", "GHSA-p6xc-xr62-6r2g", "2.12.3", osv.LevelMedium, false},
		}},
		{"log4j 2.0-rc2 (Maven qualifier)", log4j(t, "2.0-rc2"), []brief{
			{"CVE-2021-44228", "CVE-2021-44228 " + log4jFix, "2.3.1", osv.LevelCritical, true},
			{"CVE-2021-45046", "GHSA-7rjr-3q55-vv33", "2.3.1", osv.LevelCritical, false},
			{"CVE-2021-44832", "GHSA-8489-44mv-ggj8", "2.3.2", osv.LevelMedium, false},
			{"CVE-2021-45105", "GHSA-p6xc-xr62-6r2g", "2.3.1", osv.LevelMedium, false},
		}},
		{"log4j 2.0-beta8 precedes beta9", log4j(t, "2.0-beta8"), []brief{
			{"CVE-2021-44832", "GHSA-8489-44mv-ggj8", "2.3.2", osv.LevelMedium, false},
		}},
		{"log4j 2.15.0-SNAPSHOT precedes 2.15.0", log4j(t, "2.15.0-SNAPSHOT"), []brief{
			{"CVE-2021-44228", "CVE-2021-44228 " + log4jFix, "2.15.0", osv.LevelCritical, true},
			{"CVE-2021-45046", "GHSA-7rjr-3q55-vv33", "2.16.0", osv.LevelCritical, false},
			{"CVE-2021-44832", "GHSA-8489-44mv-ggj8", "2.17.1", osv.LevelMedium, false},
			{"CVE-2021-45105", "GHSA-p6xc-xr62-6r2g", "2.17.0", osv.LevelMedium, false},
		}},
		{"log4j-api is another package", Package{Ecosystem: lib(t, "maven"), Name: "org.apache.logging.log4j:log4j-api", Version: "2.14.1"}, nil},

		// Debian: source packages and versions, ~deb12uN and +deb12uN.
		{"libssl3 before the DSA", Package{Ecosystem: debian12, Name: "libssl3", Version: "3.0.11-1~deb12u1", SourceName: "openssl"}, []brief{
			{"CVE-2023-5363", sslAdvs, "3.0.11-1~deb12u2", osv.LevelUnknown, false},
		}},
		{"libssl3 at the DSA's fix", Package{Ecosystem: debian12, Name: "libssl3", Version: "3.0.11-1~deb12u2", SourceName: "openssl"}, nil},
		{"libssl3 well after", Package{Ecosystem: debian12, Name: "libssl3", Version: "3.0.17-1~deb12u2", SourceName: "openssl"}, nil},
		{"openssl of testing on bookworm", Package{Ecosystem: debian12, Name: "openssl", Version: "3.0.11-1", SourceName: "openssl"}, nil},
		{"libcurl4 before the DSA: one hit per CVE", Package{Ecosystem: debian12, Name: "libcurl4", Version: "7.88.1-10+deb12u4", SourceName: "curl"}, []brief{
			{"CVE-2023-46218", curlAdvs, "7.88.1-10+deb12u5", osv.LevelMedium, false},
			{"CVE-2023-46219", "DSA-5587-1", "7.88.1-10+deb12u5", osv.LevelUnknown, false},
		}},
		{"libcurl4 binNMU of the fixed source", Package{Ecosystem: debian12, Name: "libcurl4", Version: "7.88.1-10+deb12u5+b1", SourceName: "curl", SourceVersion: "7.88.1-10+deb12u5"}, nil},
		{"libcurl4 u12 sorts after u5", Package{Ecosystem: debian12, Name: "libcurl4", Version: "7.88.1-10+deb12u12", SourceName: "curl"}, nil},
		{"libcurl4 on bullseye", Package{Ecosystem: debian11, Name: "libcurl4", Version: "7.74.0-1.3+deb11u10", SourceName: "curl"}, []brief{
			{"CVE-2023-46218", curlAdvs, "7.74.0-1.3+deb11u11", osv.LevelMedium, false},
			{"CVE-2023-46219", "DSA-5587-1", "7.74.0-1.3+deb11u11", osv.LevelUnknown, false},
		}},
		{"bsdutils: the binary's epoch is not the source's", Package{Ecosystem: debian12, Name: "bsdutils", Version: "1:2.38.1-5+b1", SourceName: "util-linux", SourceVersion: "2.38.1-5"}, []brief{
			{"CVE-2024-28085", "DEBIAN-CVE-2024-28085", "2.38.1-5+deb12u1", osv.LevelUnknown, false},
		}},
		{"bsdutils patched", Package{Ecosystem: debian12, Name: "bsdutils", Version: "1:2.38.1-5+deb12u3", SourceName: "util-linux", SourceVersion: "2.38.1-5+deb12u3"}, nil},
		{"libssl1.1 on bullseye: DLA naming three CVEs", Package{Ecosystem: debian11, Name: "libssl1.1", Version: "1.1.1n-0+deb11u5", SourceName: "openssl"}, []brief{
			{"CVE-2023-2650", "DLA-3530-1", "1.1.1v-0~deb11u1", osv.LevelUnknown, false},
			{"CVE-2023-3446", "DLA-3530-1", "1.1.1v-0~deb11u1", osv.LevelUnknown, false},
			{"CVE-2023-3817", "DLA-3530-1", "1.1.1v-0~deb11u1", osv.LevelUnknown, false},
		}},
		{"bullseye's advisory does not reach bookworm", Package{Ecosystem: debian12, Name: "libssl1.1", Version: "1.1.1n-0+deb11u5", SourceName: "openssl"}, []brief{
			{"CVE-2023-5363", sslAdvs, "3.0.11-1~deb12u2", osv.LevelUnknown, false},
		}},

		// Ubuntu, Alpine.
		{"Ubuntu 22.04 libssl3", Package{Ecosystem: ubuntu2204, Name: "libssl3", Version: "3.0.2-0ubuntu1.8", SourceName: "openssl"}, []brief{
			{"CVE-2023-0464", "UBUNTU-CVE-2023-0464", "3.0.2-0ubuntu1.9", osv.LevelHigh, true},
		}},
		{"Ubuntu 22.04 libssl3 fixed", Package{Ecosystem: ubuntu2204, Name: "libssl3", Version: "3.0.2-0ubuntu1.10", SourceName: "openssl"}, nil},
		{"Ubuntu 20.04 libssl1.1", Package{Ecosystem: ubuntu2004, Name: "libssl1.1", Version: "1.1.1f-1ubuntu2.17", SourceName: "openssl"}, []brief{
			{"CVE-2023-0464", "UBUNTU-CVE-2023-0464", "1.1.1f-1ubuntu2.18", osv.LevelHigh, true},
		}},
		{"Alpine 3.17 libcrypto3 by origin", Package{Ecosystem: alpine317, Name: "libcrypto3", Version: "3.0.8-r0", SourceName: "openssl"}, []brief{
			{"CVE-2023-0464", "ALPINE-CVE-2023-0464", "3.0.8-r1", osv.LevelUnknown, true},
		}},
		{"Alpine 3.18 has no such advisory", Package{Ecosystem: alpine318, Name: "libcrypto3", Version: "3.0.8-r0", SourceName: "openssl"}, nil},

		// RPM: epochs, binary or source names, streams.
		{"RHEL 9.3 openssl-libs", Package{Ecosystem: rhel93, Name: "openssl-libs", Version: "1:3.0.7-6.el9_2", SourceName: "openssl"}, rhelHits(rhsa, "1:3.0.7-16.el9_2")},
		{"RHEL 9.3 openssl-libs fixed", Package{Ecosystem: rhel93, Name: "openssl-libs", Version: "1:3.0.7-16.el9_2", SourceName: "openssl"}, nil},
		{"RHEL 9.3 epoch 0 sorts before epoch 1", Package{Ecosystem: rhel93, Name: "openssl-libs", Version: "3.0.7-18.el9", SourceName: "openssl"}, rhelHits(rhsa, "1:3.0.7-16.el9_2")},
		{"RHEL 9.3 openssl-fips-provider named by its source rpm", Package{Ecosystem: rhel93, Name: "openssl-fips-provider", Version: "1:3.0.7-6.el9_2", SourceName: "openssl"}, rhelHits(rhsa, "1:3.0.7-16.el9_2")},
		{"RHEL 9.0 also gets the EUS stream", Package{Ecosystem: rhel90, Name: "openssl-libs", Version: "1:3.0.1-43.el9_0", SourceName: "openssl"}, append([]brief{
			{"CVE-2023-0464", "RHSA-2023:3420 " + rhsa, "1:3.0.7-16.el9_2", osv.LevelHigh, true},
		}, rhelHits(rhsa, "1:3.0.7-16.el9_2")[1:]...)},
		{"Rocky 9.2 gets Rocky's advisory only", Package{Ecosystem: rocky92, Name: "openssl-libs", Version: "1:3.0.7-6.el9_2", SourceName: "openssl"}, rhelHits("RLSA-2023:3722", "1:3.0.7-16.el9_2")},

		// PyPI: names, pre and post releases, explicit versions lists,
		// withdrawn advisories.
		{"Django 4.2.2", Package{Ecosystem: pypi, Name: "Django", Version: "4.2.2"}, []brief{
			{"CVE-2023-36053", djangoAll, "4.2.3", osv.LevelHigh, false},
		}},
		{"Django 4.2rc1 precedes 4.2", Package{Ecosystem: pypi, Name: "django", Version: "4.2rc1"}, nil},
		{"Django 4.2.3rc1", Package{Ecosystem: pypi, Name: "django", Version: "4.2.3rc1"}, []brief{
			{"CVE-2023-36053", "GHSA-jh3w-4vvf-mjgr", "4.2.3", osv.LevelHigh, false},
		}},
		{"Django 4.2.2.post1", Package{Ecosystem: pypi, Name: "Django", Version: "4.2.2.post1"}, []brief{
			{"CVE-2023-36053", "GHSA-jh3w-4vvf-mjgr", "4.2.3", osv.LevelHigh, false},
		}},
		{"Django 4.2.3", Package{Ecosystem: pypi, Name: "Django", Version: "4.2.3"}, nil},
		{"Django 4.2.3.post1", Package{Ecosystem: pypi, Name: "Django", Version: "4.2.3.post1"}, nil},
		{"Django 4.1.9", Package{Ecosystem: pypi, Name: "Django", Version: "4.1.9"}, []brief{
			{"CVE-2023-36053", "GHSA-jh3w-4vvf-mjgr", "4.1.10", osv.LevelHigh, false},
		}},
		{"Django 3.2.19", Package{Ecosystem: pypi, Name: "Django", Version: "3.2.19"}, []brief{
			{"CVE-2023-36053", "GHSA-jh3w-4vvf-mjgr", "3.2.20", osv.LevelHigh, false},
		}},

		// npm with SEMVER ranges and pre-releases.
		{"semver 7.5.1", Package{Ecosystem: npm, Name: "semver", Version: "7.5.1"}, semverHit("7.5.2")},
		{"semver 7.5.2-rc.1", Package{Ecosystem: npm, Name: "semver", Version: "7.5.2-rc.1"}, semverHit("7.5.2")},
		{"semver 7.5.2", Package{Ecosystem: npm, Name: "semver", Version: "7.5.2"}, nil},
		{"semver 6.3.0", Package{Ecosystem: npm, Name: "Semver", Version: "6.3.0"}, semverHit("6.3.1")},
		{"semver 5.7.1", Package{Ecosystem: npm, Name: "semver", Version: "5.7.1"}, semverHit("5.7.2")},
		{"semver 5.7.2", Package{Ecosystem: npm, Name: "semver", Version: "5.7.2"}, nil},

		// Go modules.
		{"x/text v0.3.7", Package{Ecosystem: golang, Name: "golang.org/x/text", Version: "v0.3.7"}, goHit()},
		{"x/text pseudo-version", Package{Ecosystem: golang, Name: "golang.org/x/text", Version: "v0.0.0-20210107155237-a158d28d115b"}, goHit()},
		{"x/text v0.3.8", Package{Ecosystem: golang, Name: "golang.org/x/text", Version: "v0.3.8"}, nil},
		{"x/text v0.14.0", Package{Ecosystem: golang, Name: "golang.org/x/text", Version: "v0.14.0"}, nil},
		{"Go standard library by toolchain version", Package{Ecosystem: golang, Name: "stdlib", Version: "go1.21.4"}, []brief{
			{"CVE-2023-45285", "GO-2023-2382", "1.21.5", osv.LevelUnknown, false},
		}},
		{"Go standard library fixed", Package{Ecosystem: golang, Name: "stdlib", Version: "go1.21.5"}, nil},

		// What never matches.
		{"an OS package is never matched against language advisories", Package{Ecosystem: debian12, Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"}, nil},
		{"no version", Package{Ecosystem: pypi, Name: "Django", Version: ""}, nil},
		{"unknown ecosystem", Package{Ecosystem: ecosystem.Parse("Nothing:1"), Name: "Django", Version: "1.0"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := briefs(ix.Match(tt.pkg))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Match (-want +got):\n%s", diff)
			}
			// A second match comes from the cache and says the same.
			if diff := cmp.Diff(got, briefs(ix.Match(tt.pkg))); diff != "" {
				t.Errorf("cached Match differs (-first +second):\n%s", diff)
			}
		})
	}
}

// rhelHits are the hits of an RHSA-2023:3722-like advisory naming five
// CVEs, CVE-2023-0464 being known exploited in these tests.
func rhelHits(adv, fixed string) []brief {
	sev := osv.LevelHigh
	if !strings.HasPrefix(adv, "RHSA") {
		sev = osv.LevelUnknown
	}
	var out []brief
	for _, c := range []string{"CVE-2023-0464", "CVE-2023-0465", "CVE-2023-0466", "CVE-2023-1255", "CVE-2023-2650"} {
		out = append(out, brief{c, adv, fixed, sev, c == "CVE-2023-0464"})
	}
	return out
}

func semverHit(fixed string) []brief {
	return []brief{{"CVE-2022-25883", "GHSA-c2qf-rxjj-qqgw", fixed, osv.LevelMedium, false}}
}

func goHit() []brief {
	return []brief{{"CVE-2022-32149", "GO-2022-1059", "0.3.8", osv.LevelUnknown, false}}
}

// TestMatchGolden keeps the full hits of a few packages, aliases,
// summaries and dates included, in a golden file.
func TestMatchGolden(t *testing.T) {
	ix := fixtureIndex(t)
	ix.SetKnownExploited([]string{"CVE-2021-44228"})
	pkgs := []Package{
		log4j(t, "2.14.1"),
		{Ecosystem: host(t, "debian", "12"), Name: "libcurl4", Version: "7.88.1-10+deb12u4", SourceName: "curl"},
		{Ecosystem: host(t, "debian", "12"), Name: "libssl3", Version: "3.0.11-1~deb12u1", SourceName: "openssl"},
		{Ecosystem: host(t, "ubuntu", "22.04"), Name: "libssl3", Version: "3.0.2-0ubuntu1.8", SourceName: "openssl"},
		{Ecosystem: lib(t, "pypi"), Name: "Django", Version: "4.2.2"},
		{Ecosystem: lib(t, "golang"), Name: "golang.org/x/text", Version: "v0.3.7"},
	}
	type result struct {
		Package Package `json:"package"`
		Hits    []Hit   `json:"hits"`
	}
	var got []result
	for _, p := range pkgs {
		got = append(got, result{p, ix.Match(p)})
	}
	checkGolden(t, "hits.golden.json", got)
	checkGolden(t, "stats.golden.json", ix.Stats())
}

func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

func TestKnownExploitedCanChange(t *testing.T) {
	ix := fixtureIndex(t)
	p := log4j(t, "2.14.1")
	if h := ix.Match(p); h[0].KnownExploited {
		t.Fatal("flagged before any KEV set")
	}
	if n := ix.SetKnownExploited([]string{"CVE-2021-44228"}); n != 2 {
		t.Errorf("marked %d advisories, want 2 (GHSA-jfh8-c2jp-5v3q, CVE-2021-44228)", n)
	}
	if h := ix.Match(p); !h[0].KnownExploited || h[0].VulnerabilityID != "CVE-2021-44228" {
		t.Errorf("after SetKnownExploited: %+v", h[0])
	}
	if got := ix.Stats().KnownExploited; got != 2 {
		t.Errorf("Stats().KnownExploited = %d, want 2", got)
	}
	ix.SetKnownExploited(nil)
	if h := ix.Match(p); h[0].KnownExploited {
		t.Error("still flagged after the set was emptied")
	}
}

// rec builds a record with one affected entry of the given ranges and
// versions for PyPI package "pkg".
func rec(id string, ranges []osv.Range, versions ...string) *osv.Record {
	r := &osv.Record{ID: id, Affected: []osv.Affected{{
		Package:  &osv.Package{Ecosystem: "PyPI", Name: "pkg"},
		Ranges:   ranges,
		Versions: versions,
	}}}
	return r
}

func eco(events ...osv.Event) osv.Range {
	return osv.Range{Type: osv.RangeEcosystem, Events: events}
}

func intro(v string) osv.Event { return osv.Event{Introduced: v} }
func fixed(v string) osv.Event { return osv.Event{Fixed: v} }
func last(v string) osv.Event  { return osv.Event{LastAffected: v} }
func limit(v string) osv.Event { return osv.Event{Limit: v} }

// TestRangeSemantics follows OSV's evaluation: events in version order,
// introduced "0", fixed, last_affected, limit, several ranges and
// explicit versions.
func TestRangeSemantics(t *testing.T) {
	tests := []struct {
		name string
		rec  *osv.Record
		// version -> fix; absent means no hit, "-" a hit without fix.
		hits map[string]string
		miss []string
	}{
		{"introduced 0 without fix", rec("A", []osv.Range{eco(intro("0"))}),
			map[string]string{"0.0.1": "-", "99": "-"}, nil},
		{"introduced and fixed", rec("A", []osv.Range{eco(intro("1.0"), fixed("2.0"))}),
			map[string]string{"1.0": "2.0", "1.5": "2.0", "2.0rc1": "2.0"}, []string{"0.9", "2.0", "2.0.post1", "3"}},
		{"last_affected", rec("A", []osv.Range{eco(intro("1.0"), last("1.5"))}),
			map[string]string{"1.0": "-", "1.5": "-"}, []string{"1.5.1", "0.1"}},
		{"two spans in one range", rec("A", []osv.Range{eco(intro("1.0"), fixed("1.2"), intro("1.5"), fixed("1.7"))}),
			map[string]string{"1.1": "1.2", "1.6": "1.7"}, []string{"1.3", "1.7", "0.5"}},
		{"events out of order are sorted", rec("A", []osv.Range{eco(fixed("1.7"), intro("1.5"), fixed("1.2"), intro("1.0"))}),
			map[string]string{"1.1": "1.2", "1.6": "1.7"}, []string{"1.3", "1.7"}},
		{"reintroduced without fix", rec("A", []osv.Range{eco(intro("0"), fixed("1.0"), intro("2.0"))}),
			map[string]string{"0.5": "1.0", "2.1": "-"}, []string{"1.0", "1.5"}},
		{"limit bounds an unfixed range", rec("A", []osv.Range{eco(intro("0"), limit("2.0"))}),
			map[string]string{"1.0": "-"}, []string{"2.0", "3.0"}},
		{"limit * is no bound", rec("A", []osv.Range{eco(intro("1.0"), limit("*"))}),
			map[string]string{"5.0": "-"}, []string{"0.9"}},
		{"explicit versions only", rec("A", nil, "1.0", "1.1"),
			map[string]string{"1.0": "-", "1.1": "-"}, []string{"1.2", "1.0.0"}},
		{"explicit versions with a range", rec("A", []osv.Range{eco(intro("2.0"), fixed("2.1"))}, "1.0"),
			map[string]string{"1.0": "-", "2.0": "2.1"}, []string{"1.5"}},
		{"overlapping ranges: the fix of both", rec("A", []osv.Range{eco(intro("1.0"), fixed("1.2")), eco(intro("1.1"), fixed("1.4"))}),
			map[string]string{"1.0": "1.2", "1.1": "1.4", "1.3": "1.4"}, []string{"1.4"}},
		{"overlapping ranges, one unfixed", rec("A", []osv.Range{eco(intro("0"), fixed("1.2")), eco(intro("1.0"))}),
			map[string]string{"0.5": "1.2", "1.1": "-", "9": "-"}, nil},
		{"git ranges are not versions", rec("A", []osv.Range{{Type: osv.RangeGit, Repo: "https://example.com/r", Events: []osv.Event{intro("0"), fixed("abc")}}}, "1.0"),
			map[string]string{"1.0": "-"}, []string{"abc", "0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder()
			b.Add(tt.rec)
			ix := b.Build()
			for v, fix := range tt.hits {
				hits := ix.Match(Package{Ecosystem: ecosystem.Parse("PyPI"), Name: "pkg", Version: v})
				if len(hits) != 1 {
					t.Errorf("%s: %d hits, want 1", v, len(hits))
					continue
				}
				want := fix
				if fix == "-" {
					want = ""
				}
				if hits[0].FixedVersion != want {
					t.Errorf("%s: fixed %q, want %q", v, hits[0].FixedVersion, want)
				}
			}
			for _, v := range tt.miss {
				if hits := ix.Match(Package{Ecosystem: ecosystem.Parse("PyPI"), Name: "pkg", Version: v}); len(hits) != 0 {
					t.Errorf("%s: hits %+v, want none", v, hits)
				}
			}
		})
	}
}

// TestMerge checks how advisories of one vulnerability come together.
func TestMerge(t *testing.T) {
	r := func(id string, aliases []string, fix, sev string) *osv.Record {
		x := rec(id, []osv.Range{eco(intro("0"), fixed(fix))})
		x.Aliases = aliases
		if sev != "" {
			x.DatabaseSpecific = fmt.Appendf(nil, `{"severity":%q}`, sev)
		}
		return x
	}
	b := NewBuilder()
	// PYSEC without a CVE joins the CVE of the GHSA it aliases.
	b.Add(r("GHSA-aaaa-aaaa-aaaa", []string{"CVE-2024-0001"}, "1.5", "LOW"))
	b.Add(r("PYSEC-2024-1", []string{"GHSA-aaaa-aaaa-aaaa"}, "1.6", "HIGH"))
	// Two advisories without CVE that alias each other form one hit
	// shown by the GitHub id.
	b.Add(r("PYSEC-2024-2", []string{"GHSA-bbbb-bbbb-bbbb"}, "2.0", ""))
	b.Add(r("GHSA-bbbb-bbbb-bbbb", []string{"PYSEC-2024-2"}, "2.0", "MODERATE"))
	// An advisory alone, without aliases.
	b.Add(r("PYSEC-2024-3", nil, "2.0", ""))
	ix := b.Build()
	hits := ix.Match(Package{Ecosystem: ecosystem.Parse("PyPI"), Name: "pkg", Version: "1.0"})
	want := []brief{
		{"CVE-2024-0001", "GHSA-aaaa-aaaa-aaaa PYSEC-2024-1", "1.6", osv.LevelHigh, false},
		{"GHSA-bbbb-bbbb-bbbb", "GHSA-bbbb-bbbb-bbbb PYSEC-2024-2", "2.0", osv.LevelMedium, false},
		{"PYSEC-2024-3", "PYSEC-2024-3", "2.0", osv.LevelUnknown, false},
	}
	if diff := cmp.Diff(want, briefs(hits)); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string(nil), hits[0].Aliases); diff != "" {
		t.Errorf("aliases of the CVE hit (-want +got):\n%s", diff)
	}
}

func TestBuilderReplacesAndWithdraws(t *testing.T) {
	b := NewBuilder()
	old := rec("A-1", []osv.Range{eco(intro("0"), fixed("1.0"))})
	old.Modified = mustTime(t, "2024-01-01T00:00:00Z")
	newer := rec("A-1", []osv.Range{eco(intro("0"), fixed("2.0"))})
	newer.Modified = mustTime(t, "2024-02-01T00:00:00Z")
	withdrawn := rec("W-1", []osv.Range{eco(intro("0"))})
	withdrawn.Withdrawn = mustTime(t, "2024-03-01T00:00:00Z")
	b.Add(newer)
	b.Add(old) // older: ignored
	b.Add(withdrawn)
	b.Add(&osv.Record{ID: "G-1", Affected: []osv.Affected{{Ranges: []osv.Range{{Type: osv.RangeGit, Events: []osv.Event{intro("0")}}}}}})
	ix := b.Build()
	hits := ix.Match(Package{Ecosystem: ecosystem.Parse("PyPI"), Name: "pkg", Version: "1.5"})
	if diff := cmp.Diff([]brief{{"A-1", "A-1", "2.0", osv.LevelUnknown, false}}, briefs(hits)); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
	st := ix.Stats()
	if st.Advisories != 1 || st.Withdrawn != 1 || st.Replaced != 1 || st.Unmatchable != 1 || st.SkippedEntries != 1 || st.Packages != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestMatchConcurrent(t *testing.T) {
	ix := fixtureIndex(t)
	versions := []string{"2.14.1", "2.15.0", "2.17.1", "2.12.1", "2.0-rc2"}
	want := map[string][]brief{}
	for _, v := range versions {
		want[v] = briefs(ix.Match(log4j(t, v)))
	}
	ix.ClearCache()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				v := versions[(g+i)%len(versions)]
				if i%50 == 0 {
					ix.SetKnownExploited(nil)
				}
				if got := briefs(ix.Match(log4j(t, v))); !slices.Equal(got, want[v]) {
					t.Errorf("%s: %+v, want %+v", v, got, want[v])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestUnparsableVersions: a range whose version does not parse is left
// out (and counted), the others still match; an installed version that
// does not parse matches only an explicit versions list.
func TestUnparsableVersions(t *testing.T) {
	debian12 := host(t, "debian", "12")
	b := NewBuilder()
	b.Add(&osv.Record{ID: "DEBIAN-CVE-2000-0001", Affected: []osv.Affected{{
		Package: &osv.Package{Ecosystem: "Debian:12", Name: "src"},
		Ranges: []osv.Range{
			eco(intro("0"), fixed("x:1.0-1")),
			eco(intro("3.0-1"), fixed("3.1-1")),
		},
		Versions: []string{"y:2"},
	}}})
	ix := b.Build()
	if got := ix.Stats().BadRanges; got != 1 {
		t.Errorf("BadRanges = %d, want 1", got)
	}
	for v, want := range map[string]int{"1.0-1": 0, "3.0-5": 1, "y:2": 1, "z:2": 0} {
		if got := len(ix.Match(Package{Ecosystem: debian12, Name: "bin", SourceName: "src", Version: v})); got != want {
			t.Errorf("%s: %d hits, want %d", v, got, want)
		}
	}
}
