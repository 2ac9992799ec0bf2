// Package fim is the file integrity monitoring sensor "fim": it records a
// baseline of the watched trees, reports what changed while the agent was
// stopped, then reports every creation, modification, rename, deletion
// and ownership or permission change as it happens, with before and after
// hashes, the acting process where the kernel tells it, and a short diff
// of small text files.
//
// # Mechanisms
//
// fanotify (FID mode with directory handles and names, filesystem marks,
// FAN_RENAME; Linux 5.17) tells the acting process; Configure probes it on
// the watched filesystems and falls back to inotify when it cannot run
// (older kernel, no CAP_SYS_ADMIN, a filesystem without file handles),
// saying why in a log line and in every event (vigil.fim.mechanism and
// vigil.fim.mechanism_reason). A directory whose filesystem fanotify
// cannot mark is watched by inotify while the rest stays on fanotify.
// inotify is used directly (not through fsnotify, which does not expose
// close-after-write, the directory bit or the pairing of a rename's two
// names).
//
// # Baseline
//
// At start the watched trees are scanned (type, size, mode, uid, gid,
// mtime, ctime, inode, SHA-256 of regular files up to max_file_size,
// symlink target) and compared with the baseline stored under the agent's
// data directory (state/fim/baseline.db, written beside its name and renamed):
// what changed while the agent was stopped is reported with
// vigil.fim.offline true. A file whose inode, size, mtime and ctime are
// unchanged keeps its stored hash without being read again. Hashing runs
// on hash_workers threads at nice 19 and the lowest best-effort I/O
// priority, and reads at most read_rate bytes per second from storage
// (page-cache hits are free). The first scan ends with one
// "fim-baseline-completed" event (event.kind "state") with its figures.
//
// # Settings (plugin.Tunable)
//
//	paths            host paths watched recursively; default /etc, /bin,
//	                 /sbin, /usr/bin, /usr/sbin, /boot, /etc/cron.d,
//	                 /var/spool/cron, /etc/systemd/system,
//	                 /lib/systemd/system, /usr/lib/systemd/system and
//	                 every user's ~/.ssh (homes from /etc/passwd)
//	web_roots        more trees, added to paths (default none)
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
// mtime, inode), vigil.fim.offline / rescan / replaced / moved_in /
// moved_out where they apply.
package fim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sync"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/baseline"
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
}

var (
	_ plugin.Sensor     = (*Sensor)(nil)
	_ plugin.Configurer = (*Sensor)(nil)
	_ plugin.Tunable    = (*Sensor)(nil)
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
// by Configure (and again by ApplySettings).
func (s *Sensor) Mechanism() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mechanism
}

// MechanismReason says why the sensor does not use fanotify ("" when it
// does).
func (s *Sensor) MechanismReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
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
		if err := notify.ProbeFanotify(s.probeDirs()); err != nil {
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
			s.log.Info("fim: using fanotify")
		}
	}
	s.mechanism, s.reason = mech, reason
}

// probeDirs returns, for each watched path, the nearest existing
// directory at or above it (local paths): the filesystems to mark.
func (s *Sensor) probeDirs() []string {
	var out []string
	for _, p := range baseline.Roots(watchPaths(s.root, &s.settings)) {
		for q := p; ; q = path.Dir(q) {
			local := baseline.Local(s.root, q)
			if fi, err := os.Stat(local); err == nil && fi.IsDir() {
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

// Run implements plugin.Sensor.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) error {
	s.mu.Lock()
	if !s.configured {
		s.mu.Unlock()
		return errors.New("fim: not configured")
	}
	e := newEngine(s, emit)
	s.mu.Unlock()
	return e.run(ctx)
}

// baselinePath returns where the baseline of this sensor is stored.
func baselinePath(dataDir string) string {
	return filepath.Join(dataDir, "state", "fim", "baseline.db")
}

// contentDir returns where earlier contents are kept.
func contentDir(dataDir string) string { return filepath.Join(dataDir, "state", "fim", "content") }
