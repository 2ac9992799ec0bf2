// Package ecosystem maps hosts and packages to the OSV ecosystems their
// advisories are published under, decides which advisory ecosystems
// apply to a host, normalizes package names per ecosystem, and parses and
// compares versions with osv-scalibr's semantic package.
package ecosystem

import (
	"strings"
)

// OSV ecosystem names this package knows by role.
const (
	Debian      = "Debian"
	Ubuntu      = "Ubuntu"
	Alpine      = "Alpine"
	RedHat      = "Red Hat"
	RockyLinux  = "Rocky Linux"
	AlmaLinux   = "AlmaLinux"
	Maven       = "Maven"
	PyPI        = "PyPI"
	NPM         = "npm"
	Go          = "Go"
	Packagist   = "Packagist"
	RubyGems    = "RubyGems"
	CratesIO    = "crates.io"
	NuGet       = "NuGet"
	Pub         = "Pub"
	Hex         = "Hex"
	CRAN        = "CRAN"
	Hackage     = "Hackage"
	SwiftURL    = "SwiftURL"
	ConanCenter = "ConanCenter"
	Julia       = "Julia"
)

// Red Hat products whose advisories apply to Red Hat Enterprise Linux
// hosts: the main stream, and the streams pinned to a minor release
// (extended update support, advanced and telecom update support, update
// services for SAP).
const rhelMain = "enterprise_linux"

var rhelPinnedStreams = map[string]bool{
	"rhel_eus": true, "rhel_aus": true, "rhel_e4s": true, "rhel_tus": true,
}

// distributions are the OSV ecosystems of operating system packages.
var distributions = map[string]bool{
	Debian: true, Ubuntu: true, Alpine: true, RedHat: true, RockyLinux: true, AlmaLinux: true,
	"SUSE": true, "openSUSE": true, "Mageia": true, "Wolfi": true, "Chainguard": true,
	"openEuler": true, "Photon OS": true, "Azure Linux": true, "MinimOS": true,
	"Alpaquita": true, "BellSoft Hardened Containers": true, "Echo": true, "CleanStart": true,
	"Docker Hardened Images": true, "TuxCare": true, "Android": true,
}

// Ecosystem is a parsed OSV ecosystem string such as "Debian:12",
// "Ubuntu:Pro:22.04:LTS", "Alpine:v3.18",
// "Red Hat:enterprise_linux:9::baseos" or "PyPI".
type Ecosystem struct {
	// Raw is the string as written.
	Raw string `json:"raw"`
	// Name is the part before the first colon: "Debian", "Red Hat",
	// "PyPI".
	Name string `json:"name"`
	// Release is the distribution release advisories are keyed by, in a
	// canonical form: "12" (Debian), "22.04" (Ubuntu), "v3.18" (Alpine),
	// "9" (the major release for Red Hat, Rocky Linux and AlmaLinux).
	// Empty for language ecosystems, and for a distribution ecosystem
	// that names no release this package understands.
	Release string `json:"release,omitempty"`
	// Variant is Ubuntu's archive variant ("Pro", "Pro:FIPS-updates"),
	// empty for the main archive.
	Variant string `json:"variant,omitempty"`
	// Stream is Red Hat's product ("enterprise_linux", "rhel_eus") and
	// StreamVersion its version ("9", "9.2").
	Stream        string `json:"stream,omitempty"`
	StreamVersion string `json:"stream_version,omitempty"`
	// Repository is Red Hat's repository ("baseos", "appstream").
	Repository string `json:"repository,omitempty"`
	// Minor is a Red Hat host's major.minor release ("9.3"), matched
	// against streams pinned to a minor release; empty in advisories.
	Minor string `json:"minor,omitempty"`
}

// Parse parses an OSV ecosystem string. It never fails: what it does not
// understand is kept in Raw and matched only exactly.
func Parse(s string) Ecosystem {
	s = strings.TrimSpace(s)
	name, suffix, _ := strings.Cut(s, ":")
	e := Ecosystem{Raw: s, Name: name}
	switch name {
	case Debian:
		e.Release = debianRelease(suffix)
	case Ubuntu:
		e.Release, e.Variant = ubuntuRelease(suffix)
	case Alpine:
		e.Release = alpineRelease(suffix)
	case RockyLinux, AlmaLinux:
		e.Release = major(suffix)
	case RedHat:
		// CPE-like: product:version[:update[:repository]].
		parts := strings.Split(suffix, ":")
		e.Stream = parts[0]
		if len(parts) > 1 {
			e.StreamVersion = parts[1]
		}
		if len(parts) > 3 {
			e.Repository = parts[3]
		}
		if e.Stream == rhelMain || rhelPinnedStreams[e.Stream] {
			e.Release = major(e.StreamVersion)
		}
	}
	return e
}

// String returns the ecosystem as written.
func (e Ecosystem) String() string { return e.Raw }

// IsDistribution tells whether the ecosystem is an operating system
// distribution's rather than a language package registry's.
func (e Ecosystem) IsDistribution() bool { return distributions[e.Name] }

// knownReleases are the distributions whose release strings Parse reads.
var knownReleases = map[string]bool{
	Debian: true, Ubuntu: true, Alpine: true, RedHat: true, RockyLinux: true, AlmaLinux: true,
}

// Matchable tells whether packages can be matched under the ecosystem: a
// language ecosystem, a distribution whose release Parse understood, or
// another distribution (matched by its exact string).
func (e Ecosystem) Matchable() bool {
	return !knownReleases[e.Name] || e.Release != ""
}

// Key is what an index files advisories under so that every advisory
// that can apply to a host shares the host's key: the name for language
// ecosystems, name and release for the distributions this package
// understands, the raw string for others.
func (e Ecosystem) Key() string {
	switch {
	case !e.IsDistribution():
		return e.Name
	case e.Release != "":
		return e.Name + ":" + e.Release
	}
	return e.Raw
}

// Applies tells whether an advisory published under the ecosystem adv
// applies to a package of a host whose package ecosystem is host: the
// same language ecosystem, or the same distribution and release. For
// Ubuntu the main archive and Ubuntu Pro apply to every host of the
// release, other variants (FIPS, real-time) only to hosts that declare
// that variant. For Red Hat every repository of the main stream of the
// same major release applies, and a stream pinned to a minor release
// (rhel_eus:9.2) only to hosts of that minor release.
func Applies(adv, host Ecosystem) bool {
	if adv.Name != host.Name {
		return false
	}
	if !adv.IsDistribution() {
		return true
	}
	if adv.Release == "" || host.Release == "" {
		// Not understood, or no release named: only the exact string.
		return adv.Release == "" && host.Release == "" && adv.Raw == host.Raw
	}
	if adv.Release != host.Release {
		return false
	}
	switch adv.Name {
	case Ubuntu:
		return adv.Variant == "" || adv.Variant == "Pro" || adv.Variant == host.Variant
	case RedHat:
		if adv.Stream == rhelMain {
			return true
		}
		return host.Minor != "" && adv.StreamVersion == host.Minor
	}
	return true
}

var debianCodenames = map[string]string{
	"buzz": "1.1", "rex": "1.2", "bo": "1.3", "hamm": "2", "slink": "2.1", "potato": "2.2",
	"woody": "3", "sarge": "3.1", "etch": "4", "lenny": "5", "squeeze": "6", "wheezy": "7",
	"jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12",
	"trixie": "13", "forky": "14", "duke": "15",
}

// debianRelease returns the major release of "12", "12.11", "bookworm"
// or "trixie/sid".
func debianRelease(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if code, _, ok := strings.Cut(s, "/"); ok {
		s = code
	}
	if n, ok := debianCodenames[s]; ok {
		s = n
	}
	return major(s)
}

var ubuntuCodenames = map[string]string{
	"trusty": "14.04", "xenial": "16.04", "bionic": "18.04", "focal": "20.04", "groovy": "20.10",
	"hirsute": "21.04", "impish": "21.10", "jammy": "22.04", "kinetic": "22.10", "lunar": "23.04",
	"mantic": "23.10", "noble": "24.04", "oracular": "24.10", "plucky": "25.04", "questing": "25.10",
	"resolute": "26.04",
}

// ubuntuRelease reads "22.04:LTS", "24.10", "Pro:18.04:LTS" or
// "Pro:FIPS-updates:22.04:LTS": the release is the part that looks like
// YY.MM, the variant what comes before it.
func ubuntuRelease(s string) (release, variant string) {
	parts := strings.Split(s, ":")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if n, ok := ubuntuCodenames[strings.ToLower(p)]; ok {
			p = n
		}
		if isYYMM(p) {
			return p, strings.Join(parts[:i], ":")
		}
		if y, m, ok := yymmPrefix(p); ok {
			return y + "." + m, strings.Join(parts[:i], ":")
		}
	}
	return "", ""
}

func isYYMM(s string) bool {
	y, m, ok := strings.Cut(s, ".")
	return ok && len(y) == 2 && len(m) == 2 && allDigits(y) && allDigits(m)
}

// yymmPrefix reads the YY.MM of "22.04.3".
func yymmPrefix(s string) (string, string, bool) {
	f := strings.Split(s, ".")
	if len(f) < 3 {
		return "", "", false
	}
	if isYYMM(f[0] + "." + f[1]) {
		return f[0], f[1], true
	}
	return "", "", false
}

// alpineRelease returns "v3.18" for "v3.18", "3.18" or "3.18.4", and
// "edge" for edge.
func alpineRelease(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "edge" {
		return "edge"
	}
	s = strings.TrimPrefix(s, "v")
	f := strings.Split(s, ".")
	if len(f) < 2 || !allDigits(f[0]) {
		return ""
	}
	minor := f[1]
	if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minor = minor[:i]
	}
	if !allDigits(minor) {
		return ""
	}
	return "v" + f[0] + "." + minor
}

// major returns the leading number of "9", "9.3" or "9.3.2".
func major(s string) string {
	s = strings.TrimSpace(s)
	m, _, _ := strings.Cut(s, ".")
	if !allDigits(m) {
		return ""
	}
	if t := strings.TrimLeft(m, "0"); t != "" {
		return t
	}
	return "0"
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
