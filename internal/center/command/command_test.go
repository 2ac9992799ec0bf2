package command

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/store"
)

func TestExec(t *testing.T) {
	e := newEnv(t)
	web := map[string]string{"role": "web"}
	e.agent("a-ok", "charlie", web)
	e.agent("a-fail", "alpha", web)
	e.agent("a-silent", "bravo", web)
	e.agent("a-offline", "delta", web)
	e.agent("a-text", "echo", nil)
	e.agent("a-liar", "foxtrot", nil)
	e.answer("a-ok", ok("a-ok"))
	e.answer("a-fail", func(c *busv1.Command) *busv1.CommandReply {
		return &busv1.CommandReply{CommandId: c.Id, AgentId: "a-fail", Error: "no collector os/rpm"}
	})
	e.answer("a-silent", func(*busv1.Command) *busv1.CommandReply { return nil })
	e.answer("a-text", func(c *busv1.Command) *busv1.CommandReply {
		return &busv1.CommandReply{CommandId: c.Id, AgentId: "a-text", Ok: true, Output: []byte("plain text")}
	})
	e.answer("a-liar", func(c *busv1.Command) *busv1.CommandReply {
		return &busv1.CommandReply{CommandId: c.Id, AgentId: "a-ok", Ok: true}
	})
	s := New(Config{Conn: e.center, Store: e.store})

	resp, err := s.Exec(t.Context(), Request{
		Name: Ping, Selector: web, AgentIDs: []string{"a-text", "a-liar", "ghost", "a-ok"},
		Timeout: 500 * time.Millisecond, Actor: "alice",
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.ID == "" || resp.Command != Ping {
		t.Errorf("response id %q command %q", resp.ID, resp.Command)
	}
	want := []Result{
		{AgentID: "ghost", Error: "unknown agent"},
		{AgentID: "a-fail", Hostname: "alpha", Error: "no collector os/rpm"},
		{AgentID: "a-silent", Hostname: "bravo", Error: "timeout"},
		{AgentID: "a-ok", Hostname: "charlie", OK: true, Output: []byte(`{"command":"ping","issued_by":"alice","args":0}`)},
		{AgentID: "a-offline", Hostname: "delta", Error: "agent offline"},
		{AgentID: "a-text", Hostname: "echo", OK: true, Output: []byte(`"plain text"`)},
		{AgentID: "a-liar", Hostname: "foxtrot", Error: `invalid reply: answers command "` + resp.ID + `" of agent "a-ok"`},
	}
	if diff := cmp.Diff(want, resp.Results, cmpopts.IgnoreFields(Result{}, "DurationMS")); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	for _, r := range resp.Results {
		if r.AgentID == "a-offline" && r.DurationMS > 400 {
			t.Errorf("offline agent took %d ms: it waited instead of failing at once", r.DurationMS)
		}
	}
}

func TestExecCollectArgs(t *testing.T) {
	e := newEnv(t)
	e.agent("a1", "h1", nil)
	e.answer("a1", ok("a1"))
	s := New(Config{Conn: e.center, Store: e.store})
	resp, err := s.Exec(t.Context(), Request{Name: Collect, Args: map[string]string{"name": "os/dpkg"}, AgentIDs: []string{"a1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != 1 || !resp.Results[0].OK || string(resp.Results[0].Output) != `{"command":"collect","issued_by":"","args":1}` {
		t.Errorf("results %+v", resp.Results)
	}
}

func TestExecErrors(t *testing.T) {
	e := newEnv(t)
	e.agent("a1", "h1", map[string]string{"env": "prod"})
	s := New(Config{Conn: e.center, Store: e.store})
	many := make([]string, MaxTargets+1)
	for i := range many {
		many[i] = fmt.Sprintf("a%d", i)
	}
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"unknown command", Request{Name: "reboot", AgentIDs: []string{"a1"}}, ErrUnknownCommand},
		{"collect without name", Request{Name: Collect, AgentIDs: []string{"a1"}}, ErrInvalidArgs},
		{"no targets", Request{Name: Ping}, ErrNoTargets},
		{"selector matches nothing", Request{Name: Ping, Selector: map[string]string{"env": "test"}}, ErrNoTargets},
		{"too many targets", Request{Name: Ping, AgentIDs: many}, ErrTooManyTargets},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Exec(t.Context(), tc.req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Exec = %v, want %v", err, tc.want)
			}
		})
	}
	if !errors.Is(ErrNoTargets, store.ErrNotFound) {
		t.Error("ErrNoTargets does not wrap store.ErrNotFound")
	}
}

func TestExecManyAgents(t *testing.T) {
	e := newEnv(t)
	const n = 300
	for i := range n {
		id := fmt.Sprintf("a%03d", i)
		e.agent(id, "host-"+id, map[string]string{"fleet": "x"})
		e.answer(id, ok(id))
	}
	s := New(Config{Conn: e.center, Store: e.store, Concurrency: 16})
	resp, err := s.Exec(t.Context(), Request{Name: Status, Selector: map[string]string{"fleet": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != n {
		t.Fatalf("%d results, want %d", len(resp.Results), n)
	}
	for i, r := range resp.Results {
		if want := fmt.Sprintf("a%03d", i); r.AgentID != want || !r.OK {
			t.Fatalf("result %d: %+v, want %s ok", i, r, want)
		}
	}
}

func TestExecCanceled(t *testing.T) {
	e := newEnv(t)
	e.agent("a1", "h1", nil)
	e.answer("a1", func(*busv1.Command) *busv1.CommandReply { return nil })
	s := New(Config{Conn: e.center, Store: e.store})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	resp, err := s.Exec(ctx, Request{Name: Ping, AgentIDs: []string{"a1"}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Results[0].Error; got != "canceled" {
		t.Errorf("error %q, want canceled", got)
	}
}

func TestMinRole(t *testing.T) {
	for name, want := range map[string]store.Role{
		Ping: store.RoleAnalyst, Status: store.RoleAnalyst, Collect: store.RoleResponder, "reboot": "",
	} {
		if got := MinRole(name); got != want {
			t.Errorf("MinRole(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestExecJustConnected: an agent that health sees online before its
// command subscription reaches the bus gets the command a moment later;
// one that never subscribes is offline once the grace has passed.
func TestExecJustConnected(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"a-late", "a-gone"} {
		if err := e.store.Agents().Create(t.Context(), store.Agent{ID: id, Hostname: id, UserKey: "U" + id, Status: store.StatusOnline}); err != nil {
			t.Fatal(err)
		}
	}
	subscribed := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond)
		e.answer("a-late", ok("a-late"))
		close(subscribed)
	}()
	s := New(Config{Conn: e.center, Store: e.store})
	resp, err := s.Exec(t.Context(), Request{Name: Ping, AgentIDs: []string{"a-late", "a-gone"}, Timeout: 5 * time.Second})
	<-subscribed
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Result{}
	for _, r := range resp.Results {
		got[r.AgentID] = r
	}
	if r := got["a-late"]; !r.OK {
		t.Errorf("late subscriber: %+v", r)
	}
	if r := got["a-gone"]; r.Error != "agent offline" || r.DurationMS > 3000 {
		t.Errorf("never subscribed: %+v", r)
	}
}
