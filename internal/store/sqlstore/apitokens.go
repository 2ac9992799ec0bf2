package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

type apiTokenStore struct{ s *Store }

const apiTokenCols = `id, name, kind, user_id, role, hash, created_at, expires_at, last_used_at`

func scanAPIToken(r rowScanner) (store.APIToken, error) {
	var t store.APIToken
	err := r.Scan(&t.ID, &t.Name, &t.Kind, &t.UserID, &t.Role, &t.Hash,
		timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, timeCol{&t.LastUsedAt})
	return t, err
}

// Create stores a new token; ErrAlreadyExists when its id or hash is taken.
// A zero CreatedAt means now.
func (st apiTokenStore) Create(ctx context.Context, t store.APIToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now()
	}
	n, err := st.s.exec(ctx, `INSERT INTO api_tokens (`+apiTokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, t.ID, t.Name, t.Kind, t.UserID, t.Role, t.Hash,
		micros(t.CreatedAt), micros(t.ExpiresAt), micros(t.LastUsedAt))
	if err != nil {
		return fmt.Errorf("create api token %q: %w", t.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("create api token %q: %w", t.ID, store.ErrAlreadyExists)
	}
	return nil
}

// GetByHash returns the token whose secret hashes to hash.
func (st apiTokenStore) GetByHash(ctx context.Context, hash []byte) (store.APIToken, error) {
	row := st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+apiTokenCols+` FROM api_tokens WHERE hash = ?`), hash)
	t, err := scanAPIToken(row)
	if err != nil {
		return store.APIToken{}, notFound("get api token by hash", err)
	}
	return t, nil
}

// List returns tokens and sessions, newest first.
func (st apiTokenStore) List(ctx context.Context, p store.Page) ([]store.APIToken, string, error) {
	c, ok, err := DecodeCursor(p.Cursor, kindAPITokens)
	if err != nil {
		return nil, "", fmt.Errorf("list api tokens: %w", err)
	}
	var w where
	if ok {
		w.add("(created_at, id) < (?, ?)", c.N, c.S)
	}
	limit := limitOf(p.Limit)
	tokens, err := queryList(ctx, st.s, `SELECT `+apiTokenCols+` FROM api_tokens`+w.String()+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(w.args, limit+1), scanAPIToken)
	if err != nil {
		return nil, "", fmt.Errorf("list api tokens: %w", err)
	}
	tokens, next := pageOf(tokens, limit, func(t store.APIToken) Cursor {
		return Cursor{Kind: kindAPITokens, N: t.CreatedAt.UnixMicro(), S: t.ID}
	})
	return tokens, next, nil
}

// Delete removes one token.
func (st apiTokenStore) Delete(ctx context.Context, id string) error {
	return st.s.execOne(ctx, fmt.Sprintf("delete api token %q", id), `DELETE FROM api_tokens WHERE id = ?`, id)
}

// DeleteByUser removes every token of a user; none is not an error. An
// empty userID matches nothing: tokens without a user are never removed
// wholesale.
func (st apiTokenStore) DeleteByUser(ctx context.Context, userID string) error {
	if userID == "" {
		return nil
	}
	if _, err := st.s.exec(ctx, `DELETE FROM api_tokens WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("delete api tokens of user %q: %w", userID, err)
	}
	return nil
}

// Touch records the last use of a token; a zero at means now.
func (st apiTokenStore) Touch(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		at = time.Now()
	}
	return st.s.execOne(ctx, fmt.Sprintf("touch api token %q", id),
		`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, micros(at), id)
}
