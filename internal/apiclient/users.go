package apiclient

import (
	"context"
	"net/http"

	"github.com/vigilsec/vigil/internal/store"
)

// NewUser describes a user to create.
type NewUser struct {
	Name     string     `json:"name"`
	Password string     `json:"password"`
	Role     store.Role `json:"role"`
}

// UserUpdate changes a user; nil fields stay as they are. A new password
// or disabling ends the user's sessions.
type UserUpdate struct {
	Role     *store.Role `json:"role,omitempty"`
	Password *string     `json:"password,omitempty"`
	Disabled *bool       `json:"disabled,omitempty"`
}

// Users lists users.
func (c *Client) Users(ctx context.Context, p store.Page) (Page[store.User], error) {
	var page Page[store.User]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("users"), query: pageQuery(nil, p)}, &page)
	return page, err
}

// User returns one user by id.
func (c *Client) User(ctx context.Context, id string) (store.User, error) {
	var u store.User
	if err := need("user id", id); err != nil {
		return u, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("users", id)}, &u)
	return u, err
}

// CreateUser creates a user.
func (c *Client) CreateUser(ctx context.Context, nu NewUser) (store.User, error) {
	var u store.User
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("users"), body: nu}, &u)
	return u, err
}

// UpdateUser changes a user and returns it.
func (c *Client) UpdateUser(ctx context.Context, id string, up UserUpdate) (store.User, error) {
	var u store.User
	if err := need("user id", id); err != nil {
		return u, err
	}
	err := c.do(ctx, request{method: http.MethodPatch, path: pathOf("users", id), body: up}, &u)
	return u, err
}

// DeleteUser deletes a user and ends its sessions.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	if err := need("user id", id); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("users", id)}, nil)
}
