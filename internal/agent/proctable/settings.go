package proctable

import (
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
)

// Settings are the policy settings that every process sensor takes:
//
//	fork_events   "deduplicated" (default), "all" or "none" (ForkMode)
//	fork_window   how long a fork waits for an exec, "500ms" (10ms to 10s)
//	hash_wait     how long an exec event waits for a new executable's
//	              hash, "2s" (0s to 30s; "0s" sends it without)
//	hash_max_mib  largest executable hashed, in MiB: 64 (1 to 4096)
//
// A sensor embeds Settings in its own settings type and decodes with
// plugin.DecodeSettings.
type Settings struct {
	ForkEvents ForkMode         `json:"fork_events,omitempty"`
	ForkWindow *plugin.Duration `json:"fork_window,omitempty"`
	HashWait   *plugin.Duration `json:"hash_wait,omitempty"`
	HashMaxMiB int              `json:"hash_max_mib,omitempty"`
}

// Validate checks the values.
func (s Settings) Validate() error {
	switch s.ForkEvents {
	case "", ForkDeduplicated, ForkAll, ForkNone:
	default:
		return fmt.Errorf("settings: fork_events %q: want %q, %q or %q", s.ForkEvents, ForkDeduplicated, ForkAll, ForkNone)
	}
	if w := s.ForkWindow; w != nil && (time.Duration(*w) < 10*time.Millisecond || time.Duration(*w) > 10*time.Second) {
		return fmt.Errorf("settings: fork_window %v: want 10ms to 10s", time.Duration(*w))
	}
	if w := s.HashWait; w != nil && (time.Duration(*w) < 0 || time.Duration(*w) > 30*time.Second) {
		return fmt.Errorf("settings: hash_wait %v: want 0s to 30s", time.Duration(*w))
	}
	if s.HashMaxMiB < 0 || s.HashMaxMiB > 4096 {
		return fmt.Errorf("settings: hash_max_mib %d: want 1 to 4096", s.HashMaxMiB)
	}
	return nil
}

// StreamConfig returns the stream configuration of a sensor named
// dataset with these settings.
func (s Settings) StreamConfig(dataset string) StreamConfig {
	c := StreamConfig{Dataset: dataset, Fork: s.ForkEvents}
	if s.ForkWindow != nil {
		c.ForkWindow = time.Duration(*s.ForkWindow)
	}
	c.HashWait = DefaultHashWait
	if s.HashWait != nil {
		c.HashWait = time.Duration(*s.HashWait)
		if c.HashWait == 0 {
			c.HashWait = time.Nanosecond // do not wait
		}
	}
	return c
}

// Apply sets the table-wide parts of the settings (the hash size bound).
func (s Settings) Apply(t *Table) {
	limit := int64(exehash.DefaultMaxSize)
	if s.HashMaxMiB > 0 {
		limit = int64(s.HashMaxMiB) << 20
	}
	t.hasher.SetMaxSize(limit)
}
