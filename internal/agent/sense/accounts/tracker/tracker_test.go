package tracker_test

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
	"github.com/vigilsec/vigil/internal/event"
)

// lines is a model whose records are the lines of /srv/list and of the
// files in /srv/dir; a line "user NAME" adds a source /home/NAME/notes.
type lines struct{}

func (lines) Sources(v tracker.View) []tracker.Source {
	out := []tracker.Source{
		{ID: "list", Kind: "lines", Paths: []string{"/srv/list"}},
		{ID: "dir", Kind: "lines", Paths: []string{"/srv/dir"}},
	}
	for _, r := range v.Records("list") {
		if name, ok := strings.CutPrefix(r.Fields["text"], "user "); ok {
			out = append(out, tracker.Source{ID: "notes:" + name, Kind: "lines", User: name, Paths: []string{"/home/" + name + "/notes"}})
		}
	}
	return out
}

func (lines) Scan(env tracker.ScanEnv, src tracker.Source) (tracker.Result, error) {
	var res tracker.Result
	files := src.Paths
	if src.ID == "dir" {
		ents, _, err := env.FS.ReadDir(src.Paths[0])
		if rootfs.IsNotExist(err) {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		files = nil
		for _, e := range ents {
			files = append(files, path.Join(src.Paths[0], e.Name()))
		}
	}
	for _, p := range files {
		data, info, err := env.FS.ReadFile(p, 64)
		if rootfs.IsNotExist(err) {
			continue
		}
		if err != nil {
			return res, err
		}
		for _, l := range textfile.Lines(data) {
			if string(l) == "BAD" {
				res.Malformed++
				continue
			}
			key, value, _ := strings.Cut(string(l), "=")
			res.Records = append(res.Records, tracker.Record{Key: p + ":" + key, Path: p, At: info.CTime,
				Fields: map[string]string{"text": string(l), "value": value}})
		}
	}
	return res, nil
}

func (lines) Events(b *tracker.Batch) []event.Event {
	var out []event.Event
	for _, d := range b.Diffs {
		for _, c := range d.Changes {
			action, r := "changed", c.New
			switch {
			case c.Old == nil:
				action = "added"
			case c.New == nil:
				action, r = "removed", c.Old
			}
			e := tracker.NewEvent(tracker.When(c, b.Now), "configuration", action, "change")
			e.Set("file.path", r.Path)
			e.Set("key", r.Key)
			e.Set("fields", strings.Join(c.Fields, ","))
			e.Set("new_source", d.New)
			e.Set(event.FieldMessage, action+" "+r.Key)
			out = append(out, e)
		}
	}
	return out
}

// sensor runs the model as a sensor.
type sensor struct {
	cfg  tracker.Config
	runs tracker.Runner
}

func (*sensor) Name() string                      { return "test" }
func (*sensor) Requirements() plugin.Requirements { return plugin.Requirements{} }
func (*sensor) Mechanism() string                 { return "inotify" }
func (s *sensor) Stats() tracker.Stats            { return s.runs.Stats() }
func (s *sensor) Run(ctx context.Context, emit plugin.Emitter) error {
	tr, err := tracker.New(s.cfg)
	if err != nil {
		return err
	}
	return s.runs.Run(ctx, tr, emit)
}

func newSensor(t *testing.T, root, state string) *sensor {
	fsys, err := rootfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	return &sensor{cfg: tracker.Config{Name: "test", FS: fsys, StateFile: state, Model: lines{}, Logger: trackertest.Logger(t)}}
}

func write(t *testing.T, root, p, content string) {
	t.Helper()
	trackertest.WriteAtomic(t, filepath.Join(root, p), []byte(content), 0o644)
}

func key(k string) func(event.Event) bool {
	return func(e event.Event) bool { return e.String("key") == k }
}

func TestTracker(t *testing.T) {
	root, state := t.TempDir(), filepath.Join(t.TempDir(), "state", "test.json")
	write(t, root, "srv/list", "a=1\nb=2\n")
	s := newSensor(t, root, state)
	r := trackertest.Start(t, s)
	em := r.Emit
	if em.Len() != 0 {
		t.Fatalf("baseline events:\n%s", trackertest.Summary(em.Events()))
	}
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}

	// Replaced by rename: one change, one addition, one removal.
	mark := em.Len()
	write(t, root, "srv/list", "a=9\nc=3\n")
	em.WaitFor(t, mark, "changed", func(e event.Event) bool {
		return e.String("key") == "/srv/list:a" && e.String("fields") == "text,value"
	})
	em.WaitFor(t, mark, "added", key("/srv/list:c"))
	em.WaitFor(t, mark, "removed", key("/srv/list:b"))

	// A directory created later, with files in it.
	mark = em.Len()
	if err := os.MkdirAll(filepath.Join(root, "srv/dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, root, "srv/dir/one", "x=1\n")
	em.WaitFor(t, mark, "added", key("/srv/dir/one:x"))

	// A new source from a record, in a home made after it.
	mark = em.Len()
	write(t, root, "srv/list", "a=9\nc=3\nuser alice\n")
	em.WaitFor(t, mark, "added", key("/srv/list:user alice"))
	if err := os.MkdirAll(filepath.Join(root, "home/alice"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, root, "home/alice/notes", "n=1\n")
	e := em.WaitFor(t, mark, "added", key("/home/alice/notes:n"))
	if e.String("new_source") != "false" {
		// The source appeared (empty) with the record; the note came later.
		t.Errorf("note added to a source that already existed: %v", e)
	}

	// A file that cannot be read keeps its records: no removal, one loss.
	mark = em.Len()
	write(t, root, "srv/dir/one", strings.Repeat("x", 100))
	write(t, root, "srv/dir/two", "y=1\nBAD\nBAD\n")
	r.WaitStats(t, func(st tracker.Stats) bool { return st.FailingSources == 1 })
	if em.LostCount() != 1 {
		t.Errorf("lost %d, want 1", em.LostCount())
	}
	write(t, root, "srv/dir/one", "x=1\n")
	em.WaitFor(t, mark, "added", key("/srv/dir/two:y"))
	for _, e := range em.Events()[mark:] {
		if e.String(event.FieldAction) == "removed" {
			t.Errorf("a read failure looked like a removal: %v", e)
		}
	}
	r.WaitStats(t, func(st tracker.Stats) bool {
		return st.MalformedLines == 2 && st.FailingSources == 0 && st.ReadErrors > 0
	})
	r.Stop(t)

	// Changes while stopped are reported at the next start.
	write(t, root, "srv/list", "a=9\nuser alice\n")
	if err := os.Remove(filepath.Join(root, "srv/dir/two")); err != nil {
		t.Fatal(err)
	}
	r = trackertest.Start(t, s)
	em = r.Emit
	for _, k := range []string{"/srv/list:c", "/srv/dir/two:y"} {
		if e := em.WaitFor(t, 0, "removed", key(k)); e.String("vigil.offline") != "true" {
			t.Errorf("not offline: %v", e)
		}
	}
	r.Stop(t)
	trackertest.Check(t, "test", em.Events())

	// A state file of another root is not compared: a new baseline.
	other := t.TempDir()
	write(t, other, "srv/list", "z=1\n")
	r = trackertest.Start(t, newSensor(t, other, state))
	r.Stop(t)
	if r.Emit.Len() != 0 {
		t.Errorf("events against another root's state:\n%s", trackertest.Summary(r.Emit.Events()))
	}
}

func TestDuplicateKeys(t *testing.T) {
	root, state := t.TempDir(), filepath.Join(t.TempDir(), "s.json")
	write(t, root, "srv/list", "a=1\n")
	s := newSensor(t, root, state)
	r := trackertest.Start(t, s)
	write(t, root, "srv/list", "a=1\na=1\na=2\n")
	r.Emit.WaitFor(t, 0, "added", key("/srv/list:a#2"))
	r.Emit.WaitFor(t, 0, "added", key("/srv/list:a#3"))
	r.Stop(t)
}

func TestNewNeedsConfig(t *testing.T) {
	if _, err := tracker.New(tracker.Config{Name: "x"}); err == nil {
		t.Error("New without FS, state file and model succeeded")
	}
}

func TestStatsMap(t *testing.T) {
	m := tracker.Stats{MalformedLines: 3, ReadErrors: 2, PassTime: 1500 * time.Millisecond}.Map()
	if m["malformed_lines"] != 3 || m["read_errors"] != 2 || m["pass_time_ms"] != 1500 || len(m) != 12 {
		t.Errorf("Map = %v", m)
	}
}
