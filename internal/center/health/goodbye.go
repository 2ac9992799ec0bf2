package health

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
)

// ErrorHeader is set on a goodbye's reply when the goodbye was not
// recorded; its value says why. A reply without it is the acknowledgement.
const ErrorHeader = bus.ErrorHeader

// onGoodbye records a goodbye and answers it once the new status is
// stored.
func (s *Service) onGoodbye(ctx context.Context, msg *nats.Msg) {
	gb := &busv1.Goodbye{}
	id := s.agentMessage(ctx, msg, "goodbye", gb)
	if id == "" {
		s.reply(msg, "malformed or unknown agent")
		return
	}
	s.stats.add(func(st *Stats) { st.GoodbyesTotal++ })
	now := time.Now()
	to, reason := goodbyeStatus(gb)
	done := make(chan error, 1)
	s.reg.mu.Lock()
	st, ok := s.reg.agents[id]
	if ok {
		st.goodbyeAt, st.goodbyeSent, st.goodbyeSource, st.loss = now, gb.GetAtUnixNano(), gb.GetSource(), nil
		s.change(st, to, reason, now, done)
	}
	s.reg.mu.Unlock()
	if !ok {
		s.reply(msg, "unknown agent")
		return
	}
	select {
	case err := <-done:
		if err != nil {
			s.reply(msg, "not recorded: "+err.Error())
			return
		}
		s.reply(msg, "")
	case <-ctx.Done():
		s.reply(msg, "center stopping")
	}
}

// reply answers a goodbye: empty for an acknowledgement, else with
// ErrorHeader set to problem.
func (s *Service) reply(msg *nats.Msg, problem string) {
	if msg.Reply == "" {
		return
	}
	r := nats.NewMsg(msg.Reply)
	if problem != "" {
		r.Header.Set(ErrorHeader, problem)
	}
	if err := msg.RespondMsg(r); err != nil {
		s.log.Debug("health: reply to goodbye", "subject", msg.Subject, "err", err)
	}
}

// goodbyeStatus returns the status a goodbye leads to and its reason,
// e.g. "SIGTERM via systemd" or "SIGTERM from uid 0 (bash, pid 812)".
func goodbyeStatus(gb *busv1.Goodbye) (store.AgentStatus, string) {
	var b strings.Builder
	to := store.StatusStopped
	switch gb.GetReason() {
	case busv1.Goodbye_REASON_UNINSTALLED:
		to = store.StatusUninstalled
		b.WriteString("uninstalled")
		if sig := gb.GetSignal(); sig != "" {
			b.WriteString(" on " + sig)
		}
	case busv1.Goodbye_REASON_STOPPED:
		b.WriteString(orDefault(gb.GetSignal(), "stopped"))
	default:
		b.WriteString(orDefault(gb.GetSignal(), "stopped") + " (no reason given)")
	}
	if src := gb.GetSource(); src != nil {
		b.WriteString(describeSource(src))
	}
	if d := strings.TrimSpace(gb.GetDetail()); d != "" {
		b.WriteString(": " + d)
	}
	return to, truncate(b.String(), 512)
}

// describeSource says who stopped the agent: " from root (uid 0): kill
// -TERM 812 (pid 4242), run by bash (pid 4100), login user alice via
// signal". A zero uid counts only with other details, as protobuf cannot
// tell it from an absent one. A note (why the sender is unknown) follows.
func describeSource(src *busv1.StopSource) string {
	var b strings.Builder
	if src.GetUser() != "" || src.GetUid() != 0 || src.GetCommand() != "" || src.GetPid() > 0 {
		b.WriteString(" from ")
		if u := src.GetUser(); u != "" {
			fmt.Fprintf(&b, "%s (uid %d)", u, src.GetUid())
		} else {
			fmt.Fprintf(&b, "uid %d", src.GetUid())
		}
		if proc := process(src.GetCommand(), src.GetPid()); proc != "" {
			b.WriteString(": " + proc)
		}
		if parent := process(src.GetParentCommand(), src.GetParentPid()); parent != "" {
			b.WriteString(", run by " + parent)
		}
		if l := src.GetLoginUser(); l != "" && l != src.GetUser() {
			b.WriteString(", login user " + l)
		}
	}
	if v := src.GetVia(); v != "" {
		b.WriteString(" via " + v)
	}
	if n := src.GetNote(); n != "" {
		b.WriteString("; " + n)
	}
	return b.String()
}

// process names a process: "bash (pid 812)", "bash" or "pid 812".
func process(command string, pid int32) string {
	switch {
	case command != "" && pid > 0:
		return fmt.Sprintf("%s (pid %d)", command, pid)
	case pid > 0:
		return fmt.Sprintf("pid %d", pid)
	}
	return command
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// truncate bounds text an agent controls before it is stored, and blanks
// control characters out of it.
func truncate(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return strings.ToValidUTF8(s, "")
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
