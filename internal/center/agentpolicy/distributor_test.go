package agentpolicy

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
)

// entry reads an agent's key and decodes its policy.
func entry(t *testing.T, kv jetstream.KeyValue, id string) (*busv1.AgentPolicy, uint64) {
	t.Helper()
	e, err := kv.Get(t.Context(), bus.PolicyKey(id))
	if err != nil {
		t.Fatalf("get %s: %v", bus.PolicyKey(id), err)
	}
	p := &busv1.AgentPolicy{}
	if err := proto.Unmarshal(e.Value(), p); err != nil {
		t.Fatal(err)
	}
	return p, e.Revision()
}

func TestPublish(t *testing.T) {
	kv, st := newBucket(t), newStore(t)
	ctx := t.Context()
	addAgent(t, st, "web1", map[string]string{"role": "web"})
	addAgent(t, st, "db1", map[string]string{"role": "db"})
	d := New(Config{KV: kv, Store: st})

	if err := d.PublishAll(ctx); err != nil {
		t.Fatal(err)
	}
	web, webKV := entry(t, kv, "web1")
	if web.Name != DefaultName || web.HeartbeatIntervalSeconds != DefaultHeartbeatSeconds {
		t.Fatalf("web1 got %v, want the default policy", web)
	}
	if err := d.PublishAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, rev := entry(t, kv, "web1"); rev != webKV {
		t.Errorf("unchanged policy written again: key revision %d -> %d", webKV, rev)
	}

	putPolicy(t, st, "web", 10, map[string]string{"role": "web"}, `{"heartbeatIntervalSeconds": 30}`)
	if err := d.PublishAll(ctx); err != nil {
		t.Fatal(err)
	}
	web, _ = entry(t, kv, "web1")
	if web.Name != "web" || web.HeartbeatIntervalSeconds != 30 || web.Revision>>32 != 1 {
		t.Errorf("web1 got %v, want policy web at revision 1", web)
	}
	if db, _ := entry(t, kv, "db1"); db.Name != DefaultName {
		t.Errorf("db1 got policy %q, want the default", db.Name)
	}
	eff, err := d.Effective(ctx, mustAgent(t, d, "web1"))
	if err != nil || !proto.Equal(eff, web) {
		t.Errorf("Effective = %v, %v; want what was published: %v", eff, err, web)
	}

	// A fresh distributor finds the published revision in the bucket.
	_, before := entry(t, kv, "db1")
	if err := New(Config{KV: kv, Store: st}).Publish(ctx, "db1"); err != nil {
		t.Fatal(err)
	}
	if _, after := entry(t, kv, "db1"); after != before {
		t.Errorf("a new distributor rewrote an unchanged policy: %d -> %d", before, after)
	}

	// Labels change: the agent moves to another policy.
	if err := st.Agents().SetLabels(ctx, "db1", map[string]string{"role": "web"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, "db1"); err != nil {
		t.Fatal(err)
	}
	if db, _ := entry(t, kv, "db1"); db.Name != "web" {
		t.Errorf("after relabel db1 got policy %q, want web", db.Name)
	}

	// A deleted agent loses its key.
	if err := st.Agents().Delete(ctx, "db1"); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, "db1"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(ctx, bus.PolicyKey("db1")); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("key of deleted agent: %v, want not found", err)
	}
	if err := d.Remove(ctx, "db1"); err != nil {
		t.Errorf("Remove of a removed key: %v", err)
	}
}

func TestPublishAllReportsBadPolicy(t *testing.T) {
	kv, st := newBucket(t), newStore(t)
	addAgent(t, st, "a1", map[string]string{"role": "web"})
	addAgent(t, st, "a2", nil)
	putPolicy(t, st, "broken", 1, map[string]string{"role": "web"}, `{"budget": {"cpuPercent": 500}}`)
	d := New(Config{KV: kv, Store: st})
	err := d.PublishAll(t.Context())
	if err == nil || !errors.Is(err, ErrInvalidSpec) {
		t.Fatalf("PublishAll = %v, want an invalid spec error", err)
	}
	if p, _ := entry(t, kv, "a2"); p.Name != DefaultName {
		t.Errorf("a2 got %q: one agent's failure stopped the others", p.Name)
	}
}

func mustAgent(t *testing.T, d *Distributor, id string) store.Agent {
	t.Helper()
	a, err := d.store.Agents().Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
