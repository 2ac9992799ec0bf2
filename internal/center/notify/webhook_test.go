package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeServerCA writes the certificate of an httptest TLS server for
// ca_file.
func writeServerCA(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestWebhookDeliversSignedJSON(t *testing.T) {
	const secret = "whsec-test-0123"
	type received struct {
		header http.Header
		body   []byte
	}
	got := make(chan received, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// Verify as a receiver would: HMAC-SHA256 of the raw body.
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(r.Header.Get("X-Vigil-Signature-256")), []byte(want)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		got <- received{r.Header.Clone(), body}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	ch := mustChannel(t, ChannelConfig{Name: "wh", Type: TypeWebhook, Webhook: &WebhookConfig{
		URL: srv.URL + "/hooks/vigil", Secret: secret,
		Headers: map[string]Secret{"Authorization": "Bearer abc"},
		TLS:     &TLSConfig{CAFile: writeServerCA(t, srv)},
	}})
	m := testMessage()
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := <-got
	for h, want := range map[string]string{
		"Authorization": "Bearer abc", "X-Vigil-Event": "alert",
		"X-Vigil-Notification-Id": m.NotificationID, "Content-Type": "application/json; charset=utf-8",
	} {
		if v := r.header.Get(h); v != want {
			t.Errorf("header %s = %q, want %q", h, v, want)
		}
	}
	if !strings.HasPrefix(r.header.Get("User-Agent"), "vigil-center/") {
		t.Errorf("User-Agent = %q", r.header.Get("User-Agent"))
	}
	var p WebhookPayload
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Version != 1 || p.Kind != KindAlert || p.NotificationID != m.NotificationID || p.Link != m.Link || p.SentAt.IsZero() {
		t.Errorf("payload envelope = %+v", p)
	}
	want := testAlert()
	// JSON numbers come back as float64.
	want.Evidence["destination.port"] = float64(3000)
	if diff := cmp.Diff(want, *p.Alert); diff != "" {
		t.Errorf("payload alert (-want +got):\n%s", diff)
	}
	if Sign([]byte(secret), r.body) != r.header.Get(HeaderSignature) {
		t.Error("Sign does not match the header")
	}
}

func TestWebhookWithoutSecretHasNoSignature(t *testing.T) {
	var sig atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sig.Store(r.Header.Get(HeaderSignature))
	}))
	defer srv.Close()
	ch := mustChannel(t, ChannelConfig{Name: "wh", Type: TypeWebhook, Webhook: &WebhookConfig{URL: srv.URL}})
	if err := ch.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	if sig.Load() != "" {
		t.Errorf("signature header %q without a secret", sig.Load())
	}
}

func TestWebhookFailures(t *testing.T) {
	var redirected atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { redirected.Add(1) }))
	defer target.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()

	tests := []struct {
		name      string
		status    int
		body      string
		url       string
		permanent bool
		want      string
	}{
		{"server error", 503, "busy", "", false, "HTTP 503 Service Unavailable: busy"},
		{"rate limited", 429, "", "", false, "HTTP 429"},
		{"rejected", 400, `{"error":"bad"}`, "", true, `HTTP 400 Bad Request: {"error":"bad"}`},
		{"unauthorized", 401, "", "", true, "HTTP 401"},
		{"redirect not followed", 302, "", "", true, "HTTP 302"},
		{"unreachable", 0, "", closedURL, false, "connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status == 302 {
					http.Redirect(w, r, target.URL, http.StatusFound)
					return
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			u := srv.URL + "/hook"
			if tt.url != "" {
				u = tt.url
			}
			ch := mustChannel(t, ChannelConfig{Name: "wh", Type: TypeWebhook, Webhook: &WebhookConfig{URL: u}})
			err := ch.Send(context.Background(), testMessage())
			if err == nil {
				t.Fatal("no error")
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", IsPermanent(err), tt.permanent, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
	if redirected.Load() != 0 {
		t.Error("a redirect was followed")
	}
}

func TestWebhookEvidenceThatCannotBeEncoded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ch := mustChannel(t, ChannelConfig{Name: "wh", Type: TypeWebhook, Webhook: &WebhookConfig{URL: srv.URL}})
	a := testAlert()
	a.Evidence = map[string]any{"f": func() {}}
	err := ch.Send(context.Background(), FromAlert(a))
	if err == nil || !IsPermanent(err) {
		t.Errorf("error = %v, want a permanent encoding error", err)
	}

}
