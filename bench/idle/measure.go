package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// ticksPerSecond is USER_HZ, the unit of /proc/PID/stat CPU times.
const ticksPerSecond = 100

// figures are the agent's resource use over the window.
type figures struct {
	window           time.Duration
	cpuSeconds       float64
	cpuPercent       float64 // of one core
	rssMean, rssPeak uint64  // bytes
	hwm              uint64  // VmHWM at the end: the peak since start
	threads          int
	fds              int
}

// measure samples pid's CPU time at both ends of the window and its RSS
// every interval.
func measure(ctx context.Context, pid int, window, interval time.Duration) (figures, error) {
	f := figures{window: window}
	startCPU, err := cpuTicks(pid)
	if err != nil {
		return f, err
	}
	begin := time.Now()
	var sum uint64
	var n int
	for time.Since(begin) < window {
		st, err := status(pid)
		if err != nil {
			return f, err
		}
		sum += st["VmRSS"]
		n++
		f.rssPeak = max(f.rssPeak, st["VmRSS"])
		if err := sleep(ctx, interval); err != nil {
			return f, err
		}
	}
	endCPU, err := cpuTicks(pid)
	if err != nil {
		return f, err
	}
	elapsed := time.Since(begin)
	f.cpuSeconds = float64(endCPU-startCPU) / ticksPerSecond
	f.cpuPercent = 100 * f.cpuSeconds / elapsed.Seconds()
	f.rssMean = sum / uint64(max(n, 1))
	st, err := status(pid)
	if err != nil {
		return f, err
	}
	f.hwm, f.threads = st["VmHWM"], int(st["Threads"])
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		f.fds = len(ents)
	}
	return f, nil
}

// cpuTicks returns utime+stime of pid.
func cpuTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("agent stat: %w", err)
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("agent stat: unexpected %q", s)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("agent stat: %d fields", len(fields))
	}
	ut, err1 := strconv.ParseUint(fields[11], 10, 64)
	st, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("agent stat: bad times %q %q", fields[11], fields[12])
	}
	return ut + st, nil
}

// status returns the numeric fields of /proc/PID/status, sizes in bytes.
func status(pid int) (map[string]uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("agent status: %w", err)
	}
	out := map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			continue
		}
		if len(fields) > 1 && fields[1] == "kB" {
			n <<= 10
		}
		out[k] = n
	}
	return out, nil
}

func printReport(out io.Writer, cfg config, f figures, plugins []pluginState) {
	mib := func(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	fmt.Fprintf(out, "\nidle agent over %s (after %s warm-up)\n", f.window.Round(time.Second), cfg.warmup)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "CPU\t%.2f s\t%.2f %% of one core\n", f.cpuSeconds, f.cpuPercent)
	fmt.Fprintf(w, "RSS\tmean %s\tpeak %s (window), %s (since start)\n", mib(f.rssMean), mib(f.rssPeak), mib(f.hwm))
	fmt.Fprintf(w, "threads / fds\t%d\t%d\n", f.threads, f.fds)
	w.Flush()
	fmt.Fprintln(out, "\nplugins:")
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tKIND\tSTATE\tMECHANISM\tEVENTS\tDROPPED\tREASON")
	for _, p := range plugins {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Kind, p.State, p.Mechanism, orZero(p.Events), orZero(p.Dropped), p.Reason)
	}
	w.Flush()
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}
