package compliancecmd

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// statuses are the statuses of a check's result, as --status takes them.
var statuses = []string{"pass", "fail", "error", "not_applicable", "excepted"}

// statusAliases are other spellings --status accepts, as the tables show
// them.
var statusAliases = map[string]string{"n/a": "not_applicable", "na": "not_applicable", "not-applicable": "not_applicable"}

// parseStatus reads --status: one status, in any case.
func parseStatus(s string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "" {
		return "", nil
	}
	if a, ok := statusAliases[v]; ok {
		v = a
	}
	if !slices.Contains(statuses, v) {
		return "", fmt.Errorf("%q: want %s", s, strings.Join(statuses, ", "))
	}
	return v, nil
}

// severities are the severities of checks, most severe first.
var severities = []string{"critical", "high", "medium", "low"}

// parseSeverity reads --severity: one severity, in any case.
func parseSeverity(s string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "" {
		return "", nil
	}
	if !slices.Contains(severities, v) {
		return "", fmt.Errorf("%q: want %s", s, strings.Join(severities, ", "))
	}
	return v, nil
}

// parseLang reads --lang: en or zh (zh-CN, zh_CN and the like are zh).
func parseLang(s string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch {
	case v == "en" || strings.HasPrefix(v, "en-") || strings.HasPrefix(v, "en_"):
		return "en", nil
	case v == "zh" || strings.HasPrefix(v, "zh-") || strings.HasPrefix(v, "zh_"):
		return "zh", nil
	}
	return "", fmt.Errorf("%q: want en or zh", s)
}

// parseSelector reads repeated --selector or --label items, each k=v or
// k=v,k2=v2; a key given twice is an error.
func parseSelector(items []string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range items {
		m, err := clikit.ParseLabelList(item)
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%q: want key=value", item)
		}
		for k, v := range m {
			if _, dup := out[k]; dup {
				return nil, fmt.Errorf("key %q given twice", k)
			}
			out[k] = v
		}
	}
	return out, nil
}

// Bounds of an assignment's interval, as the center checks them.
const (
	minInterval = 10 * time.Minute
	maxInterval = 30 * 24 * time.Hour
)

// parseInterval reads --interval: a duration of 10m to 30d, or empty (0)
// for the collector's default, daily.
func parseInterval(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := clikit.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < minInterval || d > maxInterval {
		return 0, fmt.Errorf("%q: want 10m to 30d", s)
	}
	if d%time.Second != 0 {
		return 0, fmt.Errorf("%q: want whole seconds", s)
	}
	return d, nil
}

// parseExpiry reads --expires: a duration from now ("30d", "12h") or an
// RFC 3339 time (or a date, midnight UTC), which must lie ahead.
func parseExpiry(now time.Time, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var t time.Time
	if d, err := clikit.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("%q: want a positive duration", s)
		}
		t = now.Add(d).UTC()
	} else {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
			if p, err := time.Parse(layout, s); err == nil {
				t = p.UTC()
				break
			}
		}
		if t.IsZero() {
			return time.Time{}, fmt.Errorf("%q: want a duration such as 30d or 12h, or an RFC 3339 time such as 2025-01-02T15:04:05Z", s)
		}
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%q: %s is not in the future", s, clikit.Stamp(t))
	}
	return t, nil
}

// parseWait reads --wait of run: 1s to 5m, the center's bounds on a
// command.
func parseWait(d time.Duration) error {
	if d < time.Second || d > 5*time.Minute {
		return fmt.Errorf("%s: want 1s to 5m", d)
	}
	return nil
}

// policyFormats are the formats of an uploaded policy.
var policyFormats = []string{"vigil", "wazuh-sca"}

// policyIDOf reads the policy id a policy file declares (policy.id, in
// Vigil's format and in Wazuh SCA files alike): the center stores the
// file under it.
func policyIDOf(data []byte) (string, error) {
	var doc struct {
		Policy struct {
			ID any `yaml:"id"`
		} `yaml:"policy"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("not a YAML policy: %w", err)
	}
	id, ok := doc.Policy.ID.(string)
	if !ok || strings.TrimSpace(id) == "" {
		return "", fmt.Errorf("no policy.id: a policy file starts with policy: {id: ..., ...}")
	}
	if id != strings.TrimSpace(id) || strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r == 0x7f || r == '/' }) || len(id) > 128 {
		return "", fmt.Errorf("policy.id %q: want at most 128 printable characters without blanks or '/'", clikit.Clean(id))
	}
	return id, nil
}
