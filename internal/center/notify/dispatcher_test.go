package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// flakyServer fails its first failures requests with status, then
// answers 204. It counts the requests and keeps their notification ids.
type flakyServer struct {
	*httptest.Server
	requests atomic.Int32
	mu       sync.Mutex
	ids      []string
}

func newFlakyServer(t *testing.T, failures int32, status int) *flakyServer {
	f := &flakyServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.requests.Add(1)
		f.mu.Lock()
		f.ids = append(f.ids, r.Header.Get(HeaderNotificationID))
		f.mu.Unlock()
		if n <= failures {
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(f.Close)
	return f
}

// fastDelivery retries quickly and without a rate limit worth noticing.
func fastDelivery(attempts int) Delivery {
	return Delivery{MaxAttempts: attempts, InitialBackoff: Duration(time.Millisecond), MaxBackoff: Duration(5 * time.Millisecond), RatePerMinute: 600000, Burst: 1000}
}

func webhookChannelConfig(name, url string, d Delivery) ChannelConfig {
	return ChannelConfig{Name: name, Type: TypeWebhook, Delivery: d, Webhook: &WebhookConfig{URL: url}}
}

// runDispatcher starts d and returns a function that stops it and waits
// for Run to return.
func runDispatcher(t *testing.T, d *Dispatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func statsOf(d *Dispatcher, name string) ChannelStats {
	for _, s := range d.Stats() {
		if s.Name == name {
			return s
		}
	}
	return ChannelStats{}
}

func TestDispatcherRetriesUntilSuccess(t *testing.T) {
	srv := newFlakyServer(t, 3, http.StatusServiceUnavailable)
	logger, logs := newLogger()
	d, err := NewDispatcher(Config{Channels: []ChannelConfig{webhookChannelConfig("wh", srv.URL, fastDelivery(5))}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	runDispatcher(t, d)
	d.NotifyAlert(testAlert())
	waitFor(t, "the delivery", func() bool { return statsOf(d, "wh").Sent == 1 })
	st := statsOf(d, "wh")
	if st.Retried != 3 || st.Failed != 0 || st.Dropped != 0 || srv.requests.Load() != 4 {
		t.Errorf("stats %+v after %d requests", st, srv.requests.Load())
	}
	if !strings.Contains(st.LastError, "HTTP 503") || st.LastSentAt.IsZero() {
		t.Errorf("last error %q, last sent %v", st.LastError, st.LastSentAt)
	}
	// Every attempt carried the same notification id.
	srv.mu.Lock()
	ids := srv.ids
	srv.mu.Unlock()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Errorf("notification ids %q", ids)
			break
		}
	}
	if !strings.Contains(logs.String(), `"msg":"notification attempt failed, retrying"`) {
		t.Errorf("no retry logged:\n%s", logs)
	}
}

func TestDispatcherGivesUp(t *testing.T) {
	always := newFlakyServer(t, 1000, http.StatusBadGateway)
	rejects := newFlakyServer(t, 1000, http.StatusForbidden)
	d, err := NewDispatcher(Config{Channels: []ChannelConfig{
		webhookChannelConfig("always-502", always.URL, fastDelivery(3)),
		webhookChannelConfig("rejects", rejects.URL, fastDelivery(3)),
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	runDispatcher(t, d)
	d.NotifyAlert(testAlert())
	waitFor(t, "both to give up", func() bool {
		return statsOf(d, "always-502").Failed == 1 && statsOf(d, "rejects").Failed == 1
	})
	if st := statsOf(d, "always-502"); st.Retried != 2 || always.requests.Load() != 3 {
		t.Errorf("retryable failure: %+v, %d requests", st, always.requests.Load())
	}
	if st := statsOf(d, "rejects"); st.Retried != 0 || rejects.requests.Load() != 1 || !strings.Contains(st.LastError, "HTTP 403") {
		t.Errorf("permanent failure: %+v, %d requests", st, rejects.requests.Load())
	}
}

func TestDispatcherFilters(t *testing.T) {
	high := newFlakyServer(t, 0, 0)
	all := newFlakyServer(t, 0, 0)
	cfgHigh := webhookChannelConfig("high", high.URL, fastDelivery(1))
	cfgHigh.Filter = Filter{MinSeverity: store.SeverityHigh}
	disabled := webhookChannelConfig("off", all.URL, fastDelivery(1))
	disabled.Disabled = true
	d, err := NewDispatcher(Config{Channels: []ChannelConfig{cfgHigh, webhookChannelConfig("all", all.URL, fastDelivery(1)), disabled}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Stats()) != 2 {
		t.Errorf("a disabled channel was built: %+v", d.Stats())
	}
	runDispatcher(t, d)
	low := testAlert()
	low.Severity = store.SeverityLow
	d.NotifyAlert(low)
	d.NotifyAlert(testAlert())
	waitFor(t, "deliveries", func() bool { return statsOf(d, "all").Sent == 2 && statsOf(d, "high").Sent == 1 })
	if high.requests.Load() != 1 {
		t.Errorf("the filtered channel got %d requests", high.requests.Load())
	}
}

// blockingChannel holds each Send until released or cancelled.
type blockingChannel struct {
	started chan Message
	release chan struct{}
	closed  atomic.Bool
}

func newBlockingChannel() *blockingChannel {
	return &blockingChannel{started: make(chan Message, 100), release: make(chan struct{})}
}

func (b *blockingChannel) Send(ctx context.Context, m Message) error {
	b.started <- m
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *blockingChannel) Close() error {
	b.closed.Store(true)
	return nil
}

func TestDispatcherDropsWhenQueueFull(t *testing.T) {
	ch := newBlockingChannel()
	d := newDispatcher("", nil)
	d.add(ChannelConfig{Name: "slow", Type: TypeWebhook, Delivery: Delivery{QueueSize: 2, Timeout: Duration(time.Minute)}}, ch)
	runDispatcher(t, d)
	d.NotifyAlert(testAlert())
	<-ch.started // the worker holds the first message
	for range 5 {
		d.NotifyAlert(testAlert()) // never blocks: two wait, three are dropped
	}
	st := statsOf(d, "slow")
	if st.Queued != 2 || st.Dropped != 3 {
		t.Errorf("stats = %+v, want 2 queued and 3 dropped", st)
	}
	close(ch.release)
	waitFor(t, "the queue to drain", func() bool { return statsOf(d, "slow").Sent == 3 })
}

func TestDispatcherStopCancelsAndCounts(t *testing.T) {
	ch := newBlockingChannel()
	logger, logs := newLogger()
	d := newDispatcher("", logger)
	d.add(ChannelConfig{Name: "slow", Type: TypeWebhook, Delivery: Delivery{QueueSize: 10, Timeout: Duration(time.Minute)}}, ch)
	stop := runDispatcher(t, d)
	for range 4 {
		d.NotifyAlert(testAlert())
	}
	<-ch.started
	stop() // returns although a Send is under way
	st := statsOf(d, "slow")
	if st.Dropped != 4 || st.Sent != 0 || st.Failed != 0 || st.Queued != 0 {
		t.Errorf("stats after stop = %+v, want 4 dropped", st)
	}
	if !ch.closed.Load() {
		t.Error("channel not closed at stop")
	}
	d.NotifyAlert(testAlert())
	if st := statsOf(d, "slow"); st.Dropped != 5 {
		t.Errorf("a message after stop was not counted as dropped: %+v", st)
	}
	if !strings.Contains(logs.String(), "notification abandoned at stop") {
		t.Errorf("the cancelled attempt was not logged:\n%s", logs)
	}
	if err := d.Run(context.Background()); err == nil {
		t.Error("second Run did not fail")
	}
}

func TestDispatcherRateLimit(t *testing.T) {
	srv := newFlakyServer(t, 0, 0)
	del := fastDelivery(1)
	del.RatePerMinute, del.Burst = 1, 2 // two at once, the next a minute later
	d, err := NewDispatcher(Config{Channels: []ChannelConfig{webhookChannelConfig("wh", srv.URL, del)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runDispatcher(t, d)
	for range 3 {
		d.NotifyAlert(testAlert())
	}
	waitFor(t, "the burst", func() bool { return statsOf(d, "wh").Sent == 2 })
	stop() // the third still waits for a token: dropped at stop
	if st := statsOf(d, "wh"); st.Sent != 2 || st.Dropped != 1 || srv.requests.Load() != 2 {
		t.Errorf("stats = %+v after %d requests", st, srv.requests.Load())
	}
}

func TestDispatcherFillsLinkAndID(t *testing.T) {
	ch := newBlockingChannel()
	close(ch.release)
	d := newDispatcher("https://vigil.example.com:8443/", nil)
	d.add(ChannelConfig{Name: "c", Type: TypeWebhook}, ch)
	runDispatcher(t, d)
	d.NotifyAlert(testAlert())
	m := <-ch.started
	if m.Link != "https://vigil.example.com:8443/alerts/al-0001" || len(m.NotificationID) != 36 {
		t.Errorf("link %q, notification id %q", m.Link, m.NotificationID)
	}
}

func TestDispatcherTest(t *testing.T) {
	srv := newFlakyServer(t, 1, http.StatusInternalServerError)
	d, err := NewDispatcher(Config{Channels: []ChannelConfig{webhookChannelConfig("wh", srv.URL, fastDelivery(1))}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Test(context.Background(), "wh"); err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("first test: %v", err)
	}
	if err := d.Test(context.Background(), "wh"); err != nil {
		t.Errorf("second test: %v", err)
	}
	if err := d.Test(context.Background(), "nope"); !errors.Is(err, ErrUnknownChannel) {
		t.Errorf("unknown channel: %v", err)
	}
	if st := statsOf(d, "wh"); st.Sent != 0 || st.Failed != 0 {
		t.Errorf("a test was counted: %+v", st)
	}
	if err := TestChannel(context.Background(), webhookChannelConfig("new", srv.URL, Delivery{})); err != nil {
		t.Errorf("TestChannel: %v", err)
	}
	if err := TestChannel(context.Background(), ChannelConfig{Name: "bad"}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("TestChannel of an invalid config: %v", err)
	}
}

func TestNewDispatcherRejectsInvalidConfig(t *testing.T) {
	_, err := NewDispatcher(Config{Channels: []ChannelConfig{{Name: "x", Type: TypeWebhook}}}, nil)
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("error = %v", err)
	}
	_, err = NewDispatcher(Config{Channels: []ChannelConfig{{Name: "x", Type: TypeSyslog, Syslog: &SyslogConfig{
		Network: NetworkTLS, Address: "127.0.0.1:6514", TLS: &TLSConfig{CAFile: "/nonexistent/ca.pem"},
	}}}}, nil)
	if err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("missing CA file: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	del := Delivery{InitialBackoff: Duration(time.Second), MaxBackoff: Duration(10 * time.Second)}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 30: 10 * time.Second} {
		for range 50 {
			got := backoff(del, attempt)
			if got < want/2 || got > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, got, want/2, want)
			}
		}
	}
}

func TestFilterMatch(t *testing.T) {
	m := testMessage() // critical, vigil.web.exploit, T1190 and T1059.004
	tests := []struct {
		name   string
		filter Filter
		want   bool
	}{
		{"empty", Filter{}, true},
		{"severity below", Filter{MinSeverity: store.SeverityCritical}, true},
		{"rule exact", Filter{RuleIDs: []string{"vigil.web.exploit"}}, true},
		{"rule pattern", Filter{RuleIDs: []string{"vigil.agent.*", "vigil.web.*"}}, true},
		{"rule miss", Filter{RuleIDs: []string{"vigil.agent.*"}}, false},
		{"technique parent", Filter{Techniques: []string{"T1059"}}, true},
		{"technique exact", Filter{Techniques: []string{"T1190"}}, true},
		{"technique miss", Filter{Techniques: []string{"T1562"}}, false},
		{"sibling is no match", Filter{Techniques: []string{"T1059.001"}}, false},
		{"all must match", Filter{MinSeverity: store.SeverityHigh, RuleIDs: []string{"vigil.agent.*"}}, false},
	}
	for _, tt := range tests {
		if got := tt.filter.Match(m); got != tt.want {
			t.Errorf("%s: Match = %v, want %v", tt.name, got, tt.want)
		}
	}
	low := m
	low.Severity = store.SeverityLow
	if (Filter{MinSeverity: store.SeverityMedium}).Match(low) {
		t.Error("a low alert passed min_severity medium")
	}
}
