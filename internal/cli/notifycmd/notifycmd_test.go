package notifycmd_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/center/api"
	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/center/notify"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	"github.com/vigilsec/vigil/internal/cli/notifycmd"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// now is the clock of the center and the CLI.
var now = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// Credentials the channel files give: never printed.
const (
	hookToken  = "hooktok-5e6f7a8b9c0d"
	hookSecret = "whsec-1a2b3c4d5e"
	robotToken = "0123456789abcdef0123456789abcdef"
	robotSign  = "SEC0011223344556677"
)

// env is a center API with the notification service over SQLite, served
// over TLS on loopback, with a webhook receiver and a syslog collector.
type env struct {
	t                       *testing.T
	cli                     *clikittest.Runner
	adminToken, viewerToken string
	store                   store.Store
	svc                     *notify.Service
	hook                    *httptest.Server
	hookCA                  string
	hooks                   chan http.Header
	dir                     string
	collector               string
}

func start(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, hooks: make(chan http.Header, 100), dir: t.TempDir()}
	st, err := sqlite.Open(ctx, filepath.Join(e.dir, "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = st
	e.adminToken = e.token("admin", store.RoleAdmin)
	e.viewerToken = e.token("viewer", store.RoleViewer)

	e.hook = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		e.hooks <- r.Header.Clone()
		if r.URL.Query().Get("token") != hookToken {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(e.hook.Close)
	e.hookCA = e.writePEM("hook-ca.pem", e.hook.Certificate().Raw)

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	e.collector = pc.LocalAddr().String()
	file := notify.Config{Channels: []notify.ChannelConfig{{Name: "siem", Type: notify.TypeSyslog,
		Syslog: &notify.SyslogConfig{Network: notify.NetworkUDP, Address: pc.LocalAddr().String(), Format: notify.FormatCEF}}}}
	e.svc, err = notify.NewService(ctx, notify.ServiceConfig{File: file, FileName: "notify.yaml", Store: st.NotifyChannels(),
		KeyFile: filepath.Join(e.dir, notify.KeyFileName), Now: func() time.Time { return now.Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.svc.Run(runCtx); err != nil {
			t.Errorf("notify: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })

	srv := httptest.NewUnstartedServer(api.New(api.Config{Store: st, Notify: e.svc, Now: func() time.Time { return now }}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e.cli = &clikittest.Runner{TB: t, Execute: clikittest.Commands(notifycmd.Command), Now: func() time.Time { return now },
		Vars: map[string]string{clikit.EnvServer: srv.URL, clikit.EnvCA: e.writePEM("center-ca.pem", srv.Certificate().Raw)}}
	return e
}

func (e *env) writePEM(name string, der []byte) string {
	path := filepath.Join(e.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

func (e *env) token(name string, role store.Role) string {
	id, bearer, err := auth.NewBearer(auth.APITokenPrefix)
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.store.APITokens().Create(context.Background(), store.APIToken{ID: id, Name: name, Kind: auth.KindAPI,
		Role: role, Hash: auth.HashBearer(bearer), CreatedAt: now})
	if err != nil {
		e.t.Fatal(err)
	}
	return bearer
}

// file writes a channel file and returns its path.
func (e *env) file(name, content string) string {
	path := filepath.Join(e.dir, name)
	content = strings.NewReplacer("HOOK_URL", e.hook.URL, "HOOK_CA", e.hookCA).Replace(content)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// run executes `vigil ARGS...` as the token's holder with stdin.
func (e *env) run(token, stdin string, args ...string) clikittest.Result {
	e.t.Helper()
	r := e.cli.RunAs(context.Background(), token, stdin, args...)
	for _, s := range []string{hookToken, hookSecret, robotToken, robotSign} {
		if strings.Contains(r.Stdout+r.Stderr, s) {
			e.t.Errorf("vigil %s printed the credential %.6s...", strings.Join(args, " "), s)
		}
	}
	return r
}

// ok runs args as admin and fails unless the CLI succeeded.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	r := e.run(e.adminToken, "", args...)
	if r.Code != 0 {
		e.t.Fatalf("vigil %s: exit %d: %s", strings.Join(args, " "), r.Code, r.Stderr)
	}
	return r.Stdout
}

// nextHook returns the headers of the next webhook request.
func (e *env) nextHook() http.Header {
	e.t.Helper()
	select {
	case h := <-e.hooks:
		return h
	case <-time.After(10 * time.Second):
		e.t.Fatal("the webhook receiver got nothing")
	}
	return nil
}

// mask replaces what changes from run to run: the receiver's and the
// collector's addresses and the CA file's folder.
func (e *env) mask(s string) string {
	return strings.NewReplacer(strings.TrimPrefix(e.hook.URL, "https://"), "RECEIVER", e.collector, "COLLECTOR", e.dir, "DIR").Replace(s)
}

const hookFile = `# The ticketing system's webhook.
type: webhook
filter:
  min_severity: high
  techniques: [T1059]
delivery: {max_attempts: 1, timeout: 5s}
webhook:
  url: "HOOK_URL/hooks/vigil?token=` + hookToken + `"
  secret: ` + hookSecret + `
  tls: {ca_file: HOOK_CA}
`

const robotFile = `{"type": "dingtalk", "language": "zh", "disabled": true,
 "dingtalk": {"url": "https://oapi.dingtalk.com/robot/send?access_token=` + robotToken + `", "secret": "` + robotSign + `"}}`

func TestChannels(t *testing.T) {
	e := start(t)
	if out := e.ok("notify", "channels", "set", "ticketing", "--file", e.file("hook.yml", hookFile)); out != "notification channel ticketing created (revision 1, running)\n" {
		t.Errorf("set = %q", out)
	}
	if out := e.ok("notify", "channels", "set", "soc-dingtalk", "-f", e.file("robot.json", robotFile)); out != "notification channel soc-dingtalk created (revision 1, disabled)\n" {
		t.Errorf("set = %q", out)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"list", []string{"notify", "channels", "list"}},
		{"list_json", []string{"notify", "channels", "ls", "-o", "json"}},
		{"show", []string{"notify", "channels", "show", "ticketing"}},
		{"show_file", []string{"notify", "channels", "show", "siem"}},
		{"show_json", []string{"notify", "channels", "show", "soc-dingtalk", "-o", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) { clikittest.Golden(t, tc.name, e.mask(e.ok(tc.args...))) })
	}

	// The test message arrives signed; the receiver answers.
	if out := e.ok("notify", "channels", "test", "ticketing"); !strings.HasPrefix(out, "test message sent through ticketing (") {
		t.Errorf("test = %q", out)
	}
	if h := e.nextHook(); !strings.HasPrefix(h.Get(notify.HeaderSignature), "sha256=") {
		t.Errorf("test message headers %v", h)
	}

	// Set again without the secrets: they are kept. The shown
	// configuration, given back, keeps them too.
	e.ok("notify", "channels", "set", "ticketing", "--file", e.file("hook2.yml", "type: webhook\nlanguage: zh\nwebhook: {tls: {ca_file: HOOK_CA}}\n"))
	e.ok("notify", "channels", "test", "ticketing")
	if h := e.nextHook(); !strings.HasPrefix(h.Get(notify.HeaderSignature), "sha256=") {
		t.Errorf("after a set without secrets: %v", h)
	}
	var shown notify.ChannelView
	if err := json.Unmarshal([]byte(e.ok("notify", "channels", "show", "ticketing", "-o", "json")), &shown); err != nil {
		t.Fatal(err)
	}
	r := e.run(e.adminToken, string(shown.Config), "notify", "channels", "set", "ticketing", "--file", "-", "-o", "json")
	var again notify.ChannelView
	if err := json.Unmarshal([]byte(r.Stdout), &again); r.Code != 0 || err != nil || again.Revision != 3 || string(again.Config) != string(shown.Config) {
		t.Errorf("set from shown config: %+v (%v)\n%s", r, err, again.Config)
	}
	e.ok("notify", "channels", "test", "ticketing")
	if h := e.nextHook(); !strings.HasPrefix(h.Get(notify.HeaderSignature), "sha256=") {
		t.Errorf("after a set of the shown configuration: %v", h)
	}

	// A channel of the file is tested, not changed.
	e.ok("notify", "channels", "test", "siem")
	r = e.run(e.adminToken, "", "notify", "channels", "delete", "siem", "--yes")
	if r.Code != 1 || !strings.Contains(r.Stderr, "vigil: notification channel siem is defined in the notification file") {
		t.Errorf("delete of the file's channel: %+v", r)
	}

	// Delete asks first.
	r = e.run(e.adminToken, "n\n", "notify", "channels", "delete", "ticketing")
	if r.Code != 1 || !strings.Contains(r.Stderr, "Delete notification channel ticketing (webhook, 0 waiting)? [y/N]") ||
		!strings.Contains(r.Stderr, "not deleted (confirm with --yes)") {
		t.Errorf("delete answered no: %+v", r)
	}
	if r = e.run(e.adminToken, "y\n", "notify", "channels", "delete", "ticketing"); r.Code != 0 || r.Stdout != "notification channel ticketing deleted\n" {
		t.Errorf("delete answered yes: %+v", r)
	}
	if out := e.ok("notify", "channels", "list", "-o", "json"); strings.Contains(out, "ticketing") {
		t.Errorf("deleted channel listed:\n%s", out)
	}
}

func TestSetErrors(t *testing.T) {
	e := start(t)
	bad := e.file("bad.yml", `type: webhook
language: fr
delivery:
  timeout: 1h
webhook:
  url: ftp://files.example.internal/x
  headers: {Content-Type: text/plain}
`)
	for _, tc := range []struct {
		name  string
		token string
		stdin string
		args  []string
		want  []string
	}{
		{"invalid fields", "", "", []string{"notify", "channels", "set", "hook", "--file", bad}, []string{
			bad + ":2: language: must be en or zh\n",
			bad + ":4: delivery.timeout: 1h0m0s is out of range 10ms to 5m0s\n",
			bad + ":6: webhook.url: must be an http or https URL\n",
			bad + ":7: webhook.headers: Content-Type is set by the channel and cannot be configured\n",
			"vigil: notification channel hook not saved: 4 problems in " + bad + "\n"}},
		{"unknown field", "", "type: wecom\ncolor: red\nwecom: {url: 'https://q.example/s?key=k'}\n",
			[]string{"notify", "channels", "set", "ops", "--file", "-"}, []string{"-: bad JSON: unknown field \"color\"\n"}},
		{"keep without a stored value", "", "type: wecom\nwecom: {url: {set: true}}\n", []string{"notify", "channels", "set", "ops", "-f", "-"},
			[]string{`-:2: wecom.url: {"set": true} keeps the stored value, but none is stored: give the value`}},
		{"not YAML", "", "type: [\n", []string{"notify", "channels", "set", "ops", "-f", "-"}, []string{"vigil: channel file -: not YAML or JSON: yaml: line"}},
		{"a list", "", "- type: wecom\n", []string{"notify", "channels", "set", "ops", "-f", "-"}, []string{"vigil: channel file -: want a mapping"}},
		{"twice", "", "type: wecom\ntype: webhook\n", []string{"notify", "channels", "set", "ops", "-f", "-"}, []string{`vigil: channel file -: line 2: "type" is given twice`}},
		{"empty", "", "", []string{"notify", "channels", "set", "ops", "-f", "-"}, []string{"vigil: channel file -: empty"}},
		{"no file", "", "", []string{"notify", "channels", "set", "ops"}, []string{"vigil: --file is required"}},
		{"missing file", "", "", []string{"notify", "channels", "set", "ops", "-f", "/nonexistent/c.yml"}, []string{"vigil: read channel file: open /nonexistent/c.yml"}},
		{"file channel", "", "type: syslog\nsyslog: {network: udp, address: '127.0.0.1:514'}\n", []string{"notify", "channels", "set", "siem", "-f", "-"},
			[]string{"vigil: notification channel siem is defined in the notification file and cannot be changed through the API\n"}},
		{"viewer", "viewer", "type: wecom\nwecom: {url: 'https://q.example/s?key=k'}\n", []string{"notify", "channels", "set", "ops", "-f", "-"},
			[]string{"vigil: role viewer may not do this (needs admin) — ask an admin for a token with that role"}},
		{"viewer test", "viewer", "", []string{"notify", "channels", "test", "siem"}, []string{"role viewer may not do this (needs admin)"}},
		{"unknown", "", "", []string{"notify", "channels", "show", "nope"}, []string{"vigil: notification channel nope not found\n"}},
		{"unknown test", "", "", []string{"notify", "channels", "test", "nope"}, []string{"vigil: notification channel nope not found\n"}},
		{"unknown subcommand", "", "", []string{"notify", "channels", "lis"}, []string{`unknown command "lis" for "vigil notify channels"; did you mean list?`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := e.adminToken
			if tc.token == "viewer" {
				token = e.viewerToken
			}
			r := e.run(token, tc.stdin, tc.args...)
			if r.Code != 1 {
				t.Errorf("exit %d, want 1; stdout %q", r.Code, r.Stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr %q\nwant %q", r.Stderr, w)
				}
			}
		})
	}
	if r := e.run(e.viewerToken, "", "notify", "channels", "list"); r.Code != 0 || !strings.Contains(r.Stdout, "siem") {
		t.Errorf("viewer list: %+v", r)
	}
}

func TestTestFails(t *testing.T) {
	e := start(t)
	// The receiver refuses a wrong token: a permanent failure.
	e.ok("notify", "channels", "set", "hook", "--file", e.file("hook.yml", strings.Replace(hookFile, hookToken, "wrong-token-000", 1)))
	r := e.run(e.adminToken, "", "notify", "channels", "test", "hook", "-o", "json")
	var res notify.TestResult
	if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil || res.OK || !res.Permanent {
		t.Errorf("test result %q (%v)", r.Stdout, err)
	}
	if r.Code != 1 || !strings.Contains(r.Stderr, "HTTP 403 Forbidden") || !strings.Contains(r.Stderr, "retrying will not help") ||
		strings.Contains(r.Stderr, "wrong-token-000") {
		t.Errorf("failed test: %+v", r)
	}
	e.nextHook()
}
