package correlate

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// snapshotSpecs has one correlation of each kind of state: checked on
// every match, checked at close, and a chain.
func snapshotSpecs() []Spec {
	fewLogins := Spec{
		ID: "few-logins", Title: "Account with few logins", Type: EventCount, Rules: []string{"ssh_login_success"},
		GroupBy: []string{"user.name"}, Timespan: 10 * time.Minute, Condition: Condition{Op: OpLT, Value: 3},
	}
	return []Spec{bruteForce(Condition{Op: OpGTE, Value: 5}, 10*time.Minute), fewLogins, multipleFailed, failedThenSuccess}
}

// snapshotOf writes e's snapshot.
func snapshotOf(t testing.TB, e *Engine) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := e.Snapshot(&buf); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return buf.Bytes()
}

func TestSnapshotRoundTrip(t *testing.T) {
	before := newEngine(t, snapshotSpecs(), Options{})
	run(t, before, []step{
		fail(1, 0, "root", ipA), fail(2, 10, "root", ipA), fail(3, 20, "root", ipA),
		login(4, 30, "alice", ipB),
	})
	snap := snapshotOf(t, before)

	after := newEngine(t, snapshotSpecs(), Options{})
	if err := after.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if diff := cmp.Diff(stateOf(before), stateOf(after)); diff != "" {
		t.Errorf("restored state (-before +after):\n%s", diff)
	}
	if again := snapshotOf(t, after); !bytes.Equal(snap, again) {
		t.Errorf("snapshot of the restored engine differs:\n%s\n%s", snap, again)
	}
	// The state goes on where it was.
	run(t, after, []step{
		fail(5, 30, "root", ipA),
		fail(6, 40, "root", ipA,
			hitView{Spec: "0e95725d-7320-415d-80f7-004da920fc11", Group: map[string]string{"source.ip": ipA}, Count: 5,
				First: 0, Last: sec(40), IDs: []string{"f1", "f2", "f3", "f5", "f6"}},
			hitView{Spec: "a8418a5a-5fc4-46b5-b23b-6c73beb19d41", Group: map[string]string{"user.name": "root"}, Count: 5,
				First: 0, Last: sec(40), IDs: []string{"f1", "f2", "f3", "f5", "f6"}, Intermediate: true}),
		login(7, 50, "root", ipA, hitView{Spec: "b180ead8-d58f-40b2-ae54-c8940995b9b6", Group: map[string]string{"user.name": "root"},
			Count: 2, Values: []string{"multiple_failed_login", "ssh_login_success"}, First: sec(40), Last: sec(50),
			IDs: []string{"f1", "f2", "f3", "f5", "f6", "s7"}}),
		flushAt(sec(700), hitView{Spec: "few-logins", Group: map[string]string{"user.name": "alice"}, Count: 1,
			First: sec(30), Last: sec(30), IDs: []string{"s4"}}),
	})
}

// stateOf lists every correlation's groups for comparison.
func stateOf(e *Engine) map[string][]string {
	out := map[string][]string{}
	for _, s := range e.specs {
		s.mu.Lock()
		for g := s.recent.next; g != &s.recent; g = g.next {
			var b strings.Builder
			b.WriteString(strings.Join(g.values, "|"))
			for _, en := range g.q.live() {
				b.WriteString(" " + time.Unix(0, en.at).UTC().Format(time.RFC3339) + "/" + en.id + "/" + strings.Join(en.inner, ","))
			}
			out[s.key] = append(out[s.key], b.String())
		}
		s.mu.Unlock()
	}
	return out
}

func TestRestoreKeepsUnchangedSpecs(t *testing.T) {
	before := newEngine(t, snapshotSpecs(), Options{})
	run(t, before, []step{
		fail(1, 0, "root", ipA), fail(2, 10, "root", ipA), login(3, 20, "alice", ipB),
	})
	snap := snapshotOf(t, before)

	specs := snapshotSpecs()
	specs[0].Title, specs[0].Level = "Renamed", "high" // state kept
	specs[1].Timespan = time.Hour                      // changed: dropped
	specs[2].Condition.Value = 4                       // changed: dropped
	specs = append(specs[:3], Spec{ID: "new", Title: "new", Type: EventCount, Rules: []string{"ssh_login_failed"},
		Timespan: time.Minute, Condition: Condition{Op: OpGTE, Value: 9}})
	var logs bytes.Buffer
	after := newEngine(t, specs, Options{Logger: textLogger(&logs)})
	if err := after.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	got := stateOf(after)
	want := map[string][]string{
		"0e95725d-7320-415d-80f7-004da920fc11": {ipA + " 2026-11-29T10:00:00Z/f1/ 2026-11-29T10:00:10Z/f2/"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("restored state (-want +got):\n%s", diff)
	}
	for _, w := range []string{
		`definition changed" correlation=few-logins`,
		`definition changed" correlation=a8418a5a-5fc4-46b5-b23b-6c73beb19d41`,
		`no longer loaded" correlation=b180ead8-d58f-40b2-ae54-c8940995b9b6`,
	} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("log does not say %q:\n%s", w, logs.String())
		}
	}
}

func TestRestoreAppliesLimits(t *testing.T) {
	before := newEngine(t, snapshotSpecs()[:1], Options{})
	run(t, before, []step{
		fail(1, 0, "root", ipA), fail(2, 1, "root", ipB), fail(3, 2, "root", ipC),
		fail(4, 3, "root", ipC), fail(5, 4, "root", ipC),
	})
	after := newEngine(t, snapshotSpecs()[:1], Options{MaxGroups: 2, MaxEntries: 2 * 5 / 2})
	if err := after.Restore(bytes.NewReader(snapshotOf(t, before))); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	st := after.Stats()
	if st.Groups != 2 || st.GroupsEvicted != 1 || st.Entries != 4 {
		t.Errorf("stats %+v, want the 2 most recent groups with 4 entries", st.Counts)
	}
}

func TestRestoreNonUTF8(t *testing.T) {
	before := newEngine(t, snapshotSpecs(), Options{})
	user := "r\xffoo\x00t"
	run(t, before, []step{fail(1, 0, user, ipA), fail(2, 1, user, ipA)})
	after := newEngine(t, snapshotSpecs(), Options{})
	if err := after.Restore(bytes.NewReader(snapshotOf(t, before))); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if diff := cmp.Diff(stateOf(before), stateOf(after)); diff != "" {
		t.Errorf("restored state (-before +after):\n%s", diff)
	}
}

func TestRestoreCorrupt(t *testing.T) {
	source := newEngine(t, snapshotSpecs(), Options{})
	run(t, source, []step{fail(1, 0, "root", ipA), fail(2, 10, "root", ipA), login(3, 20, "alice", ipB)})
	good := string(snapshotOf(t, source))
	lines := strings.SplitAfter(good, "\n")
	header, group, end := lines[0], lines[1], lines[len(lines)-2]
	// one is a snapshot of the group line changed by replacing old with new.
	one := func(old, new string) string {
		if !strings.Contains(group, old) {
			t.Fatalf("group line %s has no %s", group, old)
		}
		return header + strings.Replace(group, old, new, 1) + `{"end":1}` + "\n"
	}
	cases := []struct {
		name string
		data string
		want string
	}{
		{"empty", "", "empty"},
		{"not JSON", "hello\n", "line 1: header"},
		{"other format", strings.Replace(header, snapshotFormat, "other", 1), `format "other"`},
		{"newer version", strings.Replace(header, `"version":1`, `"version":2`, 1), "version 2, this program reads version 1"},
		{"cut in a line", good[:len(good)-len(end)-10], "line"},
		{"no end line", strings.TrimSuffix(good, end), "without its end line"},
		{"wrong count", strings.Replace(good, end, `{"end":7}`+"\n", 1), "end line counts 7 groups"},
		{"data after the end", good + "{}\n", "data after the end line"},
		{"unknown field", one(`{"spec"`, `{"x":1,"spec"`), `unknown field "x"`},
		{"spec index", one(`"spec":0`, `"spec":9`), "the header lists 4"},
		{"rule index", one(`"r":0`, `"r":3`), "rule 3, the correlation has 1"},
		{"out of order", one(`"t":1795946410000000000`, `"t":1795946399000000000`), "entry 1: out of order"},
		{"after newest", one(`"newest":1795946410000000000`, `"newest":1795946400000000000`), "entry 1: time 1795946410000000000 out of range"},
		{"group values", one(`"group":["203.0.113.5"]`, `"group":["a","b"]`), "2 group-by values"},
		{"empty group value", one(`"group":["203.0.113.5"]`, `"group":[""]`), "empty group-by value"},
		{"window on a correlation checked on every match", one(`"newest"`, `"open":true,"newest"`), "window fields"},
		{"group twice", header + group + group + `{"end":2}` + "\n", "listed twice"},
		{"time", one(`"newest":1795946410000000000`, `"newest":-5`), "newest time -5 out of range"},
		{"bad base64", one(`"203.0.113.5"`, `{"base64":"!!"}`), "base64"},
		{"number too large", one(`"t":1795946400000000000`, `"t":1e30`), "t"},
		{"huge line", header + strings.Repeat("x", maxSnapshotLine+1) + "\n", "longer than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t, snapshotSpecs(), Options{})
			run(t, e, []step{fail(1, 0, "root", ipB)})
			err := e.Restore(strings.NewReader(c.data))
			if !errors.Is(err, ErrCorruptSnapshot) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Restore: %v, want a corrupt snapshot error containing %q", err, c.want)
			}
			if st := e.Stats(); st.Groups != 0 {
				t.Errorf("%d groups after a failed restore, want none", st.Groups)
			}
		})
	}
}

func FuzzRestore(f *testing.F) {
	quiet := slog.New(slog.DiscardHandler)
	source := newEngine(f, snapshotSpecs(), Options{})
	for i, ip := range []string{ipA, ipA, ipB, "r\xffoot"} {
		at := t0.Add(time.Duration(i) * time.Second)
		source.Observe(ruleFailed, failure("f", at, "root", ip), at)
		source.Observe(ruleSuccess, success("s", at, ip, ip), at)
	}
	good := snapshotOf(f, source)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"format":"vigil-correlation-state","version":1,"specs":[]}` + "\n" + `{"end":0}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e := newEngine(t, snapshotSpecs(), Options{MaxGroups: 3, MaxEntries: 5, Logger: quiet})
		if err := e.Restore(bytes.NewReader(data)); err != nil {
			if !errors.Is(err, ErrCorruptSnapshot) {
				t.Fatalf("Restore: %v does not wrap ErrCorruptSnapshot", err)
			}
			if st := e.Stats(); st.Groups != 0 {
				t.Fatalf("%d groups after a failed restore", st.Groups)
			}
			return
		}
		// What was accepted must work and survive another round trip.
		at := t0.Add(time.Hour)
		e.Observe(ruleFailed, failure("x", at, "root", ipA), at)
		e.Observe(ruleSuccess, success("y", at, "root", ipA), at)
		e.Flush(at.Add(time.Hour))
		snap := snapshotOf(t, e)
		again := newEngine(t, snapshotSpecs(), Options{MaxGroups: 3, MaxEntries: 5, Logger: quiet})
		if err := again.Restore(bytes.NewReader(snap)); err != nil {
			t.Fatalf("restore of a fresh snapshot: %v\n%s", err, snap)
		}
	})
}
