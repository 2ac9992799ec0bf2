package proctable

import (
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
	"github.com/vigilsec/vigil/internal/agent/proctable/userdb"
)

// Config bounds a Table.
type Config struct {
	// Root is the host's root ("/"); tests point it at a fixture tree.
	Root string
	// HostID is the host id the entity ids derive from.
	HostID string
	// MaxProcesses bounds the live processes kept; 0 means
	// DefaultMaxProcesses.
	MaxProcesses int
	// ExitedRetention is how long an exited process is kept; 0 means
	// DefaultExitedRetention.
	ExitedRetention time.Duration
	// MaxExited bounds the exited processes kept; 0 means
	// DefaultMaxExited.
	MaxExited int
	// MaxArgsBytes bounds the arguments read from /proc; 0 means
	// DefaultMaxArgsBytes.
	MaxArgsBytes int
	// Hash bounds the hashing of executables.
	Hash exehash.Config
	// Logger receives the table's rare complaints; nil means slog's
	// default.
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultMaxProcesses    = 65536
	DefaultExitedRetention = 30 * time.Second
	DefaultMaxExited       = 8192
	// DefaultMaxArgsBytes is the same bound as the eBPF sensor's.
	DefaultMaxArgsBytes = 16 << 10
	// MaxAncestry is the longest ancestry an event carries.
	MaxAncestry = 10
	// sweepInterval is the time between two checks of the live
	// processes against /proc, which drop those whose exit was missed.
	sweepInterval = time.Minute
)

// Stats counts what a Table did.
type Stats struct {
	Live, Exited int
	// Seeded is the number of processes read at the last Seed.
	Seeded int
	// Evicted: live processes dropped to keep the bound.
	Evicted uint64
	// Swept: live processes found gone by a sweep (their exit was
	// missed).
	Swept uint64
	// ProcReads: processes read from /proc after Seed (Lookup misses).
	ProcReads uint64
	// ParseErrors: /proc files that could not be parsed.
	ParseErrors uint64
}

// Table is the process table. It is safe for concurrent use.
type Table struct {
	cfg    Config
	log    *slog.Logger
	users  *userdb.DB
	hasher *exehash.Hasher
	clock  *Clock

	mu        sync.RWMutex
	live      map[int]*Process
	byEntity  map[string]*Process
	exited    []exitRef
	seeded    int
	lastSweep time.Time

	evicted, swept, procReads, parseErrors atomic.Uint64

	idMu      sync.Mutex
	idObjects map[uint64]map[string]any
}

// exitRef orders the exited processes by the time they were put aside.
type exitRef struct {
	entity string
	at     time.Time
}

// New returns an empty table.
func New(cfg Config) *Table {
	if cfg.Root == "" {
		cfg.Root = "/"
	}
	if cfg.MaxProcesses <= 0 {
		cfg.MaxProcesses = DefaultMaxProcesses
	}
	if cfg.ExitedRetention <= 0 {
		cfg.ExitedRetention = DefaultExitedRetention
	}
	if cfg.MaxExited <= 0 {
		cfg.MaxExited = DefaultMaxExited
	}
	if cfg.MaxArgsBytes <= 0 {
		cfg.MaxArgsBytes = DefaultMaxArgsBytes
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Table{
		cfg:      cfg,
		log:      log,
		users:    userdb.New(cfg.Root),
		hasher:   exehash.New(cfg.Hash),
		clock:    NewClock(),
		live:     map[int]*Process{},
		byEntity: map[string]*Process{},
		// The first sweep comes a full interval after the start: a
		// sensor catching up with its first events must find the
		// processes they are about.
		lastSweep: time.Now(),
	}
}

var shared struct {
	sync.Mutex
	tables map[string]*Table
}

// Shared returns the agent's table for the host at root with host id
// hostID, making it on first use. The process sensor that runs keeps it
// current; every other sensor of the agent reads it. Tables of other
// roots or host ids are distinct.
func Shared(root, hostID string) *Table {
	if root == "" {
		root = "/"
	}
	key := root + "\x00" + hostID
	shared.Lock()
	defer shared.Unlock()
	if shared.tables == nil {
		shared.tables = map[string]*Table{}
	}
	t, ok := shared.tables[key]
	if !ok {
		t = New(Config{Root: root, HostID: hostID})
		shared.tables[key] = t
	}
	return t
}

// Root returns the host root the table reads.
func (t *Table) Root() string { return t.cfg.Root }

// HostID returns the host id the entity ids derive from.
func (t *Table) HostID() string { return t.cfg.HostID }

// Clock returns the table's converter of kernel times.
func (t *Table) Clock() *Clock { return t.clock }

// Hasher returns the table's hasher of executables.
func (t *Table) Hasher() *exehash.Hasher { return t.hasher }

// Users returns the table's user and group names.
func (t *Table) Users() *userdb.DB { return t.users }

// EntityID returns the entity id of process pid started startTicks ticks
// after boot, on the table's host (the table's copy when it knows the
// process: the id is a hash, computed once per process).
func (t *Table) EntityID(pid int, startTicks uint64) string {
	t.mu.RLock()
	p, ok := t.live[pid]
	t.mu.RUnlock()
	if ok && p.StartTicks == startTicks && p.EntityID != "" {
		return p.EntityID
	}
	return procid.EntityID(t.cfg.HostID, pid, startTicks)
}

// procPath returns <root>/proc/<pid>/<name>.
func (t *Table) procPath(pid int, name string) string {
	return filepath.Join(t.cfg.Root, "proc", strconv.Itoa(pid), name)
}

// Get returns the live process pid as the table knows it, without
// reading /proc.
func (t *Table) Get(pid int) (*Process, bool) {
	t.mu.RLock()
	p, ok := t.live[pid]
	t.mu.RUnlock()
	return p, ok
}

// Lookup returns the live process pid. A process the table does not know
// is read from /proc and added, so that a sensor asking about a process
// the process sensor has not reported (or while no process sensor runs)
// still gets an answer.
func (t *Table) Lookup(pid int) (*Process, bool) {
	if p, ok := t.Get(pid); ok {
		return p, true
	}
	if pid <= 0 {
		return nil, false
	}
	p, err := t.ReadProc(pid)
	if err != nil {
		return nil, false
	}
	t.procReads.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur, ok := t.live[pid]; ok { // reported meanwhile
		return cur, true
	}
	t.putLocked(p)
	return p, true
}

// LookupEntity returns the process with the entity id, live or exited
// recently.
func (t *Table) LookupEntity(id string) (*Process, bool) {
	t.mu.RLock()
	p, ok := t.byEntity[id]
	t.mu.RUnlock()
	return p, ok
}

// Parent returns the parent of p as the table knows it.
func (t *Table) Parent(p *Process) (*Process, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.parentLocked(p)
}

func (t *Table) parentLocked(p *Process) (*Process, bool) {
	if p.ParentEntityID != "" {
		q, ok := t.byEntity[p.ParentEntityID]
		return q, ok
	}
	q, ok := t.live[p.PPID]
	if ok && q.PID == p.PID {
		return nil, false
	}
	return q, ok && p.PPID > 0
}

// Ancestry returns the ancestors of p the table knows, parent first, at
// most MaxAncestry.
func (t *Table) Ancestry(p *Process) []*Process {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []*Process
	for cur := p; len(out) < MaxAncestry; {
		q, ok := t.parentLocked(cur)
		if !ok || q == p || slices.Contains(out, q) {
			break
		}
		out = append(out, q)
		cur = q
	}
	return out
}

// Put adds p to the table as the live process p.PID, replacing what the
// table had for that pid. The table owns p from then on. Put fills
// p.ParentEntityID from the table when it is empty.
func (t *Table) Put(p *Process) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.putLocked(p)
}

func (t *Table) putLocked(p *Process) {
	if p.lineage == nil {
		p.lineage = &lineage{}
	}
	if p.ParentEntityID == "" && p.PPID > 0 {
		if q, ok := t.live[p.PPID]; ok {
			p.ParentEntityID = q.EntityID
		}
	}
	if old, ok := t.live[p.PID]; ok && old.EntityID != p.EntityID {
		// The pid was reused: the old process's exit was missed.
		t.retireLocked(old, time.Time{}, 0)
	}
	t.live[p.PID] = p
	t.byEntity[p.EntityID] = p
	if len(t.live) > t.cfg.MaxProcesses {
		t.evictLocked(p.PID)
	}
}

// Update changes the live process pid (entity id entityID, or any when
// "") through f, which gets a copy to change; readers holding the old
// value are not affected. It reports whether the process was found.
func (t *Table) Update(pid int, entityID string, f func(*Process)) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.live[pid]
	if !ok || entityID != "" && p.EntityID != entityID {
		return false
	}
	q := p.clone()
	f(q)
	q.PID, q.EntityID = p.PID, p.EntityID
	t.live[pid] = q
	t.byEntity[q.EntityID] = q
	return true
}

// HashOf returns the pending or known hash of p's executable, asking
// for it when it is neither. It does not block.
func (t *Table) HashOf(p *Process) *exehash.Result {
	if r, ok := t.hasher.Cached(p.Exe); ok {
		return r
	}
	paths := []string{t.procPath(p.PID, "exe")}
	if p.Executable != "" {
		paths = append(paths, filepath.Join(t.cfg.Root, p.Executable))
	}
	return t.hasher.Hash(p.Exe, paths...)
}

// Exit marks the live process pid as exited at end with status. When
// entityID is not empty it must match (a late exit of a process whose pid
// was already reused changes nothing). It returns the exited process.
func (t *Table) Exit(pid int, entityID string, end time.Time, status ExitStatus) (*Process, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.live[pid]
	if !ok || entityID != "" && p.EntityID != entityID {
		if q, ok := t.byEntity[entityID]; ok && q.Exited {
			return q, true // already retired (the pid was reused)
		}
		if entityID == "" {
			return t.retiredLocked(pid, end, status)
		}
		return nil, false
	}
	q := t.retireLocked(p, end, status)
	return q, true
}

// exitRecorded reports whether the exit of the process with entity id was
// recorded already (not merely found gone by a sweep).
func (t *Table) exitRecorded(id string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	p, ok := t.byEntity[id]
	return ok && p.Exited && !p.End.IsZero()
}

// Retired returns the latest process of pid that the table put aside
// without seeing it exit (a sweep found its /proc entry gone): a sensor
// behind the kernel may still hold events about it.
func (t *Table) Retired(pid int) (*Process, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	p, ok := t.unexitedLocked(pid)
	if !ok {
		return nil, false
	}
	return p.clone(), true
}

// LastExited returns the process that last had pid among those whose
// exit the table saw at or after endedAfter and still keeps: a sensor
// that learns of an act of pid after the process ended (a file change
// read from a kernel queue) names it with this. endedAfter bounds how
// far back an act can be, so that a process of the same pid that ended
// earlier is not taken for it.
func (t *Table) LastExited(pid int, endedAfter time.Time) (*Process, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i := len(t.exited) - 1; i >= 0; i-- {
		p, ok := t.byEntity[t.exited[i].entity]
		if !ok || p.PID != pid || !p.Exited {
			continue
		}
		if p.End.IsZero() || p.End.Before(endedAfter) {
			return nil, false
		}
		return p, true
	}
	return nil, false
}

// unexitedLocked finds the latest retired process of pid whose exit the
// table did not see. A retired process of pid whose exit was seen ends
// the search: what came before it is another process's.
func (t *Table) unexitedLocked(pid int) (*Process, bool) {
	for i := len(t.exited) - 1; i >= 0; i-- {
		p, ok := t.byEntity[t.exited[i].entity]
		if !ok || p.PID != pid {
			continue
		}
		if !p.End.IsZero() {
			return nil, false
		}
		return p, true
	}
	return nil, false
}

// retiredLocked finds the latest process of pid that the table put aside
// without seeing it exit (a sweep found it gone), and records its exit.
func (t *Table) retiredLocked(pid int, end time.Time, status ExitStatus) (*Process, bool) {
	p, ok := t.unexitedLocked(pid)
	if !ok {
		return nil, false
	}
	q := p.clone()
	q.End, q.Status = end, status
	t.byEntity[q.EntityID] = q
	return q, true
}

// retireLocked moves p to the exited processes.
func (t *Table) retireLocked(p *Process, end time.Time, status ExitStatus) *Process {
	q := p.clone()
	q.Exited, q.End, q.Status = true, end, status
	if t.live[p.PID] == p {
		delete(t.live, p.PID)
	}
	t.byEntity[q.EntityID] = q
	t.exited = append(t.exited, exitRef{entity: q.EntityID, at: time.Now()})
	for len(t.exited) > t.cfg.MaxExited {
		t.dropExitedLocked()
	}
	return q
}

// dropExitedLocked forgets the oldest exited process.
func (t *Table) dropExitedLocked() {
	ref := t.exited[0]
	t.exited[0] = exitRef{}
	t.exited = t.exited[1:]
	if p, ok := t.byEntity[ref.entity]; ok && p.Exited {
		delete(t.byEntity, ref.entity)
	}
}

// evictLocked keeps the bound on live processes, sparing keep.
func (t *Table) evictLocked(keep int) {
	if time.Since(t.lastSweep) > 10*time.Second {
		t.sweepLocked()
	}
	for pid, p := range t.live {
		if len(t.live) <= t.cfg.MaxProcesses {
			return
		}
		if pid == keep || pid == 1 {
			continue
		}
		delete(t.live, pid)
		delete(t.byEntity, p.EntityID)
		t.evicted.Add(1)
	}
}

// Maintain drops the exited processes kept long enough and, from time to
// time, the live ones /proc shows to be gone. Process sensors call it
// about once a second.
func (t *Table) Maintain(now time.Time) {
	t.clock.Refresh()
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.exited) > 0 && now.Sub(t.exited[0].at) > t.cfg.ExitedRetention {
		t.dropExitedLocked()
	}
	if now.Sub(t.lastSweep) >= sweepInterval {
		t.sweepLocked()
	}
}

// sweepLocked retires the live processes whose /proc entry is gone or
// belongs to another process now.
func (t *Table) sweepLocked() {
	t.lastSweep = time.Now()
	for pid, p := range t.live {
		st, err := t.readStat(pid)
		if err == nil && st.StartTicks == p.StartTicks {
			continue
		}
		if err != nil && !isGone(err) {
			continue
		}
		t.retireLocked(p, time.Time{}, 0)
		t.swept.Add(1)
	}
}

// Stats returns the table's counters.
func (t *Table) Stats() Stats {
	t.mu.RLock()
	s := Stats{Live: len(t.live), Exited: len(t.exited), Seeded: t.seeded}
	t.mu.RUnlock()
	s.Evicted, s.Swept, s.ProcReads, s.ParseErrors = t.evicted.Load(), t.swept.Load(), t.procReads.Load(), t.parseErrors.Load()
	return s
}

// Processes lists the live processes for the "processes" command,
// sorted by pid.
func (t *Table) Processes() []plugin.ProcessInfo {
	t.mu.RLock()
	procs := make([]*Process, 0, len(t.live))
	for _, p := range t.live {
		procs = append(procs, p)
	}
	t.mu.RUnlock()
	sort.Slice(procs, func(i, j int) bool { return procs[i].PID < procs[j].PID })
	out := make([]plugin.ProcessInfo, 0, len(procs))
	for _, p := range procs {
		info := plugin.ProcessInfo{
			EntityID: p.EntityID, ParentEntityID: p.ParentEntityID, PID: p.PID, PPID: p.PPID,
			Name: p.Name, Executable: p.Executable, Args: p.Args, WorkingDir: p.WorkingDir,
			User: t.users.UserName(p.EUID), UID: int(p.UID), EUID: int(p.EUID), TTY: p.TTY,
			ContainerID: p.Container.ID, Start: formatTime(p.Start),
		}
		if p.AUID != NoID {
			info.LoginUser = t.users.UserName(p.AUID)
			if info.LoginUser == "" {
				info.LoginUser = strconv.FormatUint(uint64(p.AUID), 10)
			}
		}
		if sum, st := t.HashOf(p).Sum(); st == exehash.StatusOK {
			info.SHA256 = sum
		}
		for _, s := range p.Stdio {
			info.Stdio = append(info.Stdio, s.String())
		}
		out = append(out, info)
	}
	return out
}

// String describes s in one word or two: "pipe", "socket:tcp
// 127.0.0.1:41394->127.0.0.1:4444", "socket:unix /run/x.sock".
func (s Stdio) String() string {
	if s.Type != "socket" {
		return s.Type
	}
	out := "socket"
	if s.Transport != "" {
		out += ":" + s.Transport
	}
	switch {
	case s.Local != "" && s.Remote != "":
		out += " " + s.Local + "->" + s.Remote
	case s.Remote != "":
		out += " ->" + s.Remote
	case s.Local != "":
		out += " " + s.Local
	}
	return out
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
