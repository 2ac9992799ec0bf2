package proctable

import "golang.org/x/sys/unix"

// kernelClocks returns CLOCK_BOOTTIME and CLOCK_MONOTONIC in nanoseconds.
func kernelClocks() (boot, mono int64) {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts) == nil {
		boot = ts.Nano()
	}
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) == nil {
		mono = ts.Nano()
	}
	return boot, mono
}
