package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/event"
)

// assetCollector reports users; fail makes its inventory incomplete.
type assetCollector struct {
	mu    sync.Mutex
	users []string
	fail  error
	runs  atomic.Int32
}

func (c *assetCollector) Name() string                      { return "test/users" }
func (c *assetCollector) Requirements() plugin.Requirements { return plugin.Requirements{} }
func (c *assetCollector) DefaultInterval() time.Duration    { return time.Hour }
func (c *assetCollector) Kinds() []string                   { return []string{event.AssetUser} }
func (c *assetCollector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	c.runs.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []event.Asset
	for _, u := range c.users {
		out = append(out, event.Asset{Kind: event.AssetUser, Key: u, Name: u, Fields: map[string]any{"user": map[string]any{"name": u}}})
	}
	return out, c.fail
}

func (c *assetCollector) set(users []string, fail error) {
	c.mu.Lock()
	c.users, c.fail = users, fail
	c.mu.Unlock()
}

var _ plugin.AssetCollector = (*assetCollector)(nil)

// inventoryCenter answers inventory requests by accepting every change,
// and records them.
type inventoryCenter struct {
	mu       sync.Mutex
	requests []*busv1.InventoryRequest
}

func (ic *inventoryCenter) answer(t *testing.T, c *center) {
	t.Helper()
	_, err := c.conn().Subscribe(bus.AllInventory, func(m *nats.Msg) {
		req := &busv1.InventoryRequest{}
		if err := proto.Unmarshal(m.Data, req); err != nil {
			t.Errorf("inventory request does not decode: %v", err)
			return
		}
		ic.mu.Lock()
		ic.requests = append(ic.requests, req)
		ic.mu.Unlock()
		reply := &busv1.InventoryReply{Ok: true, Digest: event.InventoryDigest(nil)}
		if ch := req.GetChanges(); ch != nil {
			reply.Digest, reply.Added, reply.Removed = ch.GetDigest(), uint32(len(ch.GetUpserts())), uint32(len(ch.GetRemoved()))
		}
		data, _ := proto.Marshal(reply)
		_ = m.Respond(data)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (ic *inventoryCenter) changes() []*busv1.InventoryChanges {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	var out []*busv1.InventoryChanges
	for _, r := range ic.requests {
		if ch := r.GetChanges(); ch != nil {
			out = append(out, ch)
		}
	}
	return out
}

// TestAssetCollector: an asset collector's inventory goes to the center as
// changes; an unchanged one as a digest; an incomplete one not at all;
// the collect command and the status tell what happened.
func TestAssetCollector(t *testing.T) {
	c := startCenter(t)
	ic := &inventoryCenter{}
	ic.answer(t, c)
	hbs := c.watchHeartbeats(t)
	col := &assetCollector{users: []string{"root", "alice"}}
	r := startAgent(t, c, hbs, t.TempDir(), func(cfg *agent.Config) { cfg.Collectors = []plugin.Collector{col} })

	waitUntil(t, "the first inventory", func() bool { return len(ic.changes()) == 1 })
	first := ic.changes()[0]
	if len(first.GetUpserts()) != 2 || !first.GetLast() || first.GetKinds()[0] != event.AssetUser {
		t.Fatalf("first inventory: %v", first)
	}

	collect := func() map[string]any {
		reply := c.command(t, r.id, agent.CommandCollect, map[string]string{"name": "test/users"})
		out := map[string]any{}
		if len(reply.GetOutput()) > 0 {
			if err := json.Unmarshal(reply.GetOutput(), &out); err != nil {
				t.Fatalf("collect output %s: %v", reply.GetOutput(), err)
			}
		}
		if out == nil {
			out = map[string]any{}
		}
		if !reply.GetOk() {
			out["error"] = reply.GetError()
		}
		return out
	}
	if out := collect(); out["unchanged"] != true || out["assets"] != float64(2) {
		t.Errorf("unchanged inventory: %v", out)
	}
	if last := ic.changes()[len(ic.changes())-1]; len(last.GetUpserts())+len(last.GetRemoved()) != 0 || last.GetBaseDigest() != last.GetDigest() {
		t.Errorf("an unchanged inventory sent %v", last)
	}

	col.set([]string{"root", "mallory"}, nil)
	if out := collect(); out["added"] != float64(1) || out["removed"] != float64(1) {
		t.Errorf("changed inventory: %v", out)
	}
	last := ic.changes()[len(ic.changes())-1]
	if len(last.GetUpserts()) != 1 || last.GetUpserts()[0].GetKey() != "mallory" || last.GetRemoved()[0].GetKey() != "alice" {
		t.Errorf("changes sent: %v", last)
	}

	n := len(ic.changes())
	col.set([]string{"root"}, errTest)
	if out := collect(); out["error"] == nil {
		t.Errorf("an incomplete inventory was not reported as an error: %v", out)
	}
	if len(ic.changes()) != n {
		t.Error("an incomplete inventory was sent")
	}
	plugins, _ := statusOf(t, c.command(t, r.id, agent.CommandStatus, nil))
	p := plugins["test/users"]
	counters, _ := p["counters"].(map[string]any)
	if p["state"] != "failed" || toInt(counters["assets"]) != 2 || toInt(counters["assets_added"]) != 3 || toInt(counters["unchanged"]) != 1 {
		t.Errorf("status %v", p)
	}
}

// lookingCollector is not supported until its settings say where to look.
type lookingCollector struct {
	assetCollector
	mu    sync.Mutex
	where string
}

func (c *lookingCollector) Name() string { return "test/looking" }
func (c *lookingCollector) Configure(env plugin.Env) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.where != "/run/elsewhere.sock" {
		return fmt.Errorf("%w: nothing at the default path", plugin.ErrUnsupported)
	}
	return nil
}
func (c *lookingCollector) ApplySettings(raw json.RawMessage) error {
	var s struct{ Where string }
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.where = s.Where
	c.mu.Unlock()
	return nil
}

// TestReconfigure: a plugin skipped because what it observes was not at
// its default place runs once its policy's settings tell it where to look.
func TestReconfigure(t *testing.T) {
	c := startCenter(t)
	ic := &inventoryCenter{}
	ic.answer(t, c)
	hbs := c.watchHeartbeats(t)
	col := &lookingCollector{assetCollector: assetCollector{users: []string{"root"}}}
	r := startAgent(t, c, hbs, t.TempDir(), func(cfg *agent.Config) { cfg.Collectors = []plugin.Collector{col} })
	p := c.waitStatus(t, r.id, "test/looking", "skipped")
	if !strings.Contains(p["reason"].(string), "nothing at the default path") {
		t.Errorf("skipped for %v", p["reason"])
	}
	c.putPolicy(t, r.id, &busv1.AgentPolicy{Revision: 2, Budget: &busv1.Budget{CpuPercent: 1000},
		Collectors: map[string]*busv1.PluginPolicy{"test/looking": {Enabled: true, SettingsJson: `{"where":"/run/elsewhere.sock"}`}}})
	waitUntil(t, "the collector's inventory", func() bool { return len(ic.changes()) == 1 })
	c.waitStatus(t, r.id, "test/looking", "idle")
}
