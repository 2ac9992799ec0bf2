package apiclienttest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/collect/compliance/baseline"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/center/inventory"
)

// WriteHost writes files (path on the host -> content) below a new folder
// that stands for a host's root, and returns the folder.
func (e *Env) WriteHost(files map[string]string) string {
	e.tb.Helper()
	root := e.tb.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			e.tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			e.tb.Fatal(err)
		}
	}
	return root
}

// EvaluateCompliance evaluates the compliance policies assigned to the
// stored agent id on the folder root, as the agent does: the agent's
// compliance/baseline collector with the settings the compliance service
// puts into the agent's policy. It stores the results as the inventory
// service stores an agent's inventory taken at time at (a result that
// changed status is history, read as drift), then has the compliance
// service record the agent's scores. It needs an Env started with
// Options.Compliance.
func (e *Env) EvaluateCompliance(id, root string, at time.Time) {
	e.tb.Helper()
	if e.Compliance == nil {
		e.tb.Fatal("EvaluateCompliance needs an Env started with Options.Compliance")
	}
	ctx := context.Background()
	agent, err := e.Store.Agents().Get(ctx, id)
	if err != nil {
		e.tb.Fatalf("agent %s: %v", id, err)
	}
	pol := &busv1.AgentPolicy{}
	if err := e.Compliance.Amend(ctx, agent, pol); err != nil {
		e.tb.Fatalf("policy of agent %s: %v", id, err)
	}
	pp := pol.GetCollectors()[baseline.Name]
	if pp == nil || !pp.GetEnabled() {
		e.tb.Fatalf("agent %s: no compliance policy is assigned to it", id)
	}
	c := baseline.New()
	c.Now = func() time.Time { return at }
	if err := c.ApplySettings(json.RawMessage(pp.GetSettingsJson())); err != nil {
		e.tb.Fatalf("agent %s: collector settings: %v", id, err)
	}
	assets, err := c.Assets(ctx, plugin.Env{Root: root, AgentID: id})
	if err != nil {
		e.tb.Fatalf("agent %s: evaluate: %v", id, err)
	}
	if _, err := inventory.StoreSet(ctx, e.Store.Inventory(), id, baseline.Name, assets, at); err != nil {
		e.tb.Fatalf("agent %s: store the results: %v", id, err)
	}
	e.Compliance.InventoryChanged(id, baseline.Name)
}
