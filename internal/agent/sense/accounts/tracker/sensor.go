package tracker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
)

// SensorSettings is what SensorBase needs of a sensor's parsed settings:
// a type that embeds Common.
type SensorSettings interface {
	common() Common
}

// SensorBase is the frame of a tracker-based sensor: Configure (the host
// root, and the data directory that holds the state file), ApplySettings,
// Run (a new Tracker of the sensor's Model each time, under a Runner that
// keeps the counters across runs), Stats and Counters, Mechanism and
// Requirements. A sensor embeds the *SensorBase that NewSensorBase makes
// and adds its Name.
type SensorBase[S SensorSettings] struct {
	name, stateFile string
	parse           func(json.RawMessage) (S, error)
	model           func(S, *rootfs.FS) Model

	mu       sync.Mutex
	fs       *rootfs.FS
	dataDir  string
	log      *slog.Logger
	settings S
	runs     Runner
}

// NewSensorBase returns the frame of the sensor name, whose state is the
// file stateFile in the data directory's state folder. parse parses a
// settings document (empty: the defaults, which the sensor starts with);
// model makes the Model of one run.
func NewSensorBase[S SensorSettings](name, stateFile string, parse func(json.RawMessage) (S, error),
	model func(S, *rootfs.FS) Model) *SensorBase[S] {
	defaults, _ := parse(nil)
	return &SensorBase[S]{name: name, stateFile: stateFile, parse: parse, model: model, settings: defaults}
}

// Mechanism implements plugin.Sensor.
func (*SensorBase[S]) Mechanism() string { return "inotify" }

// Requirements implements plugin.Plugin: inotify, and root for the files
// of other users (shadow, crontabs, homes).
func (*SensorBase[S]) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true, Features: []string{plugin.FeatureInotify}}
}

// Configure implements plugin.Configurer.
func (b *SensorBase[S]) Configure(env plugin.Env) error {
	if env.DataDir == "" {
		return fmt.Errorf("%s: no data directory for the state", b.name)
	}
	fsys, err := rootfs.New(env.Root)
	if err != nil {
		return fmt.Errorf("%s: %w", b.name, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fs, b.dataDir, b.log = fsys, env.DataDir, env.Logger
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// ApplySettings implements plugin.Tunable.
func (b *SensorBase[S]) ApplySettings(raw json.RawMessage) error {
	st, err := b.parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", b.name, err)
	}
	b.mu.Lock()
	b.settings = st
	b.mu.Unlock()
	return nil
}

// Counters implements plugin.Counted: Stats by name (malformed_lines,
// read_errors, overflows, unwatched_dirs ...).
func (b *SensorBase[S]) Counters() map[string]uint64 { return b.runs.Stats().Map() }

// Stats returns the sensor's counters, kept across runs: sources,
// records, watches, malformed lines, read failures, overflows.
func (b *SensorBase[S]) Stats() Stats { return b.runs.Stats() }

// Run implements plugin.Sensor.
func (b *SensorBase[S]) Run(ctx context.Context, emit plugin.Emitter) error {
	b.mu.Lock()
	fsys, dataDir, log, st := b.fs, b.dataDir, b.log, b.settings
	b.mu.Unlock()
	if fsys == nil {
		return errors.New(b.name + ": not configured")
	}
	tr, err := New(Config{
		Name:      b.name,
		FS:        fsys,
		StateFile: filepath.Join(dataDir, "state", b.stateFile),
		Model:     b.model(st, fsys),
		Logger:    log,
		Rescan:    st.common().Rescan,
	})
	if err != nil {
		return fmt.Errorf("%s: %w", b.name, err)
	}
	err = b.runs.Run(ctx, tr, emit)
	stats := b.runs.Stats()
	log.Info("sensor stopped", "sensor", b.name, "events", stats.Events, "malformed_lines", stats.MalformedLines,
		"read_errors", stats.ReadErrors, "overflows", stats.Overflows, "unwatched", stats.Unwatched)
	return err
}
