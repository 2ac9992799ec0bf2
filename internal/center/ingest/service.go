package ingest

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
	"github.com/vigilsec/vigil/internal/store"
)

// Defaults of Config.
const (
	DefaultBatchSize      = 256
	DefaultMaxBatchEvents = 10_000
	DefaultLinger         = 20 * time.Millisecond
	// DefaultAckWait is short so that batches a crashed center had taken
	// are delivered again within seconds of its restart; a slow insert
	// keeps its messages with InProgress (see keepInProgress).
	DefaultAckWait       = 5 * time.Second
	DefaultMaxStoreTries = 10
)

// Config configures a Service. Only JS and Events are required.
type Config struct {
	JS     jetstream.JetStream
	Events store.EventStore
	Logger *slog.Logger
	// BatchSize is the most messages stored in one Insert call.
	BatchSize int
	// MaxBatchEvents is the most events stored in one Insert call.
	MaxBatchEvents int
	// Linger is how long a batch waits for more messages once it has one.
	Linger time.Duration
	// Workers decode messages in parallel (default GOMAXPROCS).
	Workers int
	// AckWait is how long the stream waits for an ack before delivering a
	// message again; an Insert must finish well within it.
	AckWait time.Duration
	// MaxStoreTries is how often a message the store refuses is tried
	// before it is terminated as ReasonStoreRejected.
	MaxStoreTries int
}

// Service is the ingest service. Create it with New, start it with Run.
type Service struct {
	cfg   Config
	log   *slog.Logger
	dec   *eventbatch.Decoder
	err   error
	stats counters
}

// New returns a Service with defaults filled in.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.MaxBatchEvents <= 0 {
		cfg.MaxBatchEvents = DefaultMaxBatchEvents
	}
	if cfg.Linger <= 0 {
		cfg.Linger = DefaultLinger
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = DefaultAckWait
	}
	if cfg.MaxStoreTries <= 0 {
		cfg.MaxStoreTries = DefaultMaxStoreTries
	}
	s := &Service{cfg: cfg, log: cfg.Logger.With("service", "ingest")}
	s.stats.malformed = map[string]uint64{}
	s.dec, s.err = eventbatch.NewDecoder()
	return s
}

// consumerConfig is the durable consumer the service reads through.
func (s *Service) consumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       bus.IngestConsumer,
		Description:   "center ingest into the event store",
		FilterSubject: bus.AllEvents,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.cfg.AckWait,
		MaxAckPending: 16 * s.cfg.BatchSize,
		MaxDeliver:    -1,
	}
}

// Run creates or updates the durable consumer and stores events until ctx
// is done. Messages in flight when ctx ends are stored and acknowledged if
// that finishes within a few seconds; otherwise they are delivered again
// later. It returns nil after ctx is done, an error when the consumer
// cannot be set up or the connection was closed under it.
func (s *Service) Run(ctx context.Context) error {
	if s.err != nil {
		return fmt.Errorf("ingest: %w", s.err)
	}
	cons, err := s.cfg.JS.CreateOrUpdateConsumer(ctx, bus.EventsStream, s.consumerConfig())
	if err != nil {
		return fmt.Errorf("ingest: consumer %s on %s: %w", bus.IngestConsumer, bus.EventsStream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2 * s.cfg.BatchSize))
	if err != nil {
		return fmt.Errorf("ingest: consume %s: %w", bus.EventsStream, err)
	}
	s.log.Info("ingest started", "stream", bus.EventsStream, "consumer", bus.IngestConsumer)
	stopDrain := context.AfterFunc(ctx, it.Drain)
	defer stopDrain()

	raw := make(chan jetstream.Msg, 2*s.cfg.BatchSize)
	decoded := make(chan decodedMsg, 2*s.cfg.BatchSize)
	readDone := make(chan error, 1)
	go func() { readDone <- eventbatch.Read(it, raw, s.log, "ingest") }()
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() {
			for m := range raw {
				b, err := s.dec.Decode(m.Subject(), m.Data())
				decoded <- decodedMsg{msg: m, batch: b, err: err}
			}
		})
	}
	go func() { wg.Wait(); close(decoded) }()
	s.persist(ctx, decoded)
	readErr := <-readDone
	s.log.Info("ingest stopped")
	if ctx.Err() == nil && readErr != nil {
		return fmt.Errorf("ingest: %w", readErr)
	}
	return nil
}

// ReasonStoreRejected labels a message that the store kept refusing
// (MalformedTotal); the other reasons are eventbatch's.
const ReasonStoreRejected = "store_rejected"
