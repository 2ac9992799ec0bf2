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
// the sensor counts such events (StreamStats().Incomplete). A process
// that executed twice in quick succession is described by the image
// /proc shows at the time of reading.
//
// Lost events are counted exactly from the connector's per-CPU sequence
// numbers (and once per receive buffer overflow, whose size is then
// unknown) with Emitter.Lost. Uid and gid changes update the table, so
// later events of the process carry its new ids; a new session (setsid)
// updates its terminal. The process of a thread's exit is reported when
// its main thread exits.
//
// # Events and settings
//
// The same as exec/ebpf: exec, fork and exit events as package proctable
// makes them, and the settings of proctable.Settings.
package proccon

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable"
)

// Name is the sensor's name.
const Name = "exec/proccon"

// Sensor is the exec/proccon sensor.
type Sensor struct {
	mu       sync.Mutex
	log      *slog.Logger
	table    *proctable.Table
	settings proctable.Settings
	stream   *proctable.Stream
	stats    Stats
}

// Stats counts what the sensor received.
type Stats struct {
	Exec, Fork, Exit, UID, GID, SID uint64
	// Lost: events the kernel dropped, from the sequence numbers.
	Lost uint64
	// Overflows: receive buffer overflows (ENOBUFS).
	Overflows uint64
	// Malformed: datagrams that could not be decoded.
	Malformed uint64
}

var (
	_ plugin.Sensor        = (*Sensor)(nil)
	_ plugin.Configurer    = (*Sensor)(nil)
	_ plugin.Alternative   = (*Sensor)(nil)
	_ plugin.Tunable       = (*Sensor)(nil)
	_ plugin.ProcessLister = (*Sensor)(nil)
)

// New returns the sensor.
func New() *Sensor { return &Sensor{log: slog.Default()} }

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }

// Mechanism implements plugin.Sensor.
func (*Sensor) Mechanism() string { return "proc-connector" }

// Provides implements plugin.Alternative.
func (*Sensor) Provides() string { return "process" }

// Requirements implements plugin.Plugin.
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// Configure implements plugin.Configurer: the sensor uses the agent's
// shared process table of env.Root and env.HostID.
func (s *Sensor) Configure(env plugin.Env) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if env.Logger != nil {
		s.log = env.Logger
	}
	s.table = proctable.Shared(env.Root, env.HostID)
	return nil
}

// ApplySettings implements plugin.Tunable.
func (s *Sensor) ApplySettings(raw json.RawMessage) error {
	var st proctable.Settings
	if err := proctable.DecodeSettings(raw, &st); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	if err := st.Validate(); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	s.mu.Lock()
	s.settings = st
	s.mu.Unlock()
	return nil
}

// Processes implements plugin.ProcessLister.
func (s *Sensor) Processes() []plugin.ProcessInfo {
	if t := s.Table(); t != nil {
		return t.Processes()
	}
	return nil
}

// Table returns the process table the sensor keeps, nil before
// Configure.
func (s *Sensor) Table() *proctable.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.table
}

// Stats returns the sensor's counters of the current or last run.
func (s *Sensor) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// StreamStats returns the counters of the current or last run's events;
// Incomplete counts the events of processes gone before /proc was read.
func (s *Sensor) StreamStats() proctable.StreamStats {
	s.mu.Lock()
	st := s.stream
	s.mu.Unlock()
	if st == nil {
		return proctable.StreamStats{}
	}
	return st.Stats()
}

func (s *Sensor) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}
