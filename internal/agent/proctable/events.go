package proctable

import (
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
	"github.com/vigilsec/vigil/internal/event"
)

// Actions of the process events.
const (
	ActionExec = "exec"
	ActionFork = "fork"
	ActionExit = "exit"
)

// maxMessageCommand bounds the command line quoted in an event's message.
const maxMessageCommand = 200

// newEvent returns an event of category process with the common fields.
func newEvent(dataset, action, typ string, at time.Time) event.Event {
	return event.Event{
		"@timestamp": at.UTC().Format(time.RFC3339Nano),
		"event": map[string]any{
			"id": "", "kind": "event", "category": "process", "type": []string{typ},
			"action": action, "dataset": dataset,
		},
	}
}

// ExecEvent returns the exec event of p, which replaced the image prev
// (nil when unknown). The hash of the executable is added when it is
// known already; SetHash adds it later.
func (t *Table) ExecEvent(dataset string, at time.Time, p, prev *Process) event.Event {
	e := newEvent(dataset, ActionExec, "start", at)
	proc := t.setActor(e, p)
	actor, actorPID := p.Name, p.PID
	if prev != nil {
		actor = prev.Name
		if prev.Executable != "" || len(prev.Args) > 0 {
			old := map[string]any{"args_count": len(prev.Args)}
			if prev.Executable != "" {
				old["executable"] = prev.Executable
			}
			if len(prev.Args) > 0 {
				old["args"] = prev.Args
			}
			proc["previous"] = []any{old}
		}
	}
	cmd := p.CommandLine()
	if cmd == "" {
		cmd = p.Executable
	}
	e["message"] = actor + " (pid " + strconv.Itoa(actorPID) + ") executed " + clip(cmd, maxMessageCommand)
	return e
}

// ForkEvent returns the fork event of child.
func (t *Table) ForkEvent(dataset string, at time.Time, child *Process) event.Event {
	e := newEvent(dataset, ActionFork, "start", at)
	t.setActor(e, child)
	e["message"] = child.Name + " (pid " + strconv.Itoa(child.PPID) + ") forked pid " + strconv.Itoa(child.PID)
	return e
}

// ExitEvent returns the exit event of the exited process p.
func (t *Table) ExitEvent(dataset string, at time.Time, p *Process) event.Event {
	e := newEvent(dataset, ActionExit, "end", at)
	proc := t.setActor(e, p)
	proc["exit_code"] = p.Status.Code()
	proc["end"] = formatTime(at)
	if !p.Start.IsZero() && !p.IsMissing(FieldStart) && at.After(p.Start) {
		e["event"].(map[string]any)["duration"] = at.Sub(p.Start).Nanoseconds()
	}
	msg := p.Name + " (pid " + strconv.Itoa(p.PID) + ") exited with code " + strconv.Itoa(p.Status.Code())
	if p.Status.Signaled() {
		sig := signalName(p.Status.Signal())
		vigil(e)["exit_signal"] = sig
		msg = p.Name + " (pid " + strconv.Itoa(p.PID) + ") was killed by " + sig
	}
	e["message"] = msg
	return e
}

// Annotate sets the process fields of an event whose actor is process
// pid (a network or file event): process.*, with parent and ancestry,
// user.* and container.*. It returns the process, or false when pid is
// unknown and not in /proc.
func (t *Table) Annotate(e event.Event, pid int) (*Process, bool) {
	p, ok := t.Lookup(pid)
	if !ok {
		return nil, false
	}
	t.setActor(e, p)
	if sum, st := t.HashOf(p).Sum(); st == exehash.StatusOK {
		SetHash(e, sum, st)
	}
	return p, true
}

// AnnotateEntity is Annotate for the process named by its entity id, which
// a pid cannot be mistaken for: it sets the process fields (with parent
// and ancestry), user.* and container.* of the process the table knows
// under id, recently exited ones included, and reports whether it knew it.
func (t *Table) AnnotateEntity(e event.Event, id string) (*Process, bool) {
	p, ok := t.LookupEntity(id)
	if !ok {
		return nil, false
	}
	t.setActor(e, p)
	if sum, st := t.HashOf(p).Sum(); st == exehash.StatusOK {
		SetHash(e, sum, st)
	}
	return p, true
}

// SetHash sets process.hash.sha256 of an event made by this package, or
// vigil.process.hash_status when the hash is not known.
func SetHash(e event.Event, sum string, st exehash.Status) {
	if st == exehash.StatusOK {
		if proc, ok := e["process"].(map[string]any); ok {
			proc["hash"] = map[string]any{"sha256": sum}
		}
		if v, ok := e["vigil"].(map[string]any); ok {
			if vp, ok := v["process"].(map[string]any); ok {
				delete(vp, "hash_status")
			}
		}
		return
	}
	vigil(e)["hash_status"] = string(st)
}

// setActor sets the process, user, container and vigil.process fields of
// p, and returns the process object.
func (t *Table) setActor(e event.Event, p *Process) map[string]any {
	proc := t.processObject(p)
	parent, ancestry := t.lineageObjects(p)
	if parent != nil {
		proc["parent"] = parent
	}
	if ancestry != nil {
		proc["ancestry"] = ancestry
	}
	e["process"] = proc
	user := t.userObject(p.EUID)
	if p.AUID != NoID {
		// A map of its own: the cached one is shared.
		u := make(map[string]any, len(user)+1)
		for k, v := range user {
			u[k] = v
		}
		u["audit"] = t.userObject(p.AUID)
		user = u
	}
	e["user"] = user
	if p.Container.ID != "" {
		c := map[string]any{"id": p.Container.ID, "runtime": p.Container.Runtime}
		if p.Container.PodUID != "" {
			c["pod_uid"] = p.Container.PodUID
		}
		e["container"] = c
	}
	if p.SessionID != NoID {
		vigil(e)["audit_session"] = p.SessionID
	}
	if p.ArgsTruncated {
		vigil(e)["args_truncated"] = true
	}
	if p.ExecPath != "" {
		vigil(e)["exec_path"] = p.ExecPath
	}
	if len(p.Missing) > 0 {
		vigil(e)["incomplete"] = true
		vigil(e)["missing"] = append([]string(nil), p.Missing...)
	}
	return proc
}

// lineage caches, for one process, the objects that describe it to the
// events of others and of itself: its process.parent and
// process.ancestry (who started it, which does not change), its entry in
// its children's ancestry and its object as their parent. They are built
// once and shared, read-only, by every event that carries them.
type lineage struct {
	mu       sync.Mutex
	done     bool
	parent   map[string]any
	ancestry []any
	entry    map[string]any
	asParent map[string]any
	// asParentIDs are the real and effective uid asParent names: a
	// process whose ids changed without an exec (Table.Update) gets a new
	// object for the children it starts from then on.
	asParentIDs [2]uint32
}

// lineageObjects returns process.parent and process.ancestry of p.
func (t *Table) lineageObjects(p *Process) (map[string]any, []any) {
	if l := p.lineage; l != nil {
		l.mu.Lock()
		done, parent, ancestry := l.done, l.parent, l.ancestry
		l.mu.Unlock()
		if done {
			return parent, ancestry
		}
	}
	var parentObj map[string]any
	parent, known := t.Parent(p)
	switch {
	case known:
		parentObj = t.parentObject(parent)
	case p.PPID > 0:
		parentObj = map[string]any{"pid": p.PPID}
		if p.ParentEntityID != "" {
			parentObj["entity_id"] = p.ParentEntityID
		}
	}
	var list []any
	if anc := t.Ancestry(p); len(anc) > 0 {
		list = make([]any, len(anc))
		for i, a := range anc {
			list[i] = t.ancestryEntry(a)
		}
	}
	if l := p.lineage; l != nil && known {
		l.mu.Lock()
		l.done, l.parent, l.ancestry = true, parentObj, list
		l.mu.Unlock()
	}
	return parentObj, list
}

// parentObject returns the process.parent object of p's children: its
// pid, entity id, name, executable, arguments, and its effective and real
// user (user.*, real_user.*) as the table knows them now, so that an
// event tells a privileged child of an unprivileged parent.
func (t *Table) parentObject(p *Process) map[string]any {
	ids := [2]uint32{p.UID, p.EUID}
	if l := p.lineage; l != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.asParent != nil && l.asParentIDs == ids {
			return l.asParent
		}
	}
	m := make(map[string]any, 8)
	m["pid"], m["entity_id"], m["name"] = p.PID, p.EntityID, p.Name
	if p.Executable != "" {
		m["executable"] = p.Executable
	}
	if len(p.Args) > 0 {
		m["args"] = p.Args
		m["command_line"] = p.CommandLine()
	}
	if !p.IsMissing(FieldUser) {
		m["user"] = t.userObject(p.EUID)
		m["real_user"] = t.userObject(p.UID)
	}
	if p.lineage != nil {
		p.lineage.asParent, p.lineage.asParentIDs = m, ids
	}
	return m
}

// ancestryEntry returns p's entry in its descendants' process.ancestry.
func (t *Table) ancestryEntry(p *Process) map[string]any {
	if l := p.lineage; l != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.entry != nil {
			return l.entry
		}
	}
	m := map[string]any{"entity_id": p.EntityID, "pid": p.PID, "name": p.Name}
	if p.Executable != "" {
		m["executable"] = p.Executable
	}
	if p.lineage != nil {
		p.lineage.entry = m
	}
	return m
}

// processObject returns the process.* fields of p without parent and
// ancestry.
func (t *Table) processObject(p *Process) map[string]any {
	// Sized for every field below and those callers add (parent,
	// ancestry, hash, previous, exit_code, end): a map that grows costs
	// more than its room.
	proc := make(map[string]any, 24)
	proc["pid"] = p.PID
	proc["entity_id"] = p.EntityID
	proc["name"] = p.Name
	proc["args_count"] = len(p.Args)
	if p.Executable != "" {
		proc["executable"] = p.Executable
	}
	if len(p.Args) > 0 {
		proc["args"] = p.Args
		proc["command_line"] = p.CommandLine()
	}
	if p.WorkingDir != "" {
		proc["working_directory"] = p.WorkingDir
	}
	if !p.Start.IsZero() {
		proc["start"] = formatTime(p.Start)
	}
	if !p.IsMissing(FieldUser) {
		proc["user"] = t.userObject(p.EUID)
		proc["real_user"] = t.userObject(p.UID)
		proc["group"] = t.groupObject(p.EGID)
		proc["real_group"] = t.groupObject(p.GID)
	}
	if p.TTY != "" {
		proc["tty"] = map[string]any{"name": p.TTY}
	}
	if len(p.Stdio) > 0 {
		list := make([]any, len(p.Stdio))
		for i, s := range p.Stdio {
			m := map[string]any{"fd": s.FD, "type": s.Type}
			if s.Transport != "" {
				m["transport"] = s.Transport
			}
			if s.Local != "" {
				m["local"] = s.Local
			}
			if s.Remote != "" {
				m["remote"] = s.Remote
			}
			if s.Inode != 0 {
				m["inode"] = s.Inode
			}
			list[i] = m
		}
		proc["stdio"] = list
	}
	return proc
}

// userObject returns {"id": "1000", "name": "alice"} for a uid (no name
// when unknown); groupObject the same for a gid. The objects are cached
// and shared, read-only, by the events.
func (t *Table) userObject(uid uint32) map[string]any {
	return t.idObject(uint64(uid), t.users.UserName(uid))
}

func (t *Table) groupObject(gid uint32) map[string]any {
	return t.idObject(1<<32|uint64(gid), t.users.GroupName(gid))
}

// maxIDObjects bounds the cache of user and group objects.
const maxIDObjects = 4096

// idObject returns the cached object of id (a uid, or 1<<32 | a gid)
// named name, making it when the name changed.
func (t *Table) idObject(id uint64, name string) map[string]any {
	t.idMu.Lock()
	defer t.idMu.Unlock()
	if m, ok := t.idObjects[id]; ok {
		if n, _ := m["name"].(string); n == name {
			return m
		}
	}
	m := map[string]any{"id": strconv.FormatUint(id&0xffffffff, 10)}
	if name != "" {
		m["name"] = name
	}
	if t.idObjects == nil || len(t.idObjects) >= maxIDObjects {
		t.idObjects = map[uint64]map[string]any{}
	}
	t.idObjects[id] = m
	return m
}

// vigil returns the event's vigil.process object, making it.
func vigil(e event.Event) map[string]any {
	v, ok := e["vigil"].(map[string]any)
	if !ok {
		v = map[string]any{}
		e["vigil"] = v
	}
	p, ok := v["process"].(map[string]any)
	if !ok {
		p = map[string]any{}
		v["process"] = p
	}
	return p
}

// clip shortens s to at most n bytes, at a character boundary, marking
// the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

var signalNames = [...]string{1: "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
	"SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
	"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
	"SIGIO", "SIGPWR", "SIGSYS"}

// signalName names a Linux signal number.
func signalName(n int) string {
	if n > 0 && n < len(signalNames) {
		return signalNames[n]
	}
	return "SIG" + strconv.Itoa(n)
}
