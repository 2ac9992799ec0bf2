package apiclienttest

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// AddEvents stores events in the order given (their ingest order).
func (c *Center) AddEvents(events ...event.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range events {
		c.events = append(c.events, storedEvent{seq: int64(len(c.events) + 1), ev: e})
	}
}

// AddAudit appends audit entries (ids are assigned).
func (c *Center) AddAudit(entries ...store.AuditEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range entries {
		e.ID = int64(len(c.audit) + 1)
		c.audit = append(c.audit, e)
	}
}

func hasValue(e event.Event, path, want string) bool {
	v, ok := e.Get(path)
	if !ok {
		return false
	}
	if list, ok := v.([]any); ok {
		for _, item := range list {
			if s, _ := item.(string); s == want {
				return true
			}
		}
		return false
	}
	return e.String(path) == want
}

// listEvents filters like the store and pages by ingest sequence: an
// ascending page that is not empty always has a next cursor.
func (c *Center) listEvents(w http.ResponseWriter, r *http.Request, p principal) error {
	q := r.URL.Query()
	since, err := timeParam(r, "since")
	if err != nil {
		return err
	}
	until, err := timeParam(r, "until")
	if err != nil {
		return err
	}
	limit, err := limitOf(q.Get("limit"))
	if err != nil {
		return err
	}
	asc := q.Get("order") == "asc"
	if o := q.Get("order"); o != "" && o != "asc" && o != "desc" {
		return errorf(400, "order %q: want asc or desc", o)
	}
	var after int64 = -1
	if cur := q.Get("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		n, err2 := strconv.ParseInt(strings.TrimPrefix(string(b), "e:"), 10, 64)
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "e:") {
			return errorf(400, "cursor: not one this server returned")
		}
		after = n
	}
	text := strings.ToLower(q.Get("q"))
	var rows []storedEvent
	for i := range c.events {
		se := c.events[i]
		if !asc {
			se = c.events[len(c.events)-1-i]
		}
		if after >= 0 && (asc && se.seq <= after || !asc && se.seq >= after) {
			continue
		}
		e, ts := se.ev, se.ev.Timestamp()
		if v := q.Get("agent_id"); v != "" && e.AgentID() != v ||
			q.Get("category") != "" && !hasValue(e, event.FieldCategory, q.Get("category")) ||
			q.Get("action") != "" && e.String(event.FieldAction) != q.Get("action") ||
			!since.IsZero() && ts.Before(since) || !until.IsZero() && !ts.Before(until) ||
			text != "" && !strings.Contains(strings.ToLower(e.Text()), text) {
			continue
		}
		rows = append(rows, se)
		if len(rows) > limit {
			break
		}
	}
	out := list[event.Event]{Items: []event.Event{}}
	for i, se := range rows {
		if i == limit {
			break
		}
		out.Items = append(out.Items, se.ev)
	}
	if len(rows) > limit || asc && len(rows) > 0 {
		last := rows[min(limit, len(rows))-1].seq
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("e:" + strconv.FormatInt(last, 10)))
	}
	writeJSON(w, 200, out)
	return nil
}

// listAudit serves the audit log newest first, filtered like the store.
func (c *Center) listAudit(w http.ResponseWriter, r *http.Request, p principal) error {
	q := r.URL.Query()
	since, err := timeParam(r, "since")
	if err != nil {
		return err
	}
	until, err := timeParam(r, "until")
	if err != nil {
		return err
	}
	var out []store.AuditEntry
	for i := len(c.audit) - 1; i >= 0; i-- {
		e := c.audit[i]
		if a := q.Get("actor"); a != "" && e.Actor != a ||
			!strings.HasPrefix(e.Action, q.Get("action")) ||
			!since.IsZero() && e.At.Before(since) || !until.IsZero() && !e.At.Before(until) {
			continue
		}
		out = append(out, e)
	}
	page, err := paginate(r, out)
	if err == nil {
		writeJSON(w, 200, page)
	}
	return err
}

// now is the center's clock in UTC.
func (c *Center) utcNow() time.Time { return c.now().UTC() }
