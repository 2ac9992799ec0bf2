package correlate

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

const (
	ipA = "203.0.113.5"
	ipB = "198.51.100.7"
	ipC = "192.0.2.44"
	ipD = "2001:db8::9"
)

// fail is a step: failure number n for user from ip at offset s seconds.
func fail(n int, s float64, user, ip string, want ...hitView) step {
	return observe(ruleFailed, sec(s), func(at time.Time) event.Event { return failure(fmt.Sprintf("f%d", n), at, user, ip) }, want...)
}

// login is a step: successful login number n.
func login(n int, s float64, user, ip string, want ...hitView) step {
	return observe(ruleSuccess, sec(s), func(at time.Time) event.Event { return success(fmt.Sprintf("s%d", n), at, user, ip) }, want...)
}

// sudo is a step: sudo to root number n.
func sudo(n int, s float64, user string, want ...hitView) step {
	return observe(ruleSudoRoot, sec(s), func(at time.Time) event.Event { return sudoRoot(fmt.Sprintf("u%d", n), at, user) }, want...)
}

// connect is a step: outgoing connection number n.
func connect(n int, s float64, dst string, want ...hitView) step {
	return observe(ruleConnectOut, sec(s), func(at time.Time) event.Event { return connectOut(fmt.Sprintf("c%d", n), at, dst, 443) }, want...)
}

// bruteForce is an event_count of failures per source.ip.
func bruteForce(cond Condition, span time.Duration) Spec {
	return Spec{
		ID: "0e95725d-7320-415d-80f7-004da920fc11", Name: "ssh_brute_force_source",
		Title: "Many SSH login failures from one source", Level: "medium",
		Type: EventCount, Rules: []string{"ssh_login_failed"}, GroupBy: []string{"source.ip"},
		Timespan: span, Condition: cond,
	}
}

func TestEventCount(t *testing.T) {
	bySource := map[string]string{"source.ip": ipA}
	cases := []struct {
		name  string
		specs []Spec
		opts  Options
		steps []step
	}{
		{
			name:  "many failures from one source",
			specs: []Spec{bruteForce(Condition{Op: OpGTE, Value: 5}, time.Minute)},
			steps: []step{
				fail(1, 0, "root", ipA), fail(101, 1, "root", ipB), fail(2, 5, "admin", ipA),
				fail(3, 10, "oracle", ipA), fail(102, 11, "root", ipB), fail(4, 15, "test", ipA),
				fail(103, 16, "root", ipB),
				fail(5, 20, "ubuntu", ipA, hitView{Spec: "0e95725d-7320-415d-80f7-004da920fc11", Group: bySource,
					Count: 5, First: 0, Last: sec(20), IDs: ids("f", 1, 5)}),
			},
		},
		{
			name:  "gt needs one more than its value",
			specs: []Spec{bruteForce(Condition{Op: OpGT, Value: 2}, time.Minute)},
			steps: []step{
				fail(1, 0, "root", ipA), fail(2, 1, "root", ipA),
				fail(3, 2, "root", ipA, hitView{Spec: "0e95725d-7320-415d-80f7-004da920fc11", Group: bySource,
					Count: 3, First: 0, Last: sec(2), IDs: ids("f", 1, 3)}),
			},
		},
		{
			name:  "the window slides",
			specs: []Spec{bruteForce(Condition{Op: OpGTE, Value: 4}, time.Minute)},
			steps: []step{
				fail(1, 0, "root", ipA), fail(2, 20, "root", ipA), fail(3, 40, "root", ipA),
				fail(4, 70, "root", ipA), // f1 has left the window: 3 in [10s, 70s]
				fail(5, 80, "root", ipA, hitView{Spec: "0e95725d-7320-415d-80f7-004da920fc11", Group: bySource,
					Count: 4, First: sec(20), Last: sec(80), IDs: ids("f", 2, 5)}),
			},
		},
		{
			name:  "a group re-arms after a hit",
			specs: []Spec{bruteForce(Condition{Op: OpGTE, Value: 3}, time.Minute)},
			steps: []step{
				fail(1, 0, "root", ipA), fail(2, 1, "root", ipA),
				fail(3, 2, "root", ipA, hitView{Spec: "0e95725d-7320-415d-80f7-004da920fc11", Group: bySource,
					Count: 3, First: 0, Last: sec(2), IDs: ids("f", 1, 3)}),
				fail(4, 3, "root", ipA), fail(5, 4, "root", ipA),
				fail(6, 5, "root", ipA, hitView{Spec: "0e95725d-7320-415d-80f7-004da920fc11", Group: bySource,
					Count: 3, First: sec(3), Last: sec(5), IDs: ids("f", 4, 6)}),
				fail(7, 6, "root", ipA),
				// Dated before the last hit: already consumed, ignored.
				fail(8, 4.5, "root", ipA),
				fail(9, 7, "root", ipA),
				fail(10, 8, "root", ipA, hitView{Spec: "0e95725d-7320-415d-80f7-004da920fc11", Group: bySource,
					Count: 3, First: sec(6), Last: sec(8), IDs: []string{"f7", "f9", "f10"}}),
			},
		},
		{
			name:  "out of order within the allowed lateness",
			specs: []Spec{bruteForce(Condition{Op: OpGTE, Value: 3}, time.Minute)},
			opts:  Options{AllowedLateness: 30 * time.Second},
			steps: []step{
				fail(1, 30, "root", ipA),
				fail(2, 10, "root", ipA), // 20s late
				fail(3, 45, "root", ipA, hitView{Spec: "0e95725d-7320-415d-80f7-004da920fc11", Group: bySource,
					Count: 3, First: sec(10), Last: sec(45), IDs: []string{"f2", "f1", "f3"}}),
			},
		},
		{
			name:  "later than the allowed lateness is ignored",
			specs: []Spec{bruteForce(Condition{Op: OpGTE, Value: 3}, time.Minute)},
			opts:  Options{AllowedLateness: 30 * time.Second},
			steps: []step{
				fail(1, 60, "root", ipA),
				fail(2, 20, "root", ipA), // 40s late
				fail(3, 70, "root", ipA),
				fail(4, 75, "root", ipA, hitView{Spec: "0e95725d-7320-415d-80f7-004da920fc11", Group: bySource,
					Count: 3, First: sec(60), Last: sec(75), IDs: []string{"f1", "f3", "f4"}}),
			},
		},
		{
			name:  "a late event completes a window that holds it",
			specs: []Spec{bruteForce(Condition{Op: OpGTE, Value: 3}, 10*time.Second)},
			opts:  Options{AllowedLateness: time.Minute},
			steps: []step{
				fail(1, 0, "root", ipA), fail(2, 30, "root", ipA), fail(3, 38, "root", ipA),
				// Fits [30s, 38s] but not [0s, 10s].
				fail(4, 5, "root", ipA), fail(5, 35, "root", ipA, hitView{Spec: "0e95725d-7320-415d-80f7-004da920fc11",
					Group: bySource, Count: 3, First: sec(30), Last: sec(38), IDs: []string{"f2", "f5", "f3"}}),
			},
		},
		{
			name: "grouped by source and account",
			specs: []Spec{{
				ID: "c2", Title: "Repeated failures for one account from one source", Type: EventCount,
				Rules: []string{"ssh_login_failed"}, GroupBy: []string{"source.ip", "user.name"},
				Timespan: time.Minute, Condition: Condition{Op: OpGTE, Value: 3},
			}},
			steps: []step{
				fail(1, 0, "root", ipA), fail(2, 1, "admin", ipA), fail(3, 2, "root", ipA),
				fail(4, 3, "root", ipB), fail(5, 4, "admin", ipA),
				fail(6, 5, "root", ipA, hitView{Spec: "c2", Group: map[string]string{"source.ip": ipA, "user.name": "root"},
					Count: 3, First: 0, Last: sec(5), IDs: []string{"f1", "f3", "f6"}}),
			},
		},
		{
			name:  "events without the group-by field are not counted",
			specs: []Spec{bruteForce(Condition{Op: OpGTE, Value: 2}, time.Minute)},
			steps: []step{
				observe(ruleFailed, 0, func(at time.Time) event.Event { return suFailure("x1", at, "alice") }),
				observe(ruleFailed, sec(1), func(at time.Time) event.Event { return suFailure("x2", at, "alice") }),
				observe(ruleFailed, sec(2), func(at time.Time) event.Event { return suFailure("x3", at, "alice") }),
			},
		},
		{
			name:  "matches of unreferenced rules are ignored",
			specs: []Spec{bruteForce(Condition{Op: OpGTE, Value: 2}, time.Minute)},
			steps: []step{
				observe(ruleOther, 0, func(at time.Time) event.Event { return failure("o1", at, "root", ipA) }),
				observe(ruleOther, sec(1), func(at time.Time) event.Event { return failure("o2", at, "root", ipA) }),
			},
		},
		{
			name: "fewer than: checked when the window closes",
			specs: []Spec{{
				ID: "c3", Title: "Account with few logins", Type: EventCount, Rules: []string{"ssh_login_success"},
				GroupBy: []string{"user.name"}, Timespan: 10 * time.Minute, Condition: Condition{Op: OpLT, Value: 3},
			}},
			opts: Options{AllowedLateness: time.Minute},
			steps: []step{
				login(1, 0, "alice", ipA), login(2, 10, "bob", ipB), login(3, 20, "bob", ipB),
				login(4, 30, "bob", ipB), login(5, 60, "alice", ipA),
				flushAt(sec(600)), // alice's window ended, lateness not yet passed
				flushAt(sec(660), hitView{Spec: "c3", Group: map[string]string{"user.name": "alice"}, Count: 2,
					First: 0, Last: sec(60), IDs: []string{"s1", "s5"}}),
				flushAt(sec(700)), // bob had 3
				login(6, 700, "alice", ipA),
				login(7, 1000, "alice", ipA),
				flushAt(sec(1359)),
				flushAt(sec(1360), hitView{Spec: "c3", Group: map[string]string{"user.name": "alice"}, Count: 2,
					First: sec(700), Last: sec(1000), IDs: []string{"s6", "s7"}}),
			},
		},
		{
			name: "a range at close",
			specs: []Spec{{
				ID: "c4", Title: "Account with 3 or 4 logins", Type: EventCount, Rules: []string{"ssh_login_success"},
				GroupBy: []string{"user.name"}, Timespan: 10 * time.Minute,
				Condition: Condition{Op: OpGT, Value: 2, And: []Criterion{{Op: OpLTE, Value: 4}}},
			}},
			opts: Options{AllowedLateness: time.Second},
			steps: []step{
				login(1, 0, "alice", ipA), login(2, 1, "bob", ipB), login(3, 2, "bob", ipB),
				login(4, 3, "bob", ipB), login(5, 4, "carol", ipC), login(6, 5, "carol", ipC),
				login(7, 6, "carol", ipC), login(8, 7, "carol", ipC), login(9, 8, "carol", ipC),
				flushAt(sec(700), hitView{Spec: "c4", Group: map[string]string{"user.name": "bob"}, Count: 3,
					First: sec(1), Last: sec(3), IDs: []string{"s2", "s3", "s4"}}),
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, newEngine(t, c.specs, c.opts), c.steps)
		})
	}
}

func TestValueCount(t *testing.T) {
	accountSpray := func(n int64, span time.Duration) Spec {
		return Spec{
			ID: "a8418a5a-5fc4-46b5-b23b-6c73beb19d41", Title: "One account tried from many sources",
			Type: ValueCount, Rules: []string{"ssh_login_failed"}, GroupBy: []string{"user.name"},
			Timespan: span, Condition: Condition{Op: OpGTE, Value: n, Field: "source.ip"},
		}
	}
	root := map[string]string{"user.name": "root"}
	cases := []struct {
		name  string
		specs []Spec
		opts  Options
		steps []step
	}{
		{
			name:  "one account tried from many sources",
			specs: []Spec{accountSpray(4, 5*time.Minute)},
			steps: []step{
				fail(1, 0, "root", ipA), fail(2, 10, "root", ipB), fail(3, 20, "root", ipA),
				fail(4, 30, "admin", ipC), fail(5, 40, "root", ipC), fail(6, 50, "root", ipB),
				fail(7, 60, "root", ipD, hitView{Spec: "a8418a5a-5fc4-46b5-b23b-6c73beb19d41", Group: root, Count: 4,
					Values: []string{ipA, ipB, ipC, ipD}, First: 0, Last: sec(60),
					IDs: []string{"f1", "f2", "f3", "f5", "f6", "f7"}}),
			},
		},
		{
			name:  "sources leave the window",
			specs: []Spec{accountSpray(3, time.Minute)},
			steps: []step{
				fail(1, 0, "root", ipA), fail(2, 30, "root", ipB),
				fail(3, 70, "root", ipC), // A left: B and C
				fail(4, 80, "root", ipA, hitView{Spec: "a8418a5a-5fc4-46b5-b23b-6c73beb19d41", Group: root, Count: 3,
					Values: []string{ipB, ipC, ipA}, First: sec(30), Last: sec(80), IDs: []string{"f2", "f3", "f4"}}),
			},
		},
		{
			name: "the counted field resolved through an alias",
			specs: []Spec{{
				ID: "v3", Title: "One account reached from or going to many addresses", Type: ValueCount,
				Rules:   []string{"ssh_login_failed", "outbound_connection"},
				GroupBy: []string{"agent.id"}, Timespan: time.Minute,
				Condition: Condition{Op: OpGTE, Value: 3, Field: "peer"},
				Aliases: map[string]map[string]string{"peer": {
					"ssh_login_failed": "source.ip", "outbound_connection": "destination.ip"}},
			}},
			steps: []step{
				fail(1, 0, "root", ipA), connect(2, 1, ipA), connect(3, 2, ipB),
				fail(4, 3, "root", ipC, hitView{Spec: "v3", Group: map[string]string{"agent.id": "agent-db1"}, Count: 3,
					Values: []string{ipA, ipB, ipC}, First: 0, Last: sec(3), IDs: []string{"f1", "c2", "c3", "f4"}}),
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, newEngine(t, c.specs, c.opts), c.steps)
		})
	}
}

func TestTemporal(t *testing.T) {
	loginThenSudo := Spec{
		ID: "t1", Title: "SSH login and sudo to root by one account", Type: Temporal,
		Rules: []string{"ssh_login_success", "sudo_to_root"}, GroupBy: []string{"user.name"}, Timespan: 5 * time.Minute,
	}
	connectBack := Spec{
		ID: "t2", Title: "Host connects to the address that just logged in", Type: Temporal,
		Rules: []string{"ssh_login_success", "outbound_connection"}, GroupBy: []string{"peer_ip"}, Timespan: 5 * time.Minute,
		Aliases: map[string]map[string]string{"peer_ip": {
			"ssh_login_success": "source.ip", "outbound_connection": "destination.ip"}},
	}
	alice := map[string]string{"user.name": "alice"}
	cases := []struct {
		name  string
		specs []Spec
		steps []step
	}{
		{
			name:  "any order",
			specs: []Spec{loginThenSudo},
			steps: []step{
				sudo(1, 0, "alice"), login(2, 10, "bob", ipB),
				login(3, 60, "alice", ipA, hitView{Spec: "t1", Group: alice, Count: 2,
					Values: []string{"ssh_login_success", "sudo_to_root"}, First: 0, Last: sec(60), IDs: []string{"u1", "s3"}}),
			},
		},
		{
			name:  "too far apart",
			specs: []Spec{loginThenSudo},
			steps: []step{login(1, 0, "alice", ipA), sudo(2, 301, "alice"), login(3, 302, "bob", ipA)},
		},
		{
			name:  "one rule many times is not enough",
			specs: []Spec{loginThenSudo},
			steps: []step{login(1, 0, "alice", ipA), login(2, 1, "alice", ipA), login(3, 2, "alice", ipA)},
		},
		{
			name:  "aliases: one address in different fields",
			specs: []Spec{connectBack},
			steps: []step{
				login(1, 0, "alice", ipA),
				connect(2, 30, ipB),
				connect(3, 60, ipA, hitView{Spec: "t2", Group: map[string]string{"peer_ip": ipA}, Count: 2,
					Values: []string{"ssh_login_success", "outbound_connection"}, First: 0, Last: sec(60), IDs: []string{"s1", "c3"}}),
			},
		},
		{
			name: "not all rules: a condition on the number of rules",
			specs: []Spec{{
				ID: "t3", Title: "Two of three", Type: Temporal,
				Rules:   []string{"ssh_login_failed", "ssh_login_success", "sudo_to_root"},
				GroupBy: []string{"user.name"}, Timespan: time.Minute, Condition: Condition{Op: OpGTE, Value: 2},
			}},
			steps: []step{
				fail(1, 0, "alice", ipA),
				sudo(2, 5, "alice", hitView{Spec: "t3", Group: alice, Count: 2,
					Values: []string{"ssh_login_failed", "sudo_to_root"}, First: 0, Last: sec(5), IDs: []string{"f1", "u2"}}),
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, newEngine(t, c.specs, Options{}), c.steps)
		})
	}
}

// multipleFailed and failedThenSuccess are the specification's example
// of a chain: many failed logins followed by a successful one.
var (
	multipleFailed = Spec{
		ID: "a8418a5a-5fc4-46b5-b23b-6c73beb19d41", Name: "multiple_failed_login", Title: "Multiple failed logons",
		Type: EventCount, Rules: []string{"ssh_login_failed"}, GroupBy: []string{"user.name"},
		Timespan: 10 * time.Minute, Condition: Condition{Op: OpGTE, Value: 5},
	}
	failedThenSuccess = Spec{
		ID: "b180ead8-d58f-40b2-ae54-c8940995b9b6", Title: "Multiple failed logins followed by successful login",
		Level: "high", Type: TemporalOrdered, Rules: []string{"multiple_failed_login", "ssh_login_success"},
		GroupBy: []string{"user.name"}, Timespan: 10 * time.Minute,
	}
)

func TestTemporalOrdered(t *testing.T) {
	failThenLogin := Spec{
		ID: "o1", Title: "Login after a failure from one source", Type: TemporalOrdered,
		Rules: []string{"ssh_login_failed", "ssh_login_success"}, GroupBy: []string{"source.ip"}, Timespan: 10 * time.Minute,
	}
	root := map[string]string{"user.name": "root"}
	cases := []struct {
		name  string
		specs []Spec
		steps []step
	}{
		{
			name:  "success after failure",
			specs: []Spec{failThenLogin},
			steps: []step{
				login(1, 0, "root", ipA), // before any failure
				fail(2, 10, "root", ipA),
				login(3, 20, "root", ipB), // other source
				login(4, 30, "root", ipA, hitView{Spec: "o1", Group: map[string]string{"source.ip": ipA}, Count: 2,
					Values: []string{"ssh_login_failed", "ssh_login_success"}, First: sec(10), Last: sec(30), IDs: []string{"f2", "s4"}}),
			},
		},
		{
			name:  "success before failure does not match",
			specs: []Spec{failThenLogin},
			steps: []step{login(1, 0, "root", ipA), fail(2, 10, "root", ipA), fail(3, 20, "root", ipA)},
		},
		{
			name:  "out of order arrival in event order",
			specs: []Spec{failThenLogin},
			steps: []step{
				login(1, 30, "root", ipA),
				fail(2, 10, "root", ipA, hitView{Spec: "o1", Group: map[string]string{"source.ip": ipA}, Count: 2,
					Values: []string{"ssh_login_failed", "ssh_login_success"}, First: sec(10), Last: sec(30), IDs: []string{"f2", "s1"}}),
			},
		},
		{
			name:  "equal timestamps count as in order",
			specs: []Spec{failThenLogin},
			steps: []step{
				login(1, 5, "root", ipA),
				fail(2, 5, "root", ipA, hitView{Spec: "o1", Group: map[string]string{"source.ip": ipA}, Count: 2,
					Values: []string{"ssh_login_failed", "ssh_login_success"}, First: sec(5), Last: sec(5), IDs: []string{"f2", "s1"}}),
			},
		},
		{
			name:  "many failures then a success: a chain of correlations",
			specs: []Spec{failedThenSuccess, multipleFailed},
			steps: []step{
				login(1, 0, "root", ipA),
				fail(1, 10, "root", ipA), fail(2, 20, "root", ipB), fail(3, 30, "root", ipC),
				fail(4, 40, "admin", ipA), fail(5, 50, "root", ipD),
				fail(6, 60, "root", ipA, hitView{Spec: "a8418a5a-5fc4-46b5-b23b-6c73beb19d41", Group: root, Count: 5,
					First: sec(10), Last: sec(60), IDs: []string{"f1", "f2", "f3", "f5", "f6"}, Intermediate: true}),
				login(2, 100, "admin", ipA),
				login(3, 120, "root", ipA, hitView{Spec: "b180ead8-d58f-40b2-ae54-c8940995b9b6", Group: root, Count: 2,
					Values: []string{"multiple_failed_login", "ssh_login_success"}, First: sec(60), Last: sec(120),
					IDs: []string{"f1", "f2", "f3", "f5", "f6", "s3"}}),
			},
		},
		{
			name: "a failure not followed by a success: checked at close",
			specs: []Spec{{
				ID: "o2", Title: "Failure without success", Type: TemporalOrdered,
				Rules: []string{"ssh_login_failed", "ssh_login_success"}, GroupBy: []string{"user.name"},
				Timespan: time.Minute, Condition: Condition{Op: OpLT, Value: 2},
			}},
			steps: []step{
				fail(1, 0, "root", ipA), login(2, 30, "root", ipA),
				fail(3, 0, "alice", ipA), login(4, 90, "alice", ipA),
				flushAt(sec(300),
					hitView{Spec: "o2", Group: map[string]string{"user.name": "alice"}, Count: 1,
						Values: []string{"ssh_login_failed"}, First: 0, Last: 0, IDs: []string{"f3"}},
					hitView{Spec: "o2", Group: map[string]string{"user.name": "alice"}, Count: 0,
						First: sec(90), Last: sec(90), IDs: []string{"s4"}}),
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, newEngine(t, c.specs, Options{}), c.steps)
		})
	}
}

func TestLimits(t *testing.T) {
	t.Run("groups", func(t *testing.T) {
		e := newEngine(t, []Spec{bruteForce(Condition{Op: OpGTE, Value: 2}, time.Minute)}, Options{MaxGroups: 2})
		run(t, e, []step{
			fail(1, 0, "root", ipA), fail(2, 1, "root", ipB), fail(3, 2, "root", ipC), // evicts A
			fail(4, 3, "root", ipA), // A starts over, evicts B
		})
		st := e.Stats()
		if st.Groups != 2 || st.GroupsEvicted != 2 || st.Entries != 2 || st.Observed != 4 {
			t.Errorf("stats %+v, want 2 groups holding 2 entries, 2 evicted, 4 observed", st.Counts)
		}
	})
	t.Run("entries", func(t *testing.T) {
		spray := Spec{ID: "v", Title: "spray", Type: ValueCount, Rules: []string{"ssh_login_failed"},
			GroupBy: []string{"user.name"}, Timespan: time.Hour, Condition: Condition{Op: OpGTE, Value: 3, Field: "source.ip"}}
		e := newEngine(t, []Spec{spray}, Options{MaxEntries: 3})
		run(t, e, []step{
			fail(1, 0, "root", ipA), fail(2, 1, "root", ipA), fail(3, 2, "root", ipA),
			fail(4, 3, "root", ipB), // evicts f1: A A B
			fail(5, 4, "root", ipC, hitView{Spec: "v", Group: map[string]string{"user.name": "root"}, Count: 3,
				Values: []string{ipA, ipB, ipC}, First: sec(2), Last: sec(4), IDs: []string{"f3", "f4", "f5"}}),
		})
		if st := e.Stats(); st.EntriesEvicted != 2 {
			t.Errorf("entries evicted %d, want 2", st.EntriesEvicted)
		}
	})
	t.Run("a noisy rule does not evict another rule's only match", func(t *testing.T) {
		spec := Spec{ID: "t", Title: "all three", Type: Temporal,
			Rules:   []string{"sudo_to_root", "ssh_login_failed", "ssh_login_success"},
			GroupBy: []string{"user.name"}, Timespan: time.Hour}
		e := newEngine(t, []Spec{spec}, Options{MaxEntries: 3})
		steps := []step{sudo(1, 0, "alice")}
		for i := 1; i <= 10; i++ {
			steps = append(steps, fail(i, float64(i), "alice", ipA))
		}
		steps = append(steps, login(1, 20, "alice", ipA, hitView{Spec: "t", Group: map[string]string{"user.name": "alice"},
			Count: 3, Values: []string{"sudo_to_root", "ssh_login_failed", "ssh_login_success"},
			First: 0, Last: sec(20), IDs: []string{"u1", "f10", "s1"}}))
		run(t, e, steps)
	})
	t.Run("a condition beyond the entry limit is refused", func(t *testing.T) {
		_, err := New([]Spec{bruteForce(Condition{Op: OpGT, Value: 3}, time.Minute)}, Options{MaxEntries: 3})
		if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "needs 4 matches") {
			t.Errorf("New: %v, want an error about 4 matches", err)
		}
	})
	t.Run("at close, evictions make the count a lower bound", func(t *testing.T) {
		spec := func(id string, c Condition) Spec {
			c.Field = "source.ip"
			return Spec{ID: id, Title: id, Type: ValueCount, Rules: []string{"ssh_login_failed"},
				GroupBy: []string{"user.name"}, Timespan: time.Minute, Condition: c}
		}
		e := newEngine(t, []Spec{
			spec("fewer-than-3", Condition{Op: OpLT, Value: 3}), // 2 kept, but the truth is unknown
			spec("not-1", Condition{Op: OpNEQ, Value: 1}),       // at least 2: certainly not 1
		}, Options{MaxEntries: 2, AllowedLateness: time.Second})
		run(t, e, []step{
			fail(1, 0, "root", ipA), fail(2, 1, "root", ipB), fail(3, 2, "root", ipC),
			flushAt(sec(100), hitView{Spec: "not-1", Group: map[string]string{"user.name": "root"}, Count: 2,
				Values: []string{ipB, ipC}, First: 0, Last: sec(2), IDs: []string{"f2", "f3"}}),
		})
		if st := e.Stats(); st.Inexact != 2 {
			t.Errorf("inexact %d, want 2", st.Inexact)
		}
	})
	t.Run("idle groups expire", func(t *testing.T) {
		e := newEngine(t, []Spec{bruteForce(Condition{Op: OpGTE, Value: 5}, time.Minute)}, Options{AllowedLateness: time.Second})
		run(t, e, []step{fail(1, 0, "root", ipA), fail(2, 50, "root", ipB), flushAt(sec(61.5))})
		if st := e.Stats(); st.Groups != 1 || st.Expired != 1 {
			t.Errorf("stats %+v, want 1 group left and 1 expired", st.Counts)
		}
	})
}

func TestLateAndRefusedCounts(t *testing.T) {
	e := newEngine(t, []Spec{bruteForce(Condition{Op: OpGTE, Value: 5}, time.Minute)},
		Options{AllowedLateness: 10 * time.Second, FutureTolerance: time.Minute, Now: func() time.Time { return t0.Add(time.Hour) }})
	run(t, e, []step{
		fail(1, 100, "root", ipA),
		fail(2, 80, "root", ipA),   // late
		fail(3, 3700, "root", ipA), // more than a minute ahead of the clock
		observe(ruleFailed, 0, func(time.Time) event.Event { return suFailure("x", t0, "root") }), // no source.ip
	})
	if got := e.Observe(ruleFailed, event.Event{"source": map[string]any{"ip": ipA}}, time.Time{}); got != nil {
		t.Errorf("undated event: hits %v", got)
	}
	st := e.Stats()
	if st.Late != 1 || st.Future != 1 || st.Missing != 1 || st.Undated != 1 || st.Observed != 1 {
		t.Errorf("stats %+v, want 1 each of late, future, missing, undated and observed", st)
	}
}

func TestEventTimestampWhenTimeIsZero(t *testing.T) {
	e := newEngine(t, []Spec{bruteForce(Condition{Op: OpGTE, Value: 2}, time.Minute)}, Options{})
	e.Observe(ruleFailed, failure("f1", t0, "root", ipA), time.Time{})
	hits := e.Observe(ruleFailed, failure("f2", t0.Add(time.Second), "root", ipA), time.Time{})
	if len(hits) != 1 || !hits[0].First.Equal(t0) || !hits[0].Last.Equal(t0.Add(time.Second)) {
		t.Errorf("hits %+v, want one from t0 to t0+1s", view(hits))
	}
}

func TestStandalone(t *testing.T) {
	generating := bruteForce(Condition{Op: OpGTE, Value: 5}, time.Minute)
	generating.ID, generating.Name, generating.Generate = "g", "", true
	generating.Rules = []string{"sudo_to_root"}
	e := newEngine(t, []Spec{failedThenSuccess, multipleFailed, generating}, Options{})
	cases := []struct {
		refs []string
		want bool
	}{
		{ruleFailed, false},  // consumed by multiple_failed_login only
		{ruleSuccess, false}, // consumed by the chain's outer correlation
		{ruleSudoRoot, true}, // its correlation sets Generate
		{ruleOther, true},    // no correlation references it
		{[]string{"multiple_failed_login"}, false},
	}
	for _, c := range cases {
		if got := e.Standalone(c.refs); got != c.want {
			t.Errorf("Standalone(%v) = %t, want %t", c.refs, got, c.want)
		}
	}
}

func TestWantsAndReset(t *testing.T) {
	e := newEngine(t, []Spec{failedThenSuccess, multipleFailed}, Options{})
	for _, c := range []struct {
		refs []string
		want bool
	}{{ruleFailed, true}, {ruleSuccess, true}, {[]string{"multiple_failed_login"}, true}, {ruleOther, false}, {nil, false}} {
		if got := e.Wants(c.refs); got != c.want {
			t.Errorf("Wants(%v) = %t, want %t", c.refs, got, c.want)
		}
	}
	steps := []step{fail(1, 0, "root", ipA), fail(2, 1, "root", ipA), fail(3, 2, "root", ipA), fail(4, 3, "root", ipA)}
	run(t, e, steps)
	e.Reset()
	if st := e.Stats(); st.Groups != 0 || st.Observed != 4 {
		t.Errorf("after Reset: %+v, want no groups and the counters kept", st.Counts)
	}
	// The fifth failure no longer completes the four before the reset.
	run(t, e, []step{fail(5, 4, "root", ipA)})
}

func TestNewRefuses(t *testing.T) {
	a := bruteForce(Condition{Op: OpGTE, Value: 5}, time.Minute)
	b := a
	b.Name = "other"
	loop1 := Spec{ID: "loop1", Title: "l1", Type: EventCount, Rules: []string{"loop2"}, Timespan: time.Minute, Condition: Condition{Op: OpGTE, Value: 2}}
	loop2 := Spec{ID: "loop2", Title: "l2", Type: EventCount, Rules: []string{"loop1"}, Timespan: time.Minute, Condition: Condition{Op: OpGTE, Value: 2}}
	sameName := multipleFailed
	sameName.ID = "another-id"
	cases := []struct {
		name  string
		specs []Spec
		opts  Options
		want  string
	}{
		{"duplicate key", []Spec{a, b}, Options{}, `key "0e95725d-7320-415d-80f7-004da920fc11" is used by another correlation`},
		{"duplicate name", []Spec{multipleFailed, sameName}, Options{}, `"multiple_failed_login" is also that of correlation`},
		{"cycle", []Spec{loop1, loop2}, Options{}, "references form a cycle: [loop1 loop2 loop1]"},
		{"invalid spec", []Spec{{Title: "x"}}, Options{}, "type is empty"},
		{"negative limit", nil, Options{MaxGroups: -1}, "MaxGroups is negative"},
		{"lateness", nil, Options{AllowedLateness: -time.Second}, "AllowedLateness -1s is not between"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.specs, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("New: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// The engine keeps its own copy of the specs.
func TestSpecsAreCopied(t *testing.T) {
	specs := []Spec{bruteForce(Condition{Op: OpGTE, Value: 2}, time.Minute)}
	e := newEngine(t, specs, Options{})
	specs[0].GroupBy[0] = "user.name"
	specs[0].Rules[0] = "changed"
	e.Observe(ruleFailed, failure("f1", t0, "root", ipA), t0)
	if hits := e.Observe(ruleFailed, failure("f2", t0, "admin", ipA), t0); len(hits) != 1 {
		t.Errorf("hits %v, want one grouped by source.ip", view(hits))
	}
}

func TestConcurrentObserveAndFlush(t *testing.T) {
	e := newEngine(t, []Spec{
		bruteForce(Condition{Op: OpGTE, Value: 5}, time.Minute),
		{ID: "few", Title: "few", Type: EventCount, Rules: []string{"ssh_login_failed"}, GroupBy: []string{"user.name"},
			Timespan: time.Minute, Condition: Condition{Op: OpLT, Value: 1000}},
	}, Options{})
	const workers, sources, failures = 4, 50, 10
	var wg sync.WaitGroup
	hits := make([]int, workers)
	for w := range workers {
		wg.Go(func() {
			for s := range sources {
				ip := fmt.Sprintf("10.%d.%d.1", w, s)
				for n := range failures {
					at := t0.Add(time.Duration(n) * time.Second)
					hits[w] += len(e.Observe(ruleFailed, failure(fmt.Sprintf("f%d-%d-%d", w, s, n), at, "root", ip), at))
				}
			}
		})
	}
	stop := make(chan struct{})
	var flushed sync.WaitGroup
	flushed.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				e.Flush(t0)
				e.Stats()
			}
		}
	})
	wg.Wait()
	close(stop)
	flushed.Wait()
	total := 0
	for _, n := range hits {
		total += n
	}
	if want := workers * sources * failures / 5; total != want {
		t.Errorf("%d hits, want %d", total, want)
	}
}
