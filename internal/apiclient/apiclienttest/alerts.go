package apiclienttest

import (
	"net/http"

	"github.com/vigilsec/vigil/internal/store"
)

// AddAlert stores an alert; alerts are listed newest added first.
func (c *Center) AddAlert(a store.Alert) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.alerts = append([]store.Alert{a}, c.alerts...)
}

// Alert returns a stored alert.
func (c *Center) Alert(id string) (store.Alert, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.alerts {
		if a.ID == id {
			return a, true
		}
	}
	return store.Alert{}, false
}

var moves = map[store.AlertState][]store.AlertState{
	store.AlertNew:           {store.AlertAcknowledged, store.AlertResolved, store.AlertFalsePositive},
	store.AlertAcknowledged:  {store.AlertResolved, store.AlertFalsePositive, store.AlertNew},
	store.AlertResolved:      {store.AlertNew},
	store.AlertFalsePositive: {store.AlertNew},
}

func (c *Center) listAlerts(w http.ResponseWriter, r *http.Request, p principal) error {
	q := r.URL.Query()
	if s := store.AlertState(q.Get("state")); s != "" && moves[s] == nil {
		return errorf(400, "state %q: want new, acknowledged, resolved or false_positive", s)
	}
	var out []store.Alert
	for _, a := range c.alerts {
		if v := q.Get("state"); v != "" && string(a.State) != v ||
			q.Get("severity") != "" && string(a.Severity) != q.Get("severity") ||
			q.Get("agent_id") != "" && a.AgentID != q.Get("agent_id") ||
			q.Get("rule_id") != "" && a.RuleID != q.Get("rule_id") {
			continue
		}
		out = append(out, a)
	}
	page, err := paginate(r, out)
	if err == nil {
		writeJSON(w, 200, page)
	}
	return err
}

func (c *Center) alertIndex(id string) (int, error) {
	for i, a := range c.alerts {
		if a.ID == id {
			return i, nil
		}
	}
	return 0, errorf(404, "alert %s not found", id)
}

func (c *Center) getAlert(w http.ResponseWriter, r *http.Request, p principal) error {
	i, err := c.alertIndex(r.PathValue("id"))
	if err == nil {
		writeJSON(w, 200, c.alerts[i])
	}
	return err
}

func (c *Center) alertState(w http.ResponseWriter, r *http.Request, p principal) error {
	i, err := c.alertIndex(r.PathValue("id"))
	if err != nil {
		return err
	}
	var body struct {
		State   store.AlertState `json:"state"`
		Comment string           `json:"comment"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if moves[body.State] == nil {
		return errorf(400, "state %q: want new, acknowledged, resolved or false_positive", body.State)
	}
	a := c.alerts[i]
	allowed := false
	for _, s := range moves[a.State] {
		allowed = allowed || s == body.State
	}
	if !allowed {
		return errorf(409, "alert %s is %s and cannot become %s", a.ID, a.State, body.State)
	}
	a.State, a.UpdatedAt = body.State, c.utcNow()
	a.Comments = append(a.Comments, store.AlertComment{At: c.utcNow(), Author: "token:" + p.name, State: body.State, Text: body.Comment})
	c.alerts[i] = a
	writeJSON(w, 200, a)
	return nil
}
