package inventory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// ClusterPrefix starts the agent id under which the inventory of a
// Kubernetes cluster is kept: "k8s:prod". Cluster objects are not any
// agent's; the id keeps them apart in listings and searches.
const ClusterPrefix = "k8s:"

// ClusterCollector names the set of a cluster's objects.
const ClusterCollector = "k8s/cluster"

// maxApplyItems bounds the changes of one Apply when the center stores a
// set of its own; larger changes are a chain, as agents send them.
const maxApplyItems = 2000

// StoreSet makes the set of collector for agentID in st equal to assets,
// by changes (as an agent's would be: history is recorded after the
// baseline). It is how the center stores the inventory it takes itself,
// such as a Kubernetes cluster's. Invalid and duplicate assets are an
// error: the center's own sources are trusted to be right.
func StoreSet(ctx context.Context, st store.InventoryStore, agentID, collector string, assets []event.Asset, at time.Time) (store.InventoryResult, error) {
	want := make(map[string]store.AssetRecord, len(assets))
	for i := range assets {
		a := &assets[i]
		if err := a.Validate(); err != nil {
			return store.InventoryResult{}, fmt.Errorf("%s %q: %w", a.Kind, a.Key, err)
		}
		fields, err := a.FieldsJSON()
		if err != nil {
			return store.InventoryResult{}, err
		}
		if _, dup := want[a.ID()]; dup {
			return store.InventoryResult{}, fmt.Errorf("%s %q twice", a.Kind, a.Key)
		}
		want[a.ID()] = store.AssetRecord{Kind: a.Kind, Key: a.Key, Name: a.Name, Version: a.Version, Fields: fields,
			Hash: event.AssetHash(a.Kind, a.Key, a.Name, a.Version, fields)}
	}
	var total store.InventoryResult
	for attempt := 0; attempt < 3; attempt++ {
		res, err := storeOnce(ctx, st, agentID, collector, want, at)
		if err != nil {
			return total, err
		}
		total.Added += res.Added
		total.Changed += res.Changed
		total.Removed += res.Removed
		total.Digest = res.Digest
		if !res.Resync {
			return total, nil
		}
		// Someone else changed the set meanwhile: read it again.
	}
	return total, errors.New("the set kept changing while it was stored")
}

// storeOnce reads the stored set and applies the difference as a chain
// of changes; Resync means the set changed under it.
func storeOnce(ctx context.Context, st store.InventoryStore, agentID, collector string, want map[string]store.AssetRecord, at time.Time) (store.InventoryResult, error) {
	have := map[string][32]byte{}
	var digest string
	cursor := ""
	for {
		d, items, next, err := st.State(ctx, agentID, collector, store.Page{Limit: store.MaxLimit, Cursor: cursor})
		if err != nil {
			return store.InventoryResult{}, fmt.Errorf("read the stored set: %w", err)
		}
		if cursor == "" {
			digest = d
		} else if d != digest {
			return store.InventoryResult{Resync: true}, nil
		}
		for _, it := range items {
			have[it.Kind+"\x00"+it.Key] = it.Hash
		}
		if next == "" {
			break
		}
		cursor = next
	}
	var upserts []store.AssetRecord
	for id, r := range want {
		if h, ok := have[id]; !ok || h != r.Hash {
			upserts = append(upserts, r)
		}
	}
	var removed []store.AssetRef
	for id := range have {
		if _, ok := want[id]; !ok {
			kind, key, _ := strings.Cut(id, "\x00")
			removed = append(removed, store.AssetRef{Kind: kind, Key: key})
		}
	}
	var total store.InventoryResult
	state := have
	base := digest
	for first := true; first || len(upserts) > 0 || len(removed) > 0; first = false {
		c := store.InventoryChanges{AgentID: agentID, Collector: collector, BaseDigest: base, At: at, NoHistory: NoHistory}
		n := 0
		for len(removed) > 0 && n < maxApplyItems {
			r := removed[len(removed)-1]
			removed = removed[:len(removed)-1]
			c.Removed = append(c.Removed, r)
			delete(state, r.Kind+"\x00"+r.Key)
			n++
		}
		for len(upserts) > 0 && n < maxApplyItems {
			r := upserts[len(upserts)-1]
			upserts = upserts[:len(upserts)-1]
			c.Upserts = append(c.Upserts, r)
			state[r.Kind+"\x00"+r.Key] = r.Hash
			n++
		}
		c.Last = len(upserts) == 0 && len(removed) == 0
		c.Digest = event.InventoryDigest(state)
		res, err := st.Apply(ctx, c)
		if err != nil {
			return total, fmt.Errorf("store the changes: %w", err)
		}
		if res.Resync {
			total.Resync = true
			return total, nil
		}
		total.Added += res.Added
		total.Changed += res.Changed
		total.Removed += res.Removed
		total.Digest = res.Digest
		base = res.Digest
	}
	return total, nil
}

// ClusterSource reads a Kubernetes cluster's inventory (package kube).
type ClusterSource interface {
	Inventory(ctx context.Context) ([]event.Asset, error)
}

// Cluster is a cluster the center takes the inventory of.
type Cluster struct {
	// Name is the cluster's name in the inventory: its items are kept
	// under agent id ClusterPrefix+Name.
	Name   string
	Source ClusterSource
}

// RunClusters takes each cluster's inventory now and then every interval,
// until ctx ends. A failed reading is logged and leaves the stored set as
// it was (an incomplete reading would remove what it missed).
func RunClusters(ctx context.Context, st store.InventoryStore, clusters []Cluster, interval time.Duration, log *slog.Logger) error {
	if len(clusters) == 0 {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		for _, c := range clusters {
			assets, err := c.Source.Inventory(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				log.Warn("cluster inventory not taken", "cluster", c.Name, "err", err)
				continue
			}
			res, err := StoreSet(ctx, st, ClusterPrefix+c.Name, ClusterCollector, assets, time.Now())
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				log.Warn("cluster inventory not stored", "cluster", c.Name, "err", err)
				continue
			}
			log.Info("cluster inventory", "cluster", c.Name, "items", len(assets),
				"added", res.Added, "changed", res.Changed, "removed", res.Removed)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
