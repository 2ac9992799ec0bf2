// Command fim measures the file integrity baseline scan of a tree (files
// per second, MiB per second, peak RSS, CPU seconds, live heap per entry
// of the in-memory index) beside AIDE's "aide --init" on the same tree in
// the same run, and the sensor's next start (the stored baseline loaded
// into the index and the tree compared with it). Each scanner runs as a
// child process, so that its memory and CPU are its own.
//
//	go run ./bench/fim --tree /usr
//
// The "outside" sub-command measures the CPU of the real sensor
// (fanotify) while another process writes heavily on the same filesystem
// outside the watched tree, with inode marks and with filesystem marks:
//
//	go run ./bench/fim outside
//
// Nothing here asserts a time: read the figures and compare them.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sense/fim/baseline"
)

// childStats is what a scanning child prints.
type childStats struct {
	Entries      int     `json:"entries"`
	Files        int     `json:"files"`
	Hashed       int     `json:"hashed"`
	Errors       int     `json:"errors"`
	HashedBytes  int64   `json:"hashed_bytes"`
	StorageBytes int64   `json:"storage_bytes"`
	ThrottledSec float64 `json:"throttled_sec"`
	StoreBytes   int64   `json:"store_bytes"`
	HeapMiB      float64 `json:"heap_mib"`
	// LiveMiB is the heap still in use after a collection at the end,
	// IndexMiB what the index holds, Gone the entries found deleted at a
	// next start.
	LiveMiB  float64 `json:"live_mib"`
	IndexMiB float64 `json:"index_mib"`
	Gone     int     `json:"gone"`
}

// result is one scanner's figures.
type result struct {
	Name        string  `json:"name"`
	Entries     int     `json:"entries"`
	WallSec     float64 `json:"wall_sec"`
	FilesPerSec float64 `json:"files_per_sec"`
	MiBPerSec   float64 `json:"mib_per_sec"`
	PeakRSSMiB  float64 `json:"peak_rss_mib"`
	CPUSec      float64 `json:"cpu_sec"`
	UserSec     float64 `json:"user_sec"`
	SysSec      float64 `json:"sys_sec"`
	// LiveBytesPerEntry is the live heap at the end over the entries.
	LiveBytesPerEntry float64 `json:"live_bytes_per_entry,omitempty"`
	Note              string  `json:"note,omitempty"`
}

func main() {
	if len(os.Args) > 1 {
		sub := map[string]func([]string) error{
			"outside": runOutside, "outside-sensor": runOutsideSensor, "outside-writer": runOutsideWriter,
		}[os.Args[1]]
		if sub != nil {
			if err := sub(os.Args[2:]); err != nil {
				fail(err)
			}
			return
		}
	}
	tree := flag.String("tree", "/usr", "tree to scan")
	readRate := flag.Int64("read-rate", 50<<20, "storage read bytes per second of hashing (0: no limit)")
	workers := flag.Int("workers", 1, "hashing threads")
	maxSize := flag.Int64("max-file-size", 0, "largest file hashed in bytes (0: no limit, as AIDE)")
	index := flag.Bool("index", true, "keep the in-memory index as the sensor does (else stream to the store only)")
	next := flag.Bool("next-start", true, "also measure the next start: the stored baseline loaded into the index and the tree compared with it")
	memprofile := flag.String("memprofile", "", "write the heap profile of the first scan's child at its end to this file")
	load := flag.Bool("load", false, "internal: load the stored baseline first, as at a next start")
	aide := flag.String("aide", "aide", "AIDE executable (empty: skip AIDE)")
	out := flag.String("o", "text", "output: text or json")
	child := flag.Bool("child", false, "internal: run one scan and print its figures")
	store := flag.String("store", "", "internal: baseline file the child writes")
	flag.Parse()

	if *child {
		if err := runChild(childOptions{tree: *tree, store: *store, readRate: *readRate, workers: *workers,
			maxSize: *maxSize, index: *index, load: *load, memprofile: *memprofile}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	tmp, err := os.MkdirTemp("", "vigil-bench-fim-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)

	var results []result
	var bytes int64
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	args := []string{"--child", "--tree", *tree, "--store", filepath.Join(tmp, "fim.db"),
		"--read-rate", fmt.Sprint(*readRate), "--workers", fmt.Sprint(*workers),
		"--max-file-size", fmt.Sprint(*maxSize), fmt.Sprintf("--index=%v", *index)}
	runs := []struct {
		name string
		args []string
	}{{"vigil fim", append(slices.Clone(args), "--memprofile", *memprofile)}}
	if *next && *index {
		runs = append(runs, struct {
			name string
			args []string
		}{"vigil next", append(slices.Clone(args), "--load")})
	}
	for _, run := range runs {
		var cs childStats
		r, err := measure(run.name, exec.Command(self, run.args...), func(stdout []byte) error { return json.Unmarshal(stdout, &cs) })
		if err != nil {
			fail(err)
		}
		if bytes == 0 {
			bytes = cs.HashedBytes
		}
		r.Entries = cs.Entries
		if *index {
			r.LiveBytesPerEntry = cs.LiveMiB * (1 << 20) / float64(max(cs.Entries, 1))
		}
		r.Note = fmt.Sprintf("%d files hashed, %.0f MiB read from storage, throttled %.1fs, %d errors, baseline file %.1f MiB, heap %.1f MiB (live %.1f MiB, index %.1f MiB), read rate %s, %d worker(s), index %v",
			cs.Hashed, float64(cs.StorageBytes)/(1<<20), cs.ThrottledSec, cs.Errors, float64(cs.StoreBytes)/(1<<20), cs.HeapMiB,
			cs.LiveMiB, cs.IndexMiB, rateString(*readRate), *workers, *index)
		if run.name == "vigil next" {
			r.Note += fmt.Sprintf(", stored baseline loaded, %d gone", cs.Gone)
		}
		results = append(results, r)
	}

	if *aide != "" {
		conf := filepath.Join(tmp, "aide.conf")
		db := filepath.Join(tmp, "aide.db")
		text := fmt.Sprintf("database_out=file:%s\ngzip_dbout=no\nreport_url=stdout\nS = sha256\n%s S\n", db, *tree)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			fail(err)
		}
		cmd := exec.Command(*aide, "--init", "-c", conf)
		ar, err := measure("aide --init", cmd, nil)
		if err != nil {
			fail(err)
		}
		ar.Entries = results[0].Entries // the same tree; AIDE reports its own count in its output
		ar.FilesPerSec = float64(ar.Entries) / ar.WallSec
		if fi, err := os.Stat(db); err == nil {
			ar.Note = fmt.Sprintf("database %.1f MiB, sha256 only, AIDE's default workers", float64(fi.Size())/(1<<20))
		}
		results = append(results, ar)
	}
	for i := range results {
		results[i].FilesPerSec = float64(results[i].Entries) / results[i].WallSec
		results[i].MiBPerSec = float64(bytes) / (1 << 20) / results[i].WallSec
	}
	if *out == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"tree": *tree, "bytes": bytes, "cores": runtime.NumCPU(), "results": results})
		return
	}
	fmt.Printf("tree %s: %d entries, %.0f MiB of regular files, %d cores\n\n", *tree, results[0].Entries, float64(bytes)/(1<<20), runtime.NumCPU())
	fmt.Printf("%-12s %9s %11s %9s %12s %9s %13s\n", "scanner", "wall s", "files/s", "MiB/s", "peak RSS MiB", "CPU s", "live B/entry")
	for _, r := range results {
		live := "-"
		if r.LiveBytesPerEntry > 0 {
			live = fmt.Sprintf("%.0f", r.LiveBytesPerEntry)
		}
		fmt.Printf("%-12s %9.2f %11.0f %9.1f %12.1f %9.2f %13s\n", r.Name, r.WallSec, r.FilesPerSec, r.MiBPerSec, r.PeakRSSMiB, r.CPUSec, live)
	}
	fmt.Println()
	for _, r := range results {
		fmt.Printf("%s: %s\n", r.Name, r.Note)
	}
	if a := results[len(results)-1]; *aide != "" {
		fmt.Printf("\nfiles/s ratio vigil/aide: %.2fx; CPU ratio aide/vigil: %.2fx\n",
			results[0].FilesPerSec/a.FilesPerSec, a.CPUSec/results[0].CPUSec)
	}
}

func rateString(r int64) string {
	if r == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%d MiB/s", r>>20)
}

// measure runs cmd and returns its wall time, peak RSS and CPU.
func measure(name string, cmd *exec.Cmd, parse func([]byte) error) (result, error) {
	cmd.Stderr = os.Stderr
	start := time.Now()
	stdout, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", name, err)
	}
	if parse != nil {
		if err := parse(stdout); err != nil {
			return result{}, fmt.Errorf("%s output: %w", name, err)
		}
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	user := time.Duration(ru.Utime.Nano()).Seconds()
	sys := time.Duration(ru.Stime.Nano()).Seconds()
	return result{Name: name, WallSec: wall.Seconds(), PeakRSSMiB: float64(ru.Maxrss) / 1024,
		CPUSec: user + sys, UserSec: user, SysSec: sys}, nil
}

// childOptions are a scanning child's flags.
type childOptions struct {
	tree, store       string
	readRate, maxSize int64
	workers           int
	index, load       bool
	memprofile        string
}

// runChild scans the tree as the sensor's baseline does: into the
// in-memory index (with load, the stored baseline loaded into it first,
// unchanged files keeping their hashes), then the index written as the
// baseline file. Without the index, entries go straight to the file.
func runChild(o childOptions) error {
	opt := baseline.Options{Root: "/", Paths: []string{o.tree}, Hash: true, MaxFileSize: o.maxSize,
		ReadRate: o.readRate, Workers: o.workers}
	var cs childStats
	var st baseline.Stats
	var x *baseline.Index
	if !o.index {
		w, err := baseline.Create(o.store)
		if err != nil {
			return err
		}
		if st, err = baseline.Scan(context.Background(), opt, func(e *baseline.Entry, _ []byte) error { return w.Add(e) }); err != nil {
			w.Abort()
			return err
		}
		if err := w.Commit(); err != nil {
			return err
		}
	} else {
		x = baseline.NewIndex()
		if o.load {
			if err := x.Load(o.store); err != nil {
				return err
			}
			x.Retain(opt.Paths)
			opt.Previous = x.Get
		}
		x.ClearSeen()
		var err error
		if st, err = baseline.Scan(context.Background(), opt, func(e *baseline.Entry, _ []byte) error { return x.Put(e) }); err != nil {
			return err
		}
		var gone []string
		x.Unseen(o.tree, func(e *baseline.Entry) bool {
			gone = append(gone, e.Path)
			return true
		})
		for _, p := range gone {
			x.Delete(p)
		}
		cs.Gone = len(gone)
		if err := x.Save(o.store, nil); err != nil {
			return err
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cs.Entries, cs.Files, cs.Hashed, cs.Errors = st.Entries, st.Files, st.Hashed, st.Errors
	cs.HashedBytes, cs.StorageBytes, cs.ThrottledSec = st.HashedBytes, st.StorageBytes, st.Throttled.Seconds()
	cs.HeapMiB = float64(ms.HeapInuse) / (1 << 20)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	cs.LiveMiB = float64(ms.HeapAlloc) / (1 << 20)
	if x != nil {
		cs.IndexMiB = float64(x.Bytes()) / (1 << 20)
	}
	if fi, err := os.Stat(o.store); err == nil {
		cs.StoreBytes = fi.Size()
	}
	if o.memprofile != "" {
		f, err := os.Create(o.memprofile)
		if err != nil {
			return err
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	runtime.KeepAlive(x)
	return json.NewEncoder(os.Stdout).Encode(cs)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/fim:", err)
	os.Exit(1)
}
