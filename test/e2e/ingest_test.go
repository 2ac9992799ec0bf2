//go:build e2e

package e2e

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// TestIngestSurvivesCenterKill publishes 100,000 events of one agent,
// kills the center (kill -9) while it is storing them, starts it again on
// the same data dir, and checks that every event is stored exactly once.
func TestIngestSurvivesCenterKill(t *testing.T) {
	t.Parallel()
	const total, perBatch = 100_000, 500
	dir := filepath.Join(t.TempDir(), "center")
	c := startCenter(t, dir)
	a := enrollSim(t, c, c.joinToken("--ttl", "1h"))

	want, msgs := ingestBatches(t, a, total, perBatch)
	wire := 0
	for _, m := range msgs {
		wire += len(m.Data)
	}
	t.Logf("%d events in %d batches, %.1f MB on the wire (zstd)", total, len(msgs), float64(wire)/1e6)

	// The publisher sends again whatever the kill left unacknowledged.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	published := make(chan error, 1)
	var pst publishStats
	go func() {
		var err error
		pst, err = a.publishAll(ctx, msgs)
		published <- err
	}()

	var atKill float64
	began := time.Now()
	waitFor(t, 2*time.Minute, "a part of the events stored", func() bool {
		m, err := c.scrape()
		if err != nil {
			return false
		}
		atKill = m["vigil_ingest_events_stored_total"]
		if atKill >= total {
			t.Fatalf("every event was stored before the kill: nothing to test")
		}
		return atKill >= total/4
	})
	c.proc.kill()
	t.Logf("kill -9 after %s with at least %.0f events stored", time.Since(began).Round(time.Millisecond), atKill)

	c.restart()
	restarted := time.Now()
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	t.Logf("publisher: every batch acknowledged after %s, %d rounds, %d batches sent again",
		pst.took.Round(time.Millisecond), pst.rounds, pst.retried)

	db, err := openDBReader(filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored int64
	var resumed time.Duration // until the restarted center stored its first event
	waitFor(t, 3*time.Minute, "every event stored after the restart", func() bool {
		if m, err := c.scrape(); resumed == 0 && err == nil && m["vigil_ingest_events_stored_total"] > 0 {
			resumed = time.Since(restarted)
		}
		stored, _, err = countEvents(db, a.id.AgentID)
		return err == nil && stored >= total
	})
	after := c.mustScrape()
	t.Logf("restarted center resumed storing after %s, stored the rest in %s: %.0f batches read, %.0f events stored, %.0f duplicates skipped",
		resumed.Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond), after["vigil_ingest_messages_total"],
		after["vigil_ingest_events_stored_total"], after["vigil_ingest_duplicates_total"])
	c.proc.stop(t)

	checkStoredOnce(t, filepath.Join(dir, "vigil.db"), db, a.id.AgentID, want)
}

// ingestBatches makes total process events of the agent, packed perBatch
// to a message, and returns their ids and the messages.
func ingestBatches(t *testing.T, a *simAgent, total, perBatch int) (map[string]bool, []*nats.Msg) {
	t.Helper()
	hostname, _ := os.Hostname()
	want := make(map[string]bool, total)
	msgs := make([]*nats.Msg, 0, total/perBatch+1)
	firstSeq := uint64(time.Now().UnixMicro())
	at := time.Now().Add(-time.Hour)
	batch := make([]event.Event, 0, perBatch)
	for i := range total {
		e, err := processEvent(a.id.AgentID, hostname, i, at.Add(time.Duration(i)*30*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		want[e.ID()] = true
		batch = append(batch, e)
		if len(batch) == perBatch || i == total-1 {
			msgs = append(msgs, a.batch(firstSeq+uint64(len(msgs)), batch))
			batch = batch[:0]
		}
	}
	if len(want) != total {
		t.Fatalf("%d distinct event ids for %d events", len(want), total)
	}
	return want, msgs
}

// checkStoredOnce opens the stopped center's database with the store and
// checks that it holds exactly the wanted events, each once.
func checkStoredOnce(t *testing.T, path string, db *sql.DB, agentID string, want map[string]bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Events().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(want)) {
		t.Errorf("store holds %d events, want %d", n, len(want))
	}

	seen := make(map[string]int, len(want))
	f := store.EventFilter{AgentID: agentID, Ascending: true, Page: store.Page{Limit: store.MaxLimit}}
	for {
		evs, next, err := st.Events().List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			seen[e.ID()]++
		}
		f.Cursor = next
	}
	missing, twice, unknown := 0, 0, 0
	for id := range want {
		if seen[id] == 0 {
			missing++
		}
	}
	for id, k := range seen {
		if k > 1 {
			twice++
		}
		if !want[id] {
			unknown++
		}
	}
	rows, distinct, err := countEvents(db, agentID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stored: Count %d, listed %d distinct ids, SQL %d rows / %d distinct event ids", n, len(seen), rows, distinct)
	if missing > 0 || twice > 0 || unknown > 0 || rows != int64(len(want)) || distinct != rows {
		t.Fatalf("events: %d missing, %d stored more than once, %d unknown; %d rows, %d distinct ids (want %d)",
			missing, twice, unknown, rows, distinct, len(want))
	}
}
