package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var agentCases = []testCase{
	{"Agents/CreateGet", testAgentCreateGet},
	{"Agents/Update", testAgentUpdate},
	{"Agents/SetStatusHistory", testAgentSetStatus},
	{"Agents/TouchMany", testAgentTouchMany},
	{"Agents/SetLabels", testAgentSetLabels},
	{"Agents/ListFilters", testAgentListFilters},
	{"Agents/ListPaging", testAgentListPaging},
	{"Agents/Delete", testAgentDelete},
}

// fullAgent has every field set.
func fullAgent(id, hostname string) store.Agent {
	return store.Agent{
		ID: id, Hostname: hostname, Status: store.StatusOnline, StatusReason: "enrolled",
		StatusChangedAt: at(0), LastSeen: at(time.Minute), EnrolledAt: at(-time.Hour),
		Labels: map[string]string{"env": "prod", "team": "web"},
		OS:     "linux", Platform: "debian", PlatformVersion: "12", Kernel: "6.1.0-18-amd64",
		Arch: "amd64", IPs: []string{"10.1.2.3", "fe80::1"}, BootTime: at(-48 * time.Hour),
		AgentVersion: "1.2.3", MachineID: "0f1e2d3c", UserKey: "UABC", JoinTokenID: "jt-1",
		LastState: []byte(`{"plugins":{"os/dpkg":"ok"}}`),
	}
}

// storedAgent is a as Get returns it.
func storedAgent(a store.Agent) store.Agent {
	a.StatusChangedAt, a.LastSeen = stored(a.StatusChangedAt), stored(a.LastSeen)
	a.EnrolledAt, a.BootTime = stored(a.EnrolledAt), stored(a.BootTime)
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	if a.IPs == nil {
		a.IPs = []string{}
	}
	return a
}

func testAgentCreateGet(t *testing.T, s store.Store) {
	as := s.Agents()
	a := fullAgent("agent-1", "web-01")
	must(t, as.Create(ctx(t), a))
	got, err := as.Get(ctx(t), a.ID)
	must(t, err)
	diff(t, "Get", storedAgent(a), got)
	wantUTC(t, "Get", got.StatusChangedAt, got.LastSeen, got.EnrolledAt, got.BootTime)

	wantErr(t, "Create twice", as.Create(ctx(t), a), store.ErrAlreadyExists)
	_, err = as.Get(ctx(t), "missing")
	wantErr(t, "Get missing", err, store.ErrNotFound)

	bare := store.Agent{ID: "agent-2", Hostname: "bare", Status: store.StatusLost, EnrolledAt: at(0), StatusChangedAt: at(0)}
	must(t, as.Create(ctx(t), bare))
	got, err = as.Get(ctx(t), bare.ID)
	must(t, err)
	if got.Labels == nil || got.IPs == nil {
		t.Fatalf("nil labels or IPs: %#v", got)
	}
	diff(t, "bare agent", storedAgent(bare), got)
}

func testAgentUpdate(t *testing.T, s store.Store) {
	as := s.Agents()
	a := fullAgent("agent-1", "web-01")
	must(t, as.Create(ctx(t), a))

	u := store.Agent{
		ID: a.ID, Hostname: "web-01.example", Labels: map[string]string{"env": "stage"},
		OS: "linux", Platform: "ubuntu", PlatformVersion: "24.04", Kernel: "6.8.0", Arch: "arm64",
		IPs: []string{"192.0.2.7"}, BootTime: at(-time.Hour), AgentVersion: "1.3.0", MachineID: "m2",
		LastState: []byte(`{"plugins":{}}`), LastSeen: at(2 * time.Minute),
		// Not mutable through Update:
		Status: store.StatusLost, StatusReason: "x", UserKey: "UOTHER", EnrolledAt: at(time.Hour),
	}
	must(t, as.Update(ctx(t), u))
	want := a
	want.Hostname, want.Labels, want.OS, want.Platform = u.Hostname, u.Labels, u.OS, u.Platform
	want.PlatformVersion, want.Kernel, want.Arch, want.IPs = u.PlatformVersion, u.Kernel, u.Arch, u.IPs
	want.BootTime, want.AgentVersion, want.MachineID = u.BootTime, u.AgentVersion, u.MachineID
	want.LastState, want.LastSeen = u.LastState, u.LastSeen
	got, err := as.Get(ctx(t), a.ID)
	must(t, err)
	diff(t, "after Update", storedAgent(want), got)

	// A zero LastSeen keeps the stored one.
	u.LastSeen = time.Time{}
	must(t, as.Update(ctx(t), u))
	got, err = as.Get(ctx(t), a.ID)
	must(t, err)
	if !got.LastSeen.Equal(stored(want.LastSeen)) {
		t.Fatalf("LastSeen %v, want %v", got.LastSeen, stored(want.LastSeen))
	}
	// Labels given to Update are filterable.
	list, _, err := as.List(ctx(t), store.AgentFilter{Labels: map[string]string{"env": "stage"}})
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("label filter after Update: %d agents", len(list))
	}
	wantErr(t, "Update missing", as.Update(ctx(t), store.Agent{ID: "missing"}), store.ErrNotFound)
}

func testAgentSetStatus(t *testing.T, s store.Store) {
	as := s.Agents()
	must(t, as.Create(ctx(t), fullAgent("agent-1", "web-01")))
	steps := []struct {
		to      store.AgentStatus
		reason  string
		changed bool
	}{
		{store.StatusStopped, "SIGTERM by pid 812", true},
		{store.StatusStopped, "again", false},
		{store.StatusOnline, "reconnected", true},
		{store.StatusLost, "connection closed", true},
		{store.StatusLost, "still gone", false},
	}
	var history []store.StatusChange
	from := store.StatusOnline
	for i, st := range steps {
		when := at(time.Duration(i+1) * time.Minute)
		changed, err := as.SetStatus(ctx(t), "agent-1", st.to, st.reason, when)
		must(t, err)
		if changed != st.changed {
			t.Fatalf("step %d: changed %v, want %v", i, changed, st.changed)
		}
		if !changed {
			continue
		}
		history = append([]store.StatusChange{{AgentID: "agent-1", At: stored(when), From: from, To: st.to, Reason: st.reason}}, history...)
		from = st.to
		got, err := as.Get(ctx(t), "agent-1")
		must(t, err)
		if got.Status != st.to || got.StatusReason != st.reason || !got.StatusChangedAt.Equal(stored(when)) {
			t.Fatalf("step %d: agent status %q %q %v", i, got.Status, got.StatusReason, got.StatusChangedAt)
		}
	}
	got, err := as.History(ctx(t), "agent-1", 0)
	must(t, err)
	diff(t, "History", history, got)
	wantUTC(t, "History", got[0].At)
	got, err = as.History(ctx(t), "agent-1", 2)
	must(t, err)
	diff(t, "History limit 2", history[:2], got)

	_, err = as.SetStatus(ctx(t), "missing", store.StatusLost, "", at(0))
	wantErr(t, "SetStatus missing", err, store.ErrNotFound)
	_, err = as.History(ctx(t), "missing", 10)
	wantErr(t, "History missing", err, store.ErrNotFound)
	must(t, as.Create(ctx(t), fullAgent("agent-2", "web-02")))
	got, err = as.History(ctx(t), "agent-2", 10)
	must(t, err)
	if got == nil || len(got) != 0 {
		t.Fatalf("History without changes: %#v, want empty", got)
	}
}

func testAgentTouchMany(t *testing.T, s store.Store) {
	as := s.Agents()
	const n = 620 // more than one statement's worth
	touch := map[string]time.Time{"unknown-agent": at(time.Hour)}
	for i := range n {
		a := fullAgent(fmt.Sprintf("agent-%03d", i), fmt.Sprintf("host-%03d", i))
		must(t, as.Create(ctx(t), a))
		touch[a.ID] = at(time.Duration(i) * time.Second)
	}
	must(t, as.TouchMany(ctx(t), touch))
	must(t, as.TouchMany(ctx(t), nil))
	// Going back in time is ignored.
	must(t, as.TouchMany(ctx(t), map[string]time.Time{"agent-500": at(-time.Hour)}))
	for _, i := range []int{0, 1, 59, 60, 61, 499, 500, 619} {
		id := fmt.Sprintf("agent-%03d", i)
		got, err := as.Get(ctx(t), id)
		must(t, err)
		want := stored(fullAgent(id, "").LastSeen)
		if w := stored(touch[id]); w.After(want) {
			want = w
		}
		if !got.LastSeen.Equal(want) {
			t.Errorf("%s: last_seen %v, want %v", id, got.LastSeen, want)
		}
	}
}

func testAgentSetLabels(t *testing.T, s store.Store) {
	as := s.Agents()
	must(t, as.Create(ctx(t), fullAgent("agent-1", "web-01")))
	labels := map[string]string{"zone": "a", "role": "db"}
	must(t, as.SetLabels(ctx(t), "agent-1", labels))
	got, err := as.Get(ctx(t), "agent-1")
	must(t, err)
	diff(t, "labels", labels, got.Labels)
	list, _, err := as.List(ctx(t), store.AgentFilter{Labels: map[string]string{"env": "prod"}})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("old label still matches")
	}
	must(t, as.SetLabels(ctx(t), "agent-1", nil))
	got, err = as.Get(ctx(t), "agent-1")
	must(t, err)
	diff(t, "cleared labels", map[string]string{}, got.Labels)
	wantErr(t, "SetLabels missing", as.SetLabels(ctx(t), "missing", labels), store.ErrNotFound)
}

func testAgentDelete(t *testing.T, s store.Store) {
	as := s.Agents()
	must(t, as.Create(ctx(t), fullAgent("agent-1", "web-01")))
	_, err := as.SetStatus(ctx(t), "agent-1", store.StatusStopped, "bye", at(time.Minute))
	must(t, err)
	must(t, as.Delete(ctx(t), "agent-1"))
	_, err = as.Get(ctx(t), "agent-1")
	wantErr(t, "Get deleted", err, store.ErrNotFound)
	_, err = as.History(ctx(t), "agent-1", 0)
	wantErr(t, "History deleted", err, store.ErrNotFound)
	wantErr(t, "Delete twice", as.Delete(ctx(t), "agent-1"), store.ErrNotFound)

	// The same id enrolls again with a clean slate.
	a := fullAgent("agent-1", "web-01")
	a.Labels = nil
	must(t, as.Create(ctx(t), a))
	h, err := as.History(ctx(t), "agent-1", 0)
	must(t, err)
	list, _, err := as.List(ctx(t), store.AgentFilter{Labels: map[string]string{"env": "prod"}})
	must(t, err)
	if len(h) != 0 || len(list) != 0 {
		t.Fatalf("deleted agent left %d history entries and %d label matches", len(h), len(list))
	}
}
