package engine

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/detect/sigma"
	"github.com/vigilsec/vigil/internal/event"
)

// compileSet parses src, attaches its meta filters (sigma.Set.Validate)
// and compiles it.
func compileSet(t testing.TB, src string) (*Engine, []Problem) {
	t.Helper()
	set := sigma.Parse("test.yml", []byte(src))
	set.Validate()
	if len(set.Errors) > 0 {
		t.Fatalf("parse: %v", set.Errors[0])
	}
	return New(set.Rules, Options{})
}

// filterText returns a meta filter naming rules, with the filter
// section's searches and condition.
func filterText(id, logsource string, rules []string, section string) string {
	return "title: Filter " + id + "\nid: " + id + "\nlogsource: " + logsource + "\nfilter:\n    rules: [" + strings.Join(rules, ", ") + "]\n" + section
}

// TestFilterSemantics: a rule matches when its condition holds and so
// does each of its filters' conditions, which are read with the rule's
// log source (Sigma field names, modifiers, keywords and lists of
// objects as in rules).
func TestFilterSemantics(t *testing.T) {
	shell := ruleText("r-shell", lsProc, "    sel:\n        Image|endswith: /bash\n    condition: sel\n")
	conn := ruleText("r-conn", "{product: linux, category: network_connection}", "    sel:\n        DestinationPort: 4444\n    condition: sel\n")
	bash := execEvent("/usr/bin/bash", "bash", "-i")
	cronBash := with(bash, map[string]any{"process.parent.executable": "/usr/sbin/cron", "user.name": "backup"})
	nc := networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 4444)
	tests := []struct {
		name    string
		src     string
		events  []event.Event
		matches []string // ids matched per event
	}{
		{"exclusion with Sigma names",
			shell + "---\n" + filterText("f-1", "{product: linux, category: process_creation}", []string{"r-shell"},
				"    job:\n        User: backup\n        ParentImage|endswith: /cron\n    condition: not job\n"),
			[]event.Event{bash, cronBash, with(cronBash, map[string]any{"user.name": "root"})},
			[]string{"r-shell", "", "r-shell"}},
		{"inclusion",
			shell + "---\n" + filterText("f-1", "{product: linux}", []string{"r-shell"},
				"    prod:\n        host.name|startswith: prod-\n    condition: prod\n"),
			[]event.Event{bash, with(bash, map[string]any{"host.name": "prod-web-1"})},
			[]string{"", "r-shell"}},
		{"by title, two filters, each must let the event through",
			shell + "---\n" + filterText("f-1", "{product: linux}", []string{"'Rule r-shell'"},
				"    a:\n        user.name: backup\n    condition: not a\n") + "---\n" +
				filterText("f-2", "{product: linux}", []string{"r-shell"}, "    b:\n        process.args: -i\n    condition: not b\n"),
			[]event.Event{bash, with(bash, map[string]any{"process.args": []any{"bash", "-l"}}), with(cronBash, map[string]any{"process.args": []any{"bash"}})},
			[]string{"", "r-shell", ""}},
		{"keywords, modifiers and lists of objects",
			shell + "---\n" + filterText("f-1", "{product: linux}", []string{"r-shell"},
				"    kw:\n        - 'executed bash -i'\n    tty:\n        process.stdio.type: socket\n        process.stdio.fd: 0\n    when:\n        '@timestamp|hour|gte': 22\n    condition: not (kw and tty) and not when\n"),
			[]event.Event{reverseShell, with(reverseShell, map[string]any{"message": "a shell"}), bash,
				with(bash, map[string]any{"@timestamp": "2024-06-12T23:00:00Z"})},
			[]string{"", "r-shell", "r-shell", ""}},
		{"one filter, two log sources",
			shell + "---\n" + conn + "---\n" + filterText("f-1", "{product: linux}", []string{"r-shell", "r-conn"},
				"    svc:\n        user.name: [www-data, backup]\n    condition: not svc\n"),
			[]event.Event{bash, cronBash, nc, with(nc, map[string]any{"user.name": "alice"})},
			[]string{"r-shell", "", "", "r-conn"}},
		{"a filter leaves other rules alone",
			shell + "---\n" + ruleText("r-other", lsProc, "    sel:\n        Image|endswith: /bash\n    condition: sel\n") + "---\n" +
				filterText("f-1", "{product: linux}", []string{"r-shell"}, "    a:\n        user.name: alice\n    condition: not a\n"),
			[]event.Event{bash},
			[]string{"r-other"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, problems := compileSet(t, tc.src)
			if len(problems) > 0 {
				t.Fatal(problems[0])
			}
			for i, ev := range tc.events {
				for _, d := range []event.Event{ev, decoded(ev)} {
					if got, all := ids(e.Match(d, nil)), ids(e.matchAll(d, nil)); got != tc.matches[i] || all != got {
						t.Errorf("event %d: matched %q (every rule: %q), want %q", i, got, all, tc.matches[i])
					}
				}
			}
		})
	}
}

// TestFilterProblems: a filter that cannot be applied to a rule is a
// problem of the filter, at its place, naming the rule; the rule is
// loaded without it, and the filter applies to the other rules it names.
func TestFilterProblems(t *testing.T) {
	shell := ruleText("r-shell", lsProc, "    sel:\n        Image|endswith: /bash\n    condition: sel\n")
	audit := ruleText("r-audit", "{product: linux, service: auditd}", "    sel:\n        type: EXECVE\n        a0: bash\n    condition: sel\n")
	conn := ruleText("r-conn", "{product: linux, category: network_connection}", "    sel:\n        DestinationPort: 4444\n    condition: sel\n")
	tests := []struct {
		name    string
		filter  string
		line    int
		reason  string
		applied []string // rules loaded with the filter
	}{
		{"field of another log source",
			filterText("f-1", "{product: linux}", []string{"r-shell", "r-conn"}, "    a:\n        DestinationIp: 10.0.0.1\n    condition: not a\n"),
			38, "meta filter not applied to rule r-shell (Rule r-shell): field DestinationIp has no mapping for linux/process_creation", []string{"r-conn"}},
		{"auditd field for a process rule",
			filterText("f-1", "{product: linux}", []string{"r-shell", "r-audit"}, "    a:\n        exe|endswith: /sudo\n    condition: not a\n"),
			38, "field exe has no mapping for linux/process_creation", []string{"r-audit"}},
		{"log source that does not cover the rule",
			filterText("f-1", "{product: linux, category: network_connection}", []string{"r-shell", "r-conn"}, "    a:\n        user.name: root\n    condition: not a\n"),
			34, "the filter's logsource linux/network_connection does not cover the rule's (linux/process_creation)", []string{"r-conn"}},
		{"another product",
			filterText("f-1", "{product: windows}", []string{"r-conn"}, "    a:\n        user.name: root\n    condition: not a\n"),
			34, "logsource windows does not cover the rule's (linux/network_connection)", nil},
		{"field that cannot be evaluated",
			filterText("f-1", "{product: linux}", []string{"r-shell"}, "    a:\n        IntegrityLevel: High\n    condition: not a\n"),
			38, "field IntegrityLevel cannot be evaluated", nil},
		{"regular expression Go cannot compile",
			filterText("f-1", "{product: linux}", []string{"r-shell"}, "    a:\n        CommandLine|re: '(?=x)'\n    condition: not a\n"),
			38, "cannot be compiled", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, problems := compileSet(t, shell+"---\n"+audit+"---\n"+conn+"---\n"+tc.filter)
			if len(problems) != 1 {
				t.Fatalf("problems %v", problems)
			}
			p := problems[0]
			if !p.Filter || p.RuleID != "f-1" || p.Title != "Filter f-1" || p.Pos.File != "test.yml" || p.Pos.Line != tc.line || !strings.Contains(p.Reason, tc.reason) {
				t.Errorf("problem %+v (line %d), want line %d: %s", p, p.Pos.Line, tc.line, tc.reason)
			}
			if len(e.Rules()) != 3 {
				t.Fatalf("%d rules loaded", len(e.Rules()))
			}
			var applied []string
			for _, r := range e.Rules() {
				for _, f := range r.Filters {
					if f.ID == "f-1" {
						applied = append(applied, r.ID)
					}
				}
			}
			if strings.Join(applied, ",") != strings.Join(tc.applied, ",") {
				t.Errorf("filter applied to %q, want %q", applied, tc.applied)
			}
			// The rule the filter could not be applied to still fires.
			if got := ids(e.Match(execEvent("/usr/bin/bash", "bash"), nil)); got != "r-shell,r-audit" {
				t.Errorf("matched %q", got)
			}
		})
	}
}

// TestFiltersChangeOnlyTheRulesTheyName compares, for random rule sets
// with random meta filters and random events, three engines: the rules
// alone, the rules with the filters, and the rules with each filter
// merged into the condition of the rules it names (`rule and (filter)`).
// A rule no filter names has the same verdict with and without filters;
// every rule has that of its merged form; and the index gives the
// verdicts of evaluating every rule.
func TestFiltersChangeOnlyTheRulesTheyName(t *testing.T) {
	rounds := 12
	if testing.Short() {
		rounds = 3
	}
	var unnamed, named, suppressed int
	for seed := uint64(1); seed <= uint64(rounds); seed++ {
		g := newGen(1000 + seed)
		nrules := 40 + int(seed)*10
		fs := g.filterSet(nrules, nrules/4)
		plain, problems := compileRules(t, fs.rules, Options{})
		if len(problems) > 0 {
			t.Fatalf("seed %d: %v", seed, problems[0])
		}
		filtered, problems := compileSet(t, fs.rules+"---\n"+fs.filters)
		if len(problems) > 0 {
			t.Fatalf("seed %d: %v", seed, problems[0])
		}
		merged, problems := compileRules(t, fs.merged, Options{})
		if len(problems) > 0 {
			t.Fatalf("seed %d: %v", seed, problems[0])
		}
		var a, b, m, all []*Rule
		for i := 0; i < 400; i++ {
			ev := g.event()
			if i%3 == 0 {
				ev = decoded(ev)
			}
			a, b = plain.Match(ev, a[:0]), filtered.Match(ev, b[:0])
			m, all = merged.Match(ev, m[:0]), filtered.matchAll(ev, all[:0])
			if ids(b) != ids(m) || ids(b) != ids(all) {
				t.Fatalf("seed %d event %d: with filters %q, merged %q, every rule %q\nevent: %v", seed, i, ids(b), ids(m), ids(all), ev)
			}
			inB := map[string]bool{}
			for _, r := range b {
				inB[r.ID] = true
				if fs.named[r.ID] {
					named++
				}
			}
			for _, r := range a {
				switch {
				case !fs.named[r.ID] && !inB[r.ID]:
					t.Fatalf("seed %d event %d: rule %s, which no filter names, lost its match\nevent: %v", seed, i, r.ID, ev)
				case !fs.named[r.ID]:
					unnamed++
				case !inB[r.ID]:
					suppressed++
				}
			}
			if len(b) > len(a) {
				t.Fatalf("seed %d event %d: filters added matches: %q, without %q", seed, i, ids(b), ids(a))
			}
		}
	}
	if unnamed == 0 || named == 0 || suppressed == 0 {
		t.Errorf("matches of unnamed rules %d, of named rules %d, suppressed %d: the test compares too little", unnamed, named, suppressed)
	}
	t.Logf("%d matches of rules no filter names, %d of rules filters name, %d suppressed", unnamed, named, suppressed)
}

// TestMatchWithFiltersDoesNotAllocate: filters keep Match free of
// allocations.
func TestMatchWithFiltersDoesNotAllocate(t *testing.T) {
	g := newGen(8)
	fs := g.filterSet(300, 100)
	e, problems := compileSet(t, fs.rules+"---\n"+fs.filters)
	if len(problems) > 0 {
		t.Fatal(problems[0])
	}
	events := make([]event.Event, 256)
	for i := range events {
		events[i] = g.event()
	}
	dst := make([]*Rule, 0, 64)
	for _, ev := range events {
		dst = e.Match(ev, dst[:0])
	}
	var suppressed uint64
	for _, f := range e.Filters() {
		suppressed += f.Suppressed()
	}
	if suppressed == 0 {
		t.Error("no filter suppressed a match: the test measures none of their work")
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		dst = e.Match(events[i%len(events)], dst[:0])
		i++
	})
	if allocs > 0 {
		t.Errorf("Match allocates %.2f times per event", allocs)
	}
}
