package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/vigilsec/vigil/internal/store"
)

// ErrUnknownChannel is returned for a channel name the dispatcher does
// not have.
var ErrUnknownChannel = errors.New("unknown notification channel")

// dropLogInterval spaces the log lines about dropped messages of one
// channel, so that a full queue does not flood the log.
const dropLogInterval = 10 * time.Second

// ChannelStats is a snapshot of one channel's delivery counters.
type ChannelStats struct {
	Name string      `json:"name"`
	Type ChannelType `json:"type"`
	// Sent counts messages delivered; Failed those given up (a permanent
	// error, or every attempt failed); Retried the retries made; Dropped
	// those never attempted to the end (queue full, or the dispatcher
	// stopped).
	Sent    uint64 `json:"sent"`
	Failed  uint64 `json:"failed"`
	Retried uint64 `json:"retried"`
	Dropped uint64 `json:"dropped"`
	// Queued is the number of messages waiting now.
	Queued      int       `json:"queued"`
	LastSentAt  time.Time `json:"last_sent_at,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// Dispatcher delivers messages to the configured channels. Notify never
// blocks; each channel has its own bounded queue, worker, retries and
// rate limit. Create it with NewDispatcher and start it with Run.
type Dispatcher struct {
	log        *slog.Logger
	consoleURL string
	routes     []*route
	byName     map[string]*route

	// mu orders enqueueing against the final drain: Notify holds it for
	// reading, the end of Run for writing.
	mu      sync.RWMutex
	stopped bool
	running atomic.Bool
}

// route is one channel with its queue and counters.
type route struct {
	name     string
	typ      ChannelType
	lang     Language
	filter   Filter
	delivery Delivery
	ch       Channel
	red      *redactor
	queue    chan Message
	limiter  *rate.Limiter

	sent, failed, retried, dropped atomic.Uint64

	mu          sync.Mutex
	lastSentAt  time.Time
	lastError   string
	lastErrorAt time.Time
	lastDropLog time.Time
}

// NewDispatcher validates cfg and builds its enabled channels.
func NewDispatcher(cfg Config, log *slog.Logger) (*Dispatcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := newDispatcher(cfg.ConsoleURL, log)
	for _, c := range cfg.Channels {
		if c.Disabled {
			continue
		}
		ch, err := NewChannel(c)
		if err != nil {
			d.closeChannels()
			return nil, err
		}
		d.add(c, ch)
	}
	return d, nil
}

func newDispatcher(consoleURL string, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{log: log.With("service", "notify"), consoleURL: consoleURL, byName: map[string]*route{}}
}

// add registers a channel built from c.
func (d *Dispatcher) add(c ChannelConfig, ch Channel) {
	del := c.Delivery.withDefaults(c.Type)
	r := &route{
		name: c.Name, typ: c.Type, lang: c.Language, filter: c.Filter, delivery: del, ch: ch,
		red:     newRedactor(c.secrets()...),
		queue:   make(chan Message, del.QueueSize),
		limiter: rate.NewLimiter(rate.Limit(float64(del.RatePerMinute)/60), del.Burst),
	}
	d.routes = append(d.routes, r)
	d.byName[c.Name] = r
}

// Run delivers until ctx is done. Then it stops at once: an attempt under
// way is cancelled, the messages still queued are counted as dropped,
// and the channels are closed. Run returns nil; it may be called once.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("notify: Run called twice")
	}
	var wg sync.WaitGroup
	for _, r := range d.routes {
		wg.Go(func() { d.work(ctx, r) })
	}
	<-ctx.Done()
	wg.Wait()
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	for _, r := range d.routes {
		if n := len(r.queue); n > 0 {
			for range n {
				<-r.queue
			}
			r.dropped.Add(uint64(n))
			d.log.Warn("notifications dropped at stop", "channel", r.name, "count", n)
		}
	}
	d.closeChannels()
	return nil
}

func (d *Dispatcher) closeChannels() {
	for _, r := range d.routes {
		if err := r.ch.Close(); err != nil {
			d.log.Warn("closing notification channel", "channel", r.name, "error", r.red.String(err.Error()))
		}
	}
}

// NotifyAlert notifies an alert.
func (d *Dispatcher) NotifyAlert(a store.Alert) { d.Notify(FromAlert(a)) }

// Notify queues m for every channel whose filter it passes and returns at
// once. A channel whose queue is full drops it and counts the drop. It
// fills NotificationID and Link when they are empty.
func (d *Dispatcher) Notify(m Message) {
	if m.NotificationID == "" {
		m.NotificationID = uuid.NewString()
	}
	if m.Link == "" {
		m.Link = m.linkFor(d.consoleURL)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, r := range d.routes {
		if !r.filter.Match(m) {
			continue
		}
		if d.stopped {
			r.dropped.Add(1)
			continue
		}
		select {
		case r.queue <- m:
		default:
			r.dropped.Add(1)
			d.logDrop(r)
		}
	}
}

// logDrop logs a drop for a full queue, at most once per dropLogInterval.
func (d *Dispatcher) logDrop(r *route) {
	r.mu.Lock()
	now := time.Now()
	due := now.Sub(r.lastDropLog) >= dropLogInterval
	if due {
		r.lastDropLog = now
	}
	r.mu.Unlock()
	if due {
		d.log.Warn("notification queue full, dropping", "channel", r.name, "queue_size", cap(r.queue), "dropped_total", r.dropped.Load())
	}
}

func (d *Dispatcher) work(ctx context.Context, r *route) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-r.queue:
			d.deliver(ctx, r, m)
		}
	}
}

// deliver makes the attempts of one message: each waits for the rate
// limiter and is bounded by the channel's timeout; retryable failures
// wait an exponential backoff with jitter.
func (d *Dispatcher) deliver(ctx context.Context, r *route, m Message) {
	log := d.log.With("channel", r.name, "type", string(r.typ), "kind", string(m.Kind), "id", m.ID, "notification_id", m.NotificationID)
	for attempt := 1; ; attempt++ {
		if err := r.limiter.Wait(ctx); err != nil {
			r.dropped.Add(1)
			return
		}
		actx, cancel := context.WithTimeout(ctx, r.delivery.Timeout.D())
		err := r.red.Error(r.ch.Send(actx, m))
		cancel()
		if err == nil {
			r.sent.Add(1)
			r.mu.Lock()
			r.lastSentAt = time.Now()
			r.mu.Unlock()
			log.Debug("notification sent", "attempt", attempt)
			return
		}
		if ctx.Err() != nil {
			r.dropped.Add(1)
			log.Warn("notification abandoned at stop", "attempt", attempt, "error", err.Error())
			return
		}
		r.mu.Lock()
		r.lastError, r.lastErrorAt = err.Error(), time.Now()
		r.mu.Unlock()
		if IsPermanent(err) || attempt >= r.delivery.MaxAttempts {
			r.failed.Add(1)
			log.Error("notification failed", "attempt", attempt, "permanent", IsPermanent(err), "error", err.Error())
			return
		}
		delay := backoff(r.delivery, attempt)
		r.retried.Add(1)
		log.Warn("notification attempt failed, retrying", "attempt", attempt, "retry_in", delay, "error", err.Error())
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			r.dropped.Add(1)
			return
		case <-timer.C:
		}
	}
}

// backoff is the wait after the given failed attempt: InitialBackoff
// doubled per attempt, capped at MaxBackoff, then a random point in its
// upper half (jitter keeps many channels from retrying in step).
func backoff(del Delivery, attempt int) time.Duration {
	d := del.InitialBackoff.D()
	for i := 1; i < attempt && d < del.MaxBackoff.D(); i++ {
		d *= 2
	}
	d = min(d, del.MaxBackoff.D())
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// Stats returns the counters of every channel, in configuration order.
func (d *Dispatcher) Stats() []ChannelStats {
	out := make([]ChannelStats, 0, len(d.routes))
	for _, r := range d.routes {
		r.mu.Lock()
		st := ChannelStats{
			Name: r.name, Type: r.typ,
			Sent: r.sent.Load(), Failed: r.failed.Load(), Retried: r.retried.Load(), Dropped: r.dropped.Load(),
			Queued: len(r.queue), LastSentAt: r.lastSentAt, LastError: r.lastError, LastErrorAt: r.lastErrorAt,
		}
		r.mu.Unlock()
		out = append(out, st)
	}
	return out
}

// Test sends a sample message through the named channel now, once,
// bypassing its filter and queue (not its rate limit), and returns the
// outcome. It counts nothing.
func (d *Dispatcher) Test(ctx context.Context, name string) error {
	r, ok := d.byName[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownChannel, name)
	}
	if err := r.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("channel %s: %w", name, err)
	}
	return sendSample(ctx, r.ch, r.red, r.lang, r.delivery.Timeout.D())
}

// TestChannel builds the channel of c (validating it), sends it a sample
// message once and closes it: the check of a configuration before it is
// saved.
func TestChannel(ctx context.Context, c ChannelConfig) error {
	ch, err := NewChannel(c)
	if err != nil {
		return err
	}
	defer ch.Close()
	return sendSample(ctx, ch, newRedactor(c.secrets()...), c.Language, c.Delivery.withDefaults(c.Type).Timeout.D())
}

func sendSample(ctx context.Context, ch Channel, red *redactor, lang Language, timeout time.Duration) error {
	m := SampleMessage(lang)
	m.NotificationID = uuid.NewString()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return red.Error(ch.Send(ctx, m))
}
