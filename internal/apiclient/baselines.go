package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/vigilsec/vigil/internal/center/baseline"
	"github.com/vigilsec/vigil/internal/store"
)

// The login baseline routes (/api/v1/baselines/logins) answer the
// profiles as Raw values of LoginProfile: decoded, and as the center
// sent them.

// LoginProfile is what the center learned of one user's logins on one
// host, with the host's name ("" when the agent is gone).
type LoginProfile struct {
	baseline.ProfileView
	Hostname string `json:"hostname"`
}

// LoginProfiles lists the login profiles matching f, by agent id, then
// user. A center with login baselines off answers 503.
func (c *Client) LoginProfiles(ctx context.Context, f store.LoginProfileFilter) (Page[Raw[LoginProfile]], error) {
	q := url.Values{}
	setIf(q, "agent_id", f.AgentID)
	setIf(q, "user", f.User)
	var page Page[Raw[LoginProfile]]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("baselines", "logins"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// ResetLoginProfiles forgets the login profiles of the agent, of its
// user only when user is not "", and returns how many were removed;
// learning starts again with the next login.
func (c *Client) ResetLoginProfiles(ctx context.Context, agentID, user string) (int, error) {
	if err := need("agent id", agentID); err != nil {
		return 0, err
	}
	q := url.Values{"agent_id": {agentID}}
	setIf(q, "user", user)
	var res struct {
		Removed int `json:"removed"`
	}
	err := c.do(ctx, request{method: http.MethodDelete, path: pathOf("baselines", "logins"), query: q}, &res)
	return res.Removed, err
}
