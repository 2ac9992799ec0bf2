// Command vulns measures the center's vulnerability matching end to end on
// a real store: a fleet's package and library inventory and an OSV
// database are written to SQLite (or PostgreSQL), then the vulnerability
// service builds its index from the store and matches every host, reading
// each host's items from the store and writing its findings back; then it
// matches the unchanged fleet again. The data are synthetic but shaped as
// a real fleet's: hosts share a catalogue of package versions.
//
//	go run ./bench/vulns                                  (1,000 hosts x 800 items, 50,000 advisories)
//	go run ./bench/vulns -hosts 200 -store postgres://vigil:vigil@127.0.0.1/vigil_bench
//	go run ./bench/vulns -o json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/postgres"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// report is what a run prints.
type report struct {
	Store             string  `json:"store"`
	Hosts             int     `json:"hosts"`
	ItemsPerHost      int     `json:"items_per_host"`
	Advisories        int     `json:"advisories"`
	InventorySeconds  float64 `json:"inventory_write_seconds"`
	AdvisorySeconds   float64 `json:"advisory_write_seconds"`
	IndexSeconds      float64 `json:"index_build_seconds"`
	IndexHeapMiB      float64 `json:"index_heap_mib"`
	FleetSeconds      float64 `json:"fleet_match_seconds"`
	FleetCPUSeconds   float64 `json:"fleet_match_cpu_seconds"`
	Findings          int     `json:"findings"`
	UnchangedSeconds  float64 `json:"unchanged_fleet_match_seconds"`
	UnchangedCPU      float64 `json:"unchanged_fleet_match_cpu_seconds"`
	PeakRSSMiB        float64 `json:"peak_rss_mib"`
	MatchedHostsFirst int     `json:"hosts_matched"`
}

func main() {
	hosts := flag.Int("hosts", 1000, "hosts in the fleet")
	items := flag.Int("items", 800, "packages and libraries per host")
	advisories := flag.Int("advisories", 50000, "advisories in the database")
	dsn := flag.String("store", "", "postgres:// URL of an empty database (default: SQLite in a temporary folder)")
	out := flag.String("o", "table", "table or json")
	flag.Parse()
	if err := run(*hosts, *items, *advisories, *dsn, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench/vulns:", err)
		os.Exit(1)
	}
}

func run(hosts, items, advisories int, dsn, out string) error {
	ctx := context.Background()
	st, name, cleanup, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer cleanup()
	rep := report{Store: name, Hosts: hosts, ItemsPerHost: items, Advisories: advisories}
	fleet := newFleet(hosts, items)

	start := time.Now()
	if err := fleet.write(ctx, st); err != nil {
		return err
	}
	rep.InventorySeconds = time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "inventory of %d hosts written in %.1f s\n", hosts, rep.InventorySeconds)

	start = time.Now()
	advs := fleet.advisories(advisories)
	for i := 0; i < len(advs); i += 1000 {
		if _, err := st.Vulns().PutAdvisories(ctx, advs[i:min(i+1000, len(advs))]); err != nil {
			return fmt.Errorf("put advisories: %w", err)
		}
	}
	rep.AdvisorySeconds = time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "%d advisories written in %.1f s\n", len(advs), rep.AdvisorySeconds)

	tmp, err := os.MkdirTemp("", "vulns-bench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	svc, err := vuln.New(vuln.Config{Store: st, TempDir: tmp, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start = time.Now()
	if err := svc.RebuildIndex(ctx); err != nil {
		return err
	}
	rep.IndexSeconds = time.Since(start).Seconds()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	rep.IndexHeapMiB = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)

	for pass := range 2 {
		cpu0 := cpuSeconds()
		start = time.Now()
		n, err := svc.MatchFleet(ctx)
		if err != nil {
			return err
		}
		wall, cpu := time.Since(start).Seconds(), cpuSeconds()-cpu0
		if pass == 0 {
			rep.FleetSeconds, rep.FleetCPUSeconds, rep.MatchedHostsFirst = wall, cpu, n
		} else {
			rep.UnchangedSeconds, rep.UnchangedCPU = wall, cpu
		}
	}
	sums, err := st.Vulns().HostSummaries(ctx, "")
	if err != nil {
		return err
	}
	for _, s := range sums {
		rep.Findings += s.Total
	}
	rep.PeakRSSMiB = peakRSSMiB()
	if out == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "store\t%s\n", rep.Store)
	fmt.Fprintf(w, "fleet\t%d hosts x %d items, %d advisories\n", rep.Hosts, rep.ItemsPerHost, rep.Advisories)
	fmt.Fprintf(w, "write inventory\t%.1f s\n", rep.InventorySeconds)
	fmt.Fprintf(w, "write advisories\t%.1f s\n", rep.AdvisorySeconds)
	fmt.Fprintf(w, "build index from the store\t%.2f s, %.0f MiB of heap\n", rep.IndexSeconds, rep.IndexHeapMiB)
	fmt.Fprintf(w, "match the fleet (read items, match, write findings)\t%.1f s wall, %.1f s CPU, %d hosts, %d findings\n",
		rep.FleetSeconds, rep.FleetCPUSeconds, rep.MatchedHostsFirst, rep.Findings)
	fmt.Fprintf(w, "match the unchanged fleet again\t%.1f s wall, %.1f s CPU\n", rep.UnchangedSeconds, rep.UnchangedCPU)
	fmt.Fprintf(w, "peak RSS\t%.0f MiB\n", rep.PeakRSSMiB)
	return w.Flush()
}

// openStore opens the store to measure.
func openStore(ctx context.Context, dsn string) (store.Store, string, func(), error) {
	if strings.HasPrefix(dsn, "postgres") {
		st, err := postgres.Open(ctx, dsn, postgres.Options{})
		if err != nil {
			return nil, "", nil, err
		}
		return st, "postgresql", func() { st.Close() }, nil
	}
	dir, err := os.MkdirTemp("", "vulns-bench-db-*")
	if err != nil {
		return nil, "", nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"), sqlite.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", nil, err
	}
	return st, "sqlite", func() { st.Close(); os.RemoveAll(dir) }, nil
}

// catalogue sizes: the distinct packages hosts pick from, each in a few
// versions.
const (
	sourcePackages = 3000
	libraries      = 400
	versionsEach   = 3
)

// fleet is the synthetic fleet.
type fleet struct {
	hosts, items int
}

func newFleet(hosts, items int) *fleet { return &fleet{hosts: hosts, items: items} }

// debVersion is version v of source package i.
func debVersion(i, v int) string { return fmt.Sprintf("%d.%d.%d-1~deb12u%d", 1+i%5, i%17, i%11, v+1) }

// write writes every host's package and library sets.
func (f *fleet) write(ctx context.Context, st store.Store) error {
	libs := f.items / 8
	for h := range f.hosts {
		id := fmt.Sprintf("bench-%05d", h)
		if err := st.Agents().Create(ctx, store.Agent{ID: id, Hostname: id, Status: store.StatusOnline, Platform: "debian",
			PlatformVersion: "12.11", OS: "linux", Labels: map[string]string{}, UserKey: fmt.Sprintf("U%055d", h)}); err != nil {
			return fmt.Errorf("agent %s: %w", id, err)
		}
		r := rand.New(rand.NewPCG(uint64(h), 7))
		var pkgs, jars []store.AssetRecord
		for _, i := range r.Perm(sourcePackages)[:f.items-libs] {
			v := debVersion(i, r.IntN(versionsEach))
			name := fmt.Sprintf("pkg%04d", i)
			pkgs = append(pkgs, item("package", "deb:"+name+":amd64", name, v, map[string]any{"package": map[string]any{
				"name": name, "version": v, "type": "deb", "source": fmt.Sprintf("src%04d", i), "install_status": "installed"}}))
		}
		for _, i := range r.Perm(libraries)[:libs] {
			v := fmt.Sprintf("2.%d.%d", i%13, r.IntN(versionsEach))
			name := fmt.Sprintf("org.example:lib%03d", i)
			path := fmt.Sprintf("/opt/app%d/lib/lib%03d-%s.jar", h%7, i, v)
			jars = append(jars, item("library", "maven:"+name+"@"+v+":"+path, name, v, map[string]any{"package": map[string]any{
				"name": name, "version": v, "type": "maven", "path": path}}))
		}
		for collector, set := range map[string][]store.AssetRecord{"os/packages": pkgs, "app/libraries": jars} {
			hashes := map[string][32]byte{}
			for _, it := range set {
				hashes[it.Kind+"\x00"+it.Key] = it.Hash
			}
			res, err := st.Inventory().Apply(ctx, store.InventoryChanges{AgentID: id, Collector: collector,
				BaseDigest: event.InventoryDigest(nil), Digest: event.InventoryDigest(hashes), Upserts: set, At: time.Now().UTC(), Last: true})
			if err != nil || res.Resync {
				return fmt.Errorf("inventory of %s: %+v, %v", id, res, err)
			}
		}
	}
	return nil
}

// item makes an inventory item.
func item(kind, key, name, version string, fields map[string]any) store.AssetRecord {
	b, _ := json.Marshal(fields)
	return store.AssetRecord{Kind: kind, Key: key, Name: name, Version: version, Fields: b,
		Hash: event.AssetHash(kind, key, name, version, b)}
}

// advisories makes n advisories: most for Debian 12 source packages of
// the catalogue and beyond it, the rest for Maven libraries and for
// PyPI and npm packages no host has.
func (f *fleet) advisories(n int) []store.Advisory {
	r := rand.New(rand.NewPCG(42, 42))
	out := make([]store.Advisory, 0, n)
	for k := range n {
		id := fmt.Sprintf("BENCH-%06d", k)
		cve := fmt.Sprintf("CVE-2099-%06d", k)
		var eco, name, fixed string
		switch m := k % 10; {
		case m < 6:
			i := r.IntN(sourcePackages * 20) // one in 20 is a package hosts have
			eco, name, fixed = "Debian:12", fmt.Sprintf("src%04d", i), debVersion(i, r.IntN(versionsEach+1))
		case m < 8:
			i := r.IntN(libraries * 20)
			eco, name, fixed = "Maven", fmt.Sprintf("org.example:lib%03d", i), fmt.Sprintf("2.%d.%d", i%13, r.IntN(versionsEach+1))
		case m == 8:
			eco, name, fixed = "PyPI", fmt.Sprintf("py-%05d", r.IntN(20000)), "1.0.1"
		default:
			eco, name, fixed = "npm", fmt.Sprintf("js-%05d", r.IntN(20000)), "1.0.1"
		}
		rec, _ := json.Marshal(map[string]any{"id": id, "modified": "2099-01-01T00:00:00Z", "aliases": []string{cve},
			"summary": "synthetic advisory " + id,
			"affected": []any{map[string]any{"package": map[string]any{"ecosystem": eco, "name": name},
				"ranges": []any{map[string]any{"type": "ECOSYSTEM", "events": []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": fixed}}}}}}})
		out = append(out, store.Advisory{ID: id, Source: "bench", Modified: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
			Aliases: []string{cve}, Summary: "synthetic advisory " + id, Severity: []string{"critical", "high", "medium", "low"}[k%4],
			Score: float64(k%10) + 0.5, Ecosystems: []string{eco}, Packages: []string{name}, Record: rec})
	}
	return out
}

// cpuSeconds returns this process's CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// peakRSSMiB returns this process's peak resident memory.
func peakRSSMiB() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}
