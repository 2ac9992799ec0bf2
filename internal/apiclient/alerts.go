package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Alerts lists alerts matching f, newest first.
func (c *Client) Alerts(ctx context.Context, f store.AlertFilter) (Page[store.Alert], error) {
	q := url.Values{}
	setIf(q, "state", string(f.State))
	setIf(q, "severity", string(f.Severity))
	setIf(q, "agent_id", f.AgentID)
	setIf(q, "rule_id", f.RuleID)
	setIf(q, "incident_id", f.IncidentID)
	setIf(q, "technique", f.Technique)
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	var page Page[store.Alert]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("alerts"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// Alert returns one alert with its evidence and comments.
func (c *Client) Alert(ctx context.Context, id string) (store.Alert, error) {
	var a store.Alert
	if err := need("alert id", id); err != nil {
		return a, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("alerts", id)}, &a)
	return a, err
}

// SetAlertState moves an alert to state (acknowledged, resolved,
// false_positive, or back to new) with an optional comment, and returns it.
func (c *Client) SetAlertState(ctx context.Context, id string, state store.AlertState, comment string) (store.Alert, error) {
	var a store.Alert
	if err := need("alert id", id); err != nil {
		return a, err
	}
	body := struct {
		State   store.AlertState `json:"state"`
		Comment string           `json:"comment,omitempty"`
	}{state, comment}
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("alerts", id, "state"), body: body}, &a)
	return a, err
}
