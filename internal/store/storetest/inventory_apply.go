package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

func testInventoryFirst(t *testing.T, s store.Store) {
	inv := s.Inventory()
	items := []store.AssetRecord{
		pkg("openssl", "3.0.17-1~deb12u2"),
		pkg("bash", "5.2.15-2+b7"),
		asset(event.AssetUser, "root", "root", "", map[string]any{"user": map[string]any{"id": "0"}}),
		asset(event.AssetHost, "host", "web-01", "", nil),
	}
	c := invSet{}.changes("a1", "os/dpkg", at(0), true, items)
	if c.BaseDigest != event.InventoryDigest(nil) {
		t.Fatal("the base of a first inventory is the digest of no items")
	}
	res := apply(t, s, c)
	diff(t, "result", store.InventoryResult{Digest: c.Digest, Added: 4}, res)

	got, next, err := inv.List(ctx(t), store.AssetFilter{AgentID: "a1"})
	must(t, err)
	if next != "" {
		t.Errorf("next cursor %q on a short listing", next)
	}
	var want []store.AssetRecord
	for _, r := range (invSet{}).with(items).sorted() {
		want = append(want, storedAsset(r, "a1", "os/dpkg", at(0), at(0)))
	}
	diff(t, "items", want, got)
	for _, r := range got {
		wantUTC(t, "item", r.FirstSeen, r.UpdatedAt)
	}
	if got[0].Fields != nil {
		t.Errorf("item without fields: fields %q, want nil", got[0].Fields)
	}

	sets, err := inv.Sets(ctx(t), "a1")
	must(t, err)
	diff(t, "sets", []store.InventorySet{{AgentID: "a1", Collector: "os/dpkg", Digest: c.Digest, Items: 4,
		UpdatedAt: stored(at(0)), CheckedAt: stored(at(0))}}, sets)
	changes, _, err := inv.Changes(ctx(t), store.AssetChangeFilter{})
	must(t, err)
	diff(t, "history of a baseline", []store.AssetChange{}, changes)

	// A set of another collector or agent is another set.
	digest, items2, _, err := inv.State(ctx(t), "a1", "os/users", store.Page{})
	must(t, err)
	if digest != event.InventoryDigest(nil) || len(items2) != 0 {
		t.Fatalf("unwritten set: %s, %d items", digest, len(items2))
	}
	sets, err = inv.Sets(ctx(t), "a2")
	must(t, err)
	diff(t, "sets of an agent without inventory", []store.InventorySet{}, sets)
}

func testInventoryDelta(t *testing.T, s store.Store) {
	inv := s.Inventory()
	openssl, bash, curl := pkg("openssl", "3.0.15-1"), pkg("bash", "5.2.15-2+b7"), pkg("curl", "7.88.1-10")
	m := baseline(t, s, "a1", "os/dpkg", at(0), openssl, bash, curl)

	upgraded, vim := pkg("openssl", "3.0.17-1~deb12u2"), pkg("vim", "2:9.0.1378-2")
	removed := []store.AssetRef{{Kind: event.AssetPackage, Key: "curl:amd64"}, {Kind: event.AssetPackage, Key: "absent:amd64"}}
	c := m.changes("a1", "os/dpkg", at(time.Hour), true, []store.AssetRecord{upgraded, bash, vim}, removed...)
	res := apply(t, s, c)
	diff(t, "result", store.InventoryResult{Digest: c.Digest, Added: 1, Changed: 1, Removed: 1}, res)
	m = m.with(c.Upserts, removed...)
	wantSet(t, s, "a1", "os/dpkg", m)

	got, _, err := inv.List(ctx(t), store.AssetFilter{AgentID: "a1"})
	must(t, err)
	diff(t, "times", []store.AssetRecord{
		storedAsset(bash, "a1", "os/dpkg", at(0), at(0)), // unchanged: not touched
		storedAsset(upgraded, "a1", "os/dpkg", at(0), at(time.Hour)),
		storedAsset(vim, "a1", "os/dpkg", at(time.Hour), at(time.Hour)),
	}, got)

	changes, _, err := inv.Changes(ctx(t), store.AssetChangeFilter{AgentID: "a1"})
	must(t, err)
	for i := range changes {
		if changes[i].ID == "" {
			t.Fatalf("change %d has no id", i)
		}
		changes[i].ID = ""
		wantUTC(t, "change", changes[i].At)
	}
	when := stored(at(time.Hour))
	diff(t, "history, newest first", []store.AssetChange{
		{AgentID: "a1", Collector: "os/dpkg", Kind: "package", Key: "vim:amd64", Name: "vim", Action: store.AssetAdded,
			At: when, After: vim.Version, AfterFields: vim.Fields},
		{AgentID: "a1", Collector: "os/dpkg", Kind: "package", Key: "openssl:amd64", Name: "openssl", Action: store.AssetChanged,
			At: when, Before: openssl.Version, After: upgraded.Version, BeforeFields: openssl.Fields, AfterFields: upgraded.Fields},
		{AgentID: "a1", Collector: "os/dpkg", Kind: "package", Key: "curl:amd64", Name: "curl", Action: store.AssetRemoved,
			At: when, Before: curl.Version, BeforeFields: curl.Fields},
	}, changes)

	sets, err := inv.Sets(ctx(t), "a1")
	must(t, err)
	diff(t, "set", []store.InventorySet{{AgentID: "a1", Collector: "os/dpkg", Digest: c.Digest, Items: 3,
		UpdatedAt: stored(at(time.Hour)), CheckedAt: stored(at(time.Hour))}}, sets)
}

func testInventoryWrongBase(t *testing.T, s store.Store) {
	m := baseline(t, s, "a1", "os/dpkg", at(0), pkg("bash", "5.2"), pkg("curl", "7.88"))
	apply(t, s, m.changes("a1", "os/dpkg", at(time.Minute), true, []store.AssetRecord{pkg("vim", "9.0")}))
	m = m.with([]store.AssetRecord{pkg("vim", "9.0")})
	sets, items, changes := snapshot(t, s, "a1")

	for _, tt := range []struct {
		name string
		c    store.InventoryChanges
	}{
		{"stale base", invSet{}.with([]store.AssetRecord{pkg("bash", "5.2")}).changes("a1", "os/dpkg", at(time.Hour), true,
			[]store.AssetRecord{pkg("zsh", "5.9")})},
		{"empty base on a written set", invSet{}.changes("a1", "os/dpkg", at(time.Hour), true, []store.AssetRecord{pkg("bash", "5.2")})},
		{"unchanged with another digest", store.InventoryChanges{AgentID: "a1", Collector: "os/dpkg",
			BaseDigest: invSet{}.digest(), Digest: invSet{}.digest(), At: at(time.Hour), Last: true}},
		{"garbage base", store.InventoryChanges{AgentID: "a1", Collector: "os/dpkg", BaseDigest: "x", Digest: m.digest(),
			At: at(time.Hour)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Inventory().Apply(ctx(t), tt.c)
			must(t, err)
			diff(t, "result", store.InventoryResult{Resync: true, Digest: m.digest()}, res)
			wantUntouched(t, s, "a1", sets, items, changes)
		})
	}
}

func testInventoryWrongDigest(t *testing.T, s store.Store) {
	inv := s.Inventory()
	// A set never written: the resync leaves no set behind.
	c := invSet{}.changes("a1", "os/dpkg", at(0), true, []store.AssetRecord{pkg("bash", "5.2")})
	c.Digest = invSet{}.with([]store.AssetRecord{pkg("bash", "5.3")}).digest()
	res, err := inv.Apply(ctx(t), c)
	must(t, err)
	diff(t, "result on a new set", store.InventoryResult{Resync: true, Digest: event.InventoryDigest(nil)}, res)
	wantUntouched(t, s, "a1", []store.InventorySet{}, []store.AssetRecord{}, []store.AssetChange{})

	m := baseline(t, s, "a1", "os/dpkg", at(0), pkg("bash", "5.2"), pkg("curl", "7.88"), pkg("vim", "9.0"))
	sets, items, changes := snapshot(t, s, "a1")
	drop := func(key string) store.AssetRef { return store.AssetRef{Kind: event.AssetPackage, Key: key} }
	upserts := []store.AssetRecord{pkg("zsh", "5.9"), pkg("bash", "5.3")}
	for _, tt := range []struct {
		name    string
		upserts []store.AssetRecord
		removed []store.AssetRef
		digest  string // the agent's wrong idea of the result
	}{
		// Each writes (adds, changes, removes) before the digest is known
		// to be wrong: all of it must be rolled back.
		{"missing a removal", upserts, []store.AssetRef{drop("curl:amd64")}, m.with(upserts).digest()},
		{"removal of an absent item", nil, []store.AssetRef{drop("nano:amd64")}, m.with(nil, drop("vim:amd64")).digest()},
		{"digest of another set", upserts, nil, invSet{}.digest()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := m.changes("a1", "os/dpkg", at(time.Hour), true, tt.upserts, tt.removed...)
			c.Digest = tt.digest
			res, err := inv.Apply(ctx(t), c)
			must(t, err)
			diff(t, "result", store.InventoryResult{Resync: true, Digest: m.digest()}, res)
			wantUntouched(t, s, "a1", sets, items, changes)
		})
	}
}

func testInventoryUnchanged(t *testing.T, s store.Store) {
	inv := s.Inventory()
	m := baseline(t, s, "a1", "os/dpkg", at(0), pkg("bash", "5.2"))
	_, items, _ := snapshot(t, s, "a1")
	c := store.InventoryChanges{AgentID: "a1", Collector: "os/dpkg", BaseDigest: m.digest(), Digest: m.digest(),
		At: at(time.Hour), Last: true}
	res, err := inv.Apply(ctx(t), c)
	must(t, err)
	diff(t, "result", store.InventoryResult{Digest: m.digest()}, res)
	sets, err := inv.Sets(ctx(t), "a1")
	must(t, err)
	diff(t, "set: checked, not updated", []store.InventorySet{{AgentID: "a1", Collector: "os/dpkg", Digest: m.digest(),
		Items: 1, UpdatedAt: stored(at(0)), CheckedAt: stored(at(time.Hour))}}, sets)
	diff(t, "items", items, listAll(t, s, store.AssetFilter{AgentID: "a1"}, 10))

	// An empty first inventory creates an empty set.
	empty := event.InventoryDigest(nil)
	res, err = inv.Apply(ctx(t), store.InventoryChanges{AgentID: "a1", Collector: "container/docker",
		BaseDigest: empty, Digest: empty, At: at(2 * time.Hour), Last: true})
	must(t, err)
	diff(t, "result of an empty inventory", store.InventoryResult{Digest: empty}, res)
	sets, err = inv.Sets(ctx(t), "a1")
	must(t, err)
	diff(t, "sets", []store.InventorySet{
		{AgentID: "a1", Collector: "container/docker", Digest: empty, CheckedAt: stored(at(2 * time.Hour))},
		{AgentID: "a1", Collector: "os/dpkg", Digest: m.digest(), Items: 1, UpdatedAt: stored(at(0)), CheckedAt: stored(at(time.Hour))},
	}, sets)
}

func testInventoryIdempotent(t *testing.T, s store.Store) {
	inv := s.Inventory()
	m := baseline(t, s, "a1", "os/dpkg", at(0), pkg("bash", "5.2"), pkg("curl", "7.88"))
	c := m.changes("a1", "os/dpkg", at(time.Hour), true, []store.AssetRecord{pkg("bash", "5.3")})
	apply(t, s, c)
	sets, items, changes := snapshot(t, s, "a1")

	// The same changes again: their base is gone.
	res, err := inv.Apply(ctx(t), c)
	must(t, err)
	diff(t, "replay", store.InventoryResult{Resync: true, Digest: c.Digest}, res)
	wantUntouched(t, s, "a1", sets, items, changes)

	// Upserts of what is held change nothing, not even updated_at.
	m = m.with(c.Upserts)
	same := store.InventoryChanges{AgentID: "a1", Collector: "os/dpkg", BaseDigest: m.digest(), Digest: m.digest(),
		Upserts: []store.AssetRecord{pkg("bash", "5.3"), pkg("curl", "7.88")}, At: at(2 * time.Hour), Last: true}
	res = apply(t, s, same)
	diff(t, "same items", store.InventoryResult{Digest: m.digest()}, res)
	sets[0].CheckedAt = stored(at(2 * time.Hour))
	wantUntouched(t, s, "a1", sets, items, changes)
}

func testInventoryInvalid(t *testing.T, s store.Store) {
	m := invSet{}
	good := pkg("bash", "5.2")
	noHash := good
	noHash.Hash = [32]byte{}
	badFields := pkg("curl", "7.88")
	badFields.Fields = json.RawMessage(`{"package":`)
	listFields := pkg("curl", "7.88")
	listFields.Fields = json.RawMessage(`["a"]`)
	for _, tt := range []struct {
		name string
		c    store.InventoryChanges
	}{
		{"unknown kind", m.changes("a1", "c", at(0), true, []store.AssetRecord{asset("gadget", "k", "n", "", nil)})},
		{"empty key", m.changes("a1", "c", at(0), true, []store.AssetRecord{asset(event.AssetUser, "", "n", "", nil)})},
		{"NUL in key", m.changes("a1", "c", at(0), true, []store.AssetRecord{asset(event.AssetUser, "a\x00b", "n", "", nil)})},
		{"NUL in name", m.changes("a1", "c", at(0), true, []store.AssetRecord{asset(event.AssetUser, "k", "a\x00", "", nil)})},
		{"no hash", m.changes("a1", "c", at(0), true, []store.AssetRecord{noHash})},
		{"fields not JSON", m.changes("a1", "c", at(0), true, []store.AssetRecord{badFields})},
		{"fields not an object", m.changes("a1", "c", at(0), true, []store.AssetRecord{listFields})},
		{"item twice", m.changes("a1", "c", at(0), true, []store.AssetRecord{good, pkg("bash", "5.3")})},
		{"upserted and removed", m.changes("a1", "c", at(0), true, []store.AssetRecord{good},
			store.AssetRef{Kind: good.Kind, Key: good.Key})},
		{"no agent", m.changes("", "c", at(0), true, []store.AssetRecord{good})},
		{"no collector", m.changes("a1", "", at(0), true, []store.AssetRecord{good})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Inventory().Apply(ctx(t), tt.c)
			wantAnyErr(t, "Apply", err)
			wantUntouched(t, s, "a1", []store.InventorySet{}, []store.AssetRecord{}, []store.AssetChange{})
		})
	}
}

func testInventoryLarge(t *testing.T, s store.Store) {
	// More items than one statement takes, in every chunk size.
	var items []store.AssetRecord
	for i := range 2000 + 64 + 16 + 4 + 3 {
		items = append(items, pkg(fmt.Sprintf("lib%05d", i), fmt.Sprintf("1.%d", i)))
	}
	m := baseline(t, s, "a1", "os/dpkg", at(0), items...)
	wantSet(t, s, "a1", "os/dpkg", m)

	var upserts []store.AssetRecord
	var removed []store.AssetRef
	for i, r := range items {
		switch i % 5 {
		case 0:
			upserts = append(upserts, pkg(r.Name, r.Version+"+deb12u1"))
		case 1:
			removed = append(removed, store.AssetRef{Kind: r.Kind, Key: r.Key})
		}
	}
	c := m.changes("a1", "os/dpkg", at(time.Hour), true, upserts, removed...)
	res := apply(t, s, c)
	diff(t, "result", store.InventoryResult{Digest: c.Digest, Changed: len(upserts), Removed: len(removed)}, res)
	m = m.with(upserts, removed...)
	wantSet(t, s, "a1", "os/dpkg", m)
	changes := collect(t, 1000, func(p store.Page) ([]store.AssetChange, string, error) {
		return s.Inventory().Changes(ctx(t), store.AssetChangeFilter{Page: p})
	})
	if len(changes) != len(upserts)+len(removed) {
		t.Fatalf("%d changes recorded, want %d", len(changes), len(upserts)+len(removed))
	}
	for _, ch := range changes {
		if ch.Action == store.AssetChanged && (ch.Before == "" || ch.After != ch.Before+"+deb12u1") {
			t.Fatalf("change %+v", ch)
		}
		if ch.Action == store.AssetRemoved && (ch.Before == "" || ch.BeforeFields == nil || ch.Name == "") {
			t.Fatalf("removal %+v", ch)
		}
	}
}
