package notify

import (
	"context"
	"fmt"
)

// Channel delivers messages to one destination. Send makes one attempt
// (the Dispatcher retries); its errors never hold a credential, and
// IsPermanent tells whether retrying may help.
type Channel interface {
	Send(ctx context.Context, m Message) error
	// Close releases the channel's connections.
	Close() error
}

// NewChannel builds the channel of a configuration, which it validates.
// It reads the TLS files the configuration names.
func NewChannel(c ChannelConfig) (Channel, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	red := newRedactor(c.secrets()...)
	r, err := newRenderer(c.Language, c.TimeZone)
	if err != nil {
		return nil, err
	}
	var inner Channel
	switch c.Type {
	case TypeWebhook:
		inner, err = newWebhook(*c.Webhook)
	case TypeSyslog:
		inner, err = newSyslog(*c.Syslog)
	case TypeEmail:
		inner, err = newEmail(*c.Email, r)
	case TypeDingTalk:
		inner, err = newDingTalk(*c.DingTalk, r)
	case TypeWeCom:
		inner, err = newWeCom(*c.WeCom, r)
	case TypeFeishu:
		inner, err = newFeishu(*c.Feishu, r)
	default:
		err = fmt.Errorf("unknown channel type %q", c.Type)
	}
	if err != nil {
		return nil, red.Error(fmt.Errorf("channel %s: %w", c.Name, err))
	}
	return &redactingChannel{inner: inner, red: red}, nil
}

// redactingChannel scrubs the channel's secrets from every error, the
// last line of defense behind each channel's own care.
type redactingChannel struct {
	inner Channel
	red   *redactor
}

func (c *redactingChannel) Send(ctx context.Context, m Message) error {
	return c.red.Error(c.inner.Send(ctx, m))
}

func (c *redactingChannel) Close() error { return c.red.Error(c.inner.Close()) }
