package compliancecmdtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/collect/compliance/baseline"
	"github.com/vigilsec/vigil/internal/agent/invsync"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/client"
	"github.com/vigilsec/vigil/internal/center/inventory"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// Host is an agent whose host is a folder standing for its root.
type Host struct {
	ID, Hostname string
	// Root is the folder the host's files are in.
	Root string

	env *Env
	// acked is the compliance set the store holds for the host after
	// the last Collect (item id -> hash).
	acked map[string][32]byte
}

// AddHost stores an agent with labels, online since a month, and writes
// files (path on the host -> content) below a new root folder.
func (e *Env) AddHost(id, hostname string, labels map[string]string, files map[string]string) *Host {
	e.TB.Helper()
	ctx := context.Background()
	a := store.Agent{ID: id, Hostname: hostname, Labels: labels, Status: store.StatusOnline,
		StatusChangedAt: Now.AddDate(0, 0, -30), LastSeen: Now.Add(-5 * time.Second), EnrolledAt: Now.AddDate(0, 0, -30),
		OS: "linux", Platform: "debian", PlatformVersion: "12.9"}
	if err := e.Store.Agents().Create(ctx, a); err != nil {
		e.TB.Fatalf("add agent %s: %v", id, err)
	}
	h := &Host{ID: id, Hostname: hostname, Root: filepath.Join(e.TB.TempDir(), hostname), env: e, acked: map[string][32]byte{}}
	for p, content := range files {
		h.Write(p, content)
	}
	return h
}

// Write writes a file of the host (its path on the host).
func (h *Host) Write(path, content string) {
	h.env.TB.Helper()
	full := filepath.Join(h.Root, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		h.env.TB.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		h.env.TB.Fatal(err)
	}
}

// Remove removes a file of the host.
func (h *Host) Remove(path string) {
	h.env.TB.Helper()
	if err := os.Remove(filepath.Join(h.Root, path)); err != nil {
		h.env.TB.Fatal(err)
	}
}

// Publish publishes every agent's policy to the policy bucket, as the
// center does after a change of the compliance assignments.
func (e *Env) Publish() {
	e.TB.Helper()
	if err := e.Policies.PublishAll(context.Background()); err != nil {
		e.TB.Fatalf("publish agent policies: %v", err)
	}
}

// evaluate runs the compliance/baseline collector as the host's agent
// does: with the collector's settings from the agent's policy in the
// policy bucket, on the host's root.
func (h *Host) evaluate(ctx context.Context, at time.Time) ([]event.Asset, error) {
	entry, err := h.env.PolicyBucket.Get(ctx, bus.PolicyKey(h.ID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("agent %s has no policy in the bucket", h.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("read the policy of %s: %w", h.ID, err)
	}
	pol := &busv1.AgentPolicy{}
	if err := proto.Unmarshal(entry.Value(), pol); err != nil {
		return nil, fmt.Errorf("decode the policy of %s: %w", h.ID, err)
	}
	pp := pol.GetCollectors()[baseline.Name]
	if pp == nil || !pp.GetEnabled() {
		return nil, fmt.Errorf("collector %s is disabled by policy", baseline.Name)
	}
	c := baseline.New()
	c.Now = func() time.Time { return at }
	if err := c.ApplySettings(json.RawMessage(pp.GetSettingsJson())); err != nil {
		return nil, err
	}
	return c.Assets(ctx, plugin.Env{Root: h.Root, AgentID: h.ID})
}

// Collect evaluates the host's assigned policies and stores the results
// as the inventory service stores an agent's inventory, at the time at
// (the center's clock is at then, so that the score history records that
// day).
func (h *Host) Collect(at time.Time) {
	e := h.env
	e.TB.Helper()
	ctx := context.Background()
	assets, err := h.evaluate(ctx, at)
	if err != nil {
		e.TB.Fatalf("evaluate %s: %v", h.Hostname, err)
	}
	state := map[string][32]byte{}
	var upserts []store.AssetRecord
	for i := range assets {
		a := &assets[i]
		if err := a.Validate(); err != nil {
			e.TB.Fatalf("item of %s: %v", h.Hostname, err)
		}
		fields, err := a.FieldsJSON()
		if err != nil {
			e.TB.Fatal(err)
		}
		hash := event.AssetHash(a.Kind, a.Key, a.Name, a.Version, fields)
		state[a.ID()] = hash
		if h.acked[a.ID()] != hash {
			upserts = append(upserts, store.AssetRecord{Kind: a.Kind, Key: a.Key, Name: a.Name, Version: a.Version,
				Fields: fields, Hash: hash})
		}
	}
	var removed []store.AssetRef
	for id := range h.acked {
		if _, ok := state[id]; !ok {
			kind, key, _ := cutID(id)
			removed = append(removed, store.AssetRef{Kind: kind, Key: key})
		}
	}
	changes := store.InventoryChanges{AgentID: h.ID, Collector: baseline.Name, BaseDigest: event.InventoryDigest(h.acked),
		Digest: event.InventoryDigest(state), At: at, Last: true, NoHistory: inventory.NoHistory, Upserts: upserts, Removed: removed}
	res, err := e.Store.Inventory().Apply(ctx, changes)
	if err != nil {
		e.TB.Fatalf("store the results of %s: %v", h.Hostname, err)
	}
	if res.Resync {
		e.TB.Fatalf("store the results of %s: the store holds another set", h.Hostname)
	}
	h.acked = maps.Clone(state)
	e.clock.set(at)
	defer e.clock.set(Now)
	e.Compliance.InventoryChanged(h.ID, baseline.Name)
}

// cutID splits an item id (kind NUL key).
func cutID(id string) (kind, key string, ok bool) {
	for i := 0; i < len(id); i++ {
		if id[i] == 0 {
			return id[:i], id[i+1:], true
		}
	}
	return id, "", false
}

// Connect connects the host's agent to the bus with credentials the bus
// issued, as an enrolled agent holds them. Until the test ends it answers
// the collect command for compliance/baseline as the agent does: it
// evaluates the policies its agent policy assigns, sends the inventory to
// the center with the agent's syncer (package invsync) and replies with
// what the syncer did; any other command gets the agent's refusal.
func (h *Host) Connect() {
	e := h.env
	e.TB.Helper()
	ident, _ := e.Bus.Agent(h.ID)
	ctx := context.Background()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nc, err := client.Connect(cctx, ident, client.Options{})
	if err != nil {
		e.TB.Fatalf("connect agent %s: %v", h.ID, err)
	}
	e.TB.Cleanup(nc.Close)
	state := filepath.Join(e.TB.TempDir(), h.Hostname+"-inventory.json")
	syncer := invsync.New(h.ID, baseline.Name, state, func(ctx context.Context, req *busv1.InventoryRequest) (*busv1.InventoryReply, error) {
		data, err := proto.Marshal(req)
		if err != nil {
			return nil, err
		}
		msg, err := nc.RequestWithContext(ctx, bus.InventorySubject(h.ID), data)
		if err != nil {
			return nil, err
		}
		if err := bus.ReplyError(msg); err != nil {
			return nil, err
		}
		reply := &busv1.InventoryReply{}
		return reply, proto.Unmarshal(msg.Data, reply)
	})
	_, err = nc.Subscribe(bus.CommandSubject(h.ID), func(m *nats.Msg) {
		if !client.IsCommand(m, h.ID) {
			return
		}
		cmd := &busv1.Command{}
		if err := proto.Unmarshal(m.Data, cmd); err != nil {
			return
		}
		// Answer from a goroutine of its own, as the agent does: the
		// inventory request needs the connection's dispatcher.
		go func() {
			ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, cmd.GetDeadlineUnixNano()))
			defer cancel()
			out, err := h.collect(ctx, cmd, syncer)
			reply := &busv1.CommandReply{CommandId: cmd.GetId(), AgentId: h.ID, Ok: err == nil, FinishedAtUnixNano: time.Now().UnixNano()}
			if err != nil {
				reply.Error = err.Error()
			}
			if out != nil {
				reply.Output, _ = json.Marshal(out)
			}
			if data, err := proto.Marshal(reply); err == nil {
				_ = m.Respond(data)
			}
		}()
	})
	if err != nil {
		e.TB.Fatalf("agent %s: subscribe to commands: %v", h.ID, err)
	}
	if err := nc.FlushWithContext(cctx); err != nil {
		e.TB.Fatalf("agent %s: flush: %v", h.ID, err)
	}
}

// collect answers a command as the agent's collect does for
// compliance/baseline.
func (h *Host) collect(ctx context.Context, cmd *busv1.Command, syncer *invsync.Syncer) (map[string]any, error) {
	if cmd.GetName() != "collect" {
		return nil, fmt.Errorf("unknown command %q", cmd.GetName())
	}
	if name := cmd.GetArgs()["name"]; name != baseline.Name {
		return nil, fmt.Errorf("unknown collector %q (known: [%s])", name, baseline.Name)
	}
	takenAt := time.Now()
	assets, err := h.evaluate(ctx, takenAt)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	res, err := syncer.Sync(ctx, assets, []string{event.AssetCompliance}, takenAt)
	out := map[string]any{"collector": baseline.Name, "assets": res.Items, "skipped": res.Invalid,
		"unchanged": res.Unchanged, "added": res.Added, "changed": res.Changed, "removed": res.Removed,
		"messages": res.Messages, "bytes": res.Bytes, "resynced": res.Resynced, "digest": res.Digest}
	if err != nil {
		return out, fmt.Errorf("collect: inventory not sent: %w", err)
	}
	return out, nil
}
