//go:build e2e

package e2e

import (
	"path/filepath"
	"testing"
	"time"
)

// TestAgentOutageDelivery runs the agent runtime with a sensor that emits
// one event every 20 ms, stops the center (SIGTERM) for 60 s while the
// sensor goes on, starts the center again, and checks that every event
// the sensor emitted is stored exactly once.
func TestAgentOutageDelivery(t *testing.T) {
	t.Parallel()
	const (
		tick   = 20 * time.Millisecond
		before = 5 * time.Second // the sensor runs this long before the outage
		outage = 60 * time.Second
		runFor = 70 * time.Second
	)
	dir := t.TempDir()
	c := startCenter(t, filepath.Join(dir, "center"))
	sensor := &tickSensor{interval: tick}
	agentID, stopAgent := runAgent(t, c, filepath.Join(dir, "agent"), c.joinToken("--ttl", "1h"), sensor)

	f := &follower{c: c, agentID: agentID}
	took := waitFor(t, 30*time.Second, "first sensor events stored", func() bool {
		f.poll()
		return len(f.events) > 0
	})
	t.Logf("agent %s enrolled; first events stored after %s", agentID, took.Round(time.Millisecond))
	time.Sleep(before - sensor.runningFor())

	c.proc.stop(t)
	atStop := sensor.emitted()
	time.Sleep(outage)
	atRestart := sensor.emitted()
	c.restart()
	restarted := time.Now()
	t.Logf("center down for %s; the sensor emitted %d events before, %d during the outage",
		outage, atStop, atRestart-atStop)

	// Follow the stored events until every emitted one is there; the
	// sensor stops once it ran runFor.
	stored := map[int]int{}
	seen := 0
	var resumed, caughtUp time.Duration
	total := -1
	deadline := time.Now().Add(3 * time.Minute)
	for {
		f.poll()
		for _, e := range f.events[seen:] {
			if n := tickSeq(e); n >= 0 {
				stored[n]++
			}
		}
		seen = len(f.events)
		if resumed == 0 && anyIn(stored, atStop, atRestart) {
			resumed = time.Since(restarted)
		}
		if caughtUp == 0 && countBelow(stored, atRestart) == atRestart {
			caughtUp = time.Since(restarted)
		}
		if total < 0 && sensor.runningFor() >= runFor {
			total = sensor.stop()
		}
		if total >= 0 && countBelow(stored, total) == total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 3 min: %d of %d events stored (emitted %d before the restart, %d before the outage)",
				len(stored), sensor.emitted(), atRestart, atStop)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("after the restart: first outage event stored in %s, all outage events in %s, all %d events in %s",
		resumed.Round(time.Millisecond), caughtUp.Round(time.Millisecond), total, time.Since(restarted).Round(time.Millisecond))

	// Stop the agent, then read every stored event again from the start.
	stopAgent()
	all := &follower{c: c, agentID: agentID}
	all.poll()
	count := map[int]int{}
	ids := map[string]bool{}
	other := 0
	for _, e := range all.events {
		n := tickSeq(e)
		if n < 0 {
			other++
			continue
		}
		count[n]++
		if ids[e.ID()] {
			t.Errorf("event.id %s stored twice", e.ID())
		}
		ids[e.ID()] = true
	}
	missing, twice, extra := 0, 0, 0
	for n := range total {
		switch count[n] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	for n := range count {
		if n >= total {
			extra++
		}
	}
	t.Logf("stored: %d sensor events (%d emitted), %d other events of the agent", len(ids), total, other)
	if missing > 0 || twice > 0 || extra > 0 {
		t.Fatalf("of %d emitted events %d are missing, %d stored more than once, %d unknown numbers stored", total, missing, twice, extra)
	}
}

// anyIn reports whether a number in [lo, hi) is stored.
func anyIn(stored map[int]int, lo, hi int) bool {
	for i := lo; i < hi; i++ {
		if stored[i] > 0 {
			return true
		}
	}
	return false
}

// countBelow counts the numbers under n that are stored.
func countBelow(stored map[int]int, n int) int {
	k := 0
	for i := range n {
		if stored[i] > 0 {
			k++
		}
	}
	return k
}
