package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// seedFindings stores findings for two agents.
func (e *env) seedFindings() {
	e.t.Helper()
	ctx := context.Background()
	e.addAgent("a1", "web-01", store.StatusOnline, nil)
	e.addAgent("a2", "db-01", store.StatusOnline, nil)
	log4j := store.VulnFinding{AssetKind: "library", AssetKey: "maven:log4j", VulnID: "CVE-2021-44228",
		Advisories: []string{"GHSA-jfh8-c2jp-5v3q"}, Aliases: []string{"GHSA-jfh8-c2jp-5v3q"}, Ecosystem: "Maven",
		Package: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", FixedVersion: "2.15.0", Severity: "critical",
		Score: 10, KnownExploited: true, Running: true, Listening: true, Summary: "Remote code injection in Log4j",
		Path: "/opt/app/lib/log4j-core-2.14.1.jar"}
	openssl := func(pkg string) store.VulnFinding {
		return store.VulnFinding{AssetKind: "package", AssetKey: "deb:" + pkg + ":amd64", VulnID: "CVE-2023-5363",
			Advisories: []string{"DSA-5532-1"}, Ecosystem: "Debian:12", Package: pkg, Version: "3.0.11-1~deb12u1",
			FixedVersion: "3.0.11-1~deb12u2", Severity: "high", Score: 7.5}
	}
	zlib := store.VulnFinding{AssetKind: "package", AssetKey: "deb:zlib1g:amd64", VulnID: "CVE-2023-45853",
		Advisories: []string{"DEBIAN-CVE-2023-45853"}, Ecosystem: "Debian:12", Package: "zlib1g", Version: "1:1.2.13.dfsg-1",
		Severity: "critical", Score: 9.8}
	now := e.clock.Now()
	if _, err := e.st.Vulns().ReplaceFindings(ctx, "a1", []store.VulnFinding{log4j, openssl("openssl"), openssl("libssl3"), zlib}, now); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.Vulns().ReplaceFindings(ctx, "a2", []store.VulnFinding{openssl("libssl3")}, now); err != nil {
		e.t.Fatal(err)
	}
}

func TestVulnListings(t *testing.T) {
	e := newEnv(t)
	e.seedFindings()
	var page struct {
		Items []findingView `json:"items"`
	}
	e.call("GET", "/api/v1/vulns", store.RoleViewer, nil, 200, &page)
	if len(page.Items) != 5 || page.Items[0].Severity != "critical" || page.Items[0].Hostname == "" {
		t.Fatalf("findings %+v", page.Items)
	}
	filters := []struct {
		query string
		want  int
	}{
		{"agent_id=a2", 1},
		{"vuln_id=CVE-2023-5363", 3},
		{"severity=critical", 2},
		{"severity=critical,high", 5},
		{"known_exploited=true", 1},
		{"running=true", 1},
		{"fixable=true", 4},
		{"ecosystem=Maven", 1},
		{"package=libssl3", 2},
		{"q=log4j", 1},
	}
	for _, f := range filters {
		e.call("GET", "/api/v1/vulns?"+f.query, store.RoleViewer, nil, 200, &page)
		if len(page.Items) != f.want {
			t.Errorf("?%s: %d findings, want %d", f.query, len(page.Items), f.want)
		}
	}
	for _, bad := range []string{"severity=urgent", "running=maybe", "limit=0", "q=" + strings.Repeat("x", 300)} {
		status, data := e.do("GET", "/api/v1/vulns?"+bad, e.tokens[store.RoleViewer], nil)
		if status != 400 || errorCode(t, data) != "bad_request" {
			t.Errorf("?%s: %d %s", bad, status, data)
		}
	}

	var hosts struct {
		Items []hostSummaryView `json:"items"`
	}
	e.call("GET", "/api/v1/vulns/hosts", store.RoleViewer, nil, 200, &hosts)
	if len(hosts.Items) != 2 || hosts.Items[0].AgentID != "a1" || hosts.Items[0].Critical != 2 || hosts.Items[0].KnownExploited != 1 ||
		hosts.Items[0].Hostname != "web-01" || hosts.Items[1].High != 1 {
		t.Errorf("hosts %+v", hosts.Items)
	}

	var cves struct {
		Items []store.VulnSummary `json:"items"`
	}
	e.call("GET", "/api/v1/vulns/cves", store.RoleViewer, nil, 200, &cves)
	var got []string
	for _, c := range cves.Items {
		got = append(got, c.VulnID+":"+strings.Join(c.Packages, ",")+":"+string(rune('0'+c.Hosts)))
	}
	if want := []string{"CVE-2021-44228:org.apache.logging.log4j:log4j-core:1", "CVE-2023-45853:zlib1g:1", "CVE-2023-5363:libssl3,openssl:2"}; !slices.Equal(got, want) {
		t.Errorf("cves %v, want %v", got, want)
	}
	var detail vulnDetail
	e.call("GET", "/api/v1/vulns/cves/CVE-2023-5363", store.RoleViewer, nil, 200, &detail)
	if detail.Hosts != 2 || detail.Severity != "high" {
		t.Errorf("detail %+v", detail)
	}
	e.call("GET", "/api/v1/vulns/cves/CVE-1999-0001", store.RoleViewer, nil, 404, nil)

	var host patchesView
	e.call("GET", "/api/v1/patches?agent_id=a1", store.RoleViewer, nil, 200, &host)
	if host.Command != "apt-get update && apt-get install --only-upgrade -y libssl3 openssl" || len(host.Items) != 3 || host.Hostname != "web-01" {
		t.Errorf("host patches %+v", host)
	}
	var fleet patchesView
	e.call("GET", "/api/v1/patches", store.RoleViewer, nil, 200, &fleet)
	var libssl *vuln.Patch
	for i := range fleet.Items {
		if fleet.Items[i].Package == "libssl3" {
			libssl = &fleet.Items[i]
		}
	}
	if libssl == nil || libssl.Hosts != 2 || libssl.FixedVersion != "3.0.11-1~deb12u2" || fleet.Command != "" {
		t.Errorf("fleet patches %+v", fleet)
	}
	e.call("GET", "/api/v1/vulns", "", nil, 401, nil)
}

func TestWeakPasswords(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addAgent("a1", "web-01", store.StatusOnline, nil)
	items := []store.AssetRecord{}
	for _, f := range []struct{ key, target, typ, sev string }{
		{"account:root:dictionary", "account", "dictionary", "critical"},
		{"redis:127.0.0.1:6379:no_auth", "redis", "no_auth", "high"},
	} {
		fields, _ := json.Marshal(map[string]any{"vigil": map[string]any{"weak_password": map[string]any{
			"target": f.target, "type": f.typ, "severity": f.sev, "reason": "test " + f.typ, "hint": "r**t"}}})
		items = append(items, store.AssetRecord{Kind: event.AssetWeakPassword, Key: f.key, Name: f.target, Fields: fields,
			Hash: event.AssetHash(event.AssetWeakPassword, f.key, f.target, "", fields)})
	}
	hashes := map[string][32]byte{}
	for _, it := range items {
		hashes[it.Kind+"\x00"+it.Key] = it.Hash
	}
	if _, err := e.st.Inventory().Apply(ctx, store.InventoryChanges{AgentID: "a1", Collector: "risk/accounts",
		BaseDigest: event.InventoryDigest(nil), Digest: event.InventoryDigest(hashes), Upserts: items, At: e.clock.Now(), Last: true}); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Items []weakPasswordView `json:"items"`
	}
	e.call("GET", "/api/v1/weak-passwords", store.RoleViewer, nil, 200, &page)
	if len(page.Items) != 2 || page.Items[0].Hostname != "web-01" || page.Items[0].Target != "account" || page.Items[0].Severity != "critical" {
		t.Fatalf("weak passwords %+v", page.Items)
	}
	e.call("GET", "/api/v1/weak-passwords?target=redis", store.RoleViewer, nil, 200, &page)
	if len(page.Items) != 1 || page.Items[0].Type != "no_auth" {
		t.Errorf("?target=redis: %+v", page.Items)
	}
	e.call("GET", "/api/v1/weak-passwords?type=empty", store.RoleViewer, nil, 200, &page)
	if len(page.Items) != 0 {
		t.Errorf("?type=empty: %+v", page.Items)
	}
}

func TestWordlists(t *testing.T) {
	e := newEnv(t)
	_, before := e.pub.counts()
	var wl store.Wordlist
	e.call("PUT", "/api/v1/weak-passwords/wordlists/company", store.RoleAdmin, "# ours\nAcme2024!\n\nacme@123\nAcme2024!\r\n", 201, &wl)
	if wl.Count != 2 || wl.SHA256 == "" || wl.Author == "" {
		t.Errorf("created %+v", wl)
	}
	if _, after := e.pub.counts(); after != before+1 {
		t.Errorf("policies published %d times, want once more than %d", after, before)
	}
	e.call("PUT", "/api/v1/weak-passwords/wordlists/company", store.RoleAdmin, "Acme2025!\n", 200, &wl)
	e.call("PUT", "/api/v1/weak-passwords/wordlists/company", store.RoleResponder, "x\n", 403, nil)
	e.call("GET", "/api/v1/weak-passwords/wordlists", store.RoleViewer, nil, 403, nil)
	var lists struct {
		Items []store.Wordlist `json:"items"`
	}
	e.call("GET", "/api/v1/weak-passwords/wordlists", store.RoleAdmin, nil, 200, &lists)
	if len(lists.Items) != 1 || lists.Items[0].Count != 1 {
		t.Errorf("lists %+v", lists.Items)
	}
	raw := e.call("GET", "/api/v1/weak-passwords/wordlists", store.RoleAdmin, nil, 200, nil)
	if strings.Contains(string(raw), "Acme2025") {
		t.Error("a listing shows the words")
	}
	for body, want := range map[string]string{
		"\n# nothing\n":                 "empty",
		strings.Repeat("x", 200) + "\n": "at most 128",
		"bad\x01word\n":                 "printable",
		strings.Repeat("w\n", 200_000):  "larger than",
	} {
		status, data := e.do("PUT", "/api/v1/weak-passwords/wordlists/bad", adminToken, body)
		if status/100 != 4 || !strings.Contains(errorMessage(data), want) {
			t.Errorf("body %.20q: %d %s, want %q", body, status, data, want)
		}
	}
	words := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(prefix + strconv.Itoa(i) + "\n")
		}
		return b.String()
	}
	e.call("PUT", "/api/v1/weak-passwords/wordlists/first", store.RoleAdmin, words("a", 15_000), 201, nil)
	status, data := e.do("PUT", "/api/v1/weak-passwords/wordlists/second", adminToken, words("b", 6_000))
	if status != 400 || !strings.Contains(errorMessage(data), "at most 20000 in all") {
		t.Errorf("too many words in all: %d %s", status, data)
	}
	e.call("PUT", "/api/v1/weak-passwords/wordlists/first", store.RoleAdmin, words("a", 14_000), 200, nil)
	e.call("DELETE", "/api/v1/weak-passwords/wordlists/company", store.RoleAdmin, nil, 204, nil)
	e.call("DELETE", "/api/v1/weak-passwords/wordlists/company", store.RoleAdmin, nil, 404, nil)
	if got := e.audit("wordlist.delete"); len(got) != 2 {
		t.Errorf("%d audit entries for word list deletions, want 2", len(got))
	}
}

func TestVulnDB(t *testing.T) {
	e := newEnv(t)
	record := `{"id":"GHSA-jfh8-c2jp-5v3q","modified":"2021-12-10T00:00:00Z","aliases":["CVE-2021-44228"],
 "summary":"Remote code injection in Log4j",
 "affected":[{"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0-beta9"},{"fixed":"2.15.0"}]}]}]}`
	e.call("POST", "/api/v1/vulndb/import?source=GitHub", store.RoleAnalyst, record, 403, nil)
	e.call("POST", "/api/v1/vulndb/import", store.RoleResponder, record, 400, nil)
	e.call("POST", "/api/v1/vulndb/import?source=../x", store.RoleResponder, record, 400, nil)
	var job vuln.Job
	e.call("POST", "/api/v1/vulndb/import?source=GitHub", store.RoleResponder, record, 202, &job)
	deadline := time.Now().Add(10 * time.Second)
	for job.State == vuln.JobRunning && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		e.call("GET", "/api/v1/vulndb/jobs/"+job.ID, store.RoleViewer, nil, 200, &job)
	}
	if job.State != vuln.JobDone || job.Added != 1 || job.Author == "" {
		t.Fatalf("job %+v", job)
	}
	e.call("GET", "/api/v1/vulndb/jobs/nope", store.RoleViewer, nil, 404, nil)
	var status vulnDBStatus
	e.call("GET", "/api/v1/vulndb", store.RoleViewer, nil, 200, &status)
	if status.Advisories["GitHub"] != 1 || len(status.Sources) != 1 || status.Sources[0].Records != 1 || len(status.Jobs) != 1 ||
		status.Service.Index.Advisories != 1 {
		t.Errorf("status %+v", status)
	}
	var advs struct {
		Items []store.Advisory `json:"items"`
	}
	e.call("GET", "/api/v1/vulndb/advisories?id=CVE-2021-44228", store.RoleViewer, nil, 200, &advs)
	if len(advs.Items) != 1 || advs.Items[0].ID != "GHSA-jfh8-c2jp-5v3q" {
		t.Errorf("advisories %+v", advs.Items)
	}
	var adv store.Advisory
	e.call("GET", "/api/v1/vulndb/advisories/GHSA-jfh8-c2jp-5v3q", store.RoleViewer, nil, 200, &adv)
	if !json.Valid(adv.Record) || !strings.Contains(string(adv.Record), "log4j-core") {
		t.Errorf("advisory record %s", adv.Record)
	}
	e.call("GET", "/api/v1/vulndb/advisories/NOPE-1", store.RoleViewer, nil, 404, nil)
	e.call("POST", "/api/v1/vulndb/sync", store.RoleResponder, nil, 404, nil)
	if got := e.audit("vulndb.import"); len(got) < 2 {
		t.Errorf("%d audit entries for imports", len(got))
	}
	_ = http.StatusOK
}
