package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/vigilsec/vigil/internal/store"
)

// agentView is an agent as the API shows it: last_state as the JSON
// document it is, and never-null labels and addresses.
type agentView struct {
	store.Agent
	LastState json.RawMessage `json:"last_state,omitempty"`
}

func viewAgent(a store.Agent, withState bool) agentView {
	v := agentView{Agent: a}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	if v.IPs == nil {
		v.IPs = []string{}
	}
	if withState && len(a.LastState) > 0 && json.Valid(a.LastState) {
		v.LastState = a.LastState
	}
	v.Agent.LastState = nil
	return v
}

var agentStatuses = map[store.AgentStatus]bool{
	store.StatusEnrolled: true, store.StatusOnline: true, store.StatusStopped: true, store.StatusUninstalled: true, store.StatusLost: true,
}

func (s *server) listAgents(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := store.AgentFilter{Status: store.AgentStatus(q.Get("status"))}
	if f.Status != "" && !agentStatuses[f.Status] {
		return errorf(http.StatusBadRequest, "status %q: want online, stopped, uninstalled or lost", f.Status)
	}
	var err error
	if f.Labels, err = labelParams(q, "label"); err != nil {
		return err
	}
	if f.Q, err = textParam(q, "q"); err != nil {
		return err
	}
	if f.Page, err = page(q); err != nil {
		return err
	}
	agents, next, err := s.cfg.Store.Agents().List(r.Context(), f)
	if err != nil {
		return storeError(err, "list agents")
	}
	views := make([]agentView, len(agents))
	for i, a := range agents {
		views[i] = viewAgent(a, false)
	}
	writeList(w, views, next)
	return nil
}

// agentByID loads the agent named by the {id} path value.
func (s *server) agentByID(r *http.Request) (store.Agent, error) {
	id := r.PathValue("id")
	a, err := s.cfg.Store.Agents().Get(r.Context(), id)
	if err != nil {
		return a, storeError(err, "agent "+id)
	}
	return a, nil
}

func (s *server) getAgent(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.agentByID(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewAgent(a, true))
	return nil
}

// deleteAgent revokes the agent's credentials first (it is disconnected and
// cannot come back), then forgets it and removes its policy key.
func (s *server) deleteAgent(w http.ResponseWriter, r *http.Request, c *call) error {
	c.target = r.PathValue("id")
	a, err := s.agentByID(r)
	if err != nil {
		return err
	}
	c.note("hostname", a.Hostname)
	if err := s.cfg.Revoker.RevokeAgent(r.Context(), a); err != nil {
		return fmt.Errorf("revoke agent %s: %w", a.ID, err)
	}
	if err := s.cfg.Store.Agents().Delete(r.Context(), a.ID); err != nil {
		return storeError(err, "agent "+a.ID)
	}
	if err := s.cfg.Store.Inventory().DeleteAgent(r.Context(), a.ID); err != nil {
		// The agent is gone; its inventory no longer shows in listings
		// by agent, but fleet searches would find it. Say so.
		s.log.Warn("remove inventory of deleted agent", "agent", a.ID, "err", err)
		c.note("inventory_cleanup_error", err.Error())
	}
	if err := s.cfg.Policies.Publish(r.Context(), a.ID); err != nil {
		// The agent is revoked and deleted; a leftover policy key is
		// unreadable to anyone but it. Say so rather than fail the call.
		s.log.Warn("remove policy of deleted agent", "agent", a.ID, "err", err)
		c.note("policy_cleanup_error", err.Error())
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) putAgentLabels(w http.ResponseWriter, r *http.Request, c *call) error {
	c.target = r.PathValue("id")
	var body struct {
		Labels map[string]string `json:"labels"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Labels == nil {
		return errorf(http.StatusBadRequest, "labels: required (an empty object removes every label)")
	}
	if err := checkLabels("labels", body.Labels); err != nil {
		return err
	}
	c.note("labels", body.Labels)
	if err := s.cfg.Store.Agents().SetLabels(r.Context(), c.target, body.Labels); err != nil {
		return storeError(err, "agent "+c.target)
	}
	if err := s.cfg.Policies.Publish(r.Context(), c.target); err != nil {
		return s.partial(err, "labels of agent %s saved, but publishing its policy failed; see the center's log", c.target)
	}
	a, err := s.agentByID(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewAgent(a, false))
	return nil
}

func (s *server) agentHistory(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	if _, err := s.agentByID(r); err != nil {
		return err
	}
	changes, err := s.cfg.Store.Agents().History(r.Context(), r.PathValue("id"), p.Limit)
	if err != nil {
		return storeError(err, "agent "+r.PathValue("id"))
	}
	writeList(w, changes, "")
	return nil
}

func (s *server) agentPolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.agentByID(r)
	if err != nil {
		return err
	}
	pol, err := s.cfg.Policies.Effective(r.Context(), a)
	if err != nil {
		return fmt.Errorf("effective policy of agent %s: %w", a.ID, err)
	}
	data, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(pol)
	if err != nil {
		return fmt.Errorf("encode policy of agent %s: %w", a.ID, err)
	}
	writeJSON(w, http.StatusOK, json.RawMessage(data))
	return nil
}
