package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/center/inventory"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// fakeCluster returns pods, or an error.
type fakeCluster struct {
	mu   sync.Mutex
	pods []event.Asset
	err  error
	read chan struct{}
}

func (f *fakeCluster) Inventory(context.Context) ([]event.Asset, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer func() {
		select {
		case f.read <- struct{}{}:
		default:
		}
	}()
	return append([]event.Asset(nil), f.pods...), f.err
}

func (f *fakeCluster) set(pods []event.Asset, err error) {
	f.mu.Lock()
	f.pods, f.err = pods, err
	f.mu.Unlock()
}

func pods(n int, image string) []event.Asset {
	out := make([]event.Asset, n)
	for i := range out {
		name := fmt.Sprintf("shop/web-%04d", i)
		out[i] = event.Asset{Kind: event.AssetPod, Key: name, Name: name, Fields: map[string]any{"container": map[string]any{"image": map[string]any{"name": image}}}}
	}
	return out
}

// TestStoreSet: the center's own sets (a cluster's) are stored by
// changes, in a chain when large, with history after the baseline.
func TestStoreSet(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inv := st.Inventory()
	id := inventory.ClusterPrefix + "prod"

	res, err := inventory.StoreSet(ctx, inv, id, inventory.ClusterCollector, pods(2500, "nginx:1.25"), time.Now())
	if err != nil || res.Added != 2500 {
		t.Fatalf("first: %+v, %v", res, err)
	}
	if ch, _, _ := inv.Changes(ctx, store.AssetChangeFilter{AgentID: id}); len(ch) != 0 {
		t.Errorf("the baseline left %d history entries", len(ch))
	}
	next := pods(2499, "nginx:1.25")
	next[7].Fields = map[string]any{"container": map[string]any{"image": map[string]any{"name": "nginx:1.27"}}}
	res, err = inventory.StoreSet(ctx, inv, id, inventory.ClusterCollector, next, time.Now())
	if err != nil || res.Changed != 1 || res.Removed != 1 || res.Added != 0 {
		t.Fatalf("second: %+v, %v", res, err)
	}
	if ch, _, _ := inv.Changes(ctx, store.AssetChangeFilter{AgentID: id}); len(ch) != 2 {
		t.Errorf("history: %d entries, want 2", len(ch))
	}
	if res, err = inventory.StoreSet(ctx, inv, id, inventory.ClusterCollector, next, time.Now()); err != nil || res.Added+res.Changed+res.Removed != 0 {
		t.Errorf("unchanged: %+v, %v", res, err)
	}
	bad := []event.Asset{{Kind: event.AssetPod, Key: "a", Name: "a"}, {Kind: event.AssetPod, Key: "a", Name: "a"}}
	if _, err := inventory.StoreSet(ctx, inv, id, inventory.ClusterCollector, bad, time.Now()); err == nil {
		t.Error("a duplicate item was stored")
	}
}

// TestRunClusters: a failed reading keeps the stored set.
func TestRunClusters(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := &fakeCluster{pods: pods(3, "redis:7"), read: make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() {
		done <- inventory.RunClusters(ctx, st.Inventory(), []inventory.Cluster{{Name: "prod", Source: f}}, 50*time.Millisecond, nil)
	}()
	count := func() int {
		items, _, _ := st.Inventory().List(ctx, store.AssetFilter{AgentID: inventory.ClusterPrefix + "prod"})
		return len(items)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count() != 3 {
		if time.Now().After(deadline) {
			t.Fatal("the cluster's pods were not stored")
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.set(nil, errors.New("403 forbidden"))
	<-f.read
	<-f.read
	if n := count(); n != 3 {
		t.Errorf("a failed reading left %d items, want the 3 stored before", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
