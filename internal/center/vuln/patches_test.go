package vuln

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/store"
)

// naiveCompare orders versions as plain strings, which the versions
// below allow.
func naiveCompare(_, a, b string) int { return strings.Compare(a, b) }

func TestHostPatches(t *testing.T) {
	fs := []store.VulnFinding{
		{AgentID: "a1", AssetKind: "package", Ecosystem: "Debian:12", Package: "libssl3", Version: "3.0.11-1~deb12u1",
			FixedVersion: "3.0.11-1~deb12u2", VulnID: "CVE-2023-5363", Severity: "high"},
		{AgentID: "a1", AssetKind: "package", Ecosystem: "Debian:12", Package: "libssl3", Version: "3.0.11-1~deb12u1",
			FixedVersion: "3.0.13-1~deb12u1", VulnID: "CVE-2024-0727", Severity: "medium", KnownExploited: true},
		{AgentID: "a1", AssetKind: "package", Ecosystem: "Debian:12", Package: "openssl", Version: "3.0.11-1~deb12u1",
			FixedVersion: "3.0.11-1~deb12u2", VulnID: "CVE-2023-5363", Severity: "high"},
		{AgentID: "a1", AssetKind: "package", Ecosystem: "Debian:12", Package: "zlib1g", Version: "1:1.2.13.dfsg-1",
			VulnID: "CVE-2023-45853", Severity: "critical"}, // no fix: no patch
		{AgentID: "a1", AssetKind: "library", Ecosystem: "Maven", Package: "org.apache.logging.log4j:log4j-core", Version: "2.14.1",
			FixedVersion: "2.15.0", VulnID: "CVE-2021-44228", Severity: "critical", KnownExploited: true,
			Path: "/var/lib/tomcat10/webapps/shop.war!/WEB-INF/lib/log4j-core-2.14.1.jar"},
		{AgentID: "a1", AssetKind: "library", Ecosystem: "PyPI", Package: "django", Version: "4.2.1",
			FixedVersion: "4.2.2", VulnID: "CVE-2023-36053", Severity: "high"},
	}
	patches, command := HostPatches(fs, naiveCompare)
	if want := "apt-get update && apt-get install --only-upgrade -y libssl3 openssl"; command != want {
		t.Errorf("command %q, want %q", command, want)
	}
	var got []string
	for _, p := range patches {
		got = append(got, strings.Join([]string{p.Ecosystem, p.Package, p.FixedVersion, strings.Join(p.Vulns, ","), p.Severity, p.Command}, " | "))
	}
	want := []string{
		"Maven | org.apache.logging.log4j:log4j-core | 2.15.0 | CVE-2021-44228 | critical | ",
		"Debian:12 | libssl3 | 3.0.13-1~deb12u1 | CVE-2023-5363,CVE-2024-0727 | high | apt-get update && apt-get install --only-upgrade -y libssl3",
		"Debian:12 | openssl | 3.0.11-1~deb12u2 | CVE-2023-5363 | high | apt-get update && apt-get install --only-upgrade -y openssl",
		"PyPI | django | 4.2.2 | CVE-2023-36053 | high | pip install --upgrade 'django>=4.2.2'",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("patches (-want +got):\n%s", d)
	}
	if !patches[1].KnownExploited || patches[1].Hosts != 1 {
		t.Errorf("libssl3 patch %+v", patches[1])
	}
}

func TestFleetPatches(t *testing.T) {
	var fs []store.VulnFinding
	for _, agent := range []string{"a1", "a2", "a3"} {
		fs = append(fs, store.VulnFinding{AgentID: agent, AssetKind: "package", Ecosystem: "Debian:12", Package: "openssl",
			Version: "3.0.11-1~deb12u1", FixedVersion: "3.0.11-1~deb12u2", VulnID: "CVE-2023-5363", Severity: "high"})
	}
	fs = append(fs, store.VulnFinding{AgentID: "a2", AssetKind: "package", Ecosystem: "Alpine:v3.18", Package: "busybox",
		Version: "1.36.1-r0", FixedVersion: "1.36.1-r1", VulnID: "CVE-2022-48174", Severity: "critical"})
	got := FleetPatches(fs, naiveCompare)
	if len(got) != 2 || got[0].Package != "busybox" || got[0].Hosts != 1 || got[1].Hosts != 3 ||
		got[1].AgentID != "" || got[0].Command != "apk upgrade --update-cache busybox" {
		t.Errorf("fleet patches %+v", got)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"libssl3": "libssl3", "a b": "'a b'", "it's": `'it'\''s'`, "": "''", "x>=1": "'x>=1'", "$(id)": "'$(id)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
