package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// BenchPackage returns a realistic Debian package item of about 300
// bytes of fields, the bulk of an inventory.
func BenchPackage(i int, version string) store.AssetRecord {
	name := fmt.Sprintf("lib%05d-common", i)
	return asset(event.AssetPackage, name+":amd64", name, version, map[string]any{
		"package": map[string]any{
			"name": name, "version": version, "architecture": "amd64", "type": "deb",
			"installed": "2026-01-12T09:14:03Z", "size": 1843200 + i,
			"description": "shared files of the " + name + " library, used by several programs",
			"reference":   "https://packages.debian.org/bookworm/" + name,
		},
	})
}

// BenchInventory measures InventoryStore on a fresh store from open:
// Apply of a first inventory of setSize items, Apply of an unchanged
// inventory, Apply of a 10-item change to a set of setSize items, and a
// listing of one package by name across agents agents. settle, when set,
// runs after each setup: a database that plans by statistics gathers
// them, as it would in steady state.
func BenchInventory(b *testing.B, open func(b *testing.B) store.Store, settle func(b *testing.B, s store.Store), setSize, agents int) {
	if settle == nil {
		settle = func(*testing.B, store.Store) {}
	}
	items := make([]store.AssetRecord, setSize)
	for i := range items {
		items[i] = BenchPackage(i, "1.0-1")
	}
	b.Run(fmt.Sprintf("apply-new-%d", setSize), func(b *testing.B) {
		s := open(b)
		defer s.Close()
		c := invSet{}.changes("", "os/dpkg", time.Now(), true, items)
		n := 0
		for b.Loop() {
			c.AgentID = fmt.Sprintf("agent-%06d", n)
			n++
			benchApply(b, s, c)
		}
		b.ReportMetric(float64(setSize*n)/b.Elapsed().Seconds(), "items/s")
	})
	b.Run(fmt.Sprintf("unchanged-%d", setSize), func(b *testing.B) {
		s := open(b)
		defer s.Close()
		m := invSet{}.with(items)
		benchApply(b, s, invSet{}.changes("a1", "os/dpkg", time.Now(), true, items))
		c := store.InventoryChanges{AgentID: "a1", Collector: "os/dpkg", BaseDigest: m.digest(), Digest: m.digest(), Last: true}
		settle(b, s)
		for b.Loop() {
			c.At = time.Now()
			benchApply(b, s, c)
		}
	})
	b.Run(fmt.Sprintf("delta-10-of-%d", setSize), func(b *testing.B) {
		s := open(b)
		defer s.Close()
		m := invSet{}.with(items)
		benchApply(b, s, invSet{}.changes("a1", "os/dpkg", time.Now(), true, items))
		// Ten packages upgraded, then downgraded again, and so on.
		var up []store.AssetRecord
		for i := range 10 {
			up = append(up, BenchPackage(i*setSize/10, "1.0-1+deb12u1"))
		}
		forth := m.changes("a1", "os/dpkg", time.Now(), true, up)
		back := m.with(up).changes("a1", "os/dpkg", time.Now(), true, nil)
		for i := range 10 {
			back.Upserts = append(back.Upserts, items[i*setSize/10])
		}
		back.Digest = m.digest()
		settle(b, s)
		n := 0
		for b.Loop() {
			c := forth
			if n%2 == 1 {
				c = back
			}
			n++
			benchApply(b, s, c)
		}
	})
	b.Run(fmt.Sprintf("list-name-%d-agents", agents), func(b *testing.B) {
		s := open(b)
		defer s.Close()
		// Every agent has the package looked for among setSize/10 others.
		some := append([]store.AssetRecord{pkg("openssl", "3.0.17-1~deb12u2")}, items[:setSize/10]...)
		for a := range agents {
			benchApply(b, s, invSet{}.changes(fmt.Sprintf("agent-%06d", a), "os/dpkg", time.Now(), true, some))
		}
		settle(b, s)
		f := store.AssetFilter{Kind: event.AssetPackage, Name: "OpenSSL", Page: store.Page{Limit: 100}}
		for b.Loop() {
			f.Cursor = ""
			found := 0
			for {
				page, next, err := s.Inventory().List(b.Context(), f)
				if err != nil {
					b.Fatal(err)
				}
				found += len(page)
				if next == "" {
					break
				}
				f.Cursor = next
			}
			if found != agents {
				b.Fatalf("found %d, want %d", found, agents)
			}
		}
	})
}

// benchApply applies c and fails on an error or a resync.
func benchApply(b *testing.B, s store.Store, c store.InventoryChanges) {
	res, err := s.Inventory().Apply(b.Context(), c)
	if err != nil {
		b.Fatal(err)
	}
	if res.Resync {
		b.Fatalf("resync: held %s", res.Digest)
	}
}
