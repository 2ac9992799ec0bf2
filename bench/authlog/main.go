// Command authlog measures the authlog sensor against fail2ban on the
// same file.
//
// It writes a synthetic sshd auth.log (password guessing from many
// addresses, scanners, legitimate logins with their PAM and logind
// lines, cron and sudo), then, each in a child process of its own so
// that CPU time and peak memory are the child's alone:
//
//   - runs the authlog sensor the way the agent does (Configure,
//     ApplySettings with start_at "beginning", Run) on a host root whose
//     /var/log/auth.log is the file, until it has read every line;
//   - runs `fail2ban-regex FILE sshd` on the same file.
//
// It prints lines per second of wall time, lines per CPU second (per
// core), CPU seconds and peak RSS of both. Nothing is asserted: compare
// the figures from run to run.
//
//	go run ./bench/authlog                 # 1,000,000 lines
//	go run ./bench/authlog -lines 200000 -o json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog"
	"github.com/vigilsec/vigil/internal/event"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		if err := runChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "authlog bench child:", err)
			os.Exit(1)
		}
		return
	}
	lines := flag.Int("lines", 1_000_000, "lines to generate")
	format := flag.String("format", "rfc3339", `timestamp format: "rfc3339" (Debian 12 rsyslog) or "traditional"`)
	ips := flag.Int("ips", 50_000, "distinct source addresses")
	seed := flag.Uint64("seed", 1, "generator seed")
	dir := flag.String("dir", "", "directory for the file (default: a temporary one, removed)")
	fail2ban := flag.String("fail2ban", "fail2ban-regex", `fail2ban-regex command ("" skips it)`)
	output := flag.String("o", "text", "output: text or json")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write the sensor's CPU profile to this file")
	flag.Parse()
	if err := run(*lines, *format, *ips, *seed, *dir, *fail2ban, *output); err != nil {
		fmt.Fprintln(os.Stderr, "authlog bench:", err)
		os.Exit(1)
	}
}

// cpuProfile is where the sensor's child writes its CPU profile.
var cpuProfile string

// measurement is what one contender did on the file.
type measurement struct {
	Name        string  `json:"name"`
	Lines       int     `json:"lines"`
	Matched     int     `json:"matched"`
	MatchedWhat string  `json:"matched_what"`
	WallSeconds float64 `json:"wall_seconds"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	LinesPerSec float64 `json:"lines_per_second"`
	PerCoreSec  float64 `json:"lines_per_cpu_second"`
	Note        string  `json:"note,omitempty"`
	// Actions counts the sensor's events by action.
	Actions map[string]uint64 `json:"actions,omitempty"`
}

type report struct {
	File         string         `json:"file"`
	Bytes        int64          `json:"bytes"`
	Lines        int            `json:"lines"`
	Format       string         `json:"format"`
	Mix          map[string]int `json:"episodes"`
	GenerateSecs float64        `json:"generate_seconds"`
	Results      []measurement  `json:"results"`
}

func run(lines int, format string, ips int, seed uint64, dir, fail2ban, output string) error {
	if format != "rfc3339" && format != "traditional" {
		return fmt.Errorf("format %q: want rfc3339 or traditional", format)
	}
	if lines <= 0 || ips <= 0 {
		return errors.New("lines and ips must be positive")
	}
	if output != "text" && output != "json" {
		return fmt.Errorf("output %q: want text or json", output)
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "authlog-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	file := filepath.Join(dir, "auth.log")
	start := time.Now()
	g := newGenerator(seed, format, ips)
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := g.write(f, lines); err != nil {
		f.Close()
		return fmt.Errorf("generate: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	rep := report{File: file, Bytes: fi.Size(), Lines: lines, Format: format, Mix: g.counts,
		GenerateSecs: time.Since(start).Seconds()}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	m, err := measureSensor(self, file, lines, dir)
	if err != nil {
		return fmt.Errorf("sensor: %w", err)
	}
	rep.Results = append(rep.Results, m)
	if fail2ban != "" {
		m, err := measureFail2ban(fail2ban, file, lines)
		if err != nil {
			return fmt.Errorf("fail2ban: %w", err)
		}
		rep.Results = append(rep.Results, m)
	}
	if output == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printText(rep)
	return nil
}

// childFlag makes the command the sensor's child process.
const childFlag = "-child-sensor"

// childResult is what the child reports on its stdout.
type childResult struct {
	Lines       uint64            `json:"lines"`
	Events      uint64            `json:"events"`
	Actions     map[string]uint64 `json:"actions"`
	Stats       authlog.Stats     `json:"stats"`
	WallSeconds float64           `json:"wall_seconds"`
}

// measureSensor runs the sensor in a child process and takes its
// resource usage.
func measureSensor(self, file string, lines int, dir string) (measurement, error) {
	cmd := exec.Command(self, childFlag, file, strconv.Itoa(lines), dir, cpuProfile)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		return measurement{}, err
	}
	var res childResult
	if err := json.Unmarshal(out, &res); err != nil {
		return measurement{}, fmt.Errorf("child output %q: %w", out, err)
	}
	cpu, rss := usage(cmd.ProcessState)
	m := measurement{
		Name: "vigil authlog sensor", Lines: int(res.Lines), Matched: int(res.Events),
		MatchedWhat: "events emitted", WallSeconds: res.WallSeconds, CPUSeconds: cpu, PeakRSSMB: rss, Actions: res.Actions,
		Note: fmt.Sprintf("process wall %.2fs (with start-up); %d unknown, %d filtered (cron), %d malformed lines",
			wall.Seconds(), res.Stats.Unknown, res.Stats.Filtered, res.Stats.Malformed),
	}
	m.LinesPerSec = float64(res.Lines) / res.WallSeconds
	m.PerCoreSec = float64(res.Lines) / cpu
	return m, nil
}

// countingEmitter counts the events it is given and drops them, as a
// spool would take them off the sensor's hands.
type countingEmitter struct {
	events, lost uint64
	actions      map[string]uint64
}

func (c *countingEmitter) Emit(e event.Event) {
	c.events++
	if evt, ok := e["event"].(map[string]any); ok {
		if a, ok := evt["action"].(string); ok {
			c.actions[a]++
		}
	}
}
func (c *countingEmitter) Lost(n uint64) { c.lost += n }

// runChild runs the sensor on a host root whose /var/log/auth.log is the
// file, from its beginning, until it has read every line.
func runChild(args []string) error {
	if len(args) != 4 {
		return errors.New("usage: -child-sensor FILE LINES DIR PROFILE")
	}
	if args[3] != "" {
		pf, err := os.Create(args[3])
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	file, dir := args[0], args[2]
	want, err := strconv.ParseUint(args[1], 10, 64)
	if err != nil {
		return err
	}
	root, err := os.MkdirTemp(dir, "root-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	if err := os.MkdirAll(filepath.Join(root, "var/log"), 0o755); err != nil {
		return err
	}
	if err := os.Symlink(file, filepath.Join(root, "var/log/auth.log")); err != nil {
		return err
	}
	s := authlog.New()
	if err := s.ApplySettings(json.RawMessage(`{"start_at":"beginning","accounting":false,"source":"file","poll_interval":"1s"}`)); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := s.Configure(plugin.Env{Root: root, DataDir: filepath.Join(root, "data"), HostID: "bench", Logger: logger}); err != nil {
		return err
	}
	em := &countingEmitter{actions: map[string]uint64{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- s.Run(ctx, em) }()
	for s.Stats().Lines < want {
		select {
		case err := <-done:
			return fmt.Errorf("sensor stopped after %d lines: %v", s.Stats().Lines, err)
		case <-time.After(time.Millisecond):
		}
	}
	wall := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		return err
	}
	st := s.Stats()
	return json.NewEncoder(os.Stdout).Encode(childResult{Lines: st.Lines, Events: em.events, Actions: em.actions, Stats: st, WallSeconds: wall.Seconds()})
}

var fail2banLines = regexp.MustCompile(`Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed`)

// measureFail2ban runs fail2ban-regex FILE sshd and takes its resource
// usage.
func measureFail2ban(bin, file string, lines int) (measurement, error) {
	cmd := exec.Command(bin, file, "sshd")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		return measurement{}, fmt.Errorf("%s: %w: %s", bin, err, tail(out))
	}
	m := measurement{Name: "fail2ban-regex FILE sshd", Lines: lines, MatchedWhat: "lines matched by the sshd filter",
		WallSeconds: wall.Seconds(), Note: "Python; one process"}
	if sm := fail2banLines.FindSubmatch(out); sm != nil {
		m.Lines, _ = strconv.Atoi(string(sm[1]))
		m.Matched, _ = strconv.Atoi(string(sm[3]))
	} else {
		m.Note += "; summary line not found in its output"
	}
	m.CPUSeconds, m.PeakRSSMB = usage(cmd.ProcessState)
	m.LinesPerSec = float64(m.Lines) / m.WallSeconds
	m.PerCoreSec = float64(m.Lines) / m.CPUSeconds
	return m, nil
}

// usage returns the CPU seconds (user and system) and the peak RSS in MB
// of an ended process.
func usage(ps *os.ProcessState) (float64, float64) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return (ps.UserTime() + ps.SystemTime()).Seconds(), 0
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpu.Seconds(), float64(ru.Maxrss) / 1024 // Maxrss is in KiB on Linux
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}

func printText(r report) {
	fmt.Printf("file: %s (%d lines, %.1f MB, %s timestamps), generated in %.1fs\n",
		r.File, r.Lines, float64(r.Bytes)/1e6, r.Format, r.GenerateSecs)
	fmt.Printf("episodes: %v\n\n", r.Mix)
	fmt.Printf("%-26s %10s %10s %9s %9s %14s %16s %10s\n", "", "lines", "matched", "wall s", "CPU s", "lines/s", "lines/CPU s", "peak RSS")
	for _, m := range r.Results {
		fmt.Printf("%-26s %10d %10d %9.2f %9.2f %14.0f %16.0f %8.1f MB\n",
			m.Name, m.Lines, m.Matched, m.WallSeconds, m.CPUSeconds, m.LinesPerSec, m.PerCoreSec, m.PeakRSSMB)
	}
	fmt.Println()
	for _, m := range r.Results {
		fmt.Printf("%s: matched = %s. %s\n", m.Name, m.MatchedWhat, m.Note)
		if len(m.Actions) > 0 {
			names := slices.Sorted(maps.Keys(m.Actions))
			for _, a := range names {
				fmt.Printf("    %-28s %9d\n", a, m.Actions[a])
			}
		}
	}
}
