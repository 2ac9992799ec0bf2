package sqlstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// feed returns n indicators of a feed of addresses, as an import writes
// them.
func feed(n int, source string, updated time.Time) []store.Indicator {
	out := make([]store.Indicator, n)
	for i := range out {
		value := fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256)
		out[i] = store.Indicator{ID: store.IndicatorID(store.IndicatorIP, value, source), Type: store.IndicatorIP,
			Value: value, Source: source, Description: "Emotet C2 server", Severity: "high", Confidence: 80,
			Tags: []string{"botnet"}, Techniques: []string{"T1071.001"}, UpdatedAt: updated}
	}
	return out
}

// BenchmarkIntel measures, on SQLite, the writes and reads of a feed of
// 20,000 indicators: its import again (every indicator updated), the walk
// of a matcher's reload over it, and a flush of hit counts of 500
// indicators. It reports indicators/s.
func BenchmarkIntel(b *testing.B) {
	const size, hit = 20000, 500
	is := openSQLite(b).Intel()
	start := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	if _, _, err := is.Put(b.Context(), feed(size, "feodo", start)); err != nil {
		b.Fatal(err)
	}
	b.Run("put", func(b *testing.B) {
		ins := feed(size, "feodo", start.Add(time.Hour))
		for b.Loop() {
			if _, updated, err := is.Put(b.Context(), ins); err != nil || updated != size {
				b.Fatalf("put: %d updated, %v", updated, err)
			}
		}
		b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "indicators/s")
	})
	b.Run("each", func(b *testing.B) {
		for b.Loop() {
			n := 0
			if err := is.Each(b.Context(), start, func(store.Indicator) error { n++; return nil }); err != nil || n != size {
				b.Fatalf("each: %d, %v", n, err)
			}
		}
		b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "indicators/s")
	})
	b.Run("hits", func(b *testing.B) {
		ins := feed(hit, "feodo", start)
		hits := make(map[string]int64, hit)
		for _, in := range ins {
			hits[in.ID] = 3
		}
		for b.Loop() {
			if err := is.RecordHits(b.Context(), hits, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*hit)/b.Elapsed().Seconds(), "indicators/s")
	})
}
