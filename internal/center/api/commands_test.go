package api

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/store"
)

func TestCommands(t *testing.T) {
	e := newEnv(t)
	e.addAgent("a1", "web-1", store.StatusOnline, map[string]string{"role": "web"})
	e.addAgent("a2", "web-2", store.StatusLost, map[string]string{"role": "web"})
	e.addAgent("a3", "db-1", store.StatusOnline, map[string]string{"role": "db"})

	var resp command.Response
	e.call("POST", "/api/v1/agents/commands", store.RoleAnalyst,
		map[string]any{"command": "ping", "selector": map[string]string{"role": "web"}, "agent_ids": []string{"a3"}, "timeout": "30s"}, 200, &resp)
	if resp.Command != "ping" || len(resp.Results) != 3 {
		t.Fatalf("response %+v", resp)
	}
	reqs := e.cmd.requests()
	if len(reqs) != 1 || reqs[0].Timeout != 30*time.Second || reqs[0].Actor != "token:analyst-bot" {
		t.Fatalf("request %+v", reqs)
	}
	entries := e.audit("command.ping")
	if len(entries) != 1 {
		t.Fatalf("audit %+v", entries)
	}
	d := entries[0].Detail
	if entries[0].Result != "ok" || d["ok"] != float64(2) || d["failed"] != float64(1) || d["agents"] != float64(3) || d["command_id"] != "cmd-ping" {
		t.Fatalf("audit entry %+v", entries[0])
	}
	if entries[0].Target != "agents=a3 selector=role=web" {
		t.Fatalf("audit target %q", entries[0].Target)
	}

	// The default timeout.
	e.call("POST", "/api/v1/agents/commands", store.RoleAnalyst, map[string]any{"command": "status", "agent_ids": []string{"a1"}}, 200, nil)
	if reqs := e.cmd.requests(); reqs[1].Timeout != command.DefaultTimeout {
		t.Fatalf("default timeout %v", reqs[1].Timeout)
	}

	// Role per command: collect needs a responder.
	for _, tc := range []struct {
		role    store.Role
		command string
		status  int
	}{
		{store.RoleViewer, "ping", 403},
		{store.RoleAnalyst, "collect", 403},
		{store.RoleResponder, "collect", 200},
		{store.RoleAdmin, "collect", 200},
	} {
		status, data := e.do("POST", "/api/v1/agents/commands", e.tokens[tc.role], map[string]any{"command": tc.command, "agent_ids": []string{"a1"}, "args": map[string]string{"name": "os/dpkg"}})
		if status != tc.status {
			t.Errorf("%s %s: %d %s", tc.role, tc.command, status, data)
		}
		if tc.status == 403 {
			got := e.audit("command." + tc.command)
			if got[0].Result != "denied" || got[0].Role != tc.role {
				t.Errorf("%s %s: audit %+v", tc.role, tc.command, got[0])
			}
		}
	}
	sent := len(e.cmd.requests())

	for name, body := range map[string]any{
		"no command":      map[string]any{"agent_ids": []string{"a1"}},
		"no target":       map[string]any{"command": "ping"},
		"bad id":          map[string]any{"command": "ping", "agent_ids": []string{"a.*"}},
		"bad timeout":     map[string]any{"command": "ping", "agent_ids": []string{"a1"}, "timeout": "soon"},
		"long timeout":    map[string]any{"command": "ping", "agent_ids": []string{"a1"}, "timeout": "10m"},
		"unknown command": map[string]any{"command": "format-disk", "agent_ids": []string{"a1"}},
		"bad name":        map[string]any{"command": "ping pong", "agent_ids": []string{"a1"}},
		"bad arg":         map[string]any{"command": "ping", "agent_ids": []string{"a1"}, "args": map[string]string{"": "x"}},
	} {
		status, data := e.do("POST", "/api/v1/agents/commands", e.tokens[store.RoleAdmin], body)
		if status != 400 || errorCode(t, data) != "bad_request" {
			t.Errorf("%s: %d %s", name, status, data)
		}
	}
	if len(e.cmd.requests()) != sent {
		t.Fatal("an invalid or refused command was sent")
	}
}

func TestCommandErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
	}{
		{fmt.Errorf("%w \"x\"", command.ErrUnknownCommand), 400},
		{fmt.Errorf("%w: collect needs args.name", command.ErrInvalidArgs), 400},
		{fmt.Errorf("%w: 10001 agent ids", command.ErrTooManyTargets), 400},
		{fmt.Errorf("%w: the selector matches no agent", command.ErrNoTargets), 404},
		{errors.New("bus down"), 0},
	} {
		var ae *apiError
		got := commandError(tc.err)
		if tc.status == 0 {
			if errors.As(got, &ae) {
				t.Errorf("%v: shown to the client as %d", tc.err, ae.Status)
			}
			continue
		}
		if !errors.As(got, &ae) || ae.Status != tc.status {
			t.Errorf("%v: %v, want %d", tc.err, got, tc.status)
		}
	}
}
