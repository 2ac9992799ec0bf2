// Package runner runs the detection benchmark: it starts the center's
// parts in this process (the bus server with the events stream, a SQLite
// store per case, the detection service with the shipped rules and
// generated ones), has a fleet of simulated agents in a child process
// publish event batches to it, and measures throughput, publication to
// alert latency, CPU time and memory. See bench/detect/README.md.
package runner

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is what to measure.
type Config struct {
	// Rules are the rule counts of the throughput cases.
	Rules []int
	// Backlog is the events each throughput case evaluates.
	Backlog int
	// Agents is the number of simulated agents.
	Agents int
	// AlertEvery makes every AlertEvery-th event of an agent an alert
	// event (0: none).
	AlertEvery int
	// EngineEvents and EngineTime size the measure of the rule engine
	// alone: the first EngineEvents events of the backlog, evaluated
	// over and over for EngineTime per rule count.
	EngineEvents int
	EngineTime   time.Duration
	// Rate, Duration, Interval and LatencyRules shape the latency run:
	// Rate events per second for Duration, each agent publishing a batch
	// every Interval, with LatencyRules rules.
	Rate         float64
	Duration     time.Duration
	Interval     time.Duration
	LatencyRules int
	// Indicators is the number of threat-intelligence indicators loaded
	// (none of them in the events): detection looks every event up in
	// them, and judges logins against the login baseline, as the center
	// does.
	Indicators int
	// Seed makes the events and the generated rules.
	Seed uint64
	// WaitLimit bounds the wait for the service to evaluate every event.
	WaitLimit time.Duration
	// Fleet is the command that runs the simulated agents (this program
	// again, in the fleet role).
	Fleet []string
	// Output is text or json.
	Output string
	// Logger receives the progress.
	Logger *slog.Logger
}

// Defaults make a full run take about two minutes on two cores.
func Defaults() Config {
	return Config{
		Rules: []int{10, 100, 1000}, Backlog: 200_000, Agents: 20, AlertEvery: 1000,
		EngineEvents: 5_000, EngineTime: 2 * time.Second,
		Rate: 20_000, Duration: 30 * time.Second, Interval: 100 * time.Millisecond,
		Indicators: 100_000, Seed: 1, WaitLimit: 2 * time.Minute, Output: "text",
	}
}

// ParseFlags reads the command line over Defaults.
func ParseFlags(args []string) (Config, error) {
	c := Defaults()
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	rules := fs.String("rules", "10,100,1000", "rule counts of the throughput cases")
	fs.IntVar(&c.Backlog, "events", c.Backlog, "events each throughput case evaluates")
	fs.IntVar(&c.Agents, "agents", c.Agents, "simulated agents")
	fs.IntVar(&c.AlertEvery, "alert-every", c.AlertEvery, "one event in this many of each agent is an alert event (0: none)")
	fs.IntVar(&c.EngineEvents, "engine-events", c.EngineEvents, "events of the backlog the engine alone evaluates over and over")
	fs.DurationVar(&c.EngineTime, "engine-time", c.EngineTime, "time the engine alone runs per rule count")
	fs.Float64Var(&c.Rate, "rate", c.Rate, "events per second of the latency run")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "length of the latency run")
	fs.DurationVar(&c.Interval, "interval", c.Interval, "each agent publishes one batch per interval in the latency run")
	fs.IntVar(&c.LatencyRules, "latency-rules", 0, "rules of the latency run (default: the largest of -rules)")
	fs.IntVar(&c.Indicators, "indicators", c.Indicators, "threat-intelligence indicators loaded (0: intelligence and the login baseline off)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the events and the generated rules")
	fs.DurationVar(&c.WaitLimit, "wait-limit", c.WaitLimit, "how long the service may take to evaluate every event before the run fails")
	fs.StringVar(&c.Output, "o", c.Output, "output: text or json")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if c.Rules, err = parseCounts(*rules); err != nil {
		return c, err
	}
	if c.LatencyRules == 0 {
		c.LatencyRules = slices.Max(c.Rules)
	}
	return c, c.Check()
}

// parseCounts reads "10,100,1000".
func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-rules: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// Check says what is wrong with a configuration.
func (c Config) Check() error {
	switch {
	case len(c.Rules) == 0 || slices.Min(c.Rules) <= 0:
		return errors.New("rule counts must be positive")
	case c.LatencyRules <= 0:
		return errors.New("the latency run needs rules")
	case c.Backlog <= 0 || c.Agents <= 0 || c.EngineEvents <= 0 || c.EngineTime <= 0:
		return errors.New("-events, -agents, -engine-events and -engine-time must be positive")
	case c.AlertEvery < 0:
		return errors.New("-alert-every must not be negative")
	case c.Indicators < 0:
		return errors.New("-indicators must not be negative")
	case c.Rate <= 0 || c.Duration <= 0 || c.Interval <= 0 || c.Interval > c.Duration:
		return errors.New("the latency run needs a positive rate and duration, and an interval within the duration")
	case c.WaitLimit <= 0:
		return errors.New("-wait-limit must be positive")
	case c.Output != "text" && c.Output != "json":
		return fmt.Errorf("-o %q: text or json", c.Output)
	}
	return nil
}
