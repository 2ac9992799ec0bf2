package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/bus/client"
)

// Commands the agent understands.
const (
	CommandPing    = "ping"
	CommandStatus  = "status"
	CommandCollect = "collect"
	// CommandProcesses answers with the process table of the sensor that
	// keeps it (plugin.ProcessLister).
	CommandProcesses = "processes"
)

// errUnknownCommand answers a command the agent does not know.
var errUnknownCommand = errors.New("unknown command")

// onCommand takes a message on the command subject and answers it from a
// goroutine of its own, at most commandSlots at a time, within the
// command's deadline. ctx ends when the agent stops.
func (a *Agent) onCommand(ctx context.Context, m *nats.Msg) {
	if !client.IsCommand(m, a.agentID) {
		a.log.Debug("dropped a message on the command subject that is no command", "subject", m.Subject, "reply", m.Reply)
		return
	}
	cmd := &busv1.Command{}
	if err := proto.Unmarshal(m.Data, cmd); err != nil {
		a.reply(m, cmd, nil, fmt.Errorf("invalid command: %w", err))
		return
	}
	deadline := time.Now().Add(commandTimeout)
	if d := cmd.GetDeadlineUnixNano(); d > 0 {
		deadline = time.Unix(0, d)
		if limit := time.Now().Add(commandMaxTimeout); deadline.After(limit) {
			deadline = limit
		}
	}
	a.cmdMu.Lock()
	defer a.cmdMu.Unlock()
	if a.cmdStopped {
		return // the agent is stopping; the caller sees a timeout
	}
	a.cmdWG.Add(1)
	go func() {
		defer a.cmdWG.Done()
		ctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		select {
		case a.cmdSlots <- struct{}{}:
			defer func() { <-a.cmdSlots }()
		case <-ctx.Done():
			a.reply(m, cmd, nil, fmt.Errorf("agent busy: no free command slot before the deadline"))
			return
		}
		var out any
		err := a.safely("command "+cmd.GetName(), func() error {
			var cerr error
			out, cerr = a.execute(ctx, cmd)
			return cerr
		})
		a.reply(m, cmd, out, err)
	}()
}

// execute runs one command and returns its output.
func (a *Agent) execute(ctx context.Context, cmd *busv1.Command) (any, error) {
	switch cmd.GetName() {
	case CommandPing:
		return map[string]any{"pong": true, "agent_version": a.cfg.Version, "time": time.Now().UTC().Format(time.RFC3339Nano)}, nil
	case CommandStatus:
		return a.statusOutput(), nil
	case CommandCollect:
		return a.collectNow(ctx, cmd.GetArgs()["name"])
	case CommandProcesses:
		return a.processes()
	}
	return nil, fmt.Errorf("%w %q (known: %s, %s, %s, %s)", errUnknownCommand, cmd.GetName(),
		CommandPing, CommandStatus, CommandCollect, CommandProcesses)
}

// processesOutput is the answer to "processes".
type processesOutput struct {
	TakenAt   string               `json:"taken_at"`
	Sensor    string               `json:"sensor"`
	Mechanism string               `json:"mechanism"`
	Processes []plugin.ProcessInfo `json:"processes"`
}

// processes lists the host's processes from the running sensor that keeps
// the process table.
func (a *Agent) processes() (*processesOutput, error) {
	a.supMu.Lock()
	var lister plugin.ProcessLister
	var from *sensorRunner
	for _, r := range a.sensors {
		if l, ok := r.s.(plugin.ProcessLister); ok && r.running() {
			lister, from = l, r
			break
		}
	}
	a.supMu.Unlock()
	if lister == nil {
		return nil, errors.New("no process sensor runs on this agent (see the status command)")
	}
	procs := lister.Processes()
	if procs == nil {
		procs = []plugin.ProcessInfo{}
	}
	return &processesOutput{TakenAt: time.Now().UTC().Format(time.RFC3339), Sensor: from.s.Name(),
		Mechanism: from.s.Mechanism(), Processes: procs}, nil
}

// statusOutput is the answer to "status".
func (a *Agent) statusOutput() map[string]any {
	pol := a.policy.Load()
	mo := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}
	var plugins []json.RawMessage
	for _, st := range a.status.snapshot() {
		raw, _ := mo.Marshal(st)
		plugins = append(plugins, raw)
	}
	stats, _ := mo.Marshal(a.stats(a.gov.CPUPercent()))
	return map[string]any{
		"agent_id":        a.agentID,
		"agent_version":   a.cfg.Version,
		"started_at":      a.started.UTC().Format(time.RFC3339),
		"policy_name":     pol.name,
		"policy_revision": pol.revision,
		"plugins":         plugins,
		"stats":           json.RawMessage(stats),
	}
}

// collectNow runs the named collector at once.
func (a *Agent) collectNow(ctx context.Context, name string) (any, error) {
	if name == "" {
		return nil, errors.New("collect needs args.name, the collector to run")
	}
	var known []string
	for _, r := range a.collectors {
		known = append(known, r.c.Name())
		if r.c.Name() != name {
			continue
		}
		if r.skip != "" {
			return nil, fmt.Errorf("collector %s cannot run on this host: %s", name, r.skip)
		}
		if on, _ := enabled(a.policy.Load().collectors, name); !on {
			return nil, fmt.Errorf("collector %s is disabled by policy", name)
		}
		return a.collect(ctx, r)
	}
	slices.Sort(known)
	return nil, fmt.Errorf("unknown collector %q (known: %v)", name, known)
}

// reply answers a command.
func (a *Agent) reply(m *nats.Msg, cmd *busv1.Command, out any, err error) {
	r := &busv1.CommandReply{CommandId: cmd.GetId(), AgentId: a.agentID, Ok: err == nil, FinishedAtUnixNano: time.Now().UnixNano()}
	if err != nil {
		r.Error = err.Error()
	}
	if out != nil {
		data, merr := json.Marshal(out)
		if merr != nil {
			r.Ok, r.Error = false, fmt.Sprintf("encode output: %v", merr)
		}
		r.Output = data
	}
	data, err := proto.Marshal(r)
	if err == nil {
		err = m.Respond(data)
	}
	if err != nil {
		a.log.Warn("command reply not sent", "command", cmd.GetName(), "id", cmd.GetId(), "err", err)
	}
}
