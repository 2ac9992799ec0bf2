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

// exceptionStore keeps allow-list entries.
type exceptionStore struct{ s *Store }

const exceptionCols = `id, rule_id, agent_id, match, reason, author, expires_at, created_at,
	updated_at, hits, last_hit`

func scanException(r rowScanner) (store.Exception, error) {
	var e store.Exception
	err := r.Scan(&e.ID, &e.RuleID, &e.AgentID, jsonCol{&e.Match}, &e.Reason, &e.Author,
		timeCol{&e.ExpiresAt}, timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt}, &e.Hits, timeCol{&e.LastHit})
	if e.Match == nil {
		e.Match = map[string][]string{}
	}
	return e, err
}

// matchText checks an exception's Match and encodes it: every field has a
// name and at least one pattern.
func matchText(m map[string][]string) (string, error) {
	for field, patterns := range m {
		if field == "" {
			return "", fmt.Errorf("%w: match has an empty field name", store.ErrInvalid)
		}
		if len(patterns) == 0 {
			return "", fmt.Errorf("%w: match field %q has no pattern", store.ErrInvalid, field)
		}
	}
	if m == nil {
		m = map[string][]string{}
	}
	return jsonText(m)
}

// Create stores a new exception with no hits.
func (st exceptionStore) Create(ctx context.Context, e store.Exception) (store.Exception, error) {
	if e.ID == "" {
		e.ID = uuid.NewString()
	}
	what := fmt.Sprintf("create exception %q", e.ID)
	match, err := matchText(e.Match)
	if err != nil {
		return store.Exception{}, fmt.Errorf("%s: %w", what, err)
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = e.CreatedAt
	}
	out, err := scanException(st.s.w.QueryRowContext(ctx, st.s.sql(`INSERT INTO exceptions (`+exceptionCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL) ON CONFLICT (id) DO NOTHING RETURNING `+exceptionCols),
		e.ID, e.RuleID, e.AgentID, match, e.Reason, e.Author, micros(e.ExpiresAt), micros(e.CreatedAt),
		micros(e.UpdatedAt)))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Exception{}, fmt.Errorf("%s: %w", what, store.ErrAlreadyExists)
	case err != nil:
		return store.Exception{}, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// Get returns one exception.
func (st exceptionStore) Get(ctx context.Context, id string) (store.Exception, error) {
	e, err := scanException(st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+exceptionCols+
		` FROM exceptions WHERE id = ?`), id))
	if err != nil {
		return store.Exception{}, notFound(fmt.Sprintf("get exception %q", id), err)
	}
	return e, nil
}

// List returns exceptions newest first (by creation, then id).
func (st exceptionStore) List(ctx context.Context, f store.ExceptionFilter) ([]store.Exception, string, error) {
	c, ok, err := DecodeCursor(f.Cursor, kindExceptions)
	if err != nil {
		return nil, "", fmt.Errorf("list exceptions: %w", err)
	}
	var w where
	if f.RuleID != "" {
		w.add("rule_id = ?", f.RuleID)
	}
	if f.AgentID != "" {
		w.add("agent_id = ?", f.AgentID)
	}
	if !f.ActiveAt.IsZero() {
		w.add("(expires_at IS NULL OR expires_at > ?)", f.ActiveAt.UnixMicro())
	}
	if ok {
		w.add("(created_at, id) < (?, ?)", c.N, c.S)
	}
	limit := limitOf(f.Limit)
	out, err := queryList(ctx, st.s, `SELECT `+exceptionCols+` FROM exceptions`+w.String()+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(w.args, limit+1), scanException)
	if err != nil {
		return nil, "", fmt.Errorf("list exceptions: %w", err)
	}
	out, next := pageOf(out, limit, func(e store.Exception) Cursor {
		return Cursor{Kind: kindExceptions, N: e.CreatedAt.UnixMicro(), S: e.ID}
	})
	return out, next, nil
}

// Update replaces an exception's rule, agent, match, reason and expiry.
func (st exceptionStore) Update(ctx context.Context, e store.Exception) (store.Exception, error) {
	what := fmt.Sprintf("update exception %q", e.ID)
	match, err := matchText(e.Match)
	if err != nil {
		return store.Exception{}, fmt.Errorf("%s: %w", what, err)
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = time.Now()
	}
	out, err := scanException(st.s.w.QueryRowContext(ctx, st.s.sql(`UPDATE exceptions SET rule_id = ?,
		agent_id = ?, match = ?, reason = ?, expires_at = ?, updated_at = ? WHERE id = ? RETURNING `+exceptionCols),
		e.RuleID, e.AgentID, match, e.Reason, micros(e.ExpiresAt), micros(e.UpdatedAt), e.ID))
	if err != nil {
		return store.Exception{}, notFound(what, err)
	}
	return out, nil
}

// Delete removes an exception.
func (st exceptionStore) Delete(ctx context.Context, id string) error {
	return st.s.execOne(ctx, fmt.Sprintf("delete exception %q", id), `DELETE FROM exceptions WHERE id = ?`, id)
}

// AddHits counts n suppressed alerts in one UPDATE, so that concurrent
// counts add up; last_hit only moves forward. A zero at means now.
func (st exceptionStore) AddHits(ctx context.Context, id string, n int64, at time.Time) error {
	what := fmt.Sprintf("add hits to exception %q", id)
	if n < 1 {
		return fmt.Errorf("%s: %w: %d hits", what, store.ErrInvalid, n)
	}
	if at.IsZero() {
		at = time.Now()
	}
	return st.s.execOne(ctx, what, `UPDATE exceptions SET hits = hits + ?,
		last_hit = CASE WHEN last_hit IS NULL OR last_hit < ? THEN ? ELSE last_hit END WHERE id = ?`,
		n, at.UnixMicro(), at.UnixMicro(), id)
}
