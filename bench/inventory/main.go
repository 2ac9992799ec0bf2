// Command inventory measures a full inventory of this host: every asset
// collector the agent ships runs once, as the agent runs them (configured,
// with default settings), and its set goes through the agent's change
// synchroniser to a center that accepts every change. Then everything runs
// again on the unchanged host. It prints, per collector and in total, the
// items, the CPU seconds (this process and the programs it started, such as
// vigil-scan), the bytes sent for the full inventory and for the unchanged
// re-check, and the peak RSS above the process's RSS before the first run.
//
//	go run ./bench/inventory            (as root, to read every process)
//	go run ./bench/inventory -o json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/collect/list"
	"github.com/vigilsec/vigil/internal/agent/invsync"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// row is one collector's figures.
type row struct {
	Collector      string  `json:"collector"`
	Items          int     `json:"items"`
	Skipped        string  `json:"skipped,omitempty"`
	CPUFirst       float64 `json:"cpu_seconds_first"`
	CPUSecond      float64 `json:"cpu_seconds_unchanged"`
	WallFirst      float64 `json:"wall_seconds_first"`
	BytesFull      int     `json:"bytes_full"`
	BytesUnchanged int     `json:"bytes_unchanged"`
	Error          string  `json:"error,omitempty"`
}

// report is the whole run.
type report struct {
	Rows               []*row  `json:"collectors"`
	Items              int     `json:"items"`
	CPUFirst           float64 `json:"cpu_seconds_first"`
	CPUSecond          float64 `json:"cpu_seconds_unchanged"`
	BytesFull          int     `json:"bytes_full"`
	BytesUnchanged     int     `json:"bytes_unchanged"`
	BaseRSSMiB         float64 `json:"base_rss_mib"`
	PeakRSSMiB         float64 `json:"peak_rss_mib"`
	PeakExtraRSSMiB    float64 `json:"peak_extra_rss_mib"`
	ChildrenPeakRSSMiB float64 `json:"children_peak_rss_mib"`
}

func main() {
	root := flag.String("root", "/", "the host root to inventory")
	out := flag.String("o", "text", "output: text or json")
	flag.Parse()
	if err := run(*root, *out); err != nil {
		fmt.Fprintln(os.Stderr, "inventory:", err)
		os.Exit(1)
	}
}

func run(root, out string) error {
	dir, err := os.MkdirTemp("", "vigil-inventory-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env := plugin.Env{Root: root, DataDir: dir, AgentID: "bench", HostID: "bench", AgentVersion: "bench",
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	runtime.GC()
	rep := report{BaseRSSMiB: mib(statusKiB("VmRSS"))}
	type entry struct {
		c    plugin.AssetCollector
		sync *invsync.Syncer
		row  *row
	}
	var entries []entry
	for _, c := range list.All() {
		ac, ok := c.(plugin.AssetCollector)
		if !ok {
			continue
		}
		r := &row{Collector: ac.Name()}
		rep.Rows = append(rep.Rows, r)
		if cf, ok := c.(plugin.Configurer); ok {
			if err := cf.Configure(env); err != nil {
				r.Skipped = err.Error()
				continue
			}
		}
		if t, ok := c.(plugin.Tunable); ok {
			if err := t.ApplySettings(nil); err != nil {
				r.Skipped = err.Error()
				continue
			}
		}
		s := invsync.New(env.AgentID, ac.Name(), filepath.Join(dir, strings.ReplaceAll(ac.Name(), "/", "_")+".json"), accept)
		entries = append(entries, entry{c: ac, sync: s, row: r})
	}
	ctx := context.Background()
	for pass := 0; pass < 2; pass++ {
		for _, e := range entries {
			cpu0, wall0 := cpuSeconds(), time.Now()
			assets, err := e.c.Assets(ctx, env)
			if err != nil {
				e.row.Error = err.Error()
				continue
			}
			res, err := e.sync.Sync(ctx, assets, e.c.Kinds(), time.Now())
			if err != nil {
				e.row.Error = err.Error()
				continue
			}
			cpu := cpuSeconds() - cpu0
			if pass == 0 {
				e.row.Items, e.row.CPUFirst, e.row.BytesFull = res.Items, cpu, res.Bytes
				e.row.WallFirst = time.Since(wall0).Seconds()
			} else {
				e.row.CPUSecond, e.row.BytesUnchanged = cpu, res.Bytes
				if !res.Unchanged {
					e.row.Error = fmt.Sprintf("changed between the two runs (%d added, %d changed, %d removed)", res.Added, res.Changed, res.Removed)
				}
			}
		}
	}
	for _, r := range rep.Rows {
		rep.Items += r.Items
		rep.CPUFirst += r.CPUFirst
		rep.CPUSecond += r.CPUSecond
		rep.BytesFull += r.BytesFull
		rep.BytesUnchanged += r.BytesUnchanged
	}
	rep.PeakRSSMiB = mib(statusKiB("VmHWM"))
	rep.PeakExtraRSSMiB = rep.PeakRSSMiB - rep.BaseRSSMiB
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		rep.ChildrenPeakRSSMiB = float64(ru.Maxrss) / 1024
	}
	if out == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	sort.SliceStable(rep.Rows, func(i, j int) bool { return rep.Rows[i].CPUFirst > rep.Rows[j].CPUFirst })
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "COLLECTOR\tITEMS\tCPU FULL\tCPU AGAIN\tWALL\tBYTES FULL\tBYTES AGAIN\tNOTE")
	for _, r := range rep.Rows {
		note := r.Skipped
		if r.Error != "" {
			note = "error: " + r.Error
		}
		fmt.Fprintf(w, "%s\t%d\t%.3f s\t%.3f s\t%.2f s\t%d\t%d\t%s\n", r.Collector, r.Items, r.CPUFirst, r.CPUSecond, r.WallFirst, r.BytesFull, r.BytesUnchanged, note)
	}
	fmt.Fprintf(w, "total\t%d\t%.3f s\t%.3f s\t\t%d\t%d\t\n", rep.Items, rep.CPUFirst, rep.CPUSecond, rep.BytesFull, rep.BytesUnchanged)
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Printf("\nRSS before %.1f MiB, peak %.1f MiB: %.1f MiB extra; programs started (vigil-scan): peak %.1f MiB\n",
		rep.BaseRSSMiB, rep.PeakRSSMiB, rep.PeakExtraRSSMiB, rep.ChildrenPeakRSSMiB)
	return nil
}

// accept is a center that accepts every change.
func accept(_ context.Context, req *busv1.InventoryRequest) (*busv1.InventoryReply, error) {
	if ch := req.GetChanges(); ch != nil {
		return &busv1.InventoryReply{Ok: true, Digest: ch.GetDigest(), Added: uint32(len(ch.GetUpserts())), Removed: uint32(len(ch.GetRemoved()))}, nil
	}
	return &busv1.InventoryReply{Ok: true, Digest: event.InventoryDigest(nil)}, nil
}

// cpuSeconds is the CPU time of this process and of the programs it
// started and waited for.
func cpuSeconds() float64 {
	var total float64
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			total += tv(ru.Utime) + tv(ru.Stime)
		}
	}
	return total
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// statusKiB reads a field of /proc/self/status in KiB.
func statusKiB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func mib(kib int64) float64 { return float64(kib) / 1024 }
