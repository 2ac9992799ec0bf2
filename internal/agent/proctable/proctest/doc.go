// Package proctest holds the scenarios that every process sensor
// (exec/ebpf, exec/proccon) must pass, run against the real kernel: real
// processes, a real setuid binary, a real cgroup, a real reverse shell on
// loopback. A sensor package's test calls Run with a constructor of its
// sensor; both sensors are held to the same events.
//
// The scenarios need root and the sensor's kernel mechanism; where they
// are missing they skip, unless VIGIL_REQUIRE_KERNEL=1 makes that a
// failure.
package proctest
