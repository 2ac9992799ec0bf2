// Package fim is the file integrity monitoring sensor "fim": it records a
// baseline of the watched trees, reports what changed while the agent was
// stopped, then reports every creation, modification, rename, deletion
// and ownership or permission change as it happens, with before and after
// hashes, the acting process where the kernel tells it, and a short diff
// of small text files.
//
// # Mechanisms
//
// fanotify (FID mode with directory handles and names, FAN_RENAME; Linux
// 5.17) tells the acting process; Configure probes it on the watched
// directories and falls back to inotify when it cannot run (older kernel,
// no CAP_SYS_ADMIN, a filesystem without file handles), saying why in a
// log line and in every event (vigil.fim.mechanism and
// vigil.fim.mechanism_reason). A directory fanotify cannot mark is
// watched by inotify while the rest stays on fanotify. inotify is used
// directly (not through fsnotify, which does not expose close-after-write,
// the directory bit or the pairing of a rename's two names).
//
// By default (fanotify_marks "inode") fanotify marks each watched
// directory, as inotify watches it: the kernel wakes the agent only for
// changes in the watched trees and for entries created, deleted or
// renamed in the directories above them (watched so that a tree that
// appears later is seen). A directory created or moved into a tree is
// marked as soon as its creation is read, before it is scanned for what
// was written in it meanwhile. Each mark counts against the kernel's
// fs.fanotify.max_user_marks (per user, shared by all fanotify users of
// the host). When a mark does not fit (ENOSPC), the directory's whole
// filesystem is marked instead (FAN_MARK_FILESYSTEM) and the inode marks
// on it are released: every tree on that filesystem is then watched as
// with fanotify_marks "filesystem", which the sensor says in a warning,
// in its mechanism ("fanotify (filesystem marks for /usr: inode marks do
// not fit)"), in the baseline event and in vigil.fim.mechanism_reason of
// every event on that filesystem. With fanotify_marks "filesystem" each
// watched filesystem is marked as a whole from the start: the kernel
// then wakes the agent for every change on it (builds, logs, caches),
// which the agent drops by directory handle; it costs no mark per
// directory, at a CPU cost that grows with the host's write load.
//
// # Baseline
//
// At start the watched trees are scanned (type, size, mode, uid, gid,
// mtime, ctime, inode, SHA-256 of regular files up to max_file_size, file
// capabilities, symlink target) and compared with the baseline stored
// under the agent's data directory (state/fim/baseline.db, written beside
// its name and renamed): what changed while the agent was stopped is
// reported with vigil.fim.offline true. A file whose inode, size, mtime
// and ctime are unchanged keeps its stored hash and capabilities without
// being read again (setting capabilities changes the ctime). A baseline
// stored before capabilities were recorded does not know them: they are
// learnt by the first scan, without events. Hashing runs on hash_workers
// threads at nice 19 and the lowest best-effort I/O priority, and reads
// at most read_rate bytes per second from storage
// (page-cache hits are free). The first scan ends with one
// "fim-baseline-completed" event (event.kind "state") with its figures.
// The state of the watched trees is kept in memory as a compact index
// (baseline.Index: paths stored once as a tree of names, fixed-size
// records without pointers, about 115 bytes per entry); at start the
// stored baseline is read into it and the scan updates it in place.
//
// # Lost events
//
// When the kernel's event queue overflows (FAN_Q_OVERFLOW,
// IN_Q_OVERFLOW: the agent did not read fast enough) or a read cannot be
// decoded, events were lost: the sensor tells the runtime (lost events),
// logs a warning and rescans every watched tree against its index,
// reporting what differs with vigil.fim.rescan true, and watching again
// the directories whose creation was lost.
//
// # Counters (plugin.Counted)
//
// Totals since the sensor was made: overflows, malformed_records,
// rescans (after an overflow and every rescan_interval), scan_errors
// (paths a scan could not list, read or stat), unreadable_files (files
// that could not be read to be hashed), unwatched_dirs, save_errors,
// fanotify_reads (wake-ups) and fanotify_records (events read). While it
// runs: index_entries, index_bytes, inode_marks, filesystem_marks,
// inotify_watches and content_bytes (earlier contents kept for diffs).
//
// # Settings (plugin.Tunable)
//
//	paths            host paths watched recursively; default /etc, /bin,
//	                 /sbin, /usr/bin, /usr/sbin, /boot, /etc/cron.d,
//	                 /var/spool/cron, /etc/systemd/system,
//	                 /lib/systemd/system, /usr/lib/systemd/system and
//	                 every user's ~/.ssh (homes from /etc/passwd)
//	web_roots        more trees, added to paths (default none)
//	discover_web_roots  also watch the document roots the host's web
//	                 servers' configurations name (default true; looked
//	                 for again every WebRootsInterval, and watched from
//	                 then on)
//	exclude          globs left out; with a '/' against the path or an
//	                 ancestor ("/etc/ssl/certs", "/var/www/*/cache"),
//	                 without one against each name ("*.swp")
//	max_file_size    largest file hashed, bytes or "128MiB" (default);
//	                 larger ones have vigil.fim.hash_skipped "too-large"
//	diff_max_size    largest text file diffed (default "64KiB")
//	diff_store_size  bound of the earlier contents kept for diffs
//	                 (default "32MiB")
//	hash             hash file contents (default true)
//	rescan_interval  full rescan, "0" never (default "24h")
//	read_rate        storage read bytes per second of hashing, "0" no
//	                 limit (default "50MiB")
//	hash_workers     hashing threads (default 1)
//	merge_window     writes to one file within it are one event, emitted
//	                 when the writer closes it or the window ends
//	                 (default "2s")
//	mechanism        "auto" (default), "fanotify" or "inotify"
//	fanotify_marks   "inode" (default): a mark on each watched directory;
//	                 "filesystem": one mark on each watched filesystem
//	                 (see Mechanisms)
//
// The agent's data directory is never watched. Files named in package
// textdiff (shadow files, private keys, credential stores) are never
// diffed nor kept.
//
// # Events
//
// file-created, file-modified, file-renamed, file-deleted and
// file-attributes-changed (event.category "file"), with file.* of the
// path now, vigil.file.previous.* before, vigil.file.diff, process.* of
// the actor (fanotify), vigil.fim.changes (content, mode, owner, group,
// mtime, inode, capabilities), vigil.fim.offline / rescan / replaced /
// moved_in / moved_out where they apply, vigil.fim.mechanism and, under
// fanotify,
// vigil.fim.marks ("inode" or "filesystem": how the file's filesystem is
// watched).
//
// A regular file with capabilities (package filecap: security.capability,
// what setcap sets) has them in vigil.file.capabilities as getcap prints
// them ("cap_net_raw=ep"), vigil.file.capabilities_permitted (the names,
// ["cap_net_raw"]) and, for capabilities of a user namespace,
// vigil.file.capabilities_rootid; vigil.file.previous.capabilities* hold
// those before the change. Setting, changing or removing them is a
// file-attributes-changed event with "capabilities" in vigil.fim.changes.
//
// The events of files below a web root (the web_roots setting, and those
// discovered) carry vigil.fim.web_root: the deepest such document root
// the file lies in, as configured (also for files reached through its
// symlink's target).
//
// The baseline event also gives vigil.fim.marks ("inode",
// "filesystem", or "inode+filesystem" after a fallback) and the number of
// marks (vigil.fim.fanotify.inode_marks, .filesystem_marks).
package fim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/baseline"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/content"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/notify"
)

// Name is the sensor's name.
const Name = "fim"

// Actions of the events.
const (
	ActionCreated           = "file-created"
	ActionModified          = "file-modified"
	ActionRenamed           = "file-renamed"
	ActionDeleted           = "file-deleted"
	ActionAttributesChanged = "file-attributes-changed"
	ActionBaselineCompleted = "fim-baseline-completed"
)

// Sensor is the file integrity monitoring sensor.
type Sensor struct {
	mu       sync.Mutex
	settings Settings
	env      plugin.Env
	root     string
	log      *slog.Logger
	// mechanism is what Run uses; reason says why it is not fanotify.
	mechanism, reason string
	configured        bool
	// fallbacks are the trees whose fanotify inode marks did not fit in
	// the current or last Run, with why (host path -> reason).
	fallbacks map[string]string
	// maxInodeMarks bounds the fanotify inode marks (0: the kernel's
	// limit); tests lower it.
	maxInodeMarks int
	// fan is the fanotify source of the current or last Run.
	fan atomic.Pointer[notify.Fanotify]
	// discovered are the web roots found for the current or last Run.
	discovered []string

	// DiscoverWebRoots, when set, finds the document roots of the host's
	// web sites (from the web servers' configurations), which the sensor
	// watches unless the discover_web_roots setting is off. It is given
	// the sensor's environment.
	DiscoverWebRoots func(ctx context.Context, env plugin.Env) ([]string, error)

	// hold is held for reading while a Run handles a notice: holding it
	// stops the handling, so that the kernel's queue fills (tests).
	hold sync.RWMutex
	// count holds the counters kept since the sensor was made.
	count counters
	// running is set during a Run; index, ino and store are the Run's,
	// nil between runs.
	running atomic.Bool
	index   atomic.Pointer[baseline.Index]
	ino     atomic.Pointer[notify.Inotify]
	store   atomic.Pointer[content.Store]
}

var (
	_ plugin.Sensor     = (*Sensor)(nil)
	_ plugin.Configurer = (*Sensor)(nil)
	_ plugin.Tunable    = (*Sensor)(nil)
	_ plugin.Counted    = (*Sensor)(nil)
)

// New returns the sensor with default settings.
func New() *Sensor {
	return &Sensor{settings: defaultSettings(), mechanism: notify.MechInotify, log: slog.Default()}
}

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }

// Requirements implements plugin.Plugin: inotify at least; fanotify is
// used when it works.
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Features: []string{plugin.FeatureInotify}}
}

// Mechanism implements plugin.Sensor: "fanotify" or "inotify", as decided
// by Configure (and again by ApplySettings); "fanotify (filesystem
// marks)" when the fanotify_marks setting asks for them, and "fanotify
// (filesystem marks for /usr: inode marks do not fit)" when a Run fell
// back to them for some trees.
func (s *Sensor) Mechanism() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mechanism != notify.MechFanotify {
		return s.mechanism
	}
	if s.settings.FanotifyMarks == FanotifyMarksFilesystem {
		return notify.MechFanotify + " (filesystem marks)"
	}
	if len(s.fallbacks) > 0 {
		return fmt.Sprintf("%s (filesystem marks for %s: inode marks do not fit)", notify.MechFanotify,
			strings.Join(slices.Sorted(maps.Keys(s.fallbacks)), ", "))
	}
	return s.mechanism
}

// MechanismReason says why the sensor does not watch with fanotify inode
// marks: why it uses inotify, or why fanotify marks whole filesystems
// ("" when it does not).
func (s *Sensor) MechanismReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.reason != "":
		return s.reason
	case s.mechanism != notify.MechFanotify:
		return ""
	case s.settings.FanotifyMarks == FanotifyMarksFilesystem:
		return reasonFilesystemSetting
	}
	var out []string
	for _, t := range slices.Sorted(maps.Keys(s.fallbacks)) {
		out = append(out, s.fallbacks[t])
	}
	return strings.Join(out, "; ")
}

// FanotifyStats returns the figures of the fanotify source of the current
// or last Run (zero when it used none): reads of the fanotify descriptor
// (wake-ups), events read, directories and filesystems marked.
func (s *Sensor) FanotifyStats() notify.FanotifyStats {
	if f := s.fan.Load(); f != nil {
		return f.Stats()
	}
	return notify.FanotifyStats{}
}

// reasonFilesystemSetting is vigil.fim.mechanism_reason of fanotify
// events when the setting chose filesystem marks.
const reasonFilesystemSetting = "filesystem marks chosen by the fanotify_marks setting"

// noteFallback records that a tree of a Run is watched through its
// filesystem's mark.
func (s *Sensor) noteFallback(tree, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fallbacks == nil {
		s.fallbacks = map[string]string{}
	}
	s.fallbacks[tree] = reason
}

// Configure implements plugin.Configurer: it keeps the environment and
// decides the mechanism.
func (s *Sensor) Configure(env plugin.Env) error {
	if env.DataDir == "" {
		return errors.New("fim: no data directory for the baseline")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.env = env
	s.root = cleanRoot(env.Root)
	if env.Logger != nil {
		s.log = env.Logger
	}
	s.configured = true
	s.decideLocked()
	return nil
}

// ApplySettings implements plugin.Tunable.
func (s *Sensor) ApplySettings(raw json.RawMessage) error {
	st, err := ParseSettings(raw)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings = st
	if s.configured {
		s.decideLocked()
	}
	return nil
}

// decideLocked picks the mechanism for the current settings.
func (s *Sensor) decideLocked() {
	mech, reason := notify.MechInotify, ""
	switch s.settings.Mechanism {
	case MechanismInotify:
		reason = "inotify chosen by the mechanism setting"
	default:
		if err := notify.ProbeFanotify(s.probeDirs(), s.settings.FanotifyMarks); err != nil {
			reason = fmt.Sprintf("fanotify unavailable: %v", err)
			if s.settings.Mechanism == MechanismFanotify {
				reason = fmt.Sprintf("fanotify required by the mechanism setting but unavailable: %v", err)
			}
		} else {
			mech = notify.MechFanotify
		}
	}
	if mech != s.mechanism || reason != s.reason {
		if reason != "" {
			s.log.Warn("fim: using inotify", "reason", reason)
		} else {
			s.log.Info("fim: using fanotify", "marks", s.settings.FanotifyMarks)
		}
	}
	s.mechanism, s.reason = mech, reason
	s.fallbacks = nil // of a Run with other settings
}

// probeDirs returns, for each watched path, the nearest existing
// directory at or above it (local paths): the filesystems to mark.
func (s *Sensor) probeDirs() []string {
	var out []string
	for _, p := range baseline.Roots(watchPaths(s.root, &s.settings)) {
		for q := p; ; q = path.Dir(q) {
			local := baseline.Local(s.root, q)
			// Lstat: a watched path that is a symlink (/bin on merged-/usr
			// systems) is not marked itself; its target is a root of
			// its own.
			if fi, err := os.Lstat(local); err == nil && fi.IsDir() {
				out = append(out, local)
				break
			}
			if q == "/" {
				break
			}
		}
	}
	return out
}

// WebRootsInterval is how often the sensor looks for the host's web roots
// again; when they changed, it watches the new set (the trees are
// compared with the baseline then, as at a start).
var WebRootsInterval = 10 * time.Minute

// webRootsWait bounds one search for web roots.
const webRootsWait = time.Minute

// Run implements plugin.Sensor. It watches the configured trees and the
// web roots found; when the web roots change, it starts watching again
// with the new set.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) error {
	for {
		roots := s.findWebRoots(ctx)
		runCtx, cancel := context.WithCancel(ctx)
		var changed atomic.Bool
		go func() {
			tick := time.NewTicker(WebRootsInterval)
			defer tick.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-tick.C:
				}
				if now := s.findWebRoots(runCtx); runCtx.Err() == nil && !slices.Equal(now, roots) {
					s.log.Info("fim: the web roots changed; watching the new set", "before", roots, "now", now)
					changed.Store(true)
					cancel()
					return
				}
			}
		}()
		err := s.runOnce(runCtx, emit, roots)
		cancel()
		if ctx.Err() != nil || !changed.Load() {
			return err
		}
	}
}

// findWebRoots returns the web roots to watch (none when discovery is off
// or finds nothing), sorted.
func (s *Sensor) findWebRoots(ctx context.Context) []string {
	s.mu.Lock()
	find, env, on := s.DiscoverWebRoots, s.env, s.settings.DiscoverWebRoots
	s.mu.Unlock()
	if find == nil || (on != nil && !*on) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, webRootsWait)
	defer cancel()
	roots, err := find(ctx, env)
	if err != nil {
		s.count.webRootErrors.Add(1)
		s.log.Warn("fim: web roots not found", "err", err)
		return nil
	}
	slices.Sort(roots)
	return slices.Compact(roots)
}

// runOnce watches the configured trees and roots until ctx ends.
func (s *Sensor) runOnce(ctx context.Context, emit plugin.Emitter, webRoots []string) error {
	s.mu.Lock()
	if !s.configured {
		s.mu.Unlock()
		return errors.New("fim: not configured")
	}
	s.discovered = webRoots
	e := newEngine(s, emit)
	s.fallbacks = nil
	if f := s.fan.Swap(nil); f != nil {
		s.count.addFanotify(f.Stats())
	}
	s.mu.Unlock()
	s.index.Store(e.index)
	s.running.Store(true)
	defer func() {
		s.running.Store(false)
		s.index.Store(nil)
		s.ino.Store(nil)
		s.store.Store(nil)
	}()
	return e.run(ctx)
}

// baselinePath returns where the baseline of this sensor is stored.
func baselinePath(dataDir string) string {
	return filepath.Join(dataDir, "state", "fim", "baseline.db")
}

// contentDir returns where earlier contents are kept.
func contentDir(dataDir string) string { return filepath.Join(dataDir, "state", "fim", "content") }
