package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
)

// Defaults of Config.
const (
	// DefaultHeartbeatTimeout is three heartbeats of the default 5 s
	// interval plus slack.
	DefaultHeartbeatTimeout = 20 * time.Second
	// DefaultEnrollConnectTimeout is how long a newly enrolled agent may
	// take to first reach the bus.
	DefaultEnrollConnectTimeout = 2 * time.Minute
	DefaultGrace                = time.Second
	DefaultFlushInterval        = 5 * time.Second
	DefaultStateInterval        = time.Minute
	DefaultResyncInterval       = time.Minute
	// DefaultIncidentWindow is detection's default incident window.
	DefaultIncidentWindow = 2 * time.Hour
	// sweepInterval is how often silent agents are looked for.
	sweepInterval = time.Second
	// flushTimeout bounds the wait for the server to confirm the
	// subscriptions.
	flushTimeout = 10 * time.Second
	// stopTimeout bounds the writes still queued when Run ends.
	stopTimeout = 5 * time.Second
)

// Config configures a Service. Store, Conn and SysConn are required.
type Config struct {
	Store store.Store
	// Conn is a connection of the agents' account that may subscribe to
	// every agent's heartbeats and goodbyes.
	Conn *nats.Conn
	// SysConn is a connection of the system account.
	SysConn *nats.Conn
	Logger  *slog.Logger
	// Account names the agents' account in system subjects: its public key
	// in operator mode (the bus server's AccountKey), else its name. Empty
	// means every account: agents are still recognized only by a user key
	// the store holds for them.
	Account string
	// HeartbeatTimeout is how long an online agent without a live
	// connection may stay silent before it is marked lost.
	HeartbeatTimeout time.Duration
	// EnrollConnectTimeout is how long an agent that enrolled but was never
	// seen on the bus may stay online before it is marked lost, counted from
	// its enrollment.
	EnrollConnectTimeout time.Duration
	// Grace is how long a disconnect waits for a goodbye that raced it
	// before the agent is marked lost.
	Grace time.Duration
	// FlushInterval is how often last-seen times are written.
	FlushInterval time.Duration
	// StateInterval is how often, at most, a last state whose only change
	// is in the agent's stats is written.
	StateInterval time.Duration
	// ResyncInterval is how often the list of agents is read again, to
	// drop deleted agents.
	ResyncInterval time.Duration
	// IncidentWindow is detection's incident window: an alert the service
	// raises (an agent lost or uninstalled) joins the open incident
	// involving the agent's host that was last seen within it before the
	// alert, and the host's alerts that share no entity with an incident
	// and come within it of the alert join the alert's incident
	// (store.Join.SameHost).
	IncidentWindow time.Duration
	// OnAlert, when set, hears of every new alert the service raised
	// (an agent uninstalled or lost), for notifications, once it is in
	// its incident. It must not block.
	OnAlert func(store.Alert)
}

// Service follows agents' health. Create it with New, start it with Run.
type Service struct {
	cfg   Config
	store store.Store
	log   *slog.Logger
	reg   *registry
	q     *queue
	stats *counters
}

// New returns a Service with defaults filled in.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Account == "" {
		cfg.Account = "*"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.HeartbeatTimeout, DefaultHeartbeatTimeout)
	def(&cfg.EnrollConnectTimeout, DefaultEnrollConnectTimeout)
	def(&cfg.Grace, DefaultGrace)
	def(&cfg.FlushInterval, DefaultFlushInterval)
	def(&cfg.StateInterval, DefaultStateInterval)
	def(&cfg.ResyncInterval, DefaultResyncInterval)
	def(&cfg.IncidentWindow, DefaultIncidentWindow)
	return &Service{
		cfg: cfg, store: cfg.Store, log: cfg.Logger.With("service", "health"),
		reg: newRegistry(), q: newQueue(), stats: newCounters(),
	}
}

// Online reports whether the agent is online now.
func (s *Service) Online(agentID string) bool {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	st, ok := s.reg.agents[agentID]
	return ok && st.status == store.StatusOnline
}

// Run loads the agents, subscribes to their heartbeats, goodbyes and
// connection events and follows them until ctx is done; then it writes
// what is pending (for a few seconds at most) and returns nil. It returns
// an error when it cannot start.
func (s *Service) Run(ctx context.Context) error {
	if s.store == nil || s.cfg.Conn == nil || s.cfg.SysConn == nil {
		return errors.New("health: Store, Conn and SysConn are required")
	}
	all, err := s.loadAll(ctx)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	s.reg.sync(all, time.Now())
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	worked := make(chan struct{})
	go func() { defer close(worked); s.work(workCtx) }()
	defer func() {
		s.flush(time.Now(), true)
		s.q.close()
		select {
		case <-worked:
		case <-time.After(stopTimeout):
			s.log.Warn("health: pending writes dropped at stop")
		}
	}()
	unsubscribe, err := s.subscribe(ctx)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer unsubscribe()
	s.log.Info("health started", "agents", len(all), "heartbeat_timeout", s.cfg.HeartbeatTimeout)
	s.loop(ctx)
	return nil
}

// subscribe starts the four subscriptions, the server's connection
// events first, and returns a function that ends them.
func (s *Service) subscribe(ctx context.Context) (func(), error) {
	var subs []*nats.Subscription
	stop := func() {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
	}
	prefix := "$SYS.ACCOUNT." + s.cfg.Account + "."
	list := []struct {
		nc      *nats.Conn
		subject string
		handle  func(context.Context, *nats.Msg)
	}{
		{s.cfg.SysConn, prefix + "CONNECT", s.onClientEvent},
		{s.cfg.SysConn, prefix + "DISCONNECT", s.onClientEvent},
		{s.cfg.Conn, bus.AllHeartbeats, s.onHeartbeat},
		{s.cfg.Conn, bus.AllGoodbyes, s.onGoodbye},
	}
	for i, w := range list {
		sub, err := w.nc.Subscribe(w.subject, func(m *nats.Msg) { w.handle(ctx, m) })
		if err == nil {
			subs = append(subs, sub)
			// 10,000 agents reconnecting at once must not overflow.
			err = sub.SetPendingLimits(-1, 256<<20)
		}
		// Each connection's subscriptions are in place before the next
		// connection's start.
		if err == nil && (i == len(list)-1 || list[i+1].nc != w.nc) {
			err = w.nc.FlushTimeout(flushTimeout)
		}
		if err != nil {
			stop()
			return nil, fmt.Errorf("subscribe %s: %w", w.subject, err)
		}
	}
	return stop, nil
}
