package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var alertCases = []testCase{
	{"Alerts/RaiseGet", testAlertRaiseGet},
	{"Alerts/Dedup", testAlertDedup},
	{"Alerts/DedupConcurrent", testAlertDedupConcurrent},
	{"Alerts/SetState", testAlertSetState},
	{"Alerts/List", testAlertList},
}

func alert(id, key string, created time.Time) store.Alert {
	return store.Alert{
		ID: id, AgentID: "agent-1", Hostname: "web-01", RuleID: "lnx_shell_reverse",
		Title: "Reverse shell", Description: "bash -i to a socket", Severity: store.SeverityHigh,
		State: store.AlertNew, Techniques: []string{"T1059.004"}, DedupKey: key, Count: 1,
		CreatedAt: created, UpdatedAt: created, LastSeen: created,
		Evidence: map[string]any{"pid": 812.0, "cmd": "bash -i", "ips": []any{"10.0.0.1"}},
		EventIDs: []string{"ev-1"},
	}
}

func storedAlert(a store.Alert) store.Alert {
	a.CreatedAt, a.UpdatedAt, a.LastSeen = stored(a.CreatedAt), stored(a.UpdatedAt), stored(a.LastSeen)
	if a.Techniques == nil {
		a.Techniques = []string{}
	}
	if a.EventIDs == nil {
		a.EventIDs = []string{}
	}
	if a.Comments == nil {
		a.Comments = []store.AlertComment{}
	}
	return a
}

func testAlertRaiseGet(t *testing.T, s store.Store) {
	al := s.Alerts()
	a := alert("al-1", "k1", at(0))
	got, isNew, err := al.Raise(ctx(t), a)
	must(t, err)
	if !isNew {
		t.Fatal("first Raise is not new")
	}
	diff(t, "Raise", storedAlert(a), got)
	got, err = al.Get(ctx(t), "al-1")
	must(t, err)
	diff(t, "Get", storedAlert(a), got)
	wantUTC(t, "Get", got.CreatedAt, got.UpdatedAt, got.LastSeen)

	// Defaults and nil lists.
	bare := store.Alert{AgentID: "agent-2", RuleID: "r", Title: "t", Severity: store.SeverityLow}
	got, isNew, err = al.Raise(ctx(t), bare)
	must(t, err)
	if !isNew || got.ID == "" || got.State != store.AlertNew || got.Count != 1 || got.CreatedAt.IsZero() ||
		got.Techniques == nil || got.Evidence != nil {
		t.Fatalf("defaults: %+v", got)
	}
	_, _, err = al.Raise(ctx(t), alert("al-1", "", at(0)))
	wantErr(t, "Raise taken id", err, store.ErrAlreadyExists)
	_, err = al.Get(ctx(t), "missing")
	wantErr(t, "Get missing", err, store.ErrNotFound)
}

func testAlertDedup(t *testing.T, s store.Store) {
	al := s.Alerts()
	first, _, err := al.Raise(ctx(t), alert("al-1", "k1", at(0)))
	must(t, err)
	got, isNew, err := al.Raise(ctx(t), alert("al-2", "k1", at(time.Minute)))
	must(t, err)
	if isNew || got.ID != "al-1" || got.Count != 2 {
		t.Fatalf("repeat: new %v, %s count %d", isNew, got.ID, got.Count)
	}
	if !got.LastSeen.Equal(stored(at(time.Minute))) || !got.UpdatedAt.Equal(stored(at(time.Minute))) ||
		!got.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("repeat times: %+v", got)
	}
	// An older repeat does not move last_seen back.
	got, _, err = al.Raise(ctx(t), alert("al-3", "k1", at(-time.Hour)))
	must(t, err)
	if got.Count != 3 || !got.LastSeen.Equal(stored(at(time.Minute))) {
		t.Fatalf("older repeat: count %d last_seen %v", got.Count, got.LastSeen)
	}
	// Other keys and no key are separate alerts.
	if _, isNew, _ := al.Raise(ctx(t), alert("al-4", "k2", at(0))); !isNew {
		t.Fatal("other key merged")
	}
	for _, id := range []string{"al-5", "al-6"} {
		if _, isNew, err := al.Raise(ctx(t), alert(id, "", at(0))); err != nil || !isNew {
			t.Fatalf("no key: new %v err %v", isNew, err)
		}
	}
	// Acknowledged is still open.
	_, err = al.SetState(ctx(t), "al-1", store.AlertAcknowledged, store.AlertComment{Author: "ann"})
	must(t, err)
	if got, isNew, _ := al.Raise(ctx(t), alert("al-7", "k1", at(2*time.Minute))); isNew || got.Count != 4 {
		t.Fatalf("acknowledged alert not counted: new %v count %d", isNew, got.Count)
	}
	// Once resolved, the key opens a new alert.
	_, err = al.SetState(ctx(t), "al-1", store.AlertResolved, store.AlertComment{Author: "ann", Text: "fixed"})
	must(t, err)
	got, isNew, err = al.Raise(ctx(t), alert("al-8", "k1", at(3*time.Minute)))
	must(t, err)
	if !isNew || got.ID != "al-8" || got.Count != 1 {
		t.Fatalf("after resolve: new %v id %s count %d", isNew, got.ID, got.Count)
	}
	old, err := al.Get(ctx(t), "al-1")
	must(t, err)
	if old.State != store.AlertResolved || old.Count != 4 {
		t.Fatalf("resolved alert changed: %s count %d", old.State, old.Count)
	}
	// Reopening the old one while a new one is open conflicts.
	_, err = al.SetState(ctx(t), "al-1", store.AlertNew, store.AlertComment{Author: "ann"})
	wantErr(t, "reopen duplicate", err, store.ErrConflict)
}

func testAlertDedupConcurrent(t *testing.T, s store.Store) {
	const workers = 12
	news := countNew(t, workers, func(i int) (bool, error) {
		_, isNew, err := s.Alerts().Raise(ctx(t), alert(fmt.Sprintf("al-%d", i), "same", at(0)))
		return isNew, err
	})
	list, _, err := s.Alerts().List(ctx(t), store.AlertFilter{})
	must(t, err)
	if news != 1 || len(list) != 1 {
		t.Fatalf("%d new and %d alerts, want 1 and 1", news, len(list))
	}
	if list[0].Count != workers {
		t.Fatalf("count %d, want %d", list[0].Count, workers)
	}
}
