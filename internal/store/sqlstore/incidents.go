package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// incidentStore keeps incidents and the alerts' membership.
type incidentStore struct{ s *Store }

const incidentCols = `id, title, severity, state, agent_ids, hostnames, techniques, rule_ids, entities,
	alert_count, assignee, first_seen, last_seen, created_at, updated_at, comments`

// openIncident is the SQL condition of an incident alerts still join.
const openIncident = `state IN ('open', 'investigating')`

func scanIncident(r rowScanner) (store.Incident, error) {
	var i store.Incident
	err := r.Scan(&i.ID, &i.Title, &i.Severity, &i.State, jsonCol{&i.AgentIDs}, jsonCol{&i.Hostnames},
		jsonCol{&i.Techniques}, jsonCol{&i.RuleIDs}, jsonCol{&i.Entities}, &i.AlertCount, &i.Assignee,
		timeCol{&i.FirstSeen}, timeCol{&i.LastSeen}, timeCol{&i.CreatedAt}, timeCol{&i.UpdatedAt},
		jsonCol{&i.Comments})
	i.AgentIDs = listOrEmpty(i.AgentIDs)
	i.Hostnames = listOrEmpty(i.Hostnames)
	i.Techniques = listOrEmpty(i.Techniques)
	i.RuleIDs = listOrEmpty(i.RuleIDs)
	if i.Entities == nil {
		i.Entities = []store.Entity{}
	}
	if i.Comments == nil {
		i.Comments = []store.IncidentComment{}
	}
	return i, err
}

// incidentArgs returns the values of incidentCols for i.
func incidentArgs(i store.Incident) ([]any, error) {
	args := []any{i.ID, i.Title, i.Severity, i.State}
	for _, v := range []any{listOrEmpty(i.AgentIDs), listOrEmpty(i.Hostnames), listOrEmpty(i.Techniques),
		listOrEmpty(i.RuleIDs), entitiesOrEmpty(i.Entities)} {
		text, err := jsonText(v)
		if err != nil {
			return nil, err
		}
		args = append(args, text)
	}
	comments := i.Comments
	if comments == nil {
		comments = []store.IncidentComment{}
	}
	commentText, err := jsonText(comments)
	if err != nil {
		return nil, err
	}
	return append(args, i.AlertCount, i.Assignee, micros(i.FirstSeen), micros(i.LastSeen),
		micros(i.CreatedAt), micros(i.UpdatedAt), commentText), nil
}

// entitiesOrEmpty returns l, or an empty slice when l is nil.
func entitiesOrEmpty(l []store.Entity) []store.Entity {
	if l == nil {
		return []store.Entity{}
	}
	return l
}

// validIncidentState reports whether s is one of the incident states.
func validIncidentState(s store.IncidentState) bool {
	switch s {
	case store.IncidentOpen, store.IncidentInvestigating, store.IncidentResolved, store.IncidentFalsePositive:
		return true
	}
	return false
}

// Get returns one incident.
func (st incidentStore) Get(ctx context.Context, id string) (store.Incident, error) {
	i, err := scanIncident(st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+incidentCols+
		` FROM incidents WHERE id = ?`), id))
	if err != nil {
		return store.Incident{}, notFound(fmt.Sprintf("get incident %q", id), err)
	}
	return i, nil
}

// List returns incidents most recently seen first, then by id descending.
// An incident seen again while a client pages moves to the front, out of
// the pages still to come; the others neither repeat nor go missing.
func (st incidentStore) List(ctx context.Context, f store.IncidentFilter) ([]store.Incident, string, error) {
	c, ok, err := DecodeCursor(f.Cursor, kindIncidents)
	if err != nil {
		return nil, "", fmt.Errorf("list incidents: %w", err)
	}
	var w where
	if f.AgentID != "" {
		w.add("id IN (SELECT incident_id FROM incident_agents WHERE agent_id = ?)", f.AgentID)
	}
	if f.State != "" {
		w.add("state = ?", f.State)
	}
	if f.Severity != "" {
		w.add("severity = ?", f.Severity)
	}
	if ok {
		w.add("(last_seen, id) < (?, ?)", c.N, c.S)
	}
	limit := limitOf(f.Limit)
	out, err := queryList(ctx, st.s, `SELECT `+incidentCols+` FROM incidents`+w.String()+
		` ORDER BY last_seen DESC, id DESC LIMIT ?`, append(w.args, limit+1), scanIncident)
	if err != nil {
		return nil, "", fmt.Errorf("list incidents: %w", err)
	}
	out, next := pageOf(out, limit, func(i store.Incident) Cursor {
		return Cursor{Kind: kindIncidents, N: i.LastSeen.UnixMicro(), S: i.ID}
	})
	return out, next, nil
}

// SetState moves an incident to state, appending c stamped with state.
func (st incidentStore) SetState(ctx context.Context, id string, state store.IncidentState, assignee string, c store.IncidentComment) (store.Incident, error) {
	what := fmt.Sprintf("set state of incident %q", id)
	if !validIncidentState(state) {
		return store.Incident{}, fmt.Errorf("%s: %w: unknown state %q", what, store.ErrInvalid, state)
	}
	if c.At.IsZero() {
		c.At = time.Now()
	}
	c.At = c.At.UTC().Truncate(time.Microsecond)
	c.State = state
	var out store.Incident
	err := st.s.tx(ctx, func(tx *sql.Tx) error {
		var comments []store.IncidentComment
		var current string
		err := tx.QueryRowContext(ctx, st.s.sql(`SELECT comments, assignee FROM incidents WHERE id = ?`+
			st.s.d.ForUpdate), id).Scan(jsonCol{&comments}, &current)
		if err != nil {
			return err
		}
		if assignee == "" {
			assignee = current
		}
		text, err := jsonText(append(comments, c))
		if err != nil {
			return err
		}
		out, err = scanIncident(tx.QueryRowContext(ctx, st.s.sql(`UPDATE incidents SET state = ?, assignee = ?,
			updated_at = ?, comments = ? WHERE id = ? RETURNING `+incidentCols), state, assignee, micros(c.At), text, id))
		return err
	})
	if err != nil {
		return store.Incident{}, notFound(what, err)
	}
	return out, nil
}

// Alerts returns the incident's alerts, oldest first (by creation, then
// id). Its cursors name the incident they were issued for.
func (st incidentStore) Alerts(ctx context.Context, id string, p store.Page) ([]store.Alert, string, error) {
	what := fmt.Sprintf("list alerts of incident %q", id)
	c, ok, err := DecodeCursor(p.Cursor, kindIncidentAlerts)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	if ok && c.T != id {
		return nil, "", fmt.Errorf("%s: %w: issued for another incident", what, ErrBadCursor)
	}
	var one int
	err = st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT 1 FROM incidents WHERE id = ?`), id).Scan(&one)
	if err != nil {
		return nil, "", notFound(what, err)
	}
	w := where{conds: []string{"incident_id = ?"}, args: []any{id}}
	if ok {
		w.add("(created_at, id) > (?, ?)", c.N, c.S)
	}
	limit := limitOf(p.Limit)
	alerts, err := queryList(ctx, st.s, `SELECT `+alertCols+` FROM alerts`+w.String()+
		` ORDER BY created_at, id LIMIT ?`, append(w.args, limit+1), scanAlert)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	alerts, next := pageOf(alerts, limit, func(a store.Alert) Cursor {
		return Cursor{Kind: kindIncidentAlerts, N: a.CreatedAt.UnixMicro(), S: a.ID, T: id}
	})
	return alerts, next, nil
}

// errIncidentGone is returned by Attach when the incident an alert is in
// cannot be read: the database was changed outside the store.
var errIncidentGone = errors.New("incident of the alert is missing")
