package kmod

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/pki/securefile"
)

// Snapshot is the module table as saved between runs.
type Snapshot struct {
	Version int    `json:"version"`
	BootID  string `json:"boot_id,omitempty"`
	// SavedAt is when it was written (RFC 3339).
	SavedAt string   `json:"saved_at,omitempty"`
	Modules []Module `json:"modules"`
}

// snapshotVersion is the format of the snapshot file.
const snapshotVersion = 1

// maxSnapshotBytes bounds the snapshot file read at start.
const maxSnapshotBytes = 64 << 20

// DecodeSnapshot parses a snapshot file and checks it.
func DecodeSnapshot(data []byte) (*Snapshot, error) {
	if len(data) > maxSnapshotBytes {
		return nil, fmt.Errorf("snapshot of %d bytes is larger than %d", len(data), maxSnapshotBytes)
	}
	var s Snapshot
	if err := plugin.DecodeStrict(data, &s); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	if s.Version != snapshotVersion {
		return nil, fmt.Errorf("snapshot version %d, want %d", s.Version, snapshotVersion)
	}
	seen := map[string]bool{}
	for _, m := range s.Modules {
		if !validModuleName(m.Name) || seen[m.Name] {
			return nil, fmt.Errorf("snapshot: bad or repeated module name %q", m.Name)
		}
		if strings.Trim(m.Taints, taintLetters) != "" {
			return nil, fmt.Errorf("snapshot: module %s: bad taints %q", m.Name, m.Taints)
		}
		seen[m.Name] = true
	}
	return &s, nil
}

// loadSnapshot reads the snapshot at path; (nil, nil) when there is none.
func loadSnapshot(path string) (*Snapshot, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	return DecodeSnapshot(data)
}

// saveSnapshot writes the modules to path atomically and durably.
func saveSnapshot(path, bootID, savedAt string, mods map[string]Module) error {
	s := Snapshot{Version: snapshotVersion, BootID: bootID, SavedAt: savedAt, Modules: make([]Module, 0, len(mods))}
	for _, m := range mods {
		s.Modules = append(s.Modules, Module{Name: m.Name, Size: m.Size, Address: m.Address, Taints: m.Taints})
	}
	slices.SortFunc(s.Modules, func(a, b Module) int { return strings.Compare(a.Name, b.Name) })
	data, err := json.Marshal(&s)
	if err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	if err := securefile.EnsureDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	if err := securefile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	return nil
}

// moduleDiff compares two module tables. sameRun also tells a module
// unloaded and loaded again between two readings by its new address (an
// address means nothing across a reboot, or when the kernel hides it).
func moduleDiff(old, cur map[string]Module, sameRun bool) (loaded, unloaded []Module) {
	for name, c := range cur {
		o, ok := old[name]
		if ok && sameRun && o.Address != 0 && c.Address != 0 && o.Address != c.Address {
			unloaded = append(unloaded, o)
			ok = false
		}
		if !ok {
			loaded = append(loaded, c)
		}
	}
	for name, o := range old {
		if _, ok := cur[name]; !ok {
			unloaded = append(unloaded, o)
		}
	}
	byName := func(a, b Module) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(loaded, byName)
	slices.SortFunc(unloaded, byName)
	return loaded, unloaded
}
