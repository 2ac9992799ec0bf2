package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/time/rate"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/budget"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sender"
	"github.com/vigilsec/vigil/internal/agent/spool"
	"github.com/vigilsec/vigil/internal/agent/stopsource/sigtrace"
)

// ErrCredentialsRefused means the center no longer accepts the agent's
// credentials: it was deleted or revoked and must be enrolled again.
var ErrCredentialsRefused = errors.New("the center refused the agent's credentials (agent deleted or revoked); enroll it again")

// Agent is one agent runtime. Make it with New and call Run once.
type Agent struct {
	cfg Config
	log *slog.Logger
	ran atomic.Bool

	started time.Time
	agentID string
	env     plugin.Env
	caps    plugin.Capabilities
	facts   plugin.FactsProvider

	nc     *nats.Conn
	spool  *spool.Spool
	sender *sender.Sender
	pipe   *pipeline
	gov    *budget.Governor

	// sigTracer records who sends the agent signals, for the goodbye;
	// sigTracerErr says why there is none.
	sigTracer    *sigtrace.Tracer
	sigTracerErr error

	status     statusBoard
	collectors []*collectorRunner
	sensors    []*sensorRunner
	supMu      sync.Mutex // serializes reconcile and shutdown of plugins
	stopping   bool       // under supMu: no plugin starts any more

	policy    atomic.Pointer[effectivePolicy]
	limiter   *rate.Limiter // the policy's events-per-second limit
	throttler *rate.Limiter // the pace of sensors while throttled

	hostFacts  atomic.Pointer[busv1.HostFacts]
	needFacts  atomic.Bool
	connected  chan struct{} // a (re)connect happened
	hbChanged  chan struct{} // the heartbeat interval changed
	reconnects atomic.Uint64
	everUp     atomic.Bool
	hbSeq      uint64
	lastCPU    time.Duration
	lastCPUAt  time.Time
	fatal      chan error
	closing    atomic.Bool

	cmdSlots   chan struct{}
	cmdMu      sync.Mutex // guards cmdStopped and cmdWG.Add
	cmdStopped bool
	cmdWG      sync.WaitGroup
}

// New checks the configuration and returns an agent ready to Run.
func New(cfg Config) (*Agent, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, c := range cfg.Collectors {
		if c == nil || seen["c/"+c.Name()] {
			return nil, fmt.Errorf("agent: collector %v is nil or listed twice", c)
		}
		seen["c/"+c.Name()] = true
		_, events := c.(plugin.EventCollector)
		_, assets := c.(plugin.AssetCollector)
		if events == assets {
			return nil, fmt.Errorf("agent: collector %s must be either an event or an asset collector", c.Name())
		}
	}
	for _, s := range cfg.Sensors {
		if s == nil || seen["s/"+s.Name()] {
			return nil, fmt.Errorf("agent: sensor %v is nil or listed twice", s)
		}
		seen["s/"+s.Name()] = true
	}
	a := &Agent{
		cfg:       cfg,
		log:       cfg.Logger,
		limiter:   rate.NewLimiter(rate.Inf, 1),
		throttler: rate.NewLimiter(throttledRate, throttledRate/10),
		connected: make(chan struct{}, 1),
		hbChanged: make(chan struct{}, 1),
		fatal:     make(chan error, 1),
		cmdSlots:  make(chan struct{}, commandSlots),
	}
	for _, c := range cfg.Collectors {
		if fp, ok := c.(plugin.FactsProvider); ok && a.facts == nil {
			a.facts = fp
		}
	}
	return a, nil
}

// notify makes a non-blocking send on a channel of one slot.
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// onConnect is called by the bus client each time the link comes up.
func (a *Agent) onConnect() {
	if a.everUp.Swap(true) {
		a.reconnects.Add(1)
	}
	a.needFacts.Store(true)
	notify(a.connected)
}

// onClosed is called when the bus connection is closed for good: by the
// agent itself when it stops, or by the client after the center refused
// the credentials.
func (a *Agent) onClosed() {
	if a.closing.Load() {
		return
	}
	select {
	case a.fatal <- ErrCredentialsRefused:
	default:
	}
}

// safely runs fn and turns a panic into an error; the stack goes to the
// log, the error (reported upstream) names only the panic.
func (a *Agent) safely(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s panicked: %v", what, r)
			a.log.Error("plugin panicked", "plugin", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	return fn()
}
