package health

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
)

// fast makes the service react quickly enough for tests.
var fast = Config{HeartbeatTimeout: 2 * time.Second, Grace: 300 * time.Millisecond, FlushInterval: time.Second}

func TestConnectAndHeartbeat(t *testing.T) {
	e := newEnv(t, fast, "a1")
	a := e.agent("a1")
	got := e.waitStatus("a1", store.StatusOnline)
	if got.StatusReason != "connected from 127.0.0.1" {
		t.Errorf("reason %q, want connected from 127.0.0.1", got.StatusReason)
	}
	if !e.svc.Online("a1") || e.svc.Online("a2") {
		t.Error("Online disagrees with the agents' states")
	}
	a.heartbeat(func(hb *busv1.Heartbeat) {
		hb.Facts = &busv1.HostFacts{Hostname: "oa-web-01", Os: "linux", Platform: "debian",
			PlatformVersion: "12.8", Kernel: "6.1.0-28-amd64", Arch: "amd64", Ips: []string{"10.0.0.5"},
			BootTimeUnix: 1_700_000_000, AgentVersion: "1.2.3", MachineId: "m-1"}
		hb.Plugins = []*busv1.PluginStatus{
			{Name: "os/dpkg", Kind: "collector", State: "idle"},
			{Name: "exec/ebpf", Kind: "sensor", State: "failed", LastError: "no BTF"},
		}
	})
	e.eventually("facts stored", func() bool { return e.agentRec("a1").Hostname == "oa-web-01" })
	rec := e.agentRec("a1")
	want := store.Agent{OS: "linux", Platform: "debian", PlatformVersion: "12.8", Kernel: "6.1.0-28-amd64",
		Arch: "amd64", IPs: []string{"10.0.0.5"}, AgentVersion: "1.2.3", MachineID: "m-1"}
	gotFacts := store.Agent{OS: rec.OS, Platform: rec.Platform, PlatformVersion: rec.PlatformVersion,
		Kernel: rec.Kernel, Arch: rec.Arch, IPs: rec.IPs, AgentVersion: rec.AgentVersion, MachineID: rec.MachineID}
	if diff := cmp.Diff(want, gotFacts); diff != "" {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
	var state struct {
		Seq     uint64 `json:"seq"`
		Plugins []struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"plugins"`
		Stats struct {
			RSS uint64 `json:"rss_bytes"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(rec.LastState, &state); err != nil {
		t.Fatalf("last state %s: %v", rec.LastState, err)
	}
	if state.Seq != 1 || len(state.Plugins) != 2 || state.Plugins[1].State != "failed" || state.Stats.RSS != 40<<20 {
		t.Errorf("last state %s", rec.LastState)
	}
	e.eventually("last seen flushed", func() bool { return time.Since(e.agentRec("a1").LastSeen) < 5*time.Second })
	if st := e.svc.Stats(); st.HeartbeatsTotal != 1 || st.ConnectsTotal != 1 || st.Online != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestGoodbyeStopped(t *testing.T) {
	e := newEnv(t, fast, "a1")
	a := e.agent("a1")
	a.heartbeat(nil)
	e.waitStatus("a1", store.StatusOnline)
	problem := goodbye(t, a.nc, &busv1.Goodbye{AgentId: "a1", Reason: busv1.Goodbye_REASON_STOPPED,
		AtUnixNano: time.Now().UnixNano(), Signal: "SIGTERM", Source: &busv1.StopSource{Via: "systemd"}})
	if problem != "" {
		t.Fatalf("goodbye refused: %s", problem)
	}
	// The goodbye is answered once recorded.
	if got := e.agentRec("a1"); got.Status != store.StatusStopped || got.StatusReason != "SIGTERM via systemd" {
		t.Fatalf("after goodbye: %s %q", got.Status, got.StatusReason)
	}
	a.nc.Close()
	time.Sleep(3 * fast.Grace)
	if got := e.agentRec("a1"); got.Status != store.StatusStopped {
		t.Errorf("status %s after the clean close, want stopped", got.Status)
	}
	if al := e.alerts("a1"); len(al) != 0 {
		t.Errorf("a stop raised %d alerts", len(al))
	}
}

func TestKilledAgentIsLost(t *testing.T) {
	// A long heartbeat timeout: the loss must come from the closed
	// connection, however slow a loaded machine makes the test, not from
	// the sweep of silent agents.
	cfg := fast
	cfg.HeartbeatTimeout = 30 * time.Second
	e := newEnv(t, cfg, "a1")
	a := e.agent("a1")
	a.heartbeat(func(hb *busv1.Heartbeat) {
		hb.Plugins = []*busv1.PluginStatus{{Name: "fim", Kind: "sensor", State: "failed"}}
	})
	e.waitStatus("a1", store.StatusOnline)
	a.kill()
	got := e.waitStatus("a1", store.StatusLost)
	if !strings.HasPrefix(got.StatusReason, "disconnected without goodbye: ") || !strings.Contains(got.StatusReason, "127.0.0.1") {
		t.Errorf("reason %q", got.StatusReason)
	}
	e.eventually("lost alert", func() bool { return len(e.alerts("a1")) == 1 })
	al := e.alerts("a1")[0]
	if al.RuleID != RuleLost || al.Severity != store.SeverityHigh || al.State != store.AlertNew ||
		!slices.Equal(al.Techniques, []string{"T1562.001", "T1529"}) || al.DedupKey != RuleLost+":a1" ||
		al.Title != "Agent lost: host-a1" {
		t.Errorf("alert %+v", al)
	}
	ev := al.Evidence
	last, _ := ev["last_state"].(map[string]any)
	if ev["status"] != "lost" || ev["reason"] != got.StatusReason || ev["last_seen"] == nil ||
		last["plugins_failed"] == nil || last["rss_bytes"] == nil {
		t.Errorf("evidence %v", ev)
	}
	hist, err := e.store.Agents().History(t.Context(), "a1", 10)
	if err != nil || len(hist) < 2 || hist[0].To != store.StatusLost || hist[1].To != store.StatusOnline {
		t.Errorf("history %+v, %v", hist, err)
	}

	// It comes back: online again, the alert stays for triage.
	e.agent("a1")
	e.waitStatus("a1", store.StatusOnline)
	if al := e.alerts("a1"); len(al) != 1 || al[0].State != store.AlertNew {
		t.Errorf("alerts after return: %+v", al)
	}
}

func TestUninstall(t *testing.T) {
	var mu sync.Mutex
	var heard []store.Alert
	cfg := fast
	cfg.OnAlert = func(a store.Alert) { mu.Lock(); heard = append(heard, a); mu.Unlock() }
	e := newEnv(t, cfg, "a1")
	a := e.agent("a1")
	e.waitStatus("a1", store.StatusOnline)
	problem := goodbye(t, a.nc, &busv1.Goodbye{AgentId: "a1", Reason: busv1.Goodbye_REASON_UNINSTALLED,
		AtUnixNano: time.Now().UnixNano(),
		Source:     &busv1.StopSource{Uid: 0, User: "root", Pid: 812, Command: "vigil-agent uninstall", Via: "uninstall-command"}})
	if problem != "" {
		t.Fatalf("goodbye refused: %s", problem)
	}
	a.kill()
	got := e.agentRec("a1")
	if got.Status != store.StatusUninstalled || got.StatusReason != "uninstalled from root (uid 0): vigil-agent uninstall (pid 812) via uninstall-command" {
		t.Errorf("status %s %q", got.Status, got.StatusReason)
	}
	time.Sleep(3 * fast.Grace)
	al := e.alerts("a1")
	if len(al) != 1 || al[0].RuleID != RuleUninstalled || al[0].Severity != store.SeverityHigh ||
		!slices.Equal(al[0].Techniques, []string{"T1562.001"}) {
		t.Fatalf("alerts %+v, want one uninstall alert", al)
	}
	mu.Lock()
	if len(heard) != 1 || heard[0].ID != al[0].ID {
		t.Errorf("OnAlert heard %+v, want the uninstall alert", heard)
	}
	mu.Unlock()
	if e.agentRec("a1").Status != store.StatusUninstalled {
		t.Error("the disconnect after the goodbye changed the status")
	}
}

func TestGoodbyeRacingDisconnect(t *testing.T) {
	e := newEnv(t, Config{HeartbeatTimeout: 2 * time.Second, Grace: time.Second}, "a1")
	a := e.agent("a1")
	e.waitStatus("a1", store.StatusOnline)
	sent := time.Now().UnixNano()
	a.kill()
	e.eventually("disconnect seen", func() bool { return e.svc.Stats().DisconnectsTotal == 1 })
	// The goodbye arrives after the disconnect, within the grace.
	if p := goodbye(t, e.center, &busv1.Goodbye{AgentId: "a1", Reason: busv1.Goodbye_REASON_STOPPED, AtUnixNano: sent, Signal: "SIGINT"}); p != "" {
		t.Fatal(p)
	}
	// A heartbeat sent before the goodbye, arriving late, changes nothing.
	late := &busv1.Heartbeat{AgentId: "a1", SentAtUnixNano: sent - 1}
	data, _ := proto.Marshal(late)
	_ = e.center.Publish(bus.HeartbeatSubject("a1"), data)
	time.Sleep(1500 * time.Millisecond)
	got := e.agentRec("a1")
	if got.Status != store.StatusStopped || got.StatusReason != "SIGINT" {
		t.Errorf("status %s %q, want stopped SIGINT", got.Status, got.StatusReason)
	}
	if al := e.alerts("a1"); len(al) != 0 {
		t.Errorf("alerts %+v, want none", al)
	}
}

func TestSilentAgentIsSwept(t *testing.T) {
	e := newEnv(t, Config{HeartbeatTimeout: time.Second, Grace: 100 * time.Millisecond}, "a1")
	// Heard of, but not through a connection the service saw open.
	data, _ := proto.Marshal(&busv1.Heartbeat{AgentId: "a1", SentAtUnixNano: time.Now().UnixNano()})
	if err := e.center.Publish(bus.HeartbeatSubject("a1"), data); err != nil {
		t.Fatal(err)
	}
	e.waitStatus("a1", store.StatusOnline)
	got := e.waitStatus("a1", store.StatusLost)
	if !strings.HasPrefix(got.StatusReason, "no heartbeat for ") {
		t.Errorf("reason %q", got.StatusReason)
	}
	e.eventually("lost alert", func() bool { return len(e.alerts("a1")) == 1 })
}

func TestMalformedHeartbeats(t *testing.T) {
	e := newEnv(t, fast, "a1")
	before := e.svc.Stats().MalformedTotal
	send := func(subject string, data []byte) {
		if err := e.center.Publish(subject, data); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := proto.Marshal(&busv1.Heartbeat{AgentId: "a2"})
	ghost, _ := proto.Marshal(&busv1.Heartbeat{AgentId: "ghost"})
	send(bus.HeartbeatSubject("a1"), []byte{0x0a, 0x64, 'x'}) // agent_id of 100 bytes, 1 given
	send(bus.HeartbeatSubject("a1"), other)
	send(bus.HeartbeatSubject("ghost"), ghost)
	send(bus.HeartbeatSubject("ghost"), ghost)
	want := map[string]uint64{ReasonDecode: 1, ReasonAgentMismatch: 1, ReasonUnknownAgent: 2}
	e.eventually("malformed counted", func() bool {
		got := e.svc.Stats().MalformedTotal
		for k, v := range want {
			if got[k]-before[k] != v {
				return false
			}
		}
		return true
	})
	// The service goes on.
	e.agent("a1").heartbeat(nil)
	e.waitStatus("a1", store.StatusOnline)
	if _, err := e.store.Agents().Get(t.Context(), "ghost"); err == nil {
		t.Error("an unknown agent was created")
	}
}

// TestEnrolledNeverConnected: an agent that enrolled but has not reached
// the bus yet gets EnrollConnectTimeout from its enrollment, not the
// heartbeat timeout, and the reason says what happened.
func TestEnrolledNeverConnected(t *testing.T) {
	e := newEnv(t, Config{HeartbeatTimeout: time.Second, EnrollConnectTimeout: 4 * time.Second,
		Grace: 100 * time.Millisecond, ResyncInterval: 100 * time.Millisecond})
	now := time.Now()
	a := store.Agent{ID: "n1", Hostname: "host-n1", Status: store.StatusEnrolled, StatusReason: "enrolled",
		EnrolledAt: now, LastSeen: now, UserKey: "n1"}
	if err := e.store.Agents().Create(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // well past the heartbeat timeout
	if st := e.agentRec("n1").Status; st != store.StatusEnrolled {
		t.Fatalf("newly enrolled agent is %s before its connect deadline", st)
	}
	got := e.waitStatus("n1", store.StatusLost)
	if !strings.Contains(got.StatusReason, "never connected") {
		t.Errorf("reason %q does not say it never connected", got.StatusReason)
	}
}

// TestEnrolledTurnsOnlineOnConnect: an enrolled agent is online only once
// it is on the bus, and one killed right after connecting is lost at once.
func TestEnrolledTurnsOnlineOnConnect(t *testing.T) {
	e := newEnvWith(t, fast, store.StatusEnrolled, "e1")
	if e.svc.Online("e1") {
		t.Fatal("an enrolled agent that never connected counts as online")
	}
	a := e.agent("e1")
	if got := e.waitStatus("e1", store.StatusOnline); got.StatusReason != "connected from 127.0.0.1" {
		t.Errorf("reason %q", got.StatusReason)
	}
	a.kill()
	e.waitStatus("e1", store.StatusLost)
	if len(e.alerts("e1")) != 1 {
		t.Errorf("alerts %+v, want one", e.alerts("e1"))
	}
}
