package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// altSensor is a test sensor that is one of several mechanisms for the
// same events, with settings.
type altSensor struct {
	*testSensor
	provides string
	probeErr error

	mu       sync.Mutex
	settings string
}

func (s *altSensor) Provides() string                { return s.provides }
func (s *altSensor) Probe(ctx context.Context) error { return s.probeErr }

func (s *altSensor) ApplySettings(raw json.RawMessage) error {
	var v map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if v["bad"] == true {
			return errors.New(`"bad" is not a setting`)
		}
	}
	s.mu.Lock()
	s.settings = string(raw)
	s.mu.Unlock()
	return nil
}

func (s *altSensor) applied() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings
}

var (
	_ plugin.Alternative = (*altSensor)(nil)
	_ plugin.Tunable     = (*altSensor)(nil)
)

// TestAlternatives: of the sensors providing the same events, the first
// whose probe succeeds runs and the others stand by; disabling it by
// policy hands over to the next.
func TestAlternatives(t *testing.T) {
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	broken := &altSensor{testSensor: newTestSensor("test/x1"), provides: "thing", probeErr: errors.New("no such kernel hook")}
	first := &altSensor{testSensor: newTestSensor("test/x2"), provides: "thing"}
	second := &altSensor{testSensor: newTestSensor("test/x3"), provides: "thing"}
	other := &altSensor{testSensor: newTestSensor("test/y"), provides: "other"}
	r := startAgent(t, c, hbs, t.TempDir(), func(cfg *agent.Config) {
		cfg.Sensors = []plugin.Sensor{broken, first, second, other}
	})
	p := c.waitStatus(t, r.id, "test/x1", "skipped")
	if !strings.Contains(p["reason"].(string), "no such kernel hook") {
		t.Errorf("skipped reason %v", p["reason"])
	}
	c.waitStatus(t, r.id, "test/x2", "running")
	c.waitStatus(t, r.id, "test/y", "running")
	p = c.waitStatus(t, r.id, "test/x3", "standby")
	if p["reason"] != "thing events come from test/x2" || p["provides"] != "thing" {
		t.Errorf("standby status %v", p)
	}
	if second.starts.Load() != 0 || broken.starts.Load() != 0 {
		t.Errorf("standby or broken sensor started: %d, %d", second.starts.Load(), broken.starts.Load())
	}

	c.putPolicy(t, r.id, &busv1.AgentPolicy{Revision: 2, Budget: &busv1.Budget{CpuPercent: 1000},
		Sensors: map[string]*busv1.PluginPolicy{"test/x2": {Enabled: false}}})
	c.waitStatus(t, r.id, "test/x2", "disabled")
	c.waitStatus(t, r.id, "test/x3", "running")
	c.waitStatus(t, r.id, "test/x1", "skipped")
}

// TestSensorPolicy: settings, drop filters and a sensor's own rate limit
// come from its policy; refused settings keep the previous ones and show
// in the status; filtered and dropped events are counted apart.
func TestSensorPolicy(t *testing.T) {
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	s := &altSensor{testSensor: newTestSensor("test/s"), provides: "thing"}
	r := startAgent(t, c, hbs, t.TempDir(), func(cfg *agent.Config) { cfg.Sensors = []plugin.Sensor{s} })
	c.waitStatus(t, r.id, "test/s", "running")

	c.putPolicy(t, r.id, &busv1.AgentPolicy{Revision: 2, Budget: &busv1.Budget{CpuPercent: 1000},
		Sensors: map[string]*busv1.PluginPolicy{"test/s": {Enabled: true, SettingsJson: `{"level":2}`,
			Drop: []*busv1.EventFilter{{Field: "labels.seq", Prefixes: []string{"1"}, Action: "flood"}}}}})
	hbs.waitFor(t, "policy revision 2", func(hb *busv1.Heartbeat) bool { return hb.GetPolicyRevision() == 2 })
	waitUntil(t, "settings applied and the sensor restarted", func() bool {
		return s.applied() == `{"level":2}` && s.starts.Load() == 2
	})
	c.waitStatus(t, r.id, "test/s", "running")
	s.in <- 100 // seq 0..99: 1 and 10..19 are filtered
	counts := waitCounts(t, c, r.id, "test/s", func(ev, filtered, dropped int) bool { return ev+filtered == 100 })
	if counts != [3]int{89, 11, 0} {
		t.Errorf("events, filtered, dropped = %v, want [89 11 0]", counts)
	}
	c.readStream(t, r.id).waitAction(t, "flood", 89)

	// Refused settings: the sensor keeps running with the previous ones.
	c.putPolicy(t, r.id, &busv1.AgentPolicy{Revision: 3, Budget: &busv1.Budget{CpuPercent: 1000},
		Sensors: map[string]*busv1.PluginPolicy{"test/s": {Enabled: true, SettingsJson: `{"bad":true}`, MaxEventsPerSecond: 5}}})
	hbs.waitFor(t, "policy revision 3", func(hb *busv1.Heartbeat) bool { return hb.GetPolicyRevision() == 3 })
	deadline := time.Now().Add(wait)
	for {
		plugins, _ := statusOf(t, c.command(t, r.id, agent.CommandStatus, nil))
		if e, _ := plugins["test/s"]["last_error"].(string); strings.Contains(e, `settings refused: "bad" is not a setting`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status does not show the refused settings: %v", plugins["test/s"])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := s.applied(); got != `{"level":2}` {
		t.Errorf("settings %s after a refused change", got)
	}
	c.waitStatus(t, r.id, "test/s", "running")
	s.in <- 200 // above 5 per second: most are dropped, and counted
	counts = waitCounts(t, c, r.id, "test/s", func(ev, filtered, dropped int) bool { return ev+filtered+dropped == 300 })
	if counts[2] < 150 || counts[1] != 11 {
		t.Errorf("events, filtered, dropped = %v: want most of the 200 dropped, 11 filtered", counts)
	}
}

// waitCounts polls the sensor's events, filtered and dropped counts until
// done accepts them.
func waitCounts(t *testing.T, c *center, id, name string, done func(ev, filtered, dropped int) bool) [3]int {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		plugins, _ := statusOf(t, c.command(t, id, agent.CommandStatus, nil))
		p := plugins[name]
		got := [3]int{toInt(p["events"]), toInt(p["filtered"]), toInt(p["dropped"])}
		for i := range got {
			got[i] = max(got[i], 0) // absent counters are zero
		}
		if done(got[0], got[1], got[2]) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("counts of %s: %v (%v)", name, got, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitUntil polls cond until it holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, wait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countedSensor keeps counters of its own (plugin.Counted).
type countedSensor struct {
	*testSensor
	malformed atomic.Uint64
	panics    atomic.Bool
}

func (s *countedSensor) Counters() map[string]uint64 {
	if s.panics.Load() {
		panic("counters broke")
	}
	return map[string]uint64{"malformed_lines": s.malformed.Load(), "rescans": 0}
}

var _ plugin.Counted = (*countedSensor)(nil)

// TestPluginCounters: a plugin's own counters reach the center in its
// status and in heartbeats, zero ones left out; a plugin whose Counters
// panics reports none and keeps running.
func TestPluginCounters(t *testing.T) {
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	s := &countedSensor{testSensor: newTestSensor("test/counted")}
	r := startAgent(t, c, hbs, t.TempDir(), func(cfg *agent.Config) { cfg.Sensors = []plugin.Sensor{s} })
	c.waitStatus(t, r.id, "test/counted", "running")

	counters := func() map[string]any {
		plugins, _ := statusOf(t, c.command(t, r.id, agent.CommandStatus, nil))
		m, _ := plugins["test/counted"]["counters"].(map[string]any)
		return m
	}
	if m := counters(); len(m) != 0 {
		t.Errorf("counters %v before anything was counted, want none", m)
	}
	s.malformed.Store(3)
	if m := counters(); len(m) != 1 || toInt(m["malformed_lines"]) != 3 {
		t.Errorf("counters %v, want malformed_lines 3 and no zero ones", m)
	}
	hbs.waitFor(t, "a heartbeat with the counter", func(hb *busv1.Heartbeat) bool {
		for _, p := range hb.GetPlugins() {
			if p.GetName() == "test/counted" && p.GetCounters()["malformed_lines"] == 3 {
				return true
			}
		}
		return false
	})

	s.panics.Store(true)
	plugins, _ := statusOf(t, c.command(t, r.id, agent.CommandStatus, nil))
	if p := plugins["test/counted"]; len(p["counters"].(map[string]any)) != 0 || p["state"] != "running" {
		t.Errorf("status with a panicking Counters: %v", p)
	}
}
