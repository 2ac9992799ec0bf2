package conf

import (
	"strings"
	"unicode"
)

// KeyValue is a file of KEY VALUE or KEY=VALUE lines; the last value
// of a key wins.
type KeyValue struct {
	Settings map[string]Entry
}

// ParseKeyValue reads data; sep is " " (a blank separates key and
// value, the default) or "=". Lines whose first non-blank character
// is # are comments; with "=", quotes around the value are removed.
func ParseKeyValue(file string, data []byte, sep string) *KeyValue {
	kv := &KeyValue{Settings: map[string]Entry{}}
	lines(data, func(n int, line string) {
		s := strings.TrimSpace(line)
		if isComment(s, "#") {
			return
		}
		var key, val string
		if sep == "=" {
			k, v, ok := strings.Cut(s, "=")
			if !ok {
				return
			}
			key, val = strings.TrimSpace(k), unquote(strings.TrimSpace(v))
		} else {
			i := strings.IndexFunc(s, unicode.IsSpace)
			if i < 0 {
				key = s
			} else {
				key, val = s[:i], strings.TrimSpace(s[i:])
			}
		}
		if key == "" {
			return
		}
		kv.Settings[key] = Entry{Key: key, Value: val, File: file, Line: n}
	})
	return kv
}

// Get returns the setting of key.
func (kv *KeyValue) Get(key string) (Entry, bool) {
	e, ok := kv.Settings[key]
	return e, ok
}
