package baseline

import (
	"log/slog"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Defaults of Config.
const (
	DefaultLearningPeriod   = 14 * 24 * time.Hour
	DefaultMinLogins        = 10
	DefaultMaxSources       = 64
	DefaultUnusualHourShare = 0.02
)

// Config configures a Service. Zero fields take their defaults.
type Config struct {
	// Store keeps the profiles. Without it the service learns in memory
	// only, and Load, Flush, Reset and Profiles return an error.
	Store store.BaselineStore
	// Location is the time zone whose hours of the day the profiles
	// count (default time.Local).
	Location *time.Location
	// LearningPeriod is how long after its first login a profile keeps
	// learning before its logins are judged (default 14 days).
	LearningPeriod time.Duration
	// MinLogins is how many logins a profile must have learned before
	// its logins are judged (default 10).
	MinLogins int
	// MaxSources bounds the addresses a profile keeps; the least
	// recently seen is dropped (default 64).
	MaxSources int
	// UnusualHourShare is the share of the learned logins under which
	// an hour and its two neighbours are unusual (default 0.02).
	UnusualHourShare float64
	// Now is the clock (default time.Now): for logins without a valid
	// @timestamp and for the status Profiles shows.
	Now func() time.Time
	// Logger receives warnings (default: discarded).
	Logger *slog.Logger
}

// withDefaults returns c with its zero fields set to the defaults.
func (c Config) withDefaults() Config {
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.LearningPeriod <= 0 {
		c.LearningPeriod = DefaultLearningPeriod
	}
	if c.MinLogins <= 0 {
		c.MinLogins = DefaultMinLogins
	}
	if c.MaxSources <= 0 {
		c.MaxSources = DefaultMaxSources
	}
	if c.UnusualHourShare <= 0 {
		c.UnusualHourShare = DefaultUnusualHourShare
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
