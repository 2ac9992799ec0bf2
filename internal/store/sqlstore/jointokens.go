package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

type joinTokenStore struct{ s *Store }

const joinTokenCols = `id, secret_hash, description, labels, created_at, created_by,
	expires_at, usage_limit, uses`

func scanJoinToken(r rowScanner) (store.JoinToken, error) {
	var t store.JoinToken
	err := r.Scan(&t.ID, &t.SecretHash, &t.Description, jsonCol{&t.Labels}, timeCol{&t.CreatedAt},
		&t.CreatedBy, timeCol{&t.ExpiresAt}, &t.UsageLimit, &t.Uses)
	t.Labels = labelsOrEmpty(t.Labels)
	return t, err
}

// Create stores a new join token; a zero CreatedAt means now and a zero
// ExpiresAt never expires.
func (st joinTokenStore) Create(ctx context.Context, t store.JoinToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now()
	}
	labels, err := jsonText(labelsOrEmpty(t.Labels))
	if err != nil {
		return fmt.Errorf("create join token %q: %w", t.ID, err)
	}
	n, err := st.s.exec(ctx, `INSERT INTO join_tokens (`+joinTokenCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		t.ID, t.SecretHash, t.Description, labels, micros(t.CreatedAt), t.CreatedBy,
		micros(t.ExpiresAt), t.UsageLimit, t.Uses)
	if err != nil {
		return fmt.Errorf("create join token %q: %w", t.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("create join token %q: %w", t.ID, store.ErrAlreadyExists)
	}
	return nil
}

// Get returns one join token.
func (st joinTokenStore) Get(ctx context.Context, id string) (store.JoinToken, error) {
	row := st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+joinTokenCols+` FROM join_tokens WHERE id = ?`), id)
	t, err := scanJoinToken(row)
	if err != nil {
		return store.JoinToken{}, notFound(fmt.Sprintf("get join token %q", id), err)
	}
	return t, nil
}

// List returns join tokens, newest first.
func (st joinTokenStore) List(ctx context.Context, p store.Page) ([]store.JoinToken, string, error) {
	c, ok, err := DecodeCursor(p.Cursor, kindJoinToken)
	if err != nil {
		return nil, "", fmt.Errorf("list join tokens: %w", err)
	}
	var w where
	if ok {
		w.add("(created_at, id) < (?, ?)", c.N, c.S)
	}
	limit := limitOf(p.Limit)
	tokens, err := queryList(ctx, st.s, `SELECT `+joinTokenCols+` FROM join_tokens`+w.String()+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(w.args, limit+1), scanJoinToken)
	if err != nil {
		return nil, "", fmt.Errorf("list join tokens: %w", err)
	}
	tokens, next := pageOf(tokens, limit, func(t store.JoinToken) Cursor {
		return Cursor{Kind: kindJoinToken, N: t.CreatedAt.UnixMicro(), S: t.ID}
	})
	return tokens, next, nil
}

// Delete removes a join token.
func (st joinTokenStore) Delete(ctx context.Context, id string) error {
	return st.s.execOne(ctx, fmt.Sprintf("delete join token %q", id), `DELETE FROM join_tokens WHERE id = ?`, id)
}

// Consume counts one use of a token in a single conditional UPDATE, so
// concurrent enrollments can never exceed the usage limit. A zero now means
// the current time.
func (st joinTokenStore) Consume(ctx context.Context, id string, now time.Time) (store.JoinToken, error) {
	if now.IsZero() {
		now = time.Now()
	}
	what := fmt.Sprintf("consume join token %q", id)
	var t store.JoinToken
	err := st.s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanJoinToken(tx.QueryRowContext(ctx, st.s.sql(`UPDATE join_tokens SET uses = uses + 1
			WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)
			AND (usage_limit = 0 OR uses < usage_limit)
			RETURNING `+joinTokenCols), id, now.UnixMicro()))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Nothing counted: say why.
		t, err = scanJoinToken(tx.QueryRowContext(ctx, st.s.sql(`SELECT `+joinTokenCols+
			` FROM join_tokens WHERE id = ?`), id))
		switch {
		case err != nil:
			return err
		case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
			return store.ErrTokenExpired
		default:
			return store.ErrTokenUsedUp
		}
	})
	if err != nil {
		return store.JoinToken{}, notFound(what, err)
	}
	return t, nil
}
