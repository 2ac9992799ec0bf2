package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
)

// Errors reported in Results.
const (
	errOffline  = "agent offline"
	errTimeout  = "timeout"
	errCanceled = "canceled"
)

// connectGrace is how long a command to an online agent that nobody
// answers on the bus is tried again.
const connectGrace = 2 * time.Second

// send sends one command to one agent and turns the answer, or its
// absence, into a Result.
func (s *Service) send(ctx context.Context, id string, req Request, a store.Agent, timeout time.Duration) (res Result) {
	res = Result{AgentID: a.ID, Hostname: a.Hostname}
	start := time.Now()
	defer func() { res.DurationMS = time.Since(start).Milliseconds() }()
	cmd := &busv1.Command{
		Id: id, Name: req.Name, Args: req.Args, IssuedBy: req.Actor,
		IssuedAtUnixNano: start.UnixNano(), DeadlineUnixNano: start.Add(timeout).UnixNano(),
	}
	data, err := proto.Marshal(cmd)
	if err != nil {
		res.Error = fmt.Sprintf("encode command: %v", err)
		return res
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	msg, err := s.nc.RequestWithContext(rctx, bus.CommandSubject(a.ID), data)
	// An agent that has just connected is online before its command
	// subscription reaches the bus: no one received the command, so it is
	// sent again, a few times within connectGrace.
	for pause := 50 * time.Millisecond; errors.Is(err, nats.ErrNoResponders) && a.Status == store.StatusOnline &&
		time.Since(start)+pause < connectGrace; pause *= 2 {
		select {
		case <-rctx.Done():
		case <-time.After(pause):
			msg, err = s.nc.RequestWithContext(rctx, bus.CommandSubject(a.ID), data)
		}
		if rctx.Err() != nil {
			break
		}
	}
	if err != nil {
		res.Error = requestError(ctx, err)
		return res
	}
	reply := &busv1.CommandReply{}
	if err := proto.Unmarshal(msg.Data, reply); err != nil {
		res.Error = fmt.Sprintf("invalid reply: %v", err)
		return res
	}
	if reply.GetCommandId() != id || reply.GetAgentId() != a.ID {
		res.Error = fmt.Sprintf("invalid reply: answers command %q of agent %q", reply.GetCommandId(), reply.GetAgentId())
		return res
	}
	res.OK = reply.GetOk()
	if !res.OK {
		res.Error = reply.GetError()
		if res.Error == "" {
			res.Error = "failed"
		}
	}
	res.Output = output(reply.GetOutput())
	return res
}

// requestError names why a request got no answer.
func requestError(parent context.Context, err error) string {
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return errOffline
	case parent.Err() != nil:
		return errCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return errTimeout
	}
	return fmt.Sprintf("send: %v", err)
}

// output returns an agent's output as JSON: as is when it is a JSON
// document, else as a JSON string, so that the response stays valid JSON.
func output(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return json.RawMessage(append([]byte(nil), b...))
	}
	s, _ := json.Marshal(string(b))
	return s
}
