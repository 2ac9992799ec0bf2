package match

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/vuln/ecosystem"
	"github.com/vigilsec/vigil/internal/vuln/osv"
)

// The synthetic fleet: advisories spread over three distributions and
// four language registries, hosts sharing a catalogue of a few thousand
// package versions as real fleets do.
const (
	benchAdvisories = 50_000
	benchNames      = 3_000 // distinct package names per ecosystem
	benchHosts      = 1_000
	benchOSPackages = 600 // per host
	benchLibraries  = 200 // per host
	benchCatalogue  = 1_000
)

type benchEco struct {
	eco     string
	scheme  string // version shape
	os      bool
	hostEco ecosystem.Ecosystem
}

var benchEcos = []benchEco{
	{eco: "Debian:12", scheme: "deb", os: true},
	{eco: "Ubuntu:22.04:LTS", scheme: "ubuntu", os: true},
	{eco: "Alpine:v3.18", scheme: "apk", os: true},
	{eco: "PyPI", scheme: "plain"},
	{eco: "npm", scheme: "plain"},
	{eco: "Maven", scheme: "plain"},
	{eco: "Go", scheme: "plain"},
}

func init() {
	for i := range benchEcos {
		benchEcos[i].hostEco = ecosystem.Parse(benchEcos[i].eco)
	}
}

func benchName(e benchEco, n int) string {
	switch e.eco {
	case "Maven":
		return fmt.Sprintf("org.example%d:artifact-%d", n%97, n)
	case "Go":
		return fmt.Sprintf("github.com/example%d/module-%d", n%89, n)
	}
	return fmt.Sprintf("pkg-%d", n)
}

// benchVersion writes a version of the ecosystem's shape; rev is the
// distribution revision or patch level.
func benchVersion(e benchEco, major, minor, patch, rev int, host bool) string {
	switch e.scheme {
	case "deb":
		return fmt.Sprintf("%d.%d.%d-%d+deb12u%d", major, minor, patch, 1+rev%3, rev)
	case "ubuntu":
		return fmt.Sprintf("%d.%d.%d-0ubuntu0.22.04.%d", major, minor, patch, rev)
	case "apk":
		return fmt.Sprintf("%d.%d.%d-r%d", major, minor, patch, rev)
	}
	if host && e.eco == "Go" {
		return fmt.Sprintf("v%d.%d.%d", major, minor, patch+rev)
	}
	return fmt.Sprintf("%d.%d.%d", major, minor, patch+rev)
}

var cvss = []string{
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H",
	"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N",
}

func benchRecords() []*osv.Record {
	rng := rand.New(rand.NewPCG(1, 2))
	modified := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	recs := make([]*osv.Record, 0, benchAdvisories)
	for i := range benchAdvisories {
		e := benchEcos[i%len(benchEcos)]
		name := benchName(e, rng.IntN(benchNames))
		major, minor := rng.IntN(4)+1, rng.IntN(10)
		var ranges []osv.Range
		if e.os {
			ranges = []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{
				{Introduced: "0"}, {Fixed: benchVersion(e, major, minor, rng.IntN(10), rng.IntN(6)+1, false)},
			}}}
		} else {
			typ := osv.RangeEcosystem
			if e.eco == "Go" || e.eco == "npm" {
				typ = osv.RangeSemver
			}
			ranges = []osv.Range{{Type: typ, Events: []osv.Event{
				{Introduced: fmt.Sprintf("%d.0.0", major)}, {Fixed: benchVersion(e, major, minor, rng.IntN(10), 0, false)},
			}}}
			if rng.IntN(3) == 0 {
				ranges = append(ranges, osv.Range{Type: typ, Events: []osv.Event{
					{Introduced: fmt.Sprintf("%d.0.0", major+1)}, {Fixed: benchVersion(e, major+1, minor, 1, 0, false)},
				}})
			}
		}
		r := &osv.Record{
			ID:        fmt.Sprintf("BENCH-%d", i),
			Modified:  modified,
			Published: modified,
			Summary:   fmt.Sprintf("Synthetic advisory %d for %s", i, name),
			Severity:  []osv.SeverityScore{{Type: osv.SeverityCVSSv3, Score: cvss[i%len(cvss)]}},
			Affected:  []osv.Affected{{Package: &osv.Package{Ecosystem: e.eco, Name: name}, Ranges: ranges}},
		}
		if i%10 < 7 {
			r.Aliases = []string{fmt.Sprintf("CVE-20%02d-%05d", 10+i%15, i)}
		}
		recs = append(recs, r)
	}
	return recs
}

func benchIndex(tb testing.TB, recs []*osv.Record) *Index {
	tb.Helper()
	b := NewBuilder()
	for _, r := range recs {
		b.Add(r)
	}
	return b.Build()
}

// benchFleet returns the hosts' packages: each host runs one of the
// distributions and carries libraries of the four registries, all drawn
// from a shared catalogue.
func benchFleet() [][]Package {
	rng := rand.New(rand.NewPCG(3, 4))
	catalogue := map[string][]Package{}
	for _, e := range benchEcos {
		for range benchCatalogue {
			n := rng.IntN(benchNames)
			major, minor, patch := rng.IntN(4)+1, rng.IntN(10), rng.IntN(10)
			p := Package{Ecosystem: e.hostEco, Name: benchName(e, n), Version: benchVersion(e, major, minor, patch, rng.IntN(6), true)}
			if e.os && n%3 == 0 {
				p.SourceName, p.Name = p.Name, "lib"+p.Name
			}
			catalogue[e.eco] = append(catalogue[e.eco], p)
		}
	}
	libs := []string{"PyPI", "npm", "Maven", "Go"}
	fleet := make([][]Package, benchHosts)
	for h := range fleet {
		osEco := benchEcos[h%3].eco
		pkgs := make([]Package, 0, benchOSPackages+benchLibraries)
		for range benchOSPackages {
			pkgs = append(pkgs, catalogue[osEco][rng.IntN(benchCatalogue)])
		}
		for range benchLibraries {
			l := libs[rng.IntN(len(libs))]
			pkgs = append(pkgs, catalogue[l][rng.IntN(benchCatalogue)])
		}
		fleet[h] = pkgs
	}
	return fleet
}

// BenchmarkBuild compiles 50,000 advisories; it reports the memory the
// index keeps.
func BenchmarkBuild(b *testing.B) {
	recs := benchRecords()
	var ix *Index
	for b.Loop() {
		ix = benchIndex(b, recs)
	}
	b.StopTimer()
	ix = nil
	heap := func() int64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	before := heap()
	ix = benchIndex(b, recs)
	after := heap()
	b.ReportMetric(float64(after-before)/(1<<20), "index-MiB")
	st := ix.Stats()
	b.ReportMetric(float64(st.Advisories), "advisories")
	b.ReportMetric(float64(st.Packages), "packages")
	runtime.KeepAlive(ix)
	runtime.KeepAlive(recs)
}

// BenchmarkFleetMatch matches 1,000 hosts of 800 packages each, one
// after the other, from a cold cache every time.
func BenchmarkFleetMatch(b *testing.B) {
	ix := benchIndex(b, benchRecords())
	fleet := benchFleet()
	b.ReportAllocs()
	hits := 0
	for b.Loop() {
		ix.ClearCache()
		hits = 0
		for _, pkgs := range fleet {
			for _, p := range pkgs {
				hits += len(ix.Match(p))
			}
		}
	}
	b.ReportMetric(float64(hits), "hits")
	b.ReportMetric(float64(benchHosts*(benchOSPackages+benchLibraries)), "packages")
	b.ReportMetric(float64(ix.Stats().Cached), "distinct")
}

// BenchmarkFleetMatchParallel is the fleet match with one goroutine per
// core, as the center runs it.
func BenchmarkFleetMatchParallel(b *testing.B) {
	ix := benchIndex(b, benchRecords())
	fleet := benchFleet()
	workers := runtime.GOMAXPROCS(0)
	b.ReportAllocs()
	for b.Loop() {
		ix.ClearCache()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for h := w; h < len(fleet); h += workers {
					for _, p := range fleet[h] {
						ix.Match(p)
					}
				}
			}()
		}
		wg.Wait()
	}
}

// BenchmarkMatchCold matches distinct package versions, none cached.
func BenchmarkMatchCold(b *testing.B) {
	ix := benchIndex(b, benchRecords())
	fleet := benchFleet()
	var pkgs []Package
	seen := map[Package]bool{}
	for _, h := range fleet {
		for _, p := range h {
			if !seen[p] {
				seen[p] = true
				pkgs = append(pkgs, p)
			}
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%len(pkgs) == 0 {
			ix.ClearCache()
		}
		ix.Match(pkgs[i%len(pkgs)])
		i++
	}
}

// TestBenchFleetFindsHits keeps the benchmark honest: the synthetic
// fleet does carry vulnerable packages, and matching it twice agrees.
func TestBenchFleetFindsHits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 50,000 advisories")
	}
	ix := benchIndex(t, benchRecords())
	if st := ix.Stats(); st.Advisories != benchAdvisories || st.BadRanges != 0 {
		t.Fatalf("stats = %+v", st)
	}
	fleet := benchFleet()[:20]
	hits := 0
	for _, pkgs := range fleet {
		for _, p := range pkgs {
			h := ix.Match(p)
			hits += len(h)
			ix.ClearCache()
			if again := ix.Match(p); len(again) != len(h) {
				t.Fatalf("%+v: %d hits, then %d", p, len(h), len(again))
			}
		}
	}
	if hits == 0 {
		t.Fatal("the synthetic fleet has no vulnerable package")
	}
}
