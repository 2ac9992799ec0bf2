package apiclient

import (
	"context"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// JoinTokenRequest is what a new join token allows.
type JoinTokenRequest struct {
	// TTL is how long it is valid (the center's default, 24 h, when zero).
	TTL time.Duration
	// Labels become the labels of the agents that enroll with it.
	Labels map[string]string
	// UsageLimit is the number of enrollments allowed; 0 means unlimited.
	UsageLimit  int
	Description string
}

// NewJoinToken is a created join token with its secret, which the center
// shows only this once.
type NewJoinToken struct {
	store.JoinToken
	Token string `json:"token"`
}

// JoinTokens lists join tokens (without their secrets).
func (c *Client) JoinTokens(ctx context.Context, p store.Page) (Page[store.JoinToken], error) {
	var page Page[store.JoinToken]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("tokens"), query: pageQuery(nil, p)}, &page)
	return page, err
}

// CreateJoinToken creates a join token for enrolling agents.
func (c *Client) CreateJoinToken(ctx context.Context, req JoinTokenRequest) (NewJoinToken, error) {
	body := struct {
		TTL         string            `json:"ttl,omitempty"`
		Labels      map[string]string `json:"labels,omitempty"`
		UsageLimit  int               `json:"usage_limit,omitempty"`
		Description string            `json:"description,omitempty"`
	}{Labels: req.Labels, UsageLimit: req.UsageLimit, Description: req.Description}
	if req.TTL > 0 {
		body.TTL = req.TTL.String()
	}
	var t NewJoinToken
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("tokens"), body: body}, &t)
	return t, err
}

// DeleteJoinToken revokes a join token; enrolled agents are not affected.
func (c *Client) DeleteJoinToken(ctx context.Context, id string) error {
	if err := need("join token id", id); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("tokens", id)}, nil)
}

// APITokenRequest describes a new API token.
type APITokenRequest struct {
	Name string
	Role store.Role
	// TTL is its lifetime; zero means it does not expire.
	TTL time.Duration
}

// NewAPIToken is a created API token with its secret, which the center
// shows only this once.
type NewAPIToken struct {
	store.APIToken
	Token string `json:"token"`
}

// APITokens lists API tokens and console sessions (without secrets).
func (c *Client) APITokens(ctx context.Context, p store.Page) (Page[store.APIToken], error) {
	var page Page[store.APIToken]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("api-tokens"), query: pageQuery(nil, p)}, &page)
	return page, err
}

// CreateAPIToken creates an API token.
func (c *Client) CreateAPIToken(ctx context.Context, req APITokenRequest) (NewAPIToken, error) {
	body := struct {
		Name string     `json:"name"`
		Role store.Role `json:"role"`
		TTL  string     `json:"ttl,omitempty"`
	}{Name: req.Name, Role: req.Role}
	if req.TTL > 0 {
		body.TTL = req.TTL.String()
	}
	var t NewAPIToken
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("api-tokens"), body: body}, &t)
	return t, err
}

// DeleteAPIToken revokes an API token or ends a session.
func (c *Client) DeleteAPIToken(ctx context.Context, id string) error {
	if err := need("API token id", id); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("api-tokens", id)}, nil)
}
