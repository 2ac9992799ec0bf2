//go:build e2e

package e2e

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// findingJSON is a vulnerability finding as the API returns it.
type findingJSON struct {
	AgentID      string   `json:"agent_id"`
	Package      string   `json:"package"`
	Version      string   `json:"version"`
	FixedVersion string   `json:"fixed_version"`
	VulnID       string   `json:"vuln_id"`
	Advisories   []string `json:"advisories"`
	Ecosystem    string   `json:"ecosystem"`
}

// sourcePackage is a Debian source package installed here: its version
// and the binary packages built from it.
type sourcePackage struct {
	version  string
	binaries []string
}

// installedSources reads dpkg's installed packages by source.
func installedSources(t *testing.T) map[string]*sourcePackage {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Abbrev}\t${Package}\t${source:Package}\t${source:Version}\n").Output()
	if err != nil {
		t.Skipf("dpkg-query: %v", err)
	}
	srcs := map[string]*sourcePackage{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 || !strings.HasPrefix(f[0], "ii") {
			continue
		}
		s := srcs[f[2]]
		if s == nil {
			s = &sourcePackage{version: f[3]}
			srcs[f[2]] = s
		}
		if s.version == f[3] {
			s.binaries = append(s.binaries, f[1])
		}
	}
	return srcs
}

// TestVulnerabilities: a real agent inventories this Debian 12 host's
// packages; advisories written for the purpose, naming the installed
// source versions, are imported with the CLI; the center finds exactly
// the packages whose installed revision lacks the fix, for every binary
// package of the source, and tells the upgrade command.
func TestVulnerabilities(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("reading the package database needs root")
		}
		t.Skip("reading the package database needs root")
	}
	osRelease, err := os.ReadFile("/etc/os-release")
	if err != nil || !strings.Contains(string(osRelease), `VERSION_ID="12"`) || !strings.Contains(string(osRelease), "ID=debian") {
		t.Skip("the advisories are written for Debian 12")
	}
	srcs := installedSources(t)
	openssl, zlib, base := srcs["openssl"], srcs["zlib"], srcs["base-files"]
	if openssl == nil || zlib == nil || base == nil {
		t.Skip("openssl, zlib or base-files is not installed")
	}
	t.Parallel()
	dir := t.TempDir()

	// The advisories: openssl lacks a fix made after its installed
	// revision; zlib has the fix of its installed revision; base-files
	// was fixed long before.
	later := openssl.version + "+vigil1"
	records := []map[string]any{
		debianAdvisory("DSA-9001-1", "CVE-2099-1001", "openssl", later),
		debianAdvisory("DSA-9002-1", "CVE-2099-1002", "zlib", zlib.version),
		debianAdvisory("DEBIAN-CVE-2099-1003", "CVE-2099-1003", "base-files", "1.0"),
		{"id": "DSA-9003-1", "modified": "2099-01-01T00:00:00Z", "upstream": []string{"CVE-2099-1004"},
			"affected": []any{map[string]any{"package": map[string]any{"ecosystem": "Debian:11", "name": "openssl"},
				"ranges": []any{map[string]any{"type": "ECOSYSTEM", "events": []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": later}}}}}}},
	}
	export := filepath.Join(dir, "Debian", "all.zip")
	writeExport(t, export, records)

	c := startCenter(t, filepath.Join(dir, "center"))
	agent := c.startAgent(t, filepath.Join(dir, "agent"), c.joinToken("--ttl", "1h"))
	defer agent.stop(t)
	var id string
	waitFor(t, 60*time.Second, "agent online", func() bool {
		for _, a := range c.agents() {
			if a.Status == "online" {
				id = a.ID
				return true
			}
		}
		return false
	})
	waitFor(t, 120*time.Second, "the package inventory", func() bool {
		return len(c.assets("kind=package&agent_id="+id+"&name=base-files")) == 1
	})

	out, err := c.cli("vulndb", "import", export)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("vigil vulndb import:\n%s", out)

	want := slices.Clone(openssl.binaries)
	slices.Sort(want)
	var got []findingJSON
	waitFor(t, 60*time.Second, "the findings", func() bool {
		var page struct{ Items []findingJSON }
		if code := c.api("GET", "/vulns?limit=1000&agent_id="+id, nil, &page); code != 200 {
			t.Fatalf("GET /vulns: %d", code)
		}
		got = page.Items
		return len(got) >= len(want)
	})
	var pkgs []string
	for _, f := range got {
		pkgs = append(pkgs, f.Package)
		if f.VulnID != "CVE-2099-1001" || f.FixedVersion != later || f.Ecosystem != "Debian:12" ||
			!slices.Equal(f.Advisories, []string{"DSA-9001-1"}) {
			t.Errorf("finding %+v: want CVE-2099-1001 of DSA-9001-1 fixed in %s", f, later)
		}
	}
	slices.Sort(pkgs)
	if !slices.Equal(pkgs, want) {
		t.Errorf("findings for %v, want every binary package of openssl: %v", pkgs, want)
	}

	var patches struct {
		Command string `json:"command"`
		Items   []struct {
			Package      string `json:"package"`
			FixedVersion string `json:"fixed_version"`
		} `json:"items"`
	}
	if code := c.api("GET", "/patches?agent_id="+id, nil, &patches); code != 200 {
		t.Fatalf("GET /patches: %d", code)
	}
	if !strings.HasPrefix(patches.Command, "apt-get update && apt-get install --only-upgrade -y ") || len(patches.Items) != len(want) {
		t.Errorf("patches %+v", patches)
	}
	for _, b := range want {
		if !strings.Contains(patches.Command, " "+b) {
			t.Errorf("the upgrade command %q does not name %s", patches.Command, b)
		}
	}
	out, err = c.cli("vulns", "list", "--agent", id, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var listed []findingJSON
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed) != len(want) {
		t.Errorf("vigil vulns list: %d findings (%v), want %d", len(listed), err, len(want))
	}
}

// debianAdvisory is a Debian 12 advisory for a source package fixed in a
// version.
func debianAdvisory(id, cve, source, fixed string) map[string]any {
	return map[string]any{
		"id": id, "modified": "2099-01-01T00:00:00Z", "upstream": []string{cve},
		"summary": fmt.Sprintf("%s - security update", source),
		"affected": []any{map[string]any{
			"package": map[string]any{"ecosystem": "Debian:12", "name": source},
			"ranges":  []any{map[string]any{"type": "ECOSYSTEM", "events": []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": fixed}}}},
		}},
	}
}

// writeExport writes records as an OSV zip export.
func writeExport(t *testing.T, path string, records []map[string]any) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, r := range records {
		w, err := zw.Create(r["id"].(string) + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.NewEncoder(w).Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWeakPasswords: a redis without a password, started by the test on
// loopback, is found by a real agent's risk/services collector and listed
// by the API and the CLI, with no password anywhere.
func TestWeakPasswords(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("the service checks need root")
		}
		t.Skip("the service checks need root")
	}
	redis, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("VIGIL_REQUIRE_MIDDLEWARE") == "1" {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed")
	}
	t.Parallel()
	dir := t.TempDir()
	port := freePort(t)
	srv := start(t, filepath.Join(dir, "redis.log"), nil, redis, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	defer srv.stop(t)

	c := startCenter(t, filepath.Join(dir, "center"))
	agent := c.startAgent(t, filepath.Join(dir, "agent"), c.joinToken("--ttl", "1h"))
	defer agent.stop(t)
	var id string
	waitFor(t, 60*time.Second, "agent online", func() bool {
		for _, a := range c.agents() {
			if a.Status == "online" {
				id = a.ID
				return true
			}
		}
		return false
	})
	type weakJSON struct {
		Key      string         `json:"key"`
		Target   string         `json:"target"`
		Type     string         `json:"type"`
		Severity string         `json:"severity"`
		Fields   map[string]any `json:"fields"`
	}
	want := fmt.Sprintf("redis:127.0.0.1:%d:no_auth", port)
	var found weakJSON
	waitFor(t, 180*time.Second, "the open redis among the weak passwords", func() bool {
		var page struct{ Items []weakJSON }
		if code := c.api("GET", "/weak-passwords?limit=1000&target=redis&agent_id="+id, nil, &page); code != 200 {
			t.Fatalf("GET /weak-passwords: %d", code)
		}
		for _, w := range page.Items {
			if w.Key == want {
				found = w
				return true
			}
		}
		return false
	})
	if found.Type != "no_auth" || found.Severity == "" {
		t.Errorf("finding %+v", found)
	}
	out, err := c.cli("weak-passwords", "list", "--agent", id, "--target", "redis")
	if err != nil || !strings.Contains(out, "no_auth") {
		t.Errorf("vigil weak-passwords list: %q, %v", out, err)
	}
}
