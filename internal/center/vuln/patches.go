package vuln

import (
	"cmp"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// Patch is one package upgrade that fixes vulnerabilities: on one host,
// or across the fleet (AgentID empty, Hosts counting them).
type Patch struct {
	AgentID   string `json:"agent_id,omitempty"`
	Ecosystem string `json:"ecosystem"`
	// Kind is the inventory item's kind: package or library.
	Kind    string `json:"kind"`
	Package string `json:"package"`
	// FixedVersion is the version to upgrade to: the highest fixed
	// version among the findings it fixes.
	FixedVersion string `json:"fixed_version"`
	// Versions are the installed versions it replaces.
	Versions []string `json:"versions"`
	// Paths are where the libraries it replaces were found.
	Paths []string `json:"paths,omitempty"`
	// Vulns are the vulnerabilities it fixes; Severity the highest of
	// theirs.
	Vulns          []string `json:"vulns"`
	Severity       string   `json:"severity"`
	KnownExploited bool     `json:"known_exploited"`
	Hosts          int      `json:"hosts"`
	// Command is what applies it on the host ("" when no command does,
	// as for a library bundled in an application).
	Command string `json:"command,omitempty"`
}

// HostPatches groups one host's fixable findings into upgrades, and
// gives the command that applies all the OS package upgrades at once.
// cmpVersion compares two versions of an ecosystem.
func HostPatches(findings []store.VulnFinding, cmpVersion func(ecosystem, a, b string) int) (patches []Patch, command string) {
	patches = groupPatches(findings, cmpVersion, func(f store.VulnFinding) string { return f.AgentID })
	byManager := map[string][]string{}
	for i := range patches {
		p := &patches[i]
		p.Command = upgradeCommand(p.Ecosystem, p.Kind, []string{p.Package}, p.FixedVersion)
		if p.Kind == "package" {
			m := packageManager(p.Ecosystem)
			byManager[m] = append(byManager[m], p.Package)
		}
	}
	var commands []string
	for _, m := range slices.Sorted(mapsKeys(byManager)) {
		if c := upgradeCommandFor(m, byManager[m]); c != "" {
			commands = append(commands, c)
		}
	}
	return patches, strings.Join(commands, " && ")
}

// FleetPatches groups the fleet's fixable findings into upgrades, one
// per ecosystem and package, counting the hosts that need each.
func FleetPatches(findings []store.VulnFinding, cmpVersion func(ecosystem, a, b string) int) []Patch {
	patches := groupPatches(findings, cmpVersion, func(store.VulnFinding) string { return "" })
	for i := range patches {
		p := &patches[i]
		p.Command = upgradeCommand(p.Ecosystem, p.Kind, []string{p.Package}, p.FixedVersion)
	}
	return patches
}

// groupPatches groups fixable findings by agent (as agentOf says),
// ecosystem, kind and package.
func groupPatches(findings []store.VulnFinding, cmpVersion func(ecosystem, a, b string) int, agentOf func(store.VulnFinding) string) []Patch {
	type key struct{ agent, eco, kind, pkg string }
	groups := map[key]*Patch{}
	hosts := map[key]map[string]bool{}
	var order []key
	for _, f := range findings {
		if f.FixedVersion == "" {
			continue
		}
		k := key{agentOf(f), f.Ecosystem, f.AssetKind, f.Package}
		p, ok := groups[k]
		if !ok {
			p = &Patch{AgentID: k.agent, Ecosystem: f.Ecosystem, Kind: f.AssetKind, Package: f.Package,
				FixedVersion: f.FixedVersion, Severity: f.Severity}
			groups[k] = p
			hosts[k] = map[string]bool{}
			order = append(order, k)
		}
		if cmpVersion(f.Ecosystem, f.FixedVersion, p.FixedVersion) > 0 {
			p.FixedVersion = f.FixedVersion
		}
		p.Versions = appendNew(p.Versions, f.Version)
		if f.Path != "" {
			p.Paths = appendNew(p.Paths, f.Path)
		}
		p.Vulns = appendNew(p.Vulns, f.VulnID)
		if SeverityRank(f.Severity) < SeverityRank(p.Severity) {
			p.Severity = f.Severity
		}
		p.KnownExploited = p.KnownExploited || f.KnownExploited
		hosts[k][f.AgentID] = true
	}
	out := make([]Patch, 0, len(order))
	for _, k := range order {
		p := groups[k]
		p.Hosts = len(hosts[k])
		slices.Sort(p.Versions)
		slices.Sort(p.Paths)
		slices.Sort(p.Vulns)
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Patch) int {
		return cmp.Or(
			cmp.Compare(a.AgentID, b.AgentID),
			cmp.Compare(SeverityRank(a.Severity), SeverityRank(b.Severity)),
			boolFirst(a.KnownExploited, b.KnownExploited),
			cmp.Compare(len(b.Vulns), len(a.Vulns)),
			cmp.Compare(b.Hosts, a.Hosts),
			cmp.Compare(a.Ecosystem, b.Ecosystem),
			cmp.Compare(a.Package, b.Package))
	})
	return out
}

// boolFirst orders true before false.
func boolFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	default:
		return 1
	}
}

// appendNew appends s unless it is empty or already there.
func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// mapsKeys returns a map's keys.
func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Severities, most severe first.
var severities = []string{"critical", "high", "medium", "low", "none", "unknown"}

// SeverityRank orders severities: 0 for critical, higher for less severe
// (an unknown word ranks last).
func SeverityRank(s string) int {
	if i := slices.Index(severities, s); i >= 0 {
		return i
	}
	return len(severities)
}

// packageManager names the package manager of an OS ecosystem ("" for a
// language ecosystem).
func packageManager(ecosystem string) string {
	family, _, _ := strings.Cut(ecosystem, ":")
	switch family {
	case "Debian", "Ubuntu":
		return "apt"
	case "Alpine":
		return "apk"
	case "Red Hat", "Rocky Linux", "AlmaLinux", "CentOS", "Oracle Linux", "Fedora", "openEuler":
		return "dnf"
	case "SUSE", "openSUSE":
		return "zypper"
	}
	return ""
}

// upgradeCommand returns the command that applies an upgrade, "" when
// there is none to give (a library bundled in an application is rebuilt,
// not upgraded in place).
func upgradeCommand(ecosystem, kind string, pkgs []string, fixed string) string {
	if kind == "package" {
		return upgradeCommandFor(packageManager(ecosystem), pkgs)
	}
	name := pkgs[0]
	switch ecosystem {
	case "PyPI":
		return "pip install --upgrade " + shellQuote(name+">="+fixed)
	case "npm":
		return "npm install " + shellQuote(name+"@"+fixed)
	case "Go":
		return "go get " + shellQuote(name+"@"+goVersion(fixed)) + " && go mod tidy"
	case "RubyGems":
		return "bundle update " + shellQuote(name) + " # to " + fixed + " or later"
	case "Packagist":
		return "composer require " + shellQuote(name+":^"+fixed)
	case "crates.io":
		return "cargo update -p " + shellQuote(name) + " --precise " + shellQuote(fixed)
	case "NuGet":
		return "dotnet add package " + shellQuote(name) + " --version " + shellQuote(fixed)
	}
	return ""
}

// upgradeCommandFor returns a package manager's command upgrading pkgs.
func upgradeCommandFor(manager string, pkgs []string) string {
	quoted := make([]string, len(pkgs))
	for i, p := range pkgs {
		quoted[i] = shellQuote(p)
	}
	list := strings.Join(quoted, " ")
	switch manager {
	case "apt":
		return "apt-get update && apt-get install --only-upgrade -y " + list
	case "apk":
		return "apk upgrade --update-cache " + list
	case "dnf":
		return "dnf upgrade -y " + list
	case "zypper":
		return "zypper update -y " + list
	}
	return ""
}

// goVersion writes a Go module version with its "v".
func goVersion(v string) string {
	if strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+:@/=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
