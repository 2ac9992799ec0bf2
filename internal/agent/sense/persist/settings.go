package persist

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
)

// MaxAddedLinesLimit is the largest max_added_lines: with lines of at
// most 512 bytes it keeps an event well under event.MaxSize.
const MaxAddedLinesLimit = 200

// Settings are the sensor's settings, parsed.
type Settings struct {
	// UserStartupFiles are the shell startup files of each home,
	// relative to it.
	UserStartupFiles []string
	// MaxAddedLines bounds vigil.persistence.added_lines.
	MaxAddedLines int
	tracker.Common
}

// DefaultSettings returns the defaults.
func DefaultSettings() Settings {
	return Settings{
		UserStartupFiles: []string{".bashrc", ".profile", ".bash_profile", ".bash_login", ".bash_logout"},
		MaxAddedLines:    20,
		Common:           tracker.Common{Rescan: 10 * time.Minute, MaxFileBytes: 16 << 20},
	}
}

// document is the JSON form of the settings.
type document struct {
	UserStartupFiles *[]string `json:"user_startup_files"`
	MaxAddedLines    *int      `json:"max_added_lines"`
	tracker.CommonDocument
}

// ParseSettings parses a settings document (a JSON object; empty means
// the defaults) strictly.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	st := DefaultSettings()
	var doc document
	if err := plugin.DecodeSettings(raw, &doc); err != nil {
		return st, err
	}
	if doc.UserStartupFiles != nil {
		for _, f := range *doc.UserStartupFiles {
			if f == "" || strings.HasPrefix(f, "/") || path.Clean(f) != f || strings.HasPrefix(f, "..") || strings.ContainsAny(f, "\n\x00") {
				return st, fmt.Errorf("settings: user_startup_files: %q is not a clean path inside a home", f)
			}
		}
		st.UserStartupFiles = *doc.UserStartupFiles
	}
	if doc.MaxAddedLines != nil {
		if n := *doc.MaxAddedLines; n < 1 || n > MaxAddedLinesLimit {
			return st, fmt.Errorf("settings: max_added_lines %d is outside [1, %d]", n, MaxAddedLinesLimit)
		}
		st.MaxAddedLines = *doc.MaxAddedLines
	}
	return st, doc.Parse(&st.Common)
}
