package fim

import (
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/baseline"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/notify"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/textdiff"
	"github.com/vigilsec/vigil/internal/event"
)

// evOpts is what an event says beyond the two states of the file.
type evOpts struct {
	at                                                      time.Time
	proc                                                    *notify.Process
	mech                                                    string
	oldPath                                                 string
	changes                                                 baseline.Change
	offline, rescan, replaced, movedIn, movedOut, transient bool
}

var eventTypes = map[string]string{
	ActionCreated: "creation", ActionModified: "change", ActionRenamed: "change",
	ActionDeleted: "deletion", ActionAttributesChanged: "change",
}

var verbs = map[string]string{
	ActionCreated: "created", ActionModified: "modified", ActionRenamed: "renamed",
	ActionDeleted: "deleted", ActionAttributesChanged: "changed the attributes of",
}

// report emits one file event: cur is the file now (for a deletion, as it
// was), before its earlier state or nil, data its content now when read.
func (e *engine) report(action string, cur, before *baseline.Entry, data []byte, o evOpts) {
	at := o.at
	if at.IsZero() {
		at = time.Now()
	}
	ev := event.New("", at, "file", action)
	ev.Set(event.FieldKind, "event")
	ev.Set("event.type", []any{eventTypes[action]})
	ev.Set(event.FieldDataset, Name)
	ev.Set(event.FieldOutcome, "success")
	e.setFile(ev, "file", cur, action != ActionDeleted || before == nil)
	if action == ActionDeleted {
		ev.Set("file.path", cur.Path)
	}
	if before != nil && action != ActionCreated || before != nil && o.replaced {
		e.setPrevious(ev, before)
	}
	if o.oldPath != "" {
		ev.Set("vigil.file.previous.path", o.oldPath)
	}
	if o.changes != 0 {
		ev.Set("vigil.fim.changes", toAny(o.changes.Names()))
	}
	if r := webRootOf(e.webRoots, cur.Path); r != "" {
		ev.Set("vigil.fim.web_root", r)
	}
	if d := e.diff(cur, before, data); d != "" {
		ev.Set("vigil.file.diff", d)
	}
	mech, reason := o.mech, ""
	if mech == "" {
		mech = e.mech
	}
	switch mech {
	case notify.MechInotify:
		reason = e.reason
		if reason == "" && e.mech == notify.MechFanotify {
			reason = "fanotify cannot watch this filesystem"
		}
	case notify.MechFanotify:
		var marks string
		if marks, reason = e.marksOf(cur.Dev); marks != "" {
			ev.Set("vigil.fim.marks", marks)
		}
	}
	ev.Set("vigil.fim.mechanism", mech)
	if reason != "" {
		ev.Set("vigil.fim.mechanism_reason", reason)
	}
	for _, f := range []struct {
		name string
		on   bool
	}{{"offline", o.offline}, {"rescan", o.rescan}, {"replaced", o.replaced}, {"moved_in", o.movedIn},
		{"moved_out", o.movedOut}, {"transient", o.transient}} {
		if f.on {
			ev.Set("vigil.fim."+f.name, true)
		}
	}
	actor := ""
	if o.proc != nil {
		actor = e.setProcess(ev, o.proc)
	}
	msg := fmt.Sprintf("%s %s", verbs[action], cur.Path)
	if o.oldPath != "" {
		msg = fmt.Sprintf("renamed %s to %s", o.oldPath, cur.Path)
	}
	if actor != "" {
		msg = actor + " " + msg
	} else {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	if o.changes&baseline.ChangeCaps != 0 {
		caps := "none"
		if !cur.Caps.IsZero() {
			caps = cur.Caps.String()
		}
		msg += " (capabilities: " + caps + ")"
	}
	switch {
	case o.offline:
		msg += " while the agent was stopped"
	case o.movedOut:
		msg += " (moved out of the watched paths)"
	case o.movedIn:
		msg += " (moved in)"
	}
	ev.Set(event.FieldMessage, msg)
	e.emit.Emit(ev)
}

// setFile sets the ECS file fields of en under prefix.
func (e *engine) setFile(ev event.Event, prefix string, en *baseline.Entry, full bool) {
	ev.Set(prefix+".path", en.Path)
	ev.Set(prefix+".name", path.Base(en.Path))
	ev.Set(prefix+".directory", path.Dir(en.Path))
	if en.Type == 0 || !full && en.Inode == 0 {
		return
	}
	ev.Set(prefix+".type", en.Type.String())
	if en.Inode == 0 {
		return // known by name only (created and gone at once)
	}
	e.setAttrs(ev, prefix, en)
	ev.Set(prefix+".mtime", en.MTimeTime().Format(time.RFC3339Nano))
	ev.Set(prefix+".ctime", time.Unix(0, en.CTime).UTC().Format(time.RFC3339Nano))
	ev.Set(prefix+".inode", strconv.FormatUint(en.Inode, 10))
	if en.Type == baseline.TypeSymlink {
		ev.Set(prefix+".target_path", en.Target)
	}
	switch {
	case en.Hashed():
		ev.Set(prefix+".hash.sha256", en.HashHex())
	case en.Type != baseline.TypeFile:
	case en.Flags&baseline.FlagTooLarge != 0:
		ev.Set("vigil.fim.hash_skipped", "too-large")
	case en.Flags&baseline.FlagUnreadable != 0:
		ev.Set("vigil.fim.hash_skipped", "unreadable")
	case !e.hashOn:
		ev.Set("vigil.fim.hash_skipped", "disabled")
	}
}

func (e *engine) setAttrs(ev event.Event, prefix string, en *baseline.Entry) {
	ev.Set(prefix+".mode", en.ModeString())
	ev.Set(prefix+".uid", strconv.FormatUint(uint64(en.UID), 10))
	ev.Set(prefix+".gid", strconv.FormatUint(uint64(en.GID), 10))
	if n := e.names.user(en.UID); n != "" {
		ev.Set(prefix+".owner", n)
	}
	if n := e.names.group(en.GID); n != "" {
		ev.Set(prefix+".group", n)
	}
	if en.Type == baseline.TypeFile {
		ev.Set(prefix+".size", en.Size)
	}
	if en.CapsKnown() && !en.Caps.IsZero() {
		// ECS has no field for them: vigil.file.* beside vigil.file.previous.*.
		p := prefix
		if p == "file" {
			p = "vigil.file"
		}
		ev.Set(p+".capabilities", en.Caps.String())
		ev.Set(p+".capabilities_permitted", toAny(en.Caps.PermittedNames()))
		if en.Caps.RootID != 0 {
			ev.Set(p+".capabilities_rootid", strconv.FormatUint(uint64(en.Caps.RootID), 10))
		}
	}
}

// setPrevious sets vigil.file.previous.* from the earlier state.
func (e *engine) setPrevious(ev event.Event, before *baseline.Entry) {
	const p = "vigil.file.previous"
	if before.Inode == 0 {
		return
	}
	ev.Set(p+".path", before.Path)
	e.setAttrs(ev, p, before)
	ev.Set(p+".mtime", before.MTimeTime().Format(time.RFC3339Nano))
	if before.Hashed() {
		ev.Set(p+".hash.sha256", before.HashHex())
	}
	if before.Type == baseline.TypeSymlink {
		ev.Set(p+".target_path", before.Target)
	}
}

// diff returns the unified diff of a small text file from its kept
// earlier content, "" when there is none to give.
func (e *engine) diff(cur, before *baseline.Entry, data []byte) string {
	if data == nil || before == nil || !before.Hashed() || !cur.Hashed() || before.SHA256 == cur.SHA256 ||
		!e.diffable(cur.Path) || !textdiff.IsText(data) || textdiff.ContainsSecret(data) {
		return ""
	}
	old, ok := e.store.Get(before.SHA256)
	if !ok || textdiff.ContainsSecret(old) {
		return ""
	}
	d, _ := textdiff.Unified(before.Path, cur.Path, old, data, maxDiffOutput)
	return d
}

// setProcess sets process.* from what /proc told; it returns a short
// description of the actor for the message.
func (e *engine) setProcess(ev event.Event, p *notify.Process) string {
	if e.procs != nil {
		id := ""
		if p.HasStart {
			id = procid.EntityID(e.env.HostID, int(p.PID), p.StartTicks)
		} else {
			id = e.late.entity(e.procs, int(p.PID))
		}
		if id != "" && (knows(e.procs, id) || e.late.await(e.procs, int(p.PID), id)) {
			if known, ok := e.procs.AnnotateEntity(ev, id); ok {
				return fmt.Sprintf("%s (pid %d)", known.Name, p.PID)
			}
		}
	}
	ev.Set(event.FieldProcessPID, int(p.PID))
	if p.HasStart {
		ev.Set(event.FieldProcessEntity, procid.EntityID(e.env.HostID, int(p.PID), p.StartTicks))
	}
	name := p.Name
	if p.Executable != "" {
		ev.Set(event.FieldProcessExe, p.Executable)
		if name == "" {
			name = path.Base(p.Executable)
		}
	}
	if name != "" {
		ev.Set("process.name", name)
	}
	if len(p.Args) > 0 {
		ev.Set("process.args", toAny(p.Args))
		ev.Set("process.args_count", len(p.Args))
		ev.Set(event.FieldProcessCmd, strings.Join(p.Args, " "))
	}
	if p.PPID > 0 {
		ev.Set("process.parent.pid", int(p.PPID))
	}
	if p.UID >= 0 {
		uid := uint32(p.UID)
		ev.Set("process.user.id", strconv.FormatUint(uint64(uid), 10))
		ev.Set("user.id", strconv.FormatUint(uint64(uid), 10))
		if n := e.names.user(uid); n != "" {
			ev.Set("process.user.name", n)
			ev.Set(event.FieldUserName, n)
		}
	}
	if name == "" {
		return fmt.Sprintf("pid %d", p.PID)
	}
	return fmt.Sprintf("%s (pid %d)", name, p.PID)
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// baselineEvent is the state event that ends the first scan of a run.
func (e *engine) baselineEvent(st baseline.Stats, mode scanMode) event.Event {
	ev := event.New("", time.Now(), "file", ActionBaselineCompleted)
	ev.Set(event.FieldKind, "state")
	ev.Set("event.type", []any{"info"})
	ev.Set(event.FieldDataset, Name)
	ev.Set("vigil.fim.mechanism", e.mech)
	reason := e.reason
	if e.fan != nil {
		fs := e.fan.Stats()
		ev.Set("vigil.fim.fanotify.inode_marks", fs.InodeMarks)
		ev.Set("vigil.fim.fanotify.filesystem_marks", fs.FilesystemMarks)
		ev.Set("vigil.fim.marks", e.set.FanotifyMarks)
		var reasons []string
		for _, fb := range e.fan.Fallbacks() {
			reasons = append(reasons, fallbackReason(e.hostOrLocal(fb.Tree), fb.Cause))
		}
		switch {
		case e.set.FanotifyMarks == FanotifyMarksFilesystem:
			reason = reasonFilesystemSetting
		case len(reasons) > 0:
			ev.Set("vigil.fim.marks", FanotifyMarksInode+"+"+FanotifyMarksFilesystem)
			reason = strings.Join(reasons, "; ")
		}
	}
	if reason != "" {
		ev.Set("vigil.fim.mechanism_reason", reason)
	}
	ev.Set("vigil.fim.paths", toAny(e.roots))
	ev.Set("vigil.fim.first_baseline", mode == modeFirst)
	for k, v := range map[string]any{
		"entries": st.Entries, "dirs": st.Dirs, "files": st.Files, "hashed": st.Hashed, "reused": st.Reused,
		"too_large": st.TooLarge, "errors": st.Errors, "hashed_bytes": st.HashedBytes,
		"storage_bytes": st.StorageBytes, "duration_ms": st.Duration.Milliseconds(),
		"throttled_ms": st.Throttled.Milliseconds(),
	} {
		ev.Set("vigil.fim.scan."+k, v)
	}
	ev.Set(event.FieldMessage, fmt.Sprintf("File integrity baseline: %d entries, %d files hashed in %s (%s)",
		st.Entries, st.Hashed, st.Duration.Round(time.Millisecond), e.mech))
	return ev
}

// nameCache turns uids and gids into names from the host's passwd and
// group files, read again when they change.
type nameCache struct {
	root          string
	pwMod, grMod  time.Time
	users, groups map[uint32]string
	checked       time.Time
}

func (c *nameCache) refresh() {
	if time.Since(c.checked) < time.Second && c.users != nil {
		return
	}
	c.checked = time.Now()
	load := func(file string, mod *time.Time, homes bool) map[uint32]string {
		p := baseline.Local(c.root, file)
		fi, err := os.Stat(p)
		if err != nil {
			return nil
		}
		if fi.ModTime().Equal(*mod) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		*mod = fi.ModTime()
		accts, _ := parseAccounts(data, homes)
		m := make(map[uint32]string, len(accts))
		for _, a := range accts {
			if _, dup := m[a.id]; !dup {
				m[a.id] = a.name
			}
		}
		return m
	}
	if m := load("/etc/passwd", &c.pwMod, true); m != nil {
		c.users = m
	}
	if m := load("/etc/group", &c.grMod, false); m != nil {
		c.groups = m
	}
	if c.users == nil {
		c.users = map[uint32]string{}
	}
}

func (c *nameCache) user(id uint32) string {
	c.refresh()
	return c.users[id]
}

func (c *nameCache) group(id uint32) string {
	c.refresh()
	return c.groups[id]
}
