package inventory_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/invsync"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/client"
	"github.com/vigilsec/vigil/internal/center/inventory"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// env is a bus, a real SQLite store and the inventory service, with
// agents connected as enrolled agents are.
type env struct {
	t     *testing.T
	bus   *bustest.Center
	store *sqlite.Store
}

func start(t *testing.T) *env {
	t.Helper()
	b := bustest.Start(t)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "center.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := inventory.New(inventory.Config{Conn: b.Server.Conn(), Store: st})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("service: %v", err)
		}
	})
	// The subscription is in place once a request is answered.
	e := &env{t: t, bus: b, store: st}
	return e
}

// agent connects a new enrolled agent (registered in the store unless
// ghost) and returns its connection.
func (e *env) agent(id string, ghost bool) *nats.Conn {
	e.t.Helper()
	ident, pub := e.bus.Agent(id)
	if !ghost {
		if err := e.store.Agents().Create(context.Background(), store.Agent{ID: id, Hostname: "host-" + id,
			Status: store.StatusOnline, UserKey: pub, EnrolledAt: time.Now()}); err != nil {
			e.t.Fatal(err)
		}
	}
	nc, err := client.Connect(context.Background(), ident, client.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(nc.Close)
	return nc
}

// transport is what the agent's runtime does: a request on its own
// inventory subject.
func transport(nc *nats.Conn, id string) invsync.Transport {
	return func(ctx context.Context, req *busv1.InventoryRequest) (*busv1.InventoryReply, error) {
		return request(ctx, nc, bus.InventorySubject(id), req)
	}
}

func request(ctx context.Context, nc *nats.Conn, subject string, req *busv1.InventoryRequest) (*busv1.InventoryReply, error) {
	data, err := proto.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	msg, err := nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		return nil, err
	}
	reply := &busv1.InventoryReply{}
	return reply, proto.Unmarshal(msg.Data, reply)
}

func packages(n int, version func(i int) string) []event.Asset {
	out := make([]event.Asset, n)
	for i := range out {
		name := fmt.Sprintf("lib%03d", i)
		v := version(i)
		out[i] = event.Asset{Kind: event.AssetPackage, Key: name + ":amd64", Name: name, Version: v,
			Fields: map[string]any{"package": map[string]any{"name": name, "version": v, "architecture": "amd64", "type": "deb"}}}
	}
	return out
}

var pkgKinds = []string{event.AssetPackage}

// TestSyncThroughTheBus: an agent's inventory reaches the store through
// the real bus and service; later changes are recorded as history, the
// first inventory is not; an unchanged inventory costs a digest.
func TestSyncThroughTheBus(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	nc := e.agent("a1", false)
	s := invsync.New("a1", "os/packages", filepath.Join(t.TempDir(), "s.json"), transport(nc, "a1"))
	s.SetMaxMessage(16 << 10) // several parts

	inv := packages(300, func(int) string { return "1.0-1" })
	res, err := s.Sync(ctx, inv, pkgKinds, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 300 || res.Messages < 3 {
		t.Fatalf("first inventory: %+v", res)
	}
	items, _, err := e.store.Inventory().List(ctx, store.AssetFilter{AgentID: "a1", Page: store.Page{Limit: 1000}})
	if err != nil || len(items) != 300 {
		t.Fatalf("stored %d items, %v", len(items), err)
	}
	if changes, _, _ := e.store.Inventory().Changes(ctx, store.AssetChangeFilter{AgentID: "a1"}); len(changes) != 0 {
		t.Errorf("the first inventory left %d history entries, want none (it is the baseline)", len(changes))
	}

	// Unchanged.
	res, err = s.Sync(ctx, inv, pkgKinds, time.Now())
	if err != nil || !res.Unchanged || res.Bytes > 250 {
		t.Fatalf("unchanged inventory: %+v, %v", res, err)
	}

	// lib001 upgraded, lib002 removed, lib300 installed.
	inv2 := packages(301, func(i int) string {
		if i == 1 {
			return "1.1-1"
		}
		return "1.0-1"
	})
	inv2 = append(inv2[:2], inv2[3:]...)
	if res, err = s.Sync(ctx, inv2, pkgKinds, time.Now()); err != nil {
		t.Fatal(err)
	}
	if res.Added != 1 || res.Changed != 1 || res.Removed != 1 {
		t.Fatalf("delta: %+v", res)
	}
	changes, _, err := e.store.Inventory().Changes(ctx, store.AssetChangeFilter{AgentID: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range changes {
		got[c.Name] = c.Action + " " + c.Before + ">" + c.After
	}
	want := map[string]string{"lib001": "changed 1.0-1>1.1-1", "lib002": "removed 1.0-1>", "lib300": "added >1.0-1"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("history of %s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}

	// The center loses the agent's inventory: the agent finds out, and
	// sends it again.
	if err := e.store.Inventory().DeleteAgent(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if res, err = s.Sync(ctx, inv2, pkgKinds, time.Now()); err != nil || !res.Resynced || res.Added != 300 {
		t.Fatalf("after the center lost the inventory: %+v, %v", res, err)
	}
}

// TestHostileRequests: what an agent may not do is refused with a reason,
// and nothing is stored.
func TestHostileRequests(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	nc := e.agent("a1", false)
	e.agent("a2", false)
	empty := event.InventoryDigest(nil)
	asset := func(kind, key, fields string) *busv1.Asset {
		return &busv1.Asset{Kind: kind, Key: key, Name: key, FieldsJson: []byte(fields)}
	}
	changes := func(c *busv1.InventoryChanges) *busv1.InventoryRequest {
		if c.BaseDigest == "" {
			c.BaseDigest = empty
		}
		return &busv1.InventoryRequest{AgentId: "a1", Collector: "os/packages", Body: &busv1.InventoryRequest_Changes{Changes: c}}
	}
	tests := []struct {
		name string
		req  *busv1.InventoryRequest
		want string
	}{
		{"another agent's name", &busv1.InventoryRequest{AgentId: "a2", Collector: "os/packages",
			Body: &busv1.InventoryRequest_State{State: &busv1.InventoryStateQuery{}}}, `names agent "a2"`},
		{"bad collector name", &busv1.InventoryRequest{AgentId: "a1", Collector: "../etc",
			Body: &busv1.InventoryRequest_State{State: &busv1.InventoryStateQuery{}}}, "collector name"},
		{"no body", &busv1.InventoryRequest{AgentId: "a1", Collector: "os/packages"}, "neither"},
		{"bad digest", changes(&busv1.InventoryChanges{BaseDigest: "x", Digest: empty}), "digests"},
		{"unknown kind", changes(&busv1.InventoryChanges{Digest: empty, Upserts: []*busv1.Asset{asset("spaceship", "x", "")}}), "unknown asset kind"},
		{"kind not declared", changes(&busv1.InventoryChanges{Digest: empty, Kinds: []string{"user"}, Upserts: []*busv1.Asset{asset("package", "x", "")}}), "not among"},
		{"fields not an object", changes(&busv1.InventoryChanges{Digest: empty, Upserts: []*busv1.Asset{asset("package", "x", "[1]")}}), "not a JSON object"},
		{"twice", changes(&busv1.InventoryChanges{Digest: empty, Upserts: []*busv1.Asset{asset("package", "x", ""), asset("package", "x", "")}}), "twice"},
		{"upserted and removed", changes(&busv1.InventoryChanges{Digest: empty, Upserts: []*busv1.Asset{asset("package", "x", "")},
			Removed: []*busv1.AssetRef{{Kind: "package", Key: "x"}}}), "also upserted"},
		{"key with NUL", changes(&busv1.InventoryChanges{Digest: empty, Upserts: []*busv1.Asset{asset("package", "a\x00b", "")}}), "invalid asset key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, err := request(ctx, nc, bus.InventorySubject("a1"), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if reply.GetOk() || !strings.Contains(reply.GetError(), tt.want) {
				t.Errorf("reply %v, want an error with %q", reply, tt.want)
			}
		})
	}
	// A wrong digest is a resync, and nothing is kept.
	reply, err := request(ctx, nc, bus.InventorySubject("a1"), changes(&busv1.InventoryChanges{Digest: strings.Repeat("0", 64),
		Upserts: []*busv1.Asset{asset("package", "x", "")}}))
	if err != nil || !reply.GetResync() {
		t.Errorf("changes with a wrong digest: %v, %v", reply, err)
	}
	if items, _, _ := e.store.Inventory().List(ctx, store.AssetFilter{}); len(items) != 0 {
		t.Errorf("%d items stored from refused requests", len(items))
	}

	// An agent cannot speak on another agent's subject: the bus refuses it.
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := request(short, nc, bus.InventorySubject("a2"), changes(&busv1.InventoryChanges{Digest: empty})); err == nil {
		t.Error("a request on another agent's subject was answered")
	}

	// Credentials whose agent the center no longer knows.
	ghost := e.agent("ghost", true)
	reply, err = request(ctx, ghost, bus.InventorySubject("ghost"), &busv1.InventoryRequest{AgentId: "ghost", Collector: "os/packages",
		Body: &busv1.InventoryRequest_State{State: &busv1.InventoryStateQuery{}}})
	if err != nil || reply.GetOk() || !strings.Contains(reply.GetError(), "not found") {
		t.Errorf("unknown agent: %v, %v", reply, err)
	}
}

// TestLimits: an agent cannot keep inventories for more collectors than
// the limit allows.
func TestLimits(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	nc := e.agent("a1", false)
	for i := 0; i <= inventory.MaxSetsPerAgent; i++ {
		s := invsync.New("a1", fmt.Sprintf("test/c%d", i), filepath.Join(t.TempDir(), "s.json"), transport(nc, "a1"))
		_, err := s.Sync(ctx, []event.Asset{{Kind: event.AssetUser, Key: "root", Name: "root"}}, []string{event.AssetUser}, time.Now())
		if i < inventory.MaxSetsPerAgent && err != nil {
			t.Fatalf("collector %d: %v", i, err)
		}
		if i == inventory.MaxSetsPerAgent && (err == nil || !strings.Contains(err.Error(), "more than")) {
			t.Fatalf("collector %d past the limit: %v", i, err)
		}
	}
}
