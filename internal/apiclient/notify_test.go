package apiclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/center/notify"
)

// notifyRoutePrefix is the path of the notification routes.
const notifyRoutePrefix = "/api/v1/notify"

// notifyRoutes are the routes TestNotifyChannelRoutes calls.
var notifyRoutes = []string{"GET /api/v1/notify/channels", "GET /api/v1/notify/channels/{name}",
	"PUT /api/v1/notify/channels/{name}", "DELETE /api/v1/notify/channels/{name}",
	"POST /api/v1/notify/channels/{name}/test"}

// syslogCollector listens for syslog messages over UDP on loopback and
// returns its address and the messages it receives.
func syslogCollector(t *testing.T) (string, <-chan string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	got := make(chan string, 16)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	return pc.LocalAddr().String(), got
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestNotifyChannelRoutes(t *testing.T) {
	collector, messages := syslogCollector(t)
	env := apiclienttest.StartWith(t, apiclienttest.Options{Notify: &notify.Config{Channels: []notify.ChannelConfig{{Name: "siem",
		Type: notify.TypeSyslog, Syslog: &notify.SyslogConfig{Network: notify.NetworkUDP, Address: collector, Format: notify.FormatCEF}}}}})
	c := client(t, env, env.AdminToken)
	viewer := client(t, env, env.ViewerToken)
	ctx := context.Background()

	list, err := viewer.NotifyChannels(ctx)
	if err != nil || len(list) != 1 || list[0].Value.Name != "siem" || list[0].Value.Source != notify.SourceFile ||
		!list[0].Value.Running || !strings.Contains(string(list[0].JSON), `"name":"siem"`) {
		t.Fatalf("NotifyChannels = %+v, %v", list, err)
	}

	ops := `{"type": "syslog", "syslog": {"network": "udp", "address": "` + collector + `"}}`
	v, created, err := c.PutNotifyChannel(ctx, "ops", json.RawMessage(ops))
	if err != nil || !created || v.Value.Name != "ops" || v.Value.Source != notify.SourceAPI || v.Value.Revision != 1 ||
		v.Value.CreatedBy != "token:admin" || !v.Value.UpdatedAt.Equal(apiclienttest.Now) || !v.Value.Running {
		t.Fatalf("PutNotifyChannel = %+v, %v, %v", v.Value, created, err)
	}
	if want := "PUT /api/v1/notify/channels/ops"; lastRequest(env) != want {
		t.Errorf("request %q, want %q", lastRequest(env), want)
	}
	disabled := `{"type": "syslog", "disabled": true, "syslog": {"network": "udp", "address": "` + collector + `"}}`
	if v, created, err = c.PutNotifyChannel(ctx, "ops", json.RawMessage(disabled)); err != nil || created || v.Value.Revision != 2 ||
		!v.Value.Disabled || v.Value.Running {
		t.Fatalf("replace = %+v, %v, %v", v.Value, created, err)
	}

	invalid := `{"type": "webhook", "language": "fr", "delivery": {"timeout": "1h"}, "webhook": {"url": "ftp://files.example.internal/x"}}`
	_, _, err = c.PutNotifyChannel(ctx, "hook", json.RawMessage(invalid))
	var ae *apiclient.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Code != "bad_request" ||
		!strings.HasPrefix(ae.Message, "invalid notification channel: language: must be en or zh; ") {
		t.Fatalf("invalid channel: %v", err)
	}
	want := []apiclient.FieldProblem{{Path: "language", Reason: "must be en or zh"},
		{Path: "delivery.timeout", Reason: "1h0m0s is out of range 10ms to 5m0s"},
		{Path: "webhook.url", Reason: "must be an http or https URL"}}
	if diff := cmp.Diff(want, ae.Fields); diff != "" {
		t.Errorf("invalid fields (-want +got):\n%s", diff)
	}
	if _, err := c.NotifyChannel(ctx, "hook"); !apiclient.IsStatus(err, http.StatusNotFound) {
		t.Errorf("refused channel stored: %v", err)
	}
	_, _, err = c.PutNotifyChannel(ctx, "siem", json.RawMessage(ops))
	if !errors.As(err, &ae) || ae.Status != http.StatusConflict || ae.Fields != nil {
		t.Errorf("put a channel of the file: %v", err)
	}
	if _, _, err := viewer.PutNotifyChannel(ctx, "ops", json.RawMessage(ops)); !apiclient.IsStatus(err, http.StatusForbidden) {
		t.Errorf("viewer puts: %v", err)
	}

	got, err := viewer.NotifyChannel(ctx, "ops")
	if err != nil || got.Value.Revision != 2 || got.Value.Type != notify.TypeSyslog || !got.Value.Disabled ||
		!strings.Contains(string(got.Value.Config), `"address":"`+collector+`"`) || !strings.Contains(string(got.JSON), `"revision":2`) {
		t.Fatalf("NotifyChannel = %+v, %v", got.Value, err)
	}
	_, err = c.NotifyChannel(ctx, "nope")
	if !apiclient.IsStatus(err, http.StatusNotFound) || err.Error() != "notification channel nope not found (404 not_found)" {
		t.Errorf("unknown channel: %v", err)
	}

	// A disabled channel is tested too; the message arrives.
	res, err := c.TestNotifyChannel(ctx, "ops")
	if err != nil || !res.Value.OK || res.Value.Error != "" || !strings.Contains(string(res.JSON), `"ok":true`) {
		t.Fatalf("TestNotifyChannel = %+v, %v", res.Value, err)
	}
	select {
	case m := <-messages:
		if !strings.Contains(m, "vigil") {
			t.Errorf("test message %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the collector got no test message")
	}
	// A delivery that fails is a result, not an error.
	broken := `{"type": "syslog", "syslog": {"network": "tcp", "address": "` + closedPort(t) + `"}}`
	if _, _, err := c.PutNotifyChannel(ctx, "broken", json.RawMessage(broken)); err != nil {
		t.Fatal(err)
	}
	if res, err = c.TestNotifyChannel(ctx, "broken"); err != nil || res.Value.OK || res.Value.Error == "" {
		t.Fatalf("failing TestNotifyChannel = %+v, %v", res.Value, err)
	}
	if _, err := viewer.TestNotifyChannel(ctx, "siem"); !apiclient.IsStatus(err, http.StatusForbidden) {
		t.Errorf("viewer tests: %v", err)
	}
	if _, err := c.TestNotifyChannel(ctx, "nope"); !apiclient.IsStatus(err, http.StatusNotFound) {
		t.Errorf("test of an unknown channel: %v", err)
	}

	if err := c.DeleteNotifyChannel(ctx, "siem"); !apiclient.IsStatus(err, http.StatusConflict) ||
		!strings.Contains(err.Error(), "defined in the notification file") {
		t.Errorf("delete a channel of the file: %v", err)
	}
	if err := viewer.DeleteNotifyChannel(ctx, "ops"); !apiclient.IsStatus(err, http.StatusForbidden) {
		t.Errorf("viewer deletes: %v", err)
	}
	if err := c.DeleteNotifyChannel(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteNotifyChannel(ctx, "ops"); !apiclient.IsStatus(err, http.StatusNotFound) {
		t.Errorf("second delete: %v", err)
	}
	list, err = c.NotifyChannels(ctx)
	names := []string{}
	for _, v := range list {
		names = append(names, v.Value.Name)
	}
	if err != nil || !slices.Equal(names, []string{"siem", "broken"}) {
		t.Errorf("channels after the delete: %v, %v", names, err)
	}
	checkRoutes(t, env, notifyRoutePrefix, notifyRoutes)
}

// TestNotifyRoutesDescribed checks that the notification methods call
// every notification route api/openapi.yaml describes, so that a route
// added to the center without a method here fails.
func TestNotifyRoutesDescribed(t *testing.T) {
	tested := slices.Sorted(slices.Values(notifyRoutes))
	if described := describedRoutes(t, notifyRoutePrefix); !slices.Equal(described, tested) {
		t.Errorf("notification routes described in api/openapi.yaml:\n %v\ncalled by the tests:\n %v", described, tested)
	}
}

func TestNotifyOff(t *testing.T) {
	env := apiclienttest.Start(t)
	c := client(t, env, env.AdminToken)
	_, err := c.NotifyChannels(context.Background())
	if !apiclient.IsStatus(err, http.StatusServiceUnavailable) || err.Error() != "notifications are off on this center (503 unavailable)" {
		t.Errorf("NotifyChannels without notifications: %v", err)
	}
}

// TestNotifyOnTheWire checks what a put sends and how the answers are
// read: the configuration as JSON, the created flag, the invalid fields
// of a refusal, and an answer's item kept as the center sent it.
func TestNotifyOnTheWire(t *testing.T) {
	// Spaced as the center would not, with a field this client does not
	// know.
	const view = `{"name":"ops", "type":"wecom","source":"api","revision":4,"config":{"type":"wecom"},"future":[1]}`
	var method, path, contentType, body string
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /api/v1/notify/channels/{name}", func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		method, path, contentType, body = r.Method, r.URL.EscapedPath(), r.Header.Get("Content-Type"), string(data)
		w.Header().Set("Content-Type", "application/json")
		switch r.PathValue("name") {
		case "new":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, view)
		case "bad":
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"code":"bad_request","message":"invalid notification channel: x"},"fields":[{"path":"","reason":"x"},{"path":"wecom.url","reason":"y"}]}`)
		case "odd":
			// A "fields" that is no list of fields: the error stays.
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"code":"bad_request","message":"refused"},"fields":{"n":1}}`)
		default:
			io.WriteString(w, view)
		}
	})
	c, _ := newTLS(t, mux, "vgt_x")
	ctx := context.Background()

	v, created, err := c.PutNotifyChannel(ctx, "new", json.RawMessage("{\"type\": \"wecom\",\n \"wecom\": {\"url\": {\"set\": true}}}"))
	if err != nil || !created || v.Value.Revision != 4 || string(v.JSON) != view || string(v.Value.Config) != `{"type":"wecom"}` {
		t.Fatalf("PutNotifyChannel = %+v (%s), %v, %v", v.Value, v.JSON, created, err)
	}
	if method != "PUT" || path != "/api/v1/notify/channels/new" || contentType != "application/json" ||
		body != `{"type":"wecom","wecom":{"url":{"set":true}}}` {
		t.Errorf("sent %s %s, type %q, body %q", method, path, contentType, body)
	}
	out, err := json.Marshal(v)
	if err != nil || string(out) != `{"name":"ops","type":"wecom","source":"api","revision":4,"config":{"type":"wecom"},"future":[1]}` {
		t.Errorf("encoded again: %s, %v", out, err)
	}
	if _, created, err = c.PutNotifyChannel(ctx, "a b", json.RawMessage(`{}`)); err != nil || created || path != "/api/v1/notify/channels/a%20b" {
		t.Errorf("replace: created %v, %v, path %q", created, err, path)
	}

	_, _, err = c.PutNotifyChannel(ctx, "bad", json.RawMessage(`{}`))
	if diff := cmp.Diff(&apiclient.APIError{Status: 400, Code: "bad_request", Message: "invalid notification channel: x",
		Fields: []apiclient.FieldProblem{{Path: "", Reason: "x"}, {Path: "wecom.url", Reason: "y"}}}, err); diff != "" {
		t.Errorf("refusal (-want +got):\n%s", diff)
	}
	_, _, err = c.PutNotifyChannel(ctx, "odd", json.RawMessage(`{}`))
	if diff := cmp.Diff(&apiclient.APIError{Status: 400, Code: "bad_request", Message: "refused"}, err); diff != "" {
		t.Errorf("refusal with odd fields (-want +got):\n%s", diff)
	}

	body = ""
	for name, config := range map[string]json.RawMessage{
		"not JSON":  json.RawMessage("type: wecom"),
		"empty":     nil,
		"oversized": json.RawMessage(`"` + strings.Repeat("a", apiclient.MaxNotifyChannel) + `"`),
	} {
		if _, _, err := c.PutNotifyChannel(ctx, "ops", config); err == nil || body != "" {
			t.Errorf("%s: %v, sent %q", name, err, body)
		}
	}
}

// TestNotifyTestWaits checks that a test message may take longer than
// the client's timeout, as the center takes up to NotifyTestWait, while
// other calls keep the timeout.
func TestNotifyTestWaits(t *testing.T) {
	const slow = 300 * time.Millisecond
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/notify/channels/{name}/test", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(slow)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":false,"error":"HTTP 403 Forbidden","permanent":true,"duration_ms":300}`)
	})
	mux.HandleFunc("GET /api/v1/notify/channels/{name}", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(slow)
		io.WriteString(w, `{}`)
	})
	srv := quietTLS(t, mux)
	c, err := apiclient.New(apiclient.Config{Server: srv.URL, Token: "vgt_x", CAPEM: caPEM(srv), Timeout: slow / 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := c.TestNotifyChannel(ctx, "hook")
	if err != nil || res.Value != (notify.TestResult{Error: "HTTP 403 Forbidden", Permanent: true, DurationMS: 300}) {
		t.Fatalf("TestNotifyChannel = %+v, %v", res.Value, err)
	}
	var ne *apiclient.NetError
	if _, err := c.NotifyChannel(ctx, "hook"); !errors.As(err, &ne) || ne.Timeout != slow/3 {
		t.Errorf("slow NotifyChannel: %v", err)
	}
}

func TestNotifyEmptyNamesAreRefused(t *testing.T) {
	env := apiclienttest.StartWith(t, apiclienttest.Options{Notify: &notify.Config{}})
	c := client(t, env, env.AdminToken)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"channel": func() error { _, err := c.NotifyChannel(ctx, ""); return err },
		"put":     func() error { _, _, err := c.PutNotifyChannel(ctx, "", json.RawMessage(`{}`)); return err },
		"delete":  func() error { return c.DeleteNotifyChannel(ctx, "") },
		"test":    func() error { _, err := c.TestNotifyChannel(ctx, ""); return err },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(env.Requests()); n != 0 {
		t.Errorf("%d requests sent for empty names", n)
	}
}
