// Package ebpf is the exec/ebpf sensor: process events (exec, fork, exit)
// from eBPF programs on the scheduler's BTF tracepoints
// (tp_btf/sched_process_exec, sched_process_fork, sched_process_exit),
// read through one ring buffer. It is the first choice of the agent's
// process sensors (plugin.Alternative, provides "process"); exec/proccon
// stands in where eBPF cannot run.
//
// Everything an exec event needs is taken in the kernel at the exec,
// in the context of the new image: executable path (walked from the
// file's dentry across mounts) and file identity, arguments (at most 16
// KiB; longer ones are cut and vigil.process.args_truncated is set),
// working directory, real and effective ids, login uid and audit
// session, terminal, cgroup (unified hierarchy, or the memory
// controller's on cgroup v1 hosts) and file descriptors 0-2 with the
// endpoints of inet sockets and the paths of unix sockets. A process that
// exits a microsecond after its exec is therefore described in full.
// Only the executable's SHA-256 is computed in user space, from
// /proc/PID/exe or the path, checked against the identity the kernel
// reported (package proctable/exehash).
//
// Records are read in batches: the programs wake the reader only once 32
// KiB of records wait, and the reader looks at least every 100 ms, so an
// event reaches the runtime within about 100 ms while a burst costs one
// wakeup per few dozen records instead of one per record.
//
// The sensor keeps the shared process table (package proctable) current
// and lists it for the "processes" command (plugin.ProcessLister).
// Records the ring buffer could not take, and records that cannot be
// decoded, are counted with Emitter.Lost, and apart in the sensor's
// counters (plugin.Counted: lost_records, malformed_records, with those
// of the table that proctable.SensorBase reports).
//
// # Events
//
// exec, fork and exit, as every process sensor emits them (package
// proctable, Stream). Forks are folded into the exec that follows them
// by default (setting fork_events).
//
// # Settings
//
// Those of proctable.Settings (fork_events, fork_window, hash_wait,
// hash_max_mib), and:
//
//	ring_buffer_mib  size of the kernel ring buffer in MiB: 8 (a power
//	                 of two, 1 to 256)
package ebpf

import (
	"fmt"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable"
	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
)

// Name is the sensor's name.
const Name = "exec/ebpf"

// DefaultRingBufferMiB is the default size of the ring buffer.
const DefaultRingBufferMiB = 8

// Settings are the sensor's policy settings.
type Settings struct {
	proctable.Settings
	RingBufferMiB int `json:"ring_buffer_mib,omitempty"`
}

// Validate checks the values.
func (s Settings) Validate() error {
	if err := s.Settings.Validate(); err != nil {
		return err
	}
	if n := s.RingBufferMiB; n != 0 && (n < 1 || n > 256 || n&(n-1) != 0) {
		return fmt.Errorf("settings: ring_buffer_mib %d: want a power of two from 1 to 256", n)
	}
	return nil
}

// Sensor is the exec/ebpf sensor.
type Sensor struct {
	*proctable.SensorBase[Settings, Stats]
}

// Stats counts what the sensor read since it was made.
type Stats struct {
	// Records read from the ring buffer, by kind.
	Exec, Fork, Exit uint64
	// KernelLost: records the ring buffer could not take.
	KernelLost uint64
	// Malformed: records that could not be decoded.
	Malformed uint64
	// ReadErrors: failed reads of the ring buffer.
	ReadErrors uint64
}

// Map names the counters for plugin.Counted.
func (s Stats) Map() map[string]uint64 {
	return map[string]uint64{"execs": s.Exec, "forks": s.Fork, "exits": s.Exit,
		"lost_records": s.KernelLost, "malformed_records": s.Malformed, "read_errors": s.ReadErrors}
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
func (*Sensor) Mechanism() string { return "ebpf" }

// Requirements implements plugin.Plugin.
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true, Features: []string{plugin.FeatureBTF}}
}

// execProcess turns an exec record into the process it describes.
func execProcess(t *proctable.Table, r *execRecord) *proctable.Process {
	pid, ppid := int(r.PID), int(r.PPID)
	ticks := procid.TicksFromBootNS(r.StartNS)
	p := &proctable.Process{
		EntityID: t.EntityID(pid, ticks), PID: pid, PPID: ppid, StartTicks: ticks,
		Start: t.Clock().FromBoot(r.StartNS), Name: r.Comm, Executable: r.Exe, WorkingDir: r.Cwd,
		UID: r.UID, EUID: r.EUID, GID: r.GID, EGID: r.EGID, AUID: r.AUID, SessionID: r.SessionID,
		TTY:          procparse.KernelTTYName(r.TTY),
		KernelThread: r.Flags&flagKthread != 0,
	}
	if ppid > 0 {
		p.ParentEntityID = t.EntityID(ppid, procid.TicksFromBootNS(r.ParentStartNS))
	}
	if r.Filename != r.Exe {
		p.ExecPath = r.Filename
	}
	p.Args, _ = procparse.ParseArgs(r.Args, 0)
	p.ArgsTruncated = r.Flags&flagArgsTruncated != 0
	if r.Flags&flagArgsUnread != 0 {
		p.Missing = append(p.Missing, proctable.FieldArgs)
	}
	if r.Flags&(flagExeUnread|flagExeTruncated) != 0 {
		p.Missing = append(p.Missing, proctable.FieldExecutable)
	}
	if r.Flags&(flagCwdUnread|flagCwdTruncated) != 0 {
		p.Missing = append(p.Missing, proctable.FieldCwd)
	}
	if r.Cgroup != "" {
		p.Container, _ = procparse.ContainerFromPath("/" + r.CgroupParent + "/" + r.Cgroup)
	}
	const sIFMT, sIFREG = 0o170000, 0o100000
	if r.ExeIno != 0 && r.ExeMode&sIFMT == sIFREG {
		p.Exe = exehash.Key{Dev: userDev(r.ExeDev), Ino: r.ExeIno, Size: r.ExeSize,
			MtimeNS: r.ExeMtimeSec*1_000_000_000 + int64(r.ExeMtimeNsec)}
	}
	for i := range r.Stdio {
		sr := &r.Stdio[i]
		switch sr.Kind {
		case stdioPipe:
			p.Stdio = append(p.Stdio, proctable.Stdio{FD: i, Type: "pipe", Inode: sr.Inode})
		case stdioSocket:
			local, remote := sr.endpoints()
			p.Stdio = append(p.Stdio, proctable.Stdio{FD: i, Type: "socket", Transport: sr.transport(),
				Local: local, Remote: remote, Inode: sr.Inode})
		}
	}
	return p
}

// userDev converts a kernel dev_t (major in the top 12 bits, minor in
// the low 20) into the st_dev encoding of stat(2).
func userDev(kdev uint32) uint64 {
	major, minor := uint64(kdev>>20), uint64(kdev&0xfffff)
	return (minor & 0xff) | (major&0xfff)<<8 | (minor&^0xff)<<12 | (major&^0xfff)<<32
}

// forkProcess turns a fork record into the child it describes.
func forkProcess(t *proctable.Table, r *forkRecord) *proctable.Process {
	pid, ppid := int(r.PID), int(r.PPID)
	parentID := ""
	if ppid > 0 {
		parentID = t.EntityID(ppid, procid.TicksFromBootNS(r.ParentStartNS))
	}
	parent, ok := t.LookupEntity(parentID)
	if !ok || parent.Exited {
		if q, found := t.Lookup(ppid); found && q.EntityID == parentID {
			parent = q
		} else {
			parent = nil
		}
	}
	ticks := procid.TicksFromBootNS(r.StartNS)
	c := t.ForkChild(parent, pid, ppid, ticks, t.Clock().FromBoot(r.StartNS))
	c.ParentEntityID = parentID
	c.Name = r.Comm
	c.UID, c.EUID, c.GID, c.EGID, c.AUID, c.SessionID = r.UID, r.EUID, r.GID, r.EGID, r.AUID, r.SessionID
	if parent == nil {
		c.Missing = append(c.Missing, proctable.FieldParent)
	}
	return c
}

// exitProcess describes a process the table does not know from its exit
// record alone.
func exitProcess(t *proctable.Table, r *exitRecord) *proctable.Process {
	pid := int(r.PID)
	ticks := procid.TicksFromBootNS(r.StartNS)
	return &proctable.Process{
		EntityID: t.EntityID(pid, ticks), PID: pid, PPID: int(r.PPID), StartTicks: ticks,
		Start: t.Clock().FromBoot(r.StartNS), Name: r.Comm, AUID: proctable.NoID, SessionID: proctable.NoID,
		Missing: []string{proctable.FieldExecutable, proctable.FieldArgs, proctable.FieldCwd, proctable.FieldUser},
	}
}
