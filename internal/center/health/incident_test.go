package health

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/store"
)

// detection stores an alert of a reverse shell on agent id, last seen
// ago, and puts it into an incident as detection does; it returns the
// incident.
func (e *env) detection(id string, ago time.Duration, entities ...store.Entity) store.Incident {
	e.t.Helper()
	when := time.Now().Add(-ago)
	a, _, err := e.store.Alerts().Raise(e.t.Context(), store.Alert{
		AgentID: id, Hostname: "host-" + id, RuleID: "lnx_shell_reverse", Title: "Reverse shell",
		Severity: store.SeverityMedium, State: store.AlertNew, Techniques: []string{"T1059.004"},
		DedupKey: "lnx_shell_reverse|" + id + "|/usr/bin/bash", CreatedAt: when, LastSeen: when,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	inc, _, err := e.store.Incidents().Attach(e.t.Context(), store.Join{
		AlertID: a.ID, Entities: entities, Window: DefaultIncidentWindow, Title: "Reverse shell — host-" + id,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return inc
}

// incident reads an incident.
func (e *env) incident(id string) store.Incident {
	e.t.Helper()
	inc, err := e.store.Incidents().Get(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return inc
}

// lostAlert waits for the one alert of agent id to be in an incident and
// returns it.
func (e *env) lostAlert(id string) store.Alert {
	e.t.Helper()
	e.eventually("alert of "+id+" in an incident", func() bool {
		al := e.alerts(id)
		return slices.ContainsFunc(al, func(a store.Alert) bool { return a.RuleID == RuleLost && a.IncidentID != "" })
	})
	for _, a := range e.alerts(id) {
		if a.RuleID == RuleLost {
			return a
		}
	}
	e.t.Fatalf("no lost alert of %s", id)
	return store.Alert{}
}

// TestLostAgentJoinsIncident: an agent killed minutes after a reverse
// shell on its host is lost into the reverse shell's incident; another
// agent lost without one gets an incident of its own; losing the agent
// again keeps the alert, counted, in its incident.
func TestLostAgentJoinsIncident(t *testing.T) {
	var mu sync.Mutex
	var heard []store.Alert
	cfg := fast
	cfg.HeartbeatTimeout = 30 * time.Second // losses come from the closed connections
	cfg.OnAlert = func(a store.Alert) { mu.Lock(); heard = append(heard, a); mu.Unlock() }
	e := newEnv(t, cfg, "a1", "a2")
	shellProc := store.Entity{Kind: store.EntityProcess, Value: "Yx3k9Qv0bW1sUu8Lr2Mc4A"}
	shell := e.detection("a1", 3*time.Minute, shellProc)

	a1, a2 := e.agent("a1"), e.agent("a2")
	e.waitStatus("a1", store.StatusOnline)
	e.waitStatus("a2", store.StatusOnline)
	a1.kill()
	a2.kill()
	e.waitStatus("a1", store.StatusLost)
	e.waitStatus("a2", store.StatusLost)

	lost := e.lostAlert("a1")
	if lost.IncidentID != shell.ID {
		t.Fatalf("lost alert in incident %q, want the reverse shell's %q", lost.IncidentID, shell.ID)
	}
	inc := e.incident(shell.ID)
	want := shell
	want.Severity = store.SeverityHigh
	want.Techniques = []string{"T1059.004", "T1562.001", "T1529"}
	want.RuleIDs = []string{"lnx_shell_reverse", RuleLost}
	want.AlertCount = 2
	want.LastSeen, want.UpdatedAt = lost.LastSeen, inc.UpdatedAt
	if d := cmp.Diff(want, inc); d != "" {
		t.Errorf("incident after the loss (-want +got):\n%s", d)
	}

	other := e.lostAlert("a2")
	own := e.incident(other.IncidentID)
	if own.ID == shell.ID || own.Title != "Agent lost — host-a2" || own.AlertCount != 1 ||
		!slices.Equal(own.AgentIDs, []string{"a2"}) || len(own.Entities) != 0 {
		t.Errorf("incident of the other agent %+v", own)
	}
	mu.Lock()
	got := map[string]string{}
	for _, a := range heard {
		got[a.AgentID] = a.IncidentID
	}
	mu.Unlock()
	if d := cmp.Diff(map[string]string{"a1": shell.ID, "a2": own.ID}, got); d != "" {
		t.Errorf("OnAlert heard alerts in incidents (-want +got):\n%s", d)
	}

	// Back, then killed again: the repeat stays in the incident, which
	// counts the alert once and is seen later.
	back := e.agent("a1")
	e.waitStatus("a1", store.StatusOnline)
	back.kill()
	e.eventually("second loss counted", func() bool {
		al := e.alerts("a1")
		return slices.ContainsFunc(al, func(a store.Alert) bool { return a.RuleID == RuleLost && a.Count == 2 })
	})
	e.eventually("incident seen again", func() bool { return e.incident(shell.ID).LastSeen.After(lost.LastSeen) })
	if repeat := e.lostAlert("a1"); repeat.ID != lost.ID || repeat.IncidentID != shell.ID {
		t.Errorf("repeat %s in incident %q, want %s in %q", repeat.ID, repeat.IncidentID, lost.ID, shell.ID)
	}
	if inc := e.incident(shell.ID); inc.AlertCount != 2 {
		t.Errorf("incident counts %d alerts after the repeat, want 2", inc.AlertCount)
	}
	mu.Lock()
	if len(heard) != 2 {
		t.Errorf("OnAlert heard %d alerts, want 2 (a repeat is not new)", len(heard))
	}
	mu.Unlock()
}

// TestLostAgentIncidentWindow: a reverse shell longer ago than the
// incident window does not draw the loss.
func TestLostAgentIncidentWindow(t *testing.T) {
	cfg := fast
	cfg.HeartbeatTimeout = 30 * time.Second
	cfg.IncidentWindow = 30 * time.Minute
	e := newEnv(t, cfg, "a1")
	shell := e.detection("a1", time.Hour, store.Entity{Kind: store.EntityProcess, Value: "Yx3k9Qv0bW1sUu8Lr2Mc4A"})
	a := e.agent("a1")
	e.waitStatus("a1", store.StatusOnline)
	a.kill()
	e.waitStatus("a1", store.StatusLost)
	if lost := e.lostAlert("a1"); lost.IncidentID == shell.ID {
		t.Fatalf("lost alert joined an incident last seen an hour before it, window %s", cfg.IncidentWindow)
	}
}

// TestUninstallIncident: an uninstall joins the incident of the user who
// ran it, on another host, over its host's own incident.
func TestUninstallIncident(t *testing.T) {
	e := newEnv(t, fast, "a1", "a2")
	alice := store.Entity{Kind: store.EntityUser, Value: "alice"}
	own := e.detection("a1", 10*time.Minute, store.Entity{Kind: store.EntityDomain, Value: "c2.example"})
	elsewhere := e.detection("a2", 20*time.Minute, alice)
	a := e.agent("a1")
	e.waitStatus("a1", store.StatusOnline)
	problem := goodbye(t, a.nc, &busv1.Goodbye{AgentId: "a1", Reason: busv1.Goodbye_REASON_UNINSTALLED,
		AtUnixNano: time.Now().UnixNano(),
		Source: &busv1.StopSource{User: "root", Pid: 4242, Command: "vigil-agent uninstall", LoginUser: "alice",
			Via: "uninstall-command"}})
	if problem != "" {
		t.Fatalf("goodbye refused: %s", problem)
	}
	var al store.Alert
	e.eventually("uninstall alert in an incident", func() bool {
		list := e.alerts("a1")
		i := slices.IndexFunc(list, func(a store.Alert) bool { return a.RuleID == RuleUninstalled })
		if i < 0 {
			return false
		}
		al = list[i]
		return al.IncidentID != ""
	})
	if al.IncidentID != elsewhere.ID {
		t.Fatalf("uninstall in incident %q, want alice's %q (its host's is %q)", al.IncidentID, elsewhere.ID, own.ID)
	}
	inc := e.incident(elsewhere.ID)
	wantEntities := []store.Entity{alice, {Kind: store.EntityUser, Value: "root@a1"}}
	if d := cmp.Diff(wantEntities, inc.Entities); d != "" || !slices.Equal(inc.AgentIDs, []string{"a2", "a1"}) {
		t.Errorf("incident hosts %v, entities (-want +got):\n%s", inc.AgentIDs, d)
	}
}

func TestStopSourceEntities(t *testing.T) {
	user := func(v string) store.Entity { return store.Entity{Kind: store.EntityUser, Value: v} }
	tests := []struct {
		name string
		src  *busv1.StopSource
		want []store.Entity
	}{
		{"no goodbye source", nil, nil},
		{"no user", &busv1.StopSource{Pid: 812, Via: "systemd"}, nil},
		{"root", &busv1.StopSource{User: "root"}, []store.Entity{user("root@agent-1")}},
		{"person", &busv1.StopSource{User: "alice", Uid: 1001}, []store.Entity{user("alice")}},
		{"person, uid not given", &busv1.StopSource{User: "alice"}, []store.Entity{user("alice")}},
		{"system account", &busv1.StopSource{User: "svc-backup", Uid: 998}, []store.Entity{user("svc-backup@agent-1")}},
		{"common name", &busv1.StopSource{User: "ubuntu", Uid: 1000}, []store.Entity{user("ubuntu@agent-1")}},
		{"sudo from a login", &busv1.StopSource{User: "root", LoginUser: "alice"},
			[]store.Entity{user("root@agent-1"), user("alice")}},
		{"login as the same user", &busv1.StopSource{User: "alice", Uid: 1001, LoginUser: "alice"}, []store.Entity{user("alice")}},
		{"login only", &busv1.StopSource{LoginUser: "bob"}, []store.Entity{user("bob")}},
		{"control characters", &busv1.StopSource{User: "\x00al\nice\x1b"}, []store.Entity{user("al ice")}},
		{"blank", &busv1.StopSource{User: " \t", LoginUser: "\x00"}, nil},
		{"long", &busv1.StopSource{User: strings.Repeat("x", 300)}, []store.Entity{user(strings.Repeat("x", maxUserName) + "…")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, stopSourceEntities("agent-1", tc.src)); d != "" {
				t.Errorf("stopSourceEntities (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzStopSourceEntities(f *testing.F) {
	seed, _ := proto.Marshal(&busv1.StopSource{Pid: 4242, Uid: 0, User: "root", LoginUser: "alice", Via: "signal"})
	f.Add(seed)
	f.Add([]byte{0x1a, 0x03, 0xff, 0x00, 0x0a})
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &busv1.StopSource{}
		if proto.Unmarshal(data, src) != nil {
			return
		}
		got := stopSourceEntities("agent-1", src)
		if len(got) > 2 {
			t.Fatalf("%d entities from one source", len(got))
		}
		for _, e := range got {
			if e.Kind != store.EntityUser || e.Value == "" || !utf8Printable(e.Value) ||
				len(e.Value) > maxUserName+len("…@agent-1") {
				t.Fatalf("entity %+v", e)
			}
		}
	})
}

// utf8Printable reports whether s is valid UTF-8 without control
// characters, as PostgreSQL and the console take it.
func utf8Printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
