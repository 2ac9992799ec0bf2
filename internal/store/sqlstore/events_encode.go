package sqlstore

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store/sqlstore/jsonenc"
)

// eventRow writes the column values of e into row (eventCols long). buf is
// scratch space for the document, returned for reuse.
func eventRow(e event.Event, row []any, buf []byte) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return buf, err
	}
	doc, err := jsonenc.Append(buf[:0], e)
	if err != nil {
		return buf, fmt.Errorf("encode event %q: %w", e.ID(), err)
	}
	buf = doc
	text := strings.ToLower(e.Text())
	if bytes.Contains(doc, []byte(`\u0000`)) || strings.Contains(text, "\x00") {
		// Neither PostgreSQL's text nor its jsonb can hold a NUL.
		doc = replaceNULEscapes(doc)
		text = strings.ReplaceAll(text, "\x00", " ")
	}
	ts, err := time.Parse(time.RFC3339Nano, str(e, event.FieldTimestamp))
	if err != nil {
		return buf, fmt.Errorf("event %q: %w", e.ID(), err) // Validate parsed it already
	}
	row[0], row[1], row[2] = str(e, event.FieldID), str(e, event.FieldAgentID), ts.UnixMicro()
	row[3], row[4] = str(e, event.FieldCategory), str(e, event.FieldAction)
	row[5], row[6] = text, string(doc)
	return buf, nil
}

// str is e.String(path) without its allocations when the field is a string
// where ECS puts it, at most two objects deep; any other layout goes
// through e.String. Like event.Get, a flat dotted key wins over nesting.
func str(e event.Event, path string) string {
	if v, ok := e[path]; ok {
		if s, ok := v.(string); ok {
			return s
		}
		return e.String(path)
	}
	head, rest, ok := strings.Cut(path, ".")
	if !ok || strings.Contains(rest, ".") {
		return e.String(path)
	}
	if sub, ok := e[head].(map[string]any); ok {
		if s, ok := sub[rest].(string); ok {
			return s
		}
	}
	return e.String(path)
}

// replaceNULEscapes turns every \u0000 escape of a JSON document into
// \ufffd; an escaped backslash followed by "u0000" is left alone.
func replaceNULEscapes(doc []byte) []byte {
	out := make([]byte, 0, len(doc))
	for i := 0; i < len(doc); i++ {
		if doc[i] != '\\' || i+1 >= len(doc) {
			out = append(out, doc[i])
			continue
		}
		if bytes.HasPrefix(doc[i:], []byte(`\u0000`)) {
			out = append(out, `\ufffd`...)
			i += 5
			continue
		}
		out = append(out, doc[i], doc[i+1]) // keep any other escape whole
		i++
	}
	return out
}

// insertSQL is the INSERT statement for n rows.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (event_id, agent_id, ts, category, action, text_lc, doc) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(" ON CONFLICT (event_id) DO NOTHING")
	return b.String()
}
