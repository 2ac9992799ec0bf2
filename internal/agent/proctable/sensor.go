package proctable

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"sync"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// SensorSettings is what SensorBase needs of a process sensor's settings:
// a type that embeds Settings and has its own Validate.
type SensorSettings interface {
	Validate() error
	Apply(t *Table)
	StreamConfig(dataset string) StreamConfig
}

// SensorStats is a process sensor's own counters; Map names them for
// plugin.Counted.
type SensorStats interface {
	Map() map[string]uint64
}

// SensorBase is what every process sensor keeps around the shared table:
// the table (Configure), the settings (ApplySettings), the stream of the
// current or last run, and the sensor's own counters C. A sensor embeds
// the *SensorBase that NewSensorBase makes and adds its name, Probe and
// Run, which calls Begin, sets up its mechanism, then Open.
type SensorBase[S SensorSettings, C SensorStats] struct {
	name string

	mu       sync.Mutex
	log      *slog.Logger
	table    *Table
	settings S
	stream   *Stream
	ended    StreamStats // of the streams of the runs before
	stats    C
}

// NewSensorBase returns the base of the process sensor name.
func NewSensorBase[S SensorSettings, C SensorStats](name string) *SensorBase[S, C] {
	return &SensorBase[S, C]{name: name, log: slog.Default()}
}

// Provides implements plugin.Alternative: process sensors provide
// "process".
func (*SensorBase[S, C]) Provides() string { return "process" }

// Configure implements plugin.Configurer: the sensor uses the agent's
// shared process table of env.Root and env.HostID.
func (b *SensorBase[S, C]) Configure(env plugin.Env) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if env.Logger != nil {
		b.log = env.Logger
	}
	b.table = Shared(env.Root, env.HostID)
	return nil
}

// ApplySettings implements plugin.Tunable.
func (b *SensorBase[S, C]) ApplySettings(raw json.RawMessage) error {
	var st S
	if err := plugin.DecodeSettings(raw, &st); err != nil {
		return fmt.Errorf("%s: %w", b.name, err)
	}
	if err := st.Validate(); err != nil {
		return fmt.Errorf("%s: %w", b.name, err)
	}
	b.mu.Lock()
	b.settings = st
	b.mu.Unlock()
	return nil
}

// Settings returns the settings last applied.
func (b *SensorBase[S, C]) Settings() S {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.settings
}

// Logger returns the agent's logger, slog.Default before Configure.
func (b *SensorBase[S, C]) Logger() *slog.Logger {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log
}

// Processes implements plugin.ProcessLister.
func (b *SensorBase[S, C]) Processes() []plugin.ProcessInfo {
	if t := b.Table(); t != nil {
		return t.Processes()
	}
	return nil
}

// Table returns the process table the sensor keeps, nil before
// Configure.
func (b *SensorBase[S, C]) Table() *Table {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.table
}

// Stats returns the sensor's own counters, totals since it was made.
func (b *SensorBase[S, C]) Stats() C {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Count changes the sensor's own counters.
func (b *SensorBase[S, C]) Count(f func(*C)) {
	b.mu.Lock()
	f(&b.stats)
	b.mu.Unlock()
}

// StreamStats returns the counters of the current or last run's events;
// Incomplete counts events with fields that could not be read.
func (b *SensorBase[S, C]) StreamStats() StreamStats {
	b.mu.Lock()
	st := b.stream
	b.mu.Unlock()
	if st == nil {
		return StreamStats{}
	}
	return st.Stats()
}

// Counters implements plugin.Counted: the sensor's own counters (C.Map)
// and, once it has run, the table's size ("processes",
// "exited_processes") and work, the executable hasher's and the events
// that could not be read in full, totals since the sensor was made (the
// table's and the hasher's since the agent started: the table is shared).
func (b *SensorBase[S, C]) Counters() map[string]uint64 {
	b.mu.Lock()
	m, t, st, ended := b.stats.Map(), b.table, b.stream, b.ended
	b.mu.Unlock()
	if st == nil {
		return m
	}
	ts, hs, ss := t.Stats(), t.Hasher().Stats(), st.Stats()
	maps.Copy(m, map[string]uint64{
		"processes":         uint64(ts.Live),
		"exited_processes":  uint64(ts.Exited),
		"processes_evicted": ts.Evicted,
		"missed_exits":      ts.Swept,
		"proc_reads":        ts.ProcReads,
		"proc_parse_errors": ts.ParseErrors,
		"files_hashed":      hs.Hashed,
		"hashed_bytes":      hs.Bytes,
		"hash_cache_hits":   hs.CacheHits,
		"hash_queue_full":   hs.Busy,
		"hash_failures":     hs.Unavailable,
		"incomplete_events": ended.Incomplete + ss.Incomplete,
		"forks_folded":      ended.ForksFolded + ss.ForksFolded,
	})
	return m
}

// Begin starts a run: it returns the table and the settings, or an error
// before Configure.
func (b *SensorBase[S, C]) Begin() (*Table, S, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.table == nil {
		return nil, b.settings, fmt.Errorf("%s: not configured", b.name)
	}
	return b.table, b.settings, nil
}

// Open applies settings to t, seeds it from /proc and returns the run's
// stream of events to emit, which the sensor closes when the run ends. A
// sensor calls it once its mechanism is set up, so that no process falls
// between the seeding and the first record.
func (b *SensorBase[S, C]) Open(t *Table, settings S, emit plugin.Emitter) (*Stream, error) {
	settings.Apply(t)
	if _, err := t.Seed(); err != nil {
		return nil, fmt.Errorf("%s: %w", b.name, err)
	}
	stream := t.NewStream(settings.StreamConfig(b.name), emit)
	b.mu.Lock()
	if b.stream != nil {
		prev := b.stream.Stats()
		b.ended.Incomplete += prev.Incomplete
		b.ended.ForksFolded += prev.ForksFolded
	}
	b.stream = stream
	b.mu.Unlock()
	return stream, nil
}
