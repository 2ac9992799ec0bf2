package spool

import (
	"testing"
	"time"
)

const benchRecord = 400

// reportRate adds records/s and keeps MB/s (from SetBytes) for record-sized
// operations.
func reportRate(b *testing.B, records int) {
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkAppend(b *testing.B) {
	payload := rec(0, benchRecord)
	cases := []struct {
		name     string
		group    int
		maxBytes int64
	}{
		{"single", 1, 4 << 30}, // large enough to drop nothing
		{"group16", 16, 4 << 30},
		{"full", 1, 4 << 20}, // every append drops the oldest record
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := openT(b, b.TempDir(), Options{MaxBytes: c.maxBytes})
			group := make([][]byte, c.group)
			for i := range group {
				group[i] = payload
			}
			b.SetBytes(int64(benchRecord * c.group))
			b.ResetTimer()
			for b.Loop() {
				if err := s.Append(group...); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, b.N*c.group)
		})
	}
	b.Run("parallel", func(b *testing.B) {
		s := openT(b, b.TempDir(), Options{MaxBytes: 4 << 30})
		b.SetBytes(benchRecord)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.Append(payload); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, b.N)
	})
}

// BenchmarkPeekCommit measures the reader: one operation is a Peek and a
// Commit of a batch of records; the spool is refilled outside the timer.
func BenchmarkPeekCommit(b *testing.B) {
	payload := rec(0, benchRecord)
	group := make([][]byte, 64)
	for i := range group {
		group[i] = payload
	}
	for _, c := range []struct {
		name  string
		batch int
	}{{"batch100", 100}, {"batch1000", 1000}} {
		b.Run(c.name, func(b *testing.B) {
			s := openT(b, b.TempDir(), Options{SyncInterval: time.Hour})
			refill := func() {
				for range (64 << 20) / (benchRecord * len(group)) {
					if err := s.Append(group...); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.SetBytes(int64(benchRecord * c.batch))
			b.ResetTimer()
			for range b.N {
				if s.Stats().Records < int64(c.batch) {
					b.StopTimer()
					refill()
					b.StartTimer()
				}
				batch, err := s.Peek(c.batch, 1<<20)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Commit(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportRate(b, b.N*c.batch)
		})
	}
}
