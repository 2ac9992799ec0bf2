package agent_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// The server in these tests is the real bus server of the center (TLS,
// JWT credentials with the agent's permissions, JetStream on disk), and
// enrollment goes through a real HTTPS exchange with a join token.

func TestEnrollDeliverAndRestart(t *testing.T) {
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	dir := t.TempDir()
	s := newTestSensor("test/flood")
	col := &testCollector{name: "test/count", n: 3}
	plugins := func(cfg *agent.Config) {
		cfg.Sensors = []plugin.Sensor{s}
		cfg.Collectors = []plugin.Collector{col}
	}
	r := startAgent(t, c, hbs, dir, plugins)

	first := hbs.waitFor(t, "facts", func(hb *busv1.Heartbeat) bool { return hb.GetAgentId() == r.id })
	if first.GetFacts().GetHostname() == "" || first.GetFacts().GetAgentVersion() != "v0.0.0-test" || len(first.GetPlugins()) != 2 {
		t.Errorf("first heartbeat: facts %v, %d plugins", first.GetFacts(), len(first.GetPlugins()))
	}
	if _, err := os.Stat(filepath.Join(dir, agent.PIDFile)); err != nil {
		t.Errorf("pid file while running: %v", err)
	}

	const n = 2500
	s.in <- n
	st := c.readStream(t, r.id)
	st.waitAction(t, "flood", n)
	st.checkOnce(t, "flood", n)
	st.waitAction(t, "counted", 3)
	for _, e := range st.events[:1] {
		id, err := uuid.Parse(e.ID())
		if err != nil || id.Version() != 7 {
			t.Errorf("event.id %q is not a UUIDv7", e.ID())
		}
		if e.String(event.FieldHostID) == "" || e.String(event.FieldAgentVersion) != "v0.0.0-test" || e.Timestamp().IsZero() {
			t.Errorf("event not stamped: %v", e)
		}
	}
	for _, id := range st.msgIDs {
		if !strings.HasPrefix(id, r.id+"-") {
			t.Errorf("Nats-Msg-Id %q does not start with the agent id", id)
		}
	}
	if err := r.stop(t, context.Canceled); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, agent.PIDFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file after stop: %v", err)
	}

	// Restarted without center URL or token: the same identity, no new
	// enrollment, and delivery goes on.
	r2 := startAgent(t, c, hbs, dir, func(cfg *agent.Config) {
		plugins(cfg)
		cfg.CenterURL, cfg.JoinToken = "", ""
	})
	if r2.id != r.id || c.enrolls.Load() != 1 {
		t.Errorf("after restart: id %q (was %q), %d enrollments", r2.id, r.id, c.enrolls.Load())
	}
	s.in <- 10
	st.waitAction(t, "flood", n+10)
	st.checkOnce(t, "flood", n+10)
}

func TestHeartbeatsKeepTimeWhileFlooding(t *testing.T) {
	const interval = 300 * time.Millisecond
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	s := newTestSensor("test/flood")
	r := startAgent(t, c, hbs, t.TempDir(), func(cfg *agent.Config) {
		cfg.Sensors = []plugin.Sensor{s}
		cfg.HeartbeatInterval = interval
	})
	st := c.readStream(t, r.id)
	from := time.Now()
	const n = 20000
	s.in <- n
	st.waitAction(t, "flood", n)
	until := time.Now()
	st.checkOnce(t, "flood", n)

	hbs.mu.Lock()
	var gaps []time.Duration
	last := from
	for i, at := range hbs.at {
		if at.Before(from) || hbs.all[i].GetAgentId() != r.id {
			continue
		}
		gaps = append(gaps, at.Sub(last))
		last = at
	}
	hbs.mu.Unlock()
	gaps = append(gaps, until.Sub(last))
	maxGap := time.Duration(0)
	for _, g := range gaps {
		maxGap = max(maxGap, g)
	}
	t.Logf("%d events in %v; %d heartbeats, largest gap %v (interval %v)", n, until.Sub(from), len(gaps)-1, maxGap, interval)
	if maxGap >= 3*interval {
		t.Errorf("largest heartbeat gap while flooding: %v, want < %v", maxGap, 3*interval)
	}
	hb := hbs.waitFor(t, "events sent", func(hb *busv1.Heartbeat) bool {
		return hb.GetAgentId() == r.id && hb.GetStats().GetEventsSentTotal() >= n
	})
	if hb.GetStats().GetBatchesSentTotal() < n/1000 || hb.GetStats().GetRssBytes() == 0 {
		t.Errorf("stats = %v", hb.GetStats())
	}
}

func TestCenterOutage(t *testing.T) {
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	s := newTestSensor("test/flood")
	r := startAgent(t, c, hbs, t.TempDir(), func(cfg *agent.Config) { cfg.Sensors = []plugin.Sensor{s} })
	s.in <- 100
	c.readStream(t, r.id).waitAction(t, "flood", 100)

	// The center goes away for a few seconds while events happen.
	c.Server.Shutdown()
	s.in <- 400
	time.Sleep(3 * time.Second)
	c.Restart()
	c.answerGoodbyes(t)
	hbs = c.watchHeartbeats(t)

	st := c.readStream(t, r.id)
	st.waitAction(t, "flood", 500)
	st.checkOnce(t, "flood", 500)
	hbs.waitFor(t, "a counted reconnect and facts", func(hb *busv1.Heartbeat) bool {
		return hb.GetAgentId() == r.id && hb.GetStats().GetReconnectsTotal() >= 1 && hb.GetFacts() != nil
	})
}
