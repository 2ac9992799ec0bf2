// Command fim measures the file integrity baseline scan of a tree (files
// per second, MiB per second, peak RSS, CPU seconds) beside AIDE's
// "aide --init" on the same tree in the same run. Each scanner runs as a
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
	Note        string  `json:"note,omitempty"`
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
	aide := flag.String("aide", "aide", "AIDE executable (empty: skip AIDE)")
	out := flag.String("o", "text", "output: text or json")
	child := flag.Bool("child", false, "internal: run one scan and print its figures")
	store := flag.String("store", "", "internal: baseline file the child writes")
	flag.Parse()

	if *child {
		if err := runChild(*tree, *store, *readRate, *workers, *maxSize, *index); err != nil {
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
	cmd := exec.Command(self, "--child", "--tree", *tree, "--store", filepath.Join(tmp, "fim.db"),
		"--read-rate", fmt.Sprint(*readRate), "--workers", fmt.Sprint(*workers),
		"--max-file-size", fmt.Sprint(*maxSize), fmt.Sprintf("--index=%v", *index))
	var cs childStats
	r, err := measure("vigil fim", cmd, func(stdout []byte) error { return json.Unmarshal(stdout, &cs) })
	if err != nil {
		fail(err)
	}
	bytes = cs.HashedBytes
	r.Entries = cs.Entries
	r.Note = fmt.Sprintf("%d files hashed, %.0f MiB read from storage, throttled %.1fs, %d errors, baseline file %.1f MiB, heap %.1f MiB, read rate %s, %d worker(s), index %v",
		cs.Hashed, float64(cs.StorageBytes)/(1<<20), cs.ThrottledSec, cs.Errors, float64(cs.StoreBytes)/(1<<20), cs.HeapMiB, rateString(*readRate), *workers, *index)
	results = append(results, r)

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
		ar.Entries = r.Entries // the same tree; AIDE reports its own count in its output
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
	fmt.Printf("%-12s %9s %11s %9s %12s %9s\n", "scanner", "wall s", "files/s", "MiB/s", "peak RSS MiB", "CPU s")
	for _, r := range results {
		fmt.Printf("%-12s %9.2f %11.0f %9.1f %12.1f %9.2f\n", r.Name, r.WallSec, r.FilesPerSec, r.MiBPerSec, r.PeakRSSMiB, r.CPUSec)
	}
	fmt.Println()
	for _, r := range results {
		fmt.Printf("%s: %s\n", r.Name, r.Note)
	}
	if len(results) == 2 {
		fmt.Printf("\nfiles/s ratio vigil/aide: %.2fx; CPU ratio aide/vigil: %.2fx\n",
			results[0].FilesPerSec/results[1].FilesPerSec, results[1].CPUSec/results[0].CPUSec)
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

// runChild scans the tree as the sensor's baseline does and writes the
// baseline file.
func runChild(tree, store string, readRate int64, workers int, maxSize int64, index bool) error {
	w, err := baseline.Create(store)
	if err != nil {
		return err
	}
	var idx map[string]*baseline.Entry
	if index {
		idx = map[string]*baseline.Entry{}
	}
	st, err := baseline.Scan(context.Background(), baseline.Options{
		Root: "/", Paths: []string{tree}, Hash: true, MaxFileSize: maxSize, ReadRate: readRate, Workers: workers,
	}, func(e *baseline.Entry, _ []byte) error {
		if idx != nil {
			c := *e
			idx[c.Path] = &c
		}
		return w.Add(e)
	})
	if err != nil {
		w.Abort()
		return err
	}
	if err := w.Commit(); err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fi, _ := os.Stat(store)
	cs := childStats{Entries: st.Entries, Files: st.Files, Hashed: st.Hashed, Errors: st.Errors,
		HashedBytes: st.HashedBytes, StorageBytes: st.StorageBytes, ThrottledSec: st.Throttled.Seconds(),
		HeapMiB: float64(ms.HeapInuse) / (1 << 20)}
	if fi != nil {
		cs.StoreBytes = fi.Size()
	}
	runtime.KeepAlive(idx)
	return json.NewEncoder(os.Stdout).Encode(cs)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/fim:", err)
	os.Exit(1)
}
