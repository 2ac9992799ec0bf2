// Package budget keeps the agent within its resource budget: a soft
// memory limit for the Go runtime, and a CPU governor that measures the
// process's own CPU time every second and reports "throttled" while it is
// above its share of one core, so that the runtime holds collectors back
// and slows sensors down until it falls under again.
package budget

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults, the same as the center's built-in policy.
const (
	DefaultCPUPercent = 10
	DefaultMemoryMB   = 256
	// DefaultMaxProcs is the GOMAXPROCS the agent binary runs with: one
	// core is plenty for an agent, and it bounds its burst CPU use.
	DefaultMaxProcs = 1
	// DefaultPeriod is how often the governor measures.
	DefaultPeriod = time.Second
	// release is the fraction of the budget the CPU use must fall under
	// before throttling stops, so that it does not flap at the edge.
	release = 0.8
)

// Limits is a resource budget. Zero fields mean the default.
type Limits struct {
	// CPUPercent is the share of one core the agent may use.
	CPUPercent float64
	// MemoryMB is the soft memory limit of the Go runtime.
	MemoryMB uint64
}

// withDefaults fills the zero fields.
func (l Limits) withDefaults() Limits {
	if l.CPUPercent <= 0 || math.IsNaN(l.CPUPercent) {
		l.CPUPercent = DefaultCPUPercent
	}
	if l.MemoryMB == 0 {
		l.MemoryMB = DefaultMemoryMB
	}
	return l
}

// Options tune a Governor; the zero value measures this process every
// second.
type Options struct {
	// Period is the time between two measurements.
	Period time.Duration
	// CPUTime returns the CPU time (user and system) this process used so
	// far; nil means ProcessCPUTime.
	CPUTime func() (time.Duration, error)
}

// Governor measures the agent's CPU use and applies its limits.
type Governor struct {
	opts Options

	mu      sync.Mutex
	limits  Limits
	release chan struct{} // closed when throttling stops; nil while not throttled

	throttled atomic.Bool
	percent   atomic.Uint64 // math.Float64bits of the last measurement
}

// New returns a governor with limits l; Run makes it measure.
func New(l Limits, opts Options) *Governor {
	if opts.Period <= 0 {
		opts.Period = DefaultPeriod
	}
	if opts.CPUTime == nil {
		opts.CPUTime = ProcessCPUTime
	}
	return &Governor{opts: opts, limits: l.withDefaults()}
}

// Set changes the limits; the memory limit applies at once while Run runs.
func (g *Governor) Set(l Limits) {
	l = l.withDefaults()
	g.mu.Lock()
	g.limits = l
	g.mu.Unlock()
}

// Limits returns the limits in force.
func (g *Governor) Limits() Limits {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limits
}

// Throttled reports whether the agent is over its CPU budget right now.
func (g *Governor) Throttled() bool { return g.throttled.Load() }

// CPUPercent is the last measured CPU use, in percent of one core.
func (g *Governor) CPUPercent() float64 { return math.Float64frombits(g.percent.Load()) }

// Wait blocks while the agent is throttled, until ctx is done.
func (g *Governor) Wait(ctx context.Context) error {
	g.mu.Lock()
	ch := g.release
	g.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run measures every period until ctx is done. It sets the Go runtime's
// memory limit from the budget, and restores the previous limit when it
// returns.
func (g *Governor) Run(ctx context.Context) {
	prevLimit := debug.SetMemoryLimit(-1)
	defer func() {
		debug.SetMemoryLimit(prevLimit)
		g.update(false)
	}()
	var applied uint64
	last, lastErr := g.opts.CPUTime()
	lastAt := time.Now()
	t := time.NewTicker(g.opts.Period)
	defer t.Stop()
	for {
		if l := g.Limits(); l.MemoryMB != applied {
			applied = l.MemoryMB
			debug.SetMemoryLimit(int64(min(applied, math.MaxInt64>>20)) << 20)
		}
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			cpu, err := g.opts.CPUTime()
			if err == nil && lastErr == nil {
				g.measure(cpu-last, now.Sub(lastAt))
			}
			last, lastErr, lastAt = cpu, err, now
		}
	}
}

// measure records one measurement of used CPU time over wall time and
// throttles or releases.
func (g *Governor) measure(used, wall time.Duration) {
	if wall <= 0 {
		return
	}
	pct := 100 * used.Seconds() / wall.Seconds()
	g.percent.Store(math.Float64bits(pct))
	budget := g.Limits().CPUPercent
	switch {
	case pct > budget:
		g.update(true)
	case pct < budget*release:
		g.update(false)
	}
}

// update switches the throttled state.
func (g *Governor) update(on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.throttled.Load() == on {
		return
	}
	g.throttled.Store(on)
	if on {
		g.release = make(chan struct{})
		return
	}
	close(g.release)
	g.release = nil
}

// CapProcs caps GOMAXPROCS at n (when n > 0 and lower than the current
// value) and returns the value in force afterwards.
func CapProcs(n int) int {
	if cur := runtime.GOMAXPROCS(0); n > 0 && n < cur {
		runtime.GOMAXPROCS(n)
	}
	return runtime.GOMAXPROCS(0)
}
