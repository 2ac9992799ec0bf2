package ecosystem

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupported is wrapped by errors for hosts and package types that
// have no OSV ecosystem here.
var ErrUnsupported = errors.New("no OSV ecosystem")

// ForOS returns the ecosystem of a host's OS packages from the platform
// and platform version the agent reports ("debian" "12.11" ->
// "Debian:12", "ubuntu" "22.04" -> "Ubuntu:22.04:LTS", "alpine" "3.18.4"
// -> "Alpine:v3.18", "rocky" "9.3" -> "Rocky Linux:9", "almalinux" "9.3"
// -> "AlmaLinux:9", "redhat" "9.3" -> "Red Hat:enterprise_linux:9").
// CentOS, a rebuild of Red Hat Enterprise Linux, is matched against Red
// Hat's advisories.
func ForOS(platform, version string) (Ecosystem, error) {
	p := strings.ToLower(strings.TrimSpace(platform))
	v := strings.TrimSpace(version)
	fail := func(why string) (Ecosystem, error) {
		return Ecosystem{}, fmt.Errorf("%w for %s %q: %s", ErrUnsupported, platform, version, why)
	}
	switch p {
	case "debian", "raspbian":
		r := debianRelease(v)
		if r == "" {
			return fail("no Debian release in the version")
		}
		return Parse(Debian + ":" + r), nil
	case "ubuntu":
		r, _ := ubuntuRelease(v)
		if r == "" {
			return fail("no YY.MM release in the version")
		}
		s := Ubuntu + ":" + r
		if isLTS(r) {
			s += ":LTS"
		}
		return Parse(s), nil
	case "alpine":
		r := alpineRelease(v)
		if strings.Contains(strings.ToLower(v), "_alpha") || strings.Contains(strings.ToLower(v), "edge") {
			// Development snapshots (3.21_alpha20240923) are edge.
			r = "edge"
		}
		if r == "" {
			return fail("no major.minor release in the version")
		}
		return Parse(Alpine + ":" + r), nil
	case "rocky", "rockylinux":
		return rpmHost(RockyLinux+":", v, fail)
	case "almalinux", "alma":
		return rpmHost(AlmaLinux+":", v, fail)
	case "redhat", "rhel", "redhatenterprise", "redhatenterpriseserver", "centos":
		e, err := rpmHost(RedHat+":"+rhelMain+":", v, fail)
		if err != nil {
			return e, err
		}
		if f := strings.Split(v, "."); len(f) >= 2 && allDigits(f[1]) {
			e.Minor = e.Release + "." + strings.TrimLeft(f[1], "0")
			if strings.TrimLeft(f[1], "0") == "" {
				e.Minor = e.Release + ".0"
			}
		}
		return e, nil
	}
	return fail("unknown platform")
}

func rpmHost(prefix, version string, fail func(string) (Ecosystem, error)) (Ecosystem, error) {
	m := major(version)
	if m == "" {
		return fail("no major release in the version")
	}
	return Parse(prefix + m), nil
}

// isLTS tells whether an Ubuntu release is a long-term support one:
// the April release of even years.
func isLTS(release string) bool {
	y, m, _ := strings.Cut(release, ".")
	return m == "04" && len(y) == 2 && (y[1]-'0')%2 == 0
}

// purlTypes maps package URL types to OSV ecosystems.
var purlTypes = map[string]string{
	"maven":    Maven,
	"pypi":     PyPI,
	"npm":      NPM,
	"golang":   Go,
	"composer": Packagist,
	"gem":      RubyGems,
	"cargo":    CratesIO,
	"nuget":    NuGet,
	"pub":      Pub,
	"hex":      Hex,
	"cran":     CRAN,
	"hackage":  Hackage,
	"swift":    SwiftURL,
	"conan":    ConanCenter,
	"julia":    Julia,
}

// FromPURLType returns the OSV ecosystem of a language package URL type
// (maven -> Maven, pypi -> PyPI, golang -> Go, composer -> Packagist,
// gem -> RubyGems, cargo -> crates.io ...).
func FromPURLType(typ string) (Ecosystem, bool) {
	name, ok := purlTypes[strings.ToLower(strings.TrimSpace(typ))]
	if !ok {
		return Ecosystem{}, false
	}
	return Parse(name), true
}

// osPackageTypes maps OS package types to the distributions using them.
var osPackageTypes = map[string][]string{
	"deb": {Debian, Ubuntu},
	"rpm": {RedHat, RockyLinux, AlmaLinux},
	"apk": {Alpine},
}

// ForPackage returns the ecosystem of a package of the given type on a
// host whose OS package ecosystem is host (see ForOS): host itself for
// the OS's package type (deb, rpm, apk), the language ecosystem for a
// package URL type. A package type foreign to the host's OS (rpm on
// Debian) is an error.
func ForPackage(host Ecosystem, typ string) (Ecosystem, error) {
	t := strings.ToLower(strings.TrimSpace(typ))
	if dists, ok := osPackageTypes[t]; ok {
		for _, d := range dists {
			if host.Name == d {
				return host, nil
			}
		}
		return Ecosystem{}, fmt.Errorf("%w for %s packages on a %q host", ErrUnsupported, t, host.Raw)
	}
	if e, ok := FromPURLType(t); ok {
		return e, nil
	}
	return Ecosystem{}, fmt.Errorf("%w for package type %q", ErrUnsupported, typ)
}
