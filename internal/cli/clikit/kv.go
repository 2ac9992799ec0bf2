package clikit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds of labels, as the center checks them.
const (
	maxLabels      = 64
	maxLabelKeyLen = 63
	MaxLabelValLen = 255
	MaxArgValLen   = 4096
)

// ParseLabelList parses "k=v,k2=v2" (labels or a selector). Blanks around
// keys and values are ignored; an empty string is no labels. Keys are letters, digits
// and '.', '_', '/', '-'; a key given twice is an error.
func ParseLabelList(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, item := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want key=value", strings.TrimSpace(item))
		}
		if err := addPair(out, strings.TrimSpace(k), strings.TrimSpace(v), MaxLabelValLen); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ParsePairs parses repeated "k=v" arguments, each one pair whose value
// may hold ',' and '=' and is at most maxVal bytes (command arguments,
// single labels).
func ParsePairs(items []string, maxVal int) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range items {
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want key=value", item)
		}
		if err := addPair(out, strings.TrimSpace(k), v, maxVal); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// addPair checks one key and value and adds them.
func addPair(into map[string]string, k, v string, maxVal int) error {
	if err := CheckKey(k); err != nil {
		return err
	}
	if len(v) > maxVal || strings.ContainsFunc(v, unsafeRune) {
		return fmt.Errorf("value of %q: want at most %d printable bytes", k, maxVal)
	}
	if _, dup := into[k]; dup {
		return fmt.Errorf("key %q given twice", k)
	}
	if len(into) >= maxLabels {
		return fmt.Errorf("at most %d labels", maxLabels)
	}
	into[k] = v
	return nil
}

// CheckKey accepts 1 to 63 letters, digits, '.', '_', '/' or '-'.
func CheckKey(k string) error {
	if k == "" || len(k) > maxLabelKeyLen || strings.IndexFunc(k, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '/' || r == '-')
	}) >= 0 {
		return fmt.Errorf("key %q: want 1 to %d letters, digits, '.', '_', '/' or '-'", k, maxLabelKeyLen)
	}
	return nil
}

// ParseTime reads --since/--until: a duration before now ("90s", "1h",
// "7d") or an RFC 3339 time ("2025-01-02T15:04:05Z", or a date
// "2025-01-02", midnight UTC). Empty is the zero time.
func ParseTime(now time.Time, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("%q: want a positive duration", s)
		}
		return now.Add(-d).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want a duration such as 1h or 7d, or an RFC 3339 time such as 2025-01-02T15:04:05Z", s)
}

// ParseDuration is time.ParseDuration plus whole days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("%q: want a number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a duration such as 90s, 1h or 7d", s)
	}
	return d, nil
}
