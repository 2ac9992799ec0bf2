package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
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
	DeliveryStats
}

// DeliveryStats are a channel's delivery counters since the center
// started (a changed channel keeps counting; a removed one starts again
// from zero when it is added back).
type DeliveryStats struct {
	// Sent counts messages delivered; Failed those given up (a permanent
	// error, or every attempt failed); Retried the retries made; Dropped
	// those never attempted to the end (queue full, the channel removed,
	// or the dispatcher stopped).
	Sent    uint64 `json:"sent"`
	Failed  uint64 `json:"failed"`
	Retried uint64 `json:"retried"`
	Dropped uint64 `json:"dropped"`
	// Queued is the number of messages waiting now.
	Queued     int       `json:"queued"`
	LastSentAt time.Time `json:"last_sent_at,omitzero"`
	// LastError is the last failed attempt's error, without credentials.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// Source says where a channel is configured.
type Source string

// Sources of channels.
const (
	// SourceFile channels come from the configuration file; they are
	// read-only while the center runs.
	SourceFile Source = "file"
	// SourceAPI channels are managed through the API and kept in the
	// store; they change while the center runs.
	SourceAPI Source = "api"
)

// ErrStopped is returned by SetChannels once Run has ended.
var ErrStopped = errors.New("notification dispatcher stopped")

// Dispatcher delivers messages to the configured channels. Notify never
// blocks; each channel has its own bounded queue, worker, retries and
// rate limit. Create it with NewDispatcher and start it with Run; the
// channels of source api change while it runs (SetChannels).
type Dispatcher struct {
	log        *slog.Logger
	consoleURL string

	// mu guards routes, byName, runCtx and stopped. Notify holds it for
	// reading while it enqueues; SetChannels and the end of Run hold it
	// for writing while they change them.
	mu      sync.RWMutex
	routes  []*route // the file's channels in file order, then the API's by name
	byName  map[string]*route
	runCtx  context.Context // set while Run runs
	stopped bool
	running atomic.Bool
	workers sync.WaitGroup
	// changing serializes SetChannels, and the end of Run with it.
	changing sync.Mutex
}

// route is one channel with its queue, worker and counters.
type route struct {
	name     string
	typ      ChannelType
	source   Source
	cfg      ChannelConfig // as built, to tell a changed configuration
	lang     Language
	filter   Filter
	delivery Delivery
	ch       Channel
	red      *redactor
	queue    chan Message
	limiter  *rate.Limiter

	// stop ends the worker and done is closed when it has returned (both
	// nil before it starts). held is the message the worker was
	// delivering when it was stopped; read it only after done.
	stop context.CancelFunc
	done chan struct{}
	held *Message

	sent, failed, retried, dropped atomic.Uint64

	mu          sync.Mutex
	lastSentAt  time.Time
	lastError   string
	lastErrorAt time.Time
	lastDropLog time.Time
}

// NewDispatcher validates cfg and builds its enabled channels, of source
// file.
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
			d.closeChannels(d.routes)
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

// add registers a channel of the file built from c, before Run.
func (d *Dispatcher) add(c ChannelConfig, ch Channel) {
	r := newRoute(c, ch, SourceFile)
	d.routes = append(d.routes, r)
	d.byName[c.Name] = r
}

// newRoute returns the route of a built channel.
func newRoute(c ChannelConfig, ch Channel, source Source) *route {
	del := c.Delivery.withDefaults(c.Type)
	return &route{
		name: c.Name, typ: c.Type, source: source, cfg: c, lang: c.Language, filter: c.Filter, delivery: del, ch: ch,
		red:     newRedactor(c.secrets()...),
		queue:   make(chan Message, del.QueueSize),
		limiter: rate.NewLimiter(rate.Limit(float64(del.RatePerMinute)/60), del.Burst),
	}
}

// Run delivers until ctx is done. Then it stops at once: an attempt under
// way is cancelled, the messages still queued are counted as dropped,
// and the channels are closed. Run returns nil; it may be called once.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("notify: Run called twice")
	}
	d.mu.Lock()
	d.runCtx = ctx
	for _, r := range d.routes {
		d.start(r)
	}
	d.mu.Unlock()
	<-ctx.Done()
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	// A change of the channels under way finishes (its workers end with
	// ctx) before the queues are counted.
	d.changing.Lock()
	defer d.changing.Unlock()
	d.workers.Wait()
	for _, r := range d.routes {
		n := len(r.queue)
		for range n {
			<-r.queue
		}
		if r.held != nil {
			r.held = nil
			n++
			d.log.Warn("notification abandoned at stop", "channel", r.name)
		}
		if n > 0 {
			r.dropped.Add(uint64(n))
			d.log.Warn("notifications dropped at stop", "channel", r.name, "count", n)
		}
	}
	d.closeChannels(d.routes)
	return nil
}

// start starts the worker of r. d.mu is held and runCtx set.
func (d *Dispatcher) start(r *route) {
	ctx, cancel := context.WithCancel(d.runCtx)
	r.stop, r.done = cancel, make(chan struct{})
	d.workers.Add(1)
	go func() {
		defer d.workers.Done()
		defer close(r.done)
		d.work(ctx, r)
	}()
}

func (d *Dispatcher) closeChannels(routes []*route) {
	for _, r := range routes {
		d.closeChannel(r)
	}
}

func (d *Dispatcher) closeChannel(r *route) {
	if err := r.ch.Close(); err != nil {
		d.log.Warn("closing notification channel", "channel", r.name, "error", r.red.String(err.Error()))
	}
}

// Changes reports what SetChannels did. Names are sorted.
type Changes struct {
	// Added are the channels started, Changed those whose new
	// configuration replaced the old one, Removed those stopped, Kept
	// those unchanged (their queues and workers untouched).
	Added, Changed, Removed, Kept []string
	// Carried counts the waiting notifications a changed channel's new
	// configuration took over (the one being delivered included);
	// Dropped those dropped: every one of a removed channel, and those
	// that did not fit in a changed channel's new queue.
	Carried, Dropped int
	// Failed are the channels that could not be built, with why: they do
	// not run (a previous configuration stopped, as removed).
	Failed map[string]error
}

// SetChannels makes cfgs the channels of source api, while Run runs or
// before. A channel whose configuration is unchanged keeps its queue,
// worker and counters. A changed one is rebuilt: its worker stops (an
// attempt under way is cancelled) and the new configuration takes over
// its waiting notifications, the cancelled one first, and its counters.
// A channel no longer in cfgs (or disabled) stops at once, and its
// waiting notifications are dropped and counted (logged, and in
// Changes.Dropped): an operator removes a channel to stop its
// deliveries. A name of a file channel is refused (in Changes.Failed).
// It returns ErrStopped once Run has ended.
func (d *Dispatcher) SetChannels(cfgs []ChannelConfig) (Changes, error) {
	d.changing.Lock()
	defer d.changing.Unlock()
	out := Changes{Failed: map[string]error{}}
	d.mu.RLock()
	stopped := d.stopped
	current := map[string]*route{}
	var fileRoutes []*route
	for _, r := range d.routes {
		if r.source == SourceAPI {
			current[r.name] = r
		} else {
			fileRoutes = append(fileRoutes, r)
		}
	}
	d.mu.RUnlock()
	if stopped {
		return out, ErrStopped
	}
	isFile := map[string]bool{}
	for _, r := range fileRoutes {
		isFile[r.name] = true
	}

	sorted := slices.Clone(cfgs)
	slices.SortStableFunc(sorted, func(a, b ChannelConfig) int { return strings.Compare(a.Name, b.Name) })
	var next, started []*route
	type replacement struct{ old, new *route }
	var replaced []replacement
	wanted := map[string]bool{}
	for _, c := range sorted {
		switch {
		case c.Disabled:
			continue
		case isFile[c.Name]:
			out.Failed[c.Name] = fmt.Errorf("channel %s: the notification file defines a channel of this name", c.Name)
			continue
		case wanted[c.Name]:
			out.Failed[c.Name] = fmt.Errorf("channel %s: given twice", c.Name)
			continue
		}
		wanted[c.Name] = true
		old := current[c.Name]
		if old != nil && reflect.DeepEqual(old.cfg, c) {
			next = append(next, old)
			out.Kept = append(out.Kept, c.Name)
			continue
		}
		ch, err := NewChannel(c)
		if err != nil {
			out.Failed[c.Name] = err
			continue
		}
		r := newRoute(c, ch, SourceAPI)
		next, started = append(next, r), append(started, r)
		if old != nil {
			replaced = append(replaced, replacement{old, r})
			out.Changed = append(out.Changed, c.Name)
		} else {
			out.Added = append(out.Added, c.Name)
		}
	}
	inNext := map[*route]bool{}
	for _, r := range next {
		inNext[r] = true
	}
	var removed []*route
	for _, r := range current {
		if !inNext[r] && !slices.ContainsFunc(replaced, func(x replacement) bool { return x.old == r }) {
			removed = append(removed, r)
			out.Removed = append(out.Removed, r.name)
		}
	}
	sort.Strings(out.Removed)

	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		d.closeChannels(started)
		return Changes{Failed: map[string]error{}}, ErrStopped
	}
	d.routes = append(slices.Clip(fileRoutes), next...)
	d.byName = make(map[string]*route, len(d.routes))
	for _, r := range d.routes {
		d.byName[r.name] = r
	}
	if d.runCtx != nil {
		for _, r := range started {
			d.start(r)
		}
	}
	d.mu.Unlock()

	for _, x := range replaced {
		carried, dropped := d.retire(x.old, x.new)
		out.Carried += carried
		out.Dropped += dropped
	}
	for _, r := range removed {
		_, dropped := d.retire(r, nil)
		out.Dropped += dropped
	}
	return out, nil
}

// retire stops the worker of old, which no longer receives messages,
// and closes its channel. Its waiting messages go to next, which also
// takes over its counters; without next they are dropped and counted.
func (d *Dispatcher) retire(old, next *route) (carried, dropped int) {
	if old.stop != nil {
		old.stop()
		<-old.done
	}
	var pending []Message
	if old.held != nil {
		pending = append(pending, *old.held)
		old.held = nil
	}
	for len(old.queue) > 0 {
		pending = append(pending, <-old.queue)
	}
	d.closeChannel(old)
	if next == nil {
		old.dropped.Add(uint64(len(pending)))
		if len(pending) > 0 {
			d.log.Warn("notification channel removed, its waiting notifications dropped", "channel", old.name, "count", len(pending))
		}
		return 0, len(pending)
	}
	next.inherit(old)
	for _, m := range pending {
		select {
		case next.queue <- m:
			carried++
		default:
			next.dropped.Add(1)
			dropped++
		}
	}
	if dropped > 0 {
		d.log.Warn("notification channel changed, waiting notifications beyond its new queue dropped", "channel", old.name, "count", dropped)
	}
	return carried, dropped
}

// inherit adds the counters of old, the channel r replaces, to r's.
func (r *route) inherit(old *route) {
	r.sent.Add(old.sent.Load())
	r.failed.Add(old.failed.Load())
	r.retried.Add(old.retried.Load())
	r.dropped.Add(old.dropped.Load())
	old.mu.Lock()
	sentAt, lastErr, errAt := old.lastSentAt, old.lastError, old.lastErrorAt
	old.mu.Unlock()
	r.mu.Lock()
	if r.lastSentAt.Before(sentAt) {
		r.lastSentAt = sentAt
	}
	if r.lastErrorAt.Before(errAt) {
		r.lastError, r.lastErrorAt = lastErr, errAt
	}
	r.mu.Unlock()
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

// work delivers r's messages until ctx ends; the message it was
// delivering then is left in r.held.
func (d *Dispatcher) work(ctx context.Context, r *route) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-r.queue:
			if !d.deliver(ctx, r, m) {
				held := m // a copy, so that only an abandoned message escapes
				r.held = &held
				return
			}
		}
	}
}

// deliver makes the attempts of one message: each waits for the rate
// limiter and is bounded by the channel's timeout; retryable failures
// wait an exponential backoff with jitter. It returns false when ctx
// ended first: the message was neither delivered nor given up.
func (d *Dispatcher) deliver(ctx context.Context, r *route, m Message) bool {
	log := d.log.With("channel", r.name, "type", string(r.typ), "kind", string(m.Kind), "id", m.ID, "notification_id", m.NotificationID)
	for attempt := 1; ; attempt++ {
		if err := r.limiter.Wait(ctx); err != nil {
			return false
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
			return true
		}
		if ctx.Err() != nil {
			log.Warn("notification attempt cancelled", "attempt", attempt, "error", err.Error())
			return false
		}
		r.mu.Lock()
		r.lastError, r.lastErrorAt = err.Error(), time.Now()
		r.mu.Unlock()
		if IsPermanent(err) || attempt >= r.delivery.MaxAttempts {
			r.failed.Add(1)
			log.Error("notification failed", "attempt", attempt, "permanent", IsPermanent(err), "error", err.Error())
			return true
		}
		delay := backoff(r.delivery, attempt)
		r.retried.Add(1)
		log.Warn("notification attempt failed, retrying", "attempt", attempt, "retry_in", delay, "error", err.Error())
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false
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

// Stats returns the counters of every running channel: the file's in
// file order, then the API's by name.
func (d *Dispatcher) Stats() []ChannelStats {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]ChannelStats, 0, len(d.routes))
	for _, r := range d.routes {
		out = append(out, r.stats())
	}
	return out
}

// StatsOf returns the counters of one running channel.
func (d *Dispatcher) StatsOf(name string) (ChannelStats, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	r, ok := d.byName[name]
	if !ok {
		return ChannelStats{}, false
	}
	return r.stats(), true
}

func (r *route) stats() ChannelStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return ChannelStats{Name: r.name, Type: r.typ, DeliveryStats: DeliveryStats{
		Sent: r.sent.Load(), Failed: r.failed.Load(), Retried: r.retried.Load(), Dropped: r.dropped.Load(),
		Queued: len(r.queue), LastSentAt: r.lastSentAt, LastError: r.lastError, LastErrorAt: r.lastErrorAt,
	}}
}

// Test sends a sample message through the named running channel now,
// once, bypassing its filter and queue (not its rate limit), and returns
// the outcome. It counts nothing.
func (d *Dispatcher) Test(ctx context.Context, name string) error {
	d.mu.RLock()
	r, ok := d.byName[name]
	d.mu.RUnlock()
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownChannel, name)
	}
	if err := r.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("channel %s: waiting for its rate limit: %w", name, err)
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
