package health

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// BenchmarkHeartbeats measures the center's cost of heartbeats from 10,000
// agents (handling each, and the periodic last-seen flush), without the
// bus: it reports heartbeats per second of one core and the time of one
// flush of 10,000 last-seen times.
func BenchmarkHeartbeats(b *testing.B) {
	const agents = 10_000
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	msgs := make([]*nats.Msg, agents)
	for i := range msgs {
		id := fmt.Sprintf("agent-%05d", i)
		if err := st.Agents().Create(b.Context(), store.Agent{ID: id, Hostname: id, UserKey: id}); err != nil {
			b.Fatal(err)
		}
		data, _ := proto.Marshal(&busv1.Heartbeat{AgentId: id, Seq: 7, SentAtUnixNano: time.Now().UnixNano(),
			Stats: &busv1.AgentStats{CpuPercent: 2, RssBytes: 50 << 20, SpoolBytes: 1 << 20}})
		msgs[i] = &nats.Msg{Subject: bus.HeartbeatSubject(id), Data: data}
	}
	s := New(Config{Store: st})
	all, err := s.loadAll(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	s.reg.sync(all, time.Now())
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		s.onHeartbeat(ctx, msgs[i%agents])
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "heartbeats/s")
	b.StopTimer()
	s.flush(time.Now(), false)
	s.q.close()
	t0 := time.Now()
	s.work(ctx)
	b.ReportMetric(float64(time.Since(t0).Milliseconds()), "ms/flush")
}
