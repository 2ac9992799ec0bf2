package detect

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/center/eventbatch"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// Consumer is the durable consumer of the events stream that detection
// reads: its own, so that detection neither waits for storage nor holds
// it up.
const Consumer = "detect"

// Defaults of Config.
const (
	DefaultIncidentWindow = 2 * time.Hour
	DefaultCheckpoint     = 2 * time.Second
	DefaultAckWait        = 30 * time.Second
	DefaultMaxAckPending  = 8192
	// stateKey is where the correlation windows are kept in the store.
	stateKey = "detect/correlation"
)

// Notifier is told of every new alert (notify.Dispatcher is one). It
// must not block.
type Notifier interface {
	NotifyAlert(a store.Alert)
}

// Intel adds the threat-intelligence matches of an event to it
// (intel.Service is one). It must be safe for concurrent use.
type Intel interface {
	Enrich(ev event.Event) int
}

// Baseline judges and learns the logins among the events (baseline.Service
// is one): it adds its verdict to the event. Flush writes what it learned;
// detection calls it at every checkpoint before acknowledging the events
// it learned from. It must be safe for concurrent use.
type Baseline interface {
	Observe(ev event.Event) bool
	Flush(ctx context.Context) error
}

// Config configures a Service. JS, Store and Rules are required.
type Config struct {
	JS    jetstream.JetStream
	Store store.Store
	Rules *Rules
	// Intel, when set, marks the events that hold a known indicator
	// before the rules see them.
	Intel Intel
	// Baseline, when set, judges logins against what was learned of them
	// before the rules see them.
	Baseline Baseline
	// Notifier, when set, hears of new alerts.
	Notifier Notifier
	Logger   *slog.Logger
	// IncidentWindow is how long after an incident was last seen an alert
	// that shares one of its entities still joins it.
	IncidentWindow time.Duration
	// Checkpoint is how often the correlation windows are written to the
	// store; the messages they include are acknowledged then.
	Checkpoint time.Duration
	// Workers decode and match messages in parallel (default GOMAXPROCS).
	Workers int
	// AckWait is how long the stream waits for an ack before delivering
	// a message again; it must exceed Checkpoint by far.
	AckWait       time.Duration
	MaxAckPending int
	// Now is the clock (tests).
	Now func() time.Time
}

// Service runs the rules on the events stream and raises alerts.
type Service struct {
	cfg   Config
	log   *slog.Logger
	dec   *eventbatch.Decoder
	err   error
	stats counters
	exc   *exceptions
	hosts hostnames

	// done holds the messages handled since the last checkpoint;
	// unacked the stream sequences of those a checkpoint holds whose
	// acknowledgement the stream has not confirmed.
	mu      sync.Mutex
	done    []jetstream.Msg
	unacked map[uint64]bool
}

// New returns a Service with defaults filled in.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.IncidentWindow <= 0 {
		cfg.IncidentWindow = DefaultIncidentWindow
	}
	if cfg.Checkpoint <= 0 {
		cfg.Checkpoint = DefaultCheckpoint
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = DefaultAckWait
	}
	if cfg.MaxAckPending <= 0 {
		cfg.MaxAckPending = DefaultMaxAckPending
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, log: cfg.Logger, unacked: map[uint64]bool{}}
	s.dec, s.err = eventbatch.NewDecoder()
	s.exc = newExceptions(cfg.Store.Exceptions(), cfg.Now)
	return s
}

// consumerConfig is the durable pull consumer of detection.
func (s *Service) consumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       Consumer,
		Description:   "detection: rules over every event",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.cfg.AckWait,
		MaxAckPending: s.cfg.MaxAckPending,
		MaxDeliver:    -1,
	}
}

// Run restores the correlation windows, creates or updates the durable
// consumer and runs the rules over every event until ctx is done. At the
// end it writes a last checkpoint. It returns an error when the consumer
// cannot be set up or the connection was closed under it.
func (s *Service) Run(ctx context.Context) error {
	if s.err != nil {
		return fmt.Errorf("detect: %w", s.err)
	}
	if err := s.restore(ctx); err != nil {
		// A state that cannot be read costs the open windows, not the
		// service: say so and go on with empty windows.
		s.log.Warn("detect: correlation windows not restored", "err", err)
	}
	if err := s.exc.reload(ctx); err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	cons, err := s.cfg.JS.CreateOrUpdateConsumer(ctx, bus.EventsStream, s.consumerConfig())
	if err != nil {
		return fmt.Errorf("detect: consumer %s on %s: %w", Consumer, bus.EventsStream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(256))
	if err != nil {
		return fmt.Errorf("detect: consume %s: %w", bus.EventsStream, err)
	}
	s.log.Info("detection started", "rules", s.cfg.Rules.Stats().Loaded, "consumer", Consumer)
	stopDrain := context.AfterFunc(ctx, it.Drain)
	defer stopDrain()

	raw := make(chan jetstream.Msg, 256)
	readDone := make(chan error, 1)
	go func() { readDone <- eventbatch.Read(it, raw, s.log, "detect") }()
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() {
			for m := range raw {
				s.handle(ctx, m)
			}
		})
	}
	tick := time.NewTicker(s.cfg.Checkpoint)
	defer tick.Stop()
	workersDone := make(chan struct{})
	go func() { wg.Wait(); close(workersDone) }()
	for running := true; running; {
		select {
		case <-tick.C:
			s.checkpoint(ctx)
			s.flush()
		case <-workersDone:
			running = false
		}
	}
	// The last checkpoint, on a context of its own: ctx is done.
	last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s.checkpoint(last)
	readErr := <-readDone
	s.log.Info("detection stopped")
	if ctx.Err() == nil && readErr != nil {
		return fmt.Errorf("detect: %w", readErr)
	}
	return nil
}

// handle runs the rules over one message's events. A message that is
// not a valid batch is acknowledged at once (ingest counts and keeps the
// reason); the others wait for the next checkpoint. A message that the
// last checkpoint already holds (its acknowledgement was lost) is only
// acknowledged.
func (s *Service) handle(ctx context.Context, m jetstream.Msg) {
	seq := streamSeq(m)
	s.mu.Lock()
	seen := seq != 0 && s.unacked[seq]
	s.mu.Unlock()
	if seen {
		s.stats.redelivered()
		s.ack(ctx, m, seq)
		return
	}
	b, err := s.dec.Decode(m.Subject(), m.Data())
	if err != nil {
		s.stats.malformed()
		_ = m.Ack()
		return
	}
	rs := s.cfg.Rules.current()
	var buf matchBuffer
	for _, ev := range b.Events {
		s.evaluate(ctx, rs, ev, &buf)
	}
	s.stats.message(len(b.Events))
	s.mu.Lock()
	s.done = append(s.done, m)
	s.mu.Unlock()
}

// streamSeq is the message's sequence in the events stream, 0 when
// unknown.
func streamSeq(m jetstream.Msg) uint64 {
	md, err := m.Metadata()
	if err != nil {
		return 0
	}
	return md.Sequence.Stream
}

// checkpoint writes the correlation windows to the store, with the
// stream sequences of the messages they include, and then acknowledges
// those messages. A sequence stays in the checkpoints until the stream
// confirmed its acknowledgement: a message that comes again after that
// was lost is recognized and not counted twice.
func (s *Service) checkpoint(ctx context.Context) {
	s.mu.Lock()
	msgs := s.done
	s.done = nil
	if len(msgs) == 0 {
		s.mu.Unlock()
		return
	}
	for _, m := range msgs {
		if seq := streamSeq(m); seq != 0 {
			s.unacked[seq] = true
		}
	}
	unacked := make([]uint64, 0, len(s.unacked))
	for seq := range s.unacked {
		unacked = append(unacked, seq)
	}
	s.mu.Unlock()
	err := s.flushBaseline(ctx)
	if err == nil {
		err = s.saveState(ctx, unacked)
	}
	if err != nil {
		// The messages stay unacknowledged until a checkpoint holds
		// them: were the center to stop now, they would come again to
		// windows that never saw them. InProgress keeps the stream from
		// delivering them again meanwhile.
		s.stats.checkpointError()
		s.log.Warn("detect: checkpoint", "err", err)
		s.mu.Lock()
		for _, m := range msgs {
			_ = m.InProgress()
			delete(s.unacked, streamSeq(m))
		}
		s.done = append(msgs, s.done...)
		s.mu.Unlock()
		return
	}
	for _, m := range msgs {
		s.ack(ctx, m, streamSeq(m))
	}
}

// flushBaseline writes what the baseline learned from the messages of
// a checkpoint.
func (s *Service) flushBaseline(ctx context.Context) error {
	if s.cfg.Baseline == nil {
		return nil
	}
	if err := s.cfg.Baseline.Flush(ctx); err != nil {
		return fmt.Errorf("write the login baselines: %w", err)
	}
	return nil
}

// ack acknowledges m and waits for the stream to confirm it; then its
// sequence leaves the checkpoints.
func (s *Service) ack(ctx context.Context, m jetstream.Msg, seq uint64) {
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := m.DoubleAck(actx); err != nil {
		return
	}
	s.mu.Lock()
	delete(s.unacked, seq)
	s.mu.Unlock()
}

// flush closes the correlation windows that ended (rules that fire on
// "fewer than").
func (s *Service) flush() {
	for _, d := range s.cfg.Rules.current().Flush(s.cfg.Now()) {
		s.raise(context.Background(), d)
	}
}
