package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var incidentCases = []testCase{
	{"Incidents/AttachNew", testIncidentAttachNew},
	{"Incidents/AttachJoin", testIncidentAttachJoin},
	{"Incidents/AttachTwice", testIncidentAttachTwice},
	{"Incidents/AttachChoice", testIncidentAttachChoice},
	{"Incidents/AttachWindow", testIncidentAttachWindow},
	{"Incidents/AttachClosed", testIncidentAttachClosed},
	{"Incidents/AttachBounds", testIncidentAttachBounds},
	{"Incidents/AttachErrors", testIncidentAttachErrors},
	{"Incidents/AttachConcurrent", testIncidentAttachConcurrent},
	{"Incidents/AttachConcurrentSameAlert", testIncidentAttachConcurrentSameAlert},
	{"Incidents/AttachSameHost", testIncidentAttachSameHost},
	{"Incidents/AttachSameHostChoice", testIncidentAttachSameHostChoice},
	{"Incidents/AttachHostAlertFirst", testIncidentAttachHostAlertFirst},
	{"Incidents/AttachHostAlertRepeat", testIncidentAttachHostAlertRepeat},
	{"Incidents/AttachHostConcurrent", testIncidentAttachHostConcurrent},
	{"Incidents/SetState", testIncidentSetState},
	{"Incidents/List", testIncidentList},
	{"Incidents/Alerts", testIncidentAlerts},
}

// ent is an entity.
func ent(kind, value string) store.Entity { return store.Entity{Kind: kind, Value: value} }

// Entities the cases share.
var (
	attackerIP = ent(store.EntityIP, "203.0.113.7")
	shellProc  = ent(store.EntityProcess, "agent-1:812:1773451613")
	deployUser = ent(store.EntityUser, "deploy@web-01")
	dropper    = ent(store.EntityFileHash, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
)

// raise stores a and returns it as stored.
func raise(t *testing.T, s store.Store, a store.Alert) store.Alert {
	t.Helper()
	got, _, err := s.Alerts().Raise(ctx(t), a)
	must(t, err)
	return got
}

// hostAlert is an alert of rule on agent, created and last seen at when.
func hostAlert(id, agentID, hostname, rule string, sev store.Severity, when time.Time) store.Alert {
	a := alert(id, "", when)
	a.AgentID, a.Hostname, a.RuleID, a.Severity = agentID, hostname, rule, sev
	return a
}

// attach attaches an alert with a one-hour window, failing on error.
func attach(t *testing.T, s store.Store, alertID string, when time.Time, entities ...store.Entity) (store.Incident, bool) {
	t.Helper()
	inc, isNew, err := s.Incidents().Attach(ctx(t), store.Join{
		AlertID: alertID, Entities: entities, Window: time.Hour, Title: "Incident of " + alertID, At: when,
	})
	must(t, err)
	return inc, isNew
}

// wantIncident fails unless the stored incident id is want.
func wantIncident(t *testing.T, s store.Store, what, id string, want store.Incident) {
	t.Helper()
	got, err := s.Incidents().Get(ctx(t), id)
	must(t, err)
	diff(t, what, want, got)
}

// alertIncident returns the incident the alert is in.
func alertIncident(t *testing.T, s store.Store, alertID string) string {
	t.Helper()
	a, err := s.Alerts().Get(ctx(t), alertID)
	must(t, err)
	return a.IncidentID
}

func testIncidentAttachNew(t *testing.T, s store.Store) {
	a := raise(t, s, hostAlert("al-1", "agent-1", "web-01", "lnx_shell_reverse", store.SeverityMedium, at(0)))
	inc, isNew, err := s.Incidents().Attach(ctx(t), store.Join{
		AlertID: "al-1", Entities: []store.Entity{attackerIP, shellProc}, Window: time.Hour,
		Title: "Reverse shell on web-01", At: at(time.Second),
	})
	must(t, err)
	if !isNew || inc.ID == "" {
		t.Fatalf("first Attach: new %v id %q", isNew, inc.ID)
	}
	want := store.Incident{
		ID: inc.ID, Title: "Reverse shell on web-01", Severity: store.SeverityMedium, State: store.IncidentOpen,
		AgentIDs: []string{"agent-1"}, Hostnames: []string{"web-01"}, Techniques: []string{"T1059.004"},
		RuleIDs: []string{"lnx_shell_reverse"}, Entities: []store.Entity{attackerIP, shellProc}, AlertCount: 1,
		FirstSeen: stored(at(0)), LastSeen: stored(at(0)), CreatedAt: stored(at(time.Second)),
		UpdatedAt: stored(at(time.Second)), Comments: []store.IncidentComment{},
	}
	diff(t, "Attach", want, inc)
	wantIncident(t, s, "Get", inc.ID, want)
	wantUTC(t, "Attach", inc.FirstSeen, inc.LastSeen, inc.CreatedAt, inc.UpdatedAt)

	a.IncidentID = inc.ID
	got, err := s.Alerts().Get(ctx(t), "al-1")
	must(t, err)
	diff(t, "attached alert", a, got)

	// No title: the alert's; no entities: an incident of its own; a zero
	// time: now.
	before := time.Now().Add(-time.Second)
	raise(t, s, hostAlert("al-2", "agent-1", "web-01", "lnx_cron_persistence", store.SeverityLow, at(0)))
	other, isNew, err := s.Incidents().Attach(ctx(t), store.Join{AlertID: "al-2"})
	must(t, err)
	if !isNew || other.ID == inc.ID || other.Title != "Reverse shell" || other.Entities == nil ||
		len(other.Entities) != 0 || other.CreatedAt.Before(before) || !other.UpdatedAt.Equal(other.CreatedAt) {
		t.Fatalf("bare Attach: new %v %+v", isNew, other)
	}
	raise(t, s, hostAlert("al-3", "agent-1", "web-01", "lnx_cron_persistence", store.SeverityLow, at(0)))
	if third, isNew := attach(t, s, "al-3", at(0)); !isNew || third.ID == other.ID {
		t.Fatalf("alert without entities joined incident %s", third.ID)
	}

	// Raise ignores an incident it is given.
	given := hostAlert("al-4", "agent-1", "web-01", "r", store.SeverityLow, at(0))
	given.IncidentID = inc.ID
	if got := raise(t, s, given); got.IncidentID != "" {
		t.Fatalf("Raise kept incident %q", got.IncidentID)
	}
}

func testIncidentAttachJoin(t *testing.T, s store.Store) {
	raise(t, s, hostAlert("al-1", "agent-1", "web-01", "lnx_shell_reverse", store.SeverityMedium, at(0)))
	first, _ := attach(t, s, "al-1", at(time.Second), attackerIP, shellProc)

	// Another host, older creation, later sighting, more severe; entities
	// repeated or empty are dropped.
	a2 := hostAlert("al-2", "agent-2", "db-01", "lnx_ssh_lateral", store.SeverityCritical, at(-time.Minute))
	a2.LastSeen = at(10 * time.Minute)
	a2.Techniques = []string{"T1021.004", "T1059.004"}
	raise(t, s, a2)
	inc, isNew := attach(t, s, "al-2", at(11*time.Minute), attackerIP, deployUser, attackerIP, ent("", "x"), ent(store.EntityIP, ""))
	if isNew || inc.ID != first.ID {
		t.Fatalf("second alert: new %v incident %s, want %s", isNew, inc.ID, first.ID)
	}
	want := first
	want.Severity = store.SeverityCritical
	want.AgentIDs = []string{"agent-1", "agent-2"}
	want.Hostnames = []string{"web-01", "db-01"}
	want.Techniques = []string{"T1059.004", "T1021.004"}
	want.RuleIDs = []string{"lnx_shell_reverse", "lnx_ssh_lateral"}
	want.Entities = []store.Entity{attackerIP, shellProc, deployUser}
	want.AlertCount = 2
	want.FirstSeen, want.LastSeen, want.UpdatedAt = stored(at(-time.Minute)), stored(at(10*time.Minute)), stored(at(11*time.Minute))
	diff(t, "joined", want, inc)
	wantIncident(t, s, "Get", inc.ID, want)

	// A milder alert of the first host changes neither severity nor hosts;
	// one without a hostname adds none.
	a3 := hostAlert("al-3", "agent-1", "", "lnx_shell_reverse", store.SeverityLow, at(5*time.Minute))
	raise(t, s, a3)
	inc, _ = attach(t, s, "al-3", at(12*time.Minute), shellProc)
	want.AlertCount, want.UpdatedAt = 3, stored(at(12*time.Minute))
	diff(t, "third alert", want, inc)

	for _, id := range []string{"al-1", "al-2", "al-3"} {
		if got := alertIncident(t, s, id); got != inc.ID {
			t.Errorf("alert %s in incident %q, want %q", id, got, inc.ID)
		}
	}
	list, _, err := s.Incidents().List(ctx(t), store.IncidentFilter{AgentID: "agent-2"})
	must(t, err)
	diff(t, "incidents of the second host", []store.Incident{want}, list)
}

func testIncidentAttachTwice(t *testing.T, s store.Store) {
	raise(t, s, alert("al-1", "k1", at(0)))
	inc, _ := attach(t, s, "al-1", at(time.Second), attackerIP)
	// Again, with more entities, another title and later: same incident,
	// one alert.
	again, isNew, err := s.Incidents().Attach(ctx(t), store.Join{
		AlertID: "al-1", Entities: []store.Entity{attackerIP, dropper}, Window: time.Hour, Title: "other", At: at(time.Minute),
	})
	must(t, err)
	want := inc
	want.Entities = []store.Entity{attackerIP, dropper}
	want.UpdatedAt = stored(at(time.Minute))
	if isNew {
		t.Fatal("second Attach of one alert is new")
	}
	diff(t, "attached twice", want, again)

	// A repeat of the alert (dedup) keeps its incident and moves its last
	// sighting; attached again, it moves the incident's.
	repeat, isNew, err := s.Alerts().Raise(ctx(t), alert("al-2", "k1", at(30*time.Minute)))
	must(t, err)
	if isNew || repeat.ID != "al-1" || repeat.IncidentID != inc.ID {
		t.Fatalf("repeat: new %v id %s incident %q", isNew, repeat.ID, repeat.IncidentID)
	}
	again, _ = attach(t, s, "al-1", at(31*time.Minute), attackerIP)
	want.LastSeen, want.UpdatedAt = stored(at(30*time.Minute)), stored(at(31*time.Minute))
	diff(t, "after repeat", want, again)

	// An alert already in an incident stays there, even once it is closed
	// and another incident shares more of its entities.
	_, err = s.Incidents().SetState(ctx(t), inc.ID, store.IncidentResolved, "", store.IncidentComment{At: at(time.Hour), Author: "ann"})
	must(t, err)
	raise(t, s, alert("al-3", "", at(time.Hour)))
	other, isNew := attach(t, s, "al-3", at(time.Hour), attackerIP, dropper, deployUser)
	if !isNew {
		t.Fatal("alert joined a resolved incident")
	}
	again, isNew = attach(t, s, "al-1", at(2*time.Hour), attackerIP, dropper, deployUser)
	if isNew || again.ID != inc.ID || again.AlertCount != 1 || again.State != store.IncidentResolved {
		t.Fatalf("alert of a resolved incident: new %v %s count %d state %s (other %s)",
			isNew, again.ID, again.AlertCount, again.State, other.ID)
	}
}

func testIncidentAttachChoice(t *testing.T, s store.Store) {
	a := attackerIP
	b := deployUser
	c := dropper
	add := func(id string, created time.Duration, entities ...store.Entity) store.Incident {
		t.Helper()
		raise(t, s, alert(id, "", at(created)))
		inc, _ := attach(t, s, id, at(created), entities...)
		return inc
	}
	i1 := add("al-1", 0, a, b)        // I1 {a, b} seen 0
	i2 := add("al-2", time.Minute, c) // I2 {c} seen 1m
	if i1.ID == i2.ID {
		t.Fatal("unrelated alerts joined")
	}
	// Shares one with each: the most recently seen wins.
	if got := add("al-3", 3*time.Minute, c, a); got.ID != i2.ID {
		t.Fatalf("tie went to %s, want the most recent %s", got.ID, i2.ID)
	}
	// I2 {c, a} seen 3m. Two shared beat recency.
	if got := add("al-4", 30*time.Second, a, b); got.ID != i1.ID {
		t.Fatalf("alert sharing two went to %s, want %s", got.ID, i1.ID)
	}
	// I1 seen 30s, I2 3m: one shared each, the most recent wins.
	if got := add("al-5", 4*time.Minute, a); got.ID != i2.ID {
		t.Fatalf("tie went to %s, want the most recent %s", got.ID, i2.ID)
	}
	// Counting shared entities, not alerts: I2 holds a and c, I1 a and b.
	if got := add("al-6", 5*time.Minute, b, a); got.ID != i1.ID {
		t.Fatalf("alert sharing two with I1 went to %s, want %s", got.ID, i1.ID)
	}
	for id, want := range map[string]string{"al-1": i1.ID, "al-2": i2.ID, "al-3": i2.ID, "al-4": i1.ID, "al-5": i2.ID, "al-6": i1.ID} {
		if got := alertIncident(t, s, id); got != want {
			t.Errorf("alert %s in %s, want %s", id, got, want)
		}
	}
}

func testIncidentAttachWindow(t *testing.T, s store.Store) {
	join := func(id string, when time.Time, window time.Duration, e store.Entity) store.Incident {
		t.Helper()
		raise(t, s, alert(id, "", when))
		inc, _, err := s.Incidents().Attach(ctx(t), store.Join{AlertID: id, Entities: []store.Entity{e}, Window: window, At: when})
		must(t, err)
		return inc
	}
	i1 := join("al-1", at(0), time.Hour, attackerIP)
	i2 := join("al-2", at(2*time.Hour), time.Hour, attackerIP)
	if i2.ID == i1.ID {
		t.Fatal("alert joined an incident last seen before its window")
	}
	// A late alert within both windows: the most recently seen.
	if got := join("al-3", at(30*time.Minute), time.Hour, attackerIP); got.ID != i2.ID {
		t.Fatalf("late alert went to %s, want %s", got.ID, i2.ID)
	}
	// No window: any age.
	if got := join("al-4", at(10*time.Hour), 0, attackerIP); got.ID != i2.ID {
		t.Fatalf("alert without window went to %s, want %s", got.ID, i2.ID)
	}
	// The window includes its start.
	i3 := join("al-5", at(20*time.Hour), time.Hour, dropper)
	if got := join("al-6", at(21*time.Hour), time.Hour, dropper); got.ID != i3.ID {
		t.Fatalf("alert at the window's edge went to %s, want %s", got.ID, i3.ID)
	}
	i4 := join("al-7", at(22*time.Hour+time.Microsecond), time.Hour, dropper)
	if i4.ID == i3.ID {
		t.Fatal("alert just past the window joined")
	}
	// The alert's last sighting, not its creation, places it.
	late := alert("al-8", "", at(22*time.Hour))
	late.LastSeen = at(25 * time.Hour)
	raise(t, s, late)
	if inc, isNew := attach(t, s, "al-8", at(25*time.Hour), dropper); !isNew {
		t.Fatalf("alert last seen 3h after the incident joined %s (%s)", inc.ID, i4.ID)
	}
}

func testIncidentAttachClosed(t *testing.T, s store.Store) {
	is := s.Incidents()
	raise(t, s, alert("al-1", "", at(0)))
	i1, _ := attach(t, s, "al-1", at(0), attackerIP)
	_, err := is.SetState(ctx(t), i1.ID, store.IncidentInvestigating, "ann", store.IncidentComment{Author: "ann"})
	must(t, err)
	raise(t, s, alert("al-2", "", at(time.Minute)))
	if got, _ := attach(t, s, "al-2", at(time.Minute), attackerIP); got.ID != i1.ID {
		t.Fatalf("alert did not join the incident under investigation")
	}
	var last string
	for i, state := range []store.IncidentState{store.IncidentResolved, store.IncidentFalsePositive} {
		id := fmt.Sprintf("al-%d", i+3)
		prev := i1.ID
		if last != "" {
			prev = last
		}
		_, err := is.SetState(ctx(t), prev, state, "", store.IncidentComment{Author: "ann"})
		must(t, err)
		raise(t, s, alert(id, "", at(2*time.Minute)))
		got, isNew := attach(t, s, id, at(2*time.Minute), attackerIP)
		if !isNew || got.ID == prev {
			t.Fatalf("alert joined a %s incident", state)
		}
		last = got.ID
	}
}

func testIncidentAttachBounds(t *testing.T, s store.Store) {
	many := func(prefix string, n int) []store.Entity {
		out := make([]store.Entity, n)
		for i := range out {
			out[i] = ent(store.EntityIP, fmt.Sprintf("%s.%d.%d", prefix, i/256, i%256))
		}
		return out
	}
	first := many("10.0", 600)
	var noisy []store.Entity // repeats and empty ones between them do not count
	for i, e := range first {
		noisy = append(noisy, e)
		if i%50 == 0 {
			noisy = append(noisy, first[0], ent(store.EntityIP, ""))
		}
	}
	raise(t, s, alert("al-1", "", at(0)))
	i1, _ := attach(t, s, "al-1", at(0), noisy...)
	diff(t, "bounded entities", first[:store.MaxIncidentEntities], i1.Entities)

	// Full: a joining alert adds none.
	raise(t, s, alert("al-2", "", at(time.Minute)))
	got, isNew := attach(t, s, "al-2", at(time.Minute), append([]store.Entity{first[0]}, many("10.1", 10)...)...)
	if isNew || got.ID != i1.ID || got.AlertCount != 2 {
		t.Fatalf("alert sharing the first entity: new %v %s count %d", isNew, got.ID, got.AlertCount)
	}
	diff(t, "full entities", first[:store.MaxIncidentEntities], got.Entities)

	// Entities left out do not tie alerts to the incident.
	raise(t, s, alert("al-3", "", at(2*time.Minute)))
	i2, isNew := attach(t, s, "al-3", at(2*time.Minute), first[550], many("10.1", 1)[0])
	if !isNew {
		t.Fatalf("alert sharing only dropped entities joined %s", i2.ID)
	}
	raise(t, s, alert("al-4", "", at(3*time.Minute)))
	if got, _ := attach(t, s, "al-4", at(3*time.Minute), first[499]); got.ID != i1.ID {
		t.Fatalf("alert sharing the last kept entity went to %s, want %s", got.ID, i1.ID)
	}

	// Filling up: the oldest are kept.
	raise(t, s, alert("al-5", "", at(4*time.Minute)))
	more := many("10.2", 600)
	got, _ = attach(t, s, "al-5", at(4*time.Minute), append([]store.Entity{first[550]}, more...)...)
	want := append([]store.Entity{first[550], many("10.1", 1)[0]}, more[:store.MaxIncidentEntities-2]...)
	if got.ID != i2.ID {
		t.Fatalf("alert went to %s, want %s", got.ID, i2.ID)
	}
	diff(t, "filled entities", want, got.Entities)
	raise(t, s, alert("al-6", "", at(5*time.Minute)))
	if got, isNew := attach(t, s, "al-6", at(5*time.Minute), more[store.MaxIncidentEntities-2]); !isNew {
		t.Fatalf("alert sharing an entity past the bound joined %s", got.ID)
	}
}

func testIncidentAttachErrors(t *testing.T, s store.Store) {
	is := s.Incidents()
	_, _, err := is.Attach(ctx(t), store.Join{AlertID: "missing", Entities: []store.Entity{attackerIP}})
	wantErr(t, "Attach missing alert", err, store.ErrNotFound)
	_, _, err = is.Attach(ctx(t), store.Join{Entities: []store.Entity{attackerIP}})
	wantErr(t, "Attach without alert", err, store.ErrInvalid)
	list, _, err := is.List(ctx(t), store.IncidentFilter{})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("failed Attaches left %d incidents", len(list))
	}
	_, err = is.Get(ctx(t), "missing")
	wantErr(t, "Get missing", err, store.ErrNotFound)
}
