package command

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/internal/store"
)

// DefaultConcurrency bounds the requests in flight of one Exec.
const DefaultConcurrency = 256

// Config configures a Service.
type Config struct {
	// Conn is the center's bus connection; its inbox prefix must be
	// bus.CenterInboxPrefix, or agents drop the commands.
	Conn *nats.Conn
	// Store resolves agent ids and selectors.
	Store store.Store
	// Logger receives one line per command (default: discard).
	Logger *slog.Logger
	// Concurrency bounds the requests in flight of one Exec
	// (default DefaultConcurrency).
	Concurrency int
}

// Service sends commands to agents. It is safe for concurrent use.
type Service struct {
	nc          *nats.Conn
	store       store.Store
	log         *slog.Logger
	concurrency int
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{nc: cfg.Conn, store: cfg.Store, log: cfg.Logger, concurrency: cfg.Concurrency}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.concurrency <= 0 {
		s.concurrency = DefaultConcurrency
	}
	return s
}

// Exec sends req to its target agents and waits for every answer, or for
// each agent's timeout. It fails only for a bad request (ErrUnknownCommand,
// ErrInvalidArgs, ErrNoTargets, ErrTooManyTargets) or when the store cannot
// resolve the targets; each agent's own failure is in its Result.
func (s *Service) Exec(ctx context.Context, req Request) (Response, error) {
	if err := checkCommand(req.Name, req.Args); err != nil {
		return Response{}, err
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	timeout = min(timeout, MaxTimeout)
	targets, err := s.resolve(ctx, req)
	if err != nil {
		return Response{}, err
	}
	resp := Response{ID: uuid.NewString(), Command: req.Name, Results: make([]Result, len(targets))}
	start := time.Now()
	sem := make(chan struct{}, s.concurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		if !t.known {
			resp.Results[i] = Result{AgentID: t.ID, Error: "unknown agent"}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			resp.Results[i] = Result{AgentID: t.ID, Hostname: t.Hostname, Error: "canceled"}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			resp.Results[i] = s.send(ctx, resp.ID, req, t.Agent, timeout)
		})
	}
	wg.Wait()
	ok := 0
	for _, r := range resp.Results {
		if r.OK {
			ok++
		}
	}
	s.log.Info("command sent", "command_id", resp.ID, "command", req.Name, "actor", req.Actor,
		"agents", len(targets), "ok", ok, "failed", len(targets)-ok, "took", time.Since(start).Round(time.Millisecond))
	return resp, nil
}
