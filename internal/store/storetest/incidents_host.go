package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Rule of the host alerts of the cases: an agent gone silent.
const agentLostRule = "vigil.agent.lost"

// agentLost is a host alert of agentID on hostname, created and last seen
// at when.
func agentLost(id, agentID, hostname string, when time.Time) store.Alert {
	a := hostAlert(id, agentID, hostname, agentLostRule, store.SeverityHigh, when)
	a.Title, a.Techniques = "Agent lost: "+hostname, []string{"T1562.001", "T1529"}
	return a
}

// attachHost attaches a host alert with a one-hour window, failing on
// error.
func attachHost(t *testing.T, s store.Store, alertID string, when time.Time, entities ...store.Entity) (store.Incident, bool) {
	t.Helper()
	inc, isNew, err := s.Incidents().Attach(ctx(t), store.Join{
		AlertID: alertID, Entities: entities, Window: time.Hour, Title: "Host incident of " + alertID,
		At: when, SameHost: true,
	})
	must(t, err)
	return inc, isNew
}

func testIncidentAttachSameHost(t *testing.T, s store.Store) {
	// A reverse shell, then the agent goes silent: one incident.
	raise(t, s, hostAlert("al-shell", "agent-1", "web-01", "lnx_shell_reverse", store.SeverityMedium, at(0)))
	shell, _ := attach(t, s, "al-shell", at(time.Second), attackerIP, shellProc)
	raise(t, s, agentLost("al-lost", "agent-1", "web-01", at(5*time.Minute)))
	inc, isNew := attachHost(t, s, "al-lost", at(5*time.Minute+time.Second))
	if isNew || inc.ID != shell.ID {
		t.Fatalf("lost agent: new %v incident %s, want the reverse shell's %s", isNew, inc.ID, shell.ID)
	}
	want := shell
	want.Severity = store.SeverityHigh
	want.Techniques = []string{"T1059.004", "T1562.001", "T1529"}
	want.RuleIDs = []string{"lnx_shell_reverse", agentLostRule}
	want.AlertCount = 2
	want.LastSeen, want.UpdatedAt = stored(at(5*time.Minute)), stored(at(5*time.Minute+time.Second))
	diff(t, "joined by host", want, inc)
	wantIncident(t, s, "Get", inc.ID, want)
	if got := alertIncident(t, s, "al-lost"); got != shell.ID {
		t.Fatalf("host alert in incident %q, want %q", got, shell.ID)
	}

	// Another host: an incident of its own, titled by the join.
	raise(t, s, agentLost("al-other", "agent-2", "db-01", at(6*time.Minute)))
	other, isNew := attachHost(t, s, "al-other", at(6*time.Minute))
	if !isNew || other.ID == shell.ID || other.Title != "Host incident of al-other" ||
		!slices.Equal(other.AgentIDs, []string{"agent-2"}) || len(other.Entities) != 0 {
		t.Fatalf("host alert of another host: new %v %+v", isNew, other)
	}
}

func testIncidentAttachSameHostChoice(t *testing.T, s store.Store) {
	// Outside the window: a new incident.
	raise(t, s, hostAlert("al-old", "agent-1", "web-01", "r", store.SeverityLow, at(0)))
	old, _ := attach(t, s, "al-old", at(0), shellProc)
	raise(t, s, agentLost("al-late", "agent-1", "web-01", at(time.Hour+time.Microsecond)))
	late, isNew := attachHost(t, s, "al-late", at(time.Hour+time.Microsecond))
	if !isNew || late.ID == old.ID {
		t.Fatalf("host alert just past the window joined %s", late.ID)
	}
	// The window includes its start.
	raise(t, s, hostAlert("al-edge", "agent-2", "db-01", "r", store.SeverityLow, at(0)))
	edge, _ := attach(t, s, "al-edge", at(0), deployUser)
	raise(t, s, agentLost("al-edge-lost", "agent-2", "db-01", at(time.Hour)))
	if got, _ := attachHost(t, s, "al-edge-lost", at(time.Hour)); got.ID != edge.ID {
		t.Fatalf("host alert at the window's edge went to %s, want %s", got.ID, edge.ID)
	}

	// A closed incident is not joined; the open one of the host is,
	// however much older.
	raise(t, s, hostAlert("al-a", "agent-3", "app-01", "r", store.SeverityLow, at(0)))
	open, _ := attach(t, s, "al-a", at(0), ent(store.EntityDomain, "a.example"))
	raise(t, s, hostAlert("al-b", "agent-3", "app-01", "r", store.SeverityLow, at(10*time.Minute)))
	closed, _ := attach(t, s, "al-b", at(10*time.Minute), ent(store.EntityDomain, "b.example"))
	for _, state := range []store.IncidentState{store.IncidentResolved, store.IncidentFalsePositive} {
		_, err := s.Incidents().SetState(ctx(t), closed.ID, state, "", store.IncidentComment{Author: "ann"})
		must(t, err)
		id := "al-lost-" + string(state)
		raise(t, s, agentLost(id, "agent-3", "app-01", at(20*time.Minute)))
		if got, _ := attachHost(t, s, id, at(20*time.Minute)); got.ID != open.ID {
			t.Fatalf("host alert with a %s incident went to %s, want the open %s", state, got.ID, open.ID)
		}
	}
	raise(t, s, hostAlert("al-c", "agent-4", "app-02", "r", store.SeverityLow, at(0)))
	onlyClosed, _ := attach(t, s, "al-c", at(0), ent(store.EntityDomain, "c.example"))
	_, err := s.Incidents().SetState(ctx(t), onlyClosed.ID, store.IncidentResolved, "", store.IncidentComment{Author: "ann"})
	must(t, err)
	raise(t, s, agentLost("al-c-lost", "agent-4", "app-02", at(time.Minute)))
	if got, isNew := attachHost(t, s, "al-c-lost", at(time.Minute)); !isNew {
		t.Fatalf("host alert joined the resolved incident %s", got.ID)
	}

	// Of two open incidents of the host, the most recently seen; one
	// sharing an entity beats both.
	raise(t, s, hostAlert("al-x", "agent-5", "app-03", "r", store.SeverityLow, at(0)))
	older, _ := attach(t, s, "al-x", at(0), attackerIP)
	raise(t, s, hostAlert("al-y", "agent-5", "app-03", "r", store.SeverityLow, at(10*time.Minute)))
	recent, _ := attach(t, s, "al-y", at(10*time.Minute), dropper)
	raise(t, s, agentLost("al-y-lost", "agent-5", "app-03", at(15*time.Minute)))
	if got, _ := attachHost(t, s, "al-y-lost", at(15*time.Minute)); got.ID != recent.ID {
		t.Fatalf("host alert went to %s, want the most recent %s (older %s)", got.ID, recent.ID, older.ID)
	}
	uninstalled := agentLost("al-x-gone", "agent-5", "app-03", at(16*time.Minute))
	uninstalled.RuleID, uninstalled.DedupKey = "vigil.agent.uninstalled", ""
	raise(t, s, uninstalled)
	if got, _ := attachHost(t, s, "al-x-gone", at(16*time.Minute), attackerIP); got.ID != older.ID {
		t.Fatalf("host alert sharing an entity went to %s, want %s", got.ID, older.ID)
	}

	// An incident the host joined through a shared entity involves it;
	// a host no incident involves gets its own.
	raise(t, s, hostAlert("al-m", "agent-6", "lb-01", "r", store.SeverityLow, at(0)))
	multi, _ := attach(t, s, "al-m", at(0), ent(store.EntityIP, "198.51.100.9"))
	raise(t, s, hostAlert("al-n", "agent-7", "lb-02", "r", store.SeverityLow, at(time.Minute)))
	if got, _ := attach(t, s, "al-n", at(time.Minute), ent(store.EntityIP, "198.51.100.9")); got.ID != multi.ID {
		t.Fatalf("fixture: second host went to %s", got.ID)
	}
	raise(t, s, agentLost("al-n-lost", "agent-7", "lb-02", at(2*time.Minute)))
	if got, _ := attachHost(t, s, "al-n-lost", at(2*time.Minute)); got.ID != multi.ID {
		t.Fatalf("host alert of a joined host went to %s, want %s", got.ID, multi.ID)
	}
	raise(t, s, agentLost("al-z-lost", "agent-8", "lb-03", at(2*time.Minute)))
	if got, isNew := attachHost(t, s, "al-z-lost", at(2*time.Minute)); !isNew {
		t.Fatalf("host alert of an uninvolved host joined %s", got.ID)
	}

	// No window: any age. No agent: no host to join by.
	raise(t, s, agentLost("al-ancient", "agent-1", "web-01", at(30*time.Hour)))
	inc, isNew, err := s.Incidents().Attach(ctx(t), store.Join{AlertID: "al-ancient", SameHost: true, At: at(30 * time.Hour)})
	must(t, err)
	if isNew || inc.ID != late.ID {
		t.Fatalf("host alert without a window: new %v incident %s, want the host's most recent %s", isNew, inc.ID, late.ID)
	}
	hostless := agentLost("al-hostless", "", "", at(0))
	raise(t, s, hostless)
	if got, isNew := attachHost(t, s, "al-hostless", at(0)); !isNew || len(got.AgentIDs) != 0 {
		t.Fatalf("host alert without an agent: new %v %+v", isNew, got)
	}
}

func testIncidentAttachHostAlertFirst(t *testing.T, s store.Store) {
	// The agent's loss is attached first: an alert of its host that
	// shares no entity with an incident joins it all the same.
	raise(t, s, agentLost("al-lost", "agent-1", "web-01", at(0)))
	lost, _ := attachHost(t, s, "al-lost", at(0))
	raise(t, s, hostAlert("al-shell", "agent-1", "web-01", "lnx_shell_reverse", store.SeverityMedium, at(-2*time.Minute)))
	got, isNew := attach(t, s, "al-shell", at(time.Minute), attackerIP, shellProc)
	if isNew || got.ID != lost.ID {
		t.Fatalf("alert after its host's alert: new %v incident %s, want %s", isNew, got.ID, lost.ID)
	}
	want := lost
	want.Techniques = []string{"T1562.001", "T1529", "T1059.004"}
	want.RuleIDs = []string{agentLostRule, "lnx_shell_reverse"}
	want.Entities = []store.Entity{attackerIP, shellProc}
	want.AlertCount = 2
	want.FirstSeen, want.UpdatedAt = stored(at(-2*time.Minute)), stored(at(time.Minute))
	diff(t, "joined through the host alert", want, got)

	// Within the window of the host alert's sighting, not of the
	// incident's: a chain of alerts on the host does not stretch it.
	raise(t, s, hostAlert("al-cron", "agent-1", "web-01", "lnx_cron_persistence", store.SeverityLow, at(50*time.Minute)))
	if got, _ := attach(t, s, "al-cron", at(50*time.Minute), dropper); got.ID != lost.ID {
		t.Fatalf("alert within the host alert's window went to %s", got.ID)
	}
	raise(t, s, hostAlert("al-later", "agent-1", "web-01", "r", store.SeverityLow, at(time.Hour+time.Microsecond)))
	later, isNew := attach(t, s, "al-later", at(time.Hour+time.Microsecond), deployUser)
	if !isNew {
		t.Fatalf("alert past the host alert's window joined %s (seen at 50m)", later.ID)
	}
	// Another host, or no host: nothing to join by.
	raise(t, s, hostAlert("al-db", "agent-2", "db-01", "r", store.SeverityLow, at(time.Minute)))
	if got, isNew := attach(t, s, "al-db", at(time.Minute), ent(store.EntityDomain, "db.example")); !isNew {
		t.Fatalf("alert of another host joined %s", got.ID)
	}
	raise(t, s, hostAlert("al-none", "", "", "r", store.SeverityLow, at(time.Minute)))
	if got, isNew := attach(t, s, "al-none", at(time.Minute)); !isNew {
		t.Fatalf("alert without a host joined %s", got.ID)
	}

	// Without a host alert, alerts of one host sharing no entity stay
	// apart, as they always did; an entity still beats the host alert.
	raise(t, s, hostAlert("al-d1", "agent-3", "app-01", "r", store.SeverityLow, at(0)))
	d1, _ := attach(t, s, "al-d1", at(0), ent(store.EntityDomain, "d1.example"))
	raise(t, s, hostAlert("al-d2", "agent-3", "app-01", "r", store.SeverityLow, at(time.Minute)))
	if got, isNew := attach(t, s, "al-d2", at(time.Minute), ent(store.EntityDomain, "d2.example")); !isNew {
		t.Fatalf("alert joined %s by host alone (first %s)", got.ID, d1.ID)
	}
	raise(t, s, agentLost("al-d-lost", "agent-3", "app-01", at(2*time.Minute)))
	dLost, _ := attachHost(t, s, "al-d-lost", at(2*time.Minute))
	raise(t, s, hostAlert("al-d3", "agent-3", "app-01", "r", store.SeverityLow, at(3*time.Minute)))
	if got, _ := attach(t, s, "al-d3", at(3*time.Minute), ent(store.EntityDomain, "d1.example")); got.ID != d1.ID {
		t.Fatalf("alert sharing an entity went to %s, want %s (host alert in %s)", got.ID, d1.ID, dLost.ID)
	}

	// A host alert's incident, once closed, draws nothing.
	raise(t, s, agentLost("al-gone", "agent-4", "app-02", at(0)))
	gone, _ := attachHost(t, s, "al-gone", at(0))
	_, err := s.Incidents().SetState(ctx(t), gone.ID, store.IncidentResolved, "", store.IncidentComment{Author: "ann"})
	must(t, err)
	raise(t, s, hostAlert("al-after", "agent-4", "app-02", "r", store.SeverityLow, at(time.Minute)))
	if got, isNew := attach(t, s, "al-after", at(time.Minute), ent(store.EntityDomain, "after.example")); !isNew {
		t.Fatalf("alert joined the resolved host incident %s", got.ID)
	}
}

func testIncidentAttachHostAlertRepeat(t *testing.T, s store.Store) {
	raise(t, s, hostAlert("al-shell", "agent-1", "web-01", "lnx_shell_reverse", store.SeverityMedium, at(0)))
	shell, _ := attach(t, s, "al-shell", at(0), shellProc)
	lost := agentLost("al-lost", "agent-1", "web-01", at(time.Minute))
	lost.DedupKey = agentLostRule + ":agent-1"
	raise(t, s, lost)
	inc, _ := attachHost(t, s, "al-lost", at(time.Minute))
	if inc.ID != shell.ID {
		t.Fatalf("host alert went to %s, want %s", inc.ID, shell.ID)
	}
	// Lost again two hours later: the repeat keeps its incident, counted
	// once, though the window has long passed.
	again := agentLost("al-lost-again", "agent-1", "web-01", at(3*time.Hour))
	again.DedupKey = lost.DedupKey
	repeat, isNew, err := s.Alerts().Raise(ctx(t), again)
	must(t, err)
	if isNew || repeat.ID != "al-lost" || repeat.IncidentID != shell.ID {
		t.Fatalf("repeat: new %v id %s incident %q", isNew, repeat.ID, repeat.IncidentID)
	}
	got, isNew := attachHost(t, s, repeat.ID, at(3*time.Hour))
	if isNew || got.ID != shell.ID || got.AlertCount != 2 || !got.LastSeen.Equal(stored(at(3*time.Hour))) {
		t.Fatalf("repeat attached: new %v %s count %d last seen %v", isNew, got.ID, got.AlertCount, got.LastSeen)
	}
	// The repeat's sighting is the host alert's: an alert of the host
	// sharing no entity, within the window of the repeat (not of the
	// first sighting), joins.
	raise(t, s, hostAlert("al-next", "agent-1", "web-01", "r", store.SeverityLow, at(3*time.Hour+50*time.Minute)))
	if got, _ := attach(t, s, "al-next", at(3*time.Hour+50*time.Minute), dropper); got.ID != shell.ID {
		t.Fatalf("alert after the repeat went to %s, want %s", got.ID, shell.ID)
	}
}

func testIncidentAttachHostConcurrent(t *testing.T, s store.Store) {
	// A detection alert and a host alert of one host, attached at once,
	// again and again on fresh hosts: whichever goes first, one incident.
	const rounds = 40
	for r := range rounds {
		agentID := fmt.Sprintf("agent-%02d", r)
		when := at(time.Duration(r) * time.Minute)
		shellID, lostID := "al-shell-"+agentID, "al-lost-"+agentID
		raise(t, s, hostAlert(shellID, agentID, "web-"+agentID, "lnx_shell_reverse", store.SeverityMedium, when))
		raise(t, s, agentLost(lostID, agentID, "web-"+agentID, when.Add(time.Second)))
		joins := []store.Join{
			{AlertID: shellID, Window: time.Hour, At: when, Entities: []store.Entity{
				ent(store.EntityProcess, agentID+":812:1773451613"), ent(store.EntityIP, fmt.Sprintf("203.0.113.%d", r)),
			}},
			{AlertID: lostID, Window: time.Hour, At: when, SameHost: true},
		}
		var ready sync.WaitGroup
		ready.Add(len(joins))
		ids := make([]string, len(joins))
		news := countNew(t, len(joins), func(i int) (bool, error) {
			ready.Done()
			ready.Wait()
			inc, isNew, err := s.Incidents().Attach(ctx(t), joins[i])
			ids[i] = inc.ID
			return isNew, err
		})
		if news != 1 || ids[0] != ids[1] {
			t.Fatalf("round %d: %d new incidents, alerts in %q and %q, want 1 and one incident", r, news, ids[0], ids[1])
		}
		list, _, err := s.Incidents().List(ctx(t), store.IncidentFilter{AgentID: agentID})
		must(t, err)
		if len(list) != 1 || list[0].AlertCount != 2 || len(list[0].Entities) != 2 {
			t.Fatalf("round %d: incidents of the host %+v, want one with both alerts", r, list)
		}
		for _, id := range []string{shellID, lostID} {
			if got := alertIncident(t, s, id); got != list[0].ID {
				t.Fatalf("round %d: alert %s in %q, want %q", r, id, got, list[0].ID)
			}
		}
	}
}
