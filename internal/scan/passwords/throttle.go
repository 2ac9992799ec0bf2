package passwords

import (
	"context"
	"time"
)

// throttle keeps the scan's CPU use to a fraction of one core on
// average: after each hash it sleeps until the CPU time used since the
// start, divided by the fraction, has passed. Only one goroutine hashes,
// so the fraction is of one core.
type throttle struct {
	fraction float64
	start    time.Time
	cpuStart time.Duration
	// hashWall sums the wall time of the hashes, the measure where the
	// process's CPU time is not known.
	hashWall time.Duration
	// cpu returns the process's CPU time (processCPU; tests replace it).
	cpu func() (time.Duration, bool)
}

// newThrottle starts a throttle; a fraction of 0 or at least 1 does not
// slow anything down.
func newThrottle(fraction float64) *throttle {
	t := &throttle{fraction: fraction, start: time.Now(), cpu: processCPU}
	t.cpuStart, _ = t.cpu()
	return t
}

// used returns the CPU time used since the start.
func (t *throttle) used() time.Duration {
	if c, ok := t.cpu(); ok {
		return c - t.cpuStart
	}
	return t.hashWall
}

// hashed records a hash that took d of wall time, and sleeps as long as
// the budget asks or until ctx is done.
func (t *throttle) hashed(ctx context.Context, d time.Duration) error {
	t.hashWall += d
	if t.fraction <= 0 || t.fraction >= 1 {
		return ctx.Err()
	}
	due := time.Duration(float64(t.used()) / t.fraction)
	wait := due - time.Since(t.start)
	if wait <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
