package match

import (
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/vuln/ecosystem"
)

// FuzzMatch matches fuzzed versions of the fixture packages: matching
// must not panic, must say the same twice, and a fix it names must sort
// after the version compared.
func FuzzMatch(f *testing.F) {
	ix := fixtureIndex(f)
	ix.SetKnownExploited([]string{"CVE-2021-44228"})
	targets := []struct {
		eco, name, source string
	}{
		{"Maven", "org.apache.logging.log4j:log4j-core", ""},
		{"Debian:12", "libssl3", "openssl"},
		{"Debian:12", "libcurl4", "curl"},
		{"Debian:11", "libssl1.1", "openssl"},
		{"Ubuntu:22.04:LTS", "libssl3", "openssl"},
		{"Alpine:v3.17", "libcrypto3", "openssl"},
		{"Red Hat:enterprise_linux:9", "openssl-libs", "openssl"},
		{"Rocky Linux:9", "openssl", "openssl"},
		{"PyPI", "Django", ""},
		{"npm", "semver", ""},
		{"Go", "golang.org/x/text", ""},
	}
	seeds := []string{"2.14.1", "3.0.11-1~deb12u1", "7.88.1-10+deb12u4", "1:3.0.7-6.el9_2", "4.2.2.post1", "7.5.2-rc.1", "v0.0.0-20210107155237-a158d28d115b", "3.0.8-r0", "", "0", "~", "1:", "a:b"}
	for i, s := range seeds {
		f.Add(uint8(i), s, "")
	}
	f.Add(uint8(2), "7.88.1-10+deb12u5+b1", "7.88.1-10+deb12u5")
	f.Fuzz(func(t *testing.T, which uint8, version, sourceVersion string) {
		tg := targets[int(which)%len(targets)]
		p := Package{Ecosystem: ecosystem.Parse(tg.eco), Name: tg.name, Version: version, SourceName: tg.source, SourceVersion: sourceVersion}
		hits := ix.Match(p)
		again := ix.Match(p)
		if !slices.EqualFunc(hits, again, func(a, b Hit) bool {
			return a.VulnerabilityID == b.VulnerabilityID && a.FixedVersion == b.FixedVersion && slices.Equal(a.AdvisoryIDs, b.AdvisoryIDs)
		}) {
			t.Fatalf("two matches differ: %+v vs %+v", hits, again)
		}
		scheme, _ := ecosystem.SchemeOf(p.Ecosystem.Name)
		for _, h := range hits {
			if h.VulnerabilityID == "" || len(h.AdvisoryIDs) == 0 || h.Severity == "" {
				t.Fatalf("incomplete hit %+v", h)
			}
			if h.FixedVersion == "" {
				continue
			}
			installed, err := ecosystem.ParseVersion(scheme, h.Version)
			if err != nil {
				continue
			}
			fix, err := ecosystem.ParseVersion(scheme, h.FixedVersion)
			if err != nil {
				t.Fatalf("fix %q does not parse: %v", h.FixedVersion, err)
			}
			if c, err := ecosystem.Compare(fix, installed); err == nil && c <= 0 {
				t.Fatalf("%s %q: fix %q does not sort after it", tg.eco, h.Version, h.FixedVersion)
			}
		}
	})
}
