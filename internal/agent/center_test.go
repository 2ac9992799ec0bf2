package agent_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/enroll"
	"github.com/vigilsec/vigil/internal/bus/jointoken"
)

// wait bounds every wait of these tests.
const wait = 20 * time.Second

// center is a real bus server (TLS, JWT credentials, JetStream on disk)
// and an HTTPS enrollment endpoint that issues its credentials, as the
// center's enrollment service does.
type center struct {
	*bustest.Center
	url     string
	token   string
	enrolls atomic.Int32

	mu       sync.Mutex
	goodbyes []*busv1.Goodbye
}

// startCenter starts a center for one test.
func startCenter(t *testing.T) *center {
	t.Helper()
	c := &center{Center: bustest.Start(t)}
	tok, err := jointoken.Generate(c.CA.Hash())
	if err != nil {
		t.Fatal(err)
	}
	c.token = tok.String()
	cert, err := c.CA.EnsureServerCert(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+enroll.Path, func(w http.ResponseWriter, r *http.Request) {
		var req bus.EnrollRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got, err := jointoken.Parse(req.Token)
		if err != nil || !got.SecretMatches(jointoken.HashSecret(tok.Secret)) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"code":"unauthorized","message":"invalid join token"}}`)
			return
		}
		id := fmt.Sprintf("agent-%d", c.enrolls.Add(1))
		userJWT, err := c.Server.IssueAgent(id, req.PublicKey)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(bus.EnrollResponse{AgentID: id, UserJWT: userJWT, NATSPort: c.Server.Port()})
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c.url = srv.URL
	c.answerGoodbyes(t)
	return c
}

// answerGoodbyes acknowledges and records goodbyes, as the center does;
// call it again after a restart of the server.
func (c *center) answerGoodbyes(t *testing.T) {
	t.Helper()
	_, err := c.conn().Subscribe(bus.AllGoodbyes, func(m *nats.Msg) {
		gb := &busv1.Goodbye{}
		if err := proto.Unmarshal(m.Data, gb); err != nil {
			t.Errorf("goodbye does not decode: %v", err)
			return
		}
		c.mu.Lock()
		c.goodbyes = append(c.goodbyes, gb)
		c.mu.Unlock()
		_ = m.Respond([]byte("ok"))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// lastGoodbye returns the last goodbye received, or nil.
func (c *center) lastGoodbye() *busv1.Goodbye {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.goodbyes) == 0 {
		return nil
	}
	return c.goodbyes[len(c.goodbyes)-1]
}

// conn is the center's own connection (its inbox is the one commands
// come from).
func (c *center) conn() *nats.Conn { return c.Server.Conn() }

// heartbeats records the heartbeats of every agent.
type heartbeats struct {
	mu  sync.Mutex
	all []*busv1.Heartbeat
	at  []time.Time
}

// watchHeartbeats subscribes to every heartbeat.
func (c *center) watchHeartbeats(t *testing.T) *heartbeats {
	t.Helper()
	h := &heartbeats{}
	sub, err := c.conn().Subscribe(bus.AllHeartbeats, func(m *nats.Msg) {
		hb := &busv1.Heartbeat{}
		if err := proto.Unmarshal(m.Data, hb); err != nil {
			t.Errorf("heartbeat does not decode: %v", err)
			return
		}
		h.mu.Lock()
		h.all = append(h.all, hb)
		h.at = append(h.at, time.Now())
		h.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return h
}

// waitFor waits until a heartbeat matches cond and returns it.
func (h *heartbeats) waitFor(t *testing.T, what string, cond func(*busv1.Heartbeat) bool) *busv1.Heartbeat {
	t.Helper()
	deadline := time.Now().Add(wait)
	for seen := 0; time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		h.mu.Lock()
		all := h.all
		h.mu.Unlock()
		for ; seen < len(all); seen++ {
			if cond(all[seen]) {
				return all[seen]
			}
		}
	}
	t.Fatalf("no heartbeat with %s within %s", what, wait)
	return nil
}

// count returns the number of heartbeats received.
func (h *heartbeats) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.all)
}
