package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// BenchAdvisory returns a realistic OSV advisory of a Debian package with
// a record of about 1.5 KB, as the Debian feed holds tens of thousands
// of. Its id derives from i; modified sets its version.
func BenchAdvisory(i int, modified time.Time) store.Advisory {
	cve := fmt.Sprintf("CVE-%d-%05d", 2000+i%25, i)
	pkgName := fmt.Sprintf("lib%05d", i%4000)
	id := "DEBIAN-" + cve
	sev := []string{"critical", "high", "high", "medium", "medium", "medium", "low", "unknown"}[i%8]
	record := fmt.Sprintf(`{"schema_version":"1.6.0","id":%q,"modified":%q,"published":"2024-02-01T12:00:00Z",`+
		`"aliases":[%q],"related":["DSA-%d-1","DLA-%d-1"],"summary":"%s: use after free in the parser of %s",`+
		`"details":"A use-after-free flaw was found in %s. A remote attacker could send a crafted message `+
		`that would crash the service or possibly run code with the privileges of the process. The flaw is in `+
		`the function that frees a buffer before its last use when a message ends early.",`+
		`"affected":[{"package":{"ecosystem":"Debian:12","name":%q,"purl":"pkg:deb/debian/%s?arch=source"},`+
		`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.%d.2-1+deb12u1"}]}],`+
		`"versions":["1.%d.0-1","1.%d.1-1","1.%d.1-2"],"ecosystem_specific":{"urgency":"medium"}},`+
		`{"package":{"ecosystem":"Debian:13","name":%q,"purl":"pkg:deb/debian/%s?arch=source"},`+
		`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.%d.3-1"}]}]}],`+
		`"references":[{"type":"ADVISORY","url":"https://security-tracker.debian.org/tracker/%s"},`+
		`{"type":"WEB","url":"https://www.openwall.com/lists/oss-security/2024/02/01/%d"}],`+
		`"database_specific":{"source":"https://storage.googleapis.com/debian-osv/debian-cve-osv/%s.json"}}`,
		id, modified.UTC().Format(time.RFC3339), cve, i, i, pkgName, pkgName, pkgName, pkgName, pkgName,
		i%50, i%50, i%50, i%50, pkgName, pkgName, i%50, cve, i%30, id)
	return store.Advisory{
		ID: id, Source: "Debian", Modified: modified, Published: time.Date(2024, 2, 1, 12, 0, 0, 0, time.UTC),
		Aliases: []string{cve}, Summary: pkgName + ": use after free in the parser of " + pkgName,
		Severity: sev, Score: float64(i%100) / 10, Ecosystems: []string{"Debian:12", "Debian:13"},
		Packages: []string{pkgName}, Record: json.RawMessage(record),
	}
}

// BenchFinding returns agent a's j-th finding of a fleet whose agents
// share their vulnerabilities out of a pool of vulns.
func BenchFinding(a, j, vulns int) store.VulnFinding {
	v := (a*37 + j*101) % vulns
	f := finding(fmt.Sprintf("CVE-2024-%05d", v), fmt.Sprintf("lib%05d", v%4000),
		[]string{"critical", "high", "high", "medium", "medium", "medium", "low", "unknown"}[v%8], float64(v%100)/10)
	f.AssetKey = fmt.Sprintf("lib%05d-%d:amd64", v%4000, j)
	f.KnownExploited = v%50 == 0
	f.Running = (a+j)%5 == 0
	if v%3 == 0 {
		f.FixedVersion = ""
	}
	return f
}

// BenchVulns measures VulnStore on fresh stores from open: PutAdvisories
// of advisories new advisories (a feed's first import), of the same
// again (a sync where nothing changed) and of all of them changed;
// ScanAdvisories over them; ReplaceFindings of perAgent findings for each
// of agents agents, first and again; ListFindings and VulnSummaries over
// those findings. settle, when set, runs after each setup: a database
// that plans by statistics gathers them, as it would in steady state.
func BenchVulns(b *testing.B, open func(b *testing.B) store.Store, settle func(b *testing.B, s store.Store), advisories, agents, perAgent int) {
	if settle == nil {
		settle = func(*testing.B, store.Store) {}
	}
	feed := func(modified time.Time) []store.Advisory {
		out := make([]store.Advisory, advisories)
		for i := range out {
			out[i] = BenchAdvisory(i, modified)
		}
		return out
	}
	first := feed(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	put := func(b *testing.B, s store.Store, advs []store.Advisory, want store.AdvisoryPut) {
		res, err := s.Vulns().PutAdvisories(b.Context(), advs)
		if err != nil {
			b.Fatal(err)
		}
		if res != want {
			b.Fatalf("PutAdvisories: %+v, want %+v", res, want)
		}
	}
	b.Run(fmt.Sprintf("put-advisories-new-%d", advisories), func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s := open(b)
			b.StartTimer()
			put(b, s, first, store.AdvisoryPut{Added: advisories})
			b.StopTimer()
			s.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(advisories*b.N)/b.Elapsed().Seconds(), "advisories/s")
	})
	b.Run(fmt.Sprintf("put-advisories-unchanged-%d", advisories), func(b *testing.B) {
		s := open(b)
		defer s.Close()
		put(b, s, first, store.AdvisoryPut{Added: advisories})
		settle(b, s)
		for b.Loop() {
			put(b, s, first, store.AdvisoryPut{Unchanged: advisories})
		}
		b.ReportMetric(float64(advisories*b.N)/b.Elapsed().Seconds(), "advisories/s")
	})
	b.Run(fmt.Sprintf("put-advisories-updated-%d", advisories), func(b *testing.B) {
		s := open(b)
		defer s.Close()
		put(b, s, first, store.AdvisoryPut{Added: advisories})
		settle(b, s)
		n := 0
		for b.Loop() {
			b.StopTimer()
			n++
			next := feed(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour))
			b.StartTimer()
			put(b, s, next, store.AdvisoryPut{Updated: advisories})
		}
		b.ReportMetric(float64(advisories*b.N)/b.Elapsed().Seconds(), "advisories/s")
	})
	b.Run(fmt.Sprintf("scan-advisories-%d", advisories), func(b *testing.B) {
		s := open(b)
		defer s.Close()
		put(b, s, first, store.AdvisoryPut{Added: advisories})
		settle(b, s)
		for b.Loop() {
			n := 0
			if err := s.Vulns().ScanAdvisories(b.Context(), func(a store.Advisory) error {
				if len(a.Record) == 0 {
					return fmt.Errorf("advisory %s without record", a.ID)
				}
				n++
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			if n != advisories {
				b.Fatalf("scanned %d of %d", n, advisories)
			}
		}
		b.ReportMetric(float64(advisories*b.N)/b.Elapsed().Seconds(), "advisories/s")
	})

	vulns := max(perAgent*agents/50, perAgent) // each vulnerability on about 50 hosts
	fleet := make([][]store.VulnFinding, agents)
	for a := range fleet {
		for j := range perAgent {
			fleet[a] = append(fleet[a], BenchFinding(a, j, vulns))
		}
	}
	replaceAll := func(b *testing.B, s store.Store, when time.Time, fresh bool) {
		for a, fs := range fleet {
			res, err := s.Vulns().ReplaceFindings(b.Context(), fmt.Sprintf("agent-%06d", a), fs, when)
			if err != nil {
				b.Fatal(err)
			}
			if fresh && res.Added != len(fs) || !fresh && res.Kept != len(fs) {
				b.Fatalf("ReplaceFindings of agent %d: %+v", a, res)
			}
		}
	}
	name := fmt.Sprintf("%dx%d", agents, perAgent)
	b.Run("replace-findings-new-"+name, func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s := open(b)
			b.StartTimer()
			replaceAll(b, s, time.Now(), true)
			b.StopTimer()
			s.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(agents*perAgent*b.N)/b.Elapsed().Seconds(), "findings/s")
	})
	s := open(b)
	defer s.Close()
	replaceAll(b, s, time.Now(), true)
	settle(b, s)
	b.Run("replace-findings-again-"+name, func(b *testing.B) {
		for b.Loop() {
			replaceAll(b, s, time.Now(), false)
		}
		b.ReportMetric(float64(agents*perAgent*b.N)/b.Elapsed().Seconds(), "findings/s")
	})
	total := agents * perAgent
	for _, lc := range []struct {
		name string
		f    store.VulnFindingFilter
	}{
		{"list-findings-first-page", store.VulnFindingFilter{}},
		{"list-findings-critical-exploited", store.VulnFindingFilter{Severities: []string{"critical"}, KnownExploited: true}},
		{"list-findings-one-agent", store.VulnFindingFilter{AgentID: fmt.Sprintf("agent-%06d", agents/2)}},
		{"list-findings-q", store.VulnFindingFilter{Q: "lib0004"}},
	} {
		b.Run(fmt.Sprintf("%s-of-%d", lc.name, total), func(b *testing.B) {
			f := lc.f
			f.Limit = 100
			for b.Loop() {
				page, _, err := s.Vulns().ListFindings(b.Context(), f)
				if err != nil {
					b.Fatal(err)
				}
				if len(page) == 0 {
					b.Fatal("empty page")
				}
			}
		})
	}
	b.Run(fmt.Sprintf("list-findings-all-by-1000-of-%d", total), func(b *testing.B) {
		for b.Loop() {
			n := 0
			f := store.VulnFindingFilter{Page: store.Page{Limit: store.MaxLimit}}
			for {
				page, next, err := s.Vulns().ListFindings(b.Context(), f)
				if err != nil {
					b.Fatal(err)
				}
				n += len(page)
				if next == "" {
					break
				}
				f.Cursor = next
			}
			if n != total {
				b.Fatalf("listed %d of %d", n, total)
			}
		}
	})
	for _, sc := range []struct {
		name string
		f    store.VulnFindingFilter
	}{
		{"vuln-summaries-first-page", store.VulnFindingFilter{}},
		{"vuln-summaries-running", store.VulnFindingFilter{Running: true}},
		{"vuln-summaries-one-agent", store.VulnFindingFilter{AgentID: fmt.Sprintf("agent-%06d", agents/2)}},
	} {
		b.Run(fmt.Sprintf("%s-of-%d", sc.name, total), func(b *testing.B) {
			f := sc.f
			f.Limit = 100
			for b.Loop() {
				page, _, err := s.Vulns().VulnSummaries(b.Context(), f)
				if err != nil {
					b.Fatal(err)
				}
				if len(page) == 0 {
					b.Fatal("empty page")
				}
			}
		})
	}
	b.Run(fmt.Sprintf("host-summaries-of-%d", total), func(b *testing.B) {
		for b.Loop() {
			hosts, err := s.Vulns().HostSummaries(b.Context(), "")
			if err != nil {
				b.Fatal(err)
			}
			if len(hosts) != agents {
				b.Fatalf("%d hosts, want %d", len(hosts), agents)
			}
		}
	})
}
