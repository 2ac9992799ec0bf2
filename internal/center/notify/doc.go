// Package notify sends the center's alerts to the places a security team
// watches: generic webhooks, syslog collectors (RFC 5424 or ArcSight CEF
// over UDP, TCP or TLS), e-mail over SMTP, and the group robots of
// DingTalk, WeCom and Feishu/Lark.
//
// An alert becomes a Message (FromAlert), the one thing every channel
// renders; incidents will be another kind of Message. A Dispatcher holds
// one bounded queue, one worker and one rate limiter per configured
// channel: Notify filters and enqueues without ever blocking, the worker
// delivers with retries (exponential backoff with jitter) and counts what
// was sent, failed, retried and dropped.
//
// Credentials (webhook secrets, robot tokens in URLs, SMTP passwords,
// custom header values) are never written to logs or error messages:
// every error leaving a channel passes through a redactor that knows the
// channel's secrets, and URLs are shown without their query, user
// information or token-like path segments.
//
// The configuration (Config, ChannelConfig) decodes strictly from YAML
// (LoadFile, ParseYAML) or JSON (ParseJSON, ParseChannelJSON); unknown
// fields and out-of-range values are errors naming the field.
//
// A Service is what the center runs: the Dispatcher with the channels of
// the configuration file (read-only) and those operators manage through
// the API, kept in the store (store.NotifyChannelStore) with their
// write-only fields (URLs, secrets, header values, passwords) sealed by
// a SecretBox under a key in the center's data folder. A change made
// through the Service applies at once, one made by another center
// sharing the database within a poll interval: unchanged channels keep
// their queues, a changed one hands its waiting notifications to its new
// configuration, a removed one drops them and counts them. The API sees
// a channel as a ChannelView, whose ConfigView never shows a write-only
// field, and updates it with ParseChannelUpdate, where a write-only
// field left out keeps its stored value.
package notify
