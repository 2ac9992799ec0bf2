package tracker

import (
	"fmt"
	"time"
)

// Bounds of the common settings of tracker-based sensors.
const (
	// MinRescan is the shortest rescan_interval accepted.
	MinRescan = 30 * time.Second
	// MinFileBytes and MaxFileBytes bound max_file_bytes.
	MinFileBytes = 4 << 10
	MaxFileBytes = 256 << 20
)

// Common are the settings every tracker-based sensor has; its settings
// type embeds them.
type Common struct {
	// Rescan is the period of full readings (0: none).
	Rescan time.Duration
	// MaxFileBytes bounds the files read.
	MaxFileBytes int64
}

func (c Common) common() Common { return c }

// CommonDocument is the JSON form of Common (rescan_interval,
// max_file_bytes); a sensor's settings document embeds it.
type CommonDocument struct {
	RescanInterval *string `json:"rescan_interval"`
	MaxFileBytes   *int64  `json:"max_file_bytes"`
}

// Parse checks the values that d sets and puts them in c.
func (d CommonDocument) Parse(c *Common) error {
	if d.RescanInterval != nil {
		r, err := ParseRescan(*d.RescanInterval)
		if err != nil {
			return err
		}
		c.Rescan = r
	}
	if d.MaxFileBytes != nil {
		if err := CheckFileBytes(*d.MaxFileBytes); err != nil {
			return err
		}
		c.MaxFileBytes = *d.MaxFileBytes
	}
	return nil
}

// ParseRescan parses a rescan_interval: a Go duration ("10m") of at least
// MinRescan, or "0" to read only on inotify events.
func ParseRescan(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("settings: rescan_interval %q: %w", s, err)
	}
	if d < MinRescan {
		return 0, fmt.Errorf("settings: rescan_interval %s is below %s (use \"0\" to turn full readings off)", d, MinRescan)
	}
	return d, nil
}

// CheckFileBytes validates a max_file_bytes setting.
func CheckFileBytes(n int64) error {
	if n < MinFileBytes || n > MaxFileBytes {
		return fmt.Errorf("settings: max_file_bytes %d is outside [%d, %d]", n, MinFileBytes, MaxFileBytes)
	}
	return nil
}
