package stats

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []time.Duration
		want Summary
	}{
		{"empty", nil, Summary{}},
		{"one", ms(7), Summary{Count: 1, Min: 7 * time.Millisecond, Median: 7 * time.Millisecond, P95: 7 * time.Millisecond, Max: 7 * time.Millisecond}},
		{"two", ms(9, 1), Summary{Count: 2, Min: time.Millisecond, Median: time.Millisecond, P95: 9 * time.Millisecond, Max: 9 * time.Millisecond}},
		{"unsorted twenty", ms(20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1),
			Summary{Count: 20, Min: time.Millisecond, Median: 10 * time.Millisecond, P95: 19 * time.Millisecond, Max: 20 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Summarize(tt.in)); diff != "" {
				t.Errorf("Summarize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummarizeKeepsInput(t *testing.T) {
	in := ms(3, 1, 2)
	Summarize(in)
	if diff := cmp.Diff(ms(3, 1, 2), in); diff != "" {
		t.Errorf("input changed (-want +got):\n%s", diff)
	}
}

func TestPercentile(t *testing.T) {
	sorted := ms(10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
	tests := []struct {
		p    float64
		want time.Duration
	}{
		{-5, 10 * time.Millisecond},
		{1, 10 * time.Millisecond},
		{50, 50 * time.Millisecond},
		{51, 60 * time.Millisecond},
		{95, 100 * time.Millisecond},
		{100, 100 * time.Millisecond},
		{250, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := Percentile(sorted, tt.p); got != tt.want {
			t.Errorf("Percentile(p=%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
}

func TestSummaryJSON(t *testing.T) {
	got, err := json.Marshal(Summarize(ms(1, 2, 3)))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"count":3,"min_ms":1,"median_ms":2,"p95_ms":3,"max_ms":3}`
	if string(got) != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}

func TestTenthRates(t *testing.T) {
	tests := []struct {
		name        string
		in          []time.Duration
		first, last float64
	}{
		{"too few", ms(1, 2, 3), 0, 0},
		// 20 events: the first two by 100 ms (20/s), the last two 500 ms
		// apart from the one before them (4/s).
		{"slowing", ms(50, 100, 150, 200, 250, 300, 350, 400, 450, 500, 550, 600, 650, 700, 750, 800, 850, 900, 1100, 1400), 20, 4},
		{"no time", ms(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0, 0},
	}
	for _, tt := range tests {
		first, last := TenthRates(tt.in)
		if first != tt.first || last != tt.last {
			t.Errorf("%s: TenthRates = %v, %v; want %v, %v", tt.name, first, last, tt.first, tt.last)
		}
	}
}
