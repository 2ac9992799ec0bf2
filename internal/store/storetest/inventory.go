package storetest

import (
	"sort"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

var inventoryCases = []testCase{
	{"Inventory/FirstInventory", testInventoryFirst},
	{"Inventory/Delta", testInventoryDelta},
	{"Inventory/ResyncWrongBase", testInventoryWrongBase},
	{"Inventory/ResyncWrongDigest", testInventoryWrongDigest},
	{"Inventory/Unchanged", testInventoryUnchanged},
	{"Inventory/Idempotent", testInventoryIdempotent},
	{"Inventory/Invalid", testInventoryInvalid},
	{"Inventory/Large", testInventoryLarge},
	{"Inventory/Concurrent", testInventoryConcurrent},
	{"Inventory/State", testInventoryState},
	{"Inventory/ListFilters", testInventoryListFilters},
	{"Inventory/ListPaging", testInventoryListPaging},
	{"Inventory/ListMatch", testInventoryListMatch},
	{"Inventory/Baseline", testInventoryBaseline},
	{"Inventory/NoHistory", testInventoryNoHistory},
	{"Inventory/Changes", testInventoryChanges},
	{"Inventory/CountsSets", testInventoryCountsSets},
	{"Inventory/DeleteAgent", testInventoryDeleteAgent},
	{"Inventory/DeleteChangesBefore", testInventoryDeleteChangesBefore},
}

// asset returns an item as an agent sends it: fields encoded and hashed as
// event.Asset does.
func asset(kind, key, name, version string, fields map[string]any) store.AssetRecord {
	a := event.Asset{Kind: kind, Key: key, Name: name, Version: version, Fields: fields}
	b, err := a.FieldsJSON()
	if err != nil {
		panic(err)
	}
	h, err := a.Hash()
	if err != nil {
		panic(err)
	}
	return store.AssetRecord{Kind: kind, Key: key, Name: name, Version: version, Fields: b, Hash: h}
}

// pkg returns a Debian package item.
func pkg(name, version string) store.AssetRecord {
	return asset(event.AssetPackage, name+":amd64", name, version, map[string]any{
		"package": map[string]any{"name": name, "version": version, "architecture": "amd64", "type": "deb"},
	})
}

// invSet is what a set should hold: the test's model of the store.
type invSet map[string]store.AssetRecord // by Asset.ID

func id(kind, key string) string { return kind + "\x00" + key }

// with returns a copy of m with records upserted and refs removed.
func (m invSet) with(upserts []store.AssetRecord, removed ...store.AssetRef) invSet {
	out := invSet{}
	for k, v := range m {
		out[k] = v
	}
	for _, r := range upserts {
		out[id(r.Kind, r.Key)] = r
	}
	for _, r := range removed {
		delete(out, id(r.Kind, r.Key))
	}
	return out
}

// digest is the set's digest as an agent computes it.
func (m invSet) digest() string {
	hashes := make(map[string][32]byte, len(m))
	for k, r := range m {
		hashes[k] = r.Hash
	}
	return event.InventoryDigest(hashes)
}

// sorted returns the items ordered by kind and key.
func (m invSet) sorted() []store.AssetRecord {
	out := make([]store.AssetRecord, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return id(out[i].Kind, out[i].Key) < id(out[j].Kind, out[j].Key) })
	return out
}

// changes returns the changes that take a set from m to m.with(upserts,
// removed).
func (m invSet) changes(agentID, collector string, when time.Time, last bool, upserts []store.AssetRecord, removed ...store.AssetRef) store.InventoryChanges {
	return store.InventoryChanges{
		AgentID: agentID, Collector: collector, BaseDigest: m.digest(),
		Digest: m.with(upserts, removed...).digest(), Upserts: upserts, Removed: removed, At: when, Last: last,
	}
}

// apply applies c and fails the test on an error or a resync.
func apply(t *testing.T, s store.Store, c store.InventoryChanges) store.InventoryResult {
	t.Helper()
	res, err := s.Inventory().Apply(ctx(t), c)
	must(t, err)
	if res.Resync {
		t.Fatalf("Apply %s/%s: unexpected resync (held %s)", c.AgentID, c.Collector, res.Digest)
	}
	if res.Digest != c.Digest {
		t.Fatalf("Apply: digest %s, want %s", res.Digest, c.Digest)
	}
	return res
}

// baseline writes items as a set's complete first inventory.
func baseline(t *testing.T, s store.Store, agentID, collector string, when time.Time, items ...store.AssetRecord) invSet {
	t.Helper()
	apply(t, s, invSet{}.changes(agentID, collector, when, true, items))
	return invSet{}.with(items)
}

// storedAsset is r as the store returns it.
func storedAsset(r store.AssetRecord, agentID, collector string, firstSeen, updated time.Time) store.AssetRecord {
	r.AgentID, r.Collector = agentID, collector
	r.FirstSeen, r.UpdatedAt = stored(firstSeen), stored(updated)
	return r
}

// listAll lists every item f selects, a page of limit at a time.
func listAll(t *testing.T, s store.Store, f store.AssetFilter, limit int) []store.AssetRecord {
	t.Helper()
	all := collect(t, limit, func(p store.Page) ([]store.AssetRecord, string, error) {
		f.Page = p
		return s.Inventory().List(ctx(t), f)
	})
	if all == nil {
		return []store.AssetRecord{}
	}
	return all
}

// keys returns "agent/collector/kind/key" of each record.
func keys(recs []store.AssetRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.AgentID + "/" + r.Collector + "/" + r.Kind + "/" + r.Key
	}
	return out
}

// wantSet fails the test unless the store holds exactly m for the set,
// with the digest of m.
func wantSet(t *testing.T, s store.Store, agentID, collector string, m invSet) {
	t.Helper()
	got := listAll(t, s, store.AssetFilter{AgentID: agentID, Collector: collector}, store.MaxLimit)
	want := m.sorted()
	for i := range want {
		want[i].AgentID, want[i].Collector = agentID, collector
	}
	for i := range got {
		got[i].FirstSeen, got[i].UpdatedAt = time.Time{}, time.Time{}
	}
	diff(t, "items held", want, got)
	digest, _, _, err := s.Inventory().State(ctx(t), agentID, collector, store.Page{Limit: 1})
	must(t, err)
	if digest != m.digest() {
		t.Fatalf("State digest %s, want %s", digest, m.digest())
	}
}

// wantUntouched fails the test unless the set, its items and the history
// are as before.
func wantUntouched(t *testing.T, s store.Store, agentID string, sets []store.InventorySet, items []store.AssetRecord, changes []store.AssetChange) {
	t.Helper()
	gotSets, err := s.Inventory().Sets(ctx(t), agentID)
	must(t, err)
	diff(t, "sets", sets, gotSets)
	diff(t, "items", items, listAll(t, s, store.AssetFilter{AgentID: agentID}, store.MaxLimit))
	gotChanges, _, err := s.Inventory().Changes(ctx(t), store.AssetChangeFilter{AgentID: agentID, Page: store.Page{Limit: store.MaxLimit}})
	must(t, err)
	diff(t, "history", changes, gotChanges)
}

// snapshot returns what wantUntouched compares.
func snapshot(t *testing.T, s store.Store, agentID string) ([]store.InventorySet, []store.AssetRecord, []store.AssetChange) {
	t.Helper()
	sets, err := s.Inventory().Sets(ctx(t), agentID)
	must(t, err)
	changes, _, err := s.Inventory().Changes(ctx(t), store.AssetChangeFilter{AgentID: agentID, Page: store.Page{Limit: store.MaxLimit}})
	must(t, err)
	return sets, listAll(t, s, store.AssetFilter{AgentID: agentID}, store.MaxLimit), changes
}
