package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/center/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// Incidents lists incidents matching f, most recently seen first.
func (c *Client) Incidents(ctx context.Context, f store.IncidentFilter) (Page[store.Incident], error) {
	q := url.Values{}
	setIf(q, "state", string(f.State))
	setIf(q, "severity", string(f.Severity))
	setIf(q, "agent_id", f.AgentID)
	var page Page[store.Incident]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("incidents"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// Incident returns one incident with its comments.
func (c *Client) Incident(ctx context.Context, id string) (store.Incident, error) {
	var inc store.Incident
	if err := need("incident id", id); err != nil {
		return inc, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("incidents", id)}, &inc)
	return inc, err
}

// SetIncidentState moves an incident (open, investigating, resolved,
// false_positive), assigns it, or both, with an optional comment, and
// returns it. An empty s.State keeps the state and changes the assignee.
func (c *Client) SetIncidentState(ctx context.Context, id string, s apitypes.IncidentState) (store.Incident, error) {
	var inc store.Incident
	if err := need("incident id", id); err != nil {
		return inc, err
	}
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("incidents", id, "state"), body: s}, &inc)
	return inc, err
}

// IncidentAlerts lists the alerts of an incident, oldest first.
func (c *Client) IncidentAlerts(ctx context.Context, id string, p store.Page) (Page[store.Alert], error) {
	var page Page[store.Alert]
	if err := need("incident id", id); err != nil {
		return page, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("incidents", id, "alerts"), query: pageQuery(nil, p)}, &page)
	return page, err
}

// IncidentTimeline returns what happened around an incident: events from
// before its first alert to after its last (zero: the center's default of
// 30m; at most 24h each).
func (c *Client) IncidentTimeline(ctx context.Context, id string, before, after time.Duration) (*incident.Timeline, error) {
	if err := need("incident id", id); err != nil {
		return nil, err
	}
	q := url.Values{}
	if before > 0 {
		q.Set("before", before.String())
	}
	if after > 0 {
		q.Set("after", after.String())
	}
	var tl incident.Timeline
	if err := c.do(ctx, request{method: http.MethodGet, path: pathOf("incidents", id, "timeline"), query: q}, &tl); err != nil {
		return nil, err
	}
	return &tl, nil
}
