package proctable

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
// DecodeSettings.
type Settings struct {
	ForkEvents ForkMode  `json:"fork_events,omitempty"`
	ForkWindow *Duration `json:"fork_window,omitempty"`
	HashWait   *Duration `json:"hash_wait,omitempty"`
	HashMaxMiB int       `json:"hash_max_mib,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("500ms").
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"500ms\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// DecodeSettings decodes raw (a JSON object; empty means defaults) into
// dst strictly: unknown fields and trailing data are errors.
func DecodeSettings(raw json.RawMessage, dst any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if dec.More() {
		return errors.New("settings: data after the JSON object")
	}
	return nil
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
