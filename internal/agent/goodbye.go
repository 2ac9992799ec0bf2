package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/stopsource"
	"github.com/vigilsec/vigil/internal/bus"
)

// StopSignal is the cause of a context ended by NotifyStop.
type StopSignal struct {
	Signal os.Signal
}

// Error implements error.
func (s *StopSignal) Error() string { return stopsource.SignalName(s.Signal) + " received" }

// NotifyStop returns a context that ends with a *StopSignal cause on the
// first SIGTERM or SIGINT. After that first signal the default handling is
// back: a second one ends the process at once. stop releases the signals.
func NotifyStop(parent context.Context) (ctx context.Context, stop context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			signal.Stop(ch)
			cancel(&StopSignal{Signal: sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		select {
		case <-done:
		default:
			close(done)
		}
		cancel(context.Canceled)
	}
}

// goodbye tells the center that the agent stops, and why, and waits for
// its answer for a moment.
func (a *Agent) goodbye(cause error) {
	gb := &busv1.Goodbye{AgentId: a.agentID, Reason: busv1.Goodbye_REASON_STOPPED, AtUnixNano: time.Now().UnixNano()}
	var sig *StopSignal
	if errors.As(cause, &sig) {
		gb.Signal = stopsource.SignalName(sig.Signal)
		gb.Source = stopsource.ForSignal(sig.Signal, a.sigTracer, a.sigTracerErr)
	} else {
		gb.Source = &busv1.StopSource{Via: stopsource.ViaShutdown, Pid: int32(os.Getpid())}
		if cause != nil {
			gb.Detail = fmt.Sprintf("stopped by its caller: %v", cause)
		}
	}
	if !a.nc.IsConnected() {
		a.log.Warn("not connected: the center learns of the stop from the lost connection only")
		return
	}
	data, err := proto.Marshal(gb)
	if err == nil {
		var reply *nats.Msg
		if reply, err = a.nc.Request(bus.GoodbyeSubject(a.agentID), data, goodbyeWait); err == nil {
			err = bus.ReplyError(reply)
		}
	}
	if err != nil {
		a.log.Warn("goodbye not acknowledged", "err", err)
		return
	}
	a.log.Info("goodbye acknowledged", "signal", gb.Signal, "via", gb.GetSource().GetVia())
}
