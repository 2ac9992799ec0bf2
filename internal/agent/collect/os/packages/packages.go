// Package packages is the os/packages collector: the host's OS packages
// (dpkg, rpm, apk) as inventory items of kind package. It runs vigil-scan,
// which reads the package databases with osv-scalibr's extractors, as a
// child process, so that the agent links no extractor.
//
// A Debian package is keyed "deb:<name>:<architecture>", so that the
// packages of several architectures differ; its version is the one
// dpkg-query prints for ${Version}. Every package dpkg-query -W lists is
// an item, including those removed with their configuration files kept
// (package.install_status "config-files").
package packages

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/protocol"
	"github.com/vigilsec/vigil/internal/scan/runner"
)

// Name is the collector's name.
const Name = "os/packages"

// Settings are the collector's policy settings.
type Settings struct {
	// Timeout is the scan's time limit ("2m").
	Timeout plugin.Duration `json:"timeout,omitempty"`
}

// DefaultSettings returns the settings used when the policy sets none.
func DefaultSettings() Settings { return Settings{Timeout: plugin.Duration(2 * time.Minute)} }

// ParseSettings decodes and checks settings; empty raw gives the
// defaults, fields not given keep their defaults.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	s := DefaultSettings()
	if err := plugin.DecodeSettings(raw, &s); err != nil {
		return Settings{}, fmt.Errorf("%s: %w", Name, err)
	}
	if err := runner.CheckSettings(s.Timeout); err != nil {
		return Settings{}, fmt.Errorf("%s: settings: %w", Name, err)
	}
	return s, nil
}

// Collector lists the host's OS packages.
type Collector struct {
	// Scanner, when set, is the vigil-scan executable, ahead of the
	// settings and of the one next to the agent (tests).
	Scanner string

	mu       sync.Mutex
	settings Settings
	found    string // the scanner Configure found

	stats runner.Stats
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Configurer     = (*Collector)(nil)
	_ plugin.Tunable        = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{settings: DefaultSettings()} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: it reads the package databases,
// some of which only root may read.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return time.Hour }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetPackage} }

// Configure implements plugin.Configurer: the host must have a package
// database this collector reads, and the scanner must be there.
func (c *Collector) Configure(env plugin.Env) error {
	if db := FindDatabase(env.Root); db == "" {
		return fmt.Errorf("%s: no dpkg, rpm or apk database under %s: %w", Name, runner.AbsRoot(env.Root), plugin.ErrUnsupported)
	}
	path, err := runner.Locate(c.Scanner)
	if err != nil {
		return fmt.Errorf("%s: %w (install %s next to the agent): %w",
			Name, err, runner.ExecutableName, plugin.ErrUnsupported)
	}
	c.mu.Lock()
	c.found = path
	c.mu.Unlock()
	return nil
}

// FindDatabase returns the first package database under root (relative
// path), or "" when there is none.
func FindDatabase(root string) string {
	if root == "" {
		root = "/"
	}
	for _, db := range protocol.PackageDatabases {
		if fi, err := os.Stat(filepath.Join(root, db.Path)); err == nil && fi.IsDir() == db.Dir {
			return db.Path
		}
	}
	return ""
}

// ApplySettings implements plugin.Tunable.
func (c *Collector) ApplySettings(raw json.RawMessage) error {
	s, err := ParseSettings(raw)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.settings = s
	c.mu.Unlock()
	return nil
}

// Counters implements plugin.Counted.
func (c *Collector) Counters() map[string]uint64 { return c.stats.Counters() }

// Assets implements plugin.AssetCollector.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	c.mu.Lock()
	s, found := c.settings, c.found
	c.mu.Unlock()
	path, err := runner.Choose(c.Scanner, found)
	if err != nil {
		c.stats.Failed()
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	timeout := time.Duration(s.Timeout)
	r := runner.Runner{Path: path, Timeout: timeout}
	res, err := r.Run(ctx, []string{"packages", "--root", runner.AbsRoot(env.Root), "--timeout", timeout.String()}, c.Kinds())
	switch {
	case err != nil:
	case res.Summary.Command != "packages":
		err = fmt.Errorf("scanner answered for %q, not packages", res.Summary.Command)
	case len(res.Summary.Sources) == 0:
		// Configure found a database: its disappearance is no reason to
		// report every package removed.
		err = errors.New("no package database found")
	}
	c.stats.Record(res, err, env.Logger, Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	assets, dups := runner.Unique(res.Assets)
	c.stats.Invalid(dups)
	return assets, nil
}
