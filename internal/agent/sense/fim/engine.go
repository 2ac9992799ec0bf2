package fim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/baseline"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/content"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/notify"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/textdiff"
)

// Bounds and periods of the engine.
const (
	maxPending    = 10000            // files with merged writes waiting
	saveEvery     = 30 * time.Second // baseline saved this long after a change
	noticeBuffer  = 4096
	closeQuiet    = 500 * time.Millisecond // a created file closed this long ago is done
	maxDiffOutput = 4 << 10
)

// scanMode says how a scan's findings are reported.
type scanMode int

const (
	modeFirst   scanMode = iota // no earlier baseline: record only
	modeOffline                 // compare with the stored baseline
	modeRescan                  // compare with the live index
	modeNew                     // a tree that appeared: everything is new
)

// pending is a file with writes being merged.
type pending struct {
	created  bool
	first    time.Time
	closedAt time.Time
	proc     *notify.Process
	mech     string
}

// engine is one Run of the sensor.
type engine struct {
	sensor *Sensor
	set    Settings
	root   string
	env    plugin.Env
	log    *slog.Logger
	emit   plugin.Emitter
	mech   string
	reason string
	// procs is the process table the process sensor keeps: it names a
	// writer that exited before /proc could be read, and gives the
	// writer's parent and ancestry.
	procs *proctable.Table
	// late names the processes of changes read after they ended.
	late lateProcesses

	roots  []string
	around map[string]bool // host directories above roots, watched for the roots' own events and appearance
	excl   *excluder
	// webRoots are the document roots of the web_roots setting and those
	// discovered, whose files' events carry vigil.fim.web_root.
	webRoots []webRoot

	index   *baseline.Index
	pending map[string]*pending
	hasher  *baseline.Hasher
	store   *content.Store
	names   nameCache
	dirty   bool
	changed time.Time

	hashOn  bool
	maxSize int64
	diffMax int64
	window  time.Duration

	srcCtx  context.Context
	notices chan notify.Notice
	srcErr  chan error
	srcWG   sync.WaitGroup
	srcMu   sync.Mutex // guards fan, ino and fellBack
	fan     *notify.Fanotify
	ino     *notify.Inotify
	// fellBack holds devices fanotify could not mark, watched by inotify.
	fellBack map[uint64]bool
}

func newEngine(s *Sensor, emit plugin.Emitter) *engine {
	set := s.settings
	e := &engine{
		sensor: s, set: set, root: s.root, env: s.env, log: s.log, emit: emit,
		procs: proctable.Shared(s.root, s.env.HostID),
		mech:  s.mechanism, reason: s.reason,
		index: baseline.NewIndex(), pending: map[string]*pending{},
		hashOn: set.Hash == nil || *set.Hash, maxSize: set.MaxFileSize.value(),
		diffMax: set.DiffMaxSize.value(), window: set.MergeWindow.value(),
		fellBack: map[uint64]bool{},
	}
	e.hasher = baseline.NewHasher(set.ReadRate.value())
	e.names.root = s.root
	var extra []string
	if dd, ok := hostPath(e.root, cleanRoot(s.env.DataDir)); ok {
		extra = append(extra, dd) // the agent's own state changes all the time
	}
	e.excl = newExcluder(set.Exclude, extra...)
	set.WebRoots = append(slices.Clone(set.WebRoots), s.discovered...)
	e.webRoots = webRootsOf(e.root, set.WebRoots)
	e.roots = baseline.Roots(watchPaths(e.root, &set))
	e.around = map[string]bool{}
	for _, r := range e.roots {
		for q := path.Dir(r); ; q = path.Dir(q) {
			e.around[q] = true
			if q == "/" {
				break
			}
		}
	}
	return e
}

func (e *engine) local(p string) string { return baseline.Local(e.root, p) }

// inRoots reports whether host path p is watched.
func (e *engine) inRoots(p string) bool {
	for _, r := range e.roots {
		if baseline.Within(p, r) {
			return !e.excl.match(p)
		}
	}
	return false
}

// keep is the sources' filter, on local paths.
func (e *engine) keep(local string) bool {
	p, ok := hostPath(e.root, local)
	if !ok {
		return false
	}
	return e.around[p] || e.inRoots(p)
}

func (e *engine) run(ctx context.Context) error {
	srcCtx, stopSources := context.WithCancel(context.Background())
	e.srcCtx = srcCtx
	e.notices = make(chan notify.Notice, noticeBuffer)
	e.srcErr = make(chan error, 2)
	defer func() {
		stopSources()
		e.srcWG.Wait()
	}()
	store, err := content.Open(contentDir(e.env.DataDir), e.set.DiffStoreSize.value())
	if err != nil {
		return fmt.Errorf("fim: %w", err)
	}
	e.store = store
	e.sensor.store.Store(store)
	if err := e.startSources(); err != nil {
		return err
	}
	for p := range e.around {
		if fi, err := statLocal(e.local(p)); err == nil && fi.Mode&unix.S_IFMT == unix.S_IFDIR {
			e.watchDir(e.local(p), nil)
		}
	}

	// The stored baseline becomes the index, which the first scan
	// compares and updates in place: one copy of the state in memory.
	mode := modeOffline
	err = e.index.Load(baselinePath(e.env.DataDir))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		mode = modeFirst
	case err != nil:
		e.log.Warn("fim: stored baseline unreadable; changes made while the agent was stopped cannot be told", "err", err)
		mode = modeFirst
	default:
		e.index.Retain(e.roots) // paths no longer watched are forgotten
	}
	st, err := e.scan(ctx, e.roots, mode, scanFlags{})
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fim: baseline scan: %w", err)
	}
	e.reportBaseline(st, mode)
	if err := e.save(); err != nil {
		e.log.Warn("fim: baseline not saved", "err", err)
	}

	tick := time.NewTicker(max(min(e.window/4, 250*time.Millisecond), 20*time.Millisecond))
	defer tick.Stop()
	var rescan <-chan time.Time
	if iv := e.set.RescanInterval.value(); iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		rescan = t.C
	}
	for {
		select {
		case <-ctx.Done():
			if e.dirty {
				if err := e.save(); err != nil {
					e.log.Warn("fim: baseline not saved", "err", err)
				}
			}
			return nil
		case err := <-e.srcErr:
			_ = e.save()
			return fmt.Errorf("fim: %w", err)
		case n := <-e.notices:
			e.sensor.hold.RLock()
			e.handle(ctx, n)
			e.sensor.hold.RUnlock()
		case now := <-tick.C:
			e.flushDue(ctx, now)
			if e.dirty && now.Sub(e.changed) >= saveEvery {
				if err := e.save(); err != nil {
					e.log.Warn("fim: baseline not saved", "err", err)
				}
			}
		case <-rescan:
			e.rescan(ctx)
		}
	}
}

func statLocal(p string) (*unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// startSources opens the chosen mechanism, falling back to inotify when
// fanotify cannot start after all.
func (e *engine) startSources() error {
	if e.mech == notify.MechFanotify {
		trees := make([]string, len(e.roots))
		for i, r := range e.roots {
			trees[i] = e.local(r)
		}
		e.sensor.mu.Lock()
		maxMarks := e.sensor.maxInodeMarks
		e.sensor.mu.Unlock()
		fan, err := notify.NewFanotify(notify.FanotifyOptions{
			Keep: e.keep, ProcDir: "/proc", Marks: e.set.FanotifyMarks, Trees: trees,
			MaxInodeMarks: maxMarks, OnFallback: e.markFallback,
		})
		if err == nil {
			e.fan = fan
			e.sensor.fan.Store(fan)
			e.runSource(fan)
			return nil
		}
		e.mech, e.reason = notify.MechInotify, fmt.Sprintf("fanotify unavailable: %v", err)
		e.log.Warn("fim: using inotify", "reason", e.reason)
	}
	_, err := e.inotify()
	return err
}

func (e *engine) runSource(src notify.Source) {
	e.srcWG.Go(func() {
		if err := src.Run(e.srcCtx, e.notices); err != nil {
			e.srcErr <- err
		}
	})
}

// inotify returns the inotify source, starting it on first use.
func (e *engine) inotify() (*notify.Inotify, error) {
	e.srcMu.Lock()
	defer e.srcMu.Unlock()
	if e.ino != nil {
		return e.ino, nil
	}
	ino, err := notify.NewInotify(e.keep)
	if err != nil {
		return nil, fmt.Errorf("fim: %w", err)
	}
	e.ino = ino
	e.sensor.ino.Store(ino)
	e.runSource(ino)
	return ino, nil
}

// markFallback is told by the fanotify source that inode marks did not
// fit and a filesystem is marked as a whole instead. It runs on the
// scanner's or the source's goroutine.
func (e *engine) markFallback(fb notify.Fallback) {
	tree := e.hostOrLocal(fb.Tree)
	e.log.Warn("fim: fanotify inode marks do not fit; the filesystem is marked as a whole, so the agent is woken by every change on it",
		"tree", tree, "directory", e.hostOrLocal(fb.Dir), "err", fb.Cause)
	e.sensor.noteFallback(tree, fallbackReason(tree, fb.Cause))
}

// fallbackReason is vigil.fim.mechanism_reason of the events a fallback
// to a filesystem mark concerns.
func fallbackReason(tree string, cause error) string {
	return fmt.Sprintf("filesystem mark: the inode marks of %s do not fit (%v)", tree, cause)
}

// hostOrLocal returns the host path of a local path, or the local path
// when it is outside the host's root.
func (e *engine) hostOrLocal(local string) string {
	if p, ok := hostPath(e.root, local); ok {
		return p
	}
	return local
}

// marksOf tells how fanotify watches the filesystem with device number
// dev: "inode" or "filesystem", and why filesystem ("" when inode).
func (e *engine) marksOf(dev uint64) (string, string) {
	switch {
	case e.fan == nil:
		return "", ""
	case dev == 0 && e.set.FanotifyMarks == FanotifyMarksFilesystem:
		return FanotifyMarksFilesystem, reasonFilesystemSetting
	case dev == 0:
		return "", "" // known by name only
	}
	marks, fb := e.fan.MarksOn(dev)
	switch {
	case marks == notify.MarksInode:
		return marks, ""
	case fb != nil:
		return marks, fallbackReason(e.hostOrLocal(fb.Tree), fb.Cause)
	}
	return marks, reasonFilesystemSetting
}

// watchDir watches a directory (local path) with the running mechanism;
// a directory fanotify cannot mark goes to inotify. It runs on the
// scanner's goroutine too.
func (e *engine) watchDir(local string, en *baseline.Entry) {
	if e.fan != nil {
		err := e.fan.Watch(local)
		if err == nil {
			return
		}
		if !errors.Is(err, notify.ErrUnsupported) {
			e.log.Debug("fim: directory not watched", "path", local, "err", err)
			return
		}
		var dev uint64
		if en != nil {
			dev = en.Dev
		}
		e.srcMu.Lock()
		first := !e.fellBack[dev]
		e.fellBack[dev] = true
		e.srcMu.Unlock()
		if first {
			e.log.Warn("fim: fanotify cannot watch this filesystem; inotify watches it", "path", local, "err", err)
		}
	}
	ino, err := e.inotify()
	if err == nil {
		err = ino.Watch(local)
	}
	if err != nil {
		e.log.Warn("fim: directory not watched", "path", local, "err", err)
		e.emit.Lost(1)
		e.sensor.count.unwatched.Add(1)
	}
}

// forget stops watching a directory and everything below (local path).
func (e *engine) forget(local string) {
	e.srcMu.Lock()
	fan, ino := e.fan, e.ino
	e.srcMu.Unlock()
	if fan != nil {
		fan.Forget(local)
	}
	if ino != nil {
		ino.Forget(local)
	}
}

// scanFlags mark the events of a scan.
type scanFlags struct {
	rescan, movedIn bool
	proc            *notify.Process
	mech            string
}

// scan records paths in the index and reports what differs from what the
// index held (the stored baseline at start), by mode.
func (e *engine) scan(ctx context.Context, paths []string, mode scanMode, fl scanFlags) (baseline.Stats, error) {
	if mode != modeNew {
		e.index.ClearSeen()
	}
	opt := baseline.Options{
		Root: e.root, Paths: paths, Exclude: e.excl.match, Hash: e.hashOn, MaxFileSize: e.maxSize,
		ReadRate: e.set.ReadRate.value(), Workers: e.set.HashWorkers,
		Previous: func(p string, prev *baseline.Entry) bool {
			if mode == modeNew || mode == modeFirst {
				return false
			}
			return e.index.Get(p, prev)
		},
		ContentMax:  e.diffMax,
		WantContent: e.wantContent,
		OnDir:       e.watchDir,
	}
	var before baseline.Entry
	st, err := baseline.Scan(ctx, opt, func(en *baseline.Entry, data []byte) error {
		cur := *en
		had := mode != modeFirst && e.index.Get(cur.Path, &before)
		o := evOpts{offline: mode == modeOffline, rescan: fl.rescan, movedIn: fl.movedIn, proc: fl.proc, mech: fl.mech}
		switch {
		case mode == modeFirst:
		case !had:
			e.report(ActionCreated, &cur, nil, data, o)
		default:
			if ch := baseline.Compare(&before, &cur); ch != 0 {
				o.changes = ch
				e.report(actionFor(ch), &cur, &before, data, o)
			}
		}
		e.keepContent(&cur, data)
		e.put(&cur)
		return nil
	})
	e.sensor.count.scanErrors.Add(uint64(st.Errors))
	e.sensor.count.unreadable.Add(uint64(st.Unreadable))
	if err != nil {
		return st, err
	}
	if mode == modeNew {
		return st, nil
	}
	// What the index had below the scanned paths and the scan did not
	// find is gone.
	var gone []baseline.Entry
	for _, r := range paths {
		e.index.Unseen(r, func(en *baseline.Entry) bool {
			gone = append(gone, *en)
			return true
		})
	}
	slices.SortFunc(gone, func(a, b baseline.Entry) int { return baseline.ComparePaths(a.Path, b.Path) })
	for i := range gone {
		before := &gone[i]
		if mode != modeFirst {
			e.report(ActionDeleted, before, before, nil, evOpts{offline: mode == modeOffline, rescan: fl.rescan})
		}
		e.index.Delete(before.Path)
		e.touch()
	}
	return st, nil
}

// rescan compares the watched trees with the index and reports what
// differs: after the kernel dropped events, and every rescan_interval.
func (e *engine) rescan(ctx context.Context) {
	e.sensor.count.rescans.Add(1)
	if _, err := e.scan(ctx, e.roots, modeRescan, scanFlags{rescan: true}); err != nil && ctx.Err() == nil {
		e.log.Warn("fim: rescan failed", "err", err)
	}
}

// put records an entry in the index.
func (e *engine) put(en *baseline.Entry) {
	if err := e.index.Put(en); err != nil {
		e.log.Debug("fim: entry not recorded", "err", err)
		return
	}
	e.touch()
}

func actionFor(ch baseline.Change) string {
	if ch&(baseline.ChangeContent|baseline.ChangeMTime|baseline.ChangeInode) != 0 {
		return ActionModified
	}
	return ActionAttributesChanged
}

func (e *engine) touch() {
	e.dirty = true
	e.changed = time.Now()
}

// diffable reports whether host path p may be diffed and kept at all.
func (e *engine) diffable(p string) bool { return e.diffMax > 0 && !textdiff.Sensitive(p) }

// wantContent is the scan's question: read the content of this small file
// for the content store? Only when its earlier content is not kept yet.
func (e *engine) wantContent(en, prev *baseline.Entry) bool {
	if !e.diffable(en.Path) {
		return false
	}
	return prev == nil || !prev.Hashed() || !baseline.Unchanged(prev, en) || !e.store.Has(prev.SHA256)
}

// keepContent stores the content of a small text file for later diffs.
func (e *engine) keepContent(en *baseline.Entry, data []byte) {
	if data == nil || !en.Hashed() || int64(len(data)) != en.Size || !e.diffable(en.Path) ||
		!textdiff.IsText(data) || textdiff.ContainsSecret(data) {
		return
	}
	e.store.Put(en.SHA256, data)
}

// save writes the index as the stored baseline and drops kept contents
// that no entry refers to any more.
func (e *engine) save() error {
	refs := map[[32]byte]bool{} // of the contents kept: few
	err := e.index.Save(baselinePath(e.env.DataDir), func(en *baseline.Entry) {
		if en.Hashed() && !refs[en.SHA256] && e.store.Has(en.SHA256) {
			refs[en.SHA256] = true
		}
	})
	if err != nil {
		e.sensor.count.saveErrors.Add(1)
		return err
	}
	e.store.Retain(func(sum [32]byte) bool { return refs[sum] })
	e.dirty = false
	return nil
}

// handle acts on one notice.
func (e *engine) handle(ctx context.Context, n notify.Notice) {
	if n.Op == notify.OpOverflow {
		e.emit.Lost(1)
		if n.Malformed {
			e.sensor.count.malformed.Add(1)
			e.log.Warn("fim: undecodable file events; rescanning the watched trees", "mechanism", n.Mechanism)
		} else {
			e.sensor.count.overflows.Add(1)
			e.log.Warn("fim: the kernel dropped file events; rescanning the watched trees", "mechanism", n.Mechanism)
		}
		e.rescan(ctx)
		return
	}
	if n.Op == notify.OpRename {
		e.renamed(ctx, n)
		return
	}
	p, ok := hostPath(e.root, n.Path)
	if !ok {
		return
	}
	if !e.inRoots(p) {
		if n.Op == notify.OpCreate && n.Dir && e.around[p] {
			e.appeared(ctx, p, n)
		}
		return
	}
	switch n.Op {
	case notify.OpCreate:
		if n.Dir {
			e.newTree(ctx, p, n, false)
			return
		}
		e.addPending(ctx, p, n, true)
	case notify.OpModify:
		e.addPending(ctx, p, n, false)
	case notify.OpCloseWrite:
		pd := e.pending[p]
		switch {
		case pd == nil:
			e.check(ctx, p, &pending{first: time.Now(), proc: n.Proc, mech: n.Mechanism})
		case pd.created:
			pd.closedAt = time.Now()
		default:
			delete(e.pending, p)
			e.check(ctx, p, pd)
		}
	case notify.OpAttrib:
		if e.pending[p] != nil {
			return // the merged write reports it
		}
		e.check(ctx, p, &pending{first: time.Now(), proc: n.Proc, mech: n.Mechanism})
	case notify.OpDelete:
		e.deleted(ctx, p, n, false)
	}
}

// addPending merges a write into the file's pending change.
func (e *engine) addPending(ctx context.Context, p string, n notify.Notice, created bool) {
	if pd := e.pending[p]; pd != nil {
		if pd.proc == nil {
			pd.proc = n.Proc
		}
		return
	}
	if len(e.pending) >= maxPending {
		e.flushOldest(ctx)
	}
	e.pending[p] = &pending{created: created, first: time.Now(), proc: n.Proc, mech: n.Mechanism}
}

// flushOldest makes room among the pending changes by reporting the
// oldest eighth of them at once: under a flood of writes (a queue
// overflow's backlog) the table stays full, and one at a time would cost
// a pass over it for each.
func (e *engine) flushOldest(ctx context.Context) {
	type aged struct {
		path  string
		first time.Time
	}
	all := make([]aged, 0, len(e.pending))
	for p, pd := range e.pending {
		all = append(all, aged{p, pd.first})
	}
	slices.SortFunc(all, func(a, b aged) int {
		if c := a.first.Compare(b.first); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	for _, a := range all[:max(len(all)/8, 1)] {
		pd := e.pending[a.path]
		delete(e.pending, a.path)
		e.check(ctx, a.path, pd)
	}
}

// flushDue reports the pending changes whose window is over.
func (e *engine) flushDue(ctx context.Context, now time.Time) {
	var due []string
	for p, pd := range e.pending {
		if now.Sub(pd.first) >= e.window || !pd.closedAt.IsZero() && now.Sub(pd.closedAt) >= min(closeQuiet, e.window) {
			due = append(due, p)
		}
	}
	slices.Sort(due)
	for _, p := range due {
		pd := e.pending[p]
		delete(e.pending, p)
		e.check(ctx, p, pd)
	}
}

// check reads a file's state now and reports how it differs from the
// index.
func (e *engine) check(ctx context.Context, p string, pd *pending) {
	cur, data, err := e.read(ctx, p)
	o := evOpts{proc: pd.proc, mech: pd.mech, at: pd.first}
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			return // gone already: its deletion is reported on its own
		}
		if cur == nil {
			e.log.Debug("fim: cannot read changed file", "path", p, "err", err)
			return
		}
	}
	var before baseline.Entry
	if !e.index.Get(p, &before) {
		e.report(ActionCreated, cur, nil, data, o)
	} else {
		ch := baseline.Compare(&before, cur)
		if ch == 0 {
			return
		}
		o.changes = ch
		e.report(actionFor(ch), cur, &before, data, o)
	}
	e.keepContent(cur, data)
	e.put(cur)
}

// read returns the state of host path p now, with its content when small
// enough to diff.
func (e *engine) read(ctx context.Context, p string) (*baseline.Entry, []byte, error) {
	cmax := int64(-1)
	if e.diffable(p) {
		cmax = e.diffMax
	}
	res, err := e.hasher.Hash(ctx, p, e.local(p), e.hashOn, e.maxSize, cmax)
	if err != nil {
		if res.Entry.Type == 0 {
			return nil, nil, err
		}
		res.Entry.Flags |= baseline.FlagUnreadable
		e.sensor.count.unreadable.Add(1)
		return &res.Entry, nil, err
	}
	return &res.Entry, res.Content, nil
}

// newTree records a directory that appeared (created or moved in) with
// everything already in it, and watches it: what is created in it from
// now on is seen, what was created before is found by the scan.
func (e *engine) newTree(ctx context.Context, p string, n notify.Notice, movedIn bool) {
	if _, err := e.scan(ctx, []string{p}, modeNew, scanFlags{movedIn: movedIn, proc: n.Proc, mech: n.Mechanism}); err != nil && ctx.Err() == nil {
		e.log.Warn("fim: new directory not scanned", "path", p, "err", err)
	}
}

// appeared handles a directory created above the watched paths: roots
// below it that exist now are scanned and watched.
func (e *engine) appeared(ctx context.Context, p string, n notify.Notice) {
	e.watchDir(e.local(p), nil)
	for _, r := range e.roots {
		if baseline.Within(r, p) && !e.index.Has(r) {
			if _, err := statLocal(e.local(r)); err == nil {
				e.newTree(ctx, r, n, false)
			}
		}
	}
	for q := range e.around {
		if q != p && baseline.Within(q, p) {
			if st, err := statLocal(e.local(q)); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
				e.watchDir(e.local(q), nil)
			}
		}
	}
}

// deleted reports the removal of host path p (and of everything below).
func (e *engine) deleted(ctx context.Context, p string, n notify.Notice, movedOut bool) {
	if pd := e.pending[p]; pd != nil {
		delete(e.pending, p)
		if pd.created && !e.index.Has(p) {
			// Created and removed within the merge window: both are told.
			e.report(ActionCreated, &baseline.Entry{Path: p, Type: baseline.TypeFile}, nil, nil,
				evOpts{proc: pd.proc, mech: pd.mech, at: pd.first, transient: true})
			e.report(ActionDeleted, &baseline.Entry{Path: p, Type: baseline.TypeFile}, nil, nil,
				evOpts{proc: n.Proc, mech: n.Mechanism, transient: true})
			return
		}
	}
	var before baseline.Entry
	had := e.index.Get(p, &before)
	if n.Dir || had && before.Type == baseline.TypeDir {
		e.forget(e.local(p))
	}
	if !had {
		return
	}
	e.report(ActionDeleted, &before, &before, nil, evOpts{proc: n.Proc, mech: n.Mechanism, movedOut: movedOut})
	e.dropBelow(p)
}

// dropBelow removes p and everything below it from the index.
func (e *engine) dropBelow(p string) {
	e.index.DeleteBelow(p)
	e.dropPendingBelow(p)
	e.touch()
}

// dropPendingBelow forgets the merged writes to p and below it.
func (e *engine) dropPendingBelow(p string) {
	for q := range e.pending {
		if baseline.Within(q, p) {
			delete(e.pending, q)
		}
	}
}

// renamed handles a rename inside, into or out of the watched paths.
func (e *engine) renamed(ctx context.Context, n notify.Notice) {
	var from, to string
	if n.OldPath != "" {
		if p, ok := hostPath(e.root, n.OldPath); ok && e.inRoots(p) {
			from = p
		}
	}
	if n.Path != "" {
		if p, ok := hostPath(e.root, n.Path); ok && e.inRoots(p) {
			to = p
		}
	}
	switch {
	case from != "" && to != "":
	case from != "":
		e.deleted(ctx, from, notify.Notice{Proc: n.Proc, Mechanism: n.Mechanism, Dir: n.Dir}, true)
		return
	case to != "":
		if n.Dir {
			e.newTree(ctx, to, n, true)
			return
		}
		cur, data, err := e.read(ctx, to)
		if err != nil && cur == nil {
			return
		}
		var before baseline.Entry
		o := evOpts{proc: n.Proc, mech: n.Mechanism, movedIn: true}
		var prev *baseline.Entry
		if e.index.Get(to, &before) {
			prev = &before
			o.replaced = true
			o.changes = baseline.Compare(&before, cur)
		}
		e.report(ActionCreated, cur, prev, data, o)
		e.keepContent(cur, data)
		e.put(cur)
		return
	default:
		return
	}
	pd := e.pending[from]
	delete(e.pending, from)
	proc, mech := n.Proc, n.Mechanism
	if proc == nil && pd != nil {
		proc = pd.proc
	}
	var sourceEntry, replacedEntry baseline.Entry
	var source, replaced *baseline.Entry
	if e.index.Get(from, &sourceEntry) {
		source = &sourceEntry
	}
	if e.index.Get(to, &replacedEntry) {
		replaced = &replacedEntry
	}
	if n.Dir || source != nil && source.Type == baseline.TypeDir {
		// Everything below moves along; one event tells it.
		e.index.Move(from, to)
		e.dropPendingBelow(to)
		e.touch()
		var cur baseline.Entry
		if !e.index.Get(to, &cur) {
			st, err := statLocal(e.local(to))
			if err != nil {
				return
			}
			cur = baseline.FromStat(to, st)
			e.put(&cur)
		}
		e.report(ActionRenamed, &cur, source, nil, evOpts{proc: proc, mech: mech, oldPath: from})
		return
	}
	cur, data, err := e.read(ctx, to)
	if err != nil && cur == nil {
		e.index.Delete(from)
		e.touch()
		return
	}
	o := evOpts{proc: proc, mech: mech, oldPath: from}
	before := source
	if replaced != nil {
		before = replaced
		o.replaced = true
	}
	if before != nil {
		o.changes = baseline.Compare(before, cur) &^ baseline.ChangeInode
	}
	e.report(ActionRenamed, cur, before, data, o)
	e.index.Delete(from)
	e.keepContent(cur, data)
	e.put(cur)
}

// reportBaseline tells the figures of the first scan of this run.
func (e *engine) reportBaseline(st baseline.Stats, mode scanMode) {
	e.log.Info("fim: baseline scan done", "entries", st.Entries, "files", st.Files, "hashed", st.Hashed,
		"reused", st.Reused, "hashed_bytes", st.HashedBytes, "storage_bytes", st.StorageBytes,
		"too_large", st.TooLarge, "errors", st.Errors, "throttled", st.Throttled, "duration", st.Duration,
		"mechanism", e.mech, "first", mode == modeFirst)
	if st.Errors > 0 {
		e.log.Warn("fim: some paths could not be read", "count", st.Errors, "first", st.FirstError)
	}
	e.emit.Emit(e.baselineEvent(st, mode))
}
