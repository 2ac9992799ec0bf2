package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/store"
)

// Credentials of sampleChannels.
var sampleSecrets = []string{
	"hooktoken0123456789abc", "whsec-0a1b2c3d", "Bearer hdr-7e6d5c", "robot0token0123456789ab",
	"SECdead0beef1234", "smtp-pw-7a6b", "wecomkey0123456789ab", "feishuhook0123456789ab", "fs-sign-9z8y",
}

// sampleChannels has a channel of each type with every write-only field
// set.
func sampleChannels() []ChannelConfig {
	s := sampleSecrets
	return []ChannelConfig{
		{Name: "ticketing", Type: TypeWebhook, Language: Chinese, Filter: Filter{MinSeverity: store.SeverityHigh, Techniques: []string{"T1059"}},
			Delivery: Delivery{Timeout: Duration(5 * time.Second)},
			Webhook: &WebhookConfig{URL: "https://tickets.example.internal/hooks/vigil?token=" + s[0], Secret: Secret(s[1]),
				Headers: map[string]Secret{"Authorization": Secret(s[2])}, TLS: &TLSConfig{ServerName: "tickets"}}},
		{Name: "siem", Type: TypeSyslog, Syslog: &SyslogConfig{Network: NetworkTCP, Address: "siem.example.internal:6514", Format: FormatCEF}},
		{Name: "soc-mail", Type: TypeEmail, Disabled: true, Email: &EmailConfig{Host: "smtp.example.internal", Port: 587, Username: "vigil",
			Password: Secret(s[5]), From: "Vigil <vigil@example.internal>", To: []string{"soc@example.internal"}}},
		{Name: "soc-dingtalk", Type: TypeDingTalk, DingTalk: &DingTalkConfig{URL: "https://oapi.dingtalk.com/robot/send?access_token=" + s[3],
			Secret: Secret(s[4]), AtMobiles: []string{"+86-13800000000"}}},
		{Name: "ops-wecom", Type: TypeWeCom, WeCom: &WeComConfig{URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + s[6]}},
		{Name: "ops-feishu", Type: TypeFeishu, Feishu: &FeishuConfig{URL: "https://open.feishu.cn/open-apis/bot/v2/hook/" + s[7],
			Secret: Secret(s[8]), Format: FeishuPost}},
	}
}

func TestSplitAndWithSecrets(t *testing.T) {
	for _, c := range sampleChannels() {
		t.Run(c.Name, func(t *testing.T) {
			orig, _ := json.Marshal(c)
			pub, sec := SplitSecrets(c)
			if got, _ := json.Marshal(c); !bytes.Equal(got, orig) {
				t.Fatal("SplitSecrets changed its argument")
			}
			data, err := json.Marshal(pub)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sampleSecrets {
				if bytes.Contains(data, []byte(s)) {
					t.Errorf("the public part holds %q: %s", s, data)
				}
			}
			if (c.Type == TypeSyslog) != sec.IsZero() {
				t.Errorf("secrets %+v", sec)
			}
			if diff := cmp.Diff(c, WithSecrets(pub, sec)); diff != "" {
				t.Errorf("WithSecrets(SplitSecrets) (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConfigView shows every sample channel as the API does.
func TestConfigView(t *testing.T) {
	var out bytes.Buffer
	for _, c := range sampleChannels() {
		v := ConfigView(c)
		for _, s := range sampleSecrets {
			if bytes.Contains(v, []byte(s)) {
				t.Errorf("%s: the view holds %q", c.Name, s)
			}
		}
		if err := json.Indent(&out, v, "", "  "); err != nil {
			t.Fatal(err)
		}
		out.WriteString("\n")
		// The view given back as an update keeps everything.
		back, changed, err := ParseChannelUpdate(v, c.Name, &c)
		if err != nil {
			t.Errorf("%s: its view does not parse back: %v", c.Name, err)
			continue
		}
		if diff := cmp.Diff(c, back); diff != "" || len(changed) != 0 {
			t.Errorf("%s: view given back, changed %q (-want +got):\n%s", c.Name, changed, diff)
		}
	}
	golden(t, "config_view.golden", out.Bytes())
}

func TestParseChannelUpdate(t *testing.T) {
	prev := sampleChannels()[0] // the webhook
	hookURL := prev.Webhook.URL
	for _, tc := range []struct {
		name    string
		body    string
		prev    *ChannelConfig
		check   func(t *testing.T, c ChannelConfig)
		changed []string
		err     string
	}{
		{"secrets left out are kept", `{"type":"webhook","webhook":{}}`, &prev,
			func(t *testing.T, c ChannelConfig) {
				if c.Webhook.URL != hookURL || c.Webhook.Secret != prev.Webhook.Secret || !cmp.Equal(c.Webhook.Headers, prev.Webhook.Headers) {
					t.Errorf("webhook %+v", *c.Webhook)
				}
				if c.Language != "" || c.Webhook.TLS != nil {
					t.Error("what is not write-only was kept")
				}
			}, nil, ""},
		{"markers keep", `{"type":"webhook","webhook":{"url":{"set":true,"redacted":"x"},"secret":{"set":true},"headers":{"Authorization":{"set":true}}}}`, &prev,
			func(t *testing.T, c ChannelConfig) {
				if c.Webhook.URL != hookURL || c.Webhook.Secret != prev.Webhook.Secret || c.Webhook.Headers["Authorization"] != prev.Webhook.Headers["Authorization"] {
					t.Errorf("webhook %+v", *c.Webhook)
				}
			}, nil, ""},
		{"new values replace", `{"type":"webhook","webhook":{"url":"https://h.example/new","secret":"s2","headers":{"X-Team":"soc"}}}`, &prev,
			func(t *testing.T, c ChannelConfig) {
				if c.Webhook.URL != "https://h.example/new" || c.Webhook.Secret != "s2" || len(c.Webhook.Headers) != 1 || c.Webhook.Headers["X-Team"] != "soc" {
					t.Errorf("webhook %+v", *c.Webhook)
				}
			}, []string{"webhook.url", "webhook.secret", "webhook.headers.Authorization", "webhook.headers.X-Team"}, ""},
		{"empty and null clear", `{"type":"webhook","webhook":{"secret":"","headers":null}}`, &prev,
			func(t *testing.T, c ChannelConfig) {
				if c.Webhook.URL != hookURL || c.Webhook.Secret != "" || c.Webhook.Headers != nil {
					t.Errorf("webhook %+v", *c.Webhook)
				}
			}, []string{"webhook.secret", "webhook.headers.Authorization"}, ""},
		{"set false clears, a header removed with null", `{"type":"webhook","webhook":{"secret":{"set":false},"headers":{"Authorization":null,"X-A":"1"}}}`, &prev,
			func(t *testing.T, c ChannelConfig) {
				if c.Webhook.Secret != "" || len(c.Webhook.Headers) != 1 || c.Webhook.Headers["X-A"] != "1" {
					t.Errorf("webhook %+v", *c.Webhook)
				}
			}, []string{"webhook.secret", "webhook.headers.Authorization", "webhook.headers.X-A"}, ""},
		{"name from the path", `{"type":"wecom","wecom":{"url":"https://q.example/s?key=k"}}`, nil,
			func(t *testing.T, c ChannelConfig) {
				if c.Name != "ticketing" {
					t.Errorf("name %q", c.Name)
				}
			}, []string{"wecom.url"}, ""},
		{"another type keeps nothing", `{"type":"dingtalk","dingtalk":{"url":"https://oapi.dingtalk.com/robot/send?access_token=t"}}`, &prev,
			func(t *testing.T, c ChannelConfig) {
				if c.DingTalk.Secret != "" {
					t.Error("a secret of the webhook went to the robot")
				}
			}, []string{"dingtalk.url"}, ""},
		{"numbers as written", `{"type":"syslog","syslog":{"network":"udp","address":"127.0.0.1:514","max_message_bytes":1200}}`, nil,
			func(t *testing.T, c ChannelConfig) {
				if c.Syslog.MaxMessageBytes != 1200 {
					t.Errorf("max_message_bytes %d", c.Syslog.MaxMessageBytes)
				}
			}, nil, ""},
		{"keep without a stored header", `{"type":"webhook","webhook":{"headers":{"X-B":{"set":true}}}}`, &prev, nil, nil,
			`webhook.headers.X-B: {"set": true} keeps the stored value, but none is stored`},
		{"keep on a new channel", `{"type":"webhook","webhook":{"url":{"set":true}}}`, nil, nil, nil,
			`webhook.url: {"set": true} keeps the stored value, but none is stored`},
		{"marker with other keys", `{"type":"webhook","webhook":{"secret":{"set":true,"value":"x"}}}`, &prev, nil, nil,
			"webhook.secret: want the value, or {\"set\": true} to keep the stored one"},
		{"marker with a string", `{"type":"webhook","webhook":{"secret":{"set":"yes"}}}`, &prev, nil, nil, "webhook.secret: want the value"},
		{"a marker is no value elsewhere", `{"type":"webhook","webhook":{"tls":{"ca_file":{"set":true}}}}`, &prev, nil, nil, "bad JSON:"},
		{"another name", `{"name":"other","type":"webhook","webhook":{}}`, &prev, nil, nil, `name: is "other", but the channel updated is "ticketing"`},
		{"a name that is no string", `{"name":7,"type":"webhook","webhook":{}}`, &prev, nil, nil, "bad JSON:"},
		{"unknown field in a section", `{"type":"webhook","webhook":{"sekret":"x"}}`, &prev, nil, nil, `bad JSON: unknown field "sekret"`},
		{"trailing data", `{"type":"webhook","webhook":{}} {}`, &prev, nil, nil, "bad JSON: data after the document"},
		{"not an object", `"webhook"`, &prev, nil, nil, "bad JSON: want an object"},
		{"invalid values", `{"type":"webhook","webhook":{"url":"nope"},"language":"de"}`, &prev, nil, nil, "language: must be en or zh\nwebhook.url:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, changed, err := ParseChannelUpdate([]byte(tc.body), "ticketing", tc.prev)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) || !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("error %v, want one starting with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("accepted an invalid channel: %v", err)
			}
			tc.check(t, c)
			if !slices.Equal(changed, tc.changed) {
				t.Errorf("changed %q, want %q", changed, tc.changed)
			}
		})
	}
}

func TestFieldProblems(t *testing.T) {
	_, _, err := ParseChannelUpdate([]byte(`{"type":"email","email":{"host":"a b","to":[]}}`), "m", nil)
	got := FieldProblems(errors.Join(err, &FieldError{Reason: "and one more"}))
	want := []FieldProblem{
		{"email.host", "must be a host name or address"},
		{"email.from", "is not an e-mail address"},
		{"email.to", "needs at least one address"},
		{"", "and one more"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FieldProblems (-want +got):\n%s", diff)
	}
	if FieldProblems(errors.New("plain")) != nil || FieldProblems(nil) != nil {
		t.Error("problems of an error without fields")
	}
}

// FuzzParseChannelUpdate decodes arbitrary API bodies against a stored
// webhook: never a panic; what is accepted validates, carries the path's
// name, and shows no stored credential the body did not give.
func FuzzParseChannelUpdate(f *testing.F) {
	prev := sampleChannels()[0]
	for _, c := range sampleChannels() {
		f.Add([]byte(ConfigView(c)))
	}
	f.Add([]byte(`{"type":"webhook","webhook":{}}`))
	f.Add([]byte(`{"type":"webhook","webhook":{"url":{"set":true},"headers":{"A":{"set":false},"B":null}}}`))
	f.Add([]byte(`{"type":"webhook","webhook":{"secret":null,"headers":{"Authorization":{"set":true}}},"delivery":{"timeout":"1s"}}`))
	f.Add([]byte(`{"name":"ticketing","type":"email","email":{"password":{"set":true}}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"type":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, changed, err := ParseChannelUpdate(data, "ticketing", &prev)
		if err != nil {
			if err.Error() == "" || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %q is not a validation error", err)
			}
			return
		}
		if err := c.Validate(); err != nil || c.Name != "ticketing" {
			t.Fatalf("accepted %q: %v", c.Name, err)
		}
		view := ConfigView(c)
		for _, s := range sampleSecrets {
			if bytes.Contains(view, []byte(s)) && !bytes.Contains(data, []byte(s)) {
				t.Fatalf("the view of an update shows the stored credential %q", s)
			}
		}
		for _, p := range changed {
			if !strings.HasPrefix(p, string(c.Type)+".") {
				t.Fatalf("changed field %q of a %s channel", p, c.Type)
			}
		}
	})
}
