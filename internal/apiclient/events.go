package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// Events lists events (ECS documents) matching f, newest first, or in
// ingest order when f.Ascending. An ascending page that is not empty always
// has a next cursor, so that a follower can poll with it for newer events.
func (c *Client) Events(ctx context.Context, f store.EventFilter) (Page[event.Event], error) {
	q := url.Values{}
	setIf(q, "agent_id", f.AgentID)
	setIf(q, "category", f.Category)
	setIf(q, "action", f.Action)
	setTime(q, "since", f.Since)
	setTime(q, "until", f.Until)
	setIf(q, "q", f.Q)
	if f.Ascending {
		q.Set("order", "asc")
	}
	var page Page[event.Event]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("events"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// Audit lists audit entries matching f, newest first. Action matches as a
// prefix ("agent." matches agent.delete).
func (c *Client) Audit(ctx context.Context, f store.AuditFilter) (Page[store.AuditEntry], error) {
	q := url.Values{}
	setIf(q, "actor", f.Actor)
	setIf(q, "action", f.Action)
	setTime(q, "since", f.Since)
	setTime(q, "until", f.Until)
	var page Page[store.AuditEntry]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("audit"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// setTime sets name to t in RFC 3339 (UTC) when t is set.
func setTime(q url.Values, name string, t time.Time) {
	if !t.IsZero() {
		q.Set(name, t.UTC().Format(time.RFC3339Nano))
	}
}
