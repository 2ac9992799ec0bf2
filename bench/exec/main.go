//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// config is the command line.
type config struct {
	n           int
	rounds      int
	pacedRate   int
	pacedFor    time.Duration
	target      string
	pacedTarget string
	modes       []string
	output      string
	sensorChild bool
	profile     string
}

func main() {
	var c config
	var modes string
	flag.IntVar(&c.n, "n", 20000, "executions per mode")
	flag.IntVar(&c.rounds, "rounds", 10, "split each mode's executions into this many interleaved rounds")
	flag.IntVar(&c.pacedRate, "paced-rate", 2000, "executions per second of the paced run (0: none)")
	flag.DurationVar(&c.pacedFor, "paced-for", 5*time.Second, "length of the paced run")
	flag.StringVar(&c.target, "target", "/bin/true", "the program executed")
	flag.StringVar(&c.pacedTarget, "paced-target", "tiny", `the program of the paced run; "tiny" is a static program that only exits`)
	flag.StringVar(&modes, "modes", "none,auditd,ebpf", "modes to measure, in order")
	flag.StringVar(&c.output, "o", "text", "output: text or json")
	flag.BoolVar(&c.sensorChild, "sensor-child", false, "internal: run the exec/ebpf sensor and count its events")
	flag.StringVar(&c.profile, "sensor-cpuprofile", "", "write a CPU profile of the sensor process to this file")
	flag.Parse()
	if c.sensorChild {
		if err := runSensorChild(os.Stdin, os.Stdout, c.profile); err != nil {
			fmt.Fprintln(os.Stderr, "sensor child:", err)
			os.Exit(1)
		}
		return
	}
	c.modes = splitList(modes)
	sensorProfile = c.profile
	if err := run(c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/exec:", err)
		os.Exit(1)
	}
}

// run measures every mode and prints the report.
func run(c config, out io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("run as root: auditd and eBPF need it")
	}
	if c.n <= 0 || c.rounds <= 0 || c.n%c.rounds != 0 {
		return fmt.Errorf("-n %d must be a positive multiple of -rounds %d", c.n, c.rounds)
	}
	for _, m := range c.modes {
		if _, ok := monitors[m]; !ok {
			return fmt.Errorf("unknown mode %q (want none, auditd, ebpf)", m)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	target, err := resolveTarget(c.target)
	if err != nil {
		return err
	}
	rep := &report{N: c.n, Rounds: c.rounds, Target: target, CPUs: numCPU()}
	results := map[string]*result{}
	for _, m := range c.modes {
		results[m] = &result{Mode: m}
	}
	per := c.n / c.rounds
	for round := range c.rounds {
		for _, m := range c.modes {
			if err := ctx.Err(); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "round %d/%d: %s, %d executions...\n", round+1, c.rounds, m, per)
			if err := measure(ctx, monitors[m], target, per, results[m]); err != nil {
				results[m].Error = err.Error()
				fmt.Fprintf(os.Stderr, "  %s: %v\n", m, err)
			}
		}
	}
	for _, m := range c.modes {
		rep.Results = append(rep.Results, *results[m])
	}
	if c.pacedRate > 0 {
		pacedTarget := c.pacedTarget
		if pacedTarget == "tiny" {
			dir, err := os.MkdirTemp("", "vigil-bench-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			if pacedTarget, err = writeTiny(dir); err != nil {
				return err
			}
		}
		if pacedTarget, err = resolveTarget(pacedTarget); err != nil {
			return err
		}
		rep.PacedTarget = pacedTarget
		for _, m := range c.modes {
			if m == "none" {
				continue
			}
			fmt.Fprintf(os.Stderr, "paced: %s, %d/s for %v...\n", m, c.pacedRate, c.pacedFor)
			p := paced{Mode: m, Rate: c.pacedRate, Seconds: c.pacedFor.Seconds()}
			if err := measurePaced(ctx, monitors[m], pacedTarget, c.pacedRate, c.pacedFor, &p); err != nil {
				p.Error = err.Error()
			}
			rep.Paced = append(rep.Paced, p)
		}
	}
	rep.finish()
	if c.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(out)
	return nil
}

// monitor is one way of watching the executions.
type monitor interface {
	// start begins watching the executions of target and returns when
	// events are being recorded.
	start(ctx context.Context, target string) error
	// mark opens a new count: events before it are not counted.
	mark(ctx context.Context) error
	// collect returns what was seen since mark, once every event of the
	// executions run meanwhile was recorded.
	collect(ctx context.Context, benchPID int, target string) (seen, lost uint64, err error)
	// usage returns the monitor's CPU seconds since start and peak RSS.
	usage() (cpu float64, rssKiB int64, detail string)
	// stop ends watching and restores the host.
	stop() error
}

var monitors = map[string]func() monitor{
	"none":   func() monitor { return noMonitor{} },
	"auditd": func() monitor { return &auditMonitor{} },
	"ebpf":   func() monitor { return &sensorMonitor{} },
}

// noMonitor watches nothing.
type noMonitor struct{}

func (noMonitor) start(context.Context, string) error { return nil }
func (noMonitor) mark(context.Context) error          { return nil }
func (noMonitor) collect(context.Context, int, string) (uint64, uint64, error) {
	return 0, 0, nil
}
func (noMonitor) usage() (float64, int64, string) { return 0, 0, "" }
func (noMonitor) stop() error                     { return nil }

// measure runs n executions under the monitor and adds the figures to r.
func measure(ctx context.Context, newMonitor func() monitor, target string, n int, r *result) error {
	m := newMonitor()
	// Stop also after a failed start: it undoes what the start did.
	defer func() {
		if err := m.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "  stop %s: %v\n", r.Mode, err)
		}
	}()
	if err := m.start(ctx, target); err != nil {
		return err
	}
	if err := m.mark(ctx); err != nil {
		return err
	}
	cpu0, _, _ := m.usage()
	wall, execCPU, err := runSequential(ctx, target, n)
	if err != nil {
		return err
	}
	cpu1, rss, detail := m.usage()
	seen, lost, err := m.collect(ctx, os.Getpid(), target)
	if err != nil {
		return err
	}
	r.Execs += n
	r.Wall += wall
	r.ExecCPU += execCPU
	r.Seen += seen
	r.Lost += lost
	r.CPU += cpu1 - cpu0
	r.PeakRSSKiB = max(r.PeakRSSKiB, rss)
	r.Detail = detail
	return nil
}

// measurePaced runs executions at rate for d under the monitor.
func measurePaced(ctx context.Context, newMonitor func() monitor, target string, rate int, d time.Duration, p *paced) error {
	m := newMonitor()
	defer func() {
		if err := m.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "  stop %s: %v\n", p.Mode, err)
		}
	}()
	if err := m.start(ctx, target); err != nil {
		return err
	}
	if err := m.mark(ctx); err != nil {
		return err
	}
	n, wall, err := runPaced(ctx, target, rate, d)
	if err != nil {
		return err
	}
	seen, lost, err := m.collect(ctx, os.Getpid(), target)
	if err != nil {
		return err
	}
	p.Execs, p.Seen, p.Lost = n, seen, lost
	p.Achieved = float64(n) / wall.Seconds()
	return nil
}
