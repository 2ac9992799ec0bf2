// Package libraries is the app/libraries collector: the language
// libraries (PyPI, npm, Maven, Go modules, gems, Composer, Cargo, NuGet)
// that the host's running applications carry, and those under the
// folders the policy names (web roots, application folders), as inventory
// items of kind library.
//
// The folders come from the running processes (their executable and its
// folder, their working directory, a Java process's archives, class path
// and servlet container folders, a Python process's virtual environment
// and script folder, a Node.js process's application folder) and from
// the roots setting. vigil-scan walks them with osv-scalibr's extractors
// as a child process: the archives it opens are the attacker's to shape,
// and the agent links no extractor.
//
// A library is keyed "<type>:<name>@<version>:<path>": the same library
// in two places is two items, since each needs its own fix. The path
// names archives inside archives with "!/"
// (/srv/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar).
package libraries

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/runner"
)

// Name is the collector's name.
const Name = "app/libraries"

// MaxSettingRoots is the most roots the settings may name.
const MaxSettingRoots = 64

// Settings are the collector's policy settings.
type Settings struct {
	// Roots are more files and folders to scan, absolute: web roots,
	// application folders.
	Roots []string `json:"roots,omitempty"`
	// Processes: scan the folders of the running applications (default
	// true).
	Processes bool `json:"processes"`
	// Timeout is the scan's time limit ("4m").
	Timeout plugin.Duration `json:"timeout,omitempty"`
	// MaxFiles bounds the files and folders one scan visits.
	MaxFiles int `json:"max_files,omitempty"`
	// MaxFileSize: larger files are not read (bytes).
	MaxFileSize int64 `json:"max_file_size,omitempty"`
}

// DefaultSettings returns the settings used when the policy sets none.
func DefaultSettings() Settings {
	return Settings{Processes: true, Timeout: plugin.Duration(4 * time.Minute), MaxFiles: 500_000, MaxFileSize: 512 << 20}
}

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
	if s.MaxFiles < 1 || s.MaxFiles > 10_000_000 {
		return Settings{}, fmt.Errorf("%s: settings: max_files %d is not between 1 and 10000000", Name, s.MaxFiles)
	}
	if s.MaxFileSize < 1<<20 || s.MaxFileSize > 16<<30 {
		return Settings{}, fmt.Errorf("%s: settings: max_file_size %d is not between 1 MiB and 16 GiB", Name, s.MaxFileSize)
	}
	if len(s.Roots) > MaxSettingRoots {
		return Settings{}, fmt.Errorf("%s: settings: %d roots, more than %d", Name, len(s.Roots), MaxSettingRoots)
	}
	for _, r := range s.Roots {
		if !path.IsAbs(r) || path.Clean(r) != r {
			return Settings{}, fmt.Errorf("%s: settings: root %q is not a clean absolute path", Name, r)
		}
	}
	return s, nil
}

// Collector lists the language libraries of the host's applications.
type Collector struct {
	// Scanner, when set, is the vigil-scan executable, ahead of the
	// settings and of the one next to the agent (tests).
	Scanner string
	// DiscoverWebRoots, when set, finds the document roots of the host's
	// web sites, which are scanned too when the processes setting is on
	// (a WAR deployed in Tomcat's appBase, a PHP site's vendor folder).
	DiscoverWebRoots func(ctx context.Context, env plugin.Env) ([]string, error)

	mu       sync.Mutex
	settings Settings
	found    string

	stats                            runner.Stats
	otherNS, dropped, missing, roots atomic.Uint64
	webRootErrors                    atomic.Uint64
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

// Requirements implements plugin.Plugin: it reads every process's
// folders and files, which takes root.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 6 * time.Hour }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetLibrary} }

// Configure implements plugin.Configurer: the scanner must be there.
func (c *Collector) Configure(plugin.Env) error {
	p, err := runner.Locate(c.Scanner)
	if err != nil {
		return fmt.Errorf("%s: %w (install %s next to the agent): %w",
			Name, err, runner.ExecutableName, plugin.ErrUnsupported)
	}
	c.mu.Lock()
	c.found = p
	c.mu.Unlock()
	return nil
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
func (c *Collector) Counters() map[string]uint64 {
	m := c.stats.Counters()
	m["processes_other_namespace"] = c.otherNS.Load()
	m["roots_dropped"] = c.dropped.Load()
	m["roots_missing"] = c.missing.Load()
	m["roots"] = c.roots.Load()
	m["web_root_errors"] = c.webRootErrors.Load()
	return m
}

// Roots returns the paths a run scans under root: the settings' roots
// and, when enabled, the running applications' folders.
func (c *Collector) Roots(root string) []string {
	c.mu.Lock()
	s := c.settings
	c.mu.Unlock()
	paths := append([]string(nil), s.Roots...)
	if s.Processes {
		found, st := Discover(root)
		c.otherNS.Add(uint64(st.OtherNamespace))
		c.dropped.Add(uint64(st.Dropped))
		paths = append(paths, found...)
	}
	paths = Prune(paths)
	if len(paths) > MaxRoots+MaxSettingRoots {
		c.dropped.Add(uint64(len(paths) - MaxRoots - MaxSettingRoots))
		paths = paths[:MaxRoots+MaxSettingRoots]
	}
	return paths
}

// Assets implements plugin.AssetCollector.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	c.mu.Lock()
	s, found := c.settings, c.found
	c.mu.Unlock()
	scanner, err := runner.Choose(c.Scanner, found)
	if err != nil {
		c.stats.Failed()
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	root := runner.AbsRoot(env.Root)
	paths := c.Roots(root)
	if s.Processes && c.DiscoverWebRoots != nil {
		if web, err := c.DiscoverWebRoots(ctx, env); err == nil {
			paths = Prune(append(paths, web...))
		} else {
			c.webRootErrors.Add(1)
		}
	}
	c.roots.Store(uint64(len(paths)))
	if len(paths) == 0 {
		return nil, nil // no application running, no root set: nothing to list
	}
	timeout := time.Duration(s.Timeout)
	args := []string{"libraries", "--root", root, "--timeout", timeout.String(),
		"--max-files", strconv.Itoa(s.MaxFiles), "--max-file-size", strconv.FormatInt(s.MaxFileSize, 10)}
	for _, p := range paths {
		args = append(args, "--path", p)
	}
	r := runner.Runner{Path: scanner, Timeout: timeout}
	res, err := r.Run(ctx, args, c.Kinds())
	if err == nil && res.Summary.Command != "libraries" {
		err = fmt.Errorf("scanner answered for %q, not libraries", res.Summary.Command)
	}
	c.stats.Record(res, err, env.Logger, Name)
	c.missing.Add(uint64(max(res.Summary.Skipped["missing_root"], 0)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	if res.Summary.Errors > 0 && len(res.Summary.ErrorSamples) > 0 && env.Logger != nil {
		env.Logger.Info("library scan: files not read", "plugin", Name, "errors", res.Summary.Errors,
			"first", res.Summary.ErrorSamples[0].Path, "err", res.Summary.ErrorSamples[0].Error)
	}
	assets, dups := runner.Unique(res.Assets)
	c.stats.Invalid(dups)
	return assets, nil
}
