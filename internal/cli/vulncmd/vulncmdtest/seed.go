package vulncmdtest

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// OSV records carrying real advisories' facts.
const (
	// DSAOpenSSL is DSA-5532-1: openssl in bookworm, fixed in
	// 3.0.11-1~deb12u2.
	DSAOpenSSL = `{"id":"DSA-5532-1","modified":"2023-10-25T00:00:00Z","published":"2023-10-24T00:00:00Z",
 "upstream":["CVE-2023-5363"],"summary":"openssl - security update",
 "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}]}]}`
	// DebianZlib is CVE-2023-45853 in bookworm's zlib, which has no fix.
	DebianZlib = `{"id":"DEBIAN-CVE-2023-45853","modified":"2024-01-12T00:00:00Z",
 "upstream":["CVE-2023-45853"],"details":"MiniZip in zlib through 1.3 has an integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_64.",
 "affected":[{"package":{"ecosystem":"Debian:12","name":"zlib"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`
	// GHSALog4Shell is GHSA-jfh8-c2jp-5v3q: Log4Shell.
	GHSALog4Shell = `{"id":"GHSA-jfh8-c2jp-5v3q","modified":"2021-12-10T00:00:00Z","published":"2021-12-10T00:00:00Z",
 "aliases":["CVE-2021-44228"],"summary":"Remote code injection in Log4j",
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
 "affected":[{"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0-beta9"},{"fixed":"2.15.0"}]}]}]}`
	// BadRecord is not an OSV record: it has no id.
	BadRecord = `{"modified":"2024-01-01T00:00:00Z","summary":"a record without an id"}`
)

// KEVEntries are real entries of CISA's catalogue.
var KEVEntries = []map[string]string{
	{"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2",
		"vulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability", "dateAdded": "2021-12-10",
		"shortDescription": "Apache Log4j2 contains a vulnerability where JNDI features do not protect against attacker-controlled JNDI-related endpoints, allowing for remote code execution.",
		"requiredAction":   "For all affected software assets for which updates exist, the only acceptable remediation actions are: 1) Apply updates; OR 2) remove affected assets from agency networks.",
		"dueDate":          "2021-12-24", "knownRansomwareCampaignUse": "Known", "notes": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"},
	{"cveID": "CVE-2014-0160", "vendorProject": "OpenSSL", "product": "OpenSSL",
		"vulnerabilityName": "OpenSSL Information Disclosure Vulnerability", "dateAdded": "2022-05-04",
		"shortDescription": "The TLS and DTLS implementations in OpenSSL do not properly handle Heartbeat Extension packets, which allows remote attackers to obtain sensitive information.",
		"requiredAction":   "Apply updates per vendor instructions.", "dueDate": "2022-05-25",
		"knownRansomwareCampaignUse": "Unknown", "notes": "https://nvd.nist.gov/vuln/detail/CVE-2014-0160"},
}

// KEVCatalog is a known exploited catalogue in CISA's layout holding
// KEVEntries and filler entries up to n in all (CISA's holds over 1,300,
// about 1.3 MB).
func KEVCatalog(n int) []byte {
	entries := append([]map[string]string(nil), KEVEntries...)
	for i := len(entries); i < n; i++ {
		entries = append(entries, map[string]string{
			"cveID": fmt.Sprintf("CVE-2019-%05d", 10000+i), "vendorProject": "Example", "product": "Appliance",
			"vulnerabilityName": "Example Appliance Command Injection Vulnerability", "dateAdded": "2022-03-25",
			"shortDescription": "The appliance's web interface passes a parameter to a shell, allowing an unauthenticated attacker to run commands as root.",
			"requiredAction":   "Apply updates per vendor instructions.", "dueDate": "2022-04-15",
			"knownRansomwareCampaignUse": "Unknown", "notes": "",
		})
	}
	doc := map[string]any{
		"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2025.03.03",
		"dateReleased": "2025-03-03T17:00:00.000Z", "count": len(entries), "vulnerabilities": entries,
	}
	// CISA writes the header keys first: keep that order.
	head, _ := json.Marshal(map[string]any{"title": doc["title"]})
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(string(head), "}"))
	for _, k := range []string{"catalogVersion", "dateReleased", "count", "vulnerabilities"} {
		v, _ := json.MarshalIndent(doc[k], "  ", "  ")
		fmt.Fprintf(&b, ",\n  %q: %s", k, v)
	}
	b.WriteString("\n}\n")
	return []byte(b.String())
}

// WriteZip writes an OSV export holding the records, each in a file
// named after its id (or bad-N.json when it has none).
func WriteZip(t testing.TB, path string, records ...string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for i, r := range records {
		var id struct{ ID string }
		_ = json.Unmarshal([]byte(r), &id)
		name := id.ID + ".json"
		if id.ID == "" {
			name = fmt.Sprintf("bad-%d.json", i)
		}
		w, err := zw.Create(name)
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

// Agents of the seeded fleet.
const (
	Web = "7f3c9a" // web-1
	DB  = "b81d02" // db-1
)

// Seed fills the store as the center's services would have: two agents;
// the advisories of DSAOpenSSL, DebianZlib and GHSALog4Shell; a known
// exploited catalogue; findings on both hosts (one summary with
// terminal control characters); weak passwords on both; a word list.
func (e *Env) Seed() {
	t := e.TB
	t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	for _, a := range []store.Agent{
		{ID: Web, Hostname: "web-1", Status: store.StatusOnline, StatusChangedAt: Now.AddDate(0, 0, -30),
			LastSeen: Now.Add(-4 * time.Second), EnrolledAt: Now.AddDate(0, 0, -30), OS: "linux", Platform: "debian", PlatformVersion: "12.9"},
		{ID: DB, Hostname: "db-1", Status: store.StatusOnline, StatusChangedAt: Now.AddDate(0, 0, -30),
			LastSeen: Now.Add(-9 * time.Second), EnrolledAt: Now.AddDate(0, 0, -30), OS: "linux", Platform: "debian", PlatformVersion: "12.9"},
	} {
		must("agent "+a.ID, e.Store.Agents().Create(ctx, a))
	}

	advs := []store.Advisory{
		{ID: "DSA-5532-1", Source: "Debian", Modified: day("2023-10-25"), Published: day("2023-10-24"), Aliases: []string{"CVE-2023-5363"},
			Summary: "openssl - security update", Severity: "high", Score: 7.5, Ecosystems: []string{"Debian:12"},
			Packages: []string{"openssl"}, Record: compact(DSAOpenSSL)},
		{ID: "DEBIAN-CVE-2023-45853", Source: "Debian", Modified: day("2024-01-12"), Aliases: []string{"CVE-2023-45853"},
			Summary:  "MiniZip in zlib through 1.3 has an integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_64.",
			Severity: "critical", Score: 9.8, Ecosystems: []string{"Debian:12"}, Packages: []string{"zlib"}, Record: compact(DebianZlib)},
		{ID: "GHSA-jfh8-c2jp-5v3q", Source: "GitHub", Modified: day("2021-12-10"), Published: day("2021-12-10"),
			Aliases: []string{"CVE-2021-44228"}, Summary: "Remote code injection in Log4j", Severity: "critical", Score: 10,
			Ecosystems: []string{"Maven"}, Packages: []string{"org.apache.logging.log4j:log4j-core"}, Record: compact(GHSALog4Shell)},
	}
	_, err := e.Store.Vulns().PutAdvisories(ctx, advs)
	must("advisories", err)
	for _, src := range []store.VulnSource{
		{Name: "Debian", Records: 2, Rejected: 1, SHA256: strings.Repeat("ab", 32), SyncedAt: Now.Add(-26 * time.Hour), UpdatedAt: Now.Add(-26 * time.Hour)},
		{Name: "GitHub", Records: 1, SyncedAt: Now.Add(-3 * time.Hour), Error: "download https://example.invalid/GitHub/all.zip: 503 Service Unavailable",
			UpdatedAt: Now.Add(-time.Hour)},
	} {
		must("source "+src.Name, e.Store.Vulns().PutSource(ctx, src))
	}
	must("known exploited", e.Store.Vulns().ReplaceKnownExploited(ctx, []store.KnownExploited{
		{CVE: "CVE-2014-0160", Vendor: "OpenSSL", Product: "OpenSSL", Name: "OpenSSL Information Disclosure Vulnerability",
			DateAdded: day("2022-05-04"), DueDate: day("2022-05-25")},
		{CVE: "CVE-2021-44228", Vendor: "Apache", Product: "Log4j2", Name: "Apache Log4j2 Remote Code Execution Vulnerability",
			DateAdded: day("2021-12-10"), DueDate: day("2021-12-24"), Ransomware: true},
	}))

	openssl := func(pkg string, running bool) store.VulnFinding {
		return store.VulnFinding{AssetKind: "package", AssetKey: pkg + ":amd64", VulnID: "CVE-2023-5363",
			Advisories: []string{"DSA-5532-1"}, Aliases: []string{}, Ecosystem: "Debian:12", Package: pkg,
			Version: "3.0.11-1~deb12u1", FixedVersion: "3.0.11-1~deb12u2", Severity: "high", Score: 7.5,
			Summary: "openssl - security update", Running: running}
	}
	zlib := store.VulnFinding{AssetKind: "package", AssetKey: "zlib1g:amd64", VulnID: "CVE-2023-45853",
		Advisories: []string{"DEBIAN-CVE-2023-45853"}, Aliases: []string{}, Ecosystem: "Debian:12", Package: "zlib",
		Version: "1:1.2.13.dfsg-1", Severity: "critical", Score: 9.8,
		Summary: "MiniZip in zlib \x1b[31mthrough 1.3 has an integer overflow and resultant heap-based buffer overflow"}
	log4j := store.VulnFinding{AssetKind: "library", AssetKey: "/opt/shop/lib/log4j-core-2.14.1.jar", VulnID: "CVE-2021-44228",
		Advisories: []string{"GHSA-jfh8-c2jp-5v3q"}, Aliases: []string{"GHSA-jfh8-c2jp-5v3q"}, Ecosystem: "Maven",
		Package: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", FixedVersion: "2.15.0",
		Path: "/opt/shop/lib/log4j-core-2.14.1.jar", Severity: "critical", Score: 10, KnownExploited: true,
		Summary: "Remote code injection in Log4j", Running: true, Listening: true}
	_, err = e.Store.Vulns().ReplaceFindings(ctx, Web, []store.VulnFinding{log4j, zlib, openssl("openssl", false), openssl("libssl3", true)}, Now.Add(-2*time.Hour))
	must("findings of web-1", err)
	_, err = e.Store.Vulns().ReplaceFindings(ctx, DB, []store.VulnFinding{openssl("libssl3", false)}, Now.Add(-time.Hour))
	must("findings of db-1", err)

	e.applyInventory(ctx, Web, "risk/services", must,
		weak("redis:0.0.0.0:6379:no_auth", "redis", map[string]any{
			"vigil": map[string]any{"weak_password": map[string]any{"target": "redis", "type": "no_auth", "severity": "critical",
				"reason": "redis answers commands without a password on a public address", "listen": []any{"0.0.0.0:6379"}}},
			"server": map[string]any{"address": "0.0.0.0", "port": 6379}, "process": map[string]any{"executable": "/usr/bin/redis-server"}}),
		weak("tomcat:/etc/tomcat10/tomcat-users.xml:robot:dictionary_password", "tomcat", map[string]any{
			"vigil": map[string]any{"weak_password": map[string]any{"target": "tomcat", "type": "dictionary", "severity": "high",
				"reason": "user robot's password is in the dictionary", "account": "robot", "password_hint": "l*****n", "password_length": 7}},
			"file": map[string]any{"path": "/etc/tomcat10/tomcat-users.xml"}}))
	e.applyInventory(ctx, DB, "risk/accounts", must,
		weak("account:backup:empty", "backup", map[string]any{
			"user": map[string]any{"name": "backup", "id": "34"},
			"vigil": map[string]any{"weak_password": map[string]any{"target": "account", "type": "empty", "severity": "critical",
				"reason": "account backup has an empty password and can log in", "login": true, "privileged": false}}}),
		weak("account:toor:uid0", "toor", map[string]any{
			"user": map[string]any{"name": "toor", "id": "0"},
			"vigil": map[string]any{"weak_password": map[string]any{"target": "account", "type": "uid0", "severity": "high",
				"reason": "account toor has uid 0 besides root", "login": true, "privileged": true}}}))

	_, err = e.Store.Vulns().PutWordlist(ctx, store.Wordlist{Name: "corp", Words: []string{"Winter2025!", "Acme123", "acme@2024"},
		Author: "token:admin", CreatedAt: Now.AddDate(0, 0, -3), UpdatedAt: Now.Add(-5 * time.Hour)})
	must("word list", err)
}

// weak makes a weak-password inventory item.
func weak(key, name string, fields map[string]any) store.AssetRecord {
	b, err := json.Marshal(fields)
	if err != nil {
		panic(err) // maps of strings, numbers and bools always encode
	}
	return store.AssetRecord{Kind: event.AssetWeakPassword, Key: key, Name: name, Fields: b,
		Hash: event.AssetHash(event.AssetWeakPassword, key, name, "", b)}
}

// applyInventory makes an agent's collector set exactly items, as the
// inventory service stores what an agent sends.
func (e *Env) applyInventory(ctx context.Context, agent, collector string, must func(string, error), items ...store.AssetRecord) {
	state := map[string][32]byte{}
	for _, it := range items {
		state[it.Kind+"\x00"+it.Key] = it.Hash
	}
	c := store.InventoryChanges{AgentID: agent, Collector: collector, BaseDigest: event.InventoryDigest(nil),
		Digest: event.InventoryDigest(state), At: Now.Add(-30 * time.Minute), Last: true, Upserts: items}
	res, err := e.Store.Inventory().Apply(ctx, c)
	must("inventory of "+agent, err)
	if res.Resync {
		must("inventory of "+agent, fmt.Errorf("the store asked for a resync"))
	}
}

// day parses a date.
func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err) // only literal dates are passed
	}
	return t
}

// compact is a record on one line, as the importer stores it.
func compact(record string) json.RawMessage {
	var v any
	if err := json.Unmarshal([]byte(record), &v); err != nil {
		panic(err) // only the records above are passed
	}
	b, _ := json.Marshal(v)
	return b
}
