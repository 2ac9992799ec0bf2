package selfguard_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/selfguard"
	"github.com/vigilsec/vigil/internal/event"
)

// chanEmitter hands events to a channel.
type chanEmitter chan event.Event

func (c chanEmitter) Emit(e event.Event) { c <- e }
func (c chanEmitter) Lost(uint64)        {}

// next waits for the next event on path.
func next(t *testing.T, c chanEmitter, path string) event.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-c:
			if e.String(event.FieldFilePath) == path {
				return e
			}
		case <-deadline:
			t.Fatalf("no event on %s", path)
		}
	}
}

func TestSelfguard(t *testing.T) {
	bin, data := t.TempDir(), t.TempDir()
	exe := filepath.Join(bin, "vigil-agent")
	if err := os.WriteFile(exe, []byte("v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := &selfguard.Sensor{Executable: exe}
	if err := s.Configure(plugin.Env{DataDir: data}); err != nil {
		t.Fatal(err)
	}
	if err := plugin.Detect("/").Has(plugin.FeatureInotify); !err {
		t.Skip("no inotify on this host")
	}
	ctx, cancel := context.WithCancel(context.Background())
	emit := make(chanEmitter, 100)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, emit) }()
	time.Sleep(100 * time.Millisecond) // let the watches be placed

	// A sibling of the executable is not the agent's business.
	if err := os.WriteFile(filepath.Join(bin, "other"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Replacing the executable by renaming another file over it.
	tmp := filepath.Join(bin, ".vigil-agent.new")
	if err := os.WriteFile(tmp, []byte("evil"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, exe); err != nil {
		t.Fatal(err)
	}
	e := next(t, emit, exe)
	if e.String(event.FieldAction) != selfguard.ActionChanged || e.String(event.FieldCategory) != "file" ||
		e.String(event.FieldDataset) != "selfguard" {
		t.Errorf("replace: %v", e)
	}
	id := filepath.Join(data, "identity.json")
	if err := os.WriteFile(id, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if e := next(t, emit, id); e.String(event.FieldAction) != selfguard.ActionChanged || e.String(event.FieldDataset) != selfguard.Name ||
		e.String("vigil.selfguard.target") != "data" {
		t.Errorf("identity written: %v", e)
	}
	if err := os.Remove(exe); err != nil {
		t.Fatal(err)
	}
	if e := next(t, emit, exe); e.String(event.FieldAction) != selfguard.ActionRemoved || e.String("vigil.selfguard.target") != "executable" {
		t.Errorf("remove: %v", e)
	}
	for len(emit) > 0 {
		if e := <-emit; e.String(event.FieldFilePath) == filepath.Join(bin, "other") {
			t.Errorf("event on an unrelated file: %v", e)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestConfigureNeedsDataDir(t *testing.T) {
	if err := selfguard.New().Configure(plugin.Env{}); err == nil {
		t.Error("Configure without a data directory: no error")
	}
	if err := selfguard.New().Run(context.Background(), make(chanEmitter)); err == nil {
		t.Error("Run before Configure: no error")
	}
}
