package authlog

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Sources of log lines.
const (
	// SourceAuto reads the log files when one exists, else the journal.
	SourceAuto = "auto"
	// SourceFile reads the log files.
	SourceFile = "file"
	// SourceJournal reads the systemd journal through journalctl.
	SourceJournal = "journal"
)

// Where reading starts when there is no saved position.
const (
	StartAtEnd       = "end"
	StartAtBeginning = "beginning"
)

// Settings are the sensor's settings (the policy's settings_json). The
// zero value is not valid: start from DefaultSettings.
type Settings struct {
	// Source is "auto", "file" or "journal".
	Source string
	// Files are the log files to follow, as paths on the host ("/var/log/auth.log").
	Files []string
	// Accounting follows the wtmp and btmp files.
	Accounting bool
	// Wtmp and Btmp are the accounting files, as paths on the host.
	Wtmp, Btmp string
	// StartAt is where a file or the journal is read from when the
	// sensor has no saved position for it: "end" (only what is written
	// from now on) or "beginning".
	StartAt string
	// PollInterval is how often files are checked when no change
	// notification arrives (rotation, truncation, missed notifications).
	PollInterval time.Duration
	// SkipServices are PAM services whose session and authentication
	// lines are dropped (counted as filtered), such as cron's.
	SkipServices []string
	// MaxLineBytes bounds one line; the rest of a longer line is
	// dropped (the start is still parsed).
	MaxLineBytes int
}

// DefaultSettings returns the settings used when the policy sets none.
func DefaultSettings() Settings {
	return Settings{
		Source:       SourceAuto,
		Files:        []string{"/var/log/auth.log", "/var/log/secure"},
		Accounting:   true,
		Wtmp:         "/var/log/wtmp",
		Btmp:         "/var/log/btmp",
		StartAt:      StartAtEnd,
		PollInterval: 2 * time.Second,
		SkipServices: []string{"cron", "crond", "CROND", "atd", "systemd-user"},
		MaxLineBytes: 64 << 10,
	}
}

// Bounds of the settings.
const (
	minPoll     = 100 * time.Millisecond
	maxPoll     = 5 * time.Minute
	minLine     = 1 << 10
	maxLine     = 1 << 20
	maxFiles    = 16
	maxServices = 64
)

// settingsJSON is the JSON form; absent fields keep their defaults.
type settingsJSON struct {
	Source       *string   `json:"source"`
	Files        *[]string `json:"files"`
	Accounting   *bool     `json:"accounting"`
	Wtmp         *string   `json:"wtmp"`
	Btmp         *string   `json:"btmp"`
	StartAt      *string   `json:"start_at"`
	PollInterval *string   `json:"poll_interval"`
	SkipServices *[]string `json:"skip_services"`
	MaxLineBytes *int      `json:"max_line_bytes"`
}

// ParseSettings decodes and checks settings: a JSON object whose absent
// fields keep their defaults; empty raw gives the defaults. Unknown
// fields and out-of-range values are errors.
func ParseSettings(raw []byte) (Settings, error) {
	s := DefaultSettings()
	var j settingsJSON
	if err := plugin.DecodeSettings(raw, &j); err != nil {
		return s, fmt.Errorf("authlog %w", err)
	}
	if j.Source != nil {
		if !slices.Contains([]string{SourceAuto, SourceFile, SourceJournal}, *j.Source) {
			return s, fmt.Errorf("authlog settings: source %q: want auto, file or journal", *j.Source)
		}
		s.Source = *j.Source
	}
	if j.Files != nil {
		if len(*j.Files) > maxFiles {
			return s, fmt.Errorf("authlog settings: %d files, at most %d", len(*j.Files), maxFiles)
		}
		for _, f := range *j.Files {
			if err := checkPath(f); err != nil {
				return s, fmt.Errorf("authlog settings: files: %w", err)
			}
		}
		s.Files = slices.Clone(*j.Files)
	}
	if j.Accounting != nil {
		s.Accounting = *j.Accounting
	}
	for _, p := range []struct {
		name string
		v    *string
		dst  *string
	}{{"wtmp", j.Wtmp, &s.Wtmp}, {"btmp", j.Btmp, &s.Btmp}} {
		if p.v == nil {
			continue
		}
		if *p.v != "" {
			if err := checkPath(*p.v); err != nil {
				return s, fmt.Errorf("authlog settings: %s: %w", p.name, err)
			}
		}
		*p.dst = *p.v
	}
	if j.StartAt != nil {
		if *j.StartAt != StartAtEnd && *j.StartAt != StartAtBeginning {
			return s, fmt.Errorf("authlog settings: start_at %q: want end or beginning", *j.StartAt)
		}
		s.StartAt = *j.StartAt
	}
	if j.PollInterval != nil {
		d, err := time.ParseDuration(*j.PollInterval)
		if err != nil {
			return s, fmt.Errorf("authlog settings: poll_interval: %w", err)
		}
		if d < minPoll || d > maxPoll {
			return s, fmt.Errorf("authlog settings: poll_interval %s: want %s to %s", d, minPoll, maxPoll)
		}
		s.PollInterval = d
	}
	if j.SkipServices != nil {
		if len(*j.SkipServices) > maxServices {
			return s, fmt.Errorf("authlog settings: %d skip_services, at most %d", len(*j.SkipServices), maxServices)
		}
		for _, name := range *j.SkipServices {
			if name == "" || strings.ContainsAny(name, " \t\n") {
				return s, fmt.Errorf("authlog settings: skip_services: bad service name %q", name)
			}
		}
		s.SkipServices = slices.Clone(*j.SkipServices)
	}
	if j.MaxLineBytes != nil {
		if *j.MaxLineBytes < minLine || *j.MaxLineBytes > maxLine {
			return s, fmt.Errorf("authlog settings: max_line_bytes %d: want %d to %d", *j.MaxLineBytes, minLine, maxLine)
		}
		s.MaxLineBytes = *j.MaxLineBytes
	}
	return s, nil
}

// checkPath accepts an absolute, clean path that is not the root.
func checkPath(p string) error {
	if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
		return fmt.Errorf("path %q: want an absolute clean path to a file", p)
	}
	return nil
}
