package ingest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/bus"
)

// BenchmarkIngest measures the whole path: agents' zstd batches of 200
// events published to the stream, read, decoded and stored in SQLite.
func BenchmarkIngest(b *testing.B) {
	const per, agents = 200, 8
	e := newEnv(b)
	batches := (b.N + per - 1) / per
	msgs := make([][]byte, batches)
	for i := range msgs {
		id := fmt.Sprintf("agent-%d", i%agents)
		n := min(per, b.N-i*per)
		msgs[i] = batchMsg(id, lines(b, events(id, fmt.Sprintf("bench-%d", i), n)), n, true, 0)
	}
	s, _ := e.run(Config{})
	b.ResetTimer()
	start := time.Now()
	ctx := context.Background()
	for i, m := range msgs {
		if _, err := e.js.PublishAsync(bus.EventsSubject(fmt.Sprintf("agent-%d", i%agents)), m); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-e.js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publish did not complete")
	}
	for s.Stats().EventsStoredTotal < uint64(b.N) {
		if ctx.Err() != nil || time.Since(start) > 5*time.Minute {
			b.Fatal("ingest did not finish")
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
