package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/store"
)

// ExceptionFilter selects exceptions; empty fields match every one.
type ExceptionFilter struct {
	// RuleID and AgentID select the exceptions of one rule or agent (not
	// those of every rule or agent).
	RuleID  string
	AgentID string
	// Active leaves out the expired exceptions.
	Active bool
	store.Page
}

// Exceptions lists exceptions matching f, newest first.
func (c *Client) Exceptions(ctx context.Context, f ExceptionFilter) (Page[store.Exception], error) {
	q := url.Values{}
	setIf(q, "rule_id", f.RuleID)
	setIf(q, "agent_id", f.AgentID)
	if f.Active {
		q.Set("active", "true")
	}
	var page Page[store.Exception]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("exceptions"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// Exception returns one exception with its hits.
func (c *Client) Exception(ctx context.Context, id string) (store.Exception, error) {
	var e store.Exception
	if err := need("exception id", id); err != nil {
		return e, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("exceptions", id)}, &e)
	return e, err
}

// CreateException creates an exception; detection applies it at once.
func (c *Client) CreateException(ctx context.Context, e apitypes.Exception) (store.Exception, error) {
	var created store.Exception
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("exceptions"), body: e}, &created)
	return created, err
}

// UpdateException replaces exception id's rule, agent, match, reason and
// expiry, and returns it.
func (c *Client) UpdateException(ctx context.Context, id string, e apitypes.Exception) (store.Exception, error) {
	var updated store.Exception
	if err := need("exception id", id); err != nil {
		return updated, err
	}
	err := c.do(ctx, request{method: http.MethodPut, path: pathOf("exceptions", id), body: e}, &updated)
	return updated, err
}

// DeleteException deletes an exception.
func (c *Client) DeleteException(ctx context.Context, id string) error {
	if err := need("exception id", id); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("exceptions", id)}, nil)
}
