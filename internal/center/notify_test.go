package center

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/center/notify"
)

// TestNotifyChannelsThroughTheAPI adds a channel through a running
// center's API, tests it, and finds it running again after a restart,
// its secret sealed with the key in the data folder.
func TestNotifyChannelsThroughTheAPI(t *testing.T) {
	got := make(chan http.Header, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- r.Header.Clone()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.HTTPAddr, cfg.NATSAddr = freeAddr(t), freeAddr(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const secret = "whsec-center-0a9b8c"

	for round := 0; round < 2; round++ {
		c, err := Start(context.Background(), cfg, log)
		if err != nil {
			t.Fatalf("round %d: Start: %v", round, err)
		}
		call := func(method, path, body string, want int) []byte {
			t.Helper()
			pem, _ := os.ReadFile(filepath.Join(cfg.DataDir, "tls", "ca.pem"))
			token, _ := os.ReadFile(filepath.Join(cfg.DataDir, "admin.token"))
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
			req, _ := http.NewRequest(method, "https://"+cfg.HTTPAddr+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != want {
				t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
			}
			return data
		}
		if round == 0 {
			call("PUT", "/api/v1/notify/channels/hook", `{"type":"webhook","webhook":{"url":"`+hook.URL+`","secret":"`+secret+`"}}`, 201)
		}
		var v notify.ChannelView
		if err := json.Unmarshal(call("GET", "/api/v1/notify/channels/hook", "", 200), &v); err != nil || !v.Running || v.Source != notify.SourceAPI {
			t.Fatalf("round %d: channel %+v (%v)", round, v, err)
		}
		call("POST", "/api/v1/notify/channels/hook/test", "", 200)
		if h := <-got; h.Get(notify.HeaderSignature) == "" {
			t.Errorf("round %d: the test message is not signed", round)
		}
		if err := c.Shutdown(); err != nil {
			t.Fatalf("round %d: Shutdown: %v", round, err)
		}
	}
	key := filepath.Join(cfg.DataDir, notify.KeyFileName)
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	db, err := os.ReadFile(filepath.Join(cfg.DataDir, "vigil.db"))
	if err != nil || bytes.Contains(db, []byte(secret)) {
		t.Errorf("the database holds the secret in clear (%v)", err)
	}
}
