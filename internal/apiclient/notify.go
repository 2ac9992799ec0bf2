package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/center/notify"
)

// The notification routes (/api/v1/notify/channels...) answer the
// channels as Raw values of notify.ChannelView: decoded, and as the
// center sent them. A channel's Config is the configuration as a PUT
// takes it, each write-only field (a URL, a secret, a header value, a
// password) shown only as set or not.

// Bounds of what the notification routes send and take.
const (
	// MaxNotifyChannel bounds the configuration of a channel, as the
	// center does.
	MaxNotifyChannel = 1 << 20
	// NotifyTestWait is how long the center gives a test message; a
	// test's request may take that long on top of the client's timeout.
	NotifyTestWait = 30 * time.Second
)

// NotifyChannels lists every notification channel: the notification
// file's in file order (read-only), then those managed through the API
// by name, with their delivery counters since the center started.
func (c *Client) NotifyChannels(ctx context.Context) ([]Raw[notify.ChannelView], error) {
	return wholeList[notify.ChannelView](ctx, c, request{method: http.MethodGet, path: pathOf("notify", "channels")})
}

// NotifyChannel returns the notification channel name with its counters.
func (c *Client) NotifyChannel(ctx context.Context, name string) (Raw[notify.ChannelView], error) {
	var v Raw[notify.ChannelView]
	if err := need("channel name", name); err != nil {
		return v, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("notify", "channels", name)}, &v)
	return v, err
}

// PutNotifyChannel creates or replaces the notification channel name
// from config, the JSON of its configuration as in the center's
// notification file ("name" may be left out), and returns it as stored
// and whether it is new. It runs at once. A write-only field left out,
// or given as {"set": true}, keeps the stored value; "" or null clears
// it. An invalid configuration is refused with 400 and an *APIError
// whose Fields list every invalid field; a channel of the notification
// file with 409.
func (c *Client) PutNotifyChannel(ctx context.Context, name string, config json.RawMessage) (Raw[notify.ChannelView], bool, error) {
	var v Raw[notify.ChannelView]
	if err := need("channel name", name); err != nil {
		return v, false, err
	}
	if len(config) > MaxNotifyChannel {
		return v, false, fmt.Errorf("notification channel %s: %d bytes, the center takes at most %d", name, len(config), MaxNotifyChannel)
	}
	if !json.Valid(config) {
		return v, false, fmt.Errorf("notification channel %s: the configuration is not valid JSON", name)
	}
	created := false
	r := request{method: http.MethodPut, path: pathOf("notify", "channels", name), body: config}
	err := c.roundTrip(ctx, r, func(resp *http.Response) error {
		if resp.StatusCode >= 400 {
			return decodeError(resp)
		}
		created = resp.StatusCode == http.StatusCreated
		return decodeAnswer(resp.Body, &v, r)
	})
	return v, created, err
}

// DeleteNotifyChannel deletes the notification channel name, managed
// through the API: it stops at once and the notifications it had
// waiting are dropped. A channel of the notification file answers 409.
func (c *Client) DeleteNotifyChannel(ctx context.Context, name string) error {
	if err := need("channel name", name); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("notify", "channels", name)}, nil)
}

// TestNotifyChannel sends a sample message through the notification
// channel name now, bypassing its filter and queue (a disabled channel
// is tested too), and returns the outcome: a delivery that failed is a
// result with OK false, not an error. The request may take NotifyTestWait
// on top of the client's timeout.
func (c *Client) TestNotifyChannel(ctx context.Context, name string) (Raw[notify.TestResult], error) {
	var res Raw[notify.TestResult]
	if err := need("channel name", name); err != nil {
		return res, err
	}
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("notify", "channels", name, "test"), wait: NotifyTestWait}, &res)
	return res, err
}
