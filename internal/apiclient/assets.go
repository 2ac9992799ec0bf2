package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/vigilsec/vigil/internal/store"
)

// AssetQuery selects inventory items: Q is the inventory search (see GET
// /api/v1/assets in api/openapi.yaml: "name:redis version<6", "port:3000").
type AssetQuery struct {
	AgentID, Kind, Collector, Name, Q string
	store.Page
}

// Asset is an inventory item with its agent's hostname.
type Asset struct {
	store.AssetRecord
	Hostname string `json:"hostname,omitempty"`
}

// AssetChange is a history entry with its agent's hostname.
type AssetChange struct {
	store.AssetChange
	Hostname string `json:"hostname,omitempty"`
}

// AssetSummary is the number of items per kind, and an agent's collector
// sets when asked for one agent.
type AssetSummary struct {
	Kinds []struct {
		Kind   string `json:"kind"`
		Items  int64  `json:"items"`
		Agents int64  `json:"agents"`
	} `json:"kinds"`
	Sets []store.InventorySet `json:"sets,omitempty"`
}

// Assets lists inventory items, by agent, kind and key.
func (c *Client) Assets(ctx context.Context, f AssetQuery) (Page[Asset], error) {
	q := url.Values{}
	setIf(q, "agent_id", f.AgentID)
	setIf(q, "kind", f.Kind)
	setIf(q, "collector", f.Collector)
	setIf(q, "name", f.Name)
	setIf(q, "q", f.Q)
	var page Page[Asset]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("assets"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// AssetChanges lists the inventory's history, newest first.
func (c *Client) AssetChanges(ctx context.Context, f store.AssetChangeFilter) (Page[AssetChange], error) {
	q := url.Values{}
	setIf(q, "agent_id", f.AgentID)
	setIf(q, "kind", f.Kind)
	setIf(q, "action", f.Action)
	setIf(q, "q", f.Q)
	setTime(q, "since", f.Since)
	setTime(q, "until", f.Until)
	var page Page[AssetChange]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("assets", "changes"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// AssetSummary counts items per kind, for the fleet or one agent.
func (c *Client) AssetSummary(ctx context.Context, agentID string) (AssetSummary, error) {
	q := url.Values{}
	setIf(q, "agent_id", agentID)
	var out AssetSummary
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("assets", "summary"), query: q}, &out)
	return out, err
}
