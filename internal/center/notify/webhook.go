package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Headers of webhook requests.
const (
	HeaderSignature      = "X-Vigil-Signature-256"
	HeaderEvent          = "X-Vigil-Event"
	HeaderNotificationID = "X-Vigil-Notification-Id"
)

// WebhookPayload is the JSON body a webhook receives.
type WebhookPayload struct {
	// Version of this layout; it changes only when a field changes
	// meaning or goes away.
	Version        int         `json:"version"`
	Kind           MessageKind `json:"kind"`
	NotificationID string      `json:"notification_id"`
	SentAt         time.Time   `json:"sent_at"`
	Link           string      `json:"link,omitempty"`
	// Alert is set when Kind is "alert".
	Alert *store.Alert `json:"alert,omitempty"`
}

// webhookVersion is WebhookPayload.Version.
const webhookVersion = 1

type webhookChannel struct {
	target  *httpTarget
	secret  []byte
	headers http.Header
	now     func() time.Time
}

func newWebhook(c WebhookConfig) (*webhookChannel, error) {
	t, err := newHTTPTarget(c.URL, c.TLS)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	for k, v := range c.Headers {
		h.Set(k, string(v))
	}
	return &webhookChannel{target: t, secret: []byte(c.Secret), headers: h, now: time.Now}, nil
}

// Sign returns the X-Vigil-Signature-256 value of a body under secret:
// "sha256=" and the hex HMAC-SHA256.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (w *webhookChannel) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(WebhookPayload{
		Version: webhookVersion, Kind: m.Kind, NotificationID: m.NotificationID,
		SentAt: w.now().UTC(), Link: m.Link, Alert: m.Alert,
	})
	if err != nil {
		return permanent(fmt.Errorf("webhook: encoding the message: %w", err))
	}
	h := w.headers.Clone()
	h.Set(HeaderEvent, string(m.Kind))
	h.Set(HeaderNotificationID, m.NotificationID)
	if len(w.secret) > 0 {
		h.Set(HeaderSignature, Sign(w.secret, body))
	}
	_, err = w.target.post(ctx, w.target.url, body, h)
	return err
}

func (w *webhookChannel) Close() error {
	w.target.close()
	return nil
}
