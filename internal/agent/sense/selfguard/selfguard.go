// Package selfguard is the selfguard sensor: it watches the agent's own
// executable and data directory and reports every change to them, so that
// tampering with the agent is visible upstream.
//
// The executable is watched through its directory (an upgrade or an
// attacker usually replaces the file by renaming another over it, which a
// watch on the file itself would miss); only events on the executable's
// own name count. The data directory is watched for its entries (identity,
// pid file, spool and state folders): the agent itself changes them only
// before this sensor starts and after it stops, so whatever is seen comes
// from someone else.
//
// Events: agent-file-changed and agent-file-removed (event.category
// "file", event.dataset "selfguard"), with file.path, file.name,
// file.directory, vigil.selfguard.target ("executable", "executable
// directory" or "data") and vigil.selfguard.op (the inotify operations).
package selfguard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the sensor's name.
const Name = "selfguard"

// Actions of the events.
const (
	ActionChanged = "agent-file-changed"
	ActionRemoved = "agent-file-removed"
)

// mergeWindow is how long repeated events of one kind on one path are
// merged into the first: a file written in many chunks is one change.
const mergeWindow = time.Second

// Sensor watches the agent's files.
type Sensor struct {
	// Executable is the agent's executable; Configure sets it to this
	// process's executable when it is empty.
	Executable string
	// DataDir is the agent's data directory; Configure sets it from the
	// environment when it is empty.
	DataDir string
}

var (
	_ plugin.Sensor     = (*Sensor)(nil)
	_ plugin.Configurer = (*Sensor)(nil)
)

// New returns the sensor.
func New() *Sensor { return &Sensor{} }

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }

// Mechanism implements plugin.Sensor.
func (*Sensor) Mechanism() string { return "inotify" }

// Requirements implements plugin.Plugin.
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Features: []string{plugin.FeatureInotify}}
}

// Configure implements plugin.Configurer: it resolves the paths to watch.
func (s *Sensor) Configure(env plugin.Env) error {
	if s.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("selfguard: own executable: %w", err)
		}
		s.Executable = exe
	}
	if s.DataDir == "" {
		s.DataDir = env.DataDir
	}
	if s.DataDir == "" {
		return errors.New("selfguard: no data directory to watch")
	}
	for _, p := range []*string{&s.Executable, &s.DataDir} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("selfguard: %w", err)
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		*p = abs
	}
	return nil
}

// Run implements plugin.Sensor. It owns its watcher and closes it before
// returning.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) error {
	if s.Executable == "" || s.DataDir == "" {
		return errors.New("selfguard: not configured")
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("selfguard: %w", err)
	}
	defer w.Close()
	exeDir := filepath.Dir(s.Executable)
	for _, dir := range []string{exeDir, s.DataDir} {
		if err := w.Add(dir); err != nil {
			return fmt.Errorf("selfguard: watch %s: %w", dir, err)
		}
	}
	last := map[string]time.Time{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("selfguard: watcher closed")
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				emit.Lost(1)
				continue
			}
			return fmt.Errorf("selfguard: %w", err)
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("selfguard: watcher closed")
			}
			e := s.classify(ev, exeDir)
			if e == nil {
				continue
			}
			key := e.String(event.FieldAction) + "\x00" + ev.Name
			now := time.Now()
			if t, seen := last[key]; seen && now.Sub(t) < mergeWindow {
				continue
			}
			last[key] = now
			emit.Emit(e)
		}
	}
}

// classify turns a watcher event into an agent event, or nil when it is
// about a file the sensor does not guard.
func (s *Sensor) classify(ev fsnotify.Event, exeDir string) event.Event {
	path := filepath.Clean(ev.Name)
	var what string
	switch {
	case path == s.Executable:
		what = "executable"
	case path == s.DataDir || filepath.Dir(path) == s.DataDir:
		what = "data"
	case path == exeDir:
		what = "executable directory"
	default:
		return nil
	}
	action, verb := ActionChanged, "changed"
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		action, verb = ActionRemoved, "removed"
	}
	e := event.Event{} // the runtime assigns event.id
	e.Set(event.FieldTimestamp, time.Now().UTC().Format(time.RFC3339Nano))
	e.Set(event.FieldKind, "event")
	e.Set(event.FieldCategory, "file")
	e.Set(event.FieldAction, action)
	e.Set(event.FieldDataset, Name)
	e.Set(event.FieldFilePath, path)
	e.Set("file.name", filepath.Base(path))
	e.Set("file.directory", filepath.Dir(path))
	e.Set(event.FieldMessage, fmt.Sprintf("agent %s %s: %s (%s)", what, verb, path, ev.Op))
	e.Set("vigil.selfguard.target", what)
	e.Set("vigil.selfguard.op", ev.Op.String())
	return e
}
