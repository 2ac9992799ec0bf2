// Package proccon is the exec/proccon sensor: process events (exec, fork,
// exit) from the kernel's netlink proc connector, with the details read
// from /proc. It is the fallback where eBPF cannot run (no BTF, no
// permission to load programs, an old kernel): plugin.Alternative,
// provides "process", after exec/ebpf.
//
// The proc connector says only that process P forked, executed or
// exited (and changed its uid, gid or session); everything else is read
// from /proc/P when the event arrives. A process that has already exited
// by then (a short-lived command) cannot be read: its exec event carries
// what the table knew from its fork, vigil.process.incomplete: true and
// vigil.process.missing naming the fields that could not be read, and
// the sensor counts such events (incomplete_events). A process that
// executed twice in quick succession is described by the image /proc
// shows at the time of reading.
//
// Lost events are counted exactly from the connector's per-CPU sequence
// numbers (and once per receive buffer overflow, whose size is then
// unknown) with Emitter.Lost, and in the sensor's counters
// (plugin.Counted: lost_records, overflows, malformed_messages, with
// those of the table that proctable.SensorBase reports). Uid and gid
// changes update the table, so later events of the process carry its new
// ids; a new session (setsid) updates its terminal. The process of a
// thread's exit is reported when its main thread exits.
//
// # Events and settings
//
// The same as exec/ebpf: exec, fork and exit events as package proctable
// makes them, and the settings of proctable.Settings.
package proccon

import (
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable"
)

// Name is the sensor's name.
const Name = "exec/proccon"

// Sensor is the exec/proccon sensor.
type Sensor struct {
	*proctable.SensorBase[proctable.Settings, Stats]
}

// Stats counts what the sensor received since it was made.
type Stats struct {
	Exec, Fork, Exit, UID, GID, SID uint64
	// Lost: events the kernel dropped, from the sequence numbers.
	Lost uint64
	// Overflows: receive buffer overflows (ENOBUFS).
	Overflows uint64
	// Malformed: datagrams that could not be decoded.
	Malformed uint64
}

// Map names the counters for plugin.Counted.
func (s Stats) Map() map[string]uint64 {
	return map[string]uint64{"execs": s.Exec, "forks": s.Fork, "exits": s.Exit,
		"uid_changes": s.UID, "gid_changes": s.GID, "session_changes": s.SID,
		"lost_records": s.Lost, "overflows": s.Overflows, "malformed_messages": s.Malformed}
}

var (
	_ plugin.Sensor        = (*Sensor)(nil)
	_ plugin.Configurer    = (*Sensor)(nil)
	_ plugin.Alternative   = (*Sensor)(nil)
	_ plugin.Tunable       = (*Sensor)(nil)
	_ plugin.ProcessLister = (*Sensor)(nil)
	_ plugin.Counted       = (*Sensor)(nil)
)

// New returns the sensor.
func New() *Sensor { return &Sensor{proctable.NewSensorBase[proctable.Settings, Stats](Name)} }

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }

// Mechanism implements plugin.Sensor.
func (*Sensor) Mechanism() string { return "proc-connector" }

// Requirements implements plugin.Plugin.
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}
