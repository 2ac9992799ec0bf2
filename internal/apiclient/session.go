package apiclient

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/center/api/httpjson"
	"github.com/vigilsec/vigil/internal/store"
)

// Identity is who the center takes the caller to be.
type Identity struct {
	Name string     `json:"name"`
	Role store.Role `json:"role"`
	Kind string     `json:"kind"` // "api" or "session"
}

// Session is a console session started by Login.
type Session struct {
	Token     string     `json:"token"`
	ExpiresAt time.Time  `json:"expires_at"`
	User      store.User `json:"user"`
}

// Me returns the caller's identity; it is the cheapest check of a token.
func (c *Client) Me(ctx context.Context) (Identity, error) {
	var id Identity
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("me")}, &id)
	return id, err
}

// Login starts a console session with a user name and password. Use
// WithToken(session.Token) to call the API as that user.
func (c *Client) Login(ctx context.Context, username, password string) (Session, error) {
	body := struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}{username, password}
	var s Session
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("login"), body: body}, &s)
	return s, err
}

// Logout ends the session the client's token belongs to.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, request{method: http.MethodPost, path: pathOf("logout")}, nil)
}

// Healthz checks that the center and its store answer. It needs no token.
// An unhealthy center gives an *APIError with status 503 and its reason.
func (c *Client) Healthz(ctx context.Context) error {
	r := request{method: http.MethodGet, path: "/healthz"}
	return c.roundTrip(ctx, r, func(resp *http.Response) error {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		var h struct {
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal(data, &h); err == nil && h.Reason != "" {
			return &APIError{Status: resp.StatusCode, Code: httpjson.Code(resp.StatusCode), Message: h.Reason}
		}
		return errorOf(resp, data)
	})
}
