package apiclienttest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// AddAgent stores an agent (LastState, when set, must be a JSON document).
func (c *Center) AddAgent(a store.Agent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.agents[a.ID] = a
}

// AddHistory records status changes of an agent (give them oldest first).
func (c *Center) AddHistory(changes ...store.StatusChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range changes {
		c.history[ch.AgentID] = append([]store.StatusChange{ch}, c.history[ch.AgentID]...)
	}
}

// Agent returns a stored agent.
func (c *Center) Agent(id string) (store.Agent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[id]
	return a, ok
}

// agentView is an agent as the API shows it.
type agentView struct {
	store.Agent
	LastState json.RawMessage `json:"last_state,omitempty"`
}

func view(a store.Agent, withState bool) agentView {
	v := agentView{Agent: a}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	if v.IPs == nil {
		v.IPs = []string{}
	}
	if withState && json.Valid(a.LastState) {
		v.LastState = a.LastState
	}
	v.Agent.LastState = nil
	return v
}

// sortedAgents returns the agents by hostname, then id.
func (c *Center) sortedAgents() []store.Agent {
	out := make([]store.Agent, 0, len(c.agents))
	for _, a := range c.agents {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Hostname != out[j].Hostname {
			return out[i].Hostname < out[j].Hostname
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (c *Center) listAgents(w http.ResponseWriter, r *http.Request, p principal) error {
	q := r.URL.Query()
	status := store.AgentStatus(q.Get("status"))
	switch status {
	case "", store.StatusOnline, store.StatusStopped, store.StatusUninstalled, store.StatusLost:
	default:
		return errorf(400, "status %q: want online, stopped, uninstalled or lost", status)
	}
	labels := map[string]string{}
	for _, kv := range q["label"] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return errorf(400, "label %q: want key=value", kv)
		}
		labels[k] = v
	}
	text := strings.ToLower(q.Get("q"))
	var views []agentView
	for _, a := range c.sortedAgents() {
		if status != "" && a.Status != status || !labelsMatch(a.Labels, labels) {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(a.Hostname+" "+a.ID+" "+strings.Join(a.IPs, " ")), text) {
			continue
		}
		views = append(views, view(a, false))
	}
	page, err := paginate(r, views)
	if err == nil {
		writeJSON(w, 200, page)
	}
	return err
}

func (c *Center) agentOf(r *http.Request) (store.Agent, error) {
	a, ok := c.agents[r.PathValue("id")]
	if !ok {
		return a, errorf(404, "agent %s not found", r.PathValue("id"))
	}
	return a, nil
}

func (c *Center) getAgent(w http.ResponseWriter, r *http.Request, p principal) error {
	a, err := c.agentOf(r)
	if err == nil {
		writeJSON(w, 200, view(a, true))
	}
	return err
}

func (c *Center) deleteAgent(w http.ResponseWriter, r *http.Request, p principal) error {
	a, err := c.agentOf(r)
	if err != nil {
		return err
	}
	delete(c.agents, a.ID)
	delete(c.history, a.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (c *Center) putLabels(w http.ResponseWriter, r *http.Request, p principal) error {
	a, err := c.agentOf(r)
	if err != nil {
		return err
	}
	var body struct {
		Labels map[string]string `json:"labels"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if body.Labels == nil {
		return errorf(400, "labels: required (an empty object removes every label)")
	}
	a.Labels = body.Labels
	c.agents[a.ID] = a
	writeJSON(w, 200, view(a, false))
	return nil
}

func (c *Center) agentHistory(w http.ResponseWriter, r *http.Request, p principal) error {
	a, err := c.agentOf(r)
	if err != nil {
		return err
	}
	limit, err := limitOf(r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	h := c.history[a.ID]
	writeJSON(w, 200, list[store.StatusChange]{Items: append([]store.StatusChange{}, h[:min(limit, len(h))]...)})
	return nil
}
