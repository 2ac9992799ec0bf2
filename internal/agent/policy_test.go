package agent_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/bus"
)

// putPolicy stores an agent's policy as the center does.
func (c *center) putPolicy(t *testing.T, id string, p *busv1.AgentPolicy) {
	t.Helper()
	js, err := jetstream.New(c.conn())
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), bus.PolicyBucket)
	if err != nil {
		t.Fatal(err)
	}
	data, err := proto.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(context.Background(), bus.PolicyKey(id), data); err != nil {
		t.Fatal(err)
	}
}

// waitStatus polls the status command until the plugin is in state.
func (c *center) waitStatus(t *testing.T, id, plugin, state string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		plugins, _ := statusOf(t, c.command(t, id, agent.CommandStatus, nil))
		if p := plugins[plugin]; p != nil && p["state"] == state {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin %s not %s: %v", plugin, state, plugins[plugin])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPolicyAppliesWithoutRestart(t *testing.T) {
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	a, b := newTestSensor("test/a"), newTestSensor("test/b")
	col := &testCollector{name: "test/count", n: 1}
	r := startAgent(t, c, hbs, t.TempDir(), func(cfg *agent.Config) {
		cfg.Sensors = []plugin.Sensor{a, b}
		cfg.Collectors = []plugin.Collector{col}
	})
	c.waitStatus(t, r.id, "test/a", "running")

	c.putPolicy(t, r.id, &busv1.AgentPolicy{
		Revision: 7, Name: "quiet",
		Sensors:    map[string]*busv1.PluginPolicy{"test/a": {Enabled: false}},
		Collectors: map[string]*busv1.PluginPolicy{"test/count": {Enabled: false}},
		Budget:     &busv1.Budget{CpuPercent: 1000},
	})
	hbs.waitFor(t, "policy revision 7", func(hb *busv1.Heartbeat) bool { return hb.GetPolicyRevision() == 7 })
	select {
	case <-a.stops:
	case <-time.After(wait):
		t.Fatal("sensor test/a was not stopped by the policy")
	}
	p := c.waitStatus(t, r.id, "test/a", "disabled")
	if !strings.Contains(p["reason"].(string), "quiet") {
		t.Errorf("reason = %v", p["reason"])
	}
	c.waitStatus(t, r.id, "test/b", "running")
	c.waitStatus(t, r.id, "test/count", "disabled")
	if reply := c.command(t, r.id, agent.CommandCollect, map[string]string{"name": "test/count"}); reply.GetOk() ||
		!strings.Contains(reply.GetError(), "disabled by policy") {
		t.Errorf("collect of a disabled collector: %v", reply)
	}
	b.in <- 10
	st := c.readStream(t, r.id)
	st.waitAction(t, "flood", 10)

	// On again, with an event rate limit: what is above it is dropped and
	// counted, never lost silently.
	c.putPolicy(t, r.id, &busv1.AgentPolicy{Revision: 8, MaxEventsPerSecond: 20, Budget: &busv1.Budget{CpuPercent: 1000}})
	hbs.waitFor(t, "policy revision 8", func(hb *busv1.Heartbeat) bool { return hb.GetPolicyRevision() == 8 })
	c.waitStatus(t, r.id, "test/a", "running")
	if a.starts.Load() != 2 {
		t.Errorf("test/a started %d times, want 2", a.starts.Load())
	}
	a.in <- 500
	deadline := time.Now().Add(wait)
	for {
		plugins, _ := statusOf(t, c.command(t, r.id, agent.CommandStatus, nil))
		ev, dr := plugins["test/a"]["events"], plugins["test/a"]["dropped"]
		if ev != nil && dr != nil && toInt(ev)+toInt(dr) == 500 {
			if toInt(dr) == 0 || toInt(ev) == 0 {
				t.Errorf("events %v, dropped %v: want both above zero", ev, dr)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status of test/a: %v", plugins["test/a"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// toInt reads a protojson uint64 (a string) or a number.
func toInt(v any) int {
	switch x := v.(type) {
	case string:
		n := 0
		for _, r := range x {
			n = n*10 + int(r-'0')
		}
		return n
	case float64:
		return int(x)
	}
	return -1
}
