package apiclienttest

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/store"
)

// execCommand answers for every chosen agent: online ones reply, others
// are reported offline. Unknown agent ids are a 404.
func (c *Center) execCommand(w http.ResponseWriter, r *http.Request, p principal) error {
	var body struct {
		Command  string            `json:"command"`
		Args     map[string]string `json:"args"`
		AgentIDs []string          `json:"agent_ids"`
		Selector map[string]string `json:"selector"`
		Timeout  string            `json:"timeout"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	need := map[string]store.Role{command.Ping: store.RoleAnalyst, command.Status: store.RoleAnalyst, command.Collect: store.RoleResponder}[body.Command]
	if need == "" {
		return errorf(400, "unknown command %q", body.Command)
	}
	if err := c.require(p, need); err != nil {
		return err
	}
	if len(body.AgentIDs) == 0 && len(body.Selector) == 0 {
		return errorf(400, "agent_ids or selector: at least one is required")
	}
	if body.Timeout != "" {
		if d, err := time.ParseDuration(body.Timeout); err != nil || d < time.Second || d > 5*time.Minute {
			return errorf(400, "timeout %q: want a duration from 1s to 5m0s (e.g. 24h)", body.Timeout)
		}
	}
	chosen := map[string]store.Agent{}
	for _, id := range body.AgentIDs {
		a, ok := c.agents[id]
		if !ok {
			return errorf(404, "agent %s not found", id)
		}
		chosen[id] = a
	}
	if len(body.Selector) > 0 {
		for _, a := range c.agents {
			if labelsMatch(a.Labels, body.Selector) {
				chosen[a.ID] = a
			}
		}
	}
	resp := command.Response{ID: c.id("cmd-"), Command: body.Command, Results: []command.Result{}}
	for _, a := range c.sortedAgents() {
		if _, ok := chosen[a.ID]; !ok {
			continue
		}
		res := command.Result{AgentID: a.ID, Hostname: a.Hostname, DurationMS: 12}
		if a.Status == store.StatusOnline {
			res.OK = true
			res.Output = json.RawMessage(`{"reply":"` + body.Command + `","hostname":"` + a.Hostname + `"}`)
		} else {
			res.Error = "agent offline"
			res.DurationMS = 0
		}
		resp.Results = append(resp.Results, res)
	}
	writeJSON(w, 200, resp)
	return nil
}
