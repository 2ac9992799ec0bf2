package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/bus"
)

func TestParseReport(t *testing.T) {
	tests := []struct {
		line    string
		want    func(Report) bool
		wantErr string
	}{
		{`{"ready":true}`, func(r Report) bool { return r.Ready }, ""},
		{`{"alert":{"event_id":"bench-agent-0001-7","at":1700000000000000000}}`,
			func(r Report) bool {
				return r.Alert.EventID == "bench-agent-0001-7" && r.Alert.At == 1700000000000000000
			}, ""},
		{`{"done":{"events":10,"batches":2,"bytes":300,"alerts":1,"seconds":0.5,"max_lag":1000000}}`,
			func(r Report) bool { return r.Done.Events == 10 && r.Done.MaxLag == time.Millisecond }, ""},
		{`{}`, nil, "0 fields set"},
		{`{"ready":true,"done":{}}`, nil, "2 fields set"},
		{`{"alert":{"event_id":"","at":5}}`, nil, "an event id and a time"},
		{`{"alert":{"event_id":"x","at":-5}}`, nil, "an event id and a time"},
		{`{"done":{"events":-1}}`, nil, "negative"},
		{`not json`, nil, "invalid character"},
		{`{"ready":"yes"}`, nil, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			r, err := ParseReport([]byte(tt.line))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(r) {
				t.Errorf("report %+v", r)
			}
		})
	}
}

func FuzzParseReport(f *testing.F) {
	for _, s := range []string{`{"ready":true}`, `{"alert":{"event_id":"a-1","at":1}}`,
		`{"done":{"events":1,"batches":1,"bytes":1,"alerts":0,"seconds":1}}`, `{}`, `[]`, `null`, `{"done":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseReport(line)
		if err != nil {
			return
		}
		n := 0
		if r.Ready {
			n++
		}
		if r.Alert != nil {
			n++
		}
		if r.Done != nil {
			n++
		}
		if n != 1 {
			t.Errorf("accepted %q with %d fields set", line, n)
		}
	})
}

func TestJobCheck(t *testing.T) {
	agents := []bus.Identity{{AgentID: "bench-agent-0000"}}
	tests := []struct {
		name    string
		job     Job
		wantErr string
	}{
		{"backlog", Job{Mode: Backlog, Agents: agents, Events: 10, Run: "r"}, ""},
		{"steady", Job{Mode: Steady, Agents: agents, Rate: 100, Duration: time.Second, Interval: 100 * time.Millisecond, Run: "r"}, ""},
		{"no agents", Job{Mode: Backlog, Events: 10, Run: "r"}, "no agents"},
		{"no run", Job{Mode: Backlog, Agents: agents, Events: 10}, "no run"},
		{"empty backlog", Job{Mode: Backlog, Agents: agents, Run: "r"}, "needs events"},
		{"interval beyond duration", Job{Mode: Steady, Agents: agents, Rate: 1, Duration: time.Second, Interval: 2 * time.Second, Run: "r"}, "interval"},
		{"no rate", Job{Mode: Steady, Agents: agents, Duration: time.Second, Interval: time.Millisecond, Run: "r"}, "rate"},
		{"negative alerts", Job{Mode: Backlog, Agents: agents, Events: 1, AlertEvery: -1, Run: "r"}, "negative"},
		{"unknown mode", Job{Mode: "burst", Agents: agents, Run: "r"}, "unknown mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.job.Check()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one with %q", err, tt.wantErr)
			}
		})
	}
}

func TestSlotCounts(t *testing.T) {
	job := Job{Mode: Steady, Rate: 1000, Duration: 2 * time.Second, Interval: 100 * time.Millisecond}
	total := 0
	for i := range 3 {
		c := slotCounts(job, i, 3)
		if len(c) != 20 {
			t.Fatalf("%d slots, want 20", len(c))
		}
		for _, n := range c {
			total += n
		}
	}
	// 1000/s over 3 agents for 2 s: each agent's share is rounded down.
	if total < 1997 || total > 2000 {
		t.Errorf("%d events in 2 s at 1000/s", total)
	}
	if got := slotCounts(Job{Mode: Backlog, Events: 10}, 0, 3); len(got) != 1 || got[0] != 4 {
		t.Errorf("backlog slots %v, want [4]", got)
	}
}
