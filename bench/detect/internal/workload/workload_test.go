package workload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sender"
	"github.com/vigilsec/vigil/internal/detect/ruleset"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/rules"
)

var at = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// stream returns n events of agent 0 as the center decodes them, and
// which are alert events.
func stream(t *testing.T, seed uint64, n, alertEvery int) ([]event.Event, []bool) {
	t.Helper()
	a := NewAgent(seed, 0, alertEvery)
	evs := make([]event.Event, n)
	alerts := make([]bool, n)
	for i := range evs {
		ev, alert := a.Next(at.Add(time.Duration(i) * time.Millisecond))
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if evs[i], err = event.Decode(b); err != nil {
			t.Fatalf("event %d: %v\n%s", i, err, b)
		}
		alerts[i] = alert
	}
	return evs, alerts
}

// TestEvents checks that each action the sensors emit comes with the
// fields docs/sensors.md gives it.
func TestEvents(t *testing.T) {
	evs, _ := stream(t, 7, 20000, 0)
	byAction := map[string][]event.Event{}
	for _, ev := range evs {
		byAction[ev.String("event.action")] = append(byAction[ev.String("event.action")], ev)
	}
	common := []string{"event.id", "@timestamp", "event.category", "event.dataset", "event.kind", "agent.id", "host.id", "host.name", "message"}
	tests := []struct {
		action, category, dataset string
		fields                    []string
	}{
		{"exec", "process", "exec/ebpf", []string{"process.pid", "process.entity_id", "process.name", "process.executable", "process.args_count",
			"process.command_line", "process.working_directory", "process.start", "process.user.id", "process.parent.executable",
			"process.parent.entity_id", "user.name"}},
		{"exit", "process", "exec/ebpf", []string{"process.entity_id", "process.executable", "process.exit_code", "process.end", "event.duration"}},
		{"connection-attempted", "network", "net/ebpf", []string{"source.ip", "source.port", "destination.ip", "destination.port",
			"network.transport", "network.type", "network.direction", "process.entity_id", "process.executable", "user.name"}},
		{"connection-accepted", "network", "net/ebpf", []string{"source.ip", "destination.port", "network.direction", "process.name"}},
		{"dns-query", "network", "net/ebpf", []string{"dns.question.name", "dns.question.type", "process.name"}},
		{"flow", "network", "net/ebpf", []string{"source.bytes", "destination.bytes", "network.bytes", "vigil.flow.connections", "event.start", "event.end"}},
		{"udp-peer", "network", "net/ebpf", []string{"destination.ip", "destination.port", "network.transport"}},
		{"file-modified", "file", "fim", []string{"file.path", "file.name", "file.directory", "file.mode", "file.owner", "file.size",
			"file.hash.sha256", "vigil.fim.mechanism", "process.executable", "user.name"}},
		{"file-renamed", "file", "fim", []string{"file.path", "vigil.file.previous.path", "vigil.fim.replaced"}},
		{"file-created", "file", "fim", []string{"file.path"}},
		{"file-deleted", "file", "fim", []string{"file.path"}},
		{"file-attributes-changed", "file", "fim", []string{"file.path", "file.mode"}},
		{"logged-in", "authentication", "authlog", []string{"user.name", "source.ip", "source.port", "vigil.auth.method", "vigil.auth.service",
			"event.provider", "process.name", "event.outcome"}},
		{"login-failed", "authentication", "authlog", []string{"user.name", "source.ip", "vigil.auth.method", "vigil.auth.invalid_user", "event.outcome"}},
		{"invalid-user", "authentication", "authlog", []string{"user.name", "source.ip"}},
		{"preauth-disconnected", "authentication", "authlog", []string{"source.ip", "event.reason"}},
		{"session-opened", "session", "authlog", []string{"user.name", "vigil.auth.session_id"}},
		{"session-closed", "session", "authlog", []string{"user.name"}},
		{"sudo", "iam", "authlog", []string{"user.name", "user.target.name", "process.command_line", "process.working_directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			got := byAction[tt.action]
			if len(got) == 0 {
				t.Fatalf("no %s event in %d", tt.action, len(evs))
			}
			for _, ev := range got[:min(len(got), 50)] {
				if c, d := ev.String("event.category"), ev.String("event.dataset"); c != tt.category || d != tt.dataset {
					t.Errorf("%s: category %q dataset %q, want %q %q", ev.ID(), c, d, tt.category, tt.dataset)
				}
				for _, f := range append(common, tt.fields...) {
					if _, ok := ev.Get(f); !ok {
						t.Errorf("%s (%s) has no %s", ev.ID(), tt.action, f)
					}
				}
			}
		})
	}
	ids := map[string]bool{}
	for _, ev := range evs {
		if ids[ev.ID()] {
			t.Fatalf("event id %s twice", ev.ID())
		}
		ids[ev.ID()] = true
	}
}

func TestSameSeedSameEvents(t *testing.T) {
	a, _ := stream(t, 3, 500, 50)
	b, _ := stream(t, 3, 500, 50)
	c, _ := stream(t, 4, 500, 50)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	jc, _ := json.Marshal(c)
	if !bytes.Equal(ja, jb) {
		t.Error("the same seed made other events")
	}
	if bytes.Equal(ja, jc) {
		t.Error("another seed made the same events")
	}
}

// TestAlertEvents checks that every alert event raises the shipped rule
// with a dedup subject of its own, one in alertEvery.
func TestAlertEvents(t *testing.T) {
	rs := ruleset.Load([]ruleset.Source{{Name: "builtin", FS: rules.FS(), Root: "."}}, ruleset.Options{})
	if len(rs.Problems) > 0 {
		t.Fatal(rs.Problems[0])
	}
	const n, every = 5000, 100
	evs, alerts := stream(t, 11, n, every)
	subjects := map[string]bool{}
	count := 0
	for i, ev := range evs {
		_, ds := rs.Evaluate(ev, nil, nil)
		hit := false
		for _, d := range ds {
			hit = hit || d.Rule.ID == AlertRuleID
		}
		if hit != alerts[i] {
			t.Errorf("event %s: alert event %v, rule %s matched %v", ev.ID(), alerts[i], AlertRuleID, hit)
		}
		if !alerts[i] {
			continue
		}
		count++
		subject := ev.String("process.executable") + "<" + ev.String("process.parent.executable")
		if subjects[subject] {
			t.Errorf("event %s: dedup subject %s twice", ev.ID(), subject)
		}
		subjects[subject] = true
	}
	if count != n/every {
		t.Errorf("%d alert events in %d, want %d", count, n, n/every)
	}
}

func TestCompose(t *testing.T) {
	whole, err := countRules(rules.FS())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		n        int
		wantPack func(pack int) bool
	}{
		{10, func(pack int) bool { return pack <= 10 && pack > 0 }},
		{100, func(pack int) bool { return pack == min(whole, 100) }},
		{1000, func(pack int) bool { return pack == whole }},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			set, err := Compose(rules.FS(), tt.n, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.wantPack(set.PackRules) || set.PackRules+len(set.Generated) != tt.n {
				t.Errorf("%d shipped and %d generated rules (the pack has %d)", set.PackRules, len(set.Generated), whole)
			}
			imported := fstest.MapFS{}
			for _, f := range set.Generated {
				imported[f.Name] = &fstest.MapFile{Data: f.Content}
			}
			rs := ruleset.Load([]ruleset.Source{{Name: "builtin", FS: set.Builtin, Root: "."}, {Name: "imported", FS: imported, Root: "."}}, ruleset.Options{})
			if len(rs.Problems) > 0 {
				t.Fatalf("%d problems, first %v", len(rs.Problems), rs.Problems[0])
			}
			if rs.Loaded() != tt.n {
				t.Errorf("%d rules loaded, want %d", rs.Loaded(), tt.n)
			}
			found := false
			for _, r := range rs.Rules {
				found = found || r.ID == AlertRuleID
			}
			if !found {
				t.Errorf("rule %s not in the set", AlertRuleID)
			}
		})
	}
}

// TestGeneratedRulesMissBenignEvents checks the generator's promise:
// its rare words are in no event of the workload.
func TestGeneratedRulesMissBenignEvents(t *testing.T) {
	imported := fstest.MapFS{}
	for _, f := range Rules(5, 1000) {
		imported[f.Name] = &fstest.MapFile{Data: f.Content}
	}
	rs := ruleset.Load([]ruleset.Source{{Name: "imported", FS: imported, Root: "."}}, ruleset.Options{})
	if len(rs.Problems) > 0 || rs.Loaded() != 1000 {
		t.Fatalf("%d rules loaded, %d problems %v", rs.Loaded(), len(rs.Problems), rs.Problems)
	}
	evs, _ := stream(t, 5, 10000, 200)
	for _, ev := range evs {
		if _, ds := rs.Evaluate(ev, nil, nil); len(ds) > 0 {
			t.Errorf("event %s matched generated rule %q", ev.ID(), ds[0].Rule.Title)
		}
	}
}

func TestBatches(t *testing.T) {
	tests := []struct{ n, alertEvery int }{{0, 0}, {1, 0}, {999, 10}, {3500, 10}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			events, alerts := 0, 0
			err := Batches(9, 2, tt.alertEvery, tt.n, func(b Batch) error {
				if b.Agent != 2 || b.Events == 0 || b.Events > sender.DefaultMaxBatchEvents || len(b.Lines) > sender.DefaultMaxBatchBytes {
					t.Errorf("batch of agent %d: %d events, %d bytes", b.Agent, b.Events, len(b.Lines))
				}
				if got := bytes.Count(b.Lines, []byte("\n")); got != b.Events {
					t.Errorf("%d lines, %d events", got, b.Events)
				}
				events += b.Events
				alerts += len(b.Alerts)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if events != tt.n {
				t.Errorf("%d events, want %d", events, tt.n)
			}
			if tt.alertEvery > 0 && (alerts < tt.n/tt.alertEvery || alerts > tt.n/tt.alertEvery+1) {
				t.Errorf("%d alert events in %d, one in %d", alerts, tt.n, tt.alertEvery)
			}
		})
	}
	for _, agents := range []int{1, 3, 7} {
		total := 0
		for i := range agents {
			total += Share(1000, agents, i)
		}
		if total != 1000 {
			t.Errorf("shares of %d agents add up to %d", agents, total)
		}
	}
}
