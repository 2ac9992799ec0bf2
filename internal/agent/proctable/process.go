package proctable

import (
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
)

// NoID is the value of AUID and SessionID when the process has none (not
// started from a login, or a kernel without audit).
const NoID = procparse.NoID

// Fields that may be missing from a Process (Process.Missing): they
// could not be read because the process was already gone, or because
// its files could not be read.
const (
	FieldExecutable = "executable"
	FieldArgs       = "args"
	FieldCwd        = "working_directory"
	FieldUser       = "user"
	FieldLoginUser  = "login_user"
	FieldCgroup     = "cgroup"
	FieldStdio      = "stdio"
	FieldStart      = "start"
	FieldParent     = "parent"
)

// Process is one process as the table knows it.
type Process struct {
	// EntityID names the process for its whole life (package procid).
	EntityID string
	PID      int
	PPID     int
	// ParentEntityID is the entity id of the parent, "" when unknown.
	ParentEntityID string
	// StartTicks is the start time in clock ticks after boot.
	StartTicks uint64
	Start      time.Time
	// Name is the kernel's command name (comm, at most 15 bytes).
	Name       string
	Executable string
	// ExecPath is the path the caller gave execve when it differs from
	// Executable (a relative path, a symbolic link); "" otherwise or
	// when unknown.
	ExecPath string
	Args     []string
	// ArgsTruncated: the arguments were longer than the bound and were
	// cut (the last one may be partial).
	ArgsTruncated bool
	WorkingDir    string
	// Real and effective user and group ids.
	UID, EUID, GID, EGID uint32
	// AUID is the login uid (audit loginuid), NoID when unset.
	AUID uint32
	// SessionID is the audit session id, NoID when unset.
	SessionID uint32
	// TTY is the controlling terminal below /dev ("pts/1"), "" when none.
	TTY       string
	Container procparse.Container
	// Exe identifies the executable file that runs.
	Exe   exehash.Key
	Stdio []Stdio
	// Missing lists the fields (Field* constants) that could not be read.
	Missing []string
	// KernelThread: the process is a kernel thread (no executable).
	KernelThread bool

	// Set when the process has exited.
	Exited bool
	End    time.Time
	Status ExitStatus

	// lineage is shared by the copies of one process (its updates, its
	// exited copy); the table sets it when it takes the process.
	lineage *lineage
}

// Stdio describes a file descriptor 0-2 that is a socket or a pipe.
type Stdio struct {
	FD int
	// Type is "socket" or "pipe".
	Type string
	// Transport is tcp, udp or unix (sockets only; another protocol
	// name or "" when unknown).
	Transport string
	// Local and Remote are "ip:port" ("[v6]:port") for tcp and udp, the
	// socket path for unix ("@name" for abstract names, "" unbound).
	Local, Remote string
	Inode         uint64
}

// CommandLine is the arguments joined by spaces.
func (p *Process) CommandLine() string { return strings.Join(p.Args, " ") }

// IsMissing reports whether field f could not be read.
func (p *Process) IsMissing(f string) bool {
	for _, m := range p.Missing {
		if m == f {
			return true
		}
	}
	return false
}

// clone returns a shallow copy whose slices may be replaced (not
// modified in place).
func (p *Process) clone() *Process {
	c := *p
	return &c
}

// ExitStatus is a wait status as the kernel keeps it (task exit_code):
// the exit code in bits 8-15, or the terminating signal in bits 0-6.
type ExitStatus uint32

// Signaled reports whether a signal ended the process.
func (s ExitStatus) Signaled() bool { return s&0x7f != 0 }

// Signal is the signal that ended the process, 0 when it exited.
func (s ExitStatus) Signal() int { return int(s & 0x7f) }

// Code is the exit code; 128+signal for a process ended by a signal, as
// shells report it.
func (s ExitStatus) Code() int {
	if s.Signaled() {
		return 128 + s.Signal()
	}
	return int(s>>8) & 0xff
}
