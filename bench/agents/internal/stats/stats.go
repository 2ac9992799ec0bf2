// Package stats summarizes samples of durations: count, minimum, median,
// 95th percentile and maximum, by the nearest-rank method.
package stats

import (
	"encoding/json"
	"math"
	"slices"
	"time"
)

// Summary describes a set of durations. It is the zero value for an empty
// set.
type Summary struct {
	Count  int           `json:"count"`
	Min    time.Duration `json:"-"`
	Median time.Duration `json:"-"`
	P95    time.Duration `json:"-"`
	Max    time.Duration `json:"-"`
}

// Summarize returns the summary of samples; samples is not modified.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return Summary{
		Count:  len(s),
		Min:    s[0],
		Median: Percentile(s, 50),
		P95:    Percentile(s, 95),
		Max:    s[len(s)-1],
	}
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest sample with at least p percent of the
// samples at or below it. It returns 0 for an empty slice; p outside
// (0, 100] is clamped.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// MarshalJSON writes the durations in milliseconds (with fractions), the
// unit a reader of benchmark output expects.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Count    int     `json:"count"`
		MinMS    float64 `json:"min_ms"`
		MedianMS float64 `json:"median_ms"`
		P95MS    float64 `json:"p95_ms"`
		MaxMS    float64 `json:"max_ms"`
	}{s.Count, Millis(s.Min), Millis(s.Median), Millis(s.P95), Millis(s.Max)})
}

// Millis is d in milliseconds, rounded to microseconds.
func Millis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// TenthRates returns the rate (per second) of the first and of the last
// tenth of events that finished at the given offsets from a common start
// (ascending). Both are 0 with fewer than 10 events.
func TenthRates(finished []time.Duration) (first, last float64) {
	n := len(finished)
	k := n / 10
	if k == 0 {
		return 0, 0
	}
	if d := finished[k-1]; d > 0 {
		first = float64(k) / d.Seconds()
	}
	if d := finished[n-1] - finished[n-1-k]; d > 0 {
		last = float64(k) / d.Seconds()
	}
	return first, last
}
