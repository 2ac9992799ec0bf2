package api

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/store"
)

// Bounds of free-form input.
const (
	maxQueryLen    = 256
	maxLabels      = 64
	maxLabelKeyLen = 63
	maxLabelValLen = 255
	maxTextLen     = 4096
	maxNameLen     = 64
)

// page reads limit and cursor.
func page(q url.Values) (store.Page, error) {
	p := store.Page{Limit: store.DefaultLimit, Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			return p, errorf(http.StatusBadRequest, "limit %q: want 1 to %d", v, store.MaxLimit)
		}
		p.Limit = n
	}
	if len(p.Cursor) > 1024 {
		return p, errorf(http.StatusBadRequest, "cursor too long")
	}
	return p, nil
}

// timeParam reads an optional RFC 3339 time.
func timeParam(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, errorf(http.StatusBadRequest, "%s %q: want an RFC 3339 time such as 2025-01-02T15:04:05Z", name, v)
	}
	return t.UTC(), nil
}

// timeRange reads since and until and checks their order.
func timeRange(q url.Values) (since, until time.Time, err error) {
	if since, err = timeParam(q, "since"); err != nil {
		return
	}
	if until, err = timeParam(q, "until"); err != nil {
		return
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		err = errorf(http.StatusBadRequest, "since must be before until")
	}
	return
}

// textParam reads an optional free-text parameter of bounded length.
func textParam(q url.Values, name string) (string, error) {
	v := q.Get(name)
	if len(v) > maxQueryLen || !utf8.ValidString(v) {
		return "", errorf(http.StatusBadRequest, "%s: at most %d bytes of UTF-8", name, maxQueryLen)
	}
	return v, nil
}

// labelParams reads repeated k=v parameters.
func labelParams(q url.Values, name string) (map[string]string, error) {
	vals := q[name]
	if len(vals) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, errorf(http.StatusBadRequest, "%s %q: want key=value", name, kv)
		}
		out[k] = v
	}
	if err := checkLabels(name, out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkLabels validates labels (or a selector): keys of letters, digits
// and ._/- up to 63 bytes, printable values up to 255 bytes.
func checkLabels(what string, labels map[string]string) error {
	if len(labels) > maxLabels {
		return errorf(http.StatusBadRequest, "%s: at most %d labels", what, maxLabels)
	}
	for k, v := range labels {
		if k == "" || len(k) > maxLabelKeyLen || strings.IndexFunc(k, notKeyRune) >= 0 {
			return errorf(http.StatusBadRequest, "%s: key %q: want 1 to %d letters, digits, '.', '_', '/' or '-'", what, k, maxLabelKeyLen)
		}
		if len(v) > maxLabelValLen || !printable(v) {
			return errorf(http.StatusBadRequest, "%s: value of %q: want at most %d printable bytes", what, k, maxLabelValLen)
		}
	}
	return nil
}

func notKeyRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '/' || r == '-')
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

// checkName validates the name of a user, token or policy: 1 to 64 letters,
// digits and ._@- starting with a letter or digit.
func checkName(what, name string) error {
	ok := name != "" && len(name) <= maxNameLen && strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '@' || r == '-')
	}) < 0 && name[0] != '.' && name[0] != '-' && name[0] != '_' && name[0] != '@'
	if !ok {
		return errorf(http.StatusBadRequest, "%s %q: want 1 to %d letters, digits, '.', '_', '@' or '-', starting with a letter or digit", what, name, maxNameLen)
	}
	return nil
}

// durationParam parses a Go duration between min and max; empty gives def.
func durationParam(what, v string, def, min, max time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min || d > max {
		return 0, errorf(http.StatusBadRequest, "%s %q: want a duration from %s to %s (e.g. 24h)", what, v, min, max)
	}
	return d, nil
}

// formatLabels renders labels as sorted k=v pairs joined by commas.
func formatLabels(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + labels[k]
	}
	return strings.Join(keys, ",")
}

// printableText is printable but for line breaks and tabs (comments).
func printableText(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	}) < 0
}
