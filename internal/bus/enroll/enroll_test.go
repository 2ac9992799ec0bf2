package enroll_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nkeys"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/client"
	"github.com/vigilsec/vigil/internal/bus/enroll"
	"github.com/vigilsec/vigil/internal/bus/jointoken"
	"github.com/vigilsec/vigil/internal/pki"
)

// fakeCenter serves /api/v1/enroll over TLS with a certificate of ca.
type fakeCenter struct {
	*httptest.Server
	calls atomic.Int32
	// answer handles a request whose token the center knows.
	answer func(w http.ResponseWriter, req bus.EnrollRequest)
}

// startFake serves on addr (a loopback host:port) with ca's certificate;
// leafOnly leaves the CA out of the presented chain.
func startFake(t *testing.T, ca *pki.CA, addr string, leafOnly bool, answer func(http.ResponseWriter, bus.EnrollRequest)) *fakeCenter {
	t.Helper()
	cert, err := ca.EnsureServerCert(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if leafOnly {
		cert.Certificate = cert.Certificate[:1]
	}
	f := &fakeCenter{answer: answer}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+enroll.Path, func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		var req bus.EnrollRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.answer(w, req)
	})
	f.Server = httptest.NewUnstartedServer(mux)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f.Listener = ln
	f.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	f.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.StartTLS()
	t.Cleanup(f.Close)
	return f
}

// apiError writes the center's error shape.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func TestEnrollAndConnect(t *testing.T) {
	c := bustest.Start(t)
	tok, err := jointoken.Generate(c.CA.Hash())
	if err != nil {
		t.Fatal(err)
	}
	var seen bus.EnrollRequest
	f := startFake(t, c.CA, "127.0.0.1:0", false, func(w http.ResponseWriter, req bus.EnrollRequest) {
		seen = req
		got, err := jointoken.Parse(req.Token)
		if err != nil || !got.SecretMatches(jointoken.HashSecret(tok.Secret)) {
			apiError(w, http.StatusUnauthorized, "unauthorized", "invalid join token")
			return
		}
		id := uuid.NewString()
		userJWT, err := c.Server.IssueAgent(id, req.PublicKey)
		if err != nil {
			apiError(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		_ = json.NewEncoder(w).Encode(bus.EnrollResponse{AgentID: id, UserJWT: userJWT, NATSPort: c.Server.Port()})
	})
	facts := &busv1.HostFacts{Hostname: "web-1", Os: "linux", MachineId: "m-1", Ips: []string{"10.0.0.5"}}

	ident, err := enroll.Enroll(context.Background(), f.URL+"/", "  "+tok.String()+"\n", facts)
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	if !nkeys.IsValidPublicUserKey(seen.PublicKey) || seen.Hostname != "web-1" || seen.MachineID != "m-1" || seen.Facts["os"] != "linux" {
		t.Errorf("request = %+v", seen)
	}
	if strings.HasPrefix(seen.PublicKey, "S") || ident.UserSeed == "" || strings.Contains(string(mustJSON(t, seen)), ident.UserSeed) {
		t.Errorf("the seed left the host")
	}
	if want := "tls://127.0.0.1:" + portOf(t, c.Server.ClientURL()); len(ident.NATSURLs) != 1 || ident.NATSURLs[0] != want {
		t.Errorf("NATSURLs = %v, want [%s]", ident.NATSURLs, want)
	}
	if ident.CAPEM != string(c.CA.PEM()) || ident.CenterURL != f.URL {
		t.Errorf("CAPEM pinned %q, CenterURL %q", ident.CAPEM, ident.CenterURL)
	}

	dir := t.TempDir() + "/agent"
	if err := enroll.Save(dir, ident); err != nil {
		t.Fatal(err)
	}
	loaded, err := enroll.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := client.Connect(context.Background(), loaded, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish(bus.HeartbeatSubject(loaded.AgentID), []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("enrolled agent cannot talk to the bus: %v", err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func portOf(t *testing.T, u string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(u, "tls://"))
	if err != nil {
		t.Fatal(err)
	}
	return port
}
