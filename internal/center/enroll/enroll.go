// Package enroll serves POST /api/v1/enroll: an agent presents a join token
// and the NKEY public key it made on its host, and gets an agent id and a
// NATS user JWT for that key. The private key never leaves the host; the
// center stores only the public key.
package enroll

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/center/api/httpjson"
	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// Path is where enrollment is served.
const Path = "/api/v1/enroll"

// Failed enrollments allowed per source address within failureWindow.
const (
	maxFailuresPerIP = 10
	failureWindow    = time.Minute
	maxBody          = 64 << 10
)

// Issuer signs a NATS user JWT for an agent's public key.
type Issuer interface {
	IssueAgent(agentID, userPublicKey string) (string, error)
}

// Config is what enrollment needs.
type Config struct {
	Store  store.Store
	Issuer Issuer
	// CAHash is the hex SHA-256 of the center CA's public key; join tokens
	// carrying another hash are refused.
	CAHash string
	// NATSURLs are the bus endpoints agents connect to (tls://host:port);
	// when empty the answer carries NATSPort and the agent uses the host it
	// enrolled with.
	NATSURLs []string
	NATSPort int
	// Policies publishes a new agent's policy before it gets its
	// credentials, so that its first watch finds the policy its labels
	// select (nil: agents start on the default policy until the next
	// publication).
	Policies PolicyPublisher
	Logger   *slog.Logger
	// Now is the clock (nil for time.Now).
	Now func() time.Time
}

// PolicyPublisher writes one agent's effective policy to the bus.
type PolicyPublisher interface {
	Publish(ctx context.Context, agentID string) error
}

// handler serves enrollment.
type handler struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	failures *auth.Limiter
}

// New returns the enrollment handler.
func New(cfg Config) http.Handler {
	h := &handler{cfg: cfg, log: cfg.Logger, now: cfg.Now, failures: auth.NewLimiter(maxFailuresPerIP, failureWindow)}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	// Parsed tokens carry the hash as lowercase hex without a prefix.
	h.cfg.CAHash = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(cfg.CAHash), "sha256:"))
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path != Path {
		httpjson.WriteError(w, clientError(http.StatusNotFound, "no route "+r.URL.Path))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpjson.WriteError(w, clientError(http.StatusMethodNotAllowed, "enrollment takes POST"))
		return
	}
	ip := auth.RemoteIP(r)
	now := h.now()
	if wait, blocked := h.failures.Blocked(ip, now); blocked {
		f := clientError(http.StatusTooManyRequests, "too many failed enrollments from this address; try again later")
		f.RetryAfter = retryAfter(wait)
		httpjson.WriteError(w, f)
		return
	}
	resp, err := h.enroll(w, r, ip, now)
	if err != nil {
		f := asFailure(err)
		if f.Status == http.StatusInternalServerError {
			h.log.Error("enrollment failed", "remote", ip, "err", err)
		} else {
			h.failures.Fail(ip, now)
			h.log.Info("enrollment refused", "remote", ip, "status", f.Status, "reason", f.Message)
		}
		httpjson.WriteError(w, f)
		return
	}
	h.log.Info("agent enrolled", "agent", resp.AgentID, "remote", ip)
	httpjson.Write(w, http.StatusOK, resp)
}
