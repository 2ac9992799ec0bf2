package ecosystem

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in                          string
		name, release, variant, key string
		stream, streamVersion, repo string
		distribution, matchable     bool
	}{
		{in: "Debian:12", name: Debian, release: "12", key: "Debian:12", distribution: true, matchable: true},
		{in: "Debian:11", name: Debian, release: "11", key: "Debian:11", distribution: true, matchable: true},
		{in: "Debian", name: Debian, key: "Debian", distribution: true},
		{in: "Ubuntu:22.04:LTS", name: Ubuntu, release: "22.04", key: "Ubuntu:22.04", distribution: true, matchable: true},
		{in: "Ubuntu:24.10", name: Ubuntu, release: "24.10", key: "Ubuntu:24.10", distribution: true, matchable: true},
		{in: "Ubuntu:Pro:18.04:LTS", name: Ubuntu, release: "18.04", variant: "Pro", key: "Ubuntu:18.04", distribution: true, matchable: true},
		{in: "Ubuntu:Pro:FIPS-updates:22.04:LTS", name: Ubuntu, release: "22.04", variant: "Pro:FIPS-updates", key: "Ubuntu:22.04", distribution: true, matchable: true},
		{in: "Alpine:v3.18", name: Alpine, release: "v3.18", key: "Alpine:v3.18", distribution: true, matchable: true},
		{in: "Alpine:3.18", name: Alpine, release: "v3.18", key: "Alpine:v3.18", distribution: true, matchable: true},
		{in: "Alpine:edge", name: Alpine, release: "edge", key: "Alpine:edge", distribution: true, matchable: true},
		{in: "Rocky Linux:9", name: RockyLinux, release: "9", key: "Rocky Linux:9", distribution: true, matchable: true},
		{in: "AlmaLinux:8", name: AlmaLinux, release: "8", key: "AlmaLinux:8", distribution: true, matchable: true},
		{in: "Red Hat:enterprise_linux:9::baseos", name: RedHat, release: "9", key: "Red Hat:9", stream: "enterprise_linux", streamVersion: "9", repo: "baseos", distribution: true, matchable: true},
		{in: "Red Hat:enterprise_linux:8::appstream", name: RedHat, release: "8", key: "Red Hat:8", stream: "enterprise_linux", streamVersion: "8", repo: "appstream", distribution: true, matchable: true},
		{in: "Red Hat:rhel_eus:9.2::baseos", name: RedHat, release: "9", key: "Red Hat:9", stream: "rhel_eus", streamVersion: "9.2", repo: "baseos", distribution: true, matchable: true},
		{in: "Red Hat:ansible_automation_platform:2.0::el8", name: RedHat, key: "Red Hat:ansible_automation_platform:2.0::el8", stream: "ansible_automation_platform", streamVersion: "2.0", repo: "el8", distribution: true},
		{in: "Wolfi", name: "Wolfi", key: "Wolfi", distribution: true, matchable: true},
		{in: "SUSE:Linux Enterprise Server 15 SP5", name: "SUSE", key: "SUSE:Linux Enterprise Server 15 SP5", distribution: true, matchable: true},
		{in: "PyPI", name: PyPI, key: PyPI, matchable: true},
		{in: "npm", name: NPM, key: NPM, matchable: true},
		{in: "crates.io", name: CratesIO, key: CratesIO, matchable: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e := Parse(tt.in)
			if e.Raw != tt.in || e.String() != tt.in || e.Name != tt.name || e.Release != tt.release || e.Variant != tt.variant ||
				e.Stream != tt.stream || e.StreamVersion != tt.streamVersion || e.Repository != tt.repo {
				t.Errorf("Parse = %+v", e)
			}
			if got := e.Key(); got != tt.key {
				t.Errorf("Key = %q, want %q", got, tt.key)
			}
			if got := e.IsDistribution(); got != tt.distribution {
				t.Errorf("IsDistribution = %v, want %v", got, tt.distribution)
			}
			if got := e.Matchable(); got != tt.matchable {
				t.Errorf("Matchable = %v, want %v", got, tt.matchable)
			}
		})
	}
}

func mustForOS(t *testing.T, platform, version string) Ecosystem {
	t.Helper()
	e, err := ForOS(platform, version)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestForOS(t *testing.T) {
	tests := []struct {
		platform, version, want, minor string
	}{
		{"debian", "12.11", "Debian:12", ""},
		{"debian", "11", "Debian:11", ""},
		{"debian", "trixie/sid", "Debian:13", ""},
		{"Debian", "bookworm", "Debian:12", ""},
		{"ubuntu", "22.04", "Ubuntu:22.04:LTS", ""},
		{"ubuntu", "24.04.2", "Ubuntu:24.04:LTS", ""},
		{"ubuntu", "24.10", "Ubuntu:24.10", ""},
		{"ubuntu", "23.04", "Ubuntu:23.04", ""},
		{"alpine", "3.18.4", "Alpine:v3.18", ""},
		{"alpine", "3.21_alpha20240923", "Alpine:edge", ""},
		{"rocky", "9.3", "Rocky Linux:9", ""},
		{"almalinux", "8.10", "AlmaLinux:8", ""},
		{"redhat", "9.3", "Red Hat:enterprise_linux:9", "9.3"},
		{"centos", "7.9.2009", "Red Hat:enterprise_linux:7", "7.9"},
		{"redhat", "9", "Red Hat:enterprise_linux:9", ""},
	}
	for _, tt := range tests {
		t.Run(tt.platform+" "+tt.version, func(t *testing.T) {
			e := mustForOS(t, tt.platform, tt.version)
			if e.Raw != tt.want || e.Minor != tt.minor {
				t.Errorf("ForOS = %q (minor %q), want %q (minor %q)", e.Raw, e.Minor, tt.want, tt.minor)
			}
			if !e.Matchable() {
				t.Errorf("%q is not matchable", e.Raw)
			}
		})
	}
	for _, bad := range [][2]string{{"windows", "10"}, {"debian", ""}, {"ubuntu", "jammy-ish"}, {"alpine", "three"}, {"rocky", "x"}} {
		if e, err := ForOS(bad[0], bad[1]); !errors.Is(err, ErrUnsupported) {
			t.Errorf("ForOS(%q, %q) = %+v, %v; want ErrUnsupported", bad[0], bad[1], e, err)
		}
	}
}

func TestApplies(t *testing.T) {
	debian12 := mustForOS(t, "debian", "12.11")
	ubuntu2204 := mustForOS(t, "ubuntu", "22.04")
	alpine318 := mustForOS(t, "alpine", "3.18.4")
	rhel93 := mustForOS(t, "redhat", "9.3")
	rhel92 := mustForOS(t, "redhat", "9.2")
	rocky9 := mustForOS(t, "rocky", "9.3")
	pypi, _ := FromPURLType("pypi")
	tests := []struct {
		adv  string
		host Ecosystem
		want bool
	}{
		{"Debian:12", debian12, true},
		{"Debian:11", debian12, false},
		{"Debian:13", debian12, false},
		{"Debian", debian12, false},
		{"Ubuntu:22.04:LTS", debian12, false},
		{"Ubuntu:22.04:LTS", ubuntu2204, true},
		{"Ubuntu:Pro:22.04:LTS", ubuntu2204, true},
		{"Ubuntu:Pro:FIPS-updates:22.04:LTS", ubuntu2204, false},
		{"Ubuntu:Pro:FIPS-updates:22.04:LTS", Parse("Ubuntu:Pro:FIPS-updates:22.04:LTS"), true},
		{"Ubuntu:20.04:LTS", ubuntu2204, false},
		{"Alpine:v3.18", alpine318, true},
		{"Alpine:v3.17", alpine318, false},
		{"Red Hat:enterprise_linux:9::baseos", rhel93, true},
		{"Red Hat:enterprise_linux:9::appstream", rhel93, true},
		{"Red Hat:enterprise_linux:9::crb", rhel93, true},
		{"Red Hat:enterprise_linux:8::baseos", rhel93, false},
		{"Red Hat:rhel_eus:9.2::baseos", rhel93, false},
		{"Red Hat:rhel_eus:9.2::baseos", rhel92, true},
		{"Red Hat:ansible_automation_platform:2.0::el8", rhel93, false},
		{"Red Hat:enterprise_linux:9::baseos", rocky9, false},
		{"Rocky Linux:9", rocky9, true},
		{"Rocky Linux:8", rocky9, false},
		{"AlmaLinux:9", rocky9, false},
		{"PyPI", pypi, true},
		{"PyPI", debian12, false},
		{"Debian:12", pypi, false},
		{"Wolfi", Parse("Wolfi"), true},
	}
	for _, tt := range tests {
		t.Run(tt.adv+" on "+tt.host.Raw, func(t *testing.T) {
			if got := Applies(Parse(tt.adv), tt.host); got != tt.want {
				t.Errorf("Applies = %v, want %v", got, tt.want)
			}
			if tt.want && Parse(tt.adv).Key() != tt.host.Key() {
				t.Errorf("applies but keys differ: %q vs %q", Parse(tt.adv).Key(), tt.host.Key())
			}
		})
	}
}

func TestForPackage(t *testing.T) {
	debian12 := mustForOS(t, "debian", "12")
	rocky9 := mustForOS(t, "rocky", "9.3")
	tests := []struct {
		host Ecosystem
		typ  string
		want string
	}{
		{debian12, "deb", "Debian:12"},
		{rocky9, "rpm", "Rocky Linux:9"},
		{mustForOS(t, "alpine", "3.18.4"), "apk", "Alpine:v3.18"},
		{debian12, "maven", Maven},
		{debian12, "pypi", PyPI},
		{debian12, "npm", NPM},
		{debian12, "golang", Go},
		{debian12, "composer", Packagist},
		{debian12, "gem", RubyGems},
		{debian12, "cargo", CratesIO},
		{debian12, "nuget", NuGet},
		{debian12, "pub", Pub},
		{debian12, "hex", Hex},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			e, err := ForPackage(tt.host, tt.typ)
			if err != nil || e.Raw != tt.want {
				t.Errorf("ForPackage(%q, %q) = %q, %v; want %q", tt.host.Raw, tt.typ, e.Raw, err, tt.want)
			}
		})
	}
	for _, bad := range []struct {
		host Ecosystem
		typ  string
	}{{debian12, "rpm"}, {rocky9, "deb"}, {debian12, "apk"}, {debian12, "unknown"}} {
		if e, err := ForPackage(bad.host, bad.typ); !errors.Is(err, ErrUnsupported) {
			t.Errorf("ForPackage(%q, %q) = %+v, %v; want ErrUnsupported", bad.host.Raw, bad.typ, e, err)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct{ eco, in, want string }{
		{PyPI, "Django", "django"},
		{PyPI, "zope.interface", "zope-interface"},
		{PyPI, "Foo__Bar-.baz", "foo-bar-baz"},
		{PyPI, "_leading", "leading"},
		{Maven, "org.apache.logging.log4j:log4j-core", "org.apache.logging.log4j:log4j-core"},
		{Maven, "org.apache.logging.log4j/log4j-core", "org.apache.logging.log4j:log4j-core"},
		{NPM, "@Angular/Core", "@angular/core"},
		{Packagist, "Symfony/HTTP-Kernel", "symfony/http-kernel"},
		{NuGet, "Newtonsoft.Json", "newtonsoft.json"},
		{CratesIO, "Tokio_Util", "tokio-util"},
		{Go, "github.com/Sirupsen/logrus/", "github.com/Sirupsen/logrus"},
		{RubyGems, "Rails", "Rails"},
		{Debian, " openssl ", "openssl"},
	}
	for _, tt := range tests {
		if got := NormalizeName(tt.eco, tt.in); got != tt.want {
			t.Errorf("NormalizeName(%s, %q) = %q, want %q", tt.eco, tt.in, got, tt.want)
		}
	}
	for in, want := range map[string]string{"v1.2.3": "1.2.3", "go1.21.5": "1.21.5", "1.2.3": "1.2.3", "golden": "golden"} {
		if got := NormalizeVersion(Go, in); got != want {
			t.Errorf("NormalizeVersion(Go, %q) = %q, want %q", in, got, want)
		}
	}
	if got := NormalizeVersion(PyPI, " 1.0 "); got != "1.0" {
		t.Errorf("NormalizeVersion(PyPI, ' 1.0 ') = %q", got)
	}
}
