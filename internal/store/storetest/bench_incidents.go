package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// BenchAttach measures IncidentStore.Attach, one goroutine after another
// and from several at once, each on a fresh store from open, and reports
// attaches/s. Each alert brings five entities: its own process and a
// remote address, a user, a domain and a file hash drawn from pools, so
// that most alerts join an incident and some bridge two.
func BenchAttach(b *testing.B, open func(b *testing.B) store.Store) {
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			s := open(b)
			defer s.Close()
			joins := make([]store.Join, b.N)
			for i := range joins {
				id := fmt.Sprintf("al-%08d", i)
				when := at(time.Duration(i) * time.Second)
				if _, _, err := s.Alerts().Raise(b.Context(), alert(id, "", when)); err != nil {
					b.Fatal(err)
				}
				joins[i] = store.Join{AlertID: id, Window: time.Hour, At: when, Entities: []store.Entity{
					ent(store.EntityProcess, fmt.Sprintf("agent-1:%d:1773451613", i)),
					ent(store.EntityIP, fmt.Sprintf("198.51.100.%d", i%1000)),
					ent(store.EntityUser, fmt.Sprintf("user%d@web-01", i%50)),
					ent(store.EntityDomain, fmt.Sprintf("c%d.example", i%200)),
					ent(store.EntityFileHash, fmt.Sprintf("%064x", i%300)),
				}}
			}
			b.ResetTimer()
			t0 := time.Now()
			if parallel {
				var next atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, _, err := s.Incidents().Attach(b.Context(), joins[next.Add(1)-1]); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for _, j := range joins {
					if _, _, err := s.Incidents().Attach(b.Context(), j); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "attaches/s")
		})
	}
}
