package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// stateStore keeps small blobs of center services' state by key.
type stateStore struct{ s *Store }

// Put stores value under key, replacing the previous one.
func (st stateStore) Put(ctx context.Context, key string, value []byte) error {
	what := fmt.Sprintf("put state %q", key)
	if key == "" {
		return fmt.Errorf("%s: %w: empty key", what, store.ErrInvalid)
	}
	if value == nil {
		value = []byte{}
	}
	_, err := st.s.exec(ctx, `INSERT INTO service_state (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Get returns the value of key.
func (st stateStore) Get(ctx context.Context, key string) ([]byte, error) {
	var value []byte
	err := st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT value FROM service_state WHERE key = ?`), key).Scan(&value)
	if err != nil {
		return nil, notFound(fmt.Sprintf("get state %q", key), err)
	}
	if value == nil {
		value = []byte{}
	}
	return value, nil
}

// Delete removes key.
func (st stateStore) Delete(ctx context.Context, key string) error {
	return st.s.execOne(ctx, fmt.Sprintf("delete state %q", key), `DELETE FROM service_state WHERE key = ?`, key)
}
