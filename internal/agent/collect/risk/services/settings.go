package services

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Bounds of the settings.
const (
	// MaxRunGuessing bounds the time one service's guessing may take at
	// the settings' rate (max_attempts / rate), so that a run ends well
	// within the time the agent gives a collector.
	MaxRunGuessing = 4 * time.Minute
	maxRate        = 50
	maxAttempts    = 10000
	minTimeout     = 100 * time.Millisecond
	maxTimeout     = time.Minute
	maxWords       = 10000
	maxWordBytes   = 256
)

// Checks turns each check on or off; all are on by default.
type Checks struct {
	Redis         bool `json:"redis"`
	MySQL         bool `json:"mysql"`
	PostgreSQL    bool `json:"postgresql"`
	SSH           bool `json:"ssh"`
	Tomcat        bool `json:"tomcat"`
	Memcached     bool `json:"memcached"`
	MongoDB       bool `json:"mongodb"`
	Elasticsearch bool `json:"elasticsearch"`
}

// Settings are the collector's policy settings.
type Settings struct {
	// Rate is the number of attempts per second made against one
	// service (2 by default).
	Rate float64 `json:"rate"`
	// MaxAttempts bounds the attempts against one service, or the
	// passwords compared with one stored credential (100 by default).
	MaxAttempts int `json:"max_attempts"`
	// Timeout bounds one exchange with a service: connecting, sending,
	// reading the answer ("5s" by default).
	Timeout plugin.Duration `json:"timeout"`
	// Words are tried after each product's own defaults and before the
	// built-in dictionary.
	Words []string `json:"words,omitempty"`
	// Checks turns checks off: {"ssh": false}.
	Checks Checks `json:"checks"`
}

// DefaultSettings returns the settings used when the policy sets none.
func DefaultSettings() Settings {
	return Settings{
		Rate: 2, MaxAttempts: 100, Timeout: plugin.Duration(5 * time.Second),
		Checks: Checks{
			Redis: true, MySQL: true, PostgreSQL: true, SSH: true, Tomcat: true,
			Memcached: true, MongoDB: true, Elasticsearch: true,
		},
	}
}

// ParseSettings decodes and checks settings strictly (unknown fields,
// unknown checks and wrong types are errors); empty raw gives the
// defaults, and fields not given keep their defaults.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	s := DefaultSettings()
	if err := plugin.DecodeSettings(raw, &s); err != nil {
		return Settings{}, fmt.Errorf("%s: %w", Name, err)
	}
	if err := s.check(); err != nil {
		return Settings{}, fmt.Errorf("%s: settings: %w", Name, err)
	}
	return s, nil
}

func (s *Settings) check() error {
	if !(s.Rate > 0 && s.Rate <= maxRate) {
		return fmt.Errorf("rate %v: want more than 0 and at most %d attempts per second", s.Rate, maxRate)
	}
	if s.MaxAttempts < 1 || s.MaxAttempts > maxAttempts {
		return fmt.Errorf("max_attempts %d: want 1 to %d", s.MaxAttempts, maxAttempts)
	}
	if d := s.guessing(); d > MaxRunGuessing {
		return fmt.Errorf("max_attempts %d at rate %v per second takes %s per service, more than %s",
			s.MaxAttempts, s.Rate, d.Round(time.Second), MaxRunGuessing)
	}
	if t := time.Duration(s.Timeout); t < minTimeout || t > maxTimeout {
		return fmt.Errorf("timeout %s: want %s to %s", t, minTimeout, maxTimeout)
	}
	if len(s.Words) > maxWords {
		return fmt.Errorf("words: %d, more than %d", len(s.Words), maxWords)
	}
	for i, w := range s.Words {
		if w == "" || len(w) > maxWordBytes || !utf8.ValidString(w) || strings.ContainsRune(w, 0) {
			return fmt.Errorf("words[%d]: empty, longer than %d bytes, not UTF-8 or with NUL", i, maxWordBytes)
		}
	}
	return nil
}

// guessing is the time max_attempts take at the rate.
func (s *Settings) guessing() time.Duration {
	return time.Duration(float64(s.MaxAttempts-1) / s.Rate * float64(time.Second))
}
