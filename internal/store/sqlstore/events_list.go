package sqlstore

import (
	"context"
	"fmt"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// storedEvent is an event with its ingest sequence, the key of cursors.
type storedEvent struct {
	seq int64
	ev  event.Event
}

// List returns events in ingest order: newest first, or oldest first when
// f.Ascending is set. An ascending page that is not empty always carries a
// next cursor, so that a follower can poll for events stored after it; the
// page after the newest event is empty and has none.
func (st eventStore) List(ctx context.Context, f store.EventFilter) ([]event.Event, string, error) {
	c, ok, err := DecodeCursor(f.Cursor, kindEvents)
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	var w where
	if f.AgentID != "" {
		w.add("agent_id = ?", f.AgentID)
	}
	if f.Category != "" {
		w.add("category = ?", f.Category)
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if !f.Since.IsZero() {
		w.add("ts >= ?", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		w.add("ts < ?", f.Until.UnixMicro())
	}
	if f.Q != "" {
		w.add(`text_lc LIKE ? ESCAPE '\'`, containsPattern(f.Q))
	}
	order := " ORDER BY seq DESC"
	if f.Ascending {
		order = " ORDER BY seq"
	}
	if ok {
		if f.Ascending {
			w.add("seq > ?", c.N)
		} else {
			w.add("seq < ?", c.N)
		}
	}
	limit := limitOf(f.Limit)
	rows, err := queryList(ctx, st.s, `SELECT seq, doc FROM events`+w.String()+order+` LIMIT ?`,
		append(w.args, limit+1), func(r rowScanner) (storedEvent, error) {
			var e storedEvent
			err := r.Scan(&e.seq, exactJSONCol{&e.ev})
			return e, err
		})
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	key := func(e storedEvent) Cursor { return Cursor{Kind: kindEvents, N: e.seq} }
	rows, next := pageOf(rows, limit, key)
	if f.Ascending && next == "" && len(rows) > 0 {
		// A follower resumes after the newest event it has seen.
		next = key(rows[len(rows)-1]).Encode()
	}
	out := make([]event.Event, len(rows))
	for i, r := range rows {
		out[i] = r.ev
	}
	return out, next, nil
}
