package api

import (
	"net/http"

	"github.com/vigilsec/vigil/internal/attack"

	"github.com/vigilsec/vigil/internal/store"
)

// alertMoves lists the triage transitions allowed from each state.
var alertMoves = map[store.AlertState][]store.AlertState{
	store.AlertNew:           {store.AlertAcknowledged, store.AlertResolved, store.AlertFalsePositive},
	store.AlertAcknowledged:  {store.AlertResolved, store.AlertFalsePositive, store.AlertNew},
	store.AlertResolved:      {store.AlertNew},
	store.AlertFalsePositive: {store.AlertNew},
}

var severities = map[store.Severity]bool{
	store.SeverityLow: true, store.SeverityMedium: true, store.SeverityHigh: true, store.SeverityCritical: true,
}

// canMove reports whether an alert may go from one state to another.
func canMove(from, to store.AlertState) bool {
	for _, s := range alertMoves[from] {
		if s == to {
			return true
		}
	}
	return false
}

func (s *server) listAlerts(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := store.AlertFilter{
		State: store.AlertState(q.Get("state")), Severity: store.Severity(q.Get("severity")),
		AgentID: q.Get("agent_id"), RuleID: q.Get("rule_id"), IncidentID: q.Get("incident_id"),
	}
	if _, ok := alertMoves[f.State]; f.State != "" && !ok {
		return errorf(http.StatusBadRequest, "state %q: want new, acknowledged, resolved or false_positive", f.State)
	}
	if f.Severity != "" && !severities[f.Severity] {
		return errorf(http.StatusBadRequest, "severity %q: want low, medium, high or critical", f.Severity)
	}
	if len(f.AgentID) > maxQueryLen || len(f.RuleID) > maxQueryLen || len(f.IncidentID) > maxQueryLen {
		return errorf(http.StatusBadRequest, "agent_id, rule_id and incident_id: at most %d bytes", maxQueryLen)
	}
	if t := q.Get("technique"); t != "" {
		if len(t) > 16 {
			return errorf(http.StatusBadRequest, "technique: at most 16 bytes")
		}
		id, ok := attack.NormalizeID(t)
		if !ok {
			return errorf(http.StatusBadRequest, "technique %q: want an ATT&CK technique id such as T1059 or T1059.004", t)
		}
		f.Technique = id
	}
	var err error
	if f.Since, err = timeParam(q, "since"); err != nil {
		return err
	}
	if f.Page, err = page(q); err != nil {
		return err
	}
	alerts, next, err := s.cfg.Store.Alerts().List(r.Context(), f)
	if err != nil {
		return storeError(err, "list alerts")
	}
	writeList(w, alerts, next)
	return nil
}

func (s *server) getAlert(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	a, err := s.cfg.Store.Alerts().Get(r.Context(), id)
	if err != nil {
		return storeError(err, "alert "+id)
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// stateBody is the body of POST /alerts/{id}/state.
type stateBody struct {
	State   store.AlertState `json:"state"`
	Comment string           `json:"comment"`
}

func (s *server) setAlertState(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	c.target = id
	var body stateBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if _, ok := alertMoves[body.State]; !ok {
		return errorf(http.StatusBadRequest, "state %q: want new, acknowledged, resolved or false_positive", body.State)
	}
	if len(body.Comment) > maxTextLen || !printableText(body.Comment) {
		return errorf(http.StatusBadRequest, "comment: at most %d bytes of text", maxTextLen)
	}
	a, err := s.cfg.Store.Alerts().Get(r.Context(), id)
	if err != nil {
		return storeError(err, "alert "+id)
	}
	c.note("from", string(a.State))
	c.note("to", string(body.State))
	if body.Comment != "" {
		c.note("comment", body.Comment)
	}
	if !canMove(a.State, body.State) {
		return errorf(http.StatusConflict, "alert %s is %s and cannot become %s", id, a.State, body.State)
	}
	updated, err := s.cfg.Store.Alerts().SetState(r.Context(), id, body.State, store.AlertComment{
		At: s.now().UTC(), Author: c.p.Actor(), State: body.State, Text: body.Comment,
	})
	if err != nil {
		return storeError(err, "alert "+id)
	}
	writeJSON(w, http.StatusOK, updated)
	return nil
}
