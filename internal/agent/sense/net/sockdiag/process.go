package sockdiag

import (
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/procfs"

	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable"
	"github.com/vigilsec/vigil/internal/event"
)

// Process is the process that owns a socket, as a network sensor saw it.
type Process struct {
	// PID is the process id (thread group id); 0 when the owner is
	// unknown.
	PID int
	// StartTicks is the process's start time in clock ticks after boot
	// (/proc/PID/stat field 22, or procid.TicksFromBootNS of the task's
	// start_boottime).
	StartTicks uint64
	// UID is the effective user id; HasUID says whether it is known.
	UID    uint32
	HasUID bool
	// Name is the command name (comm, at most 15 bytes).
	Name string
}

// Known reports whether the owning process is known.
func (p Process) Known() bool { return p.PID > 0 }

// EntityID returns process.entity_id of p on host hostID.
func (p Process) EntityID(hostID string) string {
	return procid.EntityID(hostID, p.PID, p.StartTicks)
}

// ProcessInfo resolves what the kernel does not tell a network sensor
// about a process: its executable (from /proc/PID/exe, checked against
// the start time so that a reused pid is never taken for the process),
// its start time in wall-clock terms and its user name. Results are cached
// in bounded maps; it is safe for concurrent use.
type ProcessInfo struct {
	// table, when set, is the process table the process sensor keeps:
	// a process it knows gives the event its full fields (arguments,
	// parent, ancestry, container), even once it has exited.
	table  *proctable.Table
	proc   string
	max    int
	mu     sync.Mutex
	exes   map[string]string // by entity id; "" when the process was gone
	order  []string          // entity ids in insertion order, a ring of max entries
	next   int
	users  map[uint32]string
	btime  time.Time
	btread bool
}

// NewProcessInfo returns a resolver reading the proc filesystem of the
// host whose root is root ("/" for the real host), caching at most max
// executables.
func NewProcessInfo(root string, max int) *ProcessInfo {
	if root == "" {
		root = "/"
	}
	if max <= 0 {
		max = 1024
	}
	return &ProcessInfo{proc: filepath.Join(root, "proc"), max: max, exes: make(map[string]string, max), users: map[uint32]string{}}
}

// UseTable makes the resolver take what the process table knows first.
func (c *ProcessInfo) UseTable(t *proctable.Table) { c.table = t }

// Executable returns the executable of process p (entity id entityID),
// or "" when the process is gone or its pid now names another process.
func (c *ProcessInfo) Executable(entityID string, p Process) string {
	if !p.Known() {
		return ""
	}
	c.mu.Lock()
	exe, ok := c.exes[entityID]
	c.mu.Unlock()
	if ok {
		return exe
	}
	exe = c.readExe(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.exes[entityID]; ok {
		return exe
	}
	if len(c.order) < c.max {
		c.order = append(c.order, entityID)
	} else {
		delete(c.exes, c.order[c.next])
		c.order[c.next] = entityID
		c.next = (c.next + 1) % c.max
	}
	c.exes[entityID] = exe
	return exe
}

// readExe reads /proc/PID/exe if /proc/PID is still process p.
func (c *ProcessInfo) readExe(p Process) string {
	fs, err := procfs.NewFS(c.proc)
	if err != nil {
		return ""
	}
	pr, err := fs.Proc(p.PID)
	if err != nil {
		return ""
	}
	st, err := pr.Stat()
	if err != nil || st.Starttime != p.StartTicks {
		return ""
	}
	exe, err := os.Readlink(filepath.Join(c.proc, strconv.Itoa(p.PID), "exe"))
	if err != nil {
		return ""
	}
	// The process may have exited (and its pid been reused) while the
	// link was read: check the start time again.
	if st, err := pr.Stat(); err != nil || st.Starttime != p.StartTicks {
		return ""
	}
	return exe
}

// Start returns the wall-clock start time of a process started ticks
// clock ticks after boot; the zero time when the boot time is unknown.
func (c *ProcessInfo) Start(ticks uint64) time.Time {
	c.mu.Lock()
	if !c.btread {
		c.btread = true
		if fs, err := procfs.NewFS(c.proc); err == nil {
			if st, err := fs.Stat(); err == nil {
				c.btime = time.Unix(int64(st.BootTime), 0)
			}
		}
	}
	bt := c.btime
	c.mu.Unlock()
	if bt.IsZero() {
		return time.Time{}
	}
	return bt.Add(time.Duration(ticks) * (time.Second / procid.TicksPerSecond))
}

// UserName returns the name of user uid, or "" when it has none.
func (c *ProcessInfo) UserName(uid uint32) string {
	c.mu.Lock()
	name, ok := c.users[uid]
	c.mu.Unlock()
	if ok {
		return name
	}
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		name = u.Username
	}
	c.mu.Lock()
	if len(c.users) >= c.max {
		clear(c.users)
	}
	c.users[uid] = name
	c.mu.Unlock()
	return name
}

// SetProcess writes the process.* and user.* fields of the owner p into
// e. Nothing is written for an unknown owner. The objects are built whole
// rather than field by field: this runs for every network event.
func (c *ProcessInfo) SetProcess(e event.Event, hostID string, p Process) {
	if !p.Known() {
		return
	}
	id := p.EntityID(hostID)
	if c.table != nil {
		if _, ok := c.table.AnnotateEntity(e, id); ok {
			return
		}
	}
	proc := make(map[string]any, 7)
	proc["pid"] = p.PID
	proc["entity_id"] = id
	if p.Name != "" {
		proc["name"] = p.Name
	}
	if exe := c.Executable(id, p); exe != "" {
		proc["executable"] = exe
	}
	if t := c.Start(p.StartTicks); !t.IsZero() {
		proc["start"] = t.UTC().Format(time.RFC3339Nano)
	}
	if p.HasUID {
		u := map[string]any{"id": strconv.FormatUint(uint64(p.UID), 10)}
		if name := c.UserName(p.UID); name != "" {
			u["name"] = name
		}
		proc["user"] = u
		e["user"] = maps.Clone(u)
	}
	e["process"] = proc
}

// label names p for a message: "curl (pid 812)", or "an unknown process".
func (p Process) label() string {
	if !p.Known() {
		return "an unknown process"
	}
	name := p.Name
	if name == "" {
		name = "process"
	}
	return name + " (pid " + strconv.Itoa(p.PID) + ")"
}
