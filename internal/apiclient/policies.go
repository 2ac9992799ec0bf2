package apiclient

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/vigilsec/vigil/internal/store"
)

// AgentPolicies lists agent policies by name.
func (c *Client) AgentPolicies(ctx context.Context, p store.Page) (Page[store.AgentPolicy], error) {
	var page Page[store.AgentPolicy]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("agent-policies"), query: pageQuery(nil, p)}, &page)
	return page, err
}

// AgentPolicy returns one agent policy.
func (c *Client) AgentPolicy(ctx context.Context, name string) (store.AgentPolicy, error) {
	var pol store.AgentPolicy
	if err := need("policy name", name); err != nil {
		return pol, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("agent-policies", name)}, &pol)
	return pol, err
}

// PutAgentPolicy creates or replaces the policy p.Name with p's selector,
// priority and spec, and returns it as stored (with its new revision).
func (c *Client) PutAgentPolicy(ctx context.Context, p store.AgentPolicy) (store.AgentPolicy, error) {
	var stored store.AgentPolicy
	if err := need("policy name", p.Name); err != nil {
		return stored, err
	}
	body := struct {
		Selector map[string]string `json:"selector"`
		Priority int               `json:"priority"`
		Spec     json.RawMessage   `json:"spec"`
	}{p.Selector, p.Priority, p.Spec}
	if body.Selector == nil {
		body.Selector = map[string]string{}
	}
	err := c.do(ctx, request{method: http.MethodPut, path: pathOf("agent-policies", p.Name), body: body}, &stored)
	return stored, err
}

// DeleteAgentPolicy deletes a policy; agents it applied to get the next
// matching one.
func (c *Client) DeleteAgentPolicy(ctx context.Context, name string) error {
	if err := need("policy name", name); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("agent-policies", name)}, nil)
}
