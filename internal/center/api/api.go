// Package api is the center's REST API under /api/v1: agents, commands,
// agent policies, events, alerts, incidents, detection rules, rule files,
// exceptions, notification channels, join tokens, API tokens, users and
// the audit log, plus /healthz, /metrics and the console at /. It
// authenticates every call (package auth), checks the caller's role per
// route, writes every state-changing or refused call to the audit log and
// depends on the other services only through the small interfaces below.
package api

import (
	"context"
	"github.com/vigilsec/vigil/internal/center/compliance"
	"log/slog"
	"net/http"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/store"
)

// Commander sends a command to agents and collects their replies.
type Commander interface {
	Exec(ctx context.Context, req command.Request) (command.Response, error)
}

// AgentRevoker takes an agent's bus credentials away: it disconnects the
// agent now and refuses its reconnects.
type AgentRevoker interface {
	RevokeAgent(ctx context.Context, a store.Agent) error
}

// PolicyPublisher computes and publishes the policy each agent runs.
type PolicyPublisher interface {
	// Publish recomputes one agent's policy and publishes it; for an agent
	// that no longer exists it removes the agent's policy key.
	Publish(ctx context.Context, agentID string) error
	// PublishAll recomputes and publishes every agent's policy.
	PublishAll(ctx context.Context) error
	// Effective is the policy the agent gets now.
	Effective(ctx context.Context, a store.Agent) (*busv1.AgentPolicy, error)
}

// Config is what the API needs. Store, Commands, Revoker and Policies are
// required; Enroll, Console, Metrics and Detection are served when set.
type Config struct {
	Store    store.Store
	Commands Commander
	Revoker  AgentRevoker
	Policies PolicyPublisher
	// Enroll serves POST /api/v1/enroll (package enroll).
	Enroll http.Handler
	// Console serves everything outside /api/v1, /healthz and /metrics.
	Console http.Handler
	// CAHash is the hex SHA-256 of the center CA's public key, carried by
	// every join token.
	CAHash string
	// Metrics serves GET /metrics to admins.
	Metrics http.Handler
	// Detection is the detection service; nil when detection is off, and
	// then the routes of rules, rule files, exceptions and ATT&CK coverage
	// answer 503.
	Detection Detection
	// Vulns is the vulnerability service; nil when it is off, and then
	// the vulnerability database's routes answer 503 (findings already
	// stored are still listed).
	Vulns Vulns
	// Compliance is the compliance service; nil when it is off, and
	// then its routes answer 503 (score history and exceptions are still
	// read from the store).
	Compliance *compliance.Service
	// Notify is the notification service; nil when notifications are
	// off, and then the routes of notification channels answer 503.
	Notify NotifyChannels
	// Intel is the threat-intelligence service; nil when it is off, and
	// then checking a value answers 503 and changes are not applied to
	// the matcher until the next center start.
	Intel Intel
	// Baselines is the login behaviour baseline; nil when it is off, and
	// then its routes answer 503.
	Baselines LoginBaselines
	Logger    *slog.Logger
	// Now is the clock (nil for time.Now).
	Now func() time.Time
}

// server holds the API's state; its methods are the route handlers.
type server struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	sessions *auth.Sessions
	mux      *http.ServeMux
}

// New returns the HTTP handler of the API, console, health and metrics.
func New(cfg Config) http.Handler {
	s := &server{cfg: cfg, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.sessions = auth.NewSessions(cfg.Store, s.now)
	for _, rt := range routeTable() {
		s.mux.Handle(rt.pattern(), s.wrap(rt))
	}
	s.mux.HandleFunc(apiPrefix, s.unknownRoute)
	if cfg.Console != nil {
		s.mux.Handle("/", cfg.Console)
	} else {
		s.mux.HandleFunc("/", s.unknownRoute)
	}
	return s.mux
}
