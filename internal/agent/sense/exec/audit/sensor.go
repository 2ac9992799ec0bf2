// Package audit is the exec/audit sensor: process events (exec, exit)
// from the kernel's audit subsystem, read over the audit netlink socket.
// It is the last resort of the agent's process sensors
// (plugin.Alternative, provides "process"), for hosts where neither eBPF
// (exec/ebpf) nor the netlink proc connector (exec/proccon) works.
//
// # Audit state
//
// The sensor installs its own audit rules, tagged with the key
// "vigil-exec":
//
//	-a always,exit -F arch=b64 -S execve,execveat -F success=1 -k vigil-exec
//	-a always,exit -F arch=b64 -S exit_group -k vigil-exec
//
// and the same for arch=b32 where the kernel has 32-bit system calls.
// When it starts it first removes rules with that key left by an earlier
// run that did not stop cleanly; when it stops it removes exactly the
// rules with that key, and puts back the audit settings it changed
// (enabled, backlog_limit, backlog_wait_time) to their previous values,
// unless something else changed them meanwhile. Audit starts disabled
// on most hosts without an audit daemon; the sensor enables it while it
// runs.
//
// Records reach user space in one of two ways:
//
//   - No audit daemon: the sensor registers itself as the audit process
//     (AUDIT_SET pid) and receives the records on its socket; without
//     that, the kernel would print every record to its log. It raises
//     backlog_limit (setting backlog_limit) and sets backlog_wait_time to
//     0, so that a burst drops records (counted) rather than blocking the
//     processes of the host for up to a minute; both are restored.
//   - An audit daemon (auditd) holds the audit pid: the sensor never takes
//     it over. By default it refuses to run (Probe and Run fail, naming
//     the daemon's pid), because its rules would also put every exec and
//     exit of the host into that daemon's log. With the setting
//     audit_daemon "share" the sensor reads the kernel's read-only
//     multicast group (AUDIT_NLGRP_READLOG, Linux 3.16+, CAP_AUDIT_READ)
//     next to the daemon, still installs (and removes) its own rules,
//     and leaves the daemon's settings alone.
//
// The sensor refuses to run when the audit configuration is immutable
// (enabled=2: its rules could not be removed) or when the failure mode is
// panic (failure=2: a backlog overflow caused by its rules would halt
// the host).
//
// # Events
//
// The records of one audit event (SYSCALL, EXECVE with arguments a0..aN,
// long ones in parts and hex-encoded ones decoded, CWD, PATH, PROCTITLE,
// up to EOE) are put together by serial, whatever their order, and become:
//
//   - exec: pid, ppid, real and effective user and group, login uid
//     (auid), audit session, terminal, executable, name (comm), working
//     directory, arguments (argc, at most 16 KiB, cut with
//     vigil.process.args_truncated), the path given to execve when it
//     differs (vigil.process.exec_path). The start time (hence the entity
//     id), container and stdio are read from /proc; for a process gone by
//     then, the start time is estimated from the event's time and flagged
//     (vigil.process.missing).
//   - exit: from exit_group, with its exit code. A process killed by a
//     signal never calls exit_group and makes no exit event here (the
//     process table retires it when it finds it gone).
//
// Forks are not audited: a clone rule would fire for every thread
// (clone3 hides its flags from audit filters), far too costly. The parent
// of an exec comes from its ppid and the table (or /proc); fork events
// are not emitted. The events have the shape every process sensor emits
// (package proctable, Stream).
//
// Losses are counted with Emitter.Lost: the growth of the kernel's lost
// counter (records, not events: an exec is five to seven records),
// receive buffer overflows of the multicast socket (one each, their size
// unknown), records that cannot be parsed, and events whose end record
// never came; the sensor's counters (plugin.Counted) tell them apart:
// lost_records, overflows, malformed_records, unfinished_events.
//
// # Settings
//
// Those of proctable.Settings (fork_events, fork_window, hash_wait,
// hash_max_mib; forks are never seen, so fork_events changes nothing),
// and:
//
//	backlog_limit  the kernel's audit backlog while the sensor holds
//	               audit: 8192 (64 to 1048576); never lowered below the
//	               host's value
//	audit_daemon   what to do when an audit daemon holds the audit pid:
//	               "refuse" (default) or "share" (multicast reading)
package audit

import (
	"fmt"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable"
)

// Name is the sensor's name.
const Name = "exec/audit"

// RuleKey tags the audit rules the sensor installs.
const RuleKey = "vigil-exec"

// Values of Settings.AuditDaemon.
const (
	DaemonRefuse = "refuse"
	DaemonShare  = "share"
)

// DefaultBacklogLimit is the default of Settings.BacklogLimit.
const DefaultBacklogLimit = 8192

// Settings are the sensor's policy settings.
type Settings struct {
	proctable.Settings
	BacklogLimit int    `json:"backlog_limit,omitempty"`
	AuditDaemon  string `json:"audit_daemon,omitempty"`
}

// Validate checks the values.
func (s Settings) Validate() error {
	if err := s.Settings.Validate(); err != nil {
		return err
	}
	if n := s.BacklogLimit; n != 0 && (n < 64 || n > 1<<20) {
		return fmt.Errorf("settings: backlog_limit %d: want 64 to 1048576", n)
	}
	switch s.AuditDaemon {
	case "", DaemonRefuse, DaemonShare:
	default:
		return fmt.Errorf("settings: audit_daemon %q: want %q or %q", s.AuditDaemon, DaemonRefuse, DaemonShare)
	}
	return nil
}

func (s Settings) backlogLimit() uint32 {
	if s.BacklogLimit == 0 {
		return DefaultBacklogLimit
	}
	return uint32(s.BacklogLimit)
}

// Sensor is the exec/audit sensor.
type Sensor struct {
	*proctable.SensorBase[Settings, Stats]
}

// Stats counts what the sensor received since it was made.
type Stats struct {
	// Audit events read, by kind.
	Exec, Exit uint64
	// FailedExec: exec events of calls that failed (not reported).
	FailedExec uint64
	// KernelLost: growth of the kernel's lost record counter.
	KernelLost uint64
	// Overflows: receive buffer overflows (ENOBUFS).
	Overflows uint64
	// Malformed: records that could not be parsed.
	Malformed uint64
	// Unfinished: events whose end record did not come.
	Unfinished uint64
	// Multicast: the last run read the records next to an audit daemon.
	Multicast bool
}

// Map names the counters for plugin.Counted ("multicast" is 1 while the
// records are read next to an audit daemon).
func (s Stats) Map() map[string]uint64 {
	m := map[string]uint64{"execs": s.Exec, "exits": s.Exit, "failed_execs": s.FailedExec,
		"lost_records": s.KernelLost, "overflows": s.Overflows, "malformed_records": s.Malformed,
		"unfinished_events": s.Unfinished}
	if s.Multicast {
		m["multicast"] = 1
	}
	return m
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
func New() *Sensor { return &Sensor{proctable.NewSensorBase[Settings, Stats](Name)} }

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }

// Mechanism implements plugin.Sensor.
func (*Sensor) Mechanism() string { return "audit" }

// Requirements implements plugin.Plugin.
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}
