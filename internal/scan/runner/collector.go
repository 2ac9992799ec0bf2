package runner

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// Helpers the collectors that run the scanner share.

// Choose returns the scanner to run: the first of paths that is set,
// checked by Locate; with none set, the one next to the running
// executable.
func Choose(paths ...string) (string, error) {
	for _, p := range paths {
		if p != "" {
			return Locate(p)
		}
	}
	return Locate("")
}

// AbsRoot returns the host root as an absolute path ("" is "/"): the
// scanner runs in "/".
func AbsRoot(root string) string {
	if root == "" {
		return "/"
	}
	if abs, err := filepath.Abs(root); err == nil {
		return abs
	}
	return root
}

// Unique returns assets with each key once (the first), and the number
// left out.
func Unique(assets []event.Asset) ([]event.Asset, int) {
	seen := make(map[string]bool, len(assets))
	out := assets[:0]
	for _, a := range assets {
		if seen[a.Key] {
			continue
		}
		seen[a.Key] = true
		out = append(out, a)
	}
	return out, len(assets) - len(out)
}

// Stats counts a collector's scans; it is safe for concurrent use.
type Stats struct {
	scans, failed, fileErrors, malformed, invalid, priority atomic.Uint64
}

// Record counts one scan: its result, and err when it failed. A child
// whose priority could not be lowered is logged on log (when set) for
// the plugin named name.
func (s *Stats) Record(res Result, err error, log *slog.Logger, name string) {
	s.scans.Add(1)
	if err != nil {
		s.failed.Add(1)
	}
	s.fileErrors.Add(uint64(max(res.Summary.Errors, 0)))
	s.malformed.Add(uint64(res.Read.Malformed))
	s.invalid.Add(uint64(res.Read.Invalid))
	if res.PriorityErr != nil {
		s.priority.Add(1)
		if log != nil {
			log.Warn("scanner priority not lowered", "plugin", name, "err", res.PriorityErr)
		}
	}
}

// Failed counts a run that failed before the scanner ran.
func (s *Stats) Failed() {
	s.scans.Add(1)
	s.failed.Add(1)
}

// Invalid counts n assets left out after the scan (duplicate keys).
func (s *Stats) Invalid(n int) { s.invalid.Add(uint64(n)) }

// Counters returns the counts, in the form of plugin.Counted.
func (s *Stats) Counters() map[string]uint64 {
	return map[string]uint64{
		"scans":                s.scans.Load(),
		"failed_scans":         s.failed.Load(),
		"file_errors":          s.fileErrors.Load(),
		"malformed_lines":      s.malformed.Load(),
		"invalid_assets":       s.invalid.Load(),
		"priority_not_lowered": s.priority.Load(),
	}
}

// MaxTimeout is the longest scan a collector may ask for: the runtime
// gives a collector's run five minutes.
const MaxTimeout = 4 * time.Minute

// CheckSettings checks what the settings of every collector that runs
// the scanner hold: a time limit between a second and MaxTimeout, and a
// scanner, when one is named, that Locate finds.
func CheckSettings(timeout plugin.Duration) error {
	if t := time.Duration(timeout); t < time.Second || t > MaxTimeout {
		return fmt.Errorf("timeout %s is not between 1s and %s", t, MaxTimeout)
	}
	return nil
}
