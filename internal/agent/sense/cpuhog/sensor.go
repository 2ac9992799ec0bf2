package cpuhog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable"
)

// Name is the sensor's name.
const Name = "cpuhog"

// Mechanism is how the sensor observes the host.
const Mechanism = "proc-stat"

// Sensor reports processes that keep a CPU busy for a long time.
type Sensor struct {
	// PackageOf names the OS package that owns an executable; nil leaves
	// vigil.process.package out of the events. The agent sets the
	// inventory's lookup (see package collect/proc/processes).
	PackageOf PackageOwner

	mu         sync.Mutex
	settings   Settings
	configured bool
	root       string
	table      *proctable.Table
	log        *slog.Logger
	counters   counters
}

var (
	_ plugin.Sensor     = (*Sensor)(nil)
	_ plugin.Configurer = (*Sensor)(nil)
	_ plugin.Tunable    = (*Sensor)(nil)
	_ plugin.Counted    = (*Sensor)(nil)
)

// New returns the sensor with its default settings.
func New() *Sensor { return &Sensor{settings: DefaultSettings()} }

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }

// Mechanism implements plugin.Sensor.
func (*Sensor) Mechanism() string { return Mechanism }

// Requirements implements plugin.Plugin: Linux's proc filesystem, and no
// privilege (see the package documentation for what root adds).
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}}
}

// Configure implements plugin.Configurer: the host must have a proc
// filesystem.
func (s *Sensor) Configure(env plugin.Env) error {
	root := env.Root
	if root == "" {
		root = "/"
	}
	procPath := filepath.Join(root, "proc")
	if fi, err := os.Stat(procPath); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s: no proc filesystem at %s: %w", Name, procPath, plugin.ErrUnsupported)
	}
	log := env.Logger
	if log == nil {
		log = slog.Default()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.root = root
	s.table = proctable.Shared(root, env.HostID)
	s.log = log.With("sensor", Name)
	s.configured = true
	return nil
}

// ApplySettings implements plugin.Tunable.
func (s *Sensor) ApplySettings(raw json.RawMessage) error {
	st, err := ParseSettings(raw)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.settings = st
	s.mu.Unlock()
	return nil
}

// Settings returns the settings in force.
func (s *Sensor) Settings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings
}

// Run implements plugin.Sensor: it samples the processes every interval
// until ctx is done.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) error {
	s.mu.Lock()
	set, root, table, log, configured := s.settings, s.root, s.table, s.log, s.configured
	s.mu.Unlock()
	if !configured {
		return fmt.Errorf("%s: Run before Configure", Name)
	}
	rep := &reporter{
		root: root, procPath: filepath.Join(root, "proc"), set: set, table: table,
		owner: s.PackageOf, cpus: onlineCPUs(root), emit: emit, counters: &s.counters,
	}
	mon := newMonitor(root, set, &s.counters, rep.report, time.Now)
	tick := time.NewTicker(set.Interval)
	defer tick.Stop()
	failures := 0
	for {
		if err := mon.tick(); err != nil {
			failures++
			log.Warn("sampling the processes failed", "err", err, "failures", failures)
			if failures >= maxFailures {
				return fmt.Errorf("%s: %d samples in a row failed: %w", Name, failures, err)
			}
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// maxFailures is how many ticks in a row may fail before Run gives up
// (and the runtime starts it again after a pause).
const maxFailures = 5

// onlineCPUs returns the number of the host's online CPUs.
func onlineCPUs(root string) int {
	if b, err := os.ReadFile(filepath.Join(root, "sys/devices/system/cpu/online")); err == nil {
		if n, err := parseCPUList(b); err == nil {
			return n
		}
	}
	return runtime.NumCPU()
}

// counters are the sensor's own counts; the runtime reads them while it
// runs.
type counters struct {
	// processes is the number of processes measured now.
	processes atomic.Uint64
	// evictions: processes dropped from the table to make room.
	evictions atomic.Uint64
	// untracked: new processes not measured for want of room.
	untracked atomic.Uint64
	// readErrors: stat files that could not be read while the process
	// existed.
	readErrors atomic.Uint64
	// malformedLines: stat files that did not parse.
	malformedLines atomic.Uint64
	// pidReuses: pids found used by a new process.
	pidReuses atomic.Uint64
	// ignored: hot processes whose executable the ignore list names.
	ignored atomic.Uint64
	// packageLookups and packageCacheHits: owners of executables looked
	// up, and found in the cache.
	packageLookups, packageCacheHits atomic.Uint64
}

// Counters implements plugin.Counted.
func (s *Sensor) Counters() map[string]uint64 {
	c := &s.counters
	return map[string]uint64{
		"processes":          c.processes.Load(),
		"evictions":          c.evictions.Load(),
		"untracked":          c.untracked.Load(),
		"read_errors":        c.readErrors.Load(),
		"malformed_lines":    c.malformedLines.Load(),
		"pid_reuses":         c.pidReuses.Load(),
		"ignored":            c.ignored.Load(),
		"package_lookups":    c.packageLookups.Load(),
		"package_cache_hits": c.packageCacheHits.Load(),
	}
}
