package vuln

import (
	"archive/zip"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/center/vuln/feed"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// Records written for the test, carrying real advisories' facts.
const (
	// DSA-5532-1: openssl in bookworm, fixed in 3.0.11-1~deb12u2.
	dsaOpenSSL = `{"id":"DSA-5532-1","modified":"2023-10-25T00:00:00Z","published":"2023-10-24T00:00:00Z",
 "aliases":[],"upstream":["CVE-2023-5363"],"summary":"openssl - security update",
 "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}]}]}`
	// The same advisory, revised with a later fix.
	dsaOpenSSLRevised = `{"id":"DSA-5532-1","modified":"2023-11-02T00:00:00Z","published":"2023-10-24T00:00:00Z",
 "upstream":["CVE-2023-5363"],"summary":"openssl - security update (revised)",
 "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u3"}]}]}]}`
	// CVE-2023-4807 was fixed in bookworm's 3.0.11-1~deb12u1: a host
	// with that revision has no finding.
	debianCVE4807 = `{"id":"DEBIAN-CVE-2023-4807","modified":"2023-09-20T00:00:00Z",
 "upstream":["CVE-2023-4807"],"details":"POLY1305 MAC implementation corrupts XMM registers on Windows",
 "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u1"}]}]}]}`
	// GHSA-jfh8-c2jp-5v3q: Log4Shell.
	ghsaLog4Shell = `{"id":"GHSA-jfh8-c2jp-5v3q","modified":"2021-12-10T00:00:00Z","published":"2021-12-10T00:00:00Z",
 "aliases":["CVE-2021-44228"],"summary":"Remote code injection in Log4j",
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
 "affected":[{"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0-beta9"},{"fixed":"2.15.0"}]}]}]}`
	// CISA's catalogue, with Log4Shell.
	kevCatalog = `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.11.20",
 "dateReleased":"2026-11-20T15:00:00.000Z","count":1,"vulnerabilities":[{"cveID":"CVE-2021-44228",
 "vendorProject":"Apache","product":"Log4j2","vulnerabilityName":"Apache Log4j2 Remote Code Execution Vulnerability",
 "dateAdded":"2021-12-10","shortDescription":"JNDI features do not protect against attacker-controlled JNDI-related endpoints.",
 "requiredAction":"Apply updates per vendor instructions.","dueDate":"2021-12-24","knownRansomwareCampaignUse":"Known","notes":""}]}`
)

// writeZip writes an OSV export of records.
func writeZip(t *testing.T, path string, records ...string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, r := range records {
		var id struct{ ID string }
		if err := json.Unmarshal([]byte(r), &id); err != nil {
			t.Fatalf("record: %v", err)
		}
		w, err := zw.Create(id.ID + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(r)); err != nil {
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

// inventory keeps one agent's collector sets as an agent would send them.
type inventory struct {
	t     *testing.T
	st    store.Store
	agent string
	sets  map[string]map[string]store.AssetRecord // collector -> id -> item
}

// item makes an inventory item.
func item(t *testing.T, kind, key, name, version string, fields map[string]any) store.AssetRecord {
	t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return store.AssetRecord{Kind: kind, Key: key, Name: name, Version: version, Fields: b,
		Hash: event.AssetHash(kind, key, name, version, b)}
}

// replace makes a collector's set exactly items.
func (inv *inventory) replace(collector string, items ...store.AssetRecord) {
	t := inv.t
	t.Helper()
	old := inv.sets[collector]
	digest := func(m map[string]store.AssetRecord) string {
		h := map[string][32]byte{}
		for id, r := range m {
			h[id] = r.Hash
		}
		return event.InventoryDigest(h)
	}
	next := map[string]store.AssetRecord{}
	for _, it := range items {
		next[it.Kind+"\x00"+it.Key] = it
	}
	var removed []store.AssetRef
	for id, r := range old {
		if _, ok := next[id]; !ok {
			removed = append(removed, store.AssetRef{Kind: r.Kind, Key: r.Key})
		}
	}
	res, err := inv.st.Inventory().Apply(context.Background(), store.InventoryChanges{
		AgentID: inv.agent, Collector: collector, BaseDigest: digest(old), Digest: digest(next),
		Upserts: items, Removed: removed, At: time.Now().UTC(), Last: true,
	})
	if err != nil || res.Resync {
		t.Fatalf("apply %s: %+v, %v", collector, res, err)
	}
	inv.sets[collector] = next
}

// debPackage makes a Debian package item as os/packages reports it.
func debPackage(t *testing.T, name, source, version string) store.AssetRecord {
	return item(t, event.AssetPackage, "deb:"+name+":amd64", name, version, map[string]any{"package": map[string]any{
		"name": name, "version": version, "type": "deb", "source": source, "architecture": "amd64",
		"install_status": "installed"}})
}

// findings returns an agent's findings as "package vuln fixed" lines
// with flags.
func findings(t *testing.T, st store.Store, agent string) ([]string, []store.VulnFinding) {
	t.Helper()
	list, _, err := st.Vulns().ListFindings(context.Background(), store.VulnFindingFilter{AgentID: agent, Page: store.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, f := range list {
		line := f.Package + " " + f.VulnID + " " + f.Severity + " fixed=" + f.FixedVersion
		if f.KnownExploited {
			line += " kev"
		}
		if f.Running {
			line += " running"
		}
		if f.Listening {
			line += " listening"
		}
		lines = append(lines, line)
	}
	slices.Sort(lines)
	return lines, list
}

// waitFindings waits until an agent's findings are want.
func waitFindings(t *testing.T, st store.Store, agent string, want []string) []store.VulnFinding {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, list := findings(t, st, agent)
		if slices.Equal(got, want) {
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("findings of %s:\n  %s\nwant:\n  %s", agent, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitJob waits for a job to end and returns it.
func waitJob(t *testing.T, s *Service, id string) Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j, ok := s.Job(id)
		if !ok {
			t.Fatalf("job %s unknown", id)
		}
		if j.State != JobRunning {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still running: %+v", id, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestService imports advisories and the known exploited catalogue into
// a real SQLite store, matches a Debian 12 host's packages, libraries and
// processes, and follows the host's upgrades and the database's changes.
func TestService(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	agent := store.Agent{ID: "agent-1", Hostname: "oa-web-01", Status: store.StatusOnline, Platform: "debian",
		PlatformVersion: "12.11", OS: "linux", Labels: map[string]string{}, UserKey: "UAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}
	if err := st.Agents().Create(ctx, agent); err != nil {
		t.Fatal(err)
	}
	inv := &inventory{t: t, st: st, agent: agent.ID, sets: map[string]map[string]store.AssetRecord{}}
	inv.replace("os/packages",
		debPackage(t, "openssl", "openssl", "3.0.11-1~deb12u1"),
		debPackage(t, "libssl3", "openssl", "3.0.11-1~deb12u1"),
		debPackage(t, "zlib1g", "zlib", "1:1.2.13.dfsg-1"))
	log4jPath := "/var/lib/tomcat10/webapps/shop.war!/WEB-INF/lib/log4j-core-2.14.1.jar"
	inv.replace("app/libraries", item(t, event.AssetLibrary, "maven:org.apache.logging.log4j:log4j-core@2.14.1:"+log4jPath,
		"org.apache.logging.log4j:log4j-core", "2.14.1", map[string]any{"package": map[string]any{
			"name": "org.apache.logging.log4j:log4j-core", "version": "2.14.1", "type": "maven", "path": log4jPath}}))
	inv.replace("proc/processes", item(t, event.AssetProcess, "tomcat@java#1", "java", "", map[string]any{
		"process": map[string]any{"executable": "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
			"args": []string{"java", "-Dcatalina.base=/var/lib/tomcat10", "org.apache.catalina.startup.Bootstrap", "start"}},
		"package": map[string]any{"name": "openjdk-17-jre-headless"},
		"vigil":   map[string]any{"process": map[string]any{"listening": []string{"tcp/0.0.0.0:8080"}}},
	}))

	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: st, TempDir: tmp, Sweep: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	// The database: a Debian export and a GitHub record, then KEV.
	export := filepath.Join(dir, "Debian-all.zip")
	writeZip(t, export, dsaOpenSSL, debianCVE4807, `{"id":"BROKEN-1","modified":"yesterday"}`)
	j, err := s.Import(export, "Debian", "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	if j = waitJob(t, s, j.ID); j.State != JobDone || j.Added != 2 || j.Rejected != 1 || len(j.Problems) != 1 {
		t.Fatalf("Debian import: %+v", j)
	}
	if _, err := s.Import(export, "Debian", "alice", false); err != nil && err != ErrBusy {
		t.Fatal(err)
	}
	ghsa := filepath.Join(dir, "GHSA-jfh8-c2jp-5v3q.json")
	kev := filepath.Join(dir, "known_exploited_vulnerabilities.json")
	for path, body := range map[string]string{ghsa: ghsaLog4Shell, kev: kevCatalog} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, imp := range []struct{ path, source string }{{ghsa, "GitHub"}, {kev, "kev"}} {
		var j Job
		for {
			j, err = s.Import(imp.path, imp.source, "alice", false)
			if err != ErrBusy {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		if j = waitJob(t, s, j.ID); j.State != JobDone {
			t.Fatalf("import of %s: %+v", imp.source, j)
		}
	}

	list := waitFindings(t, st, agent.ID, []string{
		"libssl3 CVE-2023-5363 unknown fixed=3.0.11-1~deb12u2",
		"openssl CVE-2023-5363 unknown fixed=3.0.11-1~deb12u2",
		"org.apache.logging.log4j:log4j-core CVE-2021-44228 critical fixed=2.15.0 kev running listening",
	})
	var log4jFirstSeen time.Time
	for _, f := range list {
		if f.VulnID == "CVE-2021-44228" {
			log4jFirstSeen = f.FirstSeen
			if f.Score != 10 || f.Path != log4jPath || !slices.Equal(f.Advisories, []string{"GHSA-jfh8-c2jp-5v3q"}) {
				t.Errorf("log4j finding %+v", f)
			}
		}
	}

	// The host upgrades openssl: its findings go, log4j's stays.
	inv.replace("os/packages",
		debPackage(t, "openssl", "openssl", "3.0.11-1~deb12u2"),
		debPackage(t, "libssl3", "openssl", "3.0.11-1~deb12u2"),
		debPackage(t, "zlib1g", "zlib", "1:1.2.13.dfsg-1"))
	s.InventoryChanged(agent.ID, "os/packages")
	list = waitFindings(t, st, agent.ID, []string{
		"org.apache.logging.log4j:log4j-core CVE-2021-44228 critical fixed=2.15.0 kev running listening",
	})
	if !list[0].FirstSeen.Equal(log4jFirstSeen) {
		t.Errorf("log4j first seen %v, then %v", log4jFirstSeen, list[0].FirstSeen)
	}

	// The advisory is revised with a later fix: the fleet is matched
	// again without the agent sending anything.
	writeZip(t, export, dsaOpenSSLRevised, debianCVE4807)
	for {
		j, err = s.Import(export, "Debian", "alice", false)
		if err != ErrBusy {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if j = waitJob(t, s, j.ID); j.State != JobDone || j.Updated != 1 || j.Unchanged != 1 {
		t.Fatalf("revised import: %+v", j)
	}
	waitFindings(t, st, agent.ID, []string{
		"libssl3 CVE-2023-5363 unknown fixed=3.0.11-1~deb12u3",
		"openssl CVE-2023-5363 unknown fixed=3.0.11-1~deb12u3",
		"org.apache.logging.log4j:log4j-core CVE-2021-44228 critical fixed=2.15.0 kev running listening",
	})

	// The patches of the host.
	all, _, err := st.Vulns().ListFindings(ctx, store.VulnFindingFilter{AgentID: agent.ID, Fixable: true, Page: store.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	patches, command := HostPatches(all, CompareVersions)
	if len(patches) != 3 || command != "apt-get update && apt-get install --only-upgrade -y libssl3 openssl" {
		t.Errorf("patches %+v, command %q", patches, command)
	}

	// The advisories of a CVE are found by it, whether they name it as an
	// alias or as upstream.
	for cve, want := range map[string]string{"CVE-2023-5363": "DSA-5532-1", "CVE-2021-44228": "GHSA-jfh8-c2jp-5v3q"} {
		advs, _, err := st.Vulns().ListAdvisories(ctx, store.AdvisoryFilter{ID: cve})
		if err != nil || len(advs) != 1 || advs[0].ID != want {
			t.Errorf("advisories of %s: %+v, %v; want %s", cve, advs, err, want)
		}
	}

	state := s.State()
	if state.Index.Advisories != 3 || state.Index.KnownExploited != 1 || state.HostsMatched == 0 || state.LastFleetMatch.IsZero() {
		t.Errorf("state %+v", state)
	}

	// A removed agent's findings go at the next fleet match.
	if err := st.Agents().Delete(ctx, agent.ID); err != nil {
		t.Fatal(err)
	}
	s.requestFleet()
	waitFindings(t, st, agent.ID, nil)
}

func TestImportErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(Config{Store: st, TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(filepath.Join(dir, "x.zip"), "../etc", "alice", false); err == nil {
		t.Error("a source named ../etc was accepted")
	}
	// A truncated archive fails the job; nothing is stored.
	export := filepath.Join(dir, "all.zip")
	writeZip(t, export, dsaOpenSSL, ghsaLog4Shell)
	data, err := os.ReadFile(export)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(export, data[:len(data)-40], 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := s.Import(export, "Debian", "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	if j = waitJob(t, s, j.ID); j.State != JobFailed || j.Error == "" {
		t.Errorf("truncated archive: %+v", j)
	}
	if _, err := s.Sync("", "alice"); err == nil || !strings.Contains(err.Error(), "none is configured") {
		t.Errorf("sync without sources: %v", err)
	}
	// An upload is typed by its content.
	p, err := s.SaveUpload(strings.NewReader(ghsaLog4Shell))
	if err != nil || !strings.HasSuffix(p, ".json") {
		t.Fatalf("SaveUpload: %q, %v", p, err)
	}
	j, err = s.Import(p, "GitHub", "alice", true)
	if err != nil {
		t.Fatal(err)
	}
	if j = waitJob(t, s, j.ID); j.State != JobDone || j.Added != 1 {
		t.Errorf("upload import: %+v", j)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the upload was not removed: %v", err)
	}
	if _, err := s.SaveUpload(strings.NewReader("")); err == nil {
		t.Error("an empty upload was accepted")
	}
}

// TestSync syncs a local mirror (a folder as an air-gapped site copies
// in) twice: the second sync finds it unchanged and imports nothing.
func TestSync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mirror := filepath.Join(dir, "mirror")
	if err := os.MkdirAll(filepath.Join(mirror, "Debian"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeZip(t, filepath.Join(mirror, "Debian", "all.zip"), dsaOpenSSL, debianCVE4807)
	if err := os.WriteFile(filepath.Join(mirror, "GHSA-jfh8-c2jp-5v3q.json"), []byte(ghsaLog4Shell), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: st, TempDir: dir, Sources: feed.Config{Sources: []feed.Source{
		{Name: "mirror", URL: "file://" + mirror}, {Name: "off", URL: "/nowhere", Disabled: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.Sync("", "scheduler")
	if err != nil {
		t.Fatal(err)
	}
	if j = waitJob(t, s, j.ID); j.State != JobDone || j.Added != 3 {
		t.Fatalf("first sync: %+v", j)
	}
	srcs, err := st.Vulns().Sources(ctx)
	if err != nil || len(srcs) != 1 || srcs[0].Records != 3 || srcs[0].SHA256 == "" || srcs[0].Error != "" {
		t.Fatalf("sources after the sync: %+v, %v", srcs, err)
	}
	j, err = s.Sync("mirror", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if j = waitJob(t, s, j.ID); j.State != JobDone || j.Added+j.Updated+j.Unchanged != 0 || !strings.Contains(j.Message, "not modified") {
		t.Errorf("second sync: %+v", j)
	}
	if _, err := s.Sync("nope", "alice"); !errors.Is(err, ErrNoSource) {
		t.Errorf("sync of an unknown source: %v", err)
	}
	// A broken mirror fails the job and says why in the source's state.
	if err := os.WriteFile(filepath.Join(mirror, "SHA256SUMS"), []byte(strings.Repeat("0", 64)+"  Debian/all.zip\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err = s.Sync("", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if j = waitJob(t, s, j.ID); j.State != JobFailed || len(j.Problems) != 1 || !strings.Contains(j.Problems[0], "integrity") {
		t.Errorf("sync of a tampered mirror: %+v", j)
	}
	srcs, _ = st.Vulns().Sources(ctx)
	if len(srcs) != 1 || !strings.Contains(srcs[0].Error, "integrity") || srcs[0].Records != 3 {
		t.Errorf("source state after a failed sync: %+v", srcs)
	}
}

// TestSyncHTTPS syncs osv.dev-shaped exports from an HTTPS server whose
// certificate the sources file's ca_file trusts: a zip export and the
// KEV catalogue, each named only by its URL.
func TestSyncHTTPS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	export := filepath.Join(dir, "all.zip")
	writeZip(t, export, dsaOpenSSL, ghsaLog4Shell)
	zipData, err := os.ReadFile(export)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/Debian/all.zip":
			w.Write(zipData)
		case "/feeds/known_exploited_vulnerabilities.json":
			w.Write([]byte(kevCatalog))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(Config{Store: st, TempDir: dir, Sources: feed.Config{CAFile: ca, Sources: []feed.Source{
		{Name: "Debian", URL: srv.URL + "/Debian/all.zip"},
		{Name: "kev", URL: srv.URL + "/feeds/known_exploited_vulnerabilities.json"}}}})
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.Sync("", "scheduler")
	if err != nil {
		t.Fatal(err)
	}
	if j = waitJob(t, s, j.ID); j.State != JobDone || j.Added != 3 {
		t.Fatalf("sync: %+v", j)
	}
	kev, err := st.Vulns().KnownExploited(ctx)
	if err != nil || len(kev) != 1 || kev[0].CVE != "CVE-2021-44228" || !kev[0].Ransomware {
		t.Errorf("known exploited after the sync: %+v, %v", kev, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "vulndb-") {
			t.Errorf("download left behind: %s", e.Name())
		}
	}
}
