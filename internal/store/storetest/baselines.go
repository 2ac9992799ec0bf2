package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var baselineCases = []testCase{
	{"Baselines/Put", testBaselinesPut},
	{"Baselines/PutInvalid", testBaselinesPutInvalid},
	{"Baselines/PutConcurrent", testBaselinesPutConcurrent},
	{"Baselines/List", testBaselinesList},
	{"Baselines/ListInvalid", testBaselinesListInvalid},
	{"Baselines/Delete", testBaselinesDelete},
	{"Baselines/Each", testBaselinesEach},
}

// loginProfile returns the profile of a user who logs in on weekday
// mornings from two addresses, learned up to last.
func loginProfile(agentID, user string, last time.Time) store.LoginProfile {
	p := store.LoginProfile{AgentID: agentID, User: user, FirstSeen: last.Add(-14 * 24 * time.Hour), LastSeen: last,
		Logins: 42, LearnedAt: last.Add(-4 * 24 * time.Hour), Sources: []store.LoginSource{
			{IP: "198.51.100.23", FirstSeen: last.Add(-3 * 24 * time.Hour), LastSeen: last, Count: 12},
			{IP: "2001:db8::17", FirstSeen: last.Add(-14 * 24 * time.Hour), LastSeen: last.Add(-time.Hour), Count: 30},
		}}
	p.Hours[8], p.Hours[9], p.Hours[13] = 20, 15, 7
	return p
}

// storedProfile is p as the store gives it back at revision rev.
func storedProfile(p store.LoginProfile, rev int64) store.LoginProfile {
	p.FirstSeen, p.LastSeen, p.LearnedAt, p.Revision = stored(p.FirstSeen), stored(p.LastSeen), stored(p.LearnedAt), rev
	srcs := make([]store.LoginSource, len(p.Sources))
	for i, src := range p.Sources {
		src.FirstSeen, src.LastSeen = stored(src.FirstSeen), stored(src.LastSeen)
		srcs[i] = src
	}
	p.Sources = srcs
	return p
}

// putProfiles puts ps and fails on an error.
func putProfiles(t *testing.T, s store.Store, ps ...store.LoginProfile) {
	t.Helper()
	must(t, s.Baselines().PutLoginProfiles(ctx(t), ps))
}

// getProfile returns the profile of agentID and user.
func getProfile(t *testing.T, s store.Store, agentID, user string) store.LoginProfile {
	t.Helper()
	p, err := s.Baselines().GetLoginProfile(ctx(t), agentID, user)
	must(t, err)
	return p
}

// allProfiles lists the profiles f selects in pages of limit.
func allProfiles(t *testing.T, s store.Store, f store.LoginProfileFilter, limit int) []store.LoginProfile {
	t.Helper()
	got := collect(t, limit, func(p store.Page) ([]store.LoginProfile, string, error) {
		f.Page = p
		return s.Baselines().ListLoginProfiles(ctx(t), f)
	})
	if got == nil {
		got = []store.LoginProfile{}
	}
	return got
}

func testBaselinesPut(t *testing.T, s store.Store) {
	bs := s.Baselines()
	root := loginProfile("agent-1", "root", at(0))
	root.Revision = 7 // ignored
	// No times, no sources.
	bare := store.LoginProfile{AgentID: "agent-1", User: "deploy"}
	putProfiles(t, s, root, bare)
	got := getProfile(t, s, "agent-1", "root")
	diff(t, "new profile", storedProfile(root, 1), got)
	wantUTC(t, "profile", got.FirstSeen, got.LastSeen, got.Sources[0].FirstSeen, got.Sources[1].LastSeen)
	wantBare := storedProfile(bare, 1)
	wantBare.Sources = []store.LoginSource{}
	diff(t, "bare profile", wantBare, getProfile(t, s, "agent-1", "deploy"))

	// A write replaces the profile and counts one more revision.
	newer := loginProfile("agent-1", "root", at(time.Hour))
	newer.Logins, newer.Hours[23] = 43, 1
	newer.Sources = append([]store.LoginSource{{IP: "203.0.113.5", FirstSeen: at(time.Hour), LastSeen: at(time.Hour),
		Count: 1}}, newer.Sources[:1]...)
	newer.Revision = 1
	putProfiles(t, s, newer)
	diff(t, "replaced profile", storedProfile(newer, 2), getProfile(t, s, "agent-1", "root"))

	// Given twice in one call: written as given last, two revisions on.
	again := loginProfile("agent-1", "root", at(2*time.Hour))
	putProfiles(t, s, newer, again)
	diff(t, "profile given twice", storedProfile(again, 4), getProfile(t, s, "agent-1", "root"))
	newUser := loginProfile("agent-2", "ann", at(0))
	putProfiles(t, s, newUser, newUser, newUser)
	diff(t, "new profile given three times", storedProfile(newUser, 3), getProfile(t, s, "agent-2", "ann"))

	for _, k := range [][2]string{{"agent-1", "Root"}, {"agent-1", "roo"}, {"agent-2", "root"}, {"", "root"},
		{"agent-1", ""}, {"agent-1", "root\x00"}, {"agent-\xff", "root"}} {
		_, err := bs.GetLoginProfile(ctx(t), k[0], k[1])
		wantErr(t, fmt.Sprintf("GetLoginProfile %q %q", k[0], k[1]), err, store.ErrNotFound)
	}
	must(t, bs.PutLoginProfiles(ctx(t), nil))
}

func testBaselinesPutInvalid(t *testing.T, s store.Store) {
	bs := s.Baselines()
	good := loginProfile("agent-1", "root", at(0))
	putProfiles(t, s, good)
	for name, change := range map[string]func(p *store.LoginProfile){
		"empty agent id":         func(p *store.LoginProfile) { p.AgentID = "" },
		"empty user":             func(p *store.LoginProfile) { p.User = "" },
		"negative logins":        func(p *store.LoginProfile) { p.Logins = -1 },
		"negative hour":          func(p *store.LoginProfile) { p.Hours[5] = -2 },
		"negative source count":  func(p *store.LoginProfile) { p.Sources[1].Count = -1 },
		"NUL in the agent id":    func(p *store.LoginProfile) { p.AgentID = "agent\x00" },
		"user not UTF-8":         func(p *store.LoginProfile) { p.User = "r\xffot" },
		"source address not UTF": func(p *store.LoginProfile) { p.Sources[0].IP = "\xc3" },
	} {
		bad := loginProfile("agent-1", "root", at(time.Hour))
		change(&bad)
		// One bad profile fails the whole call.
		err := bs.PutLoginProfiles(ctx(t), []store.LoginProfile{loginProfile("agent-1", "ann", at(0)), bad})
		wantErr(t, "PutLoginProfiles with "+name, err, store.ErrInvalid)
	}
	diff(t, "profiles after rejected puts", []store.LoginProfile{storedProfile(good, 1)},
		allProfiles(t, s, store.LoginProfileFilter{}, 10))
}

func testBaselinesPutConcurrent(t *testing.T, s store.Store) {
	const workers = 8
	countNew(t, workers, func(i int) (bool, error) {
		// Each writes the shared profile and one of its own, in both
		// orders of the keys.
		ps := []store.LoginProfile{loginProfile("agent-1", "root", at(time.Duration(i)*time.Second)),
			loginProfile(fmt.Sprintf("agent-%d", i), "ann", at(0))}
		if i%2 == 1 {
			ps[0], ps[1] = ps[1], ps[0]
		}
		return false, s.Baselines().PutLoginProfiles(ctx(t), ps)
	})
	got := getProfile(t, s, "agent-1", "root")
	if got.Revision != workers {
		t.Fatalf("revision %d after %d concurrent writes", got.Revision, workers)
	}
	if n := len(allProfiles(t, s, store.LoginProfileFilter{}, 100)); n != workers+1 {
		t.Fatalf("%d profiles after concurrent writes, want %d", n, workers+1)
	}
}

// compareProfiles is the listing order: agent id, then user, in byte
// order.
func compareProfiles(a, b store.LoginProfile) int {
	return cmp.Or(strings.Compare(a.AgentID, b.AgentID), strings.Compare(a.User, b.User))
}

func testBaselinesList(t *testing.T, s store.Store) {
	// Agents and users whose byte order differs from any locale's.
	var set []store.LoginProfile
	for _, agent := range []string{"agent-1", "Agent-2", "agent-10", "agent-2", "_agent"} {
		for _, user := range []string{"root", "Root", "ann", "_svc", "www-data", "ännchen"} {
			if agent == "_agent" && user != "root" {
				continue
			}
			set = append(set, loginProfile(agent, user, at(time.Duration(len(set))*time.Minute)))
		}
	}
	putProfiles(t, s, set...)
	for _, f := range []store.LoginProfileFilter{
		{}, {AgentID: "agent-1"}, {AgentID: "Agent-2"}, {User: "root"}, {User: "ännchen"},
		{AgentID: "agent-10", User: "Root"}, {AgentID: "agent-1", User: "nobody"}, {AgentID: "agent-3"},
	} {
		want := []store.LoginProfile{}
		for _, p := range set {
			if (f.AgentID == "" || p.AgentID == f.AgentID) && (f.User == "" || p.User == f.User) {
				want = append(want, storedProfile(p, 1))
			}
		}
		slices.SortFunc(want, compareProfiles)
		for _, limit := range []int{1, 4, 1000} {
			diff(t, fmt.Sprintf("listing of %+v in pages of %d", f, limit), want, allProfiles(t, s, f, limit))
		}
	}
}

func testBaselinesListInvalid(t *testing.T, s store.Store) {
	bs := s.Baselines()
	putProfiles(t, s, loginProfile("agent-1", "root", at(0)), loginProfile("agent-1", "ann", at(0)))
	_, _, err := s.Intel().Put(ctx(t), []store.Indicator{indicator(store.IndicatorIP, "203.0.113.7", "feodo", at(0)),
		indicator(store.IndicatorIP, "203.0.113.8", "feodo", at(0))})
	must(t, err)
	_, intelCursor, err := s.Intel().List(ctx(t), store.IndicatorFilter{Page: store.Page{Limit: 1}})
	must(t, err)
	for _, c := range append(garbageCursors, intelCursor) {
		_, _, err := bs.ListLoginProfiles(ctx(t), store.LoginProfileFilter{Page: store.Page{Cursor: c}})
		wantErr(t, fmt.Sprintf("cursor %q", c), err, store.ErrBadCursor)
	}
	for _, f := range []store.LoginProfileFilter{{AgentID: "agent\x00"}, {User: "\xff"}} {
		_, _, err := bs.ListLoginProfiles(ctx(t), f)
		wantErr(t, fmt.Sprintf("ListLoginProfiles %+v", f), err, store.ErrInvalid)
	}
}

func testBaselinesDelete(t *testing.T, s store.Store) {
	bs := s.Baselines()
	var set []store.LoginProfile
	for _, agent := range []string{"agent-1", "agent-10", "agent-2"} {
		for _, user := range []string{"root", "ann", "bob"} {
			set = append(set, loginProfile(agent, user, at(0)))
		}
	}
	putProfiles(t, s, set...)
	left := func(skip func(p store.LoginProfile) bool) []store.LoginProfile {
		out := []store.LoginProfile{}
		for _, p := range set {
			if !skip(p) {
				out = append(out, storedProfile(p, 1))
			}
		}
		slices.SortFunc(out, compareProfiles)
		return out
	}
	for _, tc := range []struct {
		agentID, user string
		want          int
	}{
		{"agent-1", "ann", 1}, {"agent-1", "ann", 0}, {"agent-1", "nobody", 0}, {"agent-3", "", 0},
		{"agent-1", "", 2}, {"agent-\x00", "", 0}, {"agent-2", "root\xff", 0},
	} {
		n, err := bs.DeleteLoginProfiles(ctx(t), tc.agentID, tc.user)
		must(t, err)
		if n != tc.want {
			t.Fatalf("DeleteLoginProfiles %q %q: %d, want %d", tc.agentID, tc.user, n, tc.want)
		}
	}
	diff(t, "profiles after deletes", left(func(p store.LoginProfile) bool { return p.AgentID == "agent-1" }),
		allProfiles(t, s, store.LoginProfileFilter{}, 100))
	_, err := bs.DeleteLoginProfiles(ctx(t), "", "root")
	wantErr(t, "DeleteLoginProfiles without an agent", err, store.ErrInvalid)
	_, err = bs.GetLoginProfile(ctx(t), "agent-1", "root")
	wantErr(t, "GetLoginProfile deleted", err, store.ErrNotFound)
	// Written again, a profile starts over.
	putProfiles(t, s, loginProfile("agent-1", "root", at(time.Hour)))
	if got := getProfile(t, s, "agent-1", "root"); got.Revision != 1 {
		t.Fatalf("revision %d of a profile written after its deletion, want 1", got.Revision)
	}
}

func testBaselinesEach(t *testing.T, s store.Store) {
	bs := s.Baselines()
	none := 0
	must(t, bs.EachLoginProfile(ctx(t), func(store.LoginProfile) error { none++; return nil }))
	if none != 0 {
		t.Fatalf("EachLoginProfile of an empty store called fn %d times", none)
	}
	// More than a few reads' worth.
	var set []store.LoginProfile
	for a := range 240 {
		for _, user := range []string{"root", "Root", "ann", "_svc", "www-data", "ännchen", "bob", "deploy", "ci", "x"} {
			set = append(set, loginProfile(fmt.Sprintf("agent-%d", a), user, at(time.Duration(a)*time.Minute)))
		}
	}
	putProfiles(t, s, set...)
	want := make([]store.LoginProfile, len(set))
	for i, p := range set {
		want[i] = storedProfile(p, 1)
	}
	slices.SortFunc(want, compareProfiles)
	var got []store.LoginProfile
	must(t, bs.EachLoginProfile(ctx(t), func(p store.LoginProfile) error {
		got = append(got, p)
		return nil
	}))
	diff(t, "EachLoginProfile", want, got)

	stop := errors.New("enough")
	calls := 0
	err := bs.EachLoginProfile(ctx(t), func(store.LoginProfile) error {
		calls++
		if calls == 1200 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 1200 {
		t.Fatalf("EachLoginProfile stopped after %d calls with %v, want 1200 and %v", calls, err, stop)
	}
}
