package apiclient_test

import (
	"context"
	"encoding/pem"
	"errors"
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

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/store"
)

// caPEM is the certificate of an httptest TLS server, as a CA file holds it.
func caPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// quietTLS serves h over TLS on loopback without logging refused
// handshakes, which some tests cause on purpose.
func quietTLS(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// client returns a client of env's API with token.
func client(t *testing.T, env *apiclienttest.Env, token string) *apiclient.Client {
	t.Helper()
	c, err := apiclient.New(apiclient.Config{Server: env.URL, Token: token, CAPEM: env.CAPEM})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newTLS serves h over TLS on loopback and returns a client trusting it.
func newTLS(t *testing.T, h http.Handler, token string) (*apiclient.Client, *httptest.Server) {
	t.Helper()
	srv := quietTLS(t, h)
	c, err := apiclient.New(apiclient.Config{Server: srv.URL, Token: token, CAPEM: caPEM(srv)})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestNewServerURL(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"", "https://127.0.0.1:8443", ""},
		{"soc.example.internal:8443", "https://soc.example.internal:8443", ""},
		{"https://soc.example.internal:8443/", "https://soc.example.internal:8443", ""},
		{"https://proxy.example/vigil/", "https://proxy.example/vigil", ""},
		{"http://127.0.0.1:8443", "", "want an https:// URL"},
		{"https://", "", "no host"},
		{"https://u:p@host", "", "want scheme, host, port"},
		{"https://host/?x=1", "", "want scheme, host, port"},
	} {
		c, err := apiclient.New(apiclient.Config{Server: tc.in})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("New(%q) = %v, want error with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || c.Server() != tc.want {
			t.Errorf("New(%q): server %v, %v; want %q", tc.in, c, err, tc.want)
		}
	}
}

func TestNewCAErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]apiclient.Config{
		"missing file": {CAFile: filepath.Join(dir, "absent.pem")},
		"no PEM":       {CAFile: bad},
		"both":         {CAFile: bad, CAPEM: []byte("x")},
		"client + CA":  {HTTPClient: http.DefaultClient, CAPEM: []byte("x")},
		"token break":  {Token: "a\nb"},
	} {
		if _, err := apiclient.New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestTLSVerification(t *testing.T) {
	env := apiclienttest.Start(t)
	ctx := context.Background()

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, env.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	trusted, err := apiclient.New(apiclient.Config{Server: env.URL, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	if err := trusted.Healthz(ctx); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}

	system, err := apiclient.New(apiclient.Config{Server: env.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = system.Healthz(ctx)
	var ne *apiclient.NetError
	if !errors.As(err, &ne) || !ne.Certificate() {
		t.Fatalf("with system roots: %v, want a certificate NetError", err)
	}
	want := "cannot verify the certificate of center at " + env.URL + ": certificate signed by unknown authority"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	insecure, err := apiclient.New(apiclient.Config{Server: env.URL, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := insecure.Healthz(ctx); err != nil {
		t.Errorf("insecure: %v", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := apiclient.New(apiclient.Config{Server: addr, Token: "x"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(context.Background())
	var ne *apiclient.NetError
	if !errors.As(err, &ne) || ne.Certificate() {
		t.Fatalf("err = %v, want a NetError", err)
	}
	if want := "cannot reach center at https://" + addr + ": connection refused"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	srv := quietTLS(t, slow)
	defer close(release)
	c, err := apiclient.New(apiclient.Config{Server: srv.URL, CAPEM: caPEM(srv), Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(context.Background())
	var ne *apiclient.NetError
	if !errors.As(err, &ne) || ne.Cause() != "no answer within 100ms" {
		t.Errorf("timeout: %v, want a NetError with no answer within 100ms", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Me(ctx)
	if !errors.Is(err, context.Canceled) || errors.As(err, &ne) {
		t.Errorf("cancelled: %v, want context.Canceled and no NetError", err)
	}
}

func TestAPIErrors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/agents/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"code":"not_found","message":"agent 42 not found"}}`))
	})
	mux.HandleFunc("GET /api/v1/alerts/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	})
	mux.HandleFunc("POST /api/v1/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":"too_many_requests","message":"too many failed logins; try again later"}}`))
	})
	c, _ := newTLS(t, mux, "t")
	ctx := context.Background()

	_, err := c.Agent(ctx, "42")
	var ae *apiclient.APIError
	if !errors.As(err, &ae) || !cmp.Equal(*ae, apiclient.APIError{Status: 404, Code: "not_found", Message: "agent 42 not found"}) {
		t.Errorf("404: %#v", err)
	}
	if err.Error() != "agent 42 not found (404 not_found)" || !apiclient.IsStatus(err, 404) {
		t.Errorf("404 text %q", err)
	}
	_, err = c.Alert(ctx, "1")
	if !errors.As(err, &ae) || !cmp.Equal(*ae, apiclient.APIError{Status: 502, Code: "internal", Message: "Bad Gateway: upstream down"}) {
		t.Errorf("502: %#v", err)
	}
	_, err = c.Login(ctx, "alice", "wrong")
	if !errors.As(err, &ae) || ae.Status != 429 || ae.RetryAfter != 30*time.Second {
		t.Errorf("429: %#v", err)
	}
}

// TestLargeIntegersSurvive checks that numbers in untyped values (events,
// evidence) are decoded as json.Number, not float64.
func TestLargeIntegersSurvive(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[{"event":{"id":"e1"},"process":{"pid":9007199254740993}}],"next_cursor":""}`))
	})
	c, _ := newTLS(t, mux, "t")
	page, err := c.Events(context.Background(), store.EventFilter{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("Events = %+v, %v", page, err)
	}
	if pid := page.Items[0].String("process.pid"); pid != "9007199254740993" { // above 2^53
		t.Errorf("process.pid = %q", pid)
	}
}

func TestEmptyIDsAreRefused(t *testing.T) {
	env := apiclienttest.Start(t)
	c := client(t, env, env.AdminToken)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"agent":        func() error { _, err := c.Agent(ctx, ""); return err },
		"delete agent": func() error { return c.DeleteAgent(ctx, "") },
		"user":         func() error { _, err := c.UpdateUser(ctx, "", apiclient.UserUpdate{}); return err },
		"policy":       func() error { _, err := c.PutAgentPolicy(ctx, store.AgentPolicy{}); return err },
		"token":        func() error { return c.DeleteJoinToken(ctx, "") },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(env.Requests()); n != 0 {
		t.Errorf("%d requests sent for empty ids", n)
	}
}
