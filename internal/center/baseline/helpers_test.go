package baseline

import (
	"context"
	"maps"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// newTestStore opens a SQLite database in the test's directory and
// returns its baseline store.
func newTestStore(t *testing.T) store.BaselineStore {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st.Baselines()
}

// canceled is a context whose calls to the store fail.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// t0 is the time of the first login of the tests: a Monday, 08:30 UTC.
var t0 = time.Date(2025, 3, 10, 8, 30, 0, 0, time.UTC)

// testConfig is a configuration in UTC that learns after 3 logins and a
// day.
func testConfig(st store.BaselineStore) Config {
	return Config{
		Store:          st,
		Location:       time.UTC,
		LearningPeriod: 24 * time.Hour,
		MinLogins:      3,
		Now:            func() time.Time { return t0.Add(30 * 24 * time.Hour) },
	}
}

// loginEvent returns a successful login as the authlog sensor sends it
// (sshd, or login when ip is ""), with the agent's fields the runtime
// adds.
func loginEvent(agent, user string, at time.Time, ip string) event.Event {
	e := event.Event{
		"@timestamp": at.UTC().Format(time.RFC3339Nano),
		"event": map[string]any{
			"id": "ev-" + at.Format("150405.000000000"), "kind": "event", "category": "authentication",
			"type": []string{"start"}, "action": "logged-in", "dataset": "authlog", "outcome": "success",
			"provider": "syslog",
		},
		"agent":   map[string]any{"id": agent, "version": "1.0.0"},
		"host":    map[string]any{"name": "web-01"},
		"user":    map[string]any{"name": user},
		"process": map[string]any{"name": "sshd", "pid": 812},
		"vigil":   map[string]any{"auth": map[string]any{"service": "sshd", "method": "publickey"}},
		"message": "Accepted publickey for " + user,
	}
	if ip != "" {
		e["source"] = map[string]any{"ip": ip, "port": 50522}
	} else {
		e["process"] = map[string]any{"name": "login", "pid": 640, "tty": map[string]any{"name": "tty1"}}
		e["vigil"] = map[string]any{"auth": map[string]any{"service": "login"}}
		e["message"] = "LOGIN ON tty1 BY " + user
	}
	return e
}

// judgedFields returns the object Observe wrote into ev.
func judgedFields(t *testing.T, ev event.Event) map[string]any {
	t.Helper()
	v, ok := ev.Get(FieldLogin)
	if !ok {
		t.Fatalf("event has no %s: %v", FieldLogin, ev)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, want an object", FieldLogin, v)
	}
	return m
}

// observe observes a login and returns the judgment written into it.
func observe(t *testing.T, s *Service, agent, user string, at time.Time, ip string) map[string]any {
	t.Helper()
	ev := loginEvent(agent, user, at, ip)
	if !s.Observe(ev) {
		t.Fatalf("Observe(login of %s at %s from %q) = false, want true", user, at, ip)
	}
	return judgedFields(t, ev)
}

// train learns n logins of user on agent from ip, one an hour from at.
func train(t *testing.T, s *Service, agent, user string, at time.Time, ip string, n int) {
	t.Helper()
	for i := range n {
		observe(t, s, agent, user, at.Add(time.Duration(i)*time.Hour), ip)
	}
}

// storedProfile returns the stored profile of user on agent.
func storedProfile(t *testing.T, st store.BaselineStore, agent, user string) store.LoginProfile {
	t.Helper()
	p, err := st.GetLoginProfile(context.Background(), agent, user)
	if err != nil {
		t.Fatalf("GetLoginProfile(%s, %s): %v", agent, user, err)
	}
	return p
}

// cloneEvent returns a deep copy of the maps and lists of e.
func cloneEvent(e event.Event) event.Event {
	return event.Event(cloneValue(map[string]any(e)).(map[string]any))
}

func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := maps.Clone(t)
		for k, x := range out {
			out[k] = cloneValue(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = cloneValue(x)
		}
		return out
	case []string:
		return append([]string(nil), t...)
	}
	return v
}

// wantFields compares the judgment with want; a nil value in want means
// the field must be absent.
func wantFields(t *testing.T, got map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		switch {
		case w == nil && ok:
			t.Errorf("%s = %v, want absent", k, g)
		case w != nil && !ok:
			t.Errorf("%s absent, want %v", k, w)
		case w != nil && !reflect.DeepEqual(g, w):
			t.Errorf("%s = %v (%T), want %v (%T)", k, g, g, w, w)
		}
	}
}
