package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/center/eventbatch"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

func TestIngestStoresEveryEventOnce(t *testing.T) {
	e := newEnv(t)
	s, _ := e.run(Config{BatchSize: 16})
	const agents, batches, per = 3, 20, 50
	for a := range agents {
		id := fmt.Sprintf("agent-%d", a)
		for b := range batches {
			evs := events(id, fmt.Sprintf("%s-b%d", id, b), per)
			e.publish(bus.EventsSubject(id), batchMsg(id, lines(t, evs), per, b%2 == 0, 1))
		}
	}
	const total = agents * batches * per
	eventually(t, "all events stored", func() bool { return e.count() == total })
	eventually(t, "all messages acked", e.settled)
	got := s.Stats()
	want := Stats{
		MessagesTotal: agents * batches, EventsReceivedTotal: total, EventsStoredTotal: total,
		DroppedByAgentsTotal: agents * batches, MalformedTotal: map[string]uint64{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	list, _, err := e.store.Events().List(t.Context(), store.EventFilter{AgentID: "agent-1", Page: store.Page{Limit: 1}})
	if err != nil || len(list) != 1 || list[0].String(event.FieldProcessCmd) == "" {
		t.Errorf("stored event: %v, %v", list, err)
	}
}

func TestIngestDuplicateBatch(t *testing.T) {
	e := newEnv(t)
	s, _ := e.run(Config{})
	msg := batchMsg("a1", lines(t, events("a1", "dup", 40)), 40, true, 0)
	e.publish(bus.EventsSubject("a1"), msg)
	e.publish(bus.EventsSubject("a1"), msg)
	eventually(t, "both messages handled", func() bool { return s.Stats().MessagesTotal == 2 && e.settled() })
	if n := e.count(); n != 40 {
		t.Errorf("stored %d events, want 40", n)
	}
	if st := s.Stats(); st.EventsStoredTotal != 40 || st.DuplicatesTotal != 40 {
		t.Errorf("stored %d duplicates %d, want 40 and 40", st.EventsStoredTotal, st.DuplicatesTotal)
	}
}

func TestIngestRejects(t *testing.T) {
	e := newEnv(t)
	s, _ := e.run(Config{})
	bomb := []byte(strings.Repeat("\n", 64<<20))
	good := events("a1", "good", 3)
	var noAgent event.Event = event.New("no-agent", time.Now(), "network", "connect")
	foreign := events("a2", "foreign", 1)
	invalid := event.Event{"message": "no id"}
	mixed := append(lines(t, append(good, noAgent)), lines(t, append(foreign, invalid))...)
	mixed = append(mixed, []byte("{not json\n\n[1,2]\n")...)
	mixed = append(mixed, []byte(`{"message":"`+strings.Repeat("x", event.MaxSize)+`"}`+"\n")...)

	e.publish(bus.EventsSubject("a1"), []byte("garbage that is no protobuf \xff\xff\xff"))
	e.publish(bus.EventsSubject("a1"), batchMsg("a1", bomb, 0, true, 0))
	e.publish(bus.EventsSubject("a1"), batchMsg("a2", lines(t, foreign), 1, false, 0))
	e.publish(bus.EventsSubject("a1"), append(batchMsg("a1", nil, 0, false, 0), 0x20, 0x07)) // compression 7
	e.publish(bus.EventsSubject("a1"), batchMsg("a1", mixed, 9, false, 0))
	eventually(t, "messages handled", func() bool { return s.Stats().MessagesTotal == 5 && e.settled() })

	want := map[string]uint64{
		eventbatch.ReasonDecode: 1, eventbatch.ReasonTooLarge: 1, eventbatch.ReasonAgentMismatch: 1, eventbatch.ReasonCompression: 1,
		eventbatch.ReasonEventAgent: 1, eventbatch.ReasonEventInvalid: 1, eventbatch.ReasonEventJSON: 2, eventbatch.ReasonEventTooLarge: 1,
	}
	if diff := cmp.Diff(want, s.Stats().MalformedTotal); diff != "" {
		t.Errorf("malformed (-want +got):\n%s", diff)
	}
	if n := e.count(); n != 4 {
		t.Errorf("stored %d events, want the 3 good ones and the one without agent.id", n)
	}
	list, _, err := e.store.Events().List(t.Context(), store.EventFilter{Action: "connect"})
	if err != nil || len(list) != 1 || list[0].AgentID() != "a1" {
		t.Errorf("event without agent.id stored as %v (%v), want agent.id a1", list, err)
	}

	// The service goes on.
	e.publish(bus.EventsSubject("a1"), batchMsg("a1", lines(t, events("a1", "after", 2)), 2, true, 0))
	eventually(t, "later batch stored", func() bool { return e.count() == 6 })
}

func TestIngestResumesAfterStop(t *testing.T) {
	e := newEnv(t)
	const batches, per = 40, 25
	publish := func(from, to int) {
		for b := from; b < to; b++ {
			e.publish(bus.EventsSubject("a1"), batchMsg("a1", lines(t, events("a1", fmt.Sprintf("r%d", b), per)), per, true, 0))
		}
	}
	publish(0, batches/2)
	s1, stop := e.run(Config{BatchSize: 4, Linger: time.Millisecond})
	eventually(t, "first events stored", func() bool { return s1.Stats().EventsStoredTotal > 0 })
	stop()
	publish(batches/2, batches)
	e.run(Config{BatchSize: 4})
	eventually(t, "every event stored", func() bool { return e.count() == batches*per })
	eventually(t, "all messages acked", e.settled)
	if n := e.count(); n != batches*per {
		t.Errorf("stored %d events, want %d", n, batches*per)
	}
}

func TestIngestAfterCrash(t *testing.T) {
	e := newEnv(t)
	const batches, per = 40, 25
	for b := range batches {
		e.publish(bus.EventsSubject("a1"), batchMsg("a1", lines(t, events("a1", fmt.Sprintf("c%d", b), per)), per, false, 0))
	}
	js, nc := e.connect()
	s1, stop := e.run(Config{JS: js, BatchSize: 2, Linger: time.Millisecond, AckWait: time.Second})
	eventually(t, "first events stored", func() bool { return s1.Stats().EventsStoredTotal > 0 })
	nc.Close() // the center dies: nothing more is acked
	stop()
	e.run(Config{BatchSize: 8, AckWait: time.Second})
	eventually(t, "every event stored", func() bool { return e.count() == batches*per })
	eventually(t, "all messages acked", e.settled)
	if n := e.count(); n != batches*per {
		t.Errorf("stored %d events, want %d", n, batches*per)
	}
}

func TestRunRetention(t *testing.T) {
	e := newEnv(t)
	old := events("a1", "old", 3)
	for _, ev := range old {
		ev.Set(event.FieldTimestamp, time.Now().Add(-48*time.Hour).UTC().Format(time.RFC3339Nano))
	}
	if _, err := e.store.Events().Insert(t.Context(), append(old, events("a1", "new", 2)...)); err != nil {
		t.Fatal(err)
	}
	if err := RunRetention(t.Context(), "events", e.store.Events().DeleteBefore, 0); err != nil {
		t.Fatalf("RunRetention without retention: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- RunRetention(ctx, "events", e.store.Events().DeleteBefore, 24*time.Hour) }()
	eventually(t, "old events deleted", func() bool { return e.count() == 2 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunRetention = %v", err)
	}
}
