package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/vigilsec/vigil/internal/store"
)

type alertStore struct{ s *Store }

const alertCols = `id, agent_id, hostname, rule_id, title, description, severity, state,
	techniques, dedup_key, count, created_at, updated_at, last_seen, evidence, event_ids, comments,
	incident_id`

func scanAlert(r rowScanner) (store.Alert, error) {
	var a store.Alert
	err := r.Scan(&a.ID, &a.AgentID, &a.Hostname, &a.RuleID, &a.Title, &a.Description, &a.Severity,
		&a.State, jsonCol{&a.Techniques}, &a.DedupKey, &a.Count, timeCol{&a.CreatedAt},
		timeCol{&a.UpdatedAt}, timeCol{&a.LastSeen}, jsonCol{&a.Evidence}, jsonCol{&a.EventIDs},
		jsonCol{&a.Comments}, &a.IncidentID)
	a.Techniques = listOrEmpty(a.Techniques)
	a.EventIDs = listOrEmpty(a.EventIDs)
	if a.Comments == nil {
		a.Comments = []store.AlertComment{}
	}
	return a, err
}

// alertArgs returns the values of alertCols for a.
func alertArgs(a store.Alert) ([]any, error) {
	techniques, err := jsonText(listOrEmpty(a.Techniques))
	if err != nil {
		return nil, err
	}
	var evidence any
	if a.Evidence != nil {
		if evidence, err = jsonText(a.Evidence); err != nil {
			return nil, err
		}
	}
	eventIDs, err := jsonText(listOrEmpty(a.EventIDs))
	if err != nil {
		return nil, err
	}
	comments := a.Comments
	if comments == nil {
		comments = []store.AlertComment{}
	}
	commentText, err := jsonText(comments)
	if err != nil {
		return nil, err
	}
	return []any{a.ID, a.AgentID, a.Hostname, a.RuleID, a.Title, a.Description, a.Severity,
		a.State, techniques, a.DedupKey, a.Count, micros(a.CreatedAt), micros(a.UpdatedAt),
		micros(a.LastSeen), evidence, eventIDs, commentText, a.IncidentID}, nil
}

// Raise stores a new alert or counts a repeat of an open one. The upsert
// targets the partial unique index on open alerts' dedup keys, so two
// concurrent repeats can never open two alerts. Defaults: a random id, now
// for CreatedAt, CreatedAt for UpdatedAt and LastSeen, state new, count 1.
// A repeat adds its count, moves last_seen forward and sets updated_at.
// The incident is IncidentStore.Attach's to set: a new alert has none, a
// repeat keeps its own.
func (st alertStore) Raise(ctx context.Context, a store.Alert) (store.Alert, bool, error) {
	a.IncidentID = ""
	if a.ID == "" {
		a.ID = uuid.NewString()
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now()
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	if a.LastSeen.IsZero() {
		a.LastSeen = a.CreatedAt
	}
	if a.State == "" {
		a.State = store.AlertNew
	}
	if a.Count < 1 {
		a.Count = 1
	}
	what := fmt.Sprintf("raise alert %q", a.RuleID)
	args, err := alertArgs(a)
	if err != nil {
		return store.Alert{}, false, fmt.Errorf("%s: %w", what, err)
	}
	conflict := ` ON CONFLICT (id) DO NOTHING`
	if a.DedupKey != "" {
		conflict = ` ON CONFLICT (dedup_key) WHERE dedup_key <> '' AND state IN ('new', 'acknowledged')
			DO UPDATE SET count = alerts.count + excluded.count, updated_at = excluded.updated_at,
			last_seen = CASE WHEN excluded.last_seen > alerts.last_seen
				THEN excluded.last_seen ELSE alerts.last_seen END`
	}
	row := st.s.w.QueryRowContext(ctx, st.s.sql(`INSERT INTO alerts (`+alertCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`+conflict+` RETURNING `+alertCols), args...)
	stored, err := scanAlert(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Alert{}, false, fmt.Errorf("%s: id %q: %w", what, a.ID, store.ErrAlreadyExists)
	case err != nil && st.s.d.IsUniqueViolation(err):
		return store.Alert{}, false, fmt.Errorf("%s: id %q: %w", what, a.ID, store.ErrAlreadyExists)
	case err != nil:
		return store.Alert{}, false, fmt.Errorf("%s: %w", what, err)
	}
	return stored, stored.ID == a.ID, nil
}

// Get returns one alert.
func (st alertStore) Get(ctx context.Context, id string) (store.Alert, error) {
	row := st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+alertCols+` FROM alerts WHERE id = ?`), id)
	a, err := scanAlert(row)
	if err != nil {
		return store.Alert{}, notFound(fmt.Sprintf("get alert %q", id), err)
	}
	return a, nil
}

// List returns alerts newest first (by creation, then id).
func (st alertStore) List(ctx context.Context, f store.AlertFilter) ([]store.Alert, string, error) {
	c, ok, err := DecodeCursor(f.Cursor, kindAlerts)
	if err != nil {
		return nil, "", fmt.Errorf("list alerts: %w", err)
	}
	var w where
	for _, cond := range []struct{ col, v string }{
		{"agent_id", f.AgentID}, {"state", string(f.State)},
		{"severity", string(f.Severity)}, {"rule_id", f.RuleID},
		{"incident_id", f.IncidentID},
	} {
		if cond.v != "" {
			w.add(cond.col+" = ?", cond.v)
		}
	}
	if f.Technique != "" {
		// techniques is a JSON list of ids: the id itself, or one of its
		// sub-techniques.
		w.add("(techniques LIKE ? OR techniques LIKE ?)", `%"`+f.Technique+`"%`, `%"`+f.Technique+`.%`)
	}
	if !f.Since.IsZero() {
		w.add("created_at >= ?", micros(f.Since))
	}
	if ok {
		w.add("(created_at, id) < (?, ?)", c.N, c.S)
	}
	limit := limitOf(f.Limit)
	alerts, err := queryList(ctx, st.s, `SELECT `+alertCols+` FROM alerts`+w.String()+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(w.args, limit+1), scanAlert)
	if err != nil {
		return nil, "", fmt.Errorf("list alerts: %w", err)
	}
	alerts, next := pageOf(alerts, limit, func(a store.Alert) Cursor {
		return Cursor{Kind: kindAlerts, N: a.CreatedAt.UnixMicro(), S: a.ID}
	})
	return alerts, next, nil
}

// SetState moves an alert to state and appends c, stamped with state (its
// At defaults to now). Reopening an alert whose dedup key already has an
// open alert is ErrConflict.
func (st alertStore) SetState(ctx context.Context, id string, state store.AlertState, c store.AlertComment) (store.Alert, error) {
	what := fmt.Sprintf("set state of alert %q", id)
	if c.At.IsZero() {
		c.At = time.Now()
	}
	c.At = c.At.UTC().Truncate(time.Microsecond)
	c.State = state
	var out store.Alert
	err := st.s.tx(ctx, func(tx *sql.Tx) error {
		var comments []store.AlertComment
		err := tx.QueryRowContext(ctx, st.s.sql(`SELECT comments FROM alerts WHERE id = ?`+st.s.d.ForUpdate), id).
			Scan(jsonCol{&comments})
		if err != nil {
			return err
		}
		text, err := jsonText(append(comments, c))
		if err != nil {
			return err
		}
		out, err = scanAlert(tx.QueryRowContext(ctx, st.s.sql(`UPDATE alerts SET state = ?, updated_at = ?,
			comments = ? WHERE id = ? RETURNING `+alertCols), state, micros(c.At), text, id))
		if err != nil && st.s.d.IsUniqueViolation(err) {
			return fmt.Errorf("another open alert has key of this one: %w", store.ErrConflict)
		}
		return err
	})
	if err != nil {
		return store.Alert{}, notFound(what, err)
	}
	return out, nil
}
