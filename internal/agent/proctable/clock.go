package proctable

import (
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/procid"
)

// Clock converts kernel times (nanoseconds of CLOCK_BOOTTIME, which
// bpf_ktime_get_boot_ns and task start_boottime use, or of
// CLOCK_MONOTONIC, which the proc connector uses, and clock ticks after
// boot, which /proc uses) into wall-clock time. Refresh follows changes
// of the wall clock.
type Clock struct {
	// Wall-clock nanoseconds at boot, and at CLOCK_MONOTONIC's zero.
	bootWall, monoWall atomic.Int64
}

// NewClock returns a refreshed Clock.
func NewClock() *Clock {
	c := &Clock{}
	c.Refresh()
	return c
}

// Refresh measures the clocks again.
func (c *Clock) Refresh() {
	now := time.Now().UnixNano()
	boot, mono := kernelClocks()
	c.bootWall.Store(now - boot)
	c.monoWall.Store(now - mono)
}

// FromBoot converts nanoseconds of CLOCK_BOOTTIME.
func (c *Clock) FromBoot(ns uint64) time.Time { return time.Unix(0, c.bootWall.Load()+int64(ns)) }

// FromMonotonic converts nanoseconds of CLOCK_MONOTONIC.
func (c *Clock) FromMonotonic(ns uint64) time.Time {
	return time.Unix(0, c.monoWall.Load()+int64(ns))
}

// FromTicks converts clock ticks after boot (/proc/PID/stat start time).
func (c *Clock) FromTicks(ticks uint64) time.Time {
	return c.FromBoot(ticks * (1_000_000_000 / procid.TicksPerSecond))
}

// BootNS returns the CLOCK_BOOTTIME reading of a wall-clock time.
func (c *Clock) BootNS(t time.Time) uint64 {
	ns := t.UnixNano() - c.bootWall.Load()
	if ns < 0 {
		return 0
	}
	return uint64(ns)
}

// MonotonicToBoot converts a CLOCK_MONOTONIC reading into CLOCK_BOOTTIME
// (they differ by the time the machine was suspended).
func (c *Clock) MonotonicToBoot(ns uint64) uint64 {
	d := c.monoWall.Load() - c.bootWall.Load()
	v := int64(ns) + d
	if v < 0 {
		return 0
	}
	return uint64(v)
}
