package storetest

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// ProcessEvent returns a realistic ECS process execution event of about 400
// bytes, the bulk of what agents send. Its id derives from seq.
func ProcessEvent(seq int, agentID string, when time.Time) event.Event {
	pid := 1000 + seq%30000
	e := event.New(fmt.Sprintf("%s-%012d", agentID, seq), when, "process", "exec")
	e.Set(event.FieldKind, "event")
	e.Set(event.FieldDataset, "process")
	e.Set(event.FieldOutcome, "success")
	e.Set(event.FieldAgentID, agentID)
	e.Set(event.FieldAgentVersion, "1.4.0")
	e.Set(event.FieldHostID, "c0ffee00d00d4b1d")
	e.Set(event.FieldHostName, "web-01.prod.example")
	e.Set(event.FieldProcessPID, pid)
	e.Set(event.FieldProcessExe, "/usr/bin/curl")
	e.Set(event.FieldProcessCmd, fmt.Sprintf("curl -fsS https://repo.example/pkg/%d.tar.gz -o /tmp/pkg.tgz", seq))
	e.Set(event.FieldProcessEntity, fmt.Sprintf("%s:%d:%d", agentID, pid, when.Unix()))
	e.Set(event.FieldParentExe, "/bin/bash")
	e.Set("process.parent.pid", pid-1)
	e.Set(event.FieldUserName, "deploy")
	e.Set("user.id", "1001")
	return e
}

// idSchemes are the event id layouts BenchInsert measures: time-ordered
// ids append to the unique index, random ones touch a page of it per event.
var idSchemes = []struct {
	name string
	new  func() string
}{
	{"uuidv7", func() string { return uuid.Must(uuid.NewV7()).String() }},
	{"uuidv4", uuid.NewString},
}

// BenchInsert measures EventStore.Insert with batches of batch process
// events, once per id scheme, each on a fresh store from open, and reports
// events/s. Every event is new. One batch is reused with fresh ids, outside
// the timer, so that the heap stays as small as during ingest.
func BenchInsert(b *testing.B, open func(b *testing.B) store.Store, batch int) {
	for _, ids := range idSchemes {
		b.Run("ids="+ids.name, func(b *testing.B) {
			s := open(b)
			defer s.Close()
			benchInsert(b, s, batch, ids.new)
		})
	}
}

func benchInsert(b *testing.B, s store.Store, batch int, newID func() string) {
	ctx := b.Context()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	evs := make([]event.Event, batch)
	for i := range evs {
		evs[i] = ProcessEvent(i, "agent-bench", start.Add(time.Duration(i)*time.Millisecond))
	}
	var elapsed time.Duration
	for range b.N {
		for _, e := range evs {
			e.Set(event.FieldID, newID())
		}
		t0 := time.Now()
		n, err := s.Events().Insert(ctx, evs)
		elapsed += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if n != batch {
			b.Fatalf("inserted %d of %d", n, batch)
		}
	}
	b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "events/s")
}
