package correlate

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
)

// t0 is the start of every scenario.
var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// Base rules as the detection service would report them: id and name.
var (
	ruleFailed     = []string{"5b3a6c1e-2f0d-4a8e-9b55-0d6f1f2a9c01", "ssh_login_failed"}
	ruleSuccess    = []string{"7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e02", "ssh_login_success"}
	ruleSudoRoot   = []string{"9e8d7c6b-5a49-4838-a726-150f0e0d0c03", "sudo_to_root"}
	ruleConnectOut = []string{"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c04", "outbound_connection"}
	ruleOther      = []string{"00000000-0000-4000-8000-000000000000", "unrelated_rule"}
)

// authEvent builds an authentication event as the authlog sensor emits it
// for an sshd line.
func authEvent(id string, at time.Time, action, outcome, user, ip string, port int, message string) event.Event {
	ev := event.New(id, at, "authentication", action)
	ev.Set(event.FieldOutcome, outcome)
	ev.Set(event.FieldDataset, "authlog")
	ev.Set(event.FieldKind, "event")
	ev.Set(event.FieldAgentID, "agent-db1")
	ev.Set(event.FieldHostID, "host-db1")
	ev.Set(event.FieldHostName, "db1")
	if user != "" {
		ev.Set(event.FieldUserName, user)
	}
	if ip != "" {
		ev.Set(event.FieldSourceIP, ip)
		ev.Set("source.port", port)
	}
	ev.Set("vigil.auth.method", "password")
	ev.Set("vigil.auth.service", "sshd")
	ev.Set("process.pid", 1234)
	ev.Set("process.name", "sshd")
	ev.Set("event.provider", "syslog")
	ev.Set("log.file.path", "/var/log/auth.log")
	ev.Set("log.syslog.hostname", "db1")
	ev.Set(event.FieldMessage, message)
	return ev
}

// failure is an sshd "Failed password" line.
func failure(id string, at time.Time, user, ip string) event.Event {
	return authEvent(id, at, "login-failed", "failure", user, ip, 40000,
		fmt.Sprintf("Failed password for %s from %s port 40000 ssh2", user, ip))
}

// success is an sshd "Accepted password" line.
func success(id string, at time.Time, user, ip string) event.Event {
	return authEvent(id, at, "logged-in", "success", user, ip, 51234,
		fmt.Sprintf("Accepted password for %s from %s port 51234 ssh2", user, ip))
}

// sudoRoot is a sudo line of user running a command as root.
func sudoRoot(id string, at time.Time, user string) event.Event {
	ev := event.New(id, at, "iam", "sudo")
	ev.Set(event.FieldOutcome, "success")
	ev.Set(event.FieldAgentID, "agent-db1")
	ev.Set(event.FieldUserName, user)
	ev.Set("user.target.name", "root")
	ev.Set(event.FieldProcessCmd, "/usr/bin/id -u")
	ev.Set("vigil.auth.service", "sudo")
	return ev
}

// suFailure is a failed su, which has no source address.
func suFailure(id string, at time.Time, user string) event.Event {
	ev := event.New(id, at, "session", "su")
	ev.Set(event.FieldOutcome, "failure")
	ev.Set(event.FieldAgentID, "agent-db1")
	ev.Set(event.FieldUserName, user)
	ev.Set("user.target.name", "root")
	ev.Set("vigil.auth.service", "su")
	return ev
}

// connectOut is an outgoing TCP connection from the host.
func connectOut(id string, at time.Time, dst string, port int) event.Event {
	ev := event.New(id, at, "network", "connection-attempted")
	ev.Set(event.FieldAgentID, "agent-db1")
	ev.Set(event.FieldSourceIP, "10.0.0.5")
	ev.Set("source.port", 43210)
	ev.Set(event.FieldDestIP, dst)
	ev.Set(event.FieldDestPort, port)
	ev.Set("network.transport", "tcp")
	ev.Set("network.direction", "egress")
	ev.Set(event.FieldProcessExe, "/bin/bash")
	return ev
}

// sec is an offset from t0.
func sec(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }

// step is one call in a scenario: Observe of a match (rule set) at the
// event's time plus skew, or Flush at t0+flush.
type step struct {
	rule  []string
	ev    event.Event
	at    time.Duration // event time as offset from t0 (Observe)
	flush time.Duration // Flush at t0+flush when rule is nil
	want  []hitView
}

// observe is a step feeding ev, dated at offset at.
func observe(rule []string, at time.Duration, ev func(time.Time) event.Event, want ...hitView) step {
	return step{rule: rule, at: at, ev: ev(t0.Add(at)), want: want}
}

// flushAt is a step calling Flush at offset at.
func flushAt(at time.Duration, want ...hitView) step {
	return step{flush: at, want: want}
}

// hitView is what tests compare of a hit.
type hitView struct {
	Spec         string
	Group        map[string]string
	Count        int64
	Values       []string
	First, Last  time.Duration
	IDs          []string
	Intermediate bool
}

// view reduces hits to what tests compare.
func view(hits []Hit) []hitView {
	var out []hitView
	for _, h := range hits {
		out = append(out, hitView{
			Spec: h.Spec.Key(), Group: h.Group, Count: h.Count, Values: h.Values,
			First: h.First.Sub(t0), Last: h.Last.Sub(t0), IDs: h.EventIDs, Intermediate: h.Intermediate,
		})
	}
	return out
}

// run plays steps against e and checks the hits of each.
func run(t *testing.T, e *Engine, steps []step) {
	t.Helper()
	for i, st := range steps {
		var hits []Hit
		what := ""
		if st.rule == nil {
			hits = e.Flush(t0.Add(st.flush))
			what = fmt.Sprintf("flush at +%s", st.flush)
		} else {
			hits = e.Observe(st.rule, st.ev, t0.Add(st.at))
			what = fmt.Sprintf("%s %s at +%s", st.ev.ID(), st.rule[1], st.at)
		}
		if diff := cmp.Diff(st.want, view(hits)); diff != "" {
			t.Errorf("step %d (%s): hits (-want +got):\n%s", i, what, diff)
		}
	}
}

// fixedClock returns a clock far enough ahead of every scenario.
func fixedClock() time.Time { return t0.Add(24 * time.Hour) }

// newEngine builds an engine or fails the test.
func newEngine(t testing.TB, specs []Spec, opts Options) *Engine {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixedClock
	}
	e, err := New(specs, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// ids returns "prefix1" ... "prefixN" from from to to.
func ids(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}

// textLogger logs to w as text without times.
func textLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
}
