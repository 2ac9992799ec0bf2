// Package apiclienttest runs the center's real REST API for tests of its
// clients (package apiclient and the vigil CLI): internal/center/api over a
// SQLite store in a temporary directory, with the real command service and
// agent policy distributor on an embedded bus (package bustest) and the
// detection service's rules and exceptions (package detect, over
// apitest.RulePack), and on request the compliance service, the
// notification service, the vulnerability service, the threat-intelligence
// service and the login baseline, served over TLS on loopback. Tests seed
// the store through its interfaces, connect simulated agents that answer
// commands on the bus and evaluate compliance policies on folders standing
// for hosts with the agent's collector; nothing of the API is imitated
// here.
package apiclienttest

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/center/agentpolicy"
	"github.com/vigilsec/vigil/internal/center/api"
	"github.com/vigilsec/vigil/internal/center/api/apitest"
	"github.com/vigilsec/vigil/internal/center/baseline"
	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/center/compliance"
	"github.com/vigilsec/vigil/internal/center/detect"
	"github.com/vigilsec/vigil/internal/center/enroll"
	"github.com/vigilsec/vigil/internal/center/intel"
	"github.com/vigilsec/vigil/internal/center/notify"
	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/center/vuln/feed"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// Now is the API's clock in every Env that Options.Now does not give
// another: times in fixtures and in expected output are measured from it.
var Now = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

// Names of the API tokens every Env starts with.
const (
	AdminName  = "admin"
	ViewerName = "viewer"
)

// Env is one running center API. Its fields are set by Start and must not
// be changed.
type Env struct {
	// URL is the API's base URL (https://127.0.0.1:port).
	URL string
	// CAPEM is the certificate the server presents, as a CA file holds it,
	// and CAFile a file holding it, as VIGIL_CA names one.
	CAPEM  []byte
	CAFile string
	// AdminToken and ViewerToken are bearer values of API tokens with the
	// admin and the viewer role, named AdminName and ViewerName.
	AdminToken, ViewerToken string
	// Clock is the clock of the API and its services: Options.Now, else
	// Now.
	Clock func() time.Time
	// Store is the API's store, for seeding and for checking what calls
	// changed. Closing it makes /healthz report the store down.
	Store *sqlite.Store
	// Bus is the embedded bus the command service and the policy
	// distributor use.
	Bus *bustest.Center
	// PolicyBucket is the bus's key-value bucket of the agents' policies,
	// which Policies writes.
	PolicyBucket jetstream.KeyValue
	// Policies is the agent policy distributor.
	Policies *agentpolicy.Distributor
	// Detection is the detection service the API reloads after changes
	// (rules from apitest.RulePack and the store); it does not read
	// events. Tests that store rule files or exceptions themselves reload
	// it.
	Detection *detect.Service
	// Compliance is the compliance service (the shipped catalogue,
	// uploads, assignments, exceptions, scores) when Options.Compliance
	// asked for it, else nil and its routes answer 503.
	Compliance *compliance.Service
	// Notify is the notification service (the channels of
	// Options.Notify's file and those stored through the API) when
	// Options.Notify asked for it, else nil and its routes answer 503.
	Notify *notify.Service
	// Vulns is the vulnerability service behind /api/v1/vulndb when
	// Options.Vulns asked for it, else nil and those routes answer 503.
	Vulns *vuln.Service
	// Intel is the threat-intelligence service behind /api/v1/intel when
	// Options.Intel asked for it, else nil and the routes that need it
	// answer 503.
	Intel *intel.Service
	// Baselines is the login baseline behind /api/v1/baselines when
	// Options.Baselines asked for it, else nil and those routes answer
	// 503.
	Baselines *baseline.Service

	tb       testing.TB
	mu       sync.Mutex
	requests []string
}

// Options are the optional parts of an Env.
type Options struct {
	// Compliance runs the compliance service, and the agent policy
	// distributor puts the policies assigned to an agent into its
	// policy, as the center does.
	Compliance bool
	// Notify, when not nil, runs the notification service with the
	// channels of this notification file (read-only through the API) and
	// those of the store, whose secrets it seals with a key in a
	// temporary folder. Its channels deliver for real: tests point them
	// at receivers on loopback.
	Notify *notify.Config
	// Vulns, when not nil, runs the vulnerability service with these
	// configured sources (what a sync fetches), importing in a temporary
	// folder. The test's cleanup waits for its last job to end.
	Vulns *feed.Config
	// Intel runs the threat-intelligence service, loaded from the store.
	Intel bool
	// Baselines, when not nil, runs the login baseline with hours in this
	// time zone, loaded from the store.
	Baselines *time.Location
	// Now, when not nil, is the clock of the API and its services instead
	// of Now: a test that stores what the store judges by the wall clock
	// (the expiry of indicators) gives one after it, or the wall clock.
	Now func() time.Time
	// Wrap, when not nil, wraps the API's handler: a test acts between a
	// client's requests with it (starting a job, say).
	Wrap func(http.Handler) http.Handler
}

// Start starts the API on a fresh store and bus; the test's cleanup stops
// everything.
func Start(tb testing.TB) *Env {
	tb.Helper()
	return StartWith(tb, Options{})
}

// StartWith is Start with the optional parts opts asks for.
func StartWith(tb testing.TB, opts Options) *Env {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	bc := bustest.Start(tb)
	js, err := jetstream.New(bc.Server.Conn())
	if err != nil {
		tb.Fatalf("jetstream: %v", err)
	}
	kv, err := js.KeyValue(ctx, bus.PolicyBucket)
	if err != nil {
		tb.Fatalf("policy bucket: %v", err)
	}
	clock := opts.Now
	if clock == nil {
		clock = func() time.Time { return Now }
	}
	e := &Env{Store: st, Bus: bc, PolicyBucket: kv, Clock: clock, tb: tb}
	e.AdminToken = e.AddToken("at-admin", AdminName, store.RoleAdmin)
	e.ViewerToken = e.AddToken("at-viewer", ViewerName, store.RoleViewer)

	rules, err := detect.NewRules(ctx, apitest.RulePack(), st.Rules(), nil)
	if err != nil {
		tb.Fatalf("load rules: %v", err)
	}
	e.Detection = detect.New(detect.Config{Store: st, Rules: rules, Now: clock})
	policies := agentpolicy.Config{KV: kv, Store: st}
	if opts.Compliance {
		if e.Compliance, err = compliance.New(ctx, compliance.Config{Store: st, Now: clock}); err != nil {
			tb.Fatalf("compliance service: %v", err)
		}
		policies.Amend = e.Compliance.Amend
	}
	e.Policies = agentpolicy.New(policies)
	caHash := bc.CA.Hash()
	cfg := api.Config{
		Store:    st,
		Commands: command.New(command.Config{Conn: bc.Server.Conn(), Store: st}),
		Revoker:  revoker{bc},
		Policies: e.Policies,
		Enroll: enroll.New(enroll.Config{
			Store: st, Issuer: bc.Server, CAHash: caHash, NATSURLs: []string{bc.Server.ClientURL()}, Now: clock,
		}),
		CAHash:     caHash,
		Detection:  e.Detection,
		Compliance: e.Compliance,
		Now:        clock,
	}
	// The services the API takes as interfaces are set only when on: a
	// nil *Service would not be a nil interface.
	if opts.Notify != nil {
		e.Notify = startNotify(tb, st, *opts.Notify, clock)
		cfg.Notify = e.Notify
	}
	if opts.Vulns != nil {
		if e.Vulns, err = vuln.New(vuln.Config{Store: st, TempDir: tb.TempDir(), Now: clock, Sources: *opts.Vulns}); err != nil {
			tb.Fatalf("vulnerability service: %v", err)
		}
		cfg.Vulns = e.Vulns
	}
	if opts.Intel {
		e.Intel = intel.New(intel.Config{Store: st.Intel(), Now: clock})
		if err := e.Intel.Load(ctx); err != nil {
			tb.Fatalf("threat intelligence: %v", err)
		}
		cfg.Intel = e.Intel
	}
	if opts.Baselines != nil {
		e.Baselines = baseline.New(baseline.Config{Store: st.Baselines(), Location: opts.Baselines, Now: clock})
		if err := e.Baselines.Load(ctx); err != nil {
			tb.Fatalf("login baselines: %v", err)
		}
		cfg.Baselines = e.Baselines
	}
	var handler http.Handler = api.New(cfg)
	if opts.Wrap != nil {
		handler = opts.Wrap(handler)
	}
	srv := httptest.NewUnstartedServer(e.record(handler))
	// Refused handshakes are what some tests are about; keep them quiet.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	// Jobs run on after their request; let the last one end before the
	// server and the store close.
	tb.Cleanup(e.waitJobs)
	e.URL = srv.URL
	e.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	e.CAFile = filepath.Join(tb.TempDir(), "ca.pem")
	if err := os.WriteFile(e.CAFile, e.CAPEM, 0o600); err != nil {
		tb.Fatalf("write CA file: %v", err)
	}
	return e
}

// startNotify runs the notification service over the store with the
// channels of file until the test ends.
func startNotify(tb testing.TB, st *sqlite.Store, file notify.Config, clock func() time.Time) *notify.Service {
	tb.Helper()
	svc, err := notify.NewService(context.Background(), notify.ServiceConfig{File: file, FileName: "notify.yaml",
		Store: st.NotifyChannels(), KeyFile: filepath.Join(tb.TempDir(), notify.KeyFileName), Now: clock})
	if err != nil {
		tb.Fatalf("notification service: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("notification service: %v", err)
		}
	})
	return svc
}

// waitJobs waits for the vulnerability service's running job to end, if
// any; the deadline only bounds a hang.
func (e *Env) waitJobs() {
	if e.Vulns == nil {
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		running := false
		for _, j := range e.Vulns.Jobs() {
			running = running || j.State == vuln.JobRunning
		}
		if !running {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// record notes each request line for Requests, then serves it.
func (e *Env) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.requests = append(e.requests, r.Method+" "+r.URL.RequestURI())
		e.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// Requests returns "METHOD /path?query" of every request so far.
func (e *Env) Requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.requests...)
}

// LastRequest is the last request line served, "" before any.
func (e *Env) LastRequest() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.requests) == 0 {
		return ""
	}
	return e.requests[len(e.requests)-1]
}

// revoker takes a deleted agent's bus credentials away, as the center does.
type revoker struct{ bus *bustest.Center }

// RevokeAgent revokes the agent's user key on the bus.
func (r revoker) RevokeAgent(_ context.Context, a store.Agent) error {
	if a.UserKey == "" {
		return nil
	}
	return r.bus.Server.Revoke(a.UserKey)
}
