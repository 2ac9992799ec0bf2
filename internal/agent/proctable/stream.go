package proctable

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
	"github.com/vigilsec/vigil/internal/event"
)

// ForkMode says which forks make events.
type ForkMode string

// Fork modes.
const (
	// ForkDeduplicated: a fork makes an event only when the child does
	// not exec within the fork window (a worker, a subshell, a fork
	// bomb); the usual fork-then-exec is told by the exec event alone,
	// which names the parent.
	ForkDeduplicated ForkMode = "deduplicated"
	// ForkAll: every fork makes an event at once.
	ForkAll ForkMode = "all"
	// ForkNone: forks update the table and make no event.
	ForkNone ForkMode = "none"
)

// StreamConfig configures a Stream.
type StreamConfig struct {
	// Dataset is event.dataset: the sensor's name.
	Dataset string
	// Fork says which forks make events; "" means ForkDeduplicated.
	Fork ForkMode
	// ForkWindow is how long a fork waits for an exec in
	// ForkDeduplicated mode; 0 means DefaultForkWindow.
	ForkWindow time.Duration
	// HashWait is how long an exec event waits for the hash of a new
	// executable before it goes without; 0 means DefaultHashWait.
	HashWait time.Duration
	// Queue bounds the events waiting to be handed to the runtime; 0
	// means DefaultQueue. When it is full the sensor waits.
	Queue int
}

// Defaults of StreamConfig.
const (
	DefaultForkWindow = 500 * time.Millisecond
	DefaultHashWait   = 2 * time.Second
	DefaultQueue      = 4096
)

// StreamStats counts the records a Stream turned into events.
type StreamStats struct {
	Exec, Fork, Exit uint64
	// ForksFolded: forks told by the exec that followed them.
	ForksFolded uint64
	// Incomplete: events with fields that could not be read.
	Incomplete uint64
	// Emitted: events handed to the runtime.
	Emitted uint64
}

// Stream turns one sensor's exec, fork and exit records into events,
// keeps the table current, and hands the events to the runtime in order,
// each exec event after its executable's hash or HashWait, whichever
// comes first (later events wait behind it, keeping the order). A Stream
// is used from one goroutine; Close ends it.
//
// Events share the objects of process.parent and process.ancestry (the
// events of one process, of siblings, of descendants), which are
// therefore read-only: the runtime stamps top-level fields only.
type Stream struct {
	t    *Table
	cfg  StreamConfig
	emit plugin.Emitter

	pending map[int]pendingFork
	out     chan item
	done    chan struct{}
	once    sync.Once
	// queued counts the items handed to deliver and not yet emitted.
	queued atomic.Int64

	exec, fork, exit, folded, incomplete, emitted atomic.Uint64
}

// pendingFork is a fork waiting for an exec.
type pendingFork struct {
	at      time.Time
	arrived time.Time
	child   *Process
}

// item is one event on its way to the runtime.
type item struct {
	ev   event.Event
	hash *exehash.Result
	wait bool
}

// NewStream starts a stream of events to emit.
func (t *Table) NewStream(cfg StreamConfig, emit plugin.Emitter) *Stream {
	if cfg.Fork == "" {
		cfg.Fork = ForkDeduplicated
	}
	if cfg.ForkWindow <= 0 {
		cfg.ForkWindow = DefaultForkWindow
	}
	if cfg.HashWait <= 0 {
		cfg.HashWait = DefaultHashWait
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	s := &Stream{t: t, cfg: cfg, emit: emit, pending: map[int]pendingFork{},
		out: make(chan item, cfg.Queue), done: make(chan struct{})}
	go s.deliver()
	return s
}

// Table returns the stream's table.
func (s *Stream) Table() *Table { return s.t }

// Stats returns the stream's counters.
func (s *Stream) Stats() StreamStats {
	return StreamStats{Exec: s.exec.Load(), Fork: s.fork.Load(), Exit: s.exit.Load(),
		ForksFolded: s.folded.Load(), Incomplete: s.incomplete.Load(), Emitted: s.emitted.Load()}
}

// Exec records that p (complete: the sensor's record of the exec) was
// executed at at, and emits its exec event.
func (s *Stream) Exec(at time.Time, p *Process) {
	s.exec.Add(1)
	prev, _ := s.t.Get(p.PID)
	if prev != nil && prev.EntityID != p.EntityID {
		prev = nil // another process that had the pid
	}
	if f, ok := s.pending[p.PID]; ok {
		delete(s.pending, p.PID)
		if f.child.EntityID != p.EntityID {
			s.sendFork(f)
		} else {
			s.folded.Add(1)
		}
	}
	if p.Container.ID == "" && prev != nil && p.IsMissing(FieldCgroup) {
		p.Container = prev.Container
	}
	s.t.Put(p)
	e := s.t.ExecEvent(s.cfg.Dataset, at, p, prev)
	s.send(e, p, s.t.HashOf(p), true)
}

// Fork records that child was forked at at (its fields are the parent's
// but for pid, start and entity id: Table.ForkChild makes it).
func (s *Stream) Fork(at time.Time, child *Process) {
	s.fork.Add(1)
	s.t.Put(child)
	switch s.cfg.Fork {
	case ForkNone:
	case ForkAll:
		s.sendFork(pendingFork{at: at, child: child})
	default:
		if old, ok := s.pending[child.PID]; ok { // an exit was missed
			s.sendFork(old)
		}
		s.pending[child.PID] = pendingFork{at: at, arrived: time.Now(), child: child}
	}
}

// Exit records that process pid (entity id entityID, "" when unknown)
// exited at at with status, and emits its exit event. When the table
// does not know the process, unknown describes it (what the sensor's
// record holds, with Missing set); nil drops the event.
func (s *Stream) Exit(at time.Time, pid int, entityID string, status ExitStatus, unknown *Process) {
	if entityID != "" && s.t.exitRecorded(entityID) {
		// Another thread of a process whose exit was told already: two
		// threads that end together may both look like the last one.
		return
	}
	s.exit.Add(1)
	if f, ok := s.pending[pid]; ok {
		delete(s.pending, pid)
		s.sendFork(f)
	}
	p, ok := s.t.Exit(pid, entityID, at, status)
	if !ok {
		if unknown == nil {
			return
		}
		p = unknown.clone()
		p.Exited, p.End, p.Status = true, at, status
	}
	e := s.t.ExitEvent(s.cfg.Dataset, at, p)
	s.send(e, p, s.cachedHash(p), false)
}

// Tick emits the forks that waited ForkWindow for an exec in vain. The
// sensor calls it at least every ForkWindow.
func (s *Stream) Tick(now time.Time) {
	for pid, f := range s.pending {
		if now.Sub(f.arrived) >= s.cfg.ForkWindow {
			delete(s.pending, pid)
			s.sendFork(f)
		}
	}
}

// Close emits the forks still waiting, hands every queued event to the
// runtime and returns when it is done. The stream is unusable after.
func (s *Stream) Close() {
	s.once.Do(func() {
		for pid, f := range s.pending {
			delete(s.pending, pid)
			s.sendFork(f)
		}
		close(s.out)
		<-s.done
	})
}

func (s *Stream) sendFork(f pendingFork) {
	e := s.t.ForkEvent(s.cfg.Dataset, f.at, f.child)
	s.send(e, f.child, s.cachedHash(f.child), false)
}

// cachedHash returns the hash of p's executable when it is known or
// being computed; forks and exits do not ask for new hashes, which would
// queue the files of every process started before the agent.
func (s *Stream) cachedHash(p *Process) *exehash.Result {
	r, _ := s.t.hasher.Cached(p.Exe)
	return r
}

func (s *Stream) send(e event.Event, p *Process, h *exehash.Result, wait bool) {
	if len(p.Missing) > 0 {
		s.incomplete.Add(1)
	}
	it := item{ev: e, hash: h, wait: wait}
	// Nothing waits before this event and it waits for nothing: it goes
	// out at once, without waking the delivering goroutine.
	if s.queued.Load() == 0 && (h == nil || isDone(h)) {
		s.emitItem(it)
		return
	}
	s.queued.Add(1)
	s.out <- it
}

func isDone(r *exehash.Result) bool {
	select {
	case <-r.Done():
		return true
	default:
		return false
	}
}

// emitItem sets the hash and hands the event to the runtime.
func (s *Stream) emitItem(it item) {
	if it.hash != nil {
		sum, st := it.hash.Sum()
		if st == exehash.StatusPending && it.wait {
			sum, st = it.hash.Wait(s.cfg.HashWait)
		}
		SetHash(it.ev, sum, st)
	}
	s.emit.Emit(it.ev)
	s.emitted.Add(1)
}

// deliver hands the queued events to the runtime in order.
func (s *Stream) deliver() {
	defer close(s.done)
	for it := range s.out {
		s.emitItem(it)
		s.queued.Add(-1)
	}
}

// ForkChild returns the process that a fork of parent made: the same
// image, arguments, directory, ids, terminal, container and stdio, with
// its own pid, start and entity id. A nil parent gives a process that
// knows only those (its Missing says so).
func (t *Table) ForkChild(parent *Process, pid, ppid int, startTicks uint64, start time.Time) *Process {
	var c *Process
	if parent != nil {
		c = parent.clone()
		c.lineage = nil // the child's own, made when the table takes it
		c.ParentEntityID = parent.EntityID
	} else {
		c = &Process{AUID: NoID, SessionID: NoID,
			Missing: []string{FieldExecutable, FieldArgs, FieldCwd, FieldCgroup, FieldStdio}}
	}
	c.PID, c.PPID, c.StartTicks, c.Start = pid, ppid, startTicks, start
	c.EntityID = t.EntityID(pid, startTicks)
	c.Exited, c.End, c.Status = false, time.Time{}, 0
	return c
}
