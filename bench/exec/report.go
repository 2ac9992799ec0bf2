//go:build linux

package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// result is what one mode measured.
type result struct {
	Mode  string        `json:"mode"`
	Execs int           `json:"execs"`
	Wall  time.Duration `json:"wall_ns"`
	// PerExec is the mean wall time of one execution.
	PerExec time.Duration `json:"per_exec_ns"`
	// Slowdown is the wall time over the unmonitored one, minus one.
	Slowdown float64 `json:"slowdown"`
	// ExecCPU is the CPU time of the executions (the programs' and the
	// launcher's, the kernel's work in their context included), which
	// the load of the machine disturbs less than the wall time.
	ExecCPU        time.Duration `json:"exec_cpu_ns"`
	ExecCPUPerExec time.Duration `json:"exec_cpu_per_exec_ns"`
	// CPUSlowdown is ExecCPU over the unmonitored one, minus one.
	CPUSlowdown float64 `json:"exec_cpu_slowdown"`
	// TotalPerExec is ExecCPUPerExec plus the monitor's CPU per
	// execution: what one monitored execution costs the machine.
	TotalPerExec time.Duration `json:"total_cpu_per_exec_ns"`
	// Seen and Lost: events the monitor recorded and said it lost.
	Seen uint64 `json:"seen"`
	Lost uint64 `json:"lost"`
	// CPU is the monitor's CPU seconds during the executions.
	CPU        float64 `json:"monitor_cpu_seconds"`
	PeakRSSKiB int64   `json:"monitor_peak_rss_kib"`
	Detail     string  `json:"monitor,omitempty"`
	Error      string  `json:"error,omitempty"`
}

// paced is what one monitor saw of a run at a steady rate.
type paced struct {
	Mode     string  `json:"mode"`
	Rate     int     `json:"rate"`
	Seconds  float64 `json:"seconds"`
	Achieved float64 `json:"achieved_rate"`
	Execs    int     `json:"execs"`
	Seen     uint64  `json:"seen"`
	Lost     uint64  `json:"lost"`
	Error    string  `json:"error,omitempty"`
}

// report is the whole run.
type report struct {
	N       int      `json:"n"`
	Rounds  int      `json:"rounds"`
	Target  string   `json:"target"`
	CPUs    int      `json:"cpus"`
	Results []result `json:"results"`
	Paced   []paced  `json:"paced,omitempty"`
	// PacedTarget is the program of the paced run.
	PacedTarget string `json:"paced_target,omitempty"`
}

// finish computes the per-execution times and slowdowns.
func (r *report) finish() {
	var base, baseCPU time.Duration
	for i := range r.Results {
		res := &r.Results[i]
		if res.Execs > 0 {
			n := time.Duration(res.Execs)
			res.PerExec = res.Wall / n
			res.ExecCPUPerExec = res.ExecCPU / n
			res.TotalPerExec = res.ExecCPUPerExec + time.Duration(res.CPU*float64(time.Second))/n
		}
		if res.Mode == "none" && res.Error == "" {
			base, baseCPU = res.PerExec, res.ExecCPUPerExec
		}
	}
	for i := range r.Results {
		if res := &r.Results[i]; base > 0 && res.Execs > 0 && res.Mode != "none" {
			res.Slowdown = float64(res.PerExec)/float64(base) - 1
			res.CPUSlowdown = float64(res.ExecCPUPerExec)/float64(baseCPU) - 1
		}
	}
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "%d executions of %s per mode, %d round(s), %d CPUs\n\n", r.N, r.Target, r.Rounds, r.CPUs)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\texecs\twall\tper exec\tslowdown\texec CPU\tCPU slowdown\tevents seen\tlost\tmonitor CPU s\tmonitor peak RSS\ttotal CPU/exec\t")
	for _, res := range r.Results {
		if res.Error != "" {
			fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t\t\t\t\t\t error: %s\n", res.Mode, res.Error)
			continue
		}
		slow, cpuSlow, seen, cpu, rss := "-", "-", "-", "-", "-"
		if res.Mode != "none" {
			slow = fmt.Sprintf("%+.1f%%", res.Slowdown*100)
			cpuSlow = fmt.Sprintf("%+.1f%%", res.CPUSlowdown*100)
			seen = fmt.Sprintf("%d/%d", res.Seen, res.Execs)
			cpu = fmt.Sprintf("%.2f", res.CPU)
			rss = fmt.Sprintf("%.1f MiB", float64(res.PeakRSSKiB)/1024)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2fs\t%v\t%s\t%v\t%s\t%s\t%d\t%s\t%s\t%v\t\n", res.Mode, res.Execs, res.Wall.Seconds(),
			res.PerExec.Round(time.Microsecond), slow, res.ExecCPUPerExec.Round(time.Microsecond), cpuSlow, seen, res.Lost,
			cpu, rss, res.TotalPerExec.Round(time.Microsecond))
	}
	tw.Flush()
	var notes []string
	for _, res := range r.Results {
		if res.Detail != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", res.Mode, res.Detail))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "monitor CPU and RSS of: %s\n", strings.Join(notes, "; "))
	}
	if len(r.Paced) == 0 {
		return
	}
	fmt.Fprintf(w, "\npaced run of %s\n", r.PacedTarget)
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "paced run\trate asked\trate run\texecs\tevents seen\tlost\t")
	for _, p := range r.Paced {
		if p.Error != "" {
			fmt.Fprintf(tw, "%s\t%d/s\t\t\t\t\t error: %s\n", p.Mode, p.Rate, p.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d/s\t%.0f/s\t%d\t%d/%d\t%d\t\n", p.Mode, p.Rate, p.Achieved, p.Execs, p.Seen, p.Execs, p.Lost)
	}
	tw.Flush()
}
