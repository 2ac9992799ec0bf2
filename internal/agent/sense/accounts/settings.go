package accounts

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
)

// Settings are the sensor's settings, parsed.
type Settings struct {
	// PrivilegedGroups are group names whose memberships are flagged.
	PrivilegedGroups []string
	// AuthorizedKeysFiles are sshd-style patterns of key files.
	AuthorizedKeysFiles []string
	tracker.Common
}

// DefaultSettings returns the defaults.
func DefaultSettings() Settings {
	return Settings{
		PrivilegedGroups:    []string{"root", "sudo", "wheel", "adm", "docker", "admin", "lxd", "disk"},
		AuthorizedKeysFiles: []string{"%h/.ssh/authorized_keys", "%h/.ssh/authorized_keys2"},
		Common:              tracker.Common{Rescan: 10 * time.Minute, MaxFileBytes: 16 << 20},
	}
}

// document is the JSON form of the settings.
type document struct {
	PrivilegedGroups    *[]string `json:"privileged_groups"`
	AuthorizedKeysFiles *[]string `json:"authorized_keys_files"`
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
	if doc.PrivilegedGroups != nil {
		for _, g := range *doc.PrivilegedGroups {
			if g == "" || strings.ContainsAny(g, ":, \t\n") {
				return st, fmt.Errorf("settings: privileged_groups: %q is not a group name", g)
			}
		}
		st.PrivilegedGroups = *doc.PrivilegedGroups
	}
	if doc.AuthorizedKeysFiles != nil {
		if len(*doc.AuthorizedKeysFiles) == 0 {
			return st, fmt.Errorf("settings: authorized_keys_files is empty")
		}
		for _, p := range *doc.AuthorizedKeysFiles {
			if err := checkKeysPattern(p); err != nil {
				return st, fmt.Errorf("settings: authorized_keys_files: %w", err)
			}
		}
		st.AuthorizedKeysFiles = *doc.AuthorizedKeysFiles
	}
	return st, doc.Parse(&st.Common)
}

// checkKeysPattern accepts sshd's AuthorizedKeysFile tokens only.
func checkKeysPattern(p string) error {
	if p == "" || strings.ContainsAny(p, "\n\x00") {
		return fmt.Errorf("%q is not a path", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			continue
		}
		if i+1 >= len(p) || !strings.ContainsRune("huU%", rune(p[i+1])) {
			return fmt.Errorf("%q: only %%h, %%u, %%U and %%%% are known", p)
		}
		i++
	}
	return nil
}

// expandKeysPattern expands a pattern for one account, as sshd does, and
// cleans the path; "" when it is not usable (a relative path with no
// home).
func expandKeysPattern(p, user, home, uid string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+1 >= len(p) {
			b.WriteByte(p[i])
			continue
		}
		i++
		switch p[i] {
		case 'h':
			b.WriteString(home)
		case 'u':
			b.WriteString(user)
		case 'U':
			b.WriteString(uid)
		default:
			b.WriteByte(p[i])
		}
	}
	out := b.String()
	if !strings.HasPrefix(out, "/") {
		if !strings.HasPrefix(home, "/") {
			return ""
		}
		out = home + "/" + out
	}
	return path.Clean(out)
}
