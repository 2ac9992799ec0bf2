// Package tracker keeps the parsed state of a changing set of host files
// and reports what changed, for sensors that turn configuration changes
// into semantic events (accounts added, cron entries removed ...).
//
// A sensor plugs a Model into a Tracker. The model lists Sources (a file,
// a few files, a directory of files, each with a parser Kind), reads each
// into Records (one per account, rule, key, entry ...) and turns the
// Changes between two readings into events. The tracker does the rest:
//
//   - it watches, with inotify, the directories that hold the sources'
//     paths rather than the files, so that a file replaced by renaming
//     another over it (useradd, vipw, sed -i, editors) is seen, and the
//     nearest existing ancestor of a path that does not exist yet, so
//     that a home directory or a .ssh folder created later is seen too;
//   - it waits until the events of one change settle (Settle, at most
//     MaxDelay) and reads again only the sources they touch;
//   - it compares records by key and by their Fields (Info is carried
//     along but not compared);
//   - it saves the records in a state file (mode 0600) after each change,
//     and compares them with a fresh reading at the next start, so that
//     what changed while the sensor was stopped is reported then, marked
//     vigil.offline; the very first start only takes the baseline;
//   - it reads everything again every Rescan, and after an inotify queue
//     overflow (counted as one lost event: changes that came and went
//     during the overflow are not seen).
//
// A source that cannot be read (permissions, a file over the size limit)
// keeps its previous records, so that a failing read never looks like a
// mass removal; the first failure of a source is counted as a lost event
// and logged. Lines a parser skipped are counted per source (Result.
// Malformed), logged when the count changes, and summed in Stats.
//
// Events are emitted before the state is saved: a crash in between
// reports the same change again at the next start (at least once).
package tracker

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/event"
)

// Defaults of Config.
const (
	DefaultSettle     = 300 * time.Millisecond
	DefaultMaxDelay   = 3 * time.Second
	DefaultMaxWatches = 4096
)

// stateVersion is the version of the state file's layout.
const stateVersion = 1

// maxRounds bounds how often one pass asks the model for its sources
// again (new accounts bring new sources, which may bring more).
const maxRounds = 4

// Source is one thing a model reads.
type Source struct {
	// ID is stable across runs ("passwd", "authkeys:alice").
	ID string
	// Kind names the parser; a source whose kind changes starts afresh.
	Kind string
	// Tag is free for the model (a persistence mechanism ...).
	Tag string
	// User is the account the source belongs to, if any.
	User string
	// Paths are the host paths the source reads: files, or directories
	// whose entries it reads.
	Paths []string
	// Depth 1 makes the tracker watch the subdirectories of directory
	// paths too (systemd's *.wants/ and *.d/).
	Depth int
}

// Record is one item of a source.
type Record struct {
	// Key identifies the record within its source; the tracker makes
	// keys unique by numbering repeats ("key#2").
	Key string `json:"k"`
	// Path is the file the record comes from.
	Path string `json:"p,omitempty"`
	// Fields are compared between readings.
	Fields map[string]string `json:"f,omitempty"`
	// Info is kept with the record but not compared.
	Info map[string]string `json:"i,omitempty"`
	// At is when the file last changed (its ctime); not saved.
	At time.Time `json:"-"`
	// Body is content the model keeps for the events of the pass that
	// read it (the lines of a script, to show the lines added); it is
	// neither saved nor kept after the pass.
	Body string `json:"-"`
}

// Result is one reading of a source.
type Result struct {
	Records []Record
	// Paths are further paths the source read (sudoers includes); they
	// are watched like Source.Paths.
	Paths []string
	// Malformed counts the lines the parsers skipped, Problems describes
	// some of them ("/etc/passwd:3: uid is not a number").
	Malformed int
	Problems  []string
}

// Change is one record added (Old nil), removed (New nil) or changed.
type Change struct {
	Old, New *Record
	// Fields lists the names of the fields that differ, sorted.
	Fields []string
}

// Diff is what changed in one source.
type Diff struct {
	Source Source
	// New is true when the source itself appeared (a new account's
	// home): all its records are additions.
	New     bool
	Changes []Change
}

// View gives a model the current records of every source.
type View interface {
	// Records returns the records of source id, nil when unknown.
	Records(id string) []Record
}

// Batch is what changed in one pass.
type Batch struct {
	View
	// Offline is true for the changes found at start, which happened
	// while the sensor was not running.
	Offline bool
	// Now is when the pass ran.
	Now   time.Time
	Diffs []Diff
}

// ScanEnv is what a model reads with.
type ScanEnv struct {
	// FS is a cached view (rootfs.FS.Cached) that lives for one pass.
	FS *rootfs.FS
	// Secret keys digests of values that must not be kept (password
	// hashes); it lives in the state file.
	Secret []byte
}

// Model is what a sensor plugs into the tracker. Its methods are called
// from the tracker's Run goroutine only.
type Model interface {
	// Sources lists the sources to read, in the order their changes are
	// reported, given the current records.
	Sources(v View) []Source
	// Scan reads one source. A missing file is no error (no records);
	// an error keeps the source's previous records.
	Scan(env ScanEnv, src Source) (Result, error)
	// Events turns a batch of changes into events.
	Events(b *Batch) []event.Event
}

// Config configures a Tracker. Name, FS, StateFile and Model are
// required.
type Config struct {
	// Name is the sensor's name: event.dataset, and a guard against
	// reading another sensor's state file.
	Name      string
	FS        *rootfs.FS
	StateFile string
	Model     Model
	Logger    *slog.Logger
	// Rescan is the period of full readings; 0 means never.
	Rescan time.Duration
	// Settle is the quiet time after the last inotify event before a
	// reading, MaxDelay the longest wait after the first.
	Settle, MaxDelay time.Duration
	// MaxWatches bounds the directories watched; the sources beyond it
	// are only read every Rescan.
	MaxWatches int
}

// Stats are the tracker's counters.
type Stats struct {
	Sources int
	Records int
	// Watches is the number of directories watched, Unwatched the number
	// left out (MaxWatches, or the kernel's limit).
	Watches, Unwatched int
	// MalformedLines is the number of lines skipped in the latest reading
	// of every source.
	MalformedLines int
	// FailingSources is the number of sources whose latest reading failed.
	FailingSources int
	// ReadErrors counts failed readings, Overflows inotify queue
	// overflows, Events the events emitted, Passes the readings.
	ReadErrors, Overflows, Events, Passes uint64
	// StateErrors counts failures to save the state.
	StateErrors uint64
	// PassTime is the time spent in readings (reading, comparing,
	// reporting, saving the state, placing watches), all passes together.
	PassTime time.Duration
}

// sourceState is the saved state of one source.
type sourceState struct {
	Kind    string   `json:"kind"`
	Records []Record `json:"records,omitempty"`
	// Failed is true for a source never read successfully: its first good
	// reading is its baseline.
	Failed bool `json:"failed,omitempty"`
}

// stateFile is the saved state.
type stateFile struct {
	Version int                     `json:"version"`
	Name    string                  `json:"name"`
	Root    string                  `json:"root"`
	Secret  []byte                  `json:"secret"`
	Saved   time.Time               `json:"saved"`
	Sources map[string]*sourceState `json:"sources"`
}

// live is what the tracker knows about a source while it runs.
type live struct {
	sig       string   // the source's kind, paths and depth at its last reading
	interest  []string // resolved paths whose changes concern the source
	watch     []string // directories to watch for it
	malformed int
	failing   string // the error of the latest reading, "" when fine
}

// Tracker runs a Model.
type Tracker struct {
	cfg Config
	log *slog.Logger

	// Owned by the Run goroutine.
	st      *stateFile
	sources []Source
	live    map[string]*live
	w       *fsnotify.Watcher
	byDir   map[string][]string // watched directory -> source ids
	warned  map[string]bool     // watch failures logged once

	mu    sync.Mutex
	stats Stats
}

// New returns a tracker; Run starts it.
func New(cfg Config) (*Tracker, error) {
	if cfg.Name == "" || cfg.FS == nil || cfg.StateFile == "" || cfg.Model == nil {
		return nil, errors.New("tracker: Name, FS, StateFile and Model are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.MaxDelay < cfg.Settle {
		cfg.MaxDelay = max(DefaultMaxDelay, cfg.Settle)
	}
	if cfg.MaxWatches <= 0 {
		cfg.MaxWatches = DefaultMaxWatches
	}
	return &Tracker{cfg: cfg, log: cfg.Logger}, nil
}

// Stats returns the counters; safe from any goroutine.
func (t *Tracker) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stats
}

// Records implements View.
func (t *Tracker) Records(id string) []Record {
	if s := t.st.Sources[id]; s != nil {
		return s.Records
	}
	return nil
}

// Run watches and reports until ctx ends; it returns nil then. It closes
// its inotify instance before returning. A Tracker runs once at a time.
func (t *Tracker) Run(ctx context.Context, emit plugin.Emitter) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("%s: inotify: %w", t.cfg.Name, err)
	}
	defer w.Close()
	t.w = w
	t.live = map[string]*live{}
	t.byDir = map[string][]string{}
	t.warned = map[string]bool{}
	t.sources = nil

	st, err := t.load()
	if err != nil {
		t.log.Warn("state not usable; taking a new baseline", "sensor", t.cfg.Name, "err", err)
	}
	baseline := st == nil
	if baseline {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return fmt.Errorf("%s: state secret: %w", t.cfg.Name, err)
		}
		st = &stateFile{Version: stateVersion, Name: t.cfg.Name, Root: t.cfg.FS.Root(), Secret: secret, Sources: map[string]*sourceState{}}
	}
	t.st = st
	follow := t.pass(emit, nil, true, baseline, !baseline)
	if baseline {
		s := t.Stats()
		t.log.Info("baseline taken", "sensor", t.cfg.Name, "sources", s.Sources, "records", s.Records, "watches", s.Watches)
	}

	dirty := map[string]bool{}
	all := false
	var first time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	arm := func() {
		now := time.Now()
		if first.IsZero() {
			first = now
		}
		d := min(t.cfg.Settle, max(first.Add(t.cfg.MaxDelay).Sub(now), 0))
		timer.Reset(d)
	}
	for _, id := range follow {
		dirty[id] = true
	}
	if len(follow) > 0 {
		arm()
	}
	var rescan <-chan time.Time
	if t.cfg.Rescan > 0 {
		tick := time.NewTicker(t.cfg.Rescan)
		defer tick.Stop()
		rescan = tick.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return fmt.Errorf("%s: inotify closed", t.cfg.Name)
			}
			if ids := t.match(ev.Name); len(ids) > 0 {
				for _, id := range ids {
					dirty[id] = true
				}
				arm()
			}
		case err, ok := <-w.Errors:
			if !ok {
				return fmt.Errorf("%s: inotify closed", t.cfg.Name)
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				t.count(func(s *Stats) { s.Overflows++ })
				emit.Lost(1)
				t.log.Warn("inotify queue overflowed; reading everything again", "sensor", t.cfg.Name)
			} else {
				t.log.Warn("inotify error; reading everything again", "sensor", t.cfg.Name, "err", err)
			}
			all = true
			arm()
		case <-rescan:
			all = true
			arm()
		case <-timer.C:
			first = time.Time{}
			follow := t.pass(emit, dirty, all, false, false)
			dirty, all = map[string]bool{}, false
			for _, id := range follow {
				dirty[id] = true
			}
			if len(follow) > 0 {
				arm()
			}
		}
	}
}

// pass reads the sources that are dirty (or all), reports the changes,
// saves the state and updates the watches. It returns the sources that
// got new watches: they are read again soon, to catch what changed
// between their reading and the watch.
func (t *Tracker) pass(emit plugin.Emitter, dirty map[string]bool, all, baseline, offline bool) []string {
	now := time.Now()
	// One cached view per pass: the directories of many files are
	// resolved once.
	env := ScanEnv{FS: t.cfg.FS.Cached(), Secret: t.st.Secret}
	var diffs []Diff
	save := baseline
	scanned := map[string]bool{}
	var listed []Source
	for round := 0; round < maxRounds; round++ {
		listed = t.cfg.Model.Sources(t)
		progress := false
		for _, src := range listed {
			if scanned[src.ID] {
				continue
			}
			prev := t.st.Sources[src.ID]
			lv := t.live[src.ID]
			// A source whose paths changed (an account's new home) is read
			// again even if nothing happened under its old ones.
			if prev != nil && !all && !dirty[src.ID] && lv != nil && lv.sig == signature(src) {
				continue
			}
			scanned[src.ID], progress = true, true
			res, err := t.cfg.Model.Scan(env, src)
			lv = t.liveOf(src.ID)
			lv.sig = signature(src)
			t.place(env.FS, src, res.Paths, lv)
			if err != nil {
				t.failed(src, lv, err, emit)
				if prev == nil {
					t.st.Sources[src.ID] = &sourceState{Kind: src.Kind, Failed: true}
					save = true
				}
				continue
			}
			if lv.failing != "" {
				t.log.Info("source readable again", "sensor", t.cfg.Name, "source", src.ID)
				lv.failing = ""
			}
			t.noteMalformed(src, lv, res)
			recs := uniqueKeys(res.Records)
			switch {
			case prev == nil && baseline, prev != nil && (prev.Failed || prev.Kind != src.Kind):
				save = true
			case prev == nil:
				if len(recs) > 0 {
					diffs = append(diffs, Diff{Source: src, New: true, Changes: diffRecords(nil, recs)})
				}
				save = true
			default:
				if ch := diffRecords(prev.Records, recs); len(ch) > 0 {
					diffs = append(diffs, Diff{Source: src, Changes: ch})
					save = true
				}
			}
			t.st.Sources[src.ID] = &sourceState{Kind: src.Kind, Records: recs}
		}
		if !progress {
			break
		}
	}
	ids := map[string]bool{}
	for _, s := range listed {
		ids[s.ID] = true
	}
	for id := range t.st.Sources {
		if !ids[id] {
			delete(t.st.Sources, id)
			delete(t.live, id)
			save = true
		}
	}
	t.sources = listed

	var nevents uint64
	if len(diffs) > 0 && !baseline {
		b := &Batch{View: t, Offline: offline, Now: now, Diffs: diffs}
		for _, e := range t.cfg.Model.Events(b) {
			t.finish(e, offline, now)
			emit.Emit(e)
			nevents++
		}
	}
	for id := range scanned {
		if s := t.st.Sources[id]; s != nil {
			for i := range s.Records {
				s.Records[i].Body = ""
			}
		}
	}
	if save {
		if err := t.save(now); err != nil {
			t.count(func(s *Stats) { s.StateErrors++ })
			t.log.Warn("state not saved; changes may be reported again after a restart", "sensor", t.cfg.Name, "err", err)
		}
	}
	follow := t.syncWatches()
	t.refreshStats(nevents, time.Since(now))
	return follow
}

// signature sums up what a source reads.
func signature(src Source) string {
	return src.Kind + "\x00" + strconv.Itoa(src.Depth) + "\x00" + strings.Join(src.Paths, "\x00")
}

// liveOf returns the runtime data of a source, creating it.
func (t *Tracker) liveOf(id string) *live {
	lv := t.live[id]
	if lv == nil {
		lv = &live{}
		t.live[id] = lv
	}
	return lv
}

// failed records a failed reading.
func (t *Tracker) failed(src Source, lv *live, err error, emit plugin.Emitter) {
	t.count(func(s *Stats) { s.ReadErrors++ })
	if lv.failing == "" {
		emit.Lost(1)
	}
	if lv.failing != err.Error() {
		t.log.Warn("source not readable; keeping its previous state", "sensor", t.cfg.Name, "source", src.ID, "err", err)
	}
	lv.failing = err.Error()
}

// noteMalformed logs a source's skipped lines when their count changes.
func (t *Tracker) noteMalformed(src Source, lv *live, res Result) {
	if res.Malformed == lv.malformed {
		return
	}
	lv.malformed = res.Malformed
	if res.Malformed == 0 {
		t.log.Info("no more malformed lines", "sensor", t.cfg.Name, "source", src.ID)
		return
	}
	t.log.Warn("malformed lines skipped", "sensor", t.cfg.Name, "source", src.ID,
		"count", res.Malformed, "lines", res.Problems[:min(len(res.Problems), 8)])
}

// place computes what concerns a source and what to watch for it.
func (t *Tracker) place(fs *rootfs.FS, src Source, extra []string, lv *live) {
	lv.interest, lv.watch = lv.interest[:0], lv.watch[:0]
	for _, p := range slices.Concat(src.Paths, extra) {
		r, exists, err := fs.Resolve(p)
		if err != nil {
			continue
		}
		lv.interest = append(lv.interest, r)
		if exists {
			if fi, err := os.Lstat(fs.Host(r)); err == nil && fi.IsDir() {
				lv.watch = append(lv.watch, r)
				if src.Depth > 0 {
					if ents, err := os.ReadDir(fs.Host(r)); err == nil {
						for _, e := range ents {
							if e.IsDir() {
								lv.watch = append(lv.watch, path.Join(r, e.Name()))
							}
						}
					}
				}
			}
		}
		if r != "/" {
			lv.watch = append(lv.watch, t.existingDir(path.Dir(r)))
		}
	}
}

// existingDir returns p or its nearest ancestor that is a directory.
func (t *Tracker) existingDir(p string) string {
	for p != "/" {
		if fi, err := os.Lstat(t.cfg.FS.Host(p)); err == nil && fi.IsDir() {
			return p
		}
		p = path.Dir(p)
	}
	return "/"
}

// syncWatches makes the watched directories those the sources want and
// returns the sources for which a directory was newly watched.
func (t *Tracker) syncWatches() []string {
	want := map[string]bool{}
	var order []string
	byDir := map[string][]string{}
	unwatched := 0
	for _, src := range t.sources {
		lv := t.live[src.ID]
		if lv == nil {
			continue
		}
		for _, d := range lv.watch {
			if !want[d] {
				if len(order) >= t.cfg.MaxWatches {
					unwatched++
					continue
				}
				want[d] = true
				order = append(order, d)
			}
			if ids := byDir[d]; len(ids) == 0 || ids[len(ids)-1] != src.ID {
				byDir[d] = append(byDir[d], src.ID)
			}
		}
	}
	have := map[string]bool{}
	for _, h := range t.w.WatchList() {
		if p, ok := t.cfg.FS.Logical(h); ok {
			have[p] = true
		}
	}
	for p := range have {
		if !want[p] {
			_ = t.w.Remove(t.cfg.FS.Host(p)) // gone already when the directory was removed
		}
	}
	var follow []string
	for _, d := range order {
		if have[d] {
			continue
		}
		if err := t.w.Add(t.cfg.FS.Host(d)); err != nil {
			if !rootfs.IsNotExist(err) {
				unwatched++
				if !t.warned[d] {
					t.warned[d] = true
					t.log.Warn("directory not watched; its changes are seen at the next full reading", "sensor", t.cfg.Name, "dir", d, "err", err)
				}
			}
			continue
		}
		for _, id := range byDir[d] {
			if !slices.Contains(follow, id) {
				follow = append(follow, id)
			}
		}
	}
	if unwatched > 0 && !t.warned["\x00limit"] {
		t.warned["\x00limit"] = true
		t.log.Warn("not every directory is watched", "sensor", t.cfg.Name, "unwatched", unwatched, "max_watches", t.cfg.MaxWatches)
	}
	t.byDir = byDir
	t.mu.Lock()
	t.stats.Watches, t.stats.Unwatched = len(t.w.WatchList()), unwatched
	t.mu.Unlock()
	return follow
}

// match returns the sources an inotify event on hostPath concerns.
func (t *Tracker) match(hostPath string) []string {
	p, ok := t.cfg.FS.Logical(hostPath)
	if !ok {
		return nil
	}
	var out []string
	for _, d := range []string{path.Dir(p), p} {
		for _, id := range t.byDir[d] {
			if slices.Contains(out, id) {
				continue
			}
			lv := t.live[id]
			if lv == nil {
				continue
			}
			for _, q := range lv.interest {
				if related(p, q) {
					out = append(out, id)
					break
				}
			}
		}
	}
	return out
}

// related reports whether a change at p can concern path q: the same
// path, or one inside the other.
func related(p, q string) bool {
	return p == q || p == "/" || q == "/" || strings.HasPrefix(q, p+"/") || strings.HasPrefix(p, q+"/")
}

// uniqueKeys numbers repeated keys ("k", "k#2" ...).
func uniqueKeys(recs []Record) []Record {
	seen := make(map[string]int, len(recs))
	for i := range recs {
		k := recs[i].Key
		seen[k]++
		if n := seen[k]; n > 1 {
			recs[i].Key = k + "#" + strconv.Itoa(n)
		}
	}
	return recs
}

// diffRecords compares two readings of a source: changes and additions in
// the new order, then removals in the old order.
func diffRecords(old, cur []Record) []Change {
	oldBy := make(map[string]*Record, len(old))
	for i := range old {
		oldBy[old[i].Key] = &old[i]
	}
	seen := make(map[string]bool, len(cur))
	var out []Change
	for i := range cur {
		n := &cur[i]
		seen[n.Key] = true
		o := oldBy[n.Key]
		if o == nil {
			out = append(out, Change{New: n})
			continue
		}
		if f := changedFields(o.Fields, n.Fields); len(f) > 0 {
			out = append(out, Change{Old: o, New: n, Fields: f})
		}
	}
	for i := range old {
		if !seen[old[i].Key] {
			out = append(out, Change{Old: &old[i]})
		}
	}
	return out
}

// changedFields lists the names whose values differ, sorted.
func changedFields(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// finish sets what every event of the tracker has.
func (t *Tracker) finish(e event.Event, offline bool, now time.Time) {
	e.Set(event.FieldDataset, t.cfg.Name)
	if _, ok := e.Get(event.FieldKind); !ok {
		e.Set(event.FieldKind, "event")
	}
	e.Set("event.created", now.UTC().Format(time.RFC3339Nano))
	if offline {
		e.Set("vigil.offline", true)
	}
}

// count changes the counters under the lock.
func (t *Tracker) count(f func(*Stats)) {
	t.mu.Lock()
	f(&t.stats)
	t.mu.Unlock()
}

// refreshStats recomputes the gauges after a pass.
func (t *Tracker) refreshStats(events uint64, took time.Duration) {
	recs, malformed, failing := 0, 0, 0
	for _, s := range t.st.Sources {
		recs += len(s.Records)
	}
	for _, lv := range t.live {
		malformed += lv.malformed
		if lv.failing != "" {
			failing++
		}
	}
	t.mu.Lock()
	t.stats.Sources, t.stats.Records = len(t.st.Sources), recs
	t.stats.MalformedLines, t.stats.FailingSources = malformed, failing
	t.stats.Events += events
	t.stats.Passes++
	t.stats.PassTime += took
	t.mu.Unlock()
}

// load reads the state file: nil without error when there is none.
func (t *Tracker) load() (*stateFile, error) {
	data, err := os.ReadFile(t.cfg.StateFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode state %s: %w", t.cfg.StateFile, err)
	}
	switch {
	case st.Version != stateVersion:
		return nil, fmt.Errorf("state %s has version %d, want %d", t.cfg.StateFile, st.Version, stateVersion)
	case st.Name != t.cfg.Name:
		return nil, fmt.Errorf("state %s belongs to %q", t.cfg.StateFile, st.Name)
	case st.Root != t.cfg.FS.Root():
		return nil, fmt.Errorf("state %s describes root %s, not %s", t.cfg.StateFile, st.Root, t.cfg.FS.Root())
	case len(st.Secret) == 0:
		return nil, fmt.Errorf("state %s has no secret", t.cfg.StateFile)
	}
	if st.Sources == nil {
		st.Sources = map[string]*sourceState{}
	}
	return &st, nil
}

// save writes the state file: a temporary file synced and renamed over
// the old one.
func (t *Tracker) save(now time.Time) error {
	t.st.Saved = now.UTC()
	data, err := json.Marshal(t.st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	dir := filepath.Dir(t.cfg.StateFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(t.cfg.StateFile)+".*")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close state: %w", err)
	}
	if err := os.Rename(tmp.Name(), t.cfg.StateFile); err != nil {
		return fmt.Errorf("rename state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// NewEvent starts an event of a tracker model: timestamp, kind "event",
// category, action and event.type (ECS array). The tracker adds
// event.dataset, event.created and vigil.offline.
func NewEvent(at time.Time, category, action string, types ...string) event.Event {
	e := event.New("", at, category, action) // the runtime assigns event.id
	e.Set(event.FieldKind, "event")
	e.Set("event.type", types)
	return e
}

// Clip bounds s to n bytes without splitting a UTF-8 sequence, marking
// the cut with "…".
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i < len(s) && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}

// When returns the time of a change: the new record's file change time,
// else now (a removal).
func When(c Change, now time.Time) time.Time {
	if c.New != nil && !c.New.At.IsZero() && !c.New.At.After(now) {
		return c.New.At
	}
	return now
}

// ClipList bounds a list copied into an event: at most items elements,
// each clipped to n bytes. It never returns nil, so that an empty list is
// [] in JSON.
func ClipList(list []string, items, n int) []string {
	out := make([]string, 0, min(len(list), items))
	for _, s := range list[:min(len(list), items)] {
		out = append(out, Clip(s, n))
	}
	return out
}
