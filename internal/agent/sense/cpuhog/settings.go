package cpuhog

import (
	"encoding/json"
	"fmt"
	"math"
	"path"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Bounds of the settings.
const (
	MinInterval       = 100 * time.Millisecond
	MaxInterval       = 10 * time.Minute
	MaxSustain        = 24 * time.Hour
	MaxRearm          = 30 * 24 * time.Hour
	MaxThreshold      = 409600 // 4096 cores
	MaxProcessesLimit = 1 << 22
	MaxIgnoreEntries  = 1024
)

// Settings are the sensor's settings, parsed (see the package
// documentation).
type Settings struct {
	Interval time.Duration
	// Threshold is in percent of one core.
	Threshold float64
	Sustain   time.Duration
	// Rearm is 0 for never.
	Rearm        time.Duration
	MaxProcesses int
	// Ignore holds absolute paths, with path.Match wildcards.
	Ignore []string
}

// DefaultSettings returns the settings used when the policy sets none.
func DefaultSettings() Settings {
	return Settings{
		Interval:     10 * time.Second,
		Threshold:    80,
		Sustain:      10 * time.Minute,
		Rearm:        6 * time.Hour,
		MaxProcesses: 65536,
	}
}

// document is the JSON form of the settings; a field left out keeps its
// default.
type document struct {
	Interval     *plugin.Duration `json:"interval"`
	CPUThreshold *float64         `json:"cpu_threshold"`
	Sustain      *plugin.Duration `json:"sustain"`
	Rearm        *plugin.Duration `json:"rearm"`
	MaxProcesses *int             `json:"max_processes"`
	Ignore       []string         `json:"ignore"`
}

// ParseSettings decodes and checks settings strictly; empty raw gives
// the defaults.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	st := DefaultSettings()
	var doc document
	if err := plugin.DecodeSettings(raw, &doc); err != nil {
		return Settings{}, fmt.Errorf("%s %w", Name, err)
	}
	if doc.Interval != nil {
		st.Interval = time.Duration(*doc.Interval)
	}
	if doc.CPUThreshold != nil {
		st.Threshold = *doc.CPUThreshold
	}
	if doc.Sustain != nil {
		st.Sustain = time.Duration(*doc.Sustain)
	}
	if doc.Rearm != nil {
		st.Rearm = time.Duration(*doc.Rearm)
	}
	if doc.MaxProcesses != nil {
		st.MaxProcesses = *doc.MaxProcesses
	}
	if doc.Ignore != nil {
		st.Ignore = doc.Ignore
	}
	if err := st.Validate(); err != nil {
		return Settings{}, fmt.Errorf("%s settings: %w", Name, err)
	}
	return st, nil
}

// Validate says what is wrong with the settings, naming the setting.
func (s Settings) Validate() error {
	if s.Interval < MinInterval || s.Interval > MaxInterval {
		return fmt.Errorf("interval %s is not between %s and %s", s.Interval, MinInterval, MaxInterval)
	}
	if math.IsNaN(s.Threshold) || s.Threshold <= 0 || s.Threshold > MaxThreshold {
		return fmt.Errorf("cpu_threshold %g is not a percentage of one core above 0 and at most %d", s.Threshold, MaxThreshold)
	}
	if s.Sustain < s.Interval || s.Sustain > MaxSustain {
		return fmt.Errorf("sustain %s is not between the interval (%s) and %s", s.Sustain, s.Interval, MaxSustain)
	}
	if s.Rearm != 0 && (s.Rearm < s.Sustain || s.Rearm > MaxRearm) {
		return fmt.Errorf("rearm %s is neither 0s (never) nor between the sustain (%s) and %s", s.Rearm, s.Sustain, MaxRearm)
	}
	if s.MaxProcesses < 1 || s.MaxProcesses > MaxProcessesLimit {
		return fmt.Errorf("max_processes %d is not between 1 and %d", s.MaxProcesses, MaxProcessesLimit)
	}
	if len(s.Ignore) > MaxIgnoreEntries {
		return fmt.Errorf("ignore has %d entries, more than %d", len(s.Ignore), MaxIgnoreEntries)
	}
	for i, p := range s.Ignore {
		if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
			return fmt.Errorf("ignore[%d] %q is not an absolute path", i, p)
		}
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("ignore[%d] %q: %w", i, p, err)
		}
	}
	return nil
}

// ignored reports whether the settings' ignore list names executable exe.
func (s Settings) ignored(exe string) bool {
	for _, p := range s.Ignore {
		if ok, _ := path.Match(p, exe); ok {
			return true
		}
	}
	return false
}
