//go:build linux

package kmod

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/event"
)

// Bounds of what is copied from a process into an event.
const (
	maxArgs      = 256
	maxArgLen    = 4096
	maxUserCache = 1024
	// lostCheck is how often the eBPF loss counter is read.
	lostCheck = time.Second
)

// origin says how a change was found.
type origin int

const (
	seenLive    origin = iota // by the eBPF programs
	seenPolling               // by comparing two readings of /proc/modules
	seenOffline               // at start, against the snapshot of the last run
	seenResync                // by comparing /proc/modules after lost records
)

// runner is one Run of the sensor.
type runner struct {
	cfg     config
	emit    plugin.Emitter
	log     *slog.Logger
	dep     *depIndex
	proc    procfs.FS
	hasProc bool
	known   map[string]Module
	dirty   bool
	users   map[uint32]string
	// badLines is the number of unparsable lines of the last reading of
	// /proc/modules: a line that stays bad is counted lost once.
	badLines int
	counters *counters
}

// Run implements plugin.Sensor.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) error {
	cfg, err := s.current()
	if err != nil {
		return err
	}
	r := &runner{cfg: cfg, emit: emit, log: cfg.log, dep: newDepIndex(cfg.root, cfg.probe.release),
		known: map[string]Module{}, users: map[uint32]string{}, counters: &s.counters}
	if fs, err := procfs.NewFS(filepath.Join(cfg.root, "proc")); err == nil {
		r.proc, r.hasProc = fs, true
	}
	if cfg.mechanism == MechanismPoll {
		return r.poll(ctx)
	}
	return r.trace(ctx)
}

// readModules reads the module table; lines it cannot parse are counted
// as lost.
func (r *runner) readModules() (map[string]Module, error) {
	f, err := os.Open(filepath.Join(r.cfg.root, "proc/modules"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoModules
	}
	if err != nil {
		return nil, fmt.Errorf("kmod: %w", err)
	}
	defer f.Close()
	mods, bad, err := ParseProcModules(f)
	if bad > r.badLines {
		r.log.Warn("unparsable lines in /proc/modules", "lines", bad)
		r.emit.Lost(uint64(bad - r.badLines))
		r.counters.malformedModuleLines.Add(uint64(bad - r.badLines))
	}
	r.badLines = bad
	if err != nil {
		return nil, fmt.Errorf("kmod: %w", err)
	}
	out := make(map[string]Module, len(mods))
	for _, m := range mods {
		out[m.Name] = m
	}
	if n := r.dep.takeBad(); n > 0 {
		r.log.Warn("unparsable lines in modules.dep", "lines", n)
		r.counters.malformedDepLines.Add(uint64(n))
	}
	return out, nil
}

// reportOffline reports how the module table differs from the snapshot
// of the last run, and saves the current one.
func (r *runner) reportOffline(cur map[string]Module) {
	r.known = cur
	r.counters.modules.Store(uint64(len(cur)))
	if r.cfg.statePath == "" {
		r.log.Info("no data directory: modules loaded while the agent is stopped will not be reported")
		return
	}
	prev, err := loadSnapshot(r.cfg.statePath)
	if err != nil {
		r.log.Warn("saved module table unreadable; changes while stopped are unknown", "err", err)
		r.counters.snapshotErrors.Add(1)
		r.emit.Lost(1)
	}
	if prev != nil {
		old := make(map[string]Module, len(prev.Modules))
		for _, m := range prev.Modules {
			old[m.Name] = m
		}
		rebooted := prev.BootID != "" && r.cfg.bootID != "" && prev.BootID != r.cfg.bootID
		loaded, unloaded := moduleDiff(old, cur, false)
		now := time.Now()
		for _, m := range unloaded {
			e := r.tableEvent(ActionUnloaded, now, m, seenOffline)
			if rebooted {
				e.Set("vigil.kmod.rebooted", true)
			}
			r.emit.Emit(e)
		}
		for _, m := range loaded {
			e := r.tableEvent(ActionLoaded, now, m, seenOffline)
			if rebooted {
				e.Set("vigil.kmod.rebooted", true)
			}
			r.emit.Emit(e)
		}
	}
	r.save()
}

func (r *runner) save() {
	r.dirty = false
	r.counters.modules.Store(uint64(len(r.known)))
	if r.cfg.statePath == "" {
		return
	}
	if err := saveSnapshot(r.cfg.statePath, r.cfg.bootID, time.Now().UTC().Format(time.RFC3339), r.known); err != nil {
		r.counters.snapshotErrors.Add(1)
		r.log.Warn("cannot save the module table", "err", err)
	}
}

// compare reports the differences between the known table and cur,
// and makes cur the known table.
func (r *runner) compare(cur map[string]Module, how origin) {
	loaded, unloaded := moduleDiff(r.known, cur, true)
	now := time.Now()
	for _, m := range unloaded {
		r.emit.Emit(r.tableEvent(ActionUnloaded, now, m, how))
	}
	for _, m := range loaded {
		r.emit.Emit(r.tableEvent(ActionLoaded, now, m, how))
	}
	r.known = cur
	r.counters.modules.Store(uint64(len(r.known)))
	if len(loaded)+len(unloaded) > 0 {
		r.save()
	}
}

// poll is the proc-modules mechanism.
func (r *runner) poll(ctx context.Context) error {
	cur, err := r.readModules()
	if err != nil {
		return err
	}
	r.reportOffline(cur)
	t := time.NewTicker(time.Duration(r.cfg.settings.PollInterval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			cur, err := r.readModules()
			if err != nil {
				return err
			}
			r.compare(cur, seenPolling)
		}
	}
}

// trace is the eBPF mechanism.
func (r *runner) trace(ctx context.Context) error {
	tr, err := startTracer(r.cfg.probe.tracepoints, r.cfg.settings.FailedAttempts)
	if err != nil {
		return err
	}
	defer tr.close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			tr.interrupt()
		case <-stop:
		}
	}()
	if r.cfg.probe.procModules {
		cur, err := r.readModules()
		if err != nil {
			return err
		}
		r.reportOffline(cur)
	} else {
		r.log.Info("the kernel cannot load modules; reporting the attempts only")
	}
	var lostSeen uint64
	lastCheck := time.Now()
	for {
		tr.setDeadline(time.Now().Add(lostCheck))
		raw, ok, err := tr.read()
		if errors.Is(err, errTracerClosed) && ctx.Err() != nil {
			if r.dirty {
				r.save()
			}
			return nil
		}
		if err != nil {
			return err
		}
		if ok {
			rec, err := decodeRecord(raw)
			if err != nil {
				r.log.Warn("undecodable eBPF record", "err", err)
				r.counters.malformedRecords.Add(1)
				r.emit.Lost(1)
			} else {
				r.handle(rec)
			}
		}
		if time.Since(lastCheck) < lostCheck {
			continue
		}
		lastCheck = time.Now()
		n, err := tr.lost()
		if err != nil {
			return err
		}
		if n > lostSeen {
			r.log.Warn("eBPF records lost; comparing with /proc/modules", "lost", n-lostSeen)
			r.emit.Lost(n - lostSeen)
			r.counters.lostRecords.Add(n - lostSeen)
			lostSeen = n
			if r.cfg.probe.procModules {
				r.counters.resyncs.Add(1)
				if cur, err := r.readModules(); err == nil {
					r.compare(cur, seenResync)
				}
			}
		}
		if r.dirty {
			r.save()
		}
	}
}

// handle turns one eBPF record into an event.
func (r *runner) handle(rec record) {
	at := monoToWall(rec.KtimeNS)
	switch rec.Kind {
	case kindLoad:
		m := Module{Name: rec.Name, Taints: TaintString(rec.Taints)}
		if r.cfg.probe.procModules {
			if cur, err := r.readModules(); err == nil {
				if c, ok := cur[rec.Name]; ok {
					m.Size, m.Address = c.Size, c.Address
				}
			}
		}
		r.known[m.Name] = m
		r.dirty = true
		r.emit.Emit(r.traceEvent(ActionLoaded, at, m, rec))
	case kindFree:
		m, ok := r.known[rec.Name]
		if !ok {
			m = Module{Name: rec.Name, Taints: TaintString(rec.Taints)}
		}
		delete(r.known, rec.Name)
		r.dirty = true
		r.emit.Emit(r.traceEvent(ActionUnloaded, at, m, rec))
	case kindFailed:
		action := ActionLoadFailed
		if rec.Syscall == callDelete {
			action = ActionUnloadFailed
		}
		r.emit.Emit(r.traceEvent(action, at, Module{Name: rec.Name}, rec))
	}
}

// eventTypes maps actions to their ECS event.type and outcome.
var eventTypes = map[string][2]string{
	ActionLoaded:       {"start", "success"},
	ActionUnloaded:     {"end", "success"},
	ActionLoadFailed:   {"start", "failure"},
	ActionUnloadFailed: {"end", "failure"},
}

func newEvent(at time.Time, action string) event.Event {
	e := event.New("", at, "driver", action)
	e.Set(event.FieldKind, "event")
	e.Set("event.type", []string{eventTypes[action][0]})
	e.Set(event.FieldOutcome, eventTypes[action][1])
	e.Set(event.FieldDataset, Name)
	return e
}

// setModule sets the module's fields; file is the path the syscall named
// ("" when none), fromDep allows the path modules.dep gives instead, and
// loaded says m is a module that was in the kernel (not one a failed
// syscall named), whose signature the taints tell.
func (r *runner) setModule(e event.Event, m Module, file string, signed *bool, fromDep, loaded bool) {
	if m.Name != "" {
		e.Set("vigil.kmod.name", m.Name)
	}
	if m.Size > 0 {
		e.Set("vigil.kmod.size", m.Size)
	}
	if m.Taints != "" {
		e.Set("vigil.kmod.taints", m.Taints)
		e.Set("vigil.kmod.taint_flags", taintDescriptions(m.Taints))
	}
	if signed == nil && r.cfg.probe.signing && loaded {
		s := !strings.Contains(m.Taints, "E")
		signed = &s
	}
	if signed != nil {
		e.Set("vigil.kmod.signed", *signed)
	}
	source := "syscall"
	if m.Name != "" {
		depFile, listed, known := r.dep.Lookup(m.Name)
		if known {
			e.Set("vigil.kmod.in_modules_dep", listed)
		}
		if file == "" && listed && fromDep {
			file, source = depFile, "modules.dep"
		}
	}
	if file != "" {
		e.Set("vigil.kmod.path", file)
		e.Set("vigil.kmod.path_source", source)
		e.Set("vigil.kmod.unusual_path", UnusualPath(file))
	}
}

// tableEvent is a change found in the module table (polling, offline,
// resync): the process is unknown.
func (r *runner) tableEvent(action string, at time.Time, m Module, how origin) event.Event {
	e := newEvent(at, action)
	r.setModule(e, m, "", nil, true, true)
	verb := "loaded"
	if action == ActionUnloaded {
		verb = "unloaded"
	}
	msg := fmt.Sprintf("module %s %s", m.Name, verb)
	if m.Size > 0 {
		msg += fmt.Sprintf(" (%d bytes)", m.Size)
	}
	if p := e.String("vigil.kmod.path"); p != "" && action == ActionLoaded {
		msg += " from " + p
	}
	switch how {
	case seenOffline:
		e.Set("vigil.offline", true)
		msg += " while the agent was stopped"
	case seenResync:
		e.Set("vigil.kmod.resync", true)
		msg += " (found after lost eBPF records; the process is unknown)"
	case seenPolling:
		msg += " (seen in /proc/modules; the process is unknown)"
	}
	e.Set(event.FieldMessage, msg)
	return e
}

// traceEvent is an event of an eBPF record.
func (r *runner) traceEvent(action string, at time.Time, m Module, rec record) event.Event {
	e := newEvent(at, action)
	var signed *bool
	switch rec.Sig {
	case sigSigned, sigUnsigned:
		s := rec.Sig == sigSigned
		signed = &s
	}
	if action == ActionLoadFailed || action == ActionUnloadFailed {
		signed = nil
	}
	// The image the kernel loaded came from the syscall, not necessarily
	// from the file modules.dep names: no path from there.
	r.setModule(e, m, rec.Path, signed, false, action == ActionLoaded || action == ActionUnloaded)
	call := callNames[rec.Syscall]
	if call != "" {
		e.Set("vigil.kmod.syscall", call)
	}
	if rec.Params != "" {
		e.Set("vigil.kmod.params", rec.Params)
	}
	if rec.PathFlags&pathDeleted != 0 && rec.Path != "" {
		e.Set("vigil.kmod.file_deleted", true)
	}
	if rec.PathFlags&pathTruncated != 0 && rec.Path != "" {
		e.Set("vigil.kmod.path_truncated", true)
	}
	switch rec.Syscall {
	case callFinit:
		if f := finitFlags(rec.Flags); len(f) > 0 {
			e.Set("vigil.kmod.load_flags", f)
		}
	case callInit:
		if rec.ImageLen > 0 {
			e.Set("vigil.kmod.image_size", rec.ImageLen)
		}
	case callDelete:
		if f := deleteFlags(rec.Flags); len(f) > 0 {
			e.Set("vigil.kmod.unload_flags", f)
		}
	}
	r.setProcess(e, rec)
	who := fmt.Sprintf("%s (pid %d, uid %d)", rec.Comm, rec.TGID, rec.EUID)
	var msg string
	switch action {
	case ActionLoaded:
		msg = fmt.Sprintf("%s loaded module %s", who, m.Name)
		if rec.Path != "" {
			msg += " from " + rec.Path
		} else if rec.Syscall == callInit {
			msg += " from memory (init_module)"
		}
	case ActionUnloaded:
		if rec.Syscall == callInit || rec.Syscall == callFinit {
			e.Set("vigil.kmod.init_failed", true)
			msg = fmt.Sprintf("module %s freed: its init function failed (loaded by %s)", m.Name, who)
		} else {
			msg = fmt.Sprintf("%s unloaded module %s", who, m.Name)
		}
	case ActionLoadFailed, ActionUnloadFailed:
		errno := syscall.Errno(-rec.Ret)
		if rec.Ret >= 0 || rec.Ret < -4095 {
			errno = 0
		}
		e.Set("error.code", unix.ErrnoName(errno))
		e.Set("error.message", errno.Error())
		what := "load a module"
		if rec.Path != "" {
			what += " from " + rec.Path
		} else if rec.Syscall == callInit {
			what += fmt.Sprintf(" from memory (init_module, %d bytes)", rec.ImageLen)
		}
		if action == ActionUnloadFailed {
			what = "unload module " + m.Name
		}
		msg = fmt.Sprintf("%s failed to %s: %s (%s)", who, what, errno.Error(), unix.ErrnoName(errno))
	}
	e.Set(event.FieldMessage, msg)
	return e
}

// setProcess sets the process and user fields of a record's task, with
// its executable and arguments when /proc still shows the same process.
func (r *runner) setProcess(e event.Event, rec record) {
	ticks := procid.TicksFromBootNS(rec.StartBoottime)
	e.Set("process.pid", rec.TGID)
	e.Set("process.thread.id", rec.PID)
	e.Set("process.name", rec.Comm)
	e.Set(event.FieldProcessEntity, procid.EntityID(r.cfg.hostID, int(rec.TGID), ticks))
	if start := bootToWall(rec.StartBoottime); !start.IsZero() {
		e.Set("process.start", start.UTC().Format(time.RFC3339Nano))
	}
	if rec.PPID > 0 {
		e.Set("process.parent.pid", rec.PPID)
		e.Set("process.parent.name", rec.ParentComm)
		e.Set("process.parent.entity_id", procid.EntityID(r.cfg.hostID, int(rec.PPID), procid.TicksFromBootNS(rec.ParentStartBoottime)))
	}
	if exe, args := r.procDetails(rec.TGID, ticks); exe != "" || len(args) > 0 {
		if exe != "" {
			e.Set(event.FieldProcessExe, exe)
		}
		if len(args) > 0 {
			e.Set("process.args", args)
			e.Set("process.args_count", len(args))
			e.Set(event.FieldProcessCmd, strings.Join(args, " "))
		}
	}
	e.Set("user.id", strconv.FormatUint(uint64(rec.EUID), 10))
	e.Set("process.user.id", strconv.FormatUint(uint64(rec.EUID), 10))
	e.Set("process.real_user.id", strconv.FormatUint(uint64(rec.UID), 10))
	e.Set("process.real_group.id", strconv.FormatUint(uint64(rec.GID), 10))
	if n := r.userName(rec.EUID); n != "" {
		e.Set(event.FieldUserName, n)
		e.Set("process.user.name", n)
	}
	if n := r.userName(rec.UID); n != "" {
		e.Set("process.real_user.name", n)
	}
	if rec.LoginUID != ^uint32(0) {
		e.Set("user.audit.id", strconv.FormatUint(uint64(rec.LoginUID), 10))
		if n := r.userName(rec.LoginUID); n != "" {
			e.Set("user.audit.name", n)
		}
	}
}

// procDetails returns the executable and arguments of process pid if it
// is still the process that started at ticks.
func (r *runner) procDetails(pid uint32, ticks uint64) (string, []string) {
	if !r.hasProc || pid == 0 {
		return "", nil
	}
	p, err := r.proc.Proc(int(pid))
	if err != nil {
		return "", nil
	}
	st, err := p.Stat()
	if err != nil || st.Starttime != ticks {
		return "", nil
	}
	exe, _ := p.Executable()
	args, _ := p.CmdLine()
	if len(args) > maxArgs {
		args = args[:maxArgs]
	}
	for i, a := range args {
		if len(a) > maxArgLen {
			args[i] = a[:maxArgLen]
		}
	}
	// The process may have exited and its pid been reused meanwhile.
	if st2, err := p.Stat(); err != nil || st2.Starttime != ticks {
		return "", nil
	}
	return exe, args
}

// userName returns the name of uid, from a bounded cache.
func (r *runner) userName(uid uint32) string {
	if n, ok := r.users[uid]; ok {
		return n
	}
	var name string
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		name = u.Username
	}
	if len(r.users) >= maxUserCache {
		clear(r.users)
	}
	r.users[uid] = name
	return name
}

// finitFlags names finit_module's flags (MODULE_INIT_*).
func finitFlags(f uint32) []string {
	var out []string
	for bit, name := range map[uint32]string{1: "ignore-modversions", 2: "ignore-vermagic", 4: "compressed-file"} {
		if f&bit != 0 {
			out = append(out, name)
		}
	}
	if rest := f &^ 7; rest != 0 {
		out = append(out, fmt.Sprintf("0x%x", rest))
	}
	slices.Sort(out)
	return out
}

// deleteFlags names delete_module's flags.
func deleteFlags(f uint32) []string {
	var out []string
	if f&unix.O_NONBLOCK != 0 {
		out = append(out, "nonblock")
	}
	if f&unix.O_TRUNC != 0 {
		out = append(out, "force")
	}
	if rest := f &^ (unix.O_NONBLOCK | unix.O_TRUNC); rest != 0 {
		out = append(out, fmt.Sprintf("0x%x", rest))
	}
	return out
}

// monoToWall turns a CLOCK_MONOTONIC reading (bpf_ktime_get_ns) into
// wall time.
func monoToWall(ns uint64) time.Time { return clockToWall(unix.CLOCK_MONOTONIC, ns) }

// bootToWall turns a CLOCK_BOOTTIME reading (task start_boottime) into
// wall time.
func bootToWall(ns uint64) time.Time { return clockToWall(unix.CLOCK_BOOTTIME, ns) }

func clockToWall(clock int32, ns uint64) time.Time {
	var ts unix.Timespec
	if err := unix.ClockGettime(clock, &ts); err != nil {
		return time.Now()
	}
	return time.Now().Add(-time.Duration(ts.Nano() - int64(ns)))
}
