package center

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestStartRestart starts a center on an empty data dir, checks that it
// serves HTTPS with its own CA and the bootstrap admin token, and that a
// restart keeps the CA and the token.
func TestStartRestart(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.HTTPAddr, cfg.NATSAddr = freeAddr(t), freeAddr(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	for round := 0; round < 2; round++ {
		c, err := Start(context.Background(), cfg, log)
		if err != nil {
			t.Fatalf("round %d: Start: %v", round, err)
		}
		pem, err := os.ReadFile(filepath.Join(cfg.DataDir, "tls", "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		token, err := os.ReadFile(filepath.Join(cfg.DataDir, "admin.token"))
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		req, _ := http.NewRequest("GET", "https://"+cfg.HTTPAddr+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("round %d: GET /me: %v", round, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "admin") {
			t.Fatalf("round %d: GET /me = %d %s", round, resp.StatusCode, body)
		}
		if err := c.Shutdown(); err != nil {
			t.Fatalf("round %d: Shutdown: %v", round, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(cfg.DataDir, "admin.token")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin.token mode: %v %v", fi.Mode(), err)
	}
}

// TestNotifyConfig: a notification file with a mistake stops the start
// with its file, line and reason; a good one starts the channels.
func TestNotifyConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.HTTPAddr, cfg.NATSAddr = freeAddr(t), freeAddr(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bad := filepath.Join(t.TempDir(), "notify.yaml")
	if err := os.WriteFile(bad, []byte("channels:\n  - name: hook\n    type: webhook\n    webhook: {url: 'https://127.0.0.1:1/x', colour: red}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.NotifyConfig = bad
	if c, err := Start(context.Background(), cfg, log); err == nil {
		_ = c.Shutdown()
		t.Fatal("a notification file with an unknown field was accepted")
	} else if !strings.Contains(err.Error(), "notify.yaml:4") || !strings.Contains(err.Error(), "colour") {
		t.Errorf("error %v: want the file, line and field", err)
	}
	good := filepath.Join(t.TempDir(), "notify.yaml")
	if err := os.WriteFile(good, []byte("channels:\n  - name: hook\n    type: webhook\n    webhook: {url: 'https://127.0.0.1:1/x'}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.NotifyConfig = good
	c, err := Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := c.Shutdown(); err != nil {
		t.Fatal(err)
	}
}
