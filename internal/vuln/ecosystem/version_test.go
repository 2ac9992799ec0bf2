package ecosystem

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestCompareVersions(t *testing.T) {
	// Each case says a < b (or a == b with eq) under the scheme.
	tests := []struct {
		scheme Scheme
		a, b   string
		eq     bool
	}{
		// Debian: epochs, revisions, ~ before anything, + security
		// updates, binNMUs, NMUs.
		{Debian, "2.0-1", "1:1.0-1", false},
		{Debian, "2.38.1-5", "0:2.38.1-5", true},
		{Debian, "3.0.11-1~deb12u1", "3.0.11-1~deb12u2", false},
		{Debian, "3.0.11-1~deb12u2", "3.0.11-1", false},
		{Debian, "7.88.1-10+deb12u4", "7.88.1-10+deb12u5", false},
		{Debian, "7.88.1-10+deb12u5", "7.88.1-10+deb12u12", false},
		{Debian, "7.88.1-10+deb12u5", "7.88.1-10+deb12u5+b1", false},
		{Debian, "1.0-1", "1.0-1.1", false},
		{Debian, "1.0~rc1-1", "1.0-1", false},
		{Ubuntu, "3.0.2-0ubuntu1.8", "3.0.2-0ubuntu1.10", false},
		{Ubuntu, "3.0.2-0ubuntu1.10", "3.0.2-0ubuntu1.10+esm1", false},
		// RPM: epochs, releases, dist tags.
		{RedHat, "3.0.7-28.el9", "1:3.0.7-27.el9", false},
		{RedHat, "0:3.0.7-27.el9", "3.0.7-27.el9", true},
		{RedHat, "3.0.7-27.el9", "3.0.7-27.el9_3", false},
		{RedHat, "5.14.0-362.8.1.el9_3", "5.14.0-362.13.1.el9_3", false},
		{RockyLinux, "1.1.1k-9.el8_7", "1:1.1.1k-12.el8_9", false},
		{AlmaLinux, "2.28-225.el9", "2.28-225.el9_3.1", false},
		// Alpine.
		{Alpine, "3.0.8-r2", "3.0.8-r3", false},
		{Alpine, "1.2.3_rc1-r0", "1.2.3-r0", false},
		{Alpine, "1.2.3-r0", "1.2.3_p1-r0", false},
		// PEP 440: dev < pre < release < post; epochs; normalization.
		{PyPI, "2.0.dev1", "2.0a1", false},
		{PyPI, "2.0a1", "2.0rc1", false},
		{PyPI, "2.0rc1", "2.0", false},
		{PyPI, "2.0", "2.0.post1", false},
		{PyPI, "4.2.2.post1", "4.2.3", false},
		{PyPI, "4.2rc1", "4.2", false},
		{PyPI, "2.0", "1!1.0", false},
		{PyPI, "1.0", "1.0.0", true},
		{PyPI, "1.0RC1", "1.0rc1", true},
		// SemVer (npm, crates.io, SEMVER ranges): pre-releases.
		{NPM, "1.0.0-alpha", "1.0.0-alpha.1", false},
		{NPM, "1.0.0-alpha.1", "1.0.0-beta", false},
		{NPM, "1.0.0-beta.2", "1.0.0-beta.11", false},
		{NPM, "1.0.0-rc.1", "1.0.0", false},
		{NPM, "7.5.2-rc.1", "7.5.2", false},
		{NPM, "1.0.0+build.5", "1.0.0", true},
		{CratesIO, "1.0.0-alpha", "1.0.0", false},
		{SemVer, "0.3.7", "0.3.8", false},
		{SemVer, "v0.3.8", "0.3.8", true},
		// Go: leading v, pseudo-versions, +incompatible.
		{Go, "v0.0.0-20220722155237-a158d28d115b", "0.3.8", false},
		{Go, "v0.3.7", "0.3.8", false},
		{Go, "v2.0.0+incompatible", "2.0.0", true},
		// Maven qualifiers.
		{Maven, "2.0-beta8", "2.0-beta9", false},
		{Maven, "2.0-beta9", "2.0-rc1", false},
		{Maven, "2.0-rc1", "2.0", false},
		{Maven, "2.15.0-SNAPSHOT", "2.15.0", false},
		{Maven, "2.3.1", "2.4", false},
		{Maven, "2.12.2", "2.13.0", false},
		{Maven, "1.0.Final", "1.0", true},
		{Maven, "1.0-alpha", "1.0-milestone", false},
		{Maven, "1.0", "1.0-sp", false},
		// Others.
		{Packagist, "1.0.0-RC1", "1.0.0", false},
		{RubyGems, "1.0.0.pre", "1.0.0", false},
		{NuGet, "1.0.0-beta", "1.0.0", false},
	}
	cache := NewVersions(64)
	for _, tt := range tests {
		op := "<"
		if tt.eq {
			op = "=="
		}
		t.Run(fmt.Sprintf("%s %s %s %s", tt.scheme, tt.a, op, tt.b), func(t *testing.T) {
			want := -1
			if tt.eq {
				want = 0
			}
			if got, err := cache.Compare(tt.scheme, tt.a, tt.b); err != nil || got != want {
				t.Errorf("Compare(a, b) = %d, %v; want %d", got, err, want)
			}
			if got, err := cache.Compare(tt.scheme, tt.b, tt.a); err != nil || got != -want {
				t.Errorf("Compare(b, a) = %d, %v; want %d", got, err, -want)
			}
		})
	}
}

func TestParseVersionErrors(t *testing.T) {
	for _, tt := range []struct {
		scheme Scheme
		v      string
	}{
		{Debian, ""},
		{Debian, "a:1.0"},
		{"NoSuchEcosystem", "1.0"},
	} {
		if v, err := ParseVersion(tt.scheme, tt.v); !errors.Is(err, ErrInvalidVersion) {
			t.Errorf("ParseVersion(%s, %q) = %v, %v; want ErrInvalidVersion", tt.scheme, tt.v, v, err)
		}
	}
}

func TestSchemeOf(t *testing.T) {
	for name, want := range map[string]bool{
		Debian: true, Ubuntu: true, Alpine: true, RedHat: true, RockyLinux: true, AlmaLinux: true,
		PyPI: true, NPM: true, Maven: true, Go: true, CratesIO: true, RubyGems: true, Packagist: true,
		NuGet: true, Pub: true, Hex: true, "Linux": false, "GitHub Actions": false, "Debian:12": false,
	} {
		if _, got := SchemeOf(name); got != want {
			t.Errorf("SchemeOf(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestVersionsCacheConcurrent(t *testing.T) {
	c := NewVersions(128)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				a := fmt.Sprintf("1.%d-%d", i%50, g)
				b := fmt.Sprintf("1.%d-%d", i%50+1, g)
				if c, err := c.Compare(Debian, a, b); err != nil || c != -1 {
					t.Errorf("Compare(%s, %s) = %d, %v", a, b, c, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := c.Len(); n == 0 || n > 2*128+64 {
		t.Errorf("cache holds %d versions, want some and about 128 at most", n)
	}
}

// FuzzCompareVersions parses two versions in each ecosystem and checks
// that comparing never panics and is reflexive and antisymmetric.
func FuzzCompareVersions(f *testing.F) {
	schemes := []Scheme{Debian, Ubuntu, RedHat, Alpine, PyPI, NPM, Maven, Go, CratesIO, RubyGems, Packagist, NuGet, Pub, Hex, SemVer}
	seeds := [][2]string{
		{"1:2.38.1-5+deb12u3", "2.38.1-5"}, {"3.0.11-1~deb12u2", "3.0.11-1"}, {"1:3.0.7-27.el9", "3.0.7-28.el9"},
		{"3.0.8-r3", "3.0.8_rc1-r0"}, {"2.0rc1", "1!2.0.post1.dev3+local.7"}, {"1.0.0-alpha.1", "1.0.0+build"},
		{"2.0-beta9", "2.15.0-SNAPSHOT"}, {"v0.0.0-20220722155237-a158d28d115b", "v2.0.0+incompatible"},
		{"", "~"}, {"1.0.0.pre", "1.0-RC1"},
	}
	for i, s := range seeds {
		f.Add(uint8(i), s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, which uint8, a, b string) {
		s := schemes[int(which)%len(schemes)]
		va, errA := ParseVersion(s, a)
		vb, errB := ParseVersion(s, b)
		if errA != nil || errB != nil {
			return
		}
		ab, err := Compare(va, vb)
		if err != nil {
			return
		}
		ba, err := Compare(vb, va)
		if err != nil {
			t.Fatalf("%s: %q vs %q compares one way only: %v", s, a, b, err)
		}
		if ab != -ba {
			t.Fatalf("%s: %q vs %q = %d but reversed = %d", s, a, b, ab, ba)
		}
		if aa, err := Compare(va, va); err != nil || aa != 0 {
			t.Fatalf("%s: %q vs itself = %d, %v", s, a, aa, err)
		}
	})
}
