package ruleset_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigilsec/vigil/internal/detect/ruleset"
	"github.com/vigilsec/vigil/internal/event"
)

// groupingRules writes base rules and correlations with the field names
// of names: Sigma's or ECS's. The correlations group by the user and by
// the source address, and count distinct destinations.
func groupingRules(names map[string]string) fstest.MapFS {
	text := `title: Reconnaissance command
id: b1111111-1111-4111-8111-111111111111
name: recon
level: low
logsource: {product: linux, category: process_creation}
detection:
  selection:
    {Image}|endswith: [/id, /whoami, /uname]
  condition: selection
---
title: Connection to port 4444
id: b2222222-2222-4222-8222-222222222222
name: port_4444
level: low
logsource: {product: linux, category: network_connection}
detection:
  selection:
    {DestinationPort}: 4444
  condition: selection
---
title: Reconnaissance by one user
id: b3333333-3333-4333-8333-333333333333
level: medium
correlation:
  type: event_count
  rules: [recon]
  group-by: [{User}]
  timespan: 1m
  condition: {gte: 3}
---
title: One source to many peers on port 4444
id: b4444444-4444-4444-8444-444444444444
level: high
correlation:
  type: value_count
  rules: [port_4444]
  group-by: [{SourceIp}]
  timespan: 2m
  condition: {field: {DestinationIp}, gte: 2}
`
	for k, v := range names {
		text = strings.ReplaceAll(text, "{"+k+"}", v)
	}
	return fstest.MapFS{"rules.yml": {Data: []byte(text)}}
}

// hitText is a correlation hit in words, for comparing two rule sets.
func hitText(d ruleset.Detection, groupBy []string) string {
	var group []string
	for _, name := range groupBy {
		group = append(group, d.Hit.Group[name])
	}
	return fmt.Sprintf("%s %v count=%d values=%v events=%v", d.Rule.ID, group, d.Hit.Count, d.Hit.Values, d.Hit.EventIDs)
}

// TestGroupBySigmaNames: correlations whose group-by (and value_count
// field) are Sigma names group exactly as those written with ECS names.
func TestGroupBySigmaNames(t *testing.T) {
	sigmaNames := map[string]string{"Image": "Image", "DestinationPort": "DestinationPort", "User": "User",
		"SourceIp": "SourceIp", "DestinationIp": "DestinationIp"}
	ecsNames := map[string]string{"Image": "process.executable", "DestinationPort": "destination.port", "User": "user.name",
		"SourceIp": "source.ip", "DestinationIp": "destination.ip"}
	opts := ruleset.Options{}
	sigmaSet := ruleset.Load([]ruleset.Source{{Name: "sigma", FS: groupingRules(sigmaNames), Root: "."}}, opts)
	ecsSet := ruleset.Load([]ruleset.Source{{Name: "ecs", FS: groupingRules(ecsNames), Root: "."}}, opts)
	for _, rs := range []*ruleset.RuleSet{sigmaSet, ecsSet} {
		for _, p := range rs.Problems {
			t.Fatal(p.Error())
		}
	}
	r := rand.New(rand.NewPCG(3, 5))
	users := []string{"alice", "bob", "carol"}
	sources := []string{"10.0.0.5", "10.0.0.6", "10.0.0.7"}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var sigmaHits, ecsHits []string
	groups := map[string]map[string]bool{}
	for i := 0; i < 3000; i++ {
		at = at.Add(time.Duration(1+r.IntN(20)) * time.Second)
		ev := event.Event{}
		ev.Set("event.id", fmt.Sprintf("e%d", i))
		ev.Set("@timestamp", at.Format(time.RFC3339Nano))
		ev.Set("agent.id", "a1")
		if r.IntN(2) == 0 {
			ev.Set("event.category", "process")
			ev.Set("event.action", "exec")
			ev.Set("process.executable", []string{"/usr/bin/id", "/usr/bin/whoami", "/usr/bin/ls", "/usr/bin/uname"}[r.IntN(4)])
			ev.Set("user.name", users[r.IntN(len(users))])
		} else {
			ev.Set("event.category", "network")
			ev.Set("event.action", "connection-attempted")
			ev.Set("source.ip", sources[r.IntN(len(sources))])
			ev.Set("destination.ip", fmt.Sprintf("198.51.100.%d", r.IntN(4)))
			ev.Set("destination.port", float64([]int{443, 4444}[r.IntN(2)]))
			ev.Set("user.name", users[r.IntN(len(users))])
		}
		for _, c := range []struct {
			rs   *ruleset.RuleSet
			hits *[]string
			by   map[string]string
		}{{sigmaSet, &sigmaHits, sigmaNames}, {ecsSet, &ecsHits, ecsNames}} {
			_, out := c.rs.Evaluate(ev, nil, nil)
			for _, d := range out {
				if d.Hit == nil {
					continue
				}
				groupBy := []string{c.by["User"]}
				if d.Rule.ID == "b4444444-4444-4444-8444-444444444444" {
					groupBy = []string{c.by["SourceIp"]}
				}
				*c.hits = append(*c.hits, hitText(d, groupBy))
				if c.by["User"] == "User" {
					if groups[d.Rule.ID] == nil {
						groups[d.Rule.ID] = map[string]bool{}
					}
					groups[d.Rule.ID][d.Hit.Group[groupBy[0]]] = true
				}
			}
		}
	}
	if !slices.Equal(sigmaHits, ecsHits) {
		t.Fatalf("%d hits with Sigma names, %d with ECS names; first of each:\n%v\n%v", len(sigmaHits), len(ecsHits), first(sigmaHits), first(ecsHits))
	}
	// Both correlations hit, in every group: the comparison is not of
	// empty lists, and the groups are the users and the sources.
	for id, want := range map[string]int{"b3333333-3333-4333-8333-333333333333": len(users), "b4444444-4444-4444-8444-444444444444": len(sources)} {
		if len(groups[id]) != want {
			t.Errorf("correlation %s hit in groups %v, want %d groups", id, groups[id], want)
		}
	}
	if st := sigmaSet.Correlation().Stats(); st.Missing != 0 {
		t.Errorf("%d matches lacked a group-by field", st.Missing)
	}
	t.Logf("%d hits", len(sigmaHits))
}

func first(list []string) string {
	if len(list) == 0 {
		return "(none)"
	}
	return list[0]
}

// TestGroupByPerRuleMapping: each referenced rule reads a Sigma name
// with its own log source's mapping, aliases included; a name that maps
// nowhere for a rule is read as given.
func TestGroupByPerRuleMapping(t *testing.T) {
	files := fstest.MapFS{"rules.yml": {Data: []byte(`title: Identity checked
name: proc_id
level: low
logsource: {product: linux, category: process_creation}
detection:
  selection: {Image|endswith: /id}
  condition: selection
---
title: Password changed (audit)
name: audit_passwd
level: low
logsource: {product: linux, service: auditd}
detection:
  selection: {type: EXECVE, exe|endswith: /passwd}
  condition: selection
---
title: Identity checked then password changed in one session
id: c1111111-1111-4111-8111-111111111111
level: high
correlation:
  type: temporal_ordered
  rules: [proc_id, audit_passwd]
  group-by: [session]
  aliases:
    session:
      proc_id: TerminalSessionId
      audit_passwd: ses
  timespan: 5m
---
title: Both by one user
id: c2222222-2222-4222-8222-222222222222
level: medium
correlation:
  type: temporal
  rules: [proc_id, audit_passwd]
  group-by: [User]
  timespan: 5m
`)}}
	rs := ruleset.Load([]ruleset.Source{{Name: "t", FS: files, Root: "."}}, ruleset.Options{})
	for _, p := range rs.Problems {
		t.Fatal(p.Error())
	}
	exec := func(id, exe string, session int, at time.Time) event.Event {
		ev := event.Event{}
		ev.Set("event.id", id)
		ev.Set("@timestamp", at.Format(time.RFC3339Nano))
		ev.Set("agent.id", "a1")
		ev.Set("event.category", "process")
		ev.Set("event.action", "exec")
		ev.Set("process.executable", exe)
		ev.Set("user.name", "alice")
		ev.Set("vigil.process.audit_session", float64(session))
		return ev
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var hits []string
	for i, e := range []struct {
		exe     string
		session int
	}{{"/usr/bin/id", 7}, {"/usr/bin/passwd", 8}, {"/usr/bin/passwd", 7}} {
		_, out := rs.Evaluate(exec(fmt.Sprintf("e%d", i+1), e.exe, e.session, at.Add(time.Duration(i)*time.Second)), nil, nil)
		for _, d := range out {
			if d.Hit != nil {
				hits = append(hits, hitText(d, d.Hit.Spec.GroupBy))
			}
		}
	}
	// Session 7 saw both rules in order; session 8 only the second. The
	// auditd rule's events carry no field User (it maps nowhere for
	// auditd), so the per-user correlation never sees them.
	want := []string{"c1111111-1111-4111-8111-111111111111 [7] count=2 values=[proc_id audit_passwd] events=[e1 e3]"}
	if !slices.Equal(hits, want) {
		t.Errorf("hits %q, want %q", hits, want)
	}
	var missing uint64
	for _, s := range rs.Correlation().Stats().Specs {
		if s.Key == "c2222222-2222-4222-8222-222222222222" {
			missing = s.Missing
		}
	}
	if missing != 2 {
		t.Errorf("the per-user correlation missed the group-by field %d times, want 2 (the auditd rule's matches)", missing)
	}
}
