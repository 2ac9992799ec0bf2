package store

import (
	"context"
	"encoding/json"
	"time"
)

// ---- notification channels ----
//
// The channels operators manage through the API. Their meaning (the
// types, the fields of each, the validation) belongs to package notify;
// the store keeps what it is given.

// NotifyChannel is a notification channel managed through the API.
type NotifyChannel struct {
	// Name identifies the channel, unique.
	Name string `json:"name"`
	// Type is the channel's type (webhook, syslog, email, dingtalk, wecom,
	// feishu).
	Type string `json:"type"`
	// Config is the channel's configuration, a JSON object, without its
	// secrets.
	Config json.RawMessage `json:"config"`
	// Secrets are the channel's secrets, sealed by the center (opaque
	// here); nil when the channel has none. Never shown.
	Secrets []byte `json:"-"`
	// Revision counts the writes of the channel: 1 when created, one more
	// at each replacement.
	Revision  int64     `json:"revision"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// NotifyChannelStore keeps the notification channels managed through
// the API.
type NotifyChannelStore interface {
	// Put writes a channel and returns it as stored. With Revision 0 it
	// creates the channel (CreatedAt and CreatedBy from UpdatedAt and
	// UpdatedBy) and returns ErrAlreadyExists when the name is taken;
	// otherwise it replaces the channel stored at that revision, keeping
	// its creation, and returns ErrConflict when the stored revision is
	// another one and ErrNotFound when there is none. A zero UpdatedAt
	// means now. ErrInvalid for an empty name or type, or a Config that
	// is not a JSON object.
	Put(ctx context.Context, c NotifyChannel) (NotifyChannel, error)
	// Get returns one channel; ErrNotFound.
	Get(ctx context.Context, name string) (NotifyChannel, error)
	// List returns every channel, by name.
	List(ctx context.Context) ([]NotifyChannel, error)
	// Delete removes a channel; ErrNotFound.
	Delete(ctx context.Context, name string) error
}
