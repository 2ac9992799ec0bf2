package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/store"
)

// defaultCommandTimeout is the center's wait for command replies when the
// request names none.
const defaultCommandTimeout = 10 * time.Second

// Agent is an agent as the API shows it: last_state is the JSON document
// the agent reported (only in Agent, not in listings).
type Agent struct {
	store.Agent
	LastState json.RawMessage `json:"last_state,omitempty"`
}

// Agents lists agents matching f (status, labels, free text q), ordered by
// hostname.
func (c *Client) Agents(ctx context.Context, f store.AgentFilter) (Page[Agent], error) {
	q := url.Values{}
	setIf(q, "status", string(f.Status))
	addLabels(q, f.Labels)
	setIf(q, "q", f.Q)
	var page Page[Agent]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("agents"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// Agent returns one agent with its last reported state.
func (c *Client) Agent(ctx context.Context, id string) (Agent, error) {
	var a Agent
	if err := need("agent id", id); err != nil {
		return a, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("agents", id)}, &a)
	return a, err
}

// DeleteAgent revokes the agent's credentials (it is disconnected at once)
// and deletes it.
func (c *Client) DeleteAgent(ctx context.Context, id string) error {
	if err := need("agent id", id); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("agents", id)}, nil)
}

// SetAgentLabels replaces the agent's labels (an empty map removes all)
// and returns the agent.
func (c *Client) SetAgentLabels(ctx context.Context, id string, labels map[string]string) (Agent, error) {
	var a Agent
	if err := need("agent id", id); err != nil {
		return a, err
	}
	if labels == nil {
		labels = map[string]string{}
	}
	body := struct {
		Labels map[string]string `json:"labels"`
	}{labels}
	err := c.do(ctx, request{method: http.MethodPut, path: pathOf("agents", id, "labels"), body: body}, &a)
	return a, err
}

// AgentHistory returns the agent's status changes, newest first.
func (c *Client) AgentHistory(ctx context.Context, id string, p store.Page) (Page[store.StatusChange], error) {
	var page Page[store.StatusChange]
	if err := need("agent id", id); err != nil {
		return page, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("agents", id, "history"), query: pageQuery(nil, p)}, &page)
	return page, err
}

// EffectivePolicy returns the policy the agent gets now.
func (c *Client) EffectivePolicy(ctx context.Context, id string) (*busv1.AgentPolicy, error) {
	if err := need("agent id", id); err != nil {
		return nil, err
	}
	var raw json.RawMessage
	r := request{method: http.MethodGet, path: pathOf("agents", id, "policy")}
	if err := c.do(ctx, r, &raw); err != nil {
		return nil, err
	}
	pol := &busv1.AgentPolicy{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, pol); err != nil {
		return nil, fmt.Errorf("decode policy of agent %s: %w", id, err)
	}
	return pol, nil
}

// Exec sends a command to the agents named by req.AgentIDs and/or matched
// by req.Selector and waits for their replies (req.Timeout, or the center's
// default of 10 s). Failed agents are results with OK false, not an error.
func (c *Client) Exec(ctx context.Context, req command.Request) (command.Response, error) {
	var resp command.Response
	if err := need("command", req.Name); err != nil {
		return resp, err
	}
	body := struct {
		Command  string            `json:"command"`
		Args     map[string]string `json:"args,omitempty"`
		AgentIDs []string          `json:"agent_ids,omitempty"`
		Selector map[string]string `json:"selector,omitempty"`
		Timeout  string            `json:"timeout,omitempty"`
	}{Command: req.Name, Args: req.Args, AgentIDs: req.AgentIDs, Selector: req.Selector}
	wait := defaultCommandTimeout
	if req.Timeout > 0 {
		body.Timeout = req.Timeout.String()
		wait = req.Timeout
	}
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("agents", "commands"), body: body, wait: wait}, &resp)
	return resp, err
}
