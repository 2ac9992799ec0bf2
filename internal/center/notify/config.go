package notify

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// ChannelType is the kind of destination of a channel.
type ChannelType string

// Channel types.
const (
	TypeWebhook  ChannelType = "webhook"
	TypeSyslog   ChannelType = "syslog"
	TypeEmail    ChannelType = "email"
	TypeDingTalk ChannelType = "dingtalk"
	TypeWeCom    ChannelType = "wecom"
	TypeFeishu   ChannelType = "feishu"
)

// channelTypes lists the types in the order they are documented.
var channelTypes = []ChannelType{TypeWebhook, TypeSyslog, TypeEmail, TypeDingTalk, TypeWeCom, TypeFeishu}

// Config is the notification part of the center's configuration.
type Config struct {
	// ConsoleURL is the console's address as people reach it
	// (https://vigil.example.com:8443); messages link to the alert there.
	// Empty: no links.
	ConsoleURL string          `yaml:"console_url,omitempty" json:"console_url,omitempty"`
	Channels   []ChannelConfig `yaml:"channels" json:"channels"`
}

// ChannelConfig configures one channel: its name and type, what it
// receives (Filter), how it delivers (Delivery), and the section of its
// type (exactly one of Webhook, Syslog, Email, DingTalk, WeCom, Feishu,
// the one named by Type).
type ChannelConfig struct {
	// Name identifies the channel in logs, stats and the API: 1 to 63
	// characters of a-z, 0-9, '.', '_' and '-', starting with a letter or
	// digit.
	Name     string      `yaml:"name" json:"name"`
	Type     ChannelType `yaml:"type" json:"type"`
	Disabled bool        `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// Language of the texts for people: "en" (default) or "zh".
	Language Language `yaml:"language,omitempty" json:"language,omitempty"`
	// TimeZone is the IANA zone times are shown in (default UTC).
	TimeZone string   `yaml:"time_zone,omitempty" json:"time_zone,omitempty"`
	Filter   Filter   `yaml:"filter,omitempty" json:"filter,omitzero"`
	Delivery Delivery `yaml:"delivery,omitempty" json:"delivery,omitzero"`

	Webhook  *WebhookConfig  `yaml:"webhook,omitempty" json:"webhook,omitempty"`
	Syslog   *SyslogConfig   `yaml:"syslog,omitempty" json:"syslog,omitempty"`
	Email    *EmailConfig    `yaml:"email,omitempty" json:"email,omitempty"`
	DingTalk *DingTalkConfig `yaml:"dingtalk,omitempty" json:"dingtalk,omitempty"`
	WeCom    *WeComConfig    `yaml:"wecom,omitempty" json:"wecom,omitempty"`
	Feishu   *FeishuConfig   `yaml:"feishu,omitempty" json:"feishu,omitempty"`
}

// Filter selects the messages a channel receives. Empty fields match
// everything; set fields must all match.
type Filter struct {
	// MinSeverity drops messages below it (low, medium, high, critical).
	MinSeverity store.Severity `yaml:"min_severity,omitempty" json:"min_severity,omitempty"`
	// RuleIDs keeps messages whose rule id matches one of these patterns
	// (path.Match syntax: "vigil.agent.*").
	RuleIDs []string `yaml:"rule_ids,omitempty" json:"rule_ids,omitempty"`
	// Techniques keeps messages carrying one of these ATT&CK techniques;
	// a technique also matches its sub-techniques (T1562 matches
	// T1562.001).
	Techniques []string `yaml:"techniques,omitempty" json:"techniques,omitempty"`
}

// Delivery tunes the queue, retries and rate of a channel. Zero fields
// take the defaults of the channel's type (see DefaultDelivery).
type Delivery struct {
	// QueueSize bounds the messages waiting; a message that finds the
	// queue full is dropped and counted.
	QueueSize int `yaml:"queue_size,omitempty" json:"queue_size,omitempty"`
	// MaxAttempts counts the first attempt: 1 means no retry.
	MaxAttempts int `yaml:"max_attempts,omitempty" json:"max_attempts,omitempty"`
	// InitialBackoff is the wait before the first retry; each retry
	// doubles it, up to MaxBackoff, with jitter.
	InitialBackoff Duration `yaml:"initial_backoff,omitempty" json:"initial_backoff,omitempty"`
	MaxBackoff     Duration `yaml:"max_backoff,omitempty" json:"max_backoff,omitempty"`
	// Timeout bounds one attempt.
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// RatePerMinute and Burst limit the attempts (retries included):
	// Burst at once, then RatePerMinute per minute.
	RatePerMinute int `yaml:"rate_per_minute,omitempty" json:"rate_per_minute,omitempty"`
	Burst         int `yaml:"burst,omitempty" json:"burst,omitempty"`
}

// TLSConfig configures the TLS client of a channel.
type TLSConfig struct {
	// CAFile is a PEM file of the CAs to trust instead of the system's.
	CAFile string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	// CertFile and KeyFile are a client certificate (PEM), for servers
	// that authenticate their clients.
	CertFile string `yaml:"cert_file,omitempty" json:"cert_file,omitempty"`
	KeyFile  string `yaml:"key_file,omitempty" json:"key_file,omitempty"`
	// ServerName overrides the name checked in the server's certificate.
	ServerName string `yaml:"server_name,omitempty" json:"server_name,omitempty"`
	// InsecureSkipVerify accepts any server certificate. For tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
}

// WebhookConfig posts the message as JSON to any URL.
type WebhookConfig struct {
	URL string `yaml:"url" json:"url"`
	// Secret, when set, signs each body: header X-Vigil-Signature-256 is
	// "sha256=" and the hex HMAC-SHA256 of the body under the secret.
	Secret Secret `yaml:"secret,omitempty" json:"secret,omitempty"`
	// Headers are added to each request (e.g. Authorization); their
	// values are treated as secrets.
	Headers map[string]Secret `yaml:"headers,omitempty" json:"headers,omitempty"`
	TLS     *TLSConfig        `yaml:"tls,omitempty" json:"tls,omitempty"`
}

// Syslog networks.
const (
	NetworkUDP = "udp"
	NetworkTCP = "tcp"
	NetworkTLS = "tls"
)

// Syslog formats.
const (
	FormatRFC5424 = "rfc5424"
	FormatCEF     = "cef"
)

// SyslogConfig sends RFC 5424 messages, whose MSG is either text with the
// alert in structured data (format rfc5424) or an ArcSight CEF record
// (format cef), over UDP (RFC 5426), TCP with octet counting (RFC 6587)
// or TLS (RFC 5425).
type SyslogConfig struct {
	Network string `yaml:"network" json:"network"`
	// Address is host:port of the collector.
	Address string `yaml:"address" json:"address"`
	// Format is rfc5424 (default) or cef.
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// Facility is a facility name (kern, user, ... auth, authpriv,
	// local0 ... local7); default local0.
	Facility string `yaml:"facility,omitempty" json:"facility,omitempty"`
	// Hostname is the HOSTNAME field (default: this machine's name).
	Hostname string `yaml:"hostname,omitempty" json:"hostname,omitempty"`
	// AppName is the APP-NAME field (default vigil-center).
	AppName string `yaml:"app_name,omitempty" json:"app_name,omitempty"`
	// SDID is the id of the structured data element of format rfc5424,
	// NAME@ENTERPRISE-NUMBER (default vigil@32473).
	SDID string `yaml:"sd_id,omitempty" json:"sd_id,omitempty"`
	// MaxMessageBytes bounds a message; longer ones lose the end of their
	// text (default 8192; UDP at most 65000).
	MaxMessageBytes int        `yaml:"max_message_bytes,omitempty" json:"max_message_bytes,omitempty"`
	TLS             *TLSConfig `yaml:"tls,omitempty" json:"tls,omitempty"`
}

// E-mail transport security.
const (
	SecuritySTARTTLS = "starttls"
	SecurityTLS      = "tls"
	SecurityNone     = "none"
)

// EmailConfig sends a multipart (text and HTML) mail over SMTP.
type EmailConfig struct {
	Host string `yaml:"host" json:"host"`
	// Port defaults to 587 with starttls, 465 with tls and 25 with none.
	Port int `yaml:"port,omitempty" json:"port,omitempty"`
	// Security is starttls (default; required by the server), tls
	// (implicit TLS) or none (only without credentials).
	Security string `yaml:"security,omitempty" json:"security,omitempty"`
	// Username and Password authenticate with AUTH PLAIN.
	Username string `yaml:"username,omitempty" json:"username,omitempty"`
	Password Secret `yaml:"password,omitempty" json:"password,omitempty"`
	// From is one address ("Vigil <vigil@example.com>").
	From string   `yaml:"from" json:"from"`
	To   []string `yaml:"to" json:"to"`
	// SubjectPrefix starts every subject (default "[Vigil]").
	SubjectPrefix string `yaml:"subject_prefix,omitempty" json:"subject_prefix,omitempty"`
	// Hello is the name given in EHLO (default: this machine's name).
	Hello string     `yaml:"hello,omitempty" json:"hello,omitempty"`
	TLS   *TLSConfig `yaml:"tls,omitempty" json:"tls,omitempty"`
}

// DingTalkConfig posts markdown to a DingTalk custom robot.
type DingTalkConfig struct {
	// URL is the robot's webhook with its access_token
	// (https://oapi.dingtalk.com/robot/send?access_token=...).
	URL string `yaml:"url" json:"url"`
	// Secret is the robot's signing secret ("SEC..."), when the robot's
	// security setting is signing.
	Secret Secret `yaml:"secret,omitempty" json:"secret,omitempty"`
	// AtMobiles are the mobile numbers to mention; AtAll mentions
	// everyone.
	AtMobiles []string `yaml:"at_mobiles,omitempty" json:"at_mobiles,omitempty"`
	AtAll     bool     `yaml:"at_all,omitempty" json:"at_all,omitempty"`
}

// WeComConfig posts markdown to a WeCom (企业微信) group robot.
type WeComConfig struct {
	// URL is the robot's webhook with its key
	// (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...).
	URL string `yaml:"url" json:"url"`
}

// Feishu message formats.
const (
	FeishuCard = "card"
	FeishuPost = "post"
)

// FeishuConfig posts to a Feishu or Lark custom bot.
type FeishuConfig struct {
	// URL is the bot's webhook
	// (https://open.feishu.cn/open-apis/bot/v2/hook/..., or Lark's
	// open.larksuite.com).
	URL string `yaml:"url" json:"url"`
	// Secret is the bot's signing secret, when signature verification is
	// on.
	Secret Secret `yaml:"secret,omitempty" json:"secret,omitempty"`
	// Format is card (interactive card, default) or post (rich text).
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
}

// DefaultDelivery returns the delivery settings of a type. Robot rates
// stay under the vendors' limits: DingTalk and WeCom allow 20 messages a
// minute per robot, Feishu 100 a minute and 5 a second.
func DefaultDelivery(t ChannelType) Delivery {
	d := Delivery{
		QueueSize:      1000,
		MaxAttempts:    5,
		InitialBackoff: Duration(2 * time.Second),
		MaxBackoff:     Duration(2 * time.Minute),
		Timeout:        Duration(10 * time.Second),
		RatePerMinute:  600,
		Burst:          20,
	}
	switch t {
	case TypeDingTalk, TypeWeCom:
		d.RatePerMinute, d.Burst = 18, 1
	case TypeFeishu:
		d.RatePerMinute, d.Burst = 90, 3
	case TypeEmail:
		d.RatePerMinute, d.Burst, d.Timeout = 60, 5, Duration(30*time.Second)
	case TypeSyslog:
		d.RatePerMinute, d.Burst = 60000, 500
	}
	return d
}

// withDefaults fills the zero fields of d from the type's defaults.
func (d Delivery) withDefaults(t ChannelType) Delivery {
	def := DefaultDelivery(t)
	setInt := func(v *int, dv int) {
		if *v == 0 {
			*v = dv
		}
	}
	setDur := func(v *Duration, dv Duration) {
		if *v == 0 {
			*v = dv
		}
	}
	setInt(&d.QueueSize, def.QueueSize)
	setInt(&d.MaxAttempts, def.MaxAttempts)
	setDur(&d.InitialBackoff, def.InitialBackoff)
	setDur(&d.MaxBackoff, def.MaxBackoff)
	setDur(&d.Timeout, def.Timeout)
	setInt(&d.RatePerMinute, def.RatePerMinute)
	setInt(&d.Burst, def.Burst)
	return d
}

// secrets returns every credential of the channel, for its redactor.
func (c ChannelConfig) secrets() []string {
	var out []string
	switch {
	case c.Webhook != nil:
		out = append(out, urlSecrets(c.Webhook.URL)...)
		out = append(out, string(c.Webhook.Secret))
		for _, v := range c.Webhook.Headers {
			out = append(out, string(v))
		}
	case c.Email != nil:
		out = append(out, string(c.Email.Password))
		if c.Email.Username != "" && c.Email.Password != "" {
			// The AUTH PLAIN response, which the redactor also scrubs in
			// base64, in case a server repeats it.
			out = append(out, "\x00"+c.Email.Username+"\x00"+string(c.Email.Password))
		}
	case c.DingTalk != nil:
		out = append(out, urlSecrets(c.DingTalk.URL)...)
		out = append(out, string(c.DingTalk.Secret))
	case c.WeCom != nil:
		out = append(out, urlSecrets(c.WeCom.URL)...)
	case c.Feishu != nil:
		out = append(out, urlSecrets(c.Feishu.URL)...)
		out = append(out, string(c.Feishu.Secret))
	}
	return out
}

// Redacted returns a copy of c fit to show in logs and messages: secrets
// read [REDACTED] and URLs lose their credentials. (The API shows
// ConfigView instead, which an update takes back.)
func (c ChannelConfig) Redacted() ChannelConfig {
	hide := func(s Secret) Secret {
		if s == "" {
			return ""
		}
		return redactedMark
	}
	if w := c.Webhook; w != nil {
		cp := *w
		cp.URL, cp.Secret = redactURL(w.URL), hide(w.Secret)
		if w.Headers != nil {
			cp.Headers = make(map[string]Secret, len(w.Headers))
			for k, v := range w.Headers {
				cp.Headers[k] = hide(v)
			}
		}
		c.Webhook = &cp
	}
	if e := c.Email; e != nil {
		cp := *e
		cp.Password = hide(e.Password)
		c.Email = &cp
	}
	if d := c.DingTalk; d != nil {
		cp := *d
		cp.URL, cp.Secret = redactURL(d.URL), hide(d.Secret)
		c.DingTalk = &cp
	}
	if w := c.WeCom; w != nil {
		cp := *w
		cp.URL = redactURL(w.URL)
		c.WeCom = &cp
	}
	if f := c.Feishu; f != nil {
		cp := *f
		cp.URL, cp.Secret = redactURL(f.URL), hide(f.Secret)
		c.Feishu = &cp
	}
	return c
}

// String shows the redacted configuration, so that printing a
// configuration never prints a credential.
func (c ChannelConfig) String() string {
	r := c.Redacted()
	return fmt.Sprintf("%s channel %q (%s)", r.Type, r.Name, r.target())
}

// target is where a channel delivers, without credentials.
func (c ChannelConfig) target() string {
	switch {
	case c.Webhook != nil:
		return redactURL(c.Webhook.URL)
	case c.Syslog != nil:
		return c.Syslog.Network + "://" + c.Syslog.Address
	case c.Email != nil:
		return fmt.Sprintf("smtp %s:%d", c.Email.Host, c.Email.Port)
	case c.DingTalk != nil:
		return redactURL(c.DingTalk.URL)
	case c.WeCom != nil:
		return redactURL(c.WeCom.URL)
	case c.Feishu != nil:
		return redactURL(c.Feishu.URL)
	default:
		return "no destination"
	}
}

// GoString is String, so that %#v does not print credentials either.
func (c ChannelConfig) GoString() string { return c.String() }

// LogValue logs the channel by name, type and redacted target.
func (c ChannelConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", c.Name),
		slog.String("type", string(c.Type)),
		slog.String("target", c.Redacted().target()),
	)
}

// String shows the section without credentials.
func (w WebhookConfig) String() string { return "webhook " + redactURL(w.URL) }

// GoString is String, for %#v.
func (w WebhookConfig) GoString() string { return w.String() }

// String shows the section without credentials.
func (e EmailConfig) String() string { return fmt.Sprintf("smtp %s:%d", e.Host, e.Port) }

// GoString is String, for %#v.
func (e EmailConfig) GoString() string { return e.String() }

// String shows the section without credentials.
func (d DingTalkConfig) String() string { return "dingtalk " + redactURL(d.URL) }

// GoString is String, for %#v.
func (d DingTalkConfig) GoString() string { return d.String() }

// String shows the section without credentials.
func (w WeComConfig) String() string { return "wecom " + redactURL(w.URL) }

// GoString is String, for %#v.
func (w WeComConfig) GoString() string { return w.String() }

// String shows the section without credentials.
func (f FeishuConfig) String() string { return "feishu " + redactURL(f.URL) }

// GoString is String, for %#v.
func (f FeishuConfig) GoString() string { return f.String() }
