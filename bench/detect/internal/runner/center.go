package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/bench/detect/internal/workload"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/server"
	"github.com/vigilsec/vigil/internal/center/baseline"
	"github.com/vigilsec/vigil/internal/center/detect"
	"github.com/vigilsec/vigil/internal/center/intel"
	"github.com/vigilsec/vigil/internal/pki"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// center is the center's parts the benchmark runs: the bus server (the
// embedded NATS server with JetStream and the events stream, on a free
// loopback port, TLS with a CA of its own) and the JetStream client of
// the center's own connection.
type center struct {
	dir string
	ca  *pki.CA
	bus *server.Server
	js  jetstream.JetStream
}

func startCenter(ctx context.Context, dir string) (*center, error) {
	ca, err := pki.EnsureCA(filepath.Join(dir, "tls"))
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	cert, err := ca.EnsureServerCert(filepath.Join(dir, "tls"), []string{"127.0.0.1"})
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	b, err := server.Start(ctx, server.Config{
		Dir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:0", TLS: pki.ServerTLSConfig(cert),
		EventsMaxAge: time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: %w", err)
	}
	js, err := jetstream.New(b.Conn())
	if err != nil {
		b.Shutdown()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return &center{dir: dir, ca: ca, bus: b, js: js}, nil
}

func (c *center) shutdown() { c.bus.Shutdown() }

// identities issues bus credentials for n simulated agents, as
// enrollment does.
func (c *center) identities(n int) ([]bus.Identity, error) {
	ids := make([]bus.Identity, n)
	for i := range ids {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return nil, fmt.Errorf("agent key: %w", err)
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("agent key: %w", err)
		}
		seed, err := kp.Seed()
		if err != nil {
			return nil, fmt.Errorf("agent key: %w", err)
		}
		id := workload.AgentID(i)
		tok, err := c.bus.IssueAgent(id, pub)
		if err != nil {
			return nil, err
		}
		ids[i] = bus.Identity{AgentID: id, CenterURL: "https://127.0.0.1", NATSURLs: []string{c.bus.ClientURL()},
			UserJWT: tok, UserSeed: string(seed), CAPEM: string(c.ca.PEM())}
	}
	return ids, nil
}

// forgetConsumer deletes detection's durable consumer, so that the next
// service reads the stream from its first message.
func (c *center) forgetConsumer(ctx context.Context) error {
	err := c.js.DeleteConsumer(ctx, bus.EventsStream, detect.Consumer)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("delete consumer %s: %w", detect.Consumer, err)
	}
	return nil
}

// purge empties the events stream and forgets detection's consumer.
func (c *center) purge(ctx context.Context) error {
	if err := c.forgetConsumer(ctx); err != nil {
		return err
	}
	s, err := c.js.Stream(ctx, bus.EventsStream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", bus.EventsStream, err)
	}
	if err := s.Purge(ctx); err != nil {
		return fmt.Errorf("purge %s: %w", bus.EventsStream, err)
	}
	return nil
}

// notified is one NotifyAlert call.
type notified struct {
	ruleID  string
	eventID string
	at      time.Time
}

// notes is the service's Notifier: it records when each new alert was
// stored.
type notes struct {
	mu   sync.Mutex
	list []notified
}

// NotifyAlert records a new alert.
func (n *notes) NotifyAlert(a store.Alert) {
	at := time.Now()
	var ev string
	if len(a.EventIDs) > 0 {
		ev = a.EventIDs[0]
	}
	n.mu.Lock()
	n.list = append(n.list, notified{ruleID: a.RuleID, eventID: ev, at: at})
	n.mu.Unlock()
}

// byEvent returns when the alert of rule was stored, by event id.
func (n *notes) byEvent(rule string) map[string]time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[string]time.Time{}
	for _, x := range n.list {
		if x.ruleID == rule {
			out[x.eventID] = x.at
		}
	}
	return out
}

// detection is one run of the detection service on a store of its own.
type detection struct {
	store *sqlite.Store
	rules *detect.Rules
	svc   *detect.Service
	notes *notes
	// load is the time the rules took to load (read from the store and
	// compile).
	load time.Duration

	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
	stopErr  error
}

// newDetection opens a SQLite store in dir, imports the generated rules
// into it, as `vigil rules import` does, loads the rule set and makes
// the service. want is the number of rules it must load; with
// indicators, the service looks every event up in that many indicators
// and judges logins against the login baseline, as the center's does.
func (c *center) newDetection(ctx context.Context, dir string, set workload.RuleSet, want, indicators int, seed uint64) (*detection, error) {
	st, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"), sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	d := &detection{store: st, notes: &notes{}}
	fail := func(err error) (*detection, error) {
		_ = st.Close()
		return nil, err
	}
	for _, f := range set.Generated {
		if _, err := st.Rules().PutFile(ctx, store.RuleFile{Name: f.Name, Content: f.Content, Author: "benchmark"}); err != nil {
			return fail(fmt.Errorf("import %s: %w", f.Name, err))
		}
	}
	start := time.Now()
	d.rules, err = detect.NewRules(ctx, set.Builtin, st.Rules(), nil)
	if err != nil {
		return fail(err)
	}
	d.load = time.Since(start)
	if p := d.rules.Current().Problems; len(p) > 0 {
		return fail(fmt.Errorf("%d rules not loaded, first: %w", len(p), p[0]))
	}
	if got := d.rules.Stats().Loaded; got != want {
		return fail(fmt.Errorf("%d rules loaded, want %d", got, want))
	}
	cfg := detect.Config{JS: c.js, Store: st, Rules: d.rules, Notifier: d.notes}
	if indicators > 0 {
		if err := putIndicators(ctx, st.Intel(), indicators, seed); err != nil {
			return fail(err)
		}
		ti := intel.New(intel.Config{Store: st.Intel()})
		if err := ti.Load(ctx); err != nil {
			return fail(err)
		}
		logins := baseline.New(baseline.Config{Store: st.Baselines()})
		if err := logins.Load(ctx); err != nil {
			return fail(err)
		}
		cfg.Intel, cfg.Baseline = ti, logins
	}
	d.svc = detect.New(cfg)
	return d, nil
}

// putIndicators stores n indicators that no event holds: addresses and
// networks of 100.64.0.0/10, domains under .invalid, SHA-256 hashes.
func putIndicators(ctx context.Context, st store.IntelStore, n int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 0x1e7e1))
	batch := make([]store.Indicator, 0, 10_000)
	flush := func() error {
		if _, _, err := st.Put(ctx, batch); err != nil {
			return fmt.Errorf("store indicators: %w", err)
		}
		batch = batch[:0]
		return nil
	}
	for i := range n {
		in := store.Indicator{Source: "benchmark", Severity: "high", Confidence: 80}
		switch i % 10 {
		case 0, 1, 2:
			in.Type, in.Value = store.IndicatorIP, netip.AddrFrom4([4]byte{100, byte(64 + r.IntN(64)), byte(r.IntN(256)), byte(r.IntN(256))}).String()
		case 3:
			in.Type, in.Value = store.IndicatorIP, fmt.Sprintf("100.%d.%d.0/24", 64+r.IntN(64), r.IntN(256))
		case 4, 5, 6:
			in.Type, in.Value = store.IndicatorDomain, fmt.Sprintf("c2-%x.invalid", r.Uint64())
		default:
			in.Type, in.Value = store.IndicatorSHA256, fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
		}
		in.ID = store.IndicatorID(in.Type, in.Value, in.Source)
		batch = append(batch, in)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// start runs the service until stop.
func (d *detection) start() {
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.done = make(chan error, 1)
	go func() { d.done <- d.svc.Run(ctx) }()
}

// waitConsumer waits until the service reads the stream.
func (d *detection) waitConsumer(ctx context.Context, js jetstream.JetStream, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if _, err := js.Consumer(ctx, bus.EventsStream, detect.Consumer); err == nil {
			return nil
		}
		if err := d.failed(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no consumer %s after %s", detect.Consumer, limit)
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return err
		}
	}
}

// waitEvents waits until the service evaluated n events.
func (d *detection) waitEvents(ctx context.Context, n uint64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for d.svc.Stats().EventsTotal < n {
		if err := d.failed(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the service evaluated %d of %d events in %s", d.svc.Stats().EventsTotal, n, limit)
		}
		if err := sleep(ctx, 2*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// failed returns the service's error when Run ended.
func (d *detection) failed() error {
	select {
	case err := <-d.done:
		d.done <- err
		if err == nil {
			err = errors.New("the detection service stopped")
		}
		return err
	default:
		return nil
	}
}

// stop stops the service, when it runs, and closes the store; again, it
// returns the first call's error.
func (d *detection) stop() error {
	d.stopOnce.Do(func() {
		var err error
		if d.cancel != nil {
			d.cancel()
			err = <-d.done
		}
		d.stopErr = errors.Join(err, d.store.Close())
	})
	return d.stopErr
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
