package storetest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

func testInventoryState(t *testing.T, s store.Store) {
	inv := s.Inventory()
	var items []store.AssetRecord
	// Keys whose byte order differs from any locale's: upper case first,
	// then lower case, then non-ASCII.
	for _, key := range []string{"a", "B", "a b", "a\u00e9", "\u00e9", "Z", "a-b", "a_b", "10", "9"} {
		items = append(items, asset(event.AssetUser, key, key, "", nil), asset(event.AssetService, key+".service", key, "", nil))
	}
	items = append(items, pkg("bash", "5.2"), pkg("curl", "7.88"), pkg("vim", "9.0"))
	m := baseline(t, s, "a1", "os/misc", at(0), items...)
	baseline(t, s, "a1", "os/other", at(0), pkg("zsh", "5.9"))
	want := make([]store.AssetDigest, 0, len(m))
	for _, r := range m.sorted() {
		want = append(want, store.AssetDigest{Kind: r.Kind, Key: r.Key, Hash: r.Hash})
	}
	for _, limit := range []int{1, 5, 23, 50} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			got := collect(t, limit, func(p store.Page) ([]store.AssetDigest, string, error) {
				digest, items, next, err := inv.State(ctx(t), "a1", "os/misc", p)
				if err == nil && digest != m.digest() {
					t.Fatalf("page digest %s, want %s", digest, m.digest())
				}
				return items, next, err
			})
			diff(t, "items, by kind and key in byte order", want, got)
		})
	}
	digest, none, next, err := inv.State(ctx(t), "a9", "os/misc", store.Page{})
	must(t, err)
	if digest != event.InventoryDigest(nil) || len(none) != 0 || none == nil || next != "" {
		t.Fatalf("unwritten set: %s, %v, %q", digest, none, next)
	}
	_, listCursor, err := inv.List(ctx(t), store.AssetFilter{Page: store.Page{Limit: 1}})
	must(t, err)
	for _, c := range append(garbageCursors, listCursor) {
		_, _, _, err := inv.State(ctx(t), "a1", "os/misc", store.Page{Cursor: c})
		wantErr(t, fmt.Sprintf("cursor %q", c), err, store.ErrBadCursor)
	}
}

func testInventoryListFilters(t *testing.T, s store.Store) {
	redis := asset(event.AssetMiddleware, "redis:6379", "Redis", "7.0.15", map[string]any{
		"service": map[string]any{"type": "redis"},
		"process": map[string]any{"executable": "/usr/bin/redis-server", "args": []any{"--port", 6379}},
	})
	admin := asset(event.AssetUser, "1000", "Ärger", "", map[string]any{"user": map[string]any{"full_name": "Grüße & <Tschüß>"}})
	odd := asset(event.AssetTask, "cron:100%_done", "backup", "", map[string]any{"task": map[string]any{"command": `tar -czf "b.tgz" C:\data`}})
	baseline(t, s, "a1", "os/dpkg", at(0), pkg("openssl", "3.0.17-1~deb12u2"), pkg("openssl-dev", "3.0.17-1~deb12u2"), pkg("redis-server", "5:7.0.15-1~deb12u1"))
	baseline(t, s, "a1", "app/redis", at(0), redis)
	baseline(t, s, "a1", "os/users", at(0), admin, odd)
	baseline(t, s, "a2", "os/dpkg", at(0), pkg("openssl", "3.0.11-1~deb12u2"), pkg("curl", "7.88.1-10+deb12u5"))
	tests := []struct {
		name string
		f    store.AssetFilter
		want []string
	}{
		{"all", store.AssetFilter{}, []string{"a1/app/redis/middleware/redis:6379", "a1/os/dpkg/package/openssl-dev:amd64",
			"a1/os/dpkg/package/openssl:amd64", "a1/os/dpkg/package/redis-server:amd64", "a1/os/users/task/cron:100%_done",
			"a1/os/users/user/1000", "a2/os/dpkg/package/curl:amd64", "a2/os/dpkg/package/openssl:amd64"}},
		{"agent", store.AssetFilter{AgentID: "a2"}, []string{"a2/os/dpkg/package/curl:amd64", "a2/os/dpkg/package/openssl:amd64"}},
		{"kind", store.AssetFilter{Kind: event.AssetMiddleware}, []string{"a1/app/redis/middleware/redis:6379"}},
		{"collector", store.AssetFilter{Collector: "os/users"}, []string{"a1/os/users/task/cron:100%_done", "a1/os/users/user/1000"}},
		{"name exact, any case", store.AssetFilter{Kind: event.AssetPackage, Name: "OpenSSL"},
			[]string{"a1/os/dpkg/package/openssl:amd64", "a2/os/dpkg/package/openssl:amd64"}},
		{"name without kind", store.AssetFilter{Name: "redis"}, []string{"a1/app/redis/middleware/redis:6379"}},
		{"name non-ASCII case", store.AssetFilter{Name: "äRGER"}, []string{"a1/os/users/user/1000"}},
		{"name is not a prefix", store.AssetFilter{Name: "openss"}, nil},
		{"agent and kind and name", store.AssetFilter{AgentID: "a2", Kind: event.AssetPackage, Name: "openssl"},
			[]string{"a2/os/dpkg/package/openssl:amd64"}},
		{"q key", store.AssetFilter{Q: "6379"}, []string{"a1/app/redis/middleware/redis:6379"}},
		{"q name any case", store.AssetFilter{Q: "REDIS"}, []string{"a1/app/redis/middleware/redis:6379", "a1/os/dpkg/package/redis-server:amd64"}},
		{"q version", store.AssetFilter{Q: "3.0.11"}, []string{"a2/os/dpkg/package/openssl:amd64"}},
		{"q field value", store.AssetFilter{Q: "/usr/bin/redis-server"}, []string{"a1/app/redis/middleware/redis:6379"}},
		{"q field value in a list", store.AssetFilter{Q: "--port"}, []string{"a1/app/redis/middleware/redis:6379"}},
		{"q field value escaped in JSON", store.AssetFilter{Q: "& <Tschüß>"}, []string{"a1/os/users/user/1000"}},
		{"q field value non-ASCII case", store.AssetFilter{Q: "GRÜßE"}, []string{"a1/os/users/user/1000"}},
		{"q field value with quotes and backslash", store.AssetFilter{Q: `"b.tgz" c:\data`}, []string{"a1/os/users/task/cron:100%_done"}},
		{"q not field names", store.AssetFilter{Q: "architecture"}, nil},
		{"q wildcards are literal", store.AssetFilter{Q: "100%_"}, []string{"a1/os/users/task/cron:100%_done"}},
		{"q underscore is literal", store.AssetFilter{Q: "openssl_dev"}, nil},
		{"q and agent", store.AssetFilter{Q: "deb12", AgentID: "a2"}, []string{"a2/os/dpkg/package/curl:amd64", "a2/os/dpkg/package/openssl:amd64"}},
		{"match", store.AssetFilter{Kind: event.AssetPackage, Match: func(r store.AssetRecord) bool {
			return strings.HasPrefix(r.Version, "3.0.17")
		}}, []string{"a1/os/dpkg/package/openssl-dev:amd64", "a1/os/dpkg/package/openssl:amd64"}},
		{"nothing", store.AssetFilter{AgentID: "a3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := s.Inventory().List(ctx(t), tt.f)
			must(t, err)
			if next != "" {
				t.Errorf("next cursor %q on a short listing", next)
			}
			if tt.want == nil {
				tt.want = []string{}
			}
			diff(t, "items", tt.want, keys(got))
		})
	}
	for _, c := range garbageCursors {
		_, _, err := s.Inventory().List(ctx(t), store.AssetFilter{Page: store.Page{Cursor: c}})
		wantErr(t, fmt.Sprintf("cursor %q", c), err, store.ErrBadCursor)
	}
}

// fleet writes sets for agents: per agent, the same keys in two
// collectors (so that the collector breaks ties) and two kinds. It returns
// every record as the store holds it, in listing order.
func fleet(t *testing.T, s store.Store, agents, perKind int) []store.AssetRecord {
	t.Helper()
	var all []store.AssetRecord
	for a := range agents {
		agentID := fmt.Sprintf("agent-%02d", agents-a) // created out of order
		for _, collector := range []string{"os/dpkg", "lang/python"} {
			var items []store.AssetRecord
			for i := range perKind {
				items = append(items, pkg(fmt.Sprintf("p%02d", i), fmt.Sprint(a)),
					asset(event.AssetLibrary, fmt.Sprintf("lib%02d", i), fmt.Sprintf("Lib%02d", i%3), "1", nil))
			}
			baseline(t, s, agentID, collector, at(0), items...)
			for _, r := range items {
				all = append(all, storedAsset(r, agentID, collector, at(0), at(0)))
			}
		}
	}
	sort.Slice(all, func(i, j int) bool {
		x, y := all[i], all[j]
		return strings.Join([]string{x.AgentID, x.Kind, x.Key, x.Collector}, "\x00") <
			strings.Join([]string{y.AgentID, y.Kind, y.Key, y.Collector}, "\x00")
	})
	return all
}

// filtered returns the records f selects, with Go's own comparisons.
func filtered(all []store.AssetRecord, f store.AssetFilter) []store.AssetRecord {
	out := []store.AssetRecord{}
	for _, r := range all {
		if (f.AgentID == "" || r.AgentID == f.AgentID) && (f.Kind == "" || r.Kind == f.Kind) &&
			(f.Collector == "" || r.Collector == f.Collector) && (f.Name == "" || strings.EqualFold(r.Name, f.Name)) &&
			(f.Match == nil || f.Match(r)) {
			out = append(out, r)
		}
	}
	return out
}

func testInventoryListPaging(t *testing.T, s store.Store) {
	all := fleet(t, s, 4, 6)
	for _, f := range []store.AssetFilter{
		{},
		{AgentID: "agent-02"},
		{Kind: event.AssetLibrary},
		{Kind: event.AssetLibrary, Name: "LIB01"},
		{Name: "lib02"},
		{Collector: "lang/python"},
		{AgentID: "agent-03", Kind: event.AssetPackage},
		{AgentID: "agent-03", Collector: "os/dpkg"},
		{Kind: event.AssetPackage, Collector: "os/dpkg"},
		{Q: "p0"},
	} {
		want := filtered(all, f)
		if f.Q != "" {
			want = filtered(all, store.AssetFilter{Kind: event.AssetPackage})
		}
		for _, limit := range []int{1, 4, 7, len(want), 1000} {
			t.Run(fmt.Sprintf("%+v limit %d", f, limit), func(t *testing.T) {
				if limit == 0 {
					t.Skip("nothing selected")
				}
				diff(t, "items", want, listAll(t, s, f, limit))
			})
		}
	}
	// A cursor stays valid when the items before it, itself included, are
	// removed.
	page, next, err := s.Inventory().List(ctx(t), store.AssetFilter{Page: store.Page{Limit: 3}})
	must(t, err)
	diff(t, "first page", all[:3], page)
	for _, r := range page[1:] {
		m := invSet{}.with(filtered(all, store.AssetFilter{AgentID: r.AgentID, Collector: r.Collector}))
		apply(t, s, m.changes(r.AgentID, r.Collector, at(time.Hour), true, nil, store.AssetRef{Kind: r.Kind, Key: r.Key}))
	}
	rest, _, err := s.Inventory().List(ctx(t), store.AssetFilter{Page: store.Page{Limit: 2, Cursor: next}})
	must(t, err)
	diff(t, "page after the cursor", all[3:5], rest)
}

func testInventoryListMatch(t *testing.T, s store.Store) {
	// More items than one batch of reads, so that pages span batches.
	var items []store.AssetRecord
	for i := range 700 {
		items = append(items, pkg(fmt.Sprintf("p%04d", i), fmt.Sprint(i)))
	}
	baseline(t, s, "a1", "os/dpkg", at(0), items...)
	baseline(t, s, "a2", "os/dpkg", at(0), items[:50]...)
	all := listAll(t, s, store.AssetFilter{}, store.MaxLimit)
	if len(all) != 750 {
		t.Fatalf("%d items", len(all))
	}
	version := func(r store.AssetRecord) int {
		var n int
		fmt.Sscan(r.Version, &n)
		return n
	}
	tests := []struct {
		name  string
		match func(store.AssetRecord) bool
	}{
		{"sparse", func(r store.AssetRecord) bool { return version(r)%37 == 5 }},
		{"dense", func(r store.AssetRecord) bool { return version(r)%2 == 0 }},
		{"last of an agent", func(r store.AssetRecord) bool { return r.AgentID == "a1" && version(r) == 699 }},
		{"first only", func(r store.AssetRecord) bool { return r.AgentID == "a1" && version(r) == 0 }},
		{"none", func(store.AssetRecord) bool { return false }},
	}
	for _, tt := range tests {
		f := store.AssetFilter{Match: tt.match}
		want := filtered(all, f)
		for _, limit := range []int{1, 3, 10, 300, 1000} {
			t.Run(fmt.Sprintf("%s limit %d", tt.name, limit), func(t *testing.T) {
				diff(t, "items", want, listAll(t, s, f, limit))
			})
		}
	}
	t.Run("with filters", func(t *testing.T) {
		f := store.AssetFilter{AgentID: "a2", Kind: event.AssetPackage, Match: tests[1].match}
		diff(t, "items", filtered(all, f), listAll(t, s, f, 4))
	})
}
