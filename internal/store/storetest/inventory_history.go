package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// history returns every change f selects, newest first, without ids.
func history(t *testing.T, s store.Store, f store.AssetChangeFilter) []store.AssetChange {
	t.Helper()
	f.Limit = store.MaxLimit
	changes, _, err := s.Inventory().Changes(ctx(t), f)
	must(t, err)
	for i := range changes {
		changes[i].ID = ""
	}
	return changes
}

// actions returns "action kind/key" of each change.
func actions(changes []store.AssetChange) []string {
	out := []string{}
	for _, c := range changes {
		out = append(out, c.Action+" "+c.Kind+"/"+c.Key)
	}
	return out
}

func testInventoryBaseline(t *testing.T, s store.Store) {
	// A first inventory in three parts: none of it is history.
	a, b, c, d := pkg("a", "1"), pkg("b", "1"), pkg("c", "1"), pkg("d", "1")
	m := invSet{}
	for i, part := range []struct {
		upserts []store.AssetRecord
		removed []store.AssetRef
	}{
		{[]store.AssetRecord{a, b}, nil},
		{[]store.AssetRecord{c, pkg("a", "2")}, nil},
		{[]store.AssetRecord{d}, []store.AssetRef{{Kind: b.Kind, Key: b.Key}}},
	} {
		apply(t, s, m.changes("a1", "os/dpkg", at(time.Duration(i)*time.Second), i == 2, part.upserts, part.removed...))
		m = m.with(part.upserts, part.removed...)
	}
	diff(t, "history of a baseline in parts", []string{}, actions(history(t, s, store.AssetChangeFilter{})))
	apply(t, s, m.changes("a1", "os/dpkg", at(time.Hour), true, []store.AssetRecord{pkg("e", "1")}))
	diff(t, "history after the baseline", []string{"added package/e:amd64"}, actions(history(t, s, store.AssetChangeFilter{})))

	// An empty first inventory is a baseline too.
	empty := invSet{}
	apply(t, s, store.InventoryChanges{AgentID: "a1", Collector: "container/docker", BaseDigest: empty.digest(),
		Digest: empty.digest(), At: at(0), Last: true})
	ctr := asset(event.AssetContainer, "3f4e", "web", "", nil)
	apply(t, s, empty.changes("a1", "container/docker", at(time.Hour), true, []store.AssetRecord{ctr}))
	diff(t, "history after an empty baseline", []string{"added container/3f4e"},
		actions(history(t, s, store.AssetChangeFilter{Kind: event.AssetContainer})))

	// A first inventory cut short after a part, then found unchanged: the
	// unchanged report ends the baseline.
	mods := empty.with([]store.AssetRecord{asset(event.AssetModule, "ext4", "ext4", "", nil)})
	apply(t, s, empty.changes("a1", "os/modules", at(0), false, mods.sorted()))
	apply(t, s, store.InventoryChanges{AgentID: "a1", Collector: "os/modules", BaseDigest: mods.digest(),
		Digest: mods.digest(), At: at(time.Minute), Last: true})
	apply(t, s, mods.changes("a1", "os/modules", at(time.Hour), true, nil, store.AssetRef{Kind: event.AssetModule, Key: "ext4"}))
	diff(t, "history after an unchanged end of baseline", []string{"removed module/ext4"},
		actions(history(t, s, store.AssetChangeFilter{Kind: event.AssetModule})))

	// A last part that is refused does not end the baseline.
	refused := empty.changes("a1", "os/users", at(0), true, []store.AssetRecord{asset(event.AssetUser, "0", "root", "", nil)})
	refused.Digest = empty.digest()
	res, err := s.Inventory().Apply(ctx(t), refused)
	must(t, err)
	if !res.Resync {
		t.Fatal("wrong digest accepted")
	}
	users := empty
	for i, u := range []store.AssetRecord{asset(event.AssetUser, "0", "root", "", nil), asset(event.AssetUser, "1000", "ann", "", nil)} {
		apply(t, s, users.changes("a1", "os/users", at(time.Duration(i)*time.Second), i == 1, []store.AssetRecord{u}))
		users = users.with([]store.AssetRecord{u})
	}
	diff(t, "history of users' baseline", []string{}, actions(history(t, s, store.AssetChangeFilter{Kind: event.AssetUser})))
	apply(t, s, users.changes("a1", "os/users", at(time.Hour), true, nil, store.AssetRef{Kind: event.AssetUser, Key: "1000"}))
	diff(t, "history of users", []string{"removed user/1000"}, actions(history(t, s, store.AssetChangeFilter{Kind: event.AssetUser})))
}

func testInventoryNoHistory(t *testing.T, s store.Store) {
	proc := func(key, exe string) store.AssetRecord {
		return asset(event.AssetProcess, key, exe, "", map[string]any{"process": map[string]any{"executable": exe}})
	}
	m := baseline(t, s, "a1", "os/processes", at(0), proc("sshd", "/usr/sbin/sshd"), proc("cron", "/usr/sbin/cron"), pkg("bash", "5.2"))
	c := m.changes("a1", "os/processes", at(time.Hour), true,
		[]store.AssetRecord{proc("nginx", "/usr/sbin/nginx"), proc("sshd", "/usr/local/sbin/sshd"), pkg("curl", "7.88")},
		store.AssetRef{Kind: event.AssetProcess, Key: "cron"})
	c.NoHistory = []string{event.AssetProcess}
	res := apply(t, s, c)
	diff(t, "result counts every kind", store.InventoryResult{Digest: c.Digest, Added: 2, Changed: 1, Removed: 1}, res)
	diff(t, "history", []string{"added package/curl:amd64"}, actions(history(t, s, store.AssetChangeFilter{})))
	wantSet(t, s, "a1", "os/processes", m.with(c.Upserts, c.Removed...))
}

func testInventoryChanges(t *testing.T, s store.Store) {
	inv := s.Inventory()
	sets := map[string]invSet{
		"a1": baseline(t, s, "a1", "os/dpkg", at(0), pkg("openssl", "3.0.15"), pkg("curl", "7.88")),
		"a2": baseline(t, s, "a2", "os/dpkg", at(0), pkg("openssl", "3.0.11")),
	}
	users := baseline(t, s, "a1", "os/users", at(0))
	// One change per Apply, a minute apart: recorded in this order.
	steps := []struct {
		agent   string
		upsert  *store.AssetRecord
		removed *store.AssetRef
		want    string
	}{
		{"a1", &[]store.AssetRecord{pkg("OpenSSL", "3.0.17")}[0], nil, "a1 added package/OpenSSL:amd64"},
		{"a2", &[]store.AssetRecord{pkg("openssl", "3.0.17")}[0], nil, "a2 changed package/openssl:amd64"},
		{"a1", nil, &store.AssetRef{Kind: event.AssetPackage, Key: "curl:amd64"}, "a1 removed package/curl:amd64"},
		{"a1", nil, nil, "a1 added user/1000"},
		{"a2", &[]store.AssetRecord{pkg("vim", "9.0")}[0], nil, "a2 added package/vim:amd64"},
		{"a1", &[]store.AssetRecord{pkg("openssl", "3.0.17")}[0], nil, "a1 changed package/openssl:amd64"},
	}
	var want []string
	for i, st := range steps {
		when := at(time.Duration(i+1) * time.Minute)
		switch {
		case st.upsert != nil:
			c := sets[st.agent].changes(st.agent, "os/dpkg", when, true, []store.AssetRecord{*st.upsert})
			apply(t, s, c)
			sets[st.agent] = sets[st.agent].with(c.Upserts)
		case st.removed != nil:
			c := sets[st.agent].changes(st.agent, "os/dpkg", when, true, nil, *st.removed)
			apply(t, s, c)
			sets[st.agent] = sets[st.agent].with(nil, *st.removed)
		default:
			apply(t, s, users.changes("a1", "os/users", when, true, []store.AssetRecord{asset(event.AssetUser, "1000", "ann", "", nil)}))
		}
		want = append([]string{st.want}, want...)
	}
	label := func(changes []store.AssetChange) []string {
		out := []string{}
		for _, c := range changes {
			out = append(out, c.AgentID+" "+c.Action+" "+c.Kind+"/"+c.Key)
		}
		return out
	}
	pick := func(idx ...int) []string { // of steps, newest first
		out := []string{}
		for i := len(idx) - 1; i >= 0; i-- {
			out = append(out, steps[idx[i]].want)
		}
		return out
	}
	tests := []struct {
		name string
		f    store.AssetChangeFilter
		want []string
	}{
		{"all, newest first", store.AssetChangeFilter{}, want},
		{"agent", store.AssetChangeFilter{AgentID: "a2"}, pick(1, 4)},
		{"kind", store.AssetChangeFilter{Kind: event.AssetUser}, pick(3)},
		{"action", store.AssetChangeFilter{Action: store.AssetChanged}, pick(1, 5)},
		{"q key or name, any case", store.AssetChangeFilter{Q: "openssl"}, pick(0, 1, 5)},
		{"q name", store.AssetChangeFilter{Q: "ANN"}, pick(3)},
		{"q not versions", store.AssetChangeFilter{Q: "3.0.17"}, pick()},
		{"since", store.AssetChangeFilter{Since: at(4 * time.Minute)}, pick(3, 4, 5)},
		{"until", store.AssetChangeFilter{Until: at(2 * time.Minute)}, pick(0)},
		{"window and agent", store.AssetChangeFilter{AgentID: "a1", Since: at(2 * time.Minute), Until: at(6 * time.Minute)}, pick(2, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := inv.Changes(ctx(t), tt.f)
			must(t, err)
			if next != "" {
				t.Errorf("next cursor %q on a short listing", next)
			}
			diff(t, "changes", tt.want, label(got))
		})
	}
	for _, limit := range []int{1, 2, 4, 6} {
		got := collect(t, limit, func(p store.Page) ([]store.AssetChange, string, error) {
			return inv.Changes(ctx(t), store.AssetChangeFilter{Page: p})
		})
		diff(t, fmt.Sprint("pages of ", limit), want, label(got))
		seen := map[string]bool{}
		for _, c := range got {
			if seen[c.ID] || c.ID == "" {
				t.Fatalf("id %q repeated or empty", c.ID)
			}
			seen[c.ID] = true
		}
	}
	for _, c := range garbageCursors {
		_, _, err := inv.Changes(ctx(t), store.AssetChangeFilter{Page: store.Page{Cursor: c}})
		wantErr(t, fmt.Sprintf("cursor %q", c), err, store.ErrBadCursor)
	}
}

func testInventoryCountsSets(t *testing.T, s store.Store) {
	inv := s.Inventory()
	counts, err := inv.Counts(ctx(t), "")
	must(t, err)
	diff(t, "counts of nothing", []store.AssetCount{}, counts)
	dpkg := baseline(t, s, "a1", "os/dpkg", at(0), pkg("bash", "5.2"), pkg("curl", "7.88"), pkg("vim", "9.0"))
	users := baseline(t, s, "a1", "os/users", at(time.Minute), asset(event.AssetUser, "0", "root", "", nil),
		asset(event.AssetUser, "1000", "ann", "", nil), asset(event.AssetGroup, "0", "root", "", nil))
	python := baseline(t, s, "a1", "lang/python", at(2*time.Minute), pkg("python3-yaml", "6.0"), pkg("python3-six", "1.16"))
	baseline(t, s, "a2", "os/dpkg", at(0), pkg("bash", "5.2"))
	counts, err = inv.Counts(ctx(t), "")
	must(t, err)
	diff(t, "counts", []store.AssetCount{
		{AgentID: "a1", Kind: "group", Count: 1}, {AgentID: "a1", Kind: "package", Count: 5},
		{AgentID: "a1", Kind: "user", Count: 2}, {AgentID: "a2", Kind: "package", Count: 1},
	}, counts)

	c := dpkg.changes("a1", "os/dpkg", at(time.Hour), true, nil, store.AssetRef{Kind: "package", Key: "bash:amd64"},
		store.AssetRef{Kind: "package", Key: "curl:amd64"}, store.AssetRef{Kind: "package", Key: "vim:amd64"})
	apply(t, s, c)
	counts, err = inv.Counts(ctx(t), "a1")
	must(t, err)
	diff(t, "counts of one agent", []store.AssetCount{
		{AgentID: "a1", Kind: "group", Count: 1}, {AgentID: "a1", Kind: "package", Count: 2},
		{AgentID: "a1", Kind: "user", Count: 2},
	}, counts)

	sets, err := inv.Sets(ctx(t), "a1")
	must(t, err)
	for _, st := range sets {
		wantUTC(t, "set", st.UpdatedAt, st.CheckedAt)
	}
	diff(t, "sets", []store.InventorySet{
		{AgentID: "a1", Collector: "lang/python", Digest: python.digest(), Items: 2, UpdatedAt: stored(at(2 * time.Minute)), CheckedAt: stored(at(2 * time.Minute))},
		{AgentID: "a1", Collector: "os/dpkg", Digest: c.Digest, Items: 0, UpdatedAt: stored(at(time.Hour)), CheckedAt: stored(at(time.Hour))},
		{AgentID: "a1", Collector: "os/users", Digest: users.digest(), Items: 3, UpdatedAt: stored(at(time.Minute)), CheckedAt: stored(at(time.Minute))},
	}, sets)
	if c.Digest != event.InventoryDigest(nil) {
		t.Fatal("an emptied set has the digest of no items")
	}
	for _, st := range sets {
		digest, _, _, err := inv.State(ctx(t), "a1", st.Collector, store.Page{})
		must(t, err)
		if digest != st.Digest {
			t.Errorf("%s: State digest %s, Sets digest %s", st.Collector, digest, st.Digest)
		}
	}
}

func testInventoryDeleteAgent(t *testing.T, s store.Store) {
	inv := s.Inventory()
	for _, agent := range []string{"a1", "a2"} {
		m := baseline(t, s, agent, "os/dpkg", at(0), pkg("bash", "5.2"), pkg("curl", "7.88"))
		apply(t, s, m.changes(agent, "os/dpkg", at(time.Hour), true, []store.AssetRecord{pkg("vim", "9.0")}))
		baseline(t, s, agent, "os/users", at(0), asset(event.AssetUser, "0", "root", "", nil))
	}
	sets, items, changes := snapshot(t, s, "a2")
	must(t, inv.DeleteAgent(ctx(t), "a1"))
	wantUntouched(t, s, "a1", []store.InventorySet{}, []store.AssetRecord{}, []store.AssetChange{})
	wantUntouched(t, s, "a2", sets, items, changes)
	counts, err := inv.Counts(ctx(t), "")
	must(t, err)
	diff(t, "counts", []store.AssetCount{{AgentID: "a2", Kind: "package", Count: 3}, {AgentID: "a2", Kind: "user", Count: 1}}, counts)
	digest, _, _, err := inv.State(ctx(t), "a1", "os/dpkg", store.Page{})
	must(t, err)
	if digest != event.InventoryDigest(nil) {
		t.Fatalf("deleted set has digest %s", digest)
	}
	// The agent starts over with a first inventory: a baseline again.
	baseline(t, s, "a1", "os/dpkg", at(2*time.Hour), pkg("zsh", "5.9"))
	diff(t, "history after a new baseline", []store.AssetChange{}, history(t, s, store.AssetChangeFilter{AgentID: "a1"}))
	must(t, inv.DeleteAgent(ctx(t), "unknown"))
}

func testInventoryDeleteChangesBefore(t *testing.T, s store.Store) {
	inv := s.Inventory()
	m := baseline(t, s, "a1", "os/dpkg", at(0))
	for i := 1; i <= 3; i++ {
		c := m.changes("a1", "os/dpkg", at(time.Duration(i)*time.Hour), true, []store.AssetRecord{pkg(fmt.Sprint("p", i), "1")})
		apply(t, s, c)
		m = m.with(c.Upserts)
	}
	n, err := inv.DeleteChangesBefore(ctx(t), at(2*time.Hour))
	must(t, err)
	if n != 1 {
		t.Fatalf("deleted %d, want 1", n)
	}
	diff(t, "history kept", []string{"added package/p3:amd64", "added package/p2:amd64"},
		actions(history(t, s, store.AssetChangeFilter{})))
	n, err = inv.DeleteChangesBefore(ctx(t), at(2*time.Hour))
	must(t, err)
	if n != 0 {
		t.Fatalf("deleted %d again", n)
	}
	wantSet(t, s, "a1", "os/dpkg", m) // the items stay
}

func testInventoryConcurrent(t *testing.T, s store.Store) {
	for _, collector := range []string{"os/dpkg", "os/new"} {
		m := invSet{}
		if collector == "os/dpkg" {
			m = baseline(t, s, "a1", collector, at(0), pkg("bash", "5.2"), pkg("curl", "7.88"))
		}
		for round := range 8 {
			// Two Applies from the same base: one wins, the other is told
			// to resync and sees the winner's digest.
			var cs [2]store.InventoryChanges
			for i := range cs {
				up := []store.AssetRecord{pkg(fmt.Sprintf("r%d-%d", round, i), "1"), pkg("bash", fmt.Sprintf("5.%d.%d", round, i))}
				cs[i] = m.changes("a1", collector, at(time.Duration(round)*time.Minute), true, up,
					store.AssetRef{Kind: event.AssetPackage, Key: "curl:amd64"})
			}
			var results [2]store.InventoryResult
			var errs [2]error
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range cs {
				wg.Go(func() {
					<-start
					results[i], errs[i] = s.Inventory().Apply(ctx(t), cs[i])
				})
			}
			close(start)
			wg.Wait()
			must(t, errs[0])
			must(t, errs[1])
			if results[0].Resync == results[1].Resync {
				t.Fatalf("%s round %d: resync %v and %v, want exactly one", collector, round, results[0].Resync, results[1].Resync)
			}
			won := 0
			if results[0].Resync {
				won = 1
			}
			if got := results[1-won].Digest; got != cs[won].Digest {
				t.Fatalf("%s round %d: loser sees %s, want the winner's %s", collector, round, got, cs[won].Digest)
			}
			m = m.with(cs[won].Upserts, cs[won].Removed...)
			wantSet(t, s, "a1", collector, m)
		}
	}
}
