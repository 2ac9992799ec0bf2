package match

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/vuln/ecosystem"
	"github.com/vigilsec/vigil/internal/vuln/osv"
)

type dpkgPackage struct {
	name, version, source, sourceVersion string
}

// installedDebs lists this machine's installed Debian packages as the
// inventory reports them.
func installedDebs(t *testing.T) []dpkgPackage {
	t.Helper()
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("dpkg-query is not installed: not a Debian-family machine")
	}
	out, err := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Status}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	var pkgs []dpkgPackage
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 5 || f[0] != "installed" || f[2] == "" {
			continue
		}
		pkgs = append(pkgs, dpkgPackage{name: f[1], version: f[2], source: f[3], sourceVersion: f[4]})
	}
	if len(pkgs) == 0 {
		t.Skip("no installed packages listed")
	}
	return pkgs
}

// hostEcosystem reads /etc/os-release as the agent reports the platform.
func hostEcosystem(t *testing.T) ecosystem.Ecosystem {
	t.Helper()
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Skipf("no os-release: %v", err)
	}
	var id, version string
	for _, line := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(line, "=")
		v = strings.Trim(v, `"`)
		switch k {
		case "ID":
			id = v
		case "VERSION_ID":
			version = v
		}
	}
	e, err := ecosystem.ForOS(id, version)
	if err != nil {
		t.Skipf("this machine's OS has no ecosystem here: %v", err)
	}
	if e.Name != ecosystem.Debian && e.Name != ecosystem.Ubuntu {
		t.Skipf("%s is not a dpkg-based distribution", e.Raw)
	}
	return e
}

// TestInstalledDebianPackages matches this machine's real packages
// against advisories made for each source package: one fixed at the
// installed source version (no hit: the package carries the fix) and one
// fixed in a later revision (a hit naming that fix). Each binary is
// matched through its source, with the source version when dpkg reports
// one that differs.
func TestInstalledDebianPackages(t *testing.T) {
	pkgs := installedDebs(t)
	host := hostEcosystem(t)
	versions := ecosystem.NewVersions(1024)

	// One advisory pair per source version found.
	type srcKey struct{ name, version string }
	sources := map[srcKey]bool{}
	b := NewBuilder()
	modified := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range pkgs {
		k := srcKey{p.source, p.sourceVersion}
		if sources[k] {
			continue
		}
		sources[k] = true
		later := p.sourceVersion + ".1"
		if c, err := versions.Compare(ecosystem.Debian, later, p.sourceVersion); err != nil || c <= 0 {
			t.Fatalf("%s: %q does not sort after %q (%d, %v)", p.source, later, p.sourceVersion, c, err)
		}
		for _, a := range []struct{ id, fix string }{
			{"TEST-FIXED-" + p.source + "-" + p.sourceVersion, p.sourceVersion},
			{"TEST-LATER-" + p.source + "-" + p.sourceVersion, later},
		} {
			b.Add(&osv.Record{ID: a.id, Modified: modified, Affected: []osv.Affected{{
				Package: &osv.Package{Ecosystem: host.Raw, Name: p.source},
				Ranges:  []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{{Introduced: "0"}, {Fixed: a.fix}}}},
			}}})
		}
	}
	ix := b.Build()

	withOwnSourceVersion := 0
	for _, p := range pkgs {
		mp := Package{Ecosystem: host, Name: p.name, Version: p.version, SourceName: p.source}
		if p.sourceVersion != p.version {
			mp.SourceVersion = p.sourceVersion
			withOwnSourceVersion++
		}
		hits := ix.Match(mp)
		if len(hits) != 1 {
			t.Errorf("%s %s (source %s %s): %d hits, want 1: %+v", p.name, p.version, p.source, p.sourceVersion, len(hits), hits)
			continue
		}
		h := hits[0]
		wantID := "TEST-LATER-" + p.source + "-" + p.sourceVersion
		if h.VulnerabilityID != wantID || h.FixedVersion != p.sourceVersion+".1" || h.Package != p.source || h.Version != p.sourceVersion {
			t.Errorf("%s %s: hit %+v, want %s fixed in %s.1", p.name, p.version, h, wantID, p.sourceVersion)
		}
	}
	t.Logf("%d installed packages from %d source versions on %s; %d with a source version of their own", len(pkgs), len(sources), host.Raw, withOwnSourceVersion)
}
