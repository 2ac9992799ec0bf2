package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/center/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// incidentMoves lists the moves allowed from each incident state.
var incidentMoves = map[store.IncidentState][]store.IncidentState{
	store.IncidentOpen:          {store.IncidentInvestigating, store.IncidentResolved, store.IncidentFalsePositive},
	store.IncidentInvestigating: {store.IncidentResolved, store.IncidentFalsePositive, store.IncidentOpen},
	store.IncidentResolved:      {store.IncidentOpen},
	store.IncidentFalsePositive: {store.IncidentOpen},
}

// maxTimelineSpan bounds the span a timeline widens an incident by.
const maxTimelineSpan = 24 * time.Hour

func badIncidentState(state store.IncidentState) error {
	return errorf(http.StatusBadRequest, "state %q: want open, investigating, resolved or false_positive", state)
}

func (s *server) listIncidents(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := store.IncidentFilter{State: store.IncidentState(q.Get("state")), Severity: store.Severity(q.Get("severity")), AgentID: q.Get("agent_id")}
	if _, ok := incidentMoves[f.State]; f.State != "" && !ok {
		return badIncidentState(f.State)
	}
	if f.Severity != "" && !severities[f.Severity] {
		return errorf(http.StatusBadRequest, "severity %q: want low, medium, high or critical", f.Severity)
	}
	if len(f.AgentID) > maxQueryLen {
		return errorf(http.StatusBadRequest, "agent_id: at most %d bytes", maxQueryLen)
	}
	var err error
	if f.Page, err = page(q); err != nil {
		return err
	}
	list, next, err := s.cfg.Store.Incidents().List(r.Context(), f)
	if err != nil {
		return storeError(err, "list incidents")
	}
	writeList(w, list, next)
	return nil
}

// incidentByID loads the incident named by the {id} path value.
func (s *server) incidentByID(r *http.Request) (store.Incident, error) {
	id := r.PathValue("id")
	inc, err := s.cfg.Store.Incidents().Get(r.Context(), id)
	if err != nil {
		return inc, storeError(err, "incident "+id)
	}
	return inc, nil
}

func (s *server) getIncident(w http.ResponseWriter, r *http.Request, c *call) error {
	inc, err := s.incidentByID(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inc)
	return nil
}

// setIncidentState moves an incident, changes its assignee, or leaves a
// comment, or several of these. An empty state keeps the incident's
// state; then an assignee or a comment is needed.
func (s *server) setIncidentState(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	c.target = id
	var body apitypes.IncidentState
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if _, ok := incidentMoves[body.State]; body.State != "" && !ok {
		return badIncidentState(body.State)
	}
	if body.Assignee != "" {
		if err := checkName("assignee", body.Assignee); err != nil {
			return err
		}
	}
	if body.State == "" && body.Assignee == "" && body.Comment == "" {
		return errorf(http.StatusBadRequest, "state, assignee or comment: at least one is required")
	}
	if len(body.Comment) > maxTextLen || !printableText(body.Comment) {
		return errorf(http.StatusBadRequest, "comment: at most %d bytes of text", maxTextLen)
	}
	inc, err := s.incidentByID(r)
	if err != nil {
		return err
	}
	to := body.State
	if to == "" {
		to = inc.State
	}
	c.note("from", string(inc.State))
	c.note("to", string(to))
	if body.Assignee != "" {
		c.note("assignee", body.Assignee)
	}
	if body.Comment != "" {
		c.note("comment", body.Comment)
	}
	// Staying in the same state is a change of assignee or a comment.
	if to != inc.State && !slices.Contains(incidentMoves[inc.State], to) || to == inc.State && body.Assignee == "" && body.Comment == "" {
		return errorf(http.StatusConflict, "incident %s is %s and cannot become %s", id, inc.State, to)
	}
	updated, err := s.cfg.Store.Incidents().SetState(r.Context(), id, to, body.Assignee, store.IncidentComment{
		At: s.now().UTC(), Author: c.p.Actor(), State: to, Text: body.Comment,
	})
	if err != nil {
		return storeError(err, "incident "+id)
	}
	writeJSON(w, http.StatusOK, updated)
	return nil
}

func (s *server) incidentAlerts(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	alerts, next, err := s.cfg.Store.Incidents().Alerts(r.Context(), id, p)
	if err != nil {
		return storeError(err, "incident "+id)
	}
	writeList(w, alerts, next)
	return nil
}

func (s *server) incidentTimeline(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	var opts incident.TimelineOptions
	var err error
	if opts.Before, err = durationParam("before", q.Get("before"), incident.DefaultBefore, time.Second, maxTimelineSpan); err != nil {
		return err
	}
	if opts.After, err = durationParam("after", q.Get("after"), incident.DefaultAfter, time.Second, maxTimelineSpan); err != nil {
		return err
	}
	inc, err := s.incidentByID(r)
	if err != nil {
		return err
	}
	tl, err := incident.Build(r.Context(), s.cfg.Store, inc, opts)
	if err != nil {
		return storeError(err, "timeline of incident "+inc.ID)
	}
	writeJSON(w, http.StatusOK, tl)
	return nil
}
