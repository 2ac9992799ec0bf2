package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/store"
)

func TestParseYAMLFull(t *testing.T) {
	cfg, err := LoadFile(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Channels) != 6 {
		t.Fatalf("%d channels, want 6", len(cfg.Channels))
	}
	if cfg.ConsoleURL != "https://vigil.example.com:8443" {
		t.Errorf("console_url = %q", cfg.ConsoleURL)
	}
	mail := cfg.Channels[2]
	if mail.Delivery.InitialBackoff.D() != 5*time.Second || mail.Delivery.MaxBackoff.D() != 10*time.Minute {
		t.Errorf("delivery = %+v", mail.Delivery)
	}
	if mail.Email.Password != "mail-pass-123" || mail.Language != Chinese {
		t.Errorf("email = %+v", mail.Email)
	}
	ding := cfg.Channels[3]
	if ding.Filter.MinSeverity != store.SeverityHigh || len(ding.Filter.RuleIDs) != 2 {
		t.Errorf("filter = %+v", ding.Filter)
	}
	if !cfg.Channels[5].Disabled || cfg.Channels[5].Feishu.Format != FeishuPost {
		t.Errorf("feishu = %+v", cfg.Channels[5])
	}
	// JSON round trip: what the API stores reads back the same.
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseJSON(data)
	if err != nil {
		t.Fatalf("ParseJSON of marshaled config: %v\n%s", err, data)
	}
	if diff := cmp.Diff(cfg, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

// validChannel returns a valid channel of each type.
func validChannel(t ChannelType) ChannelConfig {
	c := ChannelConfig{Name: "c1", Type: t}
	switch t {
	case TypeWebhook:
		c.Webhook = &WebhookConfig{URL: "https://example.com/hook"}
	case TypeSyslog:
		c.Syslog = &SyslogConfig{Network: NetworkUDP, Address: "127.0.0.1:514"}
	case TypeEmail:
		c.Email = &EmailConfig{Host: "smtp.example.com", From: "vigil@example.com", To: []string{"soc@example.com"}}
	case TypeDingTalk:
		c.DingTalk = &DingTalkConfig{URL: "https://oapi.dingtalk.com/robot/send?access_token=t"}
	case TypeWeCom:
		c.WeCom = &WeComConfig{URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
	case TypeFeishu:
		c.Feishu = &FeishuConfig{URL: "https://open.feishu.cn/open-apis/bot/v2/hook/abc"}
	}
	return c
}

func TestValidChannels(t *testing.T) {
	for _, typ := range channelTypes {
		if err := validChannel(typ).Validate(); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
}

func TestChannelValidationErrors(t *testing.T) {
	tests := []struct {
		name   string
		typ    ChannelType
		mutate func(*ChannelConfig)
		want   string // path: reason fragment
	}{
		{"empty name", TypeWebhook, func(c *ChannelConfig) { c.Name = "" }, "name: must be 1 to 63"},
		{"upper-case name", TypeWebhook, func(c *ChannelConfig) { c.Name = "SOC" }, "name: must be"},
		{"unknown type", TypeWebhook, func(c *ChannelConfig) { c.Type = "slack" }, "type: must be one of webhook, syslog, email, dingtalk, wecom, feishu"},
		{"missing section", TypeWebhook, func(c *ChannelConfig) { c.Webhook = nil }, "webhook: missing"},
		{"extra section", TypeWebhook, func(c *ChannelConfig) { c.WeCom = &WeComConfig{} }, "wecom: does not belong to a channel of type webhook"},
		{"language", TypeWebhook, func(c *ChannelConfig) { c.Language = "fr" }, "language: must be en or zh"},
		{"time zone", TypeWebhook, func(c *ChannelConfig) { c.TimeZone = "Mars/Olympus" }, "time_zone: unknown time zone"},
		{"min severity", TypeWebhook, func(c *ChannelConfig) { c.Filter.MinSeverity = "urgent" }, "filter.min_severity: must be low"},
		{"rule pattern", TypeWebhook, func(c *ChannelConfig) { c.Filter.RuleIDs = []string{"vigil.[a"} }, "filter.rule_ids[0]: "},
		{"technique", TypeWebhook, func(c *ChannelConfig) { c.Filter.Techniques = []string{"T1", "T1059"} }, "filter.techniques[0]: \"T1\" is not an ATT&CK"},
		{"queue size", TypeWebhook, func(c *ChannelConfig) { c.Delivery.QueueSize = -1 }, "delivery.queue_size: -1 is out of range"},
		{"attempts", TypeWebhook, func(c *ChannelConfig) { c.Delivery.MaxAttempts = 50 }, "delivery.max_attempts: 50 is out of range 1 to 20"},
		{"backoff order", TypeWebhook, func(c *ChannelConfig) {
			c.Delivery.InitialBackoff, c.Delivery.MaxBackoff = Duration(time.Minute), Duration(time.Second)
		}, "delivery.max_backoff: 1s is shorter than initial_backoff 1m0s"},
		{"max backoff under default initial", TypeWebhook, func(c *ChannelConfig) { c.Delivery.MaxBackoff = Duration(time.Second) }, "delivery.max_backoff: 1s is shorter than initial_backoff 2s"},
		{"timeout", TypeWebhook, func(c *ChannelConfig) { c.Delivery.Timeout = Duration(time.Hour) }, "delivery.timeout: 1h0m0s is out of range"},
		{"rate", TypeWebhook, func(c *ChannelConfig) { c.Delivery.RatePerMinute = -5 }, "delivery.rate_per_minute"},
		{"webhook scheme", TypeWebhook, func(c *ChannelConfig) { c.Webhook.URL = "ftp://example.com/x" }, "webhook.url: must be an http or https URL"},
		{"webhook no host", TypeWebhook, func(c *ChannelConfig) { c.Webhook.URL = "https:///x" }, "webhook.url: must have a host"},
		{"webhook reserved header", TypeWebhook, func(c *ChannelConfig) { c.Webhook.Headers = map[string]Secret{"content-type": "x"} }, "webhook.headers: Content-Type is set by the channel"},
		{"webhook vigil header", TypeWebhook, func(c *ChannelConfig) { c.Webhook.Headers = map[string]Secret{"X-Vigil-Event": "x"} }, "webhook.headers: X-Vigil-Event is set by the channel"},
		{"webhook bad header name", TypeWebhook, func(c *ChannelConfig) { c.Webhook.Headers = map[string]Secret{"Bad Name": "x"} }, "webhook.headers: \"Bad Name\" is not a valid header name"},
		{"webhook header injection", TypeWebhook, func(c *ChannelConfig) { c.Webhook.Headers = map[string]Secret{"X-Token": "a\r\nHost: evil"} }, "has a line break"},
		{"webhook tls on http", TypeWebhook, func(c *ChannelConfig) { c.Webhook.URL, c.Webhook.TLS = "http://example.com/", &TLSConfig{} }, "webhook.tls: is set but the URL is http"},
		{"webhook cert without key", TypeWebhook, func(c *ChannelConfig) { c.Webhook.TLS = &TLSConfig{CertFile: "c.pem"} }, "webhook.tls.cert_file: cert_file and key_file go together"},
		{"syslog network", TypeSyslog, func(c *ChannelConfig) { c.Syslog.Network = "sctp" }, "syslog.network: must be udp, tcp or tls"},
		{"syslog address", TypeSyslog, func(c *ChannelConfig) { c.Syslog.Address = "collector" }, "syslog.address: must be host:port"},
		{"syslog port", TypeSyslog, func(c *ChannelConfig) { c.Syslog.Address = "collector:70000" }, "syslog.address: port \"70000\""},
		{"syslog format", TypeSyslog, func(c *ChannelConfig) { c.Syslog.Format = "leef" }, "syslog.format: must be rfc5424 or cef"},
		{"syslog facility", TypeSyslog, func(c *ChannelConfig) { c.Syslog.Facility = "local9" }, "syslog.facility: unknown facility \"local9\""},
		{"syslog hostname", TypeSyslog, func(c *ChannelConfig) { c.Syslog.Hostname = "my host" }, "syslog.hostname: must be 1 to 255 printable"},
		{"syslog app name", TypeSyslog, func(c *ChannelConfig) { c.Syslog.AppName = strings.Repeat("a", 49) }, "syslog.app_name"},
		{"syslog sd id", TypeSyslog, func(c *ChannelConfig) { c.Syslog.SDID = "vigil" }, "syslog.sd_id: must be NAME@ENTERPRISE-NUMBER"},
		{"syslog sd id number", TypeSyslog, func(c *ChannelConfig) { c.Syslog.SDID = "vigil@abc" }, "syslog.sd_id"},
		{"syslog udp size", TypeSyslog, func(c *ChannelConfig) { c.Syslog.MaxMessageBytes = 70000 }, "syslog.max_message_bytes: 70000 is out of range 480 to 65000"},
		{"syslog tls on udp", TypeSyslog, func(c *ChannelConfig) { c.Syslog.TLS = &TLSConfig{} }, "syslog.tls: is set but network is udp"},
		{"email host", TypeEmail, func(c *ChannelConfig) { c.Email.Host = "" }, "email.host: must be a host name"},
		{"email port", TypeEmail, func(c *ChannelConfig) { c.Email.Port = 99999 }, "email.port: 99999 is out of range"},
		{"email security", TypeEmail, func(c *ChannelConfig) { c.Email.Security = "ssl" }, "email.security: must be starttls, tls or none"},
		{"email user without password", TypeEmail, func(c *ChannelConfig) { c.Email.Username = "u" }, "email.username: username and password go together"},
		{"email password in clear", TypeEmail, func(c *ChannelConfig) {
			c.Email.Username, c.Email.Password, c.Email.Security = "u", "p", SecurityNone
		}, "email.security: none would send the password in clear"},
		{"email from", TypeEmail, func(c *ChannelConfig) { c.Email.From = "not an address" }, "email.from: is not an e-mail address"},
		{"email no to", TypeEmail, func(c *ChannelConfig) { c.Email.To = nil }, "email.to: needs at least one address"},
		{"email bad to", TypeEmail, func(c *ChannelConfig) { c.Email.To = []string{"a@b.c", "nope"} }, "email.to[1]: \"nope\" is not an e-mail address"},
		{"email subject prefix", TypeEmail, func(c *ChannelConfig) { c.Email.SubjectPrefix = "a\nBcc: x@y.z" }, "email.subject_prefix: must be one line"},
		{"dingtalk token", TypeDingTalk, func(c *ChannelConfig) { c.DingTalk.URL = "https://oapi.dingtalk.com/robot/send" }, "dingtalk.url: must carry the robot's access_token"},
		{"dingtalk mobile", TypeDingTalk, func(c *ChannelConfig) { c.DingTalk.AtMobiles = []string{"call me"} }, "dingtalk.at_mobiles[0]: is not a mobile number"},
		{"wecom key", TypeWeCom, func(c *ChannelConfig) { c.WeCom.URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send" }, "wecom.url: must carry the robot's key"},
		{"feishu hook", TypeFeishu, func(c *ChannelConfig) { c.Feishu.URL = "https://open.feishu.cn/open-apis/bot/v2/" }, "feishu.url: must be the bot's webhook"},
		{"feishu format", TypeFeishu, func(c *ChannelConfig) { c.Feishu.Format = "text" }, "feishu.format: must be card or post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validChannel(tt.typ)
			tt.mutate(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error does not wrap ErrInvalidConfig: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestURLErrorsDoNotRepeatTheURL(t *testing.T) {
	c := validChannel(TypeDingTalk)
	c.DingTalk.URL = "ftp://oapi.dingtalk.com/robot/send?access_token=very-secret-token"
	err := c.Validate()
	if err == nil || strings.Contains(err.Error(), "very-secret-token") {
		t.Errorf("error = %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	a, b := validChannel(TypeWebhook), validChannel(TypeWeCom)
	b.Name = a.Name
	err := Config{ConsoleURL: "https://x.example/?q=1", Channels: []ChannelConfig{a, b}}.Validate()
	for _, want := range []string{
		"console_url: must not have a query or fragment",
		`channels[1].name: "c1" is already the name of channels[0]`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}
}

func TestParseYAMLErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown field", "channels:\n  - name: a\n    type: webhook\n    webhok: {}\n", "line 4: field webhok not found"},
		{"wrong type", "channels:\n  - name: a\n    type: webhook\n    disabled: maybe\n", "line 4: cannot unmarshal"},
		{"duration as number", "channels:\n  - name: a\n    type: webhook\n    delivery:\n      timeout: 10\n    webhook: {url: 'https://x.example/'}\n", "line 5: duration must be a string"},
		{"bad duration", "channels:\n  - name: a\n    type: webhook\n    delivery:\n      timeout: 10 parsecs\n    webhook: {url: 'https://x.example/'}\n", `bad duration "10 parsecs"`},
		{"two documents", "channels: []\n---\nchannels: []\n", "more than one YAML document"},
		{"validation", "channels:\n  - name: a\n    type: webhook\n    webhook:\n      url: gopher://x\n", "webhook.url: must be an http or https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseYAML([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v does not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseYAMLErrorHidesValues(t *testing.T) {
	// A secret put where a number belongs must not come back in the error.
	_, err := ParseYAML([]byte("channels:\n  - name: a\n    type: webhook\n    delivery:\n      queue_size: SECabcdef0123\n"))
	if err == nil || strings.Contains(err.Error(), "SECabc") {
		t.Errorf("error = %v", err)
	}
}

func TestLoadFileNamesFileAndLine(t *testing.T) {
	doc := `channels:
  - name: ok
    type: wecom
    wecom:
      url: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k
  - name: broken
    type: dingtalk
    filter:
      min_severity: severe
    dingtalk:
      url: https://oapi.dingtalk.com/robot/send
`
	name := filepath.Join(t.TempDir(), "notify.yaml")
	if err := os.WriteFile(name, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(name)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		name + ":9: channels[1].filter.min_severity: must be low, medium, high or critical",
		name + ":11: channels[1].dingtalk.url: must carry the robot's access_token",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error\n%v\ndoes not contain\n%s", err, want)
		}
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("no error for a missing file")
	}
}

func TestParseJSONStrict(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unknown field", `{"channels":[{"name":"a","type":"wecom","wecom":{"url":"https://q.example/?key=k","token":"x"}}]}`, `unknown field "token"`},
		{"trailing data", `{"channels":[]} {}`, "data after the document"},
		{"bad duration", `{"channels":[{"name":"a","type":"wecom","delivery":{"timeout":5},"wecom":{"url":"https://q.example/?key=k"}}]}`, "duration must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseJSON([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v does not contain %q", err, tt.want)
			}
		})
	}
	ch, err := ParseChannelJSON([]byte(`{"name":"a","type":"feishu","feishu":{"url":"https://open.feishu.cn/open-apis/bot/v2/hook/x","secret":"s"}}`))
	if err != nil || ch.Feishu.Secret != "s" {
		t.Errorf("ParseChannelJSON = %+v, %v", ch, err)
	}
}

func TestDeliveryDefaults(t *testing.T) {
	d := Delivery{MaxAttempts: 3}.withDefaults(TypeDingTalk)
	want := Delivery{
		QueueSize: 1000, MaxAttempts: 3, InitialBackoff: Duration(2 * time.Second), MaxBackoff: Duration(2 * time.Minute),
		Timeout: Duration(10 * time.Second), RatePerMinute: 18, Burst: 1,
	}
	if d != want {
		t.Errorf("withDefaults = %+v, want %+v", d, want)
	}
	// The robots' defaults stay under their vendors' limits: a token
	// bucket lets through at most burst + rate in any minute.
	for typ, limit := range map[ChannelType]int{TypeDingTalk: 20, TypeWeCom: 20, TypeFeishu: 100} {
		d := DefaultDelivery(typ)
		if d.Burst+d.RatePerMinute > limit {
			t.Errorf("%s: burst %d + rate %d exceeds %d a minute", typ, d.Burst, d.RatePerMinute, limit)
		}
	}
}

// secretConfig has a secret in every place one can be.
func secretConfig() (ChannelConfig, []string) {
	secrets := []string{"whsec-S3CR3T-9f8e", "Bearer-T0KEN-77aa", "ding-ACCESS-t0ken-123", "SECding5ecret0042", "mail-P4SSW0RD-x", "feishuhook0123abcdef", "wecom-K3Y-0099"}
	c := ChannelConfig{Name: "all", Type: TypeWebhook,
		Webhook: &WebhookConfig{
			URL:     "https://user:" + secrets[0] + "@hooks.example.com/in/feishuhook0123abcdef?token=" + secrets[2],
			Secret:  Secret(secrets[0]),
			Headers: map[string]Secret{"Authorization": Secret(secrets[1])},
		},
	}
	return c, secrets
}

func TestSecretsNeverFormatted(t *testing.T) {
	c, secrets := secretConfig()
	logger, logs := newLogger()
	logger.Info("config", "channel", c, "secret", c.Webhook.Secret)
	outputs := []string{
		fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c),
		fmt.Sprintf("%v %d %x %q %#v", c.Webhook.Secret, c.Webhook.Secret, c.Webhook.Secret, c.Webhook.Secret, c.Webhook.Secret),
		fmt.Sprintf("%v", *c.Webhook), fmt.Sprintf("%+v", c.Webhook.Headers),
		logs.String(),
	}
	for _, out := range outputs {
		if s, found := containsAny(out, secrets); found {
			t.Errorf("output shows secret %q: %s", s, out)
		}
	}
	if !strings.Contains(logs.String(), "hooks.example.com") {
		t.Errorf("log does not show the target: %s", logs.String())
	}
}

func TestRedacted(t *testing.T) {
	c, secrets := secretConfig()
	red := c.Redacted()
	data, err := json.Marshal(red)
	if err != nil {
		t.Fatal(err)
	}
	if s, found := containsAny(string(data), secrets); found {
		t.Errorf("Redacted shows %q: %s", s, data)
	}
	if red.Webhook.Secret != redactedMark || red.Webhook.Headers["Authorization"] != redactedMark {
		t.Errorf("Redacted = %+v", red.Webhook)
	}
	// The original is untouched.
	if c.Webhook.Secret != Secret(secrets[0]) {
		t.Error("Redacted changed its receiver")
	}
	for _, typ := range []ChannelType{TypeDingTalk, TypeWeCom, TypeFeishu, TypeEmail} {
		c := validChannel(typ)
		switch typ {
		case TypeDingTalk:
			c.DingTalk.Secret = "SECx-dingtalk"
		case TypeFeishu:
			c.Feishu.Secret = "fs-secret-feishu"
		case TypeEmail:
			c.Email.Username, c.Email.Password = "u", "pw-of-the-mail"
		}
		_, sec := SplitSecrets(c)
		data, err := json.Marshal(c.Redacted())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{sec.Secret, sec.Password} {
			if s != "" && strings.Contains(string(data), s) {
				t.Errorf("%s: Redacted shows %q", typ, s)
			}
		}
	}
}
