// Package sender moves spooled events to the center: it reads the oldest
// records from the spool, packs them into busv1.EventBatch messages
// (newline-delimited JSON, zstd-compressed), publishes them to the
// agent's events subject in the EVENTS stream and removes them from the
// spool only once the stream acknowledged them.
//
// At most MaxInFlight batches are unacknowledged at any time, so that the
// connection's write buffer never holds more than a few hundred KB ahead
// of a heartbeat. Each batch carries a Nats-Msg-Id of the agent id and the
// batch sequence number; the sequence of a window is written to disk
// before its first publish, so that after a crash the same records are
// sent again under the same ids and the stream drops the copies. Records
// that differ get new ids. Delivery is at least once; the center drops
// events whose event.id it already stored.
package sender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/spool"
	"github.com/vigilsec/vigil/internal/bus"
)

// Defaults of Options.
const (
	DefaultMaxBatchEvents = 1000
	DefaultMaxBatchBytes  = 512 << 10
	DefaultMaxInFlight    = 4
	DefaultAckTimeout     = 10 * time.Second
	// retryPause is the wait before a failed window is sent again.
	retryPause = time.Second
	// connectPoll is how often the sender checks for a connection.
	connectPoll = 50 * time.Millisecond
)

// Options configure a Sender. Spool, Conn, AgentID and StateDir are
// required.
type Options struct {
	Spool   *spool.Spool
	Conn    *nats.Conn
	AgentID string
	// StateDir holds the sender's state file.
	StateDir string
	Logger   *slog.Logger
	// MaxBatchEvents and MaxBatchBytes bound one batch (records and
	// uncompressed bytes); MaxInFlight bounds the unacknowledged batches.
	MaxBatchEvents int
	MaxBatchBytes  int
	MaxInFlight    int
	// AckTimeout bounds the wait for the stream's acknowledgement.
	AckTimeout time.Duration
}

// Stats count what the sender delivered since it started.
type Stats struct {
	EventsSent  uint64
	BatchesSent uint64
}

// Sender sends spooled events; see the package documentation.
type Sender struct {
	opts  Options
	log   *slog.Logger
	js    jetstream.JetStream
	zstd  *zstd.Encoder
	path  string
	st    state
	msgID string // prefix of message ids

	events, batches atomic.Uint64
	drain           chan struct{}
	drainOnce       sync.Once
}

// New prepares a sender, reading its state from opts.StateDir.
func New(opts Options) (*Sender, error) {
	if opts.Spool == nil || opts.Conn == nil || !bus.ValidAgentID(opts.AgentID) || opts.StateDir == "" {
		return nil, errors.New("sender: spool, connection, a valid agent id and a state directory are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBatchEvents <= 0 {
		opts.MaxBatchEvents = DefaultMaxBatchEvents
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = DefaultAckTimeout
	}
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	path := filepath.Join(opts.StateDir, StateFile)
	st, err := loadState(path)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(opts.Conn,
		jetstream.WithPublishAsyncMaxPending(opts.MaxInFlight),
		jetstream.WithPublishAsyncTimeout(opts.AckTimeout))
	if err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	if err != nil {
		return nil, fmt.Errorf("sender: zstd: %w", err)
	}
	return &Sender{opts: opts, log: opts.Logger, js: js, zstd: enc, path: path, st: st,
		msgID: opts.AgentID + "-", drain: make(chan struct{})}, nil
}

// Stats returns the sender's counters.
func (s *Sender) Stats() Stats {
	return Stats{EventsSent: s.events.Load(), BatchesSent: s.batches.Load()}
}

// Drain makes Run return as soon as the spool is empty.
func (s *Sender) Drain() { s.drainOnce.Do(func() { close(s.drain) }) }

// Run sends until ctx is done, or until the spool is empty after Drain;
// it returns nil then, or the error that keeps it from going on (a closed
// spool, a state file it cannot write). A window whose acknowledgements
// are missing when ctx ends stays in the spool and is sent again, under
// the same ids, by the next Run. Run may be called again after it
// returned.
func (s *Sender) Run(ctx context.Context) error {
	for {
		if !s.waitRecords(ctx) {
			return nil
		}
		if !s.waitConnected(ctx) {
			return nil
		}
		w, b, err := s.nextWindow()
		if err != nil {
			return err
		}
		if b.Len() == 0 {
			continue
		}
		msgs, err := s.encode(w, b)
		if err != nil {
			return err
		}
		for attempt := 1; ; attempt++ {
			err := s.publish(ctx, msgs)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			if attempt == 1 || attempt%30 == 0 {
				s.log.Warn("event batches not acknowledged; sending again", "batch_seq", w.FirstSeq, "attempt", attempt, "err", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(retryPause):
			}
			if !s.waitConnected(ctx) {
				return nil
			}
		}
		if err := s.acked(w, b); err != nil {
			return err
		}
	}
}

// waitRecords waits until the spool holds records; false when ctx ended
// or the sender drained the spool.
func (s *Sender) waitRecords(ctx context.Context) bool {
	for s.opts.Spool.Stats().Records == 0 {
		select {
		case <-s.drain:
			return false
		default:
		}
		select {
		case <-ctx.Done():
			return false
		case <-s.drain:
		case <-s.opts.Spool.Ready():
		}
	}
	return ctx.Err() == nil
}

// waitConnected waits until the connection is up; false when ctx ended.
func (s *Sender) waitConnected(ctx context.Context) bool {
	for !s.opts.Conn.IsConnected() {
		if s.opts.Conn.IsClosed() {
			<-ctx.Done()
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(connectPoll):
		}
	}
	return ctx.Err() == nil
}

// nextWindow peeks the next records and splits them into batches. A window
// left pending by a previous run is taken again when the spool still
// starts with the same records.
func (s *Sender) nextWindow() (*window, spool.Batch, error) {
	if p := s.st.Pending; p != nil {
		s.st.Pending = nil
		b, err := s.opts.Spool.Peek(p.total(), 0)
		if err != nil {
			return nil, b, fmt.Errorf("sender: %w", err)
		}
		if b.Len() == p.total() && checksum(b.Records) == p.Sum {
			s.log.Info("sending again the window of the previous run", "batch_seq", p.FirstSeq, "events", b.Len())
			s.st.Pending = p
			return p, b, nil
		}
		s.st.NextSeq = max(s.st.NextSeq, p.FirstSeq+uint64(len(p.Counts)))
	}
	o := s.opts
	b, err := o.Spool.Peek(o.MaxInFlight*o.MaxBatchEvents, o.MaxInFlight*o.MaxBatchBytes)
	if err != nil || b.Len() == 0 {
		if err != nil {
			err = fmt.Errorf("sender: %w", err)
		}
		return nil, b, err
	}
	w := &window{FirstSeq: s.st.NextSeq, Counts: split(b.Records, o.MaxBatchEvents, o.MaxBatchBytes),
		Sum: checksum(b.Records), Dropped: o.Spool.Stats().DroppedTotal}
	s.st.NextSeq += uint64(len(w.Counts))
	s.st.Pending = w
	if err := s.st.save(s.path, true); err != nil {
		return nil, b, err
	}
	return w, b, nil
}

// split cuts records into batches of at most maxEvents records and
// maxBytes bytes (a larger record goes alone) and returns their sizes.
func split(records [][]byte, maxEvents, maxBytes int) []int {
	var counts []int
	n, size := 0, 0
	for _, r := range records {
		if n > 0 && (n == maxEvents || size+len(r)+1 > maxBytes) {
			counts = append(counts, n)
			n, size = 0, 0
		}
		n++
		size += len(r) + 1
	}
	if n > 0 {
		counts = append(counts, n)
	}
	return counts
}

// encode builds the window's messages.
func (s *Sender) encode(w *window, b spool.Batch) ([]*nats.Msg, error) {
	dropped := uint64(0)
	if w.Dropped > s.st.Reported {
		dropped = w.Dropped - s.st.Reported
	}
	msgs := make([]*nats.Msg, 0, len(w.Counts))
	recs := b.Records
	for i, n := range w.Counts {
		var raw []byte
		for _, r := range recs[:n] {
			raw = append(append(raw, r...), '\n')
		}
		recs = recs[n:]
		seq := w.FirstSeq + uint64(i)
		eb := &busv1.EventBatch{
			AgentId: s.opts.AgentID, BatchSeq: seq, Count: uint32(n),
			Compression: busv1.EventBatch_COMPRESSION_ZSTD, Payload: s.zstd.EncodeAll(raw, nil),
		}
		if i == 0 {
			eb.DroppedSinceLast = dropped
		}
		data, err := proto.Marshal(eb)
		if err != nil {
			return nil, fmt.Errorf("sender: encode batch %d: %w", seq, err)
		}
		m := nats.NewMsg(bus.EventsSubject(s.opts.AgentID))
		m.Data = data
		m.Header.Set(jetstream.MsgIDHeader, s.msgID+strconv.FormatUint(seq, 10))
		m.Header.Set(jetstream.ExpectedStreamHeader, bus.EventsStream)
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// publish sends the messages and waits for every acknowledgement.
func (s *Sender) publish(ctx context.Context, msgs []*nats.Msg) error {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, m := range msgs {
		// A fresh message each time: the library keeps a reference.
		f, err := s.js.PublishMsgAsync(&nats.Msg{Subject: m.Subject, Data: m.Data, Header: m.Header})
		if err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		futures = append(futures, f)
	}
	timeout := time.NewTimer(s.opts.AckTimeout + time.Second)
	defer timeout.Stop()
	var errs []error
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs = append(errs, err)
		case <-timeout.C:
			return errors.New("no acknowledgement in time")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.Join(errs...)
}

// acked records a delivered window: the state first, then the spool, so
// that a crash in between sends the records again rather than reusing ids.
func (s *Sender) acked(w *window, b spool.Batch) error {
	s.st.Pending = nil
	s.st.Reported = w.Dropped
	if err := s.st.save(s.path, false); err != nil {
		return err
	}
	if err := s.opts.Spool.Commit(b); err != nil {
		return fmt.Errorf("sender: commit: %w", err)
	}
	s.events.Add(uint64(b.Len()))
	s.batches.Add(uint64(len(w.Counts)))
	return nil
}
