package agent_test

import (
	"os"
	"path/filepath"
	"testing"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent"
	collectlist "github.com/vigilsec/vigil/internal/agent/collect/list"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	senselist "github.com/vigilsec/vigil/internal/agent/sense/list"
	"github.com/vigilsec/vigil/internal/event"
)

func TestShippedPlugins(t *testing.T) {
	if !plugin.Detect("/").Has(plugin.FeatureInotify) {
		t.Skip("selfguard needs inotify")
	}
	c := startCenter(t)
	hbs := c.watchHeartbeats(t)
	dir := t.TempDir()
	r := startAgent(t, c, hbs, dir, func(cfg *agent.Config) {
		cfg.Collectors = collectlist.All()
		cfg.Sensors = senselist.All()
	})
	hbs.waitFor(t, "selfguard running", func(hb *busv1.Heartbeat) bool {
		for _, p := range hb.GetPlugins() {
			if p.GetName() == "selfguard" && p.GetState() == "running" {
				return true
			}
		}
		return false
	})
	st := c.readStream(t, r.id)
	st.waitAction(t, "facts", 1)

	// Someone tampers with the agent's data directory.
	intruder := filepath.Join(dir, "intruder")
	if err := os.WriteFile(intruder, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	st.waitAction(t, "agent-file-changed", 1)
	for _, e := range st.events {
		switch e.String(event.FieldAction) {
		case "facts":
			if e.String("host.hostname") == "" || e.String("host.os.kernel") == "" {
				t.Errorf("facts event: %v", e)
			}
		case "agent-file-changed":
			if e.String(event.FieldFilePath) != intruder {
				t.Errorf("selfguard event: %v", e)
			}
		}
	}
}
