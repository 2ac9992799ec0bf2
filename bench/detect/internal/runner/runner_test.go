package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/bench/detect/internal/fleet"
)

// TestMain lets the test binary run as the fleet when the run starts it
// again.
func TestMain(m *testing.M) {
	fleet.RunIfFleet()
	os.Exit(m.Run())
}

// TestShortRun runs a very short benchmark: every phase, with few
// events, and checks that every alert event raised its alert.
func TestShortRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a bus server and a fleet process")
	}
	cfg := Defaults()
	cfg.Rules = []int{10, 100}
	cfg.Backlog, cfg.Agents, cfg.AlertEvery = 3000, 4, 50
	cfg.EngineEvents, cfg.EngineTime = 400, 50*time.Millisecond
	cfg.Rate, cfg.Duration, cfg.Interval, cfg.LatencyRules = 1000, time.Second, 100*time.Millisecond, 100
	cfg.WaitLimit = time.Minute
	cfg.Fleet = []string{os.Args[0]}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete() {
		t.Errorf("alert events without an alert: %v", rep.Missing)
	}
	if rep.Ingest.Events != cfg.Backlog || rep.Ingest.Batches == 0 {
		t.Errorf("backlog %+v", rep.Ingest)
	}
	if len(rep.Throughput) != 2 {
		t.Fatalf("%d throughput rows, want 2", len(rep.Throughput))
	}
	for i, row := range rep.Throughput {
		if row.Rules != cfg.Rules[i] || row.PackRules+row.GeneratedRules != row.Rules || row.Events != cfg.Backlog {
			t.Errorf("row %+v", row)
		}
		if row.AlertEvents == 0 || row.Raised != row.AlertEvents || row.NewAlerts < uint64(row.AlertEvents) {
			t.Errorf("%d rules: %d alert events, %d raised, %d new alerts", row.Rules, row.AlertEvents, row.Raised, row.NewAlerts)
		}
		if row.CPUSeconds <= 0 || row.EventsPerSecond <= 0 || row.RSSPeakMiB <= 0 {
			t.Errorf("%d rules: nothing measured: %+v", row.Rules, row)
		}
		if e := row.Engine; e.Events < rep.EngineSample || e.EventsPerSecond <= 0 || e.DetectionsPerMillion <= 0 {
			t.Errorf("%d rules: engine alone %+v", row.Rules, e)
		}
	}
	l := rep.Latency
	if l == nil {
		t.Fatal("no latency figures")
	}
	// 1000 events/s for 1 s over 4 agents, one alert event in 50 of each.
	if l.Events != 1000 || l.AlertEvents < 16 || l.Raised != l.AlertEvents || l.Failed != 0 {
		t.Errorf("latency: %d events, %d alert events, %d raised, %d refused", l.Events, l.AlertEvents, l.Raised, l.Failed)
	}
	if l.P50ms <= 0 || l.P50ms > l.P90ms || l.P90ms > l.P99ms || l.P99ms > l.Maxms {
		t.Errorf("latency quantiles %v %v %v %v", l.P50ms, l.P90ms, l.P99ms, l.Maxms)
	}

	var text bytes.Buffer
	if err := rep.Print(&text, "text"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Backlog: 3,000 events", "RULES", "PUBLICATION TO ALERT", "(all)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report without %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := rep.Print(&js, "json"); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Latency == nil || back.Latency.Raised != l.Raised {
		t.Errorf("json report does not read back (%v):\n%s", err, js.String())
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		check   func(Config) bool
		wantErr string
	}{
		{nil, func(c Config) bool { return len(c.Rules) == 3 && c.LatencyRules == 1000 && c.Rate == 20000 }, ""},
		{[]string{"-rules", "50, 500", "-rate", "5000", "-duration", "10s"},
			func(c Config) bool { return c.Rules[1] == 500 && c.LatencyRules == 500 && c.Duration == 10*time.Second }, ""},
		{[]string{"-latency-rules", "10", "-o", "json"}, func(c Config) bool { return c.LatencyRules == 10 && c.Output == "json" }, ""},
		{[]string{"-rules", "10,x"}, nil, "not a positive number"},
		{[]string{"-rules", "0"}, nil, "not a positive number"},
		{[]string{"-interval", "2m"}, nil, "interval within the duration"},
		{[]string{"-o", "xml"}, nil, "text or json"},
		{[]string{"-alert-every", "-1"}, nil, "must not be negative"},
		{[]string{"extra"}, nil, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c, err := ParseFlags(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		q    float64
		want float64
	}{{0.5, 50}, {0.9, 90}, {0.99, 99}, {1, 100}, {0.001, 1}}
	for _, tt := range tests {
		if got := quantile(d, tt.q); got != tt.want {
			t.Errorf("quantile %v = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := quantile(nil, 0.5); got != 0 {
		t.Errorf("quantile of nothing = %v", got)
	}
	if got := num(1234567); got != "1,234,567" {
		t.Errorf("num = %s", got)
	}
}
