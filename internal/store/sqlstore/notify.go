package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// notifyChannelStore keeps the notification channels managed through the
// API.
type notifyChannelStore struct{ s *Store }

const notifyChannelCols = `name, type, config, secrets, revision, created_at, created_by, updated_at, updated_by`

// scanNotifyChannel reads one channel.
func scanNotifyChannel(r rowScanner) (store.NotifyChannel, error) {
	var c store.NotifyChannel
	var config string
	if err := r.Scan(&c.Name, &c.Type, &config, &c.Secrets, &c.Revision, timeCol{&c.CreatedAt}, &c.CreatedBy,
		timeCol{&c.UpdatedAt}, &c.UpdatedBy); err != nil {
		return store.NotifyChannel{}, err
	}
	c.Config = json.RawMessage(config)
	if len(c.Secrets) == 0 {
		c.Secrets = nil
	}
	return c, nil
}

// checkNotifyChannel rejects a channel the store does not hold: an empty
// name or type, a configuration that is not a JSON object, or text no
// database holds.
func checkNotifyChannel(c store.NotifyChannel) error {
	switch {
	case c.Name == "":
		return fmt.Errorf("%w: empty name", store.ErrInvalid)
	case c.Type == "":
		return fmt.Errorf("%w: empty type", store.ErrInvalid)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(c.Config, &obj); err != nil || obj == nil {
		return fmt.Errorf("%w: config is not a JSON object", store.ErrInvalid)
	}
	return checkTexts([]textField{{"name", c.Name}, {"type", c.Type}, {"config", string(c.Config)},
		{"created_by", c.CreatedBy}, {"updated_by", c.UpdatedBy}}, nil)
}

// Put creates a channel (Revision 0) or replaces the one stored at
// c.Revision, adding one to its revision, in one statement each: two
// writers that read the same revision cannot both replace it.
func (st notifyChannelStore) Put(ctx context.Context, c store.NotifyChannel) (store.NotifyChannel, error) {
	what := fmt.Sprintf("put notification channel %q", c.Name)
	if err := checkNotifyChannel(c); err != nil {
		return store.NotifyChannel{}, fmt.Errorf("%s: %w", what, err)
	}
	if c.Revision < 0 {
		return store.NotifyChannel{}, fmt.Errorf("%s: %w: revision %d", what, store.ErrInvalid, c.Revision)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, c.Config); err != nil {
		return store.NotifyChannel{}, fmt.Errorf("%s: %w: config: %v", what, store.ErrInvalid, err)
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = time.Now()
	}
	secrets := c.Secrets
	if secrets == nil {
		secrets = []byte{}
	}
	if c.Revision == 0 {
		row := st.s.w.QueryRowContext(ctx, st.s.sql(`INSERT INTO notify_channels (`+notifyChannelCols+`)
			VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)
			RETURNING `+notifyChannelCols), c.Name, c.Type, compact.String(), secrets,
			micros(c.UpdatedAt), c.UpdatedBy, micros(c.UpdatedAt), c.UpdatedBy)
		out, err := scanNotifyChannel(row)
		switch {
		case err != nil && st.s.d.IsUniqueViolation(err):
			return store.NotifyChannel{}, fmt.Errorf("%s: %w", what, store.ErrAlreadyExists)
		case err != nil:
			return store.NotifyChannel{}, fmt.Errorf("%s: %w", what, err)
		}
		return out, nil
	}
	row := st.s.w.QueryRowContext(ctx, st.s.sql(`UPDATE notify_channels
		SET type = ?, config = ?, secrets = ?, revision = revision + 1, updated_at = ?, updated_by = ?
		WHERE name = ? AND revision = ?
		RETURNING `+notifyChannelCols), c.Type, compact.String(), secrets, micros(c.UpdatedAt), c.UpdatedBy,
		c.Name, c.Revision)
	out, err := scanNotifyChannel(row)
	if err == nil {
		return out, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return store.NotifyChannel{}, fmt.Errorf("%s: %w", what, err)
	}
	var stored int64
	err = st.s.w.QueryRowContext(ctx, st.s.sql(`SELECT revision FROM notify_channels WHERE name = ?`), c.Name).Scan(&stored)
	if err != nil {
		return store.NotifyChannel{}, notFound(what, err)
	}
	return store.NotifyChannel{}, fmt.Errorf("%s: %w: stored at revision %d, not %d", what, store.ErrConflict, stored, c.Revision)
}

// Get returns one channel.
func (st notifyChannelStore) Get(ctx context.Context, name string) (store.NotifyChannel, error) {
	what := fmt.Sprintf("get notification channel %q", name)
	if !storable(name) {
		return store.NotifyChannel{}, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	c, err := scanNotifyChannel(st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+notifyChannelCols+
		` FROM notify_channels WHERE name = ?`), name))
	if err != nil {
		return store.NotifyChannel{}, notFound(what, err)
	}
	return c, nil
}

// List returns every channel, by name.
func (st notifyChannelStore) List(ctx context.Context) ([]store.NotifyChannel, error) {
	out, err := queryList(ctx, st.s, `SELECT `+notifyChannelCols+` FROM notify_channels ORDER BY name`, nil, scanNotifyChannel)
	if err != nil {
		return nil, fmt.Errorf("list notification channels: %w", err)
	}
	return out, nil
}

// Delete removes a channel.
func (st notifyChannelStore) Delete(ctx context.Context, name string) error {
	what := fmt.Sprintf("delete notification channel %q", name)
	if !storable(name) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return st.s.execOne(ctx, what, `DELETE FROM notify_channels WHERE name = ?`, name)
}
