package baseline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

func TestLearningThenLearned(t *testing.T) {
	const ip = "203.0.113.5"
	type step struct {
		after      time.Duration // since t0
		wantStatus string
		wantLogins int64
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"enough logins, then the period passes", []step{
			{0, StatusLearning, 0},
			{time.Hour, StatusLearning, 1},
			{2 * time.Hour, StatusLearning, 2},
			{23 * time.Hour, StatusLearning, 3},
			{24 * time.Hour, StatusLearned, 4},
			{25 * time.Hour, StatusLearned, 5},
		}},
		{"the period passes, then enough logins", []step{
			{0, StatusLearning, 0},
			{48 * time.Hour, StatusLearning, 1},
			{72 * time.Hour, StatusLearning, 2},
			{96 * time.Hour, StatusLearned, 3},
		}},
		{"many logins within the period", []step{
			{0, StatusLearning, 0},
			{time.Minute, StatusLearning, 1},
			{2 * time.Minute, StatusLearning, 2},
			{3 * time.Minute, StatusLearning, 3},
			{4 * time.Minute, StatusLearning, 4},
			{23*time.Hour + 59*time.Minute, StatusLearning, 5},
		}},
		{"a late event moves the first login back", []step{
			{48 * time.Hour, StatusLearning, 0},
			{49 * time.Hour, StatusLearning, 1},
			{0, StatusLearning, 2},
			{50 * time.Hour, StatusLearned, 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(testConfig(newTestStore(t)))
			for i, st := range tt.steps {
				got := observe(t, s, "ag-1", "alice", t0.Add(st.after), ip)
				want := map[string]any{"status": st.wantStatus, "logins": st.wantLogins, "hour": t0.Add(st.after).Hour()}
				if st.wantStatus == StatusLearned {
					want["new_source"], want["new_network"], want["unusual_hour"] = false, false, false
				} else {
					want["new_source"], want["new_network"], want["unusual_hour"] = nil, nil, nil
				}
				t.Logf("step %d", i)
				wantFields(t, got, want)
			}
		})
	}
}

func TestSources(t *testing.T) {
	tests := []struct {
		name        string
		ip          string
		newSource   bool
		newNetwork  bool
		wantSources int // known_sources of the judged login
	}{
		{"known IPv4 address", "203.0.113.5", false, false, 2},
		{"known address in IPv4-mapped IPv6 form", "::ffff:203.0.113.5", false, false, 2},
		{"new address in a known /24", "203.0.113.200", true, false, 2},
		{"new address in the next /24", "203.0.114.5", true, true, 2},
		{"new address far away", "198.51.100.7", true, true, 2},
		{"known IPv6 address", "2001:db8:1:2::5", false, false, 2},
		{"known IPv6 address written in full", "2001:0db8:0001:0002:0000:0000:0000:0005", false, false, 2},
		{"new IPv6 address in a known /64", "2001:db8:1:2:ffff:ffff:ffff:1", true, false, 2},
		{"new IPv6 address in the next /64", "2001:db8:1:3::5", true, true, 2},
		{"IPv6 address embedding a known IPv4 one", "64:ff9b::203.0.113.5", true, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(testConfig(newTestStore(t)))
			train(t, s, "ag-1", "alice", t0, "203.0.113.5", 10)
			train(t, s, "ag-1", "alice", t0.Add(24*time.Hour), "2001:db8:1:2::5", 10)
			got := observe(t, s, "ag-1", "alice", t0.Add(34*time.Hour), tt.ip)
			wantFields(t, got, map[string]any{
				"status": StatusLearned, "logins": int64(20), "known_sources": tt.wantSources,
				"new_source": tt.newSource, "new_network": tt.newNetwork, "unusual_hour": false,
			})
		})
	}
}

func TestSourcesPerUserAndHost(t *testing.T) {
	s := New(testConfig(newTestStore(t)))
	train(t, s, "ag-1", "alice", t0, "203.0.113.5", 5)
	train(t, s, "ag-1", "bob", t0, "198.51.100.7", 5)
	train(t, s, "ag-2", "alice", t0, "192.0.2.1", 5)
	at := t0.Add(48 * time.Hour)
	for _, c := range []struct {
		agent, user, ip string
		newSource       bool
	}{
		{"ag-1", "alice", "203.0.113.5", false},
		{"ag-1", "alice", "198.51.100.7", true}, // bob's address
		{"ag-1", "bob", "198.51.100.7", false},
		{"ag-2", "alice", "203.0.113.5", true}, // alice's address on another host
		{"ag-2", "alice", "192.0.2.1", false},
	} {
		got := observe(t, s, c.agent, c.user, at, c.ip)
		if got["new_source"] != c.newSource {
			t.Errorf("%s on %s from %s: new_source = %v, want %v", c.user, c.agent, c.ip, got["new_source"], c.newSource)
		}
	}
}

func TestUnusualHour(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("time zone database: %v", err)
	}
	// train learns 100 logins: at hours (in loc) as given, the rest at
	// 10:30.
	type trained map[int]int
	tests := []struct {
		name     string
		loc      *time.Location
		trained  trained
		login    time.Time // judged login, UTC
		wantHour int
		want     bool
	}{
		{"usual hour", time.UTC, trained{}, time.Date(2025, 4, 1, 10, 5, 0, 0, time.UTC), 10, false},
		{"neighbouring hour", time.UTC, trained{}, time.Date(2025, 4, 1, 11, 59, 0, 0, time.UTC), 11, false},
		{"two hours off", time.UTC, trained{}, time.Date(2025, 4, 1, 12, 0, 0, 0, time.UTC), 12, true},
		{"night", time.UTC, trained{}, time.Date(2025, 4, 1, 3, 0, 0, 0, time.UTC), 3, true},
		{"hour holding 2% is usual", time.UTC, trained{3: 2}, time.Date(2025, 4, 1, 3, 0, 0, 0, time.UTC), 3, false},
		{"hour holding 1% is unusual", time.UTC, trained{3: 1}, time.Date(2025, 4, 1, 3, 0, 0, 0, time.UTC), 3, true},
		{"neighbours together reach 2%", time.UTC, trained{2: 1, 4: 1}, time.Date(2025, 4, 1, 3, 0, 0, 0, time.UTC), 3, false},
		{"23:00 learned, 00:00 is its neighbour", time.UTC, trained{23: 50}, time.Date(2025, 4, 1, 0, 10, 0, 0, time.UTC), 0, false},
		{"00:00 learned, 23:00 is its neighbour", time.UTC, trained{0: 50}, time.Date(2025, 4, 1, 23, 10, 0, 0, time.UTC), 23, false},
		{"23:00 learned, 01:00 is not", time.UTC, trained{23: 50}, time.Date(2025, 4, 1, 1, 10, 0, 0, time.UTC), 1, true},
		{"00:00 learned, 22:00 is not", time.UTC, trained{0: 50}, time.Date(2025, 4, 1, 22, 10, 0, 0, time.UTC), 22, true},
		// 16:10 UTC is 00:10 in Shanghai: the wrap is in the baseline's zone.
		{"Shanghai 23:00 learned, 00:10 Shanghai", shanghai, trained{23: 50}, time.Date(2025, 4, 1, 16, 10, 0, 0, time.UTC), 0, false},
		{"Shanghai 23:00 learned, 01:10 Shanghai", shanghai, trained{23: 50}, time.Date(2025, 4, 1, 17, 10, 0, 0, time.UTC), 1, true},
		// 10:30 in Shanghai is 02:30 UTC.
		{"Shanghai office hours at 02:30 UTC", shanghai, trained{}, time.Date(2025, 4, 1, 2, 30, 0, 0, time.UTC), 10, false},
		{"Shanghai at 10:30 UTC", shanghai, trained{}, time.Date(2025, 4, 1, 10, 30, 0, 0, time.UTC), 18, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(newTestStore(t))
			cfg.Location = tt.loc
			s := New(cfg)
			day := time.Date(2025, 3, 1, 0, 0, 0, 0, tt.loc)
			n := 0
			for hour, count := range tt.trained {
				for range count {
					observe(t, s, "ag-1", "alice", day.AddDate(0, 0, n%28).Add(time.Duration(hour)*time.Hour+30*time.Minute), "203.0.113.5")
					n++
				}
			}
			for ; n < 100; n++ {
				observe(t, s, "ag-1", "alice", day.AddDate(0, 0, n%28).Add(10*time.Hour+30*time.Minute), "203.0.113.5")
			}
			got := observe(t, s, "ag-1", "alice", tt.login, "203.0.113.5")
			wantFields(t, got, map[string]any{
				"status": StatusLearned, "hour": tt.wantHour, "unusual_hour": tt.want, "new_source": false,
			})
		})
	}
}

func TestHourCountsInTimeZone(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("time zone database: %v", err)
	}
	at := time.Date(2025, 4, 1, 16, 10, 0, 0, time.UTC) // 00:10 in Shanghai
	for _, c := range []struct {
		loc      *time.Location
		wantHour int
		wantZone string
	}{
		{time.UTC, 16, "UTC"},
		{shanghai, 0, "Asia/Shanghai"},
	} {
		st := newTestStore(t)
		cfg := testConfig(st)
		cfg.Location = c.loc
		s := New(cfg)
		observe(t, s, "ag-1", "alice", at, "203.0.113.5")
		views, _, err := s.Profiles(context.Background(), store.LoginProfileFilter{})
		if err != nil {
			t.Fatalf("Profiles: %v", err)
		}
		if len(views) != 1 {
			t.Fatalf("Profiles returned %d, want 1", len(views))
		}
		v := views[0]
		if v.Hours[c.wantHour] != 1 {
			t.Errorf("%s: hours = %v, want the login at %d", c.loc, v.Hours, c.wantHour)
		}
		if v.TimeZone != c.wantZone {
			t.Errorf("%s: time_zone = %q, want %q", c.loc, v.TimeZone, c.wantZone)
		}
	}
}

func TestConsoleLogin(t *testing.T) {
	s := New(testConfig(newTestStore(t)))
	train(t, s, "ag-1", "root", t0, "203.0.113.5", 5)

	got := observe(t, s, "ag-1", "root", t0.Add(48*time.Hour), "")
	wantFields(t, got, map[string]any{
		"status": StatusLearned, "logins": int64(5), "known_sources": 1, "hour": 8,
		"unusual_hour": false, "new_source": nil, "new_network": nil,
	})
	got = observe(t, s, "ag-1", "root", t0.Add(48*time.Hour+12*time.Hour), "")
	wantFields(t, got, map[string]any{"logins": int64(6), "known_sources": 1, "hour": 20, "unusual_hour": true, "new_source": nil})

	// A console-only user learns hours, no sources.
	train(t, s, "ag-1", "operator", t0, "", 3)
	got = observe(t, s, "ag-1", "operator", t0.Add(48*time.Hour), "")
	wantFields(t, got, map[string]any{"status": StatusLearned, "known_sources": 0, "unusual_hour": false, "new_source": nil})
	// Its first remote login is from a new source and network.
	got = observe(t, s, "ag-1", "operator", t0.Add(49*time.Hour), "192.0.2.10")
	wantFields(t, got, map[string]any{"known_sources": 0, "new_source": true, "new_network": true})

	// An address that does not parse is judged as absent and not learned.
	got = observe(t, s, "ag-1", "operator", t0.Add(50*time.Hour), "not-an-address")
	wantFields(t, got, map[string]any{"known_sources": 1, "new_source": nil, "unusual_hour": false})
	got = observe(t, s, "ag-1", "operator", t0.Add(51*time.Hour), "192.0.2.10")
	wantFields(t, got, map[string]any{"known_sources": 1, "new_source": false})
}

func TestEventFieldsKeepOthers(t *testing.T) {
	s := New(testConfig(newTestStore(t)))
	ev := loginEvent("ag-1", "alice", t0, "203.0.113.5")
	if !s.Observe(ev) {
		t.Fatal("Observe = false")
	}
	if got := ev.String("vigil.auth.method"); got != "publickey" {
		t.Errorf("vigil.auth.method = %q after Observe, want publickey", got)
	}
	// The fields survive the JSON the rules and the store see.
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	back, err := event.Decode(data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	for path, want := range map[string]string{
		"vigil.baseline.login.status":        "learning",
		"vigil.baseline.login.hour":          "8",
		"vigil.baseline.login.logins":        "0",
		"vigil.baseline.login.known_sources": "0",
	} {
		if got := back.String(path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if _, ok := back.Get("vigil.baseline.login.new_source"); ok {
		t.Error("new_source set while learning")
	}
}

func TestNotLogins(t *testing.T) {
	with := func(f func(e event.Event)) event.Event {
		e := loginEvent("ag-1", "alice", t0, "203.0.113.5")
		f(e)
		return e
	}
	tests := []struct {
		name string
		ev   event.Event
	}{
		{"failed password", with(func(e event.Event) {
			e.Set("event.action", "login-failed")
			e.Set("event.outcome", "failure")
		})},
		{"logged-in with outcome failure", with(func(e event.Event) { e.Set("event.outcome", "failure") })},
		{"logged-in without outcome", with(func(e event.Event) { delete(e["event"].(map[string]any), "outcome") })},
		{"invalid user", with(func(e event.Event) {
			e.Set("event.action", "invalid-user")
			e.Set("event.outcome", "failure")
		})},
		{"su", with(func(e event.Event) {
			e.Set("event.category", "session")
			e.Set("event.action", "su")
			e.Set("user.target.name", "root")
		})},
		{"sudo", with(func(e event.Event) {
			e.Set("event.category", "iam")
			e.Set("event.action", "sudo")
			e.Set("process.command_line", "/usr/bin/id")
		})},
		{"wtmp record of a login", with(func(e event.Event) {
			e.Set("event.category", "session")
			e.Set("event.action", "login-recorded")
			e.Set("event.provider", "wtmp")
		})},
		{"PAM session opened", with(func(e event.Event) {
			e.Set("event.category", "session")
			e.Set("event.action", "session-opened")
		})},
		{"logged-in of another category", with(func(e event.Event) { e.Set("event.category", "web") })},
		{"logged-in without user", with(func(e event.Event) { delete(e, "user") })},
		{"logged-in with empty user", with(func(e event.Event) { e.Set("user.name", "") })},
		{"logged-in without agent", with(func(e event.Event) { delete(e, "agent") })},
		{"user name holding NUL", with(func(e event.Event) { e.Set("user.name", "root\x00") })},
		{"user name that is not UTF-8", with(func(e event.Event) { e.Set("user.name", "r\xffoot") })},
		{"user name longer than any account's", with(func(e event.Event) { e.Set("user.name", strings.Repeat("a", 257)) })},
		{"agent id holding NUL", with(func(e event.Event) { e.Set("agent.id", "ag\x00-1") })},
		{"network connection", event.Event{
			"@timestamp": t0.Format(time.RFC3339), "agent": map[string]any{"id": "ag-1"},
			"event":  map[string]any{"id": "ev-n", "category": "network", "action": "connection-attempted", "outcome": "success"},
			"source": map[string]any{"ip": "10.0.0.5"}, "destination": map[string]any{"ip": "203.0.113.9", "port": 443},
			"user": map[string]any{"name": "alice"},
		}},
		{"process start", event.Event{
			"@timestamp": t0.Format(time.RFC3339), "agent": map[string]any{"id": "ag-1"},
			"event":   map[string]any{"id": "ev-p", "category": "process", "action": "exec"},
			"process": map[string]any{"executable": "/usr/bin/id"},
		}},
		{"action of another type", with(func(e event.Event) { e.Set("event.action", []any{"logged-in"}) })},
		{"empty event", event.Event{}},
		{"nil event", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStore(t)
			s := New(testConfig(st))
			before := cloneEvent(tt.ev)
			if tt.ev == nil {
				before = nil
			}
			if s.Observe(tt.ev) {
				t.Fatal("Observe = true, want false")
			}
			if !reflect.DeepEqual(tt.ev, before) {
				t.Errorf("event changed:\n got %v\nwant %v", tt.ev, before)
			}
			if err := s.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			ps, _, err := st.ListLoginProfiles(context.Background(), store.LoginProfileFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 0 {
				t.Errorf("profiles learned: %+v", ps)
			}
		})
	}
}

func TestCategoryList(t *testing.T) {
	for _, cat := range []any{[]any{"session", "authentication"}, []string{"authentication"}} {
		s := New(testConfig(newTestStore(t)))
		ev := loginEvent("ag-1", "alice", t0, "203.0.113.5")
		ev.Set("event.category", cat)
		if !s.Observe(ev) {
			t.Errorf("category %v: Observe = false, want true", cat)
		}
	}
}

func TestRestartContinuesProfile(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	s1 := New(testConfig(st))
	train(t, s1, "ag-1", "alice", t0, "203.0.113.5", 3)
	observe(t, s1, "ag-1", "alice", t0.Add(3*time.Hour), "2001:db8::1")
	if err := s1.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	p := storedProfile(t, st, "ag-1", "alice")
	if p.Logins != 4 || p.Revision != 1 || len(p.Sources) != 2 || p.Sources[0].IP != "2001:db8::1" {
		t.Fatalf("stored profile: %+v", p)
	}
	if !p.FirstSeen.Equal(t0) || !p.LastSeen.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("stored first/last seen %s %s", p.FirstSeen, p.LastSeen)
	}

	// Nothing changed: nothing is written.
	if err := s1.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := storedProfile(t, st, "ag-1", "alice").Revision; got != 1 {
		t.Errorf("revision after an idle Flush = %d, want 1", got)
	}

	s2 := New(testConfig(st))
	if err := s2.Load(ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := observe(t, s2, "ag-1", "alice", t0.Add(48*time.Hour), "203.0.113.5")
	wantFields(t, got, map[string]any{
		"status": StatusLearned, "logins": int64(4), "known_sources": 2, "new_source": false, "new_network": false,
	})
	got = observe(t, s2, "ag-1", "alice", t0.Add(49*time.Hour), "2001:db8::2")
	wantFields(t, got, map[string]any{"known_sources": 2, "new_source": true, "new_network": false})
	if err := s2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	p = storedProfile(t, st, "ag-1", "alice")
	if p.Logins != 6 || p.Revision != 2 || len(p.Sources) != 3 {
		t.Errorf("profile after restart: %+v", p)
	}
	var sum int64
	for _, n := range p.Hours {
		sum += n
	}
	if sum != 6 {
		t.Errorf("hours %v sum to %d, want 6", p.Hours, sum)
	}
	if p.Sources[0].IP != "2001:db8::2" || p.Sources[1].IP != "203.0.113.5" || p.Sources[1].Count != 4 {
		t.Errorf("sources: %+v", p.Sources)
	}
}

func TestLoadKeepsUnflushedAndSkipsBadAddresses(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	err := st.PutLoginProfiles(ctx, []store.LoginProfile{{
		AgentID: "ag-1", User: "alice", FirstSeen: t0, LastSeen: t0.Add(time.Hour), Logins: 2,
		Sources: []store.LoginSource{
			{IP: "203.0.113.5", FirstSeen: t0, LastSeen: t0, Count: 1},
			{IP: "bogus", FirstSeen: t0, LastSeen: t0, Count: 1},
			{IP: "198.51.100.1", FirstSeen: t0.Add(time.Hour), LastSeen: t0.Add(time.Hour), Count: 1},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	s := New(testConfig(st))
	observe(t, s, "ag-2", "bob", t0, "192.0.2.1") // learned before Load, not flushed
	if err := s.Load(ctx); err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := observe(t, s, "ag-1", "alice", t0.Add(2*time.Hour), "198.51.100.1")
	wantFields(t, got, map[string]any{"logins": int64(2), "known_sources": 2})
	got = observe(t, s, "ag-2", "bob", t0.Add(time.Hour), "192.0.2.1")
	wantFields(t, got, map[string]any{"logins": int64(1), "known_sources": 1})
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	p := storedProfile(t, st, "ag-1", "alice")
	if len(p.Sources) != 2 || p.Sources[0].IP != "198.51.100.1" || p.Sources[0].Count != 2 || p.Sources[1].IP != "203.0.113.5" {
		t.Errorf("sources after load: %+v", p.Sources)
	}
	if p := storedProfile(t, st, "ag-2", "bob"); p.Logins != 2 {
		t.Errorf("bob's profile learned before Load: %+v", p)
	}
}

func TestFlushFailureKeepsDirty(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	s := New(testConfig(st))
	train(t, s, "ag-1", "alice", t0, "203.0.113.5", 2)
	// A canceled context makes the store's calls fail.
	if err := s.Flush(canceled()); !errors.Is(err, context.Canceled) {
		t.Fatalf("failing Flush = %v, want %v", err, context.Canceled)
	}
	observe(t, s, "ag-1", "alice", t0.Add(5*time.Hour), "203.0.113.6")
	if _, _, err := s.Profiles(canceled(), store.LoginProfileFilter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("failing Profiles = %v, want %v", err, context.Canceled)
	}
	if _, err := st.GetLoginProfile(ctx, "ag-1", "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("profile stored by a failed Flush: %v", err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush after the failure: %v", err)
	}
	p := storedProfile(t, st, "ag-1", "alice")
	if p.Logins != 3 || len(p.Sources) != 2 || p.Revision != 1 {
		t.Errorf("profile after the failed Flush: %+v", p)
	}
}

func TestNoStore(t *testing.T) {
	ctx := context.Background()
	s := New(Config{})
	if !s.Observe(loginEvent("ag-1", "alice", t0, "203.0.113.5")) {
		t.Error("Observe without a store = false")
	}
	if err := s.Flush(ctx); !errors.Is(err, ErrNoStore) {
		t.Errorf("Flush = %v", err)
	}
	if err := s.Load(ctx); !errors.Is(err, ErrNoStore) {
		t.Errorf("Load = %v", err)
	}
	if _, err := s.Reset(ctx, "ag-1", ""); !errors.Is(err, ErrNoStore) {
		t.Errorf("Reset = %v", err)
	}
	if _, _, err := s.Profiles(ctx, store.LoginProfileFilter{}); !errors.Is(err, ErrNoStore) {
		t.Errorf("Profiles = %v", err)
	}
}

func TestReset(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*Service, store.BaselineStore) {
		st := newTestStore(t)
		s := New(testConfig(st))
		train(t, s, "ag-1", "alice", t0, "203.0.113.5", 3)
		train(t, s, "ag-1", "bob", t0, "203.0.113.6", 3)
		train(t, s, "ag-2", "alice", t0, "203.0.113.7", 3)
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		// Learned since the Flush: carol is in memory only.
		train(t, s, "ag-1", "carol", t0, "203.0.113.8", 1)
		return s, st
	}
	tests := []struct {
		name       string
		agent      string
		user       string
		want       int
		forgotten  []string // agent/user
		remembered []string
	}{
		{"one user", "ag-1", "alice", 1, []string{"ag-1/alice"}, []string{"ag-1/bob", "ag-2/alice", "ag-1/carol"}},
		{"one user learned in memory only", "ag-1", "carol", 1, []string{"ag-1/carol"}, []string{"ag-1/alice", "ag-1/bob", "ag-2/alice"}},
		{"every user of an agent", "ag-1", "", 3, []string{"ag-1/alice", "ag-1/bob", "ag-1/carol"}, []string{"ag-2/alice"}},
		{"unknown user", "ag-1", "mallory", 0, nil, []string{"ag-1/alice", "ag-1/bob", "ag-2/alice", "ag-1/carol"}},
		{"unknown agent", "ag-9", "", 0, nil, []string{"ag-1/alice", "ag-1/bob", "ag-2/alice", "ag-1/carol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st := setup(t)
			n, err := s.Reset(ctx, tt.agent, tt.user)
			if err != nil {
				t.Fatalf("Reset: %v", err)
			}
			if n != tt.want {
				t.Errorf("Reset returned %d, want %d", n, tt.want)
			}
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			for _, au := range tt.forgotten {
				agent, user, _ := strings.Cut(au, "/")
				if _, err := st.GetLoginProfile(ctx, agent, user); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s still stored (%v)", au, err)
				}
				got := observe(t, s, agent, user, t0.Add(72*time.Hour), "203.0.113.5")
				wantFields(t, got, map[string]any{"status": StatusLearning, "logins": int64(0), "known_sources": 0})
			}
			for _, au := range tt.remembered {
				agent, user, _ := strings.Cut(au, "/")
				storedProfile(t, st, agent, user)
				got := observe(t, s, agent, user, t0.Add(72*time.Hour), "203.0.113.5")
				if got["logins"].(int64) == 0 {
					t.Errorf("%s forgotten", au)
				}
			}
		})
	}

	t.Run("agent id required", func(t *testing.T) {
		s, _ := setup(t)
		if _, err := s.Reset(ctx, "", "alice"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Reset without agent = %v, want ErrInvalid", err)
		}
	})
	t.Run("store failure forgets nothing", func(t *testing.T) {
		s, st := setup(t)
		if _, err := s.Reset(canceled(), "ag-1", ""); !errors.Is(err, context.Canceled) {
			t.Fatalf("Reset = %v, want %v", err, context.Canceled)
		}
		storedProfile(t, st, "ag-1", "alice")
		got := observe(t, s, "ag-1", "carol", t0.Add(72*time.Hour), "203.0.113.5")
		wantFields(t, got, map[string]any{"logins": int64(1)})
	})
}

func TestMaxSources(t *testing.T) {
	ctx := context.Background()
	ip := func(i int) string { return fmt.Sprintf("192.0.2.%d", i) }
	type login struct {
		ip    int
		after time.Duration
	}
	tests := []struct {
		name   string
		logins []login
		want   []string // stored sources, most recent first
	}{
		{"oldest dropped", []login{{1, 0}, {2, time.Hour}, {3, 2 * time.Hour}, {4, 3 * time.Hour}},
			[]string{ip(4), ip(3), ip(2)}},
		{"seen again moves up", []login{{1, 0}, {2, time.Hour}, {3, 2 * time.Hour}, {1, 3 * time.Hour}, {4, 4 * time.Hour}},
			[]string{ip(4), ip(1), ip(3)}},
		{"late event of a new address older than all is dropped", []login{{1, 2 * time.Hour}, {2, 3 * time.Hour}, {3, 4 * time.Hour}, {4, time.Hour}},
			[]string{ip(3), ip(2), ip(1)}},
		{"late event of a known address keeps its place", []login{{1, time.Hour}, {2, 2 * time.Hour}, {3, 3 * time.Hour}, {3, 0}},
			[]string{ip(3), ip(2), ip(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStore(t)
			cfg := testConfig(st)
			cfg.MaxSources = 3
			s := New(cfg)
			for _, l := range tt.logins {
				observe(t, s, "ag-1", "alice", t0.Add(l.after), ip(l.ip))
			}
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, src := range storedProfile(t, st, "ag-1", "alice").Sources {
				got = append(got, src.IP)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sources = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("a dropped address is new again", func(t *testing.T) {
		cfg := testConfig(newTestStore(t))
		cfg.MaxSources = 2
		s := New(cfg)
		for i := range 6 {
			observe(t, s, "ag-1", "alice", t0.Add(time.Duration(i)*10*time.Hour), ip(1+i%3))
		}
		got := observe(t, s, "ag-1", "alice", t0.Add(100*time.Hour), ip(1)) // 2 and 3 were seen after 1
		wantFields(t, got, map[string]any{"known_sources": 2, "new_source": true, "new_network": false})
	})

	t.Run("load trims to the most recent", func(t *testing.T) {
		st := newTestStore(t)
		var srcs []store.LoginSource
		for i := 1; i <= 5; i++ {
			at := t0.Add(time.Duration(i) * time.Hour)
			srcs = append(srcs, store.LoginSource{IP: ip(i), FirstSeen: at, LastSeen: at, Count: 1})
		}
		if err := st.PutLoginProfiles(ctx, []store.LoginProfile{{AgentID: "ag-1", User: "alice", FirstSeen: t0, LastSeen: t0.Add(5 * time.Hour), Logins: 5, Sources: srcs}}); err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(st)
		cfg.MaxSources = 2
		s := New(cfg)
		if err := s.Load(ctx); err != nil {
			t.Fatal(err)
		}
		got := observe(t, s, "ag-1", "alice", t0.Add(48*time.Hour), ip(4))
		wantFields(t, got, map[string]any{"known_sources": 2, "new_source": false})
		got = observe(t, s, "ag-1", "alice", t0.Add(49*time.Hour), ip(3))
		wantFields(t, got, map[string]any{"known_sources": 2, "new_source": true})
	})
}

func TestProfilesView(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	cfg := testConfig(st)
	now := t0.Add(10 * 24 * time.Hour)
	cfg.Now = func() time.Time { return now }
	s := New(cfg)
	// alice: 3 logins in the first hours: learned a day after the first.
	train(t, s, "ag-1", "alice", t0, "203.0.113.5", 3)
	// bob: his third login, two days in, is the one that ends learning.
	observe(t, s, "ag-1", "bob", t0, "203.0.113.6")
	observe(t, s, "ag-1", "bob", t0.Add(30*time.Hour), "203.0.113.6")
	observe(t, s, "ag-1", "bob", t0.Add(48*time.Hour), "203.0.113.6")
	// carol: two logins, still learning.
	train(t, s, "ag-1", "carol", t0, "", 2)
	// dave: many logins, but the period has not passed.
	train(t, s, "ag-2", "dave", now.Add(-2*time.Hour), "203.0.113.7", 2)
	// eve: logins far apart; her third, five days in, ends learning
	// (spread evenly, four logins over nine days would put it at six).
	for _, d := range []time.Duration{0, time.Hour, 5 * 24 * time.Hour, 9 * 24 * time.Hour} {
		observe(t, s, "ag-2", "eve", t0.Add(d), "203.0.113.8")
	}

	views, next, err := s.Profiles(ctx, store.LoginProfileFilter{})
	if err != nil {
		t.Fatalf("Profiles: %v", err)
	}
	if next != "" {
		t.Errorf("next cursor %q", next)
	}
	want := map[string]struct {
		status    string
		learnedAt time.Time
	}{
		"ag-1/alice": {StatusLearned, t0.Add(24 * time.Hour)},
		"ag-1/bob":   {StatusLearned, t0.Add(48 * time.Hour)},
		"ag-1/carol": {StatusLearning, time.Time{}},
		"ag-2/dave":  {StatusLearning, time.Time{}},
		"ag-2/eve":   {StatusLearned, t0.Add(5 * 24 * time.Hour)},
	}
	if len(views) != len(want) {
		t.Fatalf("Profiles returned %d, want %d", len(views), len(want))
	}
	for _, v := range views {
		k := v.AgentID + "/" + v.User
		w := want[k]
		if v.Status != w.status || !v.LearnedAt.Equal(w.learnedAt) {
			t.Errorf("%s: status %s learned at %s, want %s at %s", k, v.Status, v.LearnedAt, w.status, w.learnedAt)
		}
		if v.Revision != 1 || v.TimeZone != "UTC" {
			t.Errorf("%s: revision %d, time zone %q", k, v.Revision, v.TimeZone)
		}
	}

	// The JSON the API returns.
	data, err := json.Marshal(views)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"agent_id", "user", "first_seen", "last_seen", "logins", "hours", "sources", "revision", "status", "time_zone"} {
		if _, ok := got[2][key]; !ok {
			t.Errorf("JSON of a profile lacks %q: %s", key, data)
		}
	}
	if got[2]["user"] != "carol" || got[2]["sources"] == nil {
		t.Errorf("carol's sources: %v", got[2]["sources"])
	}
	if _, ok := got[2]["learned_at"]; ok {
		t.Errorf("learned_at set while learning: %v", got[2])
	}
	if got[0]["learned_at"] != "2025-03-11T08:30:00Z" || len(got[0]["hours"].([]any)) != 24 {
		t.Errorf("alice's JSON: %v", got[0])
	}

	// The filter and paging of the store apply.
	views, next, err = s.Profiles(ctx, store.LoginProfileFilter{AgentID: "ag-1", Page: store.Page{Limit: 2}})
	if err != nil || len(views) != 2 || next == "" {
		t.Fatalf("first page: %d views, next %q, %v", len(views), next, err)
	}
	views, next, err = s.Profiles(ctx, store.LoginProfileFilter{AgentID: "ag-1", Page: store.Page{Limit: 2, Cursor: next}})
	if err != nil || len(views) != 1 || views[0].User != "carol" || next != "" {
		t.Fatalf("second page: %+v, next %q, %v", views, next, err)
	}
}

func TestMinLoginsAt(t *testing.T) {
	p := func(logins int64, span time.Duration) store.LoginProfile {
		return store.LoginProfile{FirstSeen: t0, LastSeen: t0.Add(span), Logins: logins}
	}
	tests := []struct {
		name      string
		p         store.LoginProfile
		minLogins int
		want      time.Time
	}{
		{"exactly the minimum: the last login", p(10, 90*time.Hour), 10, t0.Add(90 * time.Hour)},
		{"minimum of one: the first login", p(10, 90*time.Hour), 1, t0},
		{"one login", p(1, 0), 10, t0},
		{"spread evenly", p(11, 100*time.Hour), 6, t0.Add(50 * time.Hour)},
		{"a long span does not overflow", p(1000, 200*365*24*time.Hour), 999, t0.Add(200*365*24*time.Hour - 200*365*24*time.Hour/999)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Within a millisecond: the estimate is computed in floating point.
			if got := minLoginsAt(tt.p, tt.minLogins); got.Sub(tt.want).Abs() > time.Millisecond {
				t.Errorf("minLoginsAt = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMissingTimestampTakesClock(t *testing.T) {
	cfg := testConfig(newTestStore(t))
	clock := time.Date(2025, 5, 5, 21, 15, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return clock }
	s := New(cfg)
	ev := loginEvent("ag-1", "alice", t0, "203.0.113.5")
	ev["@timestamp"] = "yesterday"
	if !s.Observe(ev) {
		t.Fatal("Observe = false")
	}
	wantFields(t, judgedFields(t, ev), map[string]any{"hour": 21})
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := storedProfile(t, cfg.Store, "ag-1", "alice"); !p.FirstSeen.Equal(clock) {
		t.Errorf("first seen %s, want the clock's %s", p.FirstSeen, clock)
	}
}

func TestConcurrentObserve(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	s := New(testConfig(st))
	const (
		workers = 8
		each    = 500
		users   = 5
	)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				user := fmt.Sprintf("user-%d", i%users)
				ev := loginEvent("ag-1", user, t0.Add(time.Duration(w*each+i)*time.Minute), fmt.Sprintf("192.0.2.%d", w))
				if !s.Observe(ev) {
					t.Error("Observe = false")
					return
				}
				if i%100 == 0 {
					if err := s.Flush(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if _, _, err := s.Profiles(ctx, store.LoginProfileFilter{}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	// Another agent's profiles churn meanwhile: learned, reset, loaded.
	wg.Go(func() {
		for i := range 50 {
			s.Observe(loginEvent("ag-2", "bob", t0.Add(time.Duration(i)*time.Minute), "198.51.100.1"))
			var err error
			switch i % 3 {
			case 0:
				_, err = s.Reset(ctx, "ag-2", "")
			case 1:
				err = s.Load(ctx)
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var total int64
	for u := range users {
		p := storedProfile(t, st, "ag-1", fmt.Sprintf("user-%d", u))
		total += p.Logins
		var sources int64
		for _, src := range p.Sources {
			sources += src.Count
		}
		if sources != p.Logins || len(p.Sources) != workers {
			t.Errorf("user-%d: %d logins, %d counted by %d sources", u, p.Logins, sources, len(p.Sources))
		}
	}
	if total != workers*each {
		t.Errorf("%d logins learned, want %d", total, workers*each)
	}
}

func TestZoneName(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("time zone database: %v", err)
	}
	if got := zoneName(shanghai); got != "Asia/Shanghai" {
		t.Errorf("zoneName(Asia/Shanghai) = %q", got)
	}
	if got := zoneName(time.UTC); got != "UTC" {
		t.Errorf("zoneName(UTC) = %q", got)
	}
	t.Setenv("TZ", "Europe/Berlin")
	if got := zoneName(time.Local); got != "Europe/Berlin" {
		t.Errorf("zoneName(Local) with TZ=Europe/Berlin = %q", got)
	}
	t.Setenv("TZ", "")
	if got := zoneName(time.Local); got != "UTC" {
		t.Errorf("zoneName(Local) with TZ empty = %q", got)
	}
}

// putHook runs a function while PutLoginProfiles writes.
type putHook struct {
	store.BaselineStore
	during func()
}

func (h putHook) PutLoginProfiles(ctx context.Context, ps []store.LoginProfile) error {
	if h.during != nil {
		h.during()
	}
	return h.BaselineStore.PutLoginProfiles(ctx, ps)
}

func TestLoginDuringFlushStaysDirty(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	hook := &putHook{BaselineStore: st}
	s := New(testConfig(hook))
	train(t, s, "ag-1", "alice", t0, "203.0.113.5", 2)
	hook.during = func() {
		hook.during = nil
		observe(t, s, "ag-1", "alice", t0.Add(5*time.Hour), "203.0.113.9")
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if p := storedProfile(t, st, "ag-1", "alice"); p.Logins != 2 {
		t.Fatalf("first Flush stored %d logins, want the 2 before it", p.Logins)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if p := storedProfile(t, st, "ag-1", "alice"); p.Logins != 3 || p.Revision != 2 {
		t.Errorf("second Flush stored %d logins at revision %d, want 3 at 2", p.Logins, p.Revision)
	}
}
