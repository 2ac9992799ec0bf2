package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// holdingServer holds every request until released (or the client gives
// up) and then answers 204; it counts the requests it got and answered.
type holdingServer struct {
	*httptest.Server
	got      chan struct{}
	release  chan struct{}
	answered atomic.Int32
}

func newHoldingServer(t *testing.T) *holdingServer {
	h := &holdingServer{got: make(chan struct{}, 100), release: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.got <- struct{}{}
		select {
		case <-h.release:
			h.answered.Add(1)
			w.WriteHeader(http.StatusNoContent)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() {
		select {
		case <-h.release:
		default:
			close(h.release)
		}
		h.Close()
	})
	return h
}

// waitRequest waits for the next request to arrive.
func (h *holdingServer) waitRequest(t *testing.T) {
	t.Helper()
	select {
	case <-h.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no request arrived")
	}
}

// slowHook is a channel to url that waits a minute per attempt and
// never retries.
func slowHook(name, url string) ChannelConfig {
	return webhookChannelConfig(name, url, Delivery{QueueSize: 10, MaxAttempts: 1, Timeout: Duration(time.Minute)})
}

func TestSetChannels(t *testing.T) {
	held := newHoldingServer(t)
	fast := newFlakyServer(t, 0, 0)
	d := newDispatcher("", nil)
	runDispatcher(t, d)

	ch, err := d.SetChannels([]ChannelConfig{slowHook("a", held.URL)})
	if err != nil || !slices.Equal(ch.Added, []string{"a"}) || len(ch.Changed)+len(ch.Removed)+len(ch.Failed) != 0 {
		t.Fatalf("add: %+v, %v", ch, err)
	}
	for range 3 {
		d.NotifyAlert(testAlert())
	}
	held.waitRequest(t) // one being delivered, two waiting
	waitFor(t, "two waiting", func() bool { return statsOf(d, "a").Queued == 2 })

	// Unchanged: its worker and queue are untouched.
	ch, err = d.SetChannels([]ChannelConfig{slowHook("a", held.URL)})
	if err != nil || !slices.Equal(ch.Kept, []string{"a"}) || ch.Carried+ch.Dropped != 0 {
		t.Fatalf("same configuration: %+v, %v", ch, err)
	}
	if st := statsOf(d, "a"); st.Queued != 2 {
		t.Errorf("after an unchanged reload: %+v", st)
	}

	// Changed: the new configuration takes over the one being delivered
	// and the two waiting.
	changed := webhookChannelConfig("a", fast.URL, fastDelivery(1))
	ch, err = d.SetChannels([]ChannelConfig{changed})
	if err != nil || !slices.Equal(ch.Changed, []string{"a"}) || ch.Carried != 3 || ch.Dropped != 0 {
		t.Fatalf("changed: %+v, %v", ch, err)
	}
	waitFor(t, "the carried notifications", func() bool { return statsOf(d, "a").Sent == 3 })
	if fast.requests.Load() != 3 || held.answered.Load() != 0 {
		t.Errorf("%d delivered by the new configuration, %d by the old", fast.requests.Load(), held.answered.Load())
	}

	// Removed: it stops at once; what it had waiting is dropped and
	// counted.
	ch, err = d.SetChannels([]ChannelConfig{changed, slowHook("b", held.URL)})
	if err != nil || !slices.Equal(ch.Added, []string{"b"}) || !slices.Equal(ch.Kept, []string{"a"}) {
		t.Fatalf("add b: %+v, %v", ch, err)
	}
	d.NotifyAlert(testAlert())
	d.NotifyAlert(testAlert())
	held.waitRequest(t)
	waitFor(t, "a's deliveries", func() bool { return statsOf(d, "a").Sent == 5 })
	ch, err = d.SetChannels([]ChannelConfig{changed})
	if err != nil || !slices.Equal(ch.Removed, []string{"b"}) || ch.Dropped != 2 {
		t.Fatalf("remove b: %+v, %v", ch, err)
	}
	if _, ok := d.StatsOf("b"); ok || len(d.Stats()) != 1 {
		t.Errorf("b still runs: %+v", d.Stats())
	}

	// Disabled counts as removed; a configuration that cannot be built
	// is reported and does not run.
	off := changed
	off.Disabled = true
	broken := slowHook("c", held.URL)
	broken.Webhook.TLS = &TLSConfig{CAFile: "/nonexistent/ca.pem"}
	broken.Webhook.URL = strings.Replace(held.URL, "http:", "https:", 1)
	ch, err = d.SetChannels([]ChannelConfig{off, broken})
	if err != nil || !slices.Equal(ch.Removed, []string{"a"}) || ch.Failed["c"] == nil || !strings.Contains(ch.Failed["c"].Error(), "ca_file") {
		t.Fatalf("disable a, broken c: %+v, %v", ch, err)
	}
	if len(d.Stats()) != 0 {
		t.Errorf("running: %+v", d.Stats())
	}
	if err := d.Test(context.Background(), "a"); !errors.Is(err, ErrUnknownChannel) {
		t.Errorf("test of a stopped channel: %v", err)
	}
}

func TestSetChannelsKeepsFileChannels(t *testing.T) {
	fast := newFlakyServer(t, 0, 0)
	d, err := NewDispatcher(Config{Channels: []ChannelConfig{webhookChannelConfig("f", fast.URL, fastDelivery(1))}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Before Run: channels wait for it to start.
	ch, err := d.SetChannels([]ChannelConfig{webhookChannelConfig("f", fast.URL, fastDelivery(2)), webhookChannelConfig("g", fast.URL, fastDelivery(1))})
	if err != nil || ch.Failed["f"] == nil || !slices.Equal(ch.Added, []string{"g"}) {
		t.Fatalf("a name of the file: %+v, %v", ch, err)
	}
	d.NotifyAlert(testAlert())
	stop := runDispatcher(t, d)
	waitFor(t, "both to deliver", func() bool { return statsOf(d, "f").Sent == 1 && statsOf(d, "g").Sent == 1 })
	if ch, err := d.SetChannels(nil); err != nil || !slices.Equal(ch.Removed, []string{"g"}) {
		t.Fatalf("remove the API's: %+v, %v", ch, err)
	}
	if names := d.Stats(); len(names) != 1 || names[0].Name != "f" {
		t.Errorf("the file's channel went away: %+v", names)
	}
	stop()
	if _, err := d.SetChannels(nil); !errors.Is(err, ErrStopped) {
		t.Errorf("after Run: %v", err)
	}
}

// TestSetChannelsWhileNotifying changes channels while messages keep
// coming: every message is delivered, dropped or still counted, none is
// lost.
func TestSetChannelsWhileNotifying(t *testing.T) {
	fast := newFlakyServer(t, 0, 0)
	d := newDispatcher("", nil)
	stop := runDispatcher(t, d)
	cfgs := [][]ChannelConfig{
		{webhookChannelConfig("x", fast.URL, fastDelivery(1))},
		{webhookChannelConfig("x", fast.URL, Delivery{QueueSize: 3, MaxAttempts: 1, RatePerMinute: 600000, Burst: 1000})},
		{webhookChannelConfig("x", fast.URL, fastDelivery(2))},
	}
	if _, err := d.SetChannels(cfgs[0]); err != nil {
		t.Fatal(err)
	}
	const sent = 2000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range sent {
			d.NotifyAlert(testAlert())
		}
	}()
	dropped := 0
	for i := 0; ; i++ {
		select {
		case <-done:
		default:
			ch, err := d.SetChannels(cfgs[i%len(cfgs)])
			if err != nil {
				t.Fatal(err)
			}
			dropped += ch.Dropped
			continue
		}
		break
	}
	// Every message ends delivered or dropped: none is lost on the way.
	deadline := time.Now().Add(10 * time.Second)
	for st := statsOf(d, "x"); st.Sent+st.Dropped != sent; st = statsOf(d, "x") {
		if time.Now().After(deadline) {
			t.Fatalf("%d sent + %d dropped (%d at changes) != %d; %d queued", st.Sent, st.Dropped, dropped, sent, st.Queued)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if st := statsOf(d, "x"); st.Failed != 0 || st.Sent+st.Dropped != sent || int(st.Dropped) < dropped {
		t.Errorf("after stop: %+v, %d dropped at changes", st, dropped)
	}
}
