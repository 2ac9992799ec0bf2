package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/store"
)

// maxCommandArgs bounds the arguments of one command.
const maxCommandArgs = 32

// commandBody is the body of POST /agents/commands.
type commandBody struct {
	Command  string            `json:"command"`
	Args     map[string]string `json:"args"`
	AgentIDs []string          `json:"agent_ids"`
	Selector map[string]string `json:"selector"`
	Timeout  string            `json:"timeout"`
}

// request validates the body and turns it into a command request.
func (b commandBody) request() (command.Request, error) {
	req := command.Request{Name: b.Command, Args: b.Args, AgentIDs: b.AgentIDs, Selector: b.Selector}
	if b.Command == "" || len(b.Command) > maxNameLen || strings.IndexFunc(b.Command, notKeyRune) >= 0 {
		return req, errorf(http.StatusBadRequest, "command %q: want a command name such as ping", b.Command)
	}
	if len(b.AgentIDs) == 0 && len(b.Selector) == 0 {
		return req, errorf(http.StatusBadRequest, "agent_ids or selector: at least one is required")
	}
	if len(b.AgentIDs) > command.MaxTargets {
		return req, errorf(http.StatusBadRequest, "agent_ids: at most %d", command.MaxTargets)
	}
	for _, id := range b.AgentIDs {
		if !bus.ValidAgentID(id) {
			return req, errorf(http.StatusBadRequest, "agent_ids: %q is not an agent id", id)
		}
	}
	if err := checkLabels("selector", b.Selector); err != nil {
		return req, err
	}
	if len(b.Args) > maxCommandArgs {
		return req, errorf(http.StatusBadRequest, "args: at most %d", maxCommandArgs)
	}
	for k, v := range b.Args {
		if k == "" || len(k) > maxNameLen || strings.IndexFunc(k, notKeyRune) >= 0 || len(v) > maxTextLen || !printable(v) {
			return req, errorf(http.StatusBadRequest, "args: %q: want a short name and a printable value up to %d bytes", k, maxTextLen)
		}
	}
	var err error
	req.Timeout, err = durationParam("timeout", b.Timeout, command.DefaultTimeout, time.Second, command.MaxTimeout)
	return req, err
}

// execCommand checks the caller's role against the command's, sends it and
// audits the outcome per agent.
func (s *server) execCommand(w http.ResponseWriter, r *http.Request, c *call) error {
	c.audit = true
	var body commandBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	req, err := body.request()
	if err != nil {
		return err
	}
	c.action = "command." + req.Name
	c.target = commandTarget(req)
	c.note("timeout", req.Timeout.String())
	if len(req.Args) > 0 {
		c.note("args", req.Args)
	}
	need := command.MinRole(req.Name)
	if !auth.ValidRole(need) {
		return errorf(http.StatusBadRequest, "unknown command %q", req.Name)
	}
	if err := s.require(c, need); err != nil {
		return err
	}
	req.Actor = c.p.Actor()
	resp, err := s.cfg.Commands.Exec(r.Context(), req)
	if err != nil {
		return commandError(err)
	}
	c.note("command_id", resp.ID)
	okCount, failed := 0, 0
	for _, res := range resp.Results {
		if res.OK {
			okCount++
		} else {
			failed++
		}
	}
	c.note("agents", len(resp.Results))
	c.note("ok", okCount)
	c.note("failed", failed)
	if resp.Results == nil {
		resp.Results = []command.Result{}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// commandTarget names the agents of a command for the audit log.
func commandTarget(req command.Request) string {
	var parts []string
	if len(req.AgentIDs) > 0 {
		ids := req.AgentIDs
		if len(ids) > 20 {
			ids = ids[:20]
		}
		t := "agents=" + strings.Join(ids, ",")
		if len(req.AgentIDs) > 20 {
			t += fmt.Sprintf(",... (%d)", len(req.AgentIDs))
		}
		parts = append(parts, t)
	}
	if len(req.Selector) > 0 {
		parts = append(parts, "selector="+formatLabels(req.Selector))
	}
	return strings.Join(parts, " ")
}

// commandError maps an error of the command service to an answer: bad
// requests are 400, no matching agent 404, anything else internal.
func commandError(err error) error {
	switch {
	case errors.Is(err, command.ErrUnknownCommand), errors.Is(err, command.ErrInvalidArgs), errors.Is(err, command.ErrTooManyTargets):
		return errorf(http.StatusBadRequest, "%v", err)
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusNotFound, "%v", err)
	}
	return fmt.Errorf("command: %w", err)
}
