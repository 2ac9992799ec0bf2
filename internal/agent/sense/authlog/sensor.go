package authlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog/parse"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog/utmp"
)

// Name is the sensor's name.
const Name = "authlog"

// Mechanisms the sensor reports.
const (
	MechanismFile    = "file"
	MechanismJournal = "journal"
)

// stateFile is the state's file below the data directory, in the
// plugins' state folder (the top level belongs to the agent: selfguard
// reports a change there as tampering).
const stateFile = "state/authlog.json"

// legacyStateFile is where agents before stateFile kept the state; it is
// read when stateFile is not there yet, and left in place (removing it
// would be reported as tampering).
const legacyStateFile = "authlog/state.json"

// Sensor follows the authentication log and the login accounting files.
type Sensor struct {
	// Location is the time zone of traditional syslog timestamps; nil
	// means the agent's local zone.
	Location *time.Location
	// Now returns the current time as the lines see it; nil means
	// time.Now. Year inference and the choice of live lines depend on it.
	Now func() time.Time

	settings   Settings
	configured bool
	env        plugin.Env
	log        *slog.Logger
	mechanism  string
	journalctl string

	stats counters
	// lastLogin remembers wtmp logins by terminal, to name the user of
	// the logout records that carry none.
	lastLogin map[string]utmp.Record
	// bootTime is the host's boot time, for process start times.
	bootTime time.Time
}

var (
	_ plugin.Sensor     = (*Sensor)(nil)
	_ plugin.Configurer = (*Sensor)(nil)
	_ plugin.Tunable    = (*Sensor)(nil)
	_ plugin.Counted    = (*Sensor)(nil)
)

// New returns the sensor with the default settings.
func New() *Sensor { return &Sensor{settings: DefaultSettings()} }

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }

// Requirements implements plugin.Plugin: the logs are readable by root
// (or the adm group) only.
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// Mechanism implements plugin.Sensor: "file" when the sensor reads log
// files, "journal" when it reads the systemd journal. Before Configure it
// states what it would choose on this machine.
func (s *Sensor) Mechanism() string {
	if s.configured {
		return s.mechanism
	}
	m, _ := s.choose("/")
	return m
}

// Configure implements plugin.Configurer.
func (s *Sensor) Configure(env plugin.Env) error {
	if env.Root == "" {
		env.Root = "/"
	}
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	s.env = env
	s.log = env.Logger.With("plugin", Name)
	if s.settings.Source == "" {
		s.settings = DefaultSettings()
	}
	s.mechanism, s.journalctl = s.choose(env.Root)
	s.configured = true
	return nil
}

// ApplySettings implements plugin.Tunable; see the package documentation
// for the settings.
func (s *Sensor) ApplySettings(raw json.RawMessage) error {
	st, err := ParseSettings(raw)
	if err != nil {
		return err
	}
	s.settings = st
	if s.configured {
		s.mechanism, s.journalctl = s.choose(s.env.Root)
	}
	return nil
}

// Settings returns the settings in force.
func (s *Sensor) Settings() Settings { return s.settings }

// choose picks the mechanism for the host at root: the log files when
// the settings say so or one of them exists, else the journal when
// journalctl is installed; it returns journalctl's path for the journal.
func (s *Sensor) choose(root string) (string, string) {
	st := s.settings
	if st.Source == "" {
		st = DefaultSettings()
	}
	if st.Source == SourceFile {
		return MechanismFile, ""
	}
	if st.Source == SourceAuto {
		for _, f := range st.Files {
			if _, err := os.Stat(filepath.Join(root, f)); err == nil {
				return MechanismFile, ""
			}
		}
	}
	path, err := exec.LookPath("journalctl")
	if err != nil {
		return MechanismFile, "" // wait for a log file to appear
	}
	return MechanismJournal, path
}

// Run implements plugin.Sensor.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) error {
	if !s.configured {
		return errors.New("authlog: not configured")
	}
	if s.env.DataDir == "" {
		return errors.New("authlog: no data directory for the read positions")
	}
	store, err := loadState(filepath.Join(s.env.DataDir, stateFile), filepath.Join(s.env.DataDir, legacyStateFile))
	if err != nil {
		s.log.Warn("saved positions unreadable; starting afresh", "err", err)
	}
	s.bootTime = readBootTime(s.env.Root)
	if s.lastLogin == nil {
		s.lastLogin = map[string]utmp.Record{}
	}

	var followers []*follower
	if s.mechanism == MechanismFile {
		for _, f := range s.settings.Files {
			followers = append(followers, s.logFollower(f, store, emit))
		}
	}
	if s.settings.Accounting {
		for _, acct := range []struct{ path, kind string }{{s.settings.Wtmp, "wtmp"}, {s.settings.Btmp, "btmp"}} {
			if acct.path != "" {
				followers = append(followers, s.accountingFollower(acct.path, acct.kind, store, emit))
			}
		}
	}

	var journalDone chan error
	jctx, stopJournal := context.WithCancel(ctx)
	defer stopJournal()
	if s.mechanism == MechanismJournal {
		journalDone = make(chan error, 1)
		go func() { journalDone <- s.runJournal(jctx, store, emit) }()
	}

	watcher, dirs := s.watch(followers)
	var events chan fsnotify.Event
	var werrs chan error
	if watcher != nil {
		defer watcher.Close()
		events, werrs = watcher.Events, watcher.Errors
	}
	names := map[string]bool{}
	for _, fw := range followers {
		names[fw.path] = true
	}

	tick := time.NewTicker(s.settings.PollInterval)
	defer tick.Stop()
	finish := func() {
		for _, fw := range followers {
			fw.close()
		}
		if err := store.save(time.Now()); err != nil {
			s.stats.saveErrors.Add(1)
			s.log.Warn("cannot save read positions", "err", err)
		}
	}
	for {
		// Timers of the reading (rotation grace, state writes) use the
		// real clock; s.Now is the clock of what the lines say.
		now := time.Now()
		for _, fw := range followers {
			fw.poll(now)
		}
		s.stats.polls.Add(1)
		if err := store.maybeSave(now); err != nil {
			s.stats.saveErrors.Add(1)
			s.log.Warn("cannot save read positions", "err", err)
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				if journalDone != nil {
					if err := <-journalDone; err != nil {
						s.log.Warn("journal reader ended with an error", "err", err)
					}
				}
				finish()
				return nil
			case err := <-journalDone:
				finish()
				if ctx.Err() != nil {
					return nil
				}
				if err == nil {
					err = errors.New("journal reader ended")
				}
				return fmt.Errorf("authlog: %w", err)
			case ev, ok := <-events:
				if !ok {
					events = nil
					continue
				}
				// Other files of the directory (syslog, kern.log ...)
				// change often: only the followed ones wake the sensor.
				if names[ev.Name] || dirs[ev.Name] || rotationName(ev.Name, names) {
					break wait
				}
			case err, ok := <-werrs:
				if !ok {
					werrs = nil
					continue
				}
				s.log.Debug("file notification error; polling catches up", "err", err)
			case <-tick.C:
				break wait
			}
		}
	}
}

// rotationName reports whether name is a rotated sibling of a followed
// path ("auth.log.1" of "auth.log").
func rotationName(name string, followed map[string]bool) bool {
	for p := range followed {
		if len(name) > len(p) && name[:len(p)] == p && (name[len(p)] == '.' || name[len(p)] == '-') {
			return true
		}
	}
	return false
}

// watch places inotify watches on the followed files' directories, so
// that appends are read at once; without them, polling every
// PollInterval does the work. It returns the watched directories.
func (s *Sensor) watch(followers []*follower) (*fsnotify.Watcher, map[string]bool) {
	dirs := map[string]bool{}
	if len(followers) == 0 {
		return nil, dirs
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		s.log.Info("no file notifications; polling", "err", err, "interval", s.settings.PollInterval)
		return nil, dirs
	}
	for _, fw := range followers {
		dir := filepath.Dir(fw.path)
		if dirs[dir] {
			continue
		}
		if err := w.Add(dir); err != nil {
			s.log.Debug("cannot watch directory; polling it", "dir", dir, "err", err)
			continue
		}
		dirs[dir] = true
	}
	if len(dirs) == 0 {
		_ = w.Close()
		return nil, dirs
	}
	return w, dirs
}

// logFollower follows one log file.
func (s *Sensor) logFollower(hostPath string, store *stateStore, emit plugin.Emitter) *follower {
	full := filepath.Join(s.env.Root, hostPath)
	lc := &lineConsumer{parser: parse.Parser{Location: s.Location, Now: s.Now}}
	lc.handle = func(p *parse.Parser, line []byte, truncated bool) {
		s.handleLine(p, line, truncated, hostPath, emit)
	}
	return s.newFollower(full, hostPath, lc, store, s.settings.MaxLineBytes, 1)
}

// accountingFollower follows wtmp or btmp.
func (s *Sensor) accountingFollower(hostPath, kind string, store *stateStore, emit plugin.Emitter) *follower {
	full := filepath.Join(s.env.Root, hostPath)
	size := utmp.Native.RecordSize()
	rc := &recordConsumer{size: size}
	rc.handle = func(rec []byte) { s.handleRecord(rec, kind, hostPath, emit) }
	rc.partial = func() {
		s.stats.corruptRecords.Add(1)
		emit.Lost(1)
	}
	return s.newFollower(full, hostPath, rc, store, 64*size, int64(size))
}

func (s *Sensor) newFollower(full, key string, c consumer, store *stateStore, bufSize int, align int64) *follower {
	return &follower{
		path: full, key: key, c: c, store: store, log: s.log, stats: &s.stats,
		bufSize: bufSize, align: align, startAtEnd: s.settings.StartAt == StartAtEnd,
		grace: max(5*time.Second, 2*s.settings.PollInterval),
	}
}

func (s *Sensor) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// handleLine parses one log line and emits its event.
func (s *Sensor) handleLine(p *parse.Parser, raw []byte, truncated bool, file string, emit plugin.Emitter) {
	s.stats.lines.Add(1)
	if truncated {
		s.stats.tooLong.Add(1)
	}
	if n := len(raw); n > 0 && raw[n-1] == '\r' {
		raw = raw[:n-1]
	}
	l, st := p.Parse(string(raw))
	s.dispatch(&l, st, source{provider: "syslog", file: file}, emit)
}

// dispatch counts a parsed entry and emits its event.
func (s *Sensor) dispatch(l *parse.Line, st parse.Status, src source, emit plugin.Emitter) {
	switch st {
	case parse.StatusOK:
	case parse.StatusMalformed:
		s.stats.malformed.Add(1)
		emit.Lost(1)
		return
	case parse.StatusNoHeader:
		s.stats.noHeader.Add(1)
		return
	default:
		if parse.KnownProgram(l.Program) || strings.HasPrefix(l.Message, "pam_") {
			s.stats.unrecognized.Add(1)
		} else {
			s.stats.unknownPrograms.Add(1)
		}
		return
	}
	if slices.Contains(s.settings.SkipServices, l.Service) {
		s.stats.filtered.Add(1)
		return
	}
	s.stats.events.Add(1)
	emit.Emit(s.lineEvent(l, src))
}

// counters are the sensor's running totals.
type counters struct {
	lines, events, unrecognized, unknownPrograms, malformed, noHeader, filtered, tooLong atomic.Uint64
	journalEntries, badEntries, cursorResets, records, corruptRecords                    atomic.Uint64
	rotations, truncations, gaps, polls, readErrors, saveErrors                          atomic.Uint64
}

// Stats are the sensor's running totals since it was created.
type Stats struct {
	// Lines is the number of log lines read.
	Lines uint64 `json:"lines"`
	// JournalEntries is the number of journal entries read.
	JournalEntries uint64 `json:"journal_entries"`
	// Events is the number of events emitted from lines and entries.
	Events uint64 `json:"events"`
	// Unknown counts lines and entries of no interest: Unrecognized
	// messages of known programs (or PAM modules) that report nothing,
	// such as "Server listening on ...", and UnknownPrograms lines of
	// programs the sensor does not read. NoHeader counts lines without a
	// syslog header; Filtered lines of skipped services.
	Unknown         uint64 `json:"unknown"`
	Unrecognized    uint64 `json:"unrecognized"`
	UnknownPrograms uint64 `json:"unknown_programs"`
	NoHeader        uint64 `json:"no_header"`
	Filtered        uint64 `json:"filtered"`
	// Malformed counts lines and journal messages of known programs that
	// did not parse; BadJournalEntries journal entries that were not
	// JSON or lacked their cursor or time. Each is also reported lost.
	Malformed         uint64 `json:"malformed"`
	BadJournalEntries uint64 `json:"bad_journal_entries"`
	// TooLong counts lines longer than MaxLineBytes (their start is
	// read), and journal entries too long to decode (reported lost).
	TooLong uint64 `json:"too_long"`
	// Records is the number of accounting records read; CorruptRecords
	// those skipped as corrupt (also reported lost).
	Records        uint64 `json:"records"`
	CorruptRecords uint64 `json:"corrupt_records"`
	// Rotations and Truncations count the file changes noticed; Gaps the
	// rotated files not found again after a restart.
	Rotations   uint64 `json:"rotations"`
	Truncations uint64 `json:"truncations"`
	Gaps        uint64 `json:"gaps"`
	// CursorResets counts the times journalctl refused the saved journal
	// cursor, so that reading resumed from the last entry's time.
	CursorResets uint64 `json:"cursor_resets"`
	// ReadErrors counts failures to open, inspect or read a followed
	// file other than its absence; SaveErrors failures to write the
	// saved positions.
	ReadErrors uint64 `json:"read_errors"`
	SaveErrors uint64 `json:"save_errors"`
	// Polls counts the rounds in which every followed file was checked
	// and read.
	Polls uint64 `json:"polls"`
}

// Stats returns the running totals. It is safe to call while Run runs.
func (s *Sensor) Stats() Stats {
	c := &s.stats
	unrecognized, unknownPrograms := c.unrecognized.Load(), c.unknownPrograms.Load()
	return Stats{
		Lines: c.lines.Load(), JournalEntries: c.journalEntries.Load(), Events: c.events.Load(),
		Unknown: unrecognized + unknownPrograms, Unrecognized: unrecognized, UnknownPrograms: unknownPrograms,
		NoHeader: c.noHeader.Load(),
		Filtered: c.filtered.Load(), Malformed: c.malformed.Load(), BadJournalEntries: c.badEntries.Load(),
		TooLong: c.tooLong.Load(), Records: c.records.Load(), CorruptRecords: c.corruptRecords.Load(),
		Rotations: c.rotations.Load(), Truncations: c.truncations.Load(), Gaps: c.gaps.Load(),
		CursorResets: c.cursorResets.Load(), ReadErrors: c.readErrors.Load(), SaveErrors: c.saveErrors.Load(),
		Polls: c.polls.Load(),
	}
}

// Counters implements plugin.Counted: what the sensor read, and what it
// skipped or could not follow, beyond the events and losses the runtime
// counts.
//
//	lines_read, journal_entries_read, records_read  input read (records: wtmp and btmp)
//	malformed_lines            lines and journal messages of known programs that did not parse (lost)
//	malformed_journal_entries  journal entries that were not JSON or lacked cursor or time (lost)
//	corrupt_records            wtmp and btmp records that did not decode, or were cut short (lost)
//	too_long_lines             lines cut at max_line_bytes (their start is read); journal entries
//	                           too long to decode (lost)
//	unknown_program_lines      lines of programs the sensor does not read
//	unrecognized_messages      messages of known programs that report nothing of interest
//	lines_without_header       lines without a syslog timestamp, host and tag
//	skipped_service_lines      lines of the skip_services PAM services
//	rotations, truncations     log and accounting file changes followed
//	rotation_gaps              rotated files not found again after a restart (lines missed)
//	journal_cursor_resets      saved journal cursors journalctl refused (reading resumed by time)
//	read_errors, state_save_errors  failures to read a followed file, or to save the read positions
func (s *Sensor) Counters() map[string]uint64 {
	st := s.Stats()
	return map[string]uint64{
		"lines_read":                st.Lines,
		"journal_entries_read":      st.JournalEntries,
		"records_read":              st.Records,
		"malformed_lines":           st.Malformed,
		"malformed_journal_entries": st.BadJournalEntries,
		"corrupt_records":           st.CorruptRecords,
		"too_long_lines":            st.TooLong,
		"unknown_program_lines":     st.UnknownPrograms,
		"unrecognized_messages":     st.Unrecognized,
		"lines_without_header":      st.NoHeader,
		"skipped_service_lines":     st.Filtered,
		"rotations":                 st.Rotations,
		"truncations":               st.Truncations,
		"rotation_gaps":             st.Gaps,
		"journal_cursor_resets":     st.CursorResets,
		"read_errors":               st.ReadErrors,
		"state_save_errors":         st.SaveErrors,
	}
}
