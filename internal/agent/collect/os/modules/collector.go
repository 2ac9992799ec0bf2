package modules

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/pkgowner"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "os/modules"

// Bounds of the files read.
const (
	maxProcModules = 4 << 20
	maxModulesDep  = 64 << 20
)

// Collector is the os/modules collector.
type Collector struct {
	malformed, indexErrors atomic.Uint64
	noDep                  atomic.Uint64 // 1 when the last run had no modules.dep
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Configurer     = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 30 * time.Minute }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetModule} }

// Counters implements plugin.Counted: malformed_lines (lines of
// /proc/modules and modules.dep skipped, total), missing_modules_dep (1
// when the last run found no modules.dep for the running kernel) and
// package_index_errors.
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"malformed_lines":      c.malformed.Load(),
		"missing_modules_dep":  c.noDep.Load(),
		"package_index_errors": c.indexErrors.Load(),
	}
}

// Configure implements plugin.Configurer: a kernel built without module
// support has no /proc/modules, and nothing to collect.
func (*Collector) Configure(env plugin.Env) error {
	root := env.Root
	if root == "" {
		root = "/"
	}
	if _, err := os.Stat(filepath.Join(root, "proc/modules")); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w: the kernel has no loadable module support (no /proc/modules)", Name, plugin.ErrUnsupported)
	}
	return nil
}

// Assets implements plugin.AssetCollector.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	root := env.Root
	if root == "" {
		root = "/"
	}
	data, err := readLimited(filepath.Join(root, "proc/modules"), maxProcModules)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	mods, probs := ParseProcModules(data)
	c.malformed.Add(uint64(probs.Skipped))

	// The module files of the running kernel, from modules.dep.
	var dep map[string]string
	var modDir string
	if rel, err := readLimited(filepath.Join(root, "proc/sys/kernel/osrelease"), 256); err == nil {
		release := strings.TrimSpace(string(rel))
		modDir = path.Join("/lib/modules", release)
		if release != "" && !strings.Contains(release, "/") {
			if data, err := readLimited(filepath.Join(root, modDir, "modules.dep"), maxModulesDep); err == nil {
				var probs textfile.Problems
				dep, probs = ParseModulesDep(data)
				c.malformed.Add(uint64(probs.Skipped))
			}
		}
	}
	if dep == nil {
		c.noDep.Store(1)
	} else {
		c.noDep.Store(0)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	ix := pkgowner.Current(root, &c.indexErrors)
	out := make([]event.Asset, 0, len(mods))
	seen := map[string]bool{}
	for _, m := range mods {
		if seen[m.Name] {
			continue
		}
		seen[m.Name] = true
		f := event.Event{}
		f.Set("vigil.module.size", m.Size)
		f.Set("vigil.module.state", m.State)
		if m.Taint != "" {
			f.Set("vigil.module.taint", m.Taint)
			f.Set("vigil.module.taint_flags", strs(TaintNames(m.Taint)))
		}
		if dep != nil {
			if rel, ok := dep[m.Name]; ok {
				p := rel
				if !path.IsAbs(p) {
					p = path.Join(modDir, rel)
				}
				f.Set("file.path", p)
				ix.Annotate(f, p)
			} else {
				// Loaded from elsewhere than the kernel's module tree.
				f.Set("vigil.module.in_modules_dep", false)
				if ix != nil {
					f.Set("package.name", pkgowner.None) // no package provides it
				}
			}
		}
		version := ""
		if b, err := readLimited(filepath.Join(root, "sys/module", m.Name, "version"), 256); err == nil {
			version = strings.ToValidUTF8(strings.TrimSpace(string(b)), "\uFFFD")
		}
		out = append(out, event.Asset{Kind: event.AssetModule, Key: m.Name, Name: m.Name, Version: version, Fields: f})
	}
	return out, nil
}

// readLimited reads at most max bytes of a file; more is an error.
func readLimited(p string, max int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: more than %d bytes", p, max)
	}
	return b, nil
}

// strs converts to the []any a decoded JSON document would hold.
func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
