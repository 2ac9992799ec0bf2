package agent_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/agent/plugin"
)

func TestPluginTroubleIsContained(t *testing.T) {
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	needy := newTestSensor("test/needy")
	needy.req = plugin.Requirements{Features: []string{"no-such-feature"}}
	buggy := newTestSensor("test/buggy")
	buggy.panics = true
	good := newTestSensor("test/good")
	failing := &testCollector{name: "test/failing", n: 2, err: errTest}
	r := startAgent(t, c, hbs, t.TempDir(), func(cfg *agent.Config) {
		cfg.Sensors = []plugin.Sensor{needy, buggy, good}
		cfg.Collectors = []plugin.Collector{failing}
	})
	hb := hbs.waitFor(t, "statuses of trouble", func(hb *busv1.Heartbeat) bool {
		states := map[string]*busv1.PluginStatus{}
		for _, p := range hb.GetPlugins() {
			states[p.GetName()] = p
		}
		return hb.GetAgentId() == r.id && states["test/buggy"].GetState() == "failed" && states["test/failing"].GetState() == "failed"
	})
	for _, p := range hb.GetPlugins() {
		switch p.GetName() {
		case "test/needy":
			if p.GetState() != "skipped" || !strings.Contains(p.GetReason(), `"no-such-feature"`) || p.GetMechanism() != "test" {
				t.Errorf("needy: %v", p)
			}
		case "test/buggy":
			if !strings.Contains(p.GetReason(), "panicked: sensor bug") || p.GetFailures() == 0 {
				t.Errorf("buggy: %v", p)
			}
		case "test/failing":
			if p.GetLastError() == "" || p.GetFailures() != 1 || p.GetEvents() != 2 || p.GetKind() != plugin.KindCollector {
				t.Errorf("failing: %v", p)
			}
		}
	}
	if needy.starts.Load() != 0 {
		t.Error("a skipped sensor was started")
	}
	good.in <- 20
	st := c.readStream(t, r.id)
	st.waitAction(t, "flood", 20)
	st.waitAction(t, "counted", 2) // a failed run keeps its events
}

func TestGoodbyeNamesTheSignal(t *testing.T) {
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	r := startAgent(t, c, hbs, t.TempDir(), nil)
	if err := r.stop(t, &agent.StopSignal{Signal: syscall.SIGTERM}); err != nil {
		t.Fatalf("Run = %v", err)
	}
	gb := c.lastGoodbye()
	if gb == nil {
		t.Fatal("no goodbye")
	}
	if gb.GetAgentId() != r.id || gb.GetReason() != busv1.Goodbye_REASON_STOPPED || gb.GetSignal() != "SIGTERM" ||
		gb.GetSource().GetVia() == "" || gb.GetAtUnixNano() == 0 {
		t.Errorf("goodbye = %v", gb)
	}
	// No signal was sent (the test ends Run with the cause alone): the
	// sender is unknown, and the note says so and names the parent.
	if src := gb.GetSource(); src.GetPid() != 0 || !strings.Contains(src.GetNote(), "sender unknown") ||
		!strings.Contains(src.GetNote(), fmt.Sprintf("pid %d", os.Getppid())) {
		t.Errorf("goodbye = %v", gb)
	}
}

func TestNotifyStop(t *testing.T) {
	ctx, stop := agent.NotifyStop(context.Background())
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(wait):
		t.Fatal("context not ended by SIGTERM")
	}
	if cause := context.Cause(ctx); cause == nil || cause.Error() != "SIGTERM received" {
		t.Errorf("cause = %v", cause)
	}
}
