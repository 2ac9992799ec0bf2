package sqlstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// micros is a time as stored: microseconds since the epoch, NULL when zero.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeCol scans a micros column into a UTC time (zero for NULL).
type timeCol struct{ t *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("time column: unexpected %T", src)
	}
	return nil
}

// jsonText encodes v for a JSON text column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode json: %w", err)
	}
	return string(b), nil
}

// jsonCol scans a JSON text column into v; NULL leaves v alone.
type jsonCol struct{ v any }

// Scan implements sql.Scanner.
func (c jsonCol) Scan(src any) error { return scanJSON(src, c.v, false) }

// labelsOrEmpty returns m, or an empty map when m is nil.
func labelsOrEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// listOrEmpty returns l, or an empty slice when l is nil.
func listOrEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// likeEscaper escapes LIKE wildcards; every LIKE here says ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// containsPattern is a LIKE pattern matching s anywhere, case-folded.
func containsPattern(s string) string {
	return "%" + likeEscaper.Replace(strings.ToLower(s)) + "%"
}

// where collects the conditions and arguments of a listing query.
type where struct {
	conds []string
	args  []any
}

// add appends a condition with its arguments.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// String renders " WHERE a AND b", or "" without conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// exactJSONCol scans a JSON document keeping numbers as json.Number, so that
// integers above 2^53 in events (inodes, byte counts) come back as stored.
type exactJSONCol struct{ v any }

// Scan implements sql.Scanner.
func (c exactJSONCol) Scan(src any) error { return scanJSON(src, c.v, true) }

// scanJSON decodes a JSON column value into v; NULL leaves v alone.
func scanJSON(src, v any, exactNumbers bool) error {
	var b []byte
	switch t := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(t)
	case []byte:
		b = t
	default:
		return fmt.Errorf("json column: unexpected %T", src)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if exactNumbers {
		dec.UseNumber()
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("json column: %w", err)
	}
	return nil
}
