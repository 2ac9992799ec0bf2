package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var vulnCases = []testCase{
	{"Vulns/AdvisoriesPut", testAdvisoriesPut},
	{"Vulns/AdvisoriesInvalid", testAdvisoriesInvalid},
	{"Vulns/AdvisoriesConcurrent", testAdvisoriesConcurrent},
	{"Vulns/AdvisoriesList", testAdvisoriesList},
	{"Vulns/AdvisoriesScan", testAdvisoriesScan},
	{"Vulns/AdvisoriesCountDeleteSource", testAdvisoriesCountDeleteSource},
	{"Vulns/KnownExploited", testKnownExploited},
	{"Vulns/Sources", testVulnSources},
	{"Vulns/FindingsReplace", testFindingsReplace},
	{"Vulns/FindingsInvalid", testFindingsInvalid},
	{"Vulns/FindingsConcurrent", testFindingsConcurrent},
	{"Vulns/FindingsList", testFindingsList},
	{"Vulns/FindingsHostSummaries", testFindingsHostSummaries},
	{"Vulns/FindingsVulnSummaries", testFindingsVulnSummaries},
	{"Vulns/FindingsDelete", testFindingsDelete},
	{"Vulns/Wordlists", testWordlists},
}

// advisory returns a realistic advisory of about a kilobyte of record.
func advisory(id, source string, modified time.Time) store.Advisory {
	cve := "CVE-" + strings.TrimPrefix(id, "DEBIAN-CVE-")
	record := fmt.Sprintf(`{"schema_version":"1.6.0","id":%q,"modified":%q,"published":%q,"aliases":[%q],`+
		`"summary":"buffer over-read in X.509 name constraints","affected":[{"package":{"ecosystem":"Debian:12",`+
		`"name":"openssl","purl":"pkg:deb/debian/openssl?arch=source"},"ranges":[{"type":"ECOSYSTEM","events":`+
		`[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}],"versions":["3.0.9-1","3.0.10-1~deb12u1"]}],`+
		`"references":[{"type":"ADVISORY","url":"https://security-tracker.debian.org/tracker/%s"}]}`,
		id, modified.UTC().Format(time.RFC3339), modified.Add(-24*time.Hour).UTC().Format(time.RFC3339), cve, cve)
	return store.Advisory{
		ID: id, Source: source, Modified: modified, Published: modified.Add(-24 * time.Hour),
		Aliases: []string{cve}, Summary: "Buffer over-read in X.509 name constraints",
		Severity: "high", Score: 7.5, Ecosystems: []string{"Debian:12"}, Packages: []string{"openssl"},
		Record: json.RawMessage(record),
	}
}

// storedAdvisory is a as the store gives it back, with its record or
// without.
func storedAdvisory(a store.Advisory, withRecord bool) store.Advisory {
	a.Modified, a.Published, a.Withdrawn = stored(a.Modified), stored(a.Published), stored(a.Withdrawn)
	for _, l := range []*[]string{&a.Aliases, &a.Ecosystems, &a.Packages} {
		if *l == nil {
			*l = []string{}
		}
	}
	if a.Severity == "" {
		a.Severity = "unknown"
	}
	if !withRecord || len(a.Record) == 0 {
		a.Record = nil
	}
	return a
}

// getAdvisory fetches id and compares it with want.
func getAdvisory(t *testing.T, s store.Store, want store.Advisory) {
	t.Helper()
	got, err := s.Vulns().GetAdvisory(ctx(t), want.ID)
	must(t, err)
	diff(t, "advisory "+want.ID, storedAdvisory(want, true), got)
	wantUTC(t, "advisory "+want.ID, got.Modified, got.Published, got.Withdrawn)
}

// putAdvisories puts advs and compares the outcome with want.
func putAdvisories(t *testing.T, s store.Store, want store.AdvisoryPut, advs ...store.Advisory) {
	t.Helper()
	got, err := s.Vulns().PutAdvisories(ctx(t), advs)
	must(t, err)
	diff(t, "PutAdvisories", want, got)
}

func testAdvisoriesPut(t *testing.T, s store.Store) {
	vs := s.Vulns()
	a := advisory("DEBIAN-CVE-2023-5363", "Debian", at(0))
	a.Withdrawn = at(48 * time.Hour)
	bare := store.Advisory{ID: "GHSA-jfh8-c2jp-5v3q", Modified: at(time.Minute)} // no lists, severity, record
	putAdvisories(t, s, store.AdvisoryPut{Added: 2}, a, bare)
	getAdvisory(t, s, a)
	getAdvisory(t, s, bare)
	_, err := vs.GetAdvisory(ctx(t), "DSA-0000-1")
	wantErr(t, "GetAdvisory missing", err, store.ErrNotFound)

	// The same again changes nothing.
	putAdvisories(t, s, store.AdvisoryPut{Unchanged: 2}, a, bare)

	// A later version replaces it, lookups included.
	newer := advisory(a.ID, "Debian", at(time.Hour))
	newer.Aliases = []string{"CVE-2099-0001"}
	newer.Ecosystems = []string{"Debian:13"}
	newer.Severity, newer.Score = "critical", 9.8
	putAdvisories(t, s, store.AdvisoryPut{Updated: 1}, newer)
	getAdvisory(t, s, newer)
	listIDs(t, s, store.AdvisoryFilter{ID: "CVE-2023-5363"})
	listIDs(t, s, store.AdvisoryFilter{Ecosystem: "Debian:12"})
	listIDs(t, s, store.AdvisoryFilter{ID: "CVE-2099-0001"}, a.ID)
	listIDs(t, s, store.AdvisoryFilter{Ecosystem: "Debian:13"}, a.ID)

	// An older version is not taken, even with another record.
	older := advisory(a.ID, "Debian", at(30*time.Minute))
	older.Summary = "older"
	putAdvisories(t, s, store.AdvisoryPut{Unchanged: 1}, older)
	getAdvisory(t, s, newer)

	// The same modification time with another record is taken; with the
	// same record it is not, whatever else differs.
	fixed := newer
	fixed.Record = json.RawMessage(strings.Replace(string(newer.Record), "3.0.11-1~deb12u2", "3.0.11-1~deb12u3", 1))
	fixed.Summary = "fixed in a later version"
	putAdvisories(t, s, store.AdvisoryPut{Updated: 1}, fixed)
	getAdvisory(t, s, fixed)
	sameRecord := fixed
	sameRecord.Summary = "not taken"
	putAdvisories(t, s, store.AdvisoryPut{Unchanged: 1}, sameRecord)
	getAdvisory(t, s, fixed)

	// An id given twice is compared with its previous occurrence.
	twice1 := advisory("DSA-5532-1", "Debian", at(0))
	twice2 := advisory("DSA-5532-1", "Debian", at(time.Hour))
	twice2.Summary = "second"
	putAdvisories(t, s, store.AdvisoryPut{Added: 1, Updated: 1, Unchanged: 1}, twice1, twice2, twice1)
	getAdvisory(t, s, twice2)

	// Nothing at all is fine.
	putAdvisories(t, s, store.AdvisoryPut{})
	counts, err := vs.CountAdvisories(ctx(t))
	must(t, err)
	diff(t, "counts", map[string]int{"Debian": 2, "": 1}, counts)
}

func testAdvisoriesInvalid(t *testing.T, s store.Store) {
	vs := s.Vulns()
	good := advisory("DEBIAN-CVE-2023-5363", "Debian", at(0))
	for name, change := range map[string]func(a *store.Advisory){
		"empty id":            func(a *store.Advisory) { a.ID = "" },
		"zero modified":       func(a *store.Advisory) { a.Modified = time.Time{} },
		"unknown severity":    func(a *store.Advisory) { a.Severity = "urgent" },
		"negative score":      func(a *store.Advisory) { a.Score = -1 },
		"score above 10":      func(a *store.Advisory) { a.Score = 10.1 },
		"NaN score":           func(a *store.Advisory) { a.Score = math.NaN() },
		"record not JSON":     func(a *store.Advisory) { a.Record = json.RawMessage(`{"id":`) },
		"NUL in id":           func(a *store.Advisory) { a.ID = "CVE\x00" },
		"not UTF-8 alias":     func(a *store.Advisory) { a.Aliases = []string{"CVE-\xff"} },
		"NUL in summary":      func(a *store.Advisory) { a.Summary = "a\x00b" },
		"NUL in a package":    func(a *store.Advisory) { a.Packages = []string{"open\x00ssl"} },
		"not UTF-8 ecosystem": func(a *store.Advisory) { a.Ecosystems = []string{"Debian:\xfe"} },
	} {
		bad := advisory("DSA-1-1", "Debian", at(0))
		change(&bad)
		_, err := vs.PutAdvisories(ctx(t), []store.Advisory{good, bad})
		wantErr(t, "PutAdvisories with "+name, err, store.ErrInvalid)
	}
	// Nothing of a rejected batch is stored.
	counts, err := vs.CountAdvisories(ctx(t))
	must(t, err)
	diff(t, "counts after rejected batches", map[string]int{}, counts)
	putAdvisories(t, s, store.AdvisoryPut{Added: 1}, good)
}

func testAdvisoriesConcurrent(t *testing.T, s store.Store) {
	const workers, size = 6, 300
	batch := make([]store.Advisory, size)
	for i := range batch {
		batch[i] = advisory(fmt.Sprintf("DEBIAN-CVE-2024-%05d", i), "Debian", at(time.Duration(i)*time.Second))
	}
	added := make([]int, workers)
	countNew(t, workers, func(i int) (bool, error) {
		res, err := s.Vulns().PutAdvisories(ctx(t), batch)
		added[i] = res.Added
		if err == nil && res.Added+res.Unchanged != size {
			err = fmt.Errorf("worker %d: %+v", i, res)
		}
		return false, err
	})
	total := 0
	for _, n := range added {
		total += n
	}
	if total != size {
		t.Fatalf("workers added %v advisories in all, want %d", added, size)
	}
}

// advisoryFleet is a database of advisories the listing cases read: ids
// whose byte order differs from any locale's, several sources,
// ecosystems, severities, aliases shared by two advisories.
func advisoryFleet() []store.Advisory {
	var out []store.Advisory
	sevs := []string{"critical", "high", "medium", "low", "none", "unknown"}
	for i := range 40 {
		var a store.Advisory
		switch i % 4 {
		case 0:
			a = advisory(fmt.Sprintf("DEBIAN-CVE-2024-%04d", i), "Debian", at(time.Duration(i)*time.Minute))
		case 1:
			a = advisory(fmt.Sprintf("GHSA-%04d-xxxx-yyyy", i), "GitHub", at(time.Duration(i)*time.Minute))
			a.Ecosystems, a.Packages = []string{"Maven", "npm"}, []string{"org.apache.logging.log4j:log4j-core", "log_4%js"}
		case 2:
			a = advisory(fmt.Sprintf("DSA-%04d-1", i), "Debian", at(time.Duration(i)*time.Minute))
			a.Aliases = []string{fmt.Sprintf("CVE-2024-%04d", i-2)} // also the alias of DEBIAN-CVE-2024-(i-2)
		case 3:
			a = advisory(fmt.Sprintf("ghsa-%04d-lower", i), "osv-upload.zip", at(time.Duration(i)*time.Minute))
			a.Ecosystems, a.Packages = []string{"PyPI"}, []string{"Django"}
			a.Summary = fmt.Sprintf("SQL injection in QuerySet #%d", i)
		}
		a.Severity = sevs[i%len(sevs)]
		out = append(out, a)
	}
	return out
}

// listIDs lists f unpaged and compares the ids with want.
func listIDs(t *testing.T, s store.Store, f store.AdvisoryFilter, want ...string) {
	t.Helper()
	f.Limit = store.MaxLimit
	got, next, err := s.Vulns().ListAdvisories(ctx(t), f)
	must(t, err)
	if next != "" {
		t.Fatalf("listing %+v has more than a page", f)
	}
	ids := []string{}
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if want == nil {
		want = []string{}
	}
	diff(t, fmt.Sprintf("ids of %+v", f), want, ids)
}

func testAdvisoriesList(t *testing.T, s store.Store) {
	vs := s.Vulns()
	fleet := advisoryFleet()
	putAdvisories(t, s, store.AdvisoryPut{Added: len(fleet)}, fleet...)
	byID := slices.Clone(fleet)
	slices.SortFunc(byID, func(a, b store.Advisory) int { return strings.Compare(a.ID, b.ID) })
	ids := func(keep func(a store.Advisory) bool) []string {
		out := []string{}
		for _, a := range byID {
			if keep(a) {
				out = append(out, a.ID)
			}
		}
		return out
	}
	contains := func(l []string, v string) bool { return slices.Contains(l, v) }
	folded := func(a store.Advisory) string {
		return strings.ToLower(a.ID + "\n" + strings.Join(a.Aliases, "\n") + "\n" + a.Summary + "\n" +
			strings.Join(a.Packages, "\n"))
	}
	cases := []struct {
		name string
		f    store.AdvisoryFilter
		keep func(a store.Advisory) bool
	}{
		{"all", store.AdvisoryFilter{}, func(store.Advisory) bool { return true }},
		{"id", store.AdvisoryFilter{ID: "DSA-0006-1"}, func(a store.Advisory) bool { return a.ID == "DSA-0006-1" }},
		{"alias of two", store.AdvisoryFilter{ID: "CVE-2024-0004"},
			func(a store.Advisory) bool { return contains(a.Aliases, "CVE-2024-0004") }},
		{"id is not a substring", store.AdvisoryFilter{ID: "DSA-0006"}, func(store.Advisory) bool { return false }},
		{"ecosystem", store.AdvisoryFilter{Ecosystem: "npm"},
			func(a store.Advisory) bool { return contains(a.Ecosystems, "npm") }},
		{"ecosystem is exact", store.AdvisoryFilter{Ecosystem: "debian:12"}, func(store.Advisory) bool { return false }},
		{"source", store.AdvisoryFilter{Source: "osv-upload.zip"},
			func(a store.Advisory) bool { return a.Source == "osv-upload.zip" }},
		{"severity", store.AdvisoryFilter{Severity: "medium"},
			func(a store.Advisory) bool { return a.Severity == "medium" }},
		{"q in summary, any case", store.AdvisoryFilter{Q: "queryset #1"},
			func(a store.Advisory) bool { return strings.Contains(folded(a), "queryset #1") }},
		{"q in a package", store.AdvisoryFilter{Q: "LOG4J-CORE"},
			func(a store.Advisory) bool { return strings.Contains(folded(a), "log4j-core") }},
		{"q in an alias", store.AdvisoryFilter{Q: "cve-2024-001"},
			func(a store.Advisory) bool { return strings.Contains(folded(a), "cve-2024-001") }},
		{"q with wildcards", store.AdvisoryFilter{Q: "_4%"},
			func(a store.Advisory) bool { return strings.Contains(folded(a), "_4%") }},
		{"ecosystem and severity", store.AdvisoryFilter{Ecosystem: "Debian:12", Severity: "critical"},
			func(a store.Advisory) bool { return contains(a.Ecosystems, "Debian:12") && a.Severity == "critical" }},
		{"everything", store.AdvisoryFilter{ID: "CVE-2024-0004", Ecosystem: "Debian:12", Source: "Debian", Severity: "critical", Q: "dsa"},
			func(a store.Advisory) bool { return a.ID == "DSA-0006-1" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := ids(tc.keep)
			if tc.name != "id is not a substring" && tc.name != "ecosystem is exact" && len(want) == 0 {
				t.Fatal("the case selects nothing")
			}
			listIDs(t, s, tc.f, want...)
			for _, limit := range []int{1, 3, 7} {
				f := tc.f
				got := collect(t, limit, func(p store.Page) ([]store.Advisory, string, error) {
					f.Page = p
					return vs.ListAdvisories(ctx(t), f)
				})
				var wantAll []store.Advisory
				for _, id := range want {
					a, _ := lookupAdvisory(fleet, id)
					wantAll = append(wantAll, storedAdvisory(a, false))
				}
				diff(t, fmt.Sprintf("paged by %d", limit), wantAll, got)
			}
		})
	}
	_, err := collectErr(vs.ListAdvisories(ctx(t), store.AdvisoryFilter{Severity: "urgent"}))
	wantErr(t, "ListAdvisories with an unknown severity", err, store.ErrInvalid)
	_, err = collectErr(vs.ListAdvisories(ctx(t), store.AdvisoryFilter{Q: "a\x00"}))
	wantErr(t, "ListAdvisories with NUL in the query", err, store.ErrInvalid)
	_, err = vs.GetAdvisory(ctx(t), "DSA-0006-1\x00")
	wantErr(t, "GetAdvisory of an id with NUL", err, store.ErrNotFound)
	_, findingsCursor, summariesCursor := vulnCursors(t, s)
	for _, c := range append(garbageCursors, findingsCursor, summariesCursor) {
		_, _, err := vs.ListAdvisories(ctx(t), store.AdvisoryFilter{Page: store.Page{Cursor: c}})
		wantErr(t, fmt.Sprintf("cursor %q", c), err, store.ErrBadCursor)
	}
}

// vulnCursors returns a cursor of each listing of the vulnerability
// store: advisories, findings and vulnerability summaries. It writes
// what they list and removes it again.
func vulnCursors(t *testing.T, s store.Store) (advisories, findings, summaries string) {
	t.Helper()
	vs := s.Vulns()
	a1, a2 := advisory("~cursor-1", "cursor-source", at(0)), advisory("~cursor-2", "cursor-source", at(0))
	_, err := vs.PutAdvisories(ctx(t), []store.Advisory{a1, a2})
	must(t, err)
	fs := []store.VulnFinding{finding("CVE-1", "a", "critical", 9), finding("CVE-2", "b", "high", 8)}
	_, err = vs.ReplaceFindings(ctx(t), "cursor-agent", fs, at(0))
	must(t, err)
	one := store.Page{Limit: 1}
	_, advisories, err = vs.ListAdvisories(ctx(t), store.AdvisoryFilter{Source: "cursor-source", Page: one})
	must(t, err)
	_, findings, err = vs.ListFindings(ctx(t), store.VulnFindingFilter{AgentID: "cursor-agent", Page: one})
	must(t, err)
	_, summaries, err = vs.VulnSummaries(ctx(t), store.VulnFindingFilter{AgentID: "cursor-agent", Page: one})
	must(t, err)
	must(t, vs.DeleteAgentFindings(ctx(t), "cursor-agent"))
	_, err = vs.DeleteSource(ctx(t), "cursor-source")
	must(t, err)
	if advisories == "" || findings == "" || summaries == "" {
		t.Fatalf("a listing of two by one gives no cursor: %q %q %q", advisories, findings, summaries)
	}
	return advisories, findings, summaries
}

// collectErr drops the cursor of a listing's result.
func collectErr[T any](items []T, _ string, err error) ([]T, error) { return items, err }

// lookupAdvisory returns the advisory of fleet with id.
func lookupAdvisory(fleet []store.Advisory, id string) (store.Advisory, bool) {
	for _, a := range fleet {
		if a.ID == id {
			return a, true
		}
	}
	return store.Advisory{}, false
}

func testAdvisoriesScan(t *testing.T, s store.Store) {
	vs := s.Vulns()
	calls := 0
	must(t, vs.ScanAdvisories(ctx(t), func(store.Advisory) error { calls++; return nil }))
	if calls != 0 {
		t.Fatalf("scan of an empty database: %d calls", calls)
	}
	// More than a few batches of any reasonable size, put in two calls
	// and out of order.
	const n = 1100
	all := make([]store.Advisory, n)
	for i := range all {
		all[i] = advisory(fmt.Sprintf("DEBIAN-CVE-2024-%05d", (i*7919)%n), "Debian", at(time.Duration(i)*time.Second))
		if i%10 == 0 {
			all[i].Record = nil
		}
	}
	putAdvisories(t, s, store.AdvisoryPut{Added: 600}, all[:600]...)
	putAdvisories(t, s, store.AdvisoryPut{Added: n - 600}, all[600:]...)
	want := make([]store.Advisory, n)
	for i, a := range all {
		want[i] = storedAdvisory(a, true)
	}
	slices.SortFunc(want, func(a, b store.Advisory) int { return strings.Compare(a.ID, b.ID) })
	var got []store.Advisory
	must(t, vs.ScanAdvisories(ctx(t), func(a store.Advisory) error {
		got = append(got, a)
		return nil
	}))
	diff(t, "scanned advisories", want, got)

	// An error from fn stops the scan and is returned.
	stop := errors.New("index full")
	for _, after := range []int{1, 256, 257, 700} {
		calls := 0
		err := vs.ScanAdvisories(ctx(t), func(store.Advisory) error {
			calls++
			if calls == after {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Fatalf("scan stopped after %d: error %v, want %v", after, err, stop)
		}
		if calls != after {
			t.Fatalf("scan stopped after %d: %d calls", after, calls)
		}
	}
}

func testAdvisoriesCountDeleteSource(t *testing.T, s store.Store) {
	vs := s.Vulns()
	counts, err := vs.CountAdvisories(ctx(t))
	must(t, err)
	diff(t, "counts of an empty database", map[string]int{}, counts)
	fleet := advisoryFleet()
	putAdvisories(t, s, store.AdvisoryPut{Added: len(fleet)}, fleet...)
	must(t, vs.PutSource(ctx(t), store.VulnSource{Name: "Debian", URL: "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip", Records: 20}))
	must(t, vs.PutSource(ctx(t), store.VulnSource{Name: "GitHub", Records: 10}))
	counts, err = vs.CountAdvisories(ctx(t))
	must(t, err)
	diff(t, "counts", map[string]int{"Debian": 20, "GitHub": 10, "osv-upload.zip": 10}, counts)

	n, err := vs.DeleteSource(ctx(t), "Debian")
	must(t, err)
	if n != 20 {
		t.Fatalf("DeleteSource removed %d, want 20", n)
	}
	counts, err = vs.CountAdvisories(ctx(t))
	must(t, err)
	diff(t, "counts after delete", map[string]int{"GitHub": 10, "osv-upload.zip": 10}, counts)
	_, err = vs.GetAdvisory(ctx(t), "DSA-0002-1")
	wantErr(t, "GetAdvisory of a deleted source", err, store.ErrNotFound)
	// The lookups went with the advisories.
	listIDs(t, s, store.AdvisoryFilter{ID: "CVE-2024-0004"})
	listIDs(t, s, store.AdvisoryFilter{Ecosystem: "Debian:12"})
	srcs, err := vs.Sources(ctx(t))
	must(t, err)
	if len(srcs) != 1 || srcs[0].Name != "GitHub" {
		t.Fatalf("sources after delete: %+v", srcs)
	}
	var scanned int
	must(t, vs.ScanAdvisories(ctx(t), func(a store.Advisory) error {
		scanned++
		if a.Source == "Debian" || a.Record == nil {
			t.Errorf("scanned %s of %s, record %d bytes", a.ID, a.Source, len(a.Record))
		}
		return nil
	}))
	if scanned != 20 {
		t.Fatalf("scanned %d after delete, want 20", scanned)
	}
	n, err = vs.DeleteSource(ctx(t), "Debian")
	must(t, err)
	if n != 0 {
		t.Fatalf("second DeleteSource removed %d", n)
	}
	// The source's advisories can come back.
	putAdvisories(t, s, store.AdvisoryPut{Added: 1}, fleet[0])
}
