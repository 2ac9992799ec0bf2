package notify

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// echoServer answers every request with an error status and a body that
// repeats the request: URL, headers and body, as a careless or hostile
// endpoint might.
func echoServer(t *testing.T, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(status)
		fmt.Fprintf(w, "you sent %s %s headers %v body %s", r.Method, r.URL.String(), r.Header, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestNoSecretInLogsOrErrors configures a secret in every place one can
// be, makes every delivery fail in every way (servers that echo the
// request back, servers that refuse the credentials, addresses where no
// one listens), and checks that no secret, in any encoding, shows in the
// log, the stats or any error.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	cert := newTestCert(t)
	secrets := map[string]string{
		"webhook secret":   "whsec-LEAK-1a2b3c4d",
		"webhook header":   "Bearer-LEAK-5e6f7a8b",
		"webhook password": "userpass-LEAK-9c0d",
		"webhook query":    "qtoken-LEAK-1e2f3a",
		"webhook path":     "pathtok3n0LEAK4b5c6d",
		"dingtalk token":   "dingtok-LEAK-7e8f9a0b",
		"dingtalk secret":  "SECding-LEAK-1c2d3e4f",
		"wecom key":        "wecomkey-LEAK-5a6b7c8d",
		"feishu hook":      "feishuhook0LEAK9e0f1a2b",
		"feishu secret":    "fssecret-LEAK-3c4d5e6f",
		"smtp password":    "smtppass-LEAK-7a8b9c0d",
	}
	var forms []string
	for _, s := range secrets {
		forms = append(forms, s, url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(s)))
	}
	forms = append(forms, base64.StdEncoding.EncodeToString([]byte("\x00vigil\x00"+secrets["smtp password"])))

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := closed.Addr().String()
	closed.Close()

	smtpEcho := startSMTP(t, &smtpServer{tlsCfg: cert.serverConfig(), starttls: true, user: "vigil", pass: "something else", echoAuth: true})

	build := func(prefix, base string) []ChannelConfig {
		u, _ := url.Parse(base)
		host := u.Host
		del := fastDelivery(2)
		return []ChannelConfig{
			{Name: prefix + "-webhook", Type: TypeWebhook, Delivery: del, Webhook: &WebhookConfig{
				URL:     "http://vigil:" + secrets["webhook password"] + "@" + host + "/in/" + secrets["webhook path"] + "?token=" + secrets["webhook query"],
				Secret:  Secret(secrets["webhook secret"]),
				Headers: map[string]Secret{"Authorization": Secret(secrets["webhook header"])},
			}},
			{Name: prefix + "-dingtalk", Type: TypeDingTalk, Delivery: del, DingTalk: &DingTalkConfig{
				URL: "http://" + host + "/robot/send?access_token=" + secrets["dingtalk token"], Secret: Secret(secrets["dingtalk secret"]),
			}},
			{Name: prefix + "-wecom", Type: TypeWeCom, Delivery: del, WeCom: &WeComConfig{
				URL: "http://" + host + "/cgi-bin/webhook/send?key=" + secrets["wecom key"],
			}},
			{Name: prefix + "-feishu", Type: TypeFeishu, Delivery: del, Feishu: &FeishuConfig{
				URL: "http://" + host + "/open-apis/bot/v2/hook/" + secrets["feishu hook"], Secret: Secret(secrets["feishu secret"]),
			}},
		}
	}
	var channels []ChannelConfig
	channels = append(channels, build("echo500", echoServer(t, 500).URL)...)
	channels = append(channels, build("echo400", echoServer(t, 400).URL)...)
	// Status 200 with a body that is no robot answer (the webhook would
	// succeed there).
	channels = append(channels, build("echo200", echoServer(t, 200).URL)[1:]...)
	channels = append(channels, build("dead", "http://"+deadAddr)...)
	mailConfig := func(name string, port int) ChannelConfig {
		c := emailConfig(t, port, SecuritySTARTTLS)
		c.Name, c.Delivery = name, fastDelivery(2)
		c.Email.Password = Secret(secrets["smtp password"])
		return c
	}
	_, deadPort, _ := net.SplitHostPort(deadAddr)
	var deadPortN int
	fmt.Sscan(deadPort, &deadPortN)
	channels = append(channels, mailConfig("smtp-echo", smtpEcho.port()), mailConfig("smtp-dead", deadPortN))

	logger, logs := newLogger()
	d, err := NewDispatcher(Config{Channels: channels}, logger)
	if err != nil {
		t.Fatal(err)
	}
	stop := runDispatcher(t, d)
	d.NotifyAlert(testAlert())
	waitFor(t, "every channel to give up", func() bool {
		for _, st := range d.Stats() {
			if st.Failed+st.Sent != 1 {
				return false
			}
		}
		return true
	})

	var outputs []string
	for _, st := range d.Stats() {
		if st.Sent != 0 || st.LastError == "" {
			t.Errorf("%s: %+v, want a failure", st.Name, st)
		}
		outputs = append(outputs, fmt.Sprintf("%+v", st))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range channels {
		if err := d.Test(ctx, c.Name); err != nil {
			outputs = append(outputs, err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err))
		} else {
			t.Errorf("%s: test delivery succeeded", c.Name)
		}
		if err := TestChannel(ctx, c); err != nil {
			outputs = append(outputs, err.Error())
		}
		ch, err := NewChannel(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.Send(ctx, testMessage()); err != nil {
			outputs = append(outputs, err.Error())
		}
		ch.Close()
		outputs = append(outputs, c.String(), fmt.Sprintf("%v %+v %#v", c, c, c))
	}
	// A broken configuration's error does not show the secrets either.
	bad := channels[1]
	bad.DingTalk = &DingTalkConfig{URL: "gopher://x/?access_token=" + secrets["dingtalk token"]}
	if _, err := NewChannel(bad); err != nil {
		outputs = append(outputs, err.Error())
	}
	stop()
	outputs = append(outputs, logs.String())

	if !strings.Contains(logs.String(), "notification failed") {
		t.Fatalf("nothing logged:\n%s", logs)
	}
	for _, out := range outputs {
		if s, found := containsAny(out, forms); found {
			t.Errorf("a secret (%q) shows in:\n%s", s, out)
		}
	}
	// The echoes did reach the errors, scrubbed: the test would notice a
	// leak.
	if !strings.Contains(logs.String(), "you sent POST") || !strings.Contains(logs.String(), redactedMark) {
		t.Errorf("the echoed requests are not in the log:\n%s", logs)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=x%2By", "https://oapi.dingtalk.com/robot/send?access_token=REDACTED&sign=REDACTED&timestamp=REDACTED"},
		{"https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c3d-4e5f-6789-abcd-ef0123456789", "https://open.feishu.cn/open-apis/bot/v2/hook/REDACTED"},
		{"https://u:p@h.example:8443/api/v1/alerts#frag", "https://REDACTED@h.example:8443/api/v1/alerts"},
		{"https://hooks.example.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXX1", "https://hooks.example.com/services/T0001/B0002/REDACTED"},
		{"http://[::1", redactedMark},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactor(t *testing.T) {
	r := newRedactor("abc+/=", "", "abc")
	got := r.String("x abc+/= y abc%2B%2F%3D z YWJjKy89 w abc")
	if want := "x [REDACTED] y [REDACTED] z [REDACTED] w [REDACTED]"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	err := r.Error(permanent(fmt.Errorf("wrapped: %w", context.DeadlineExceeded)))
	if !IsPermanent(err) || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("Error lost permanence or text: %v", err)
	}
	if !errorsIsDeadline(err) {
		t.Error("Error lost the context error")
	}
	if r.Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
}

func errorsIsDeadline(err error) bool { return contextError(err) == context.DeadlineExceeded }
