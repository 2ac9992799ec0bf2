package sysctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "os/sysctl"

// Bounds.
const (
	maxExtraKeys = 256
	maxKeyLen    = 256
	// maxValue bounds a value read (real ones are under 100 bytes; a few
	// tables are longer and are cut).
	maxValue = 4096
)

// Settings are the collector's policy settings: extra_keys, a list of
// parameters to collect besides DefaultKeys, in sysctl's notation
// ("net.ipv4.conf.eth0.rp_filter", or with '/' as separator) where '*'
// matches within one component ("net.ipv4.conf.*.rp_filter").
type Settings struct {
	ExtraKeys []string `json:"extra_keys,omitempty"`
}

// Collector is the os/sysctl collector.
type Collector struct {
	mu    sync.Mutex
	extra []string // paths below /proc/sys

	unreadable atomic.Uint64 // of the last run
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Tunable        = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: some parameters (fs.protected_*)
// can be read by root only.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 30 * time.Minute }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetSysctl} }

// Counters implements plugin.Counted: unreadable_keys, the parameters of
// the last run that exist but could not be read.
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{"unreadable_keys": c.unreadable.Load()}
}

// ApplySettings implements plugin.Tunable.
func (c *Collector) ApplySettings(raw json.RawMessage) error {
	var s Settings
	if err := plugin.DecodeSettings(raw, &s); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	if len(s.ExtraKeys) > maxExtraKeys {
		return fmt.Errorf("%s: settings: %d extra_keys, at most %d", Name, len(s.ExtraKeys), maxExtraKeys)
	}
	var extra []string
	for _, k := range s.ExtraKeys {
		p, err := KeyPath(k)
		if err != nil {
			return fmt.Errorf("%s: settings: extra_keys: %w", Name, err)
		}
		extra = append(extra, p)
	}
	c.mu.Lock()
	c.extra = extra
	c.mu.Unlock()
	return nil
}

// Assets implements plugin.AssetCollector.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	root := env.Root
	if root == "" {
		root = "/"
	}
	procSys := filepath.Join(root, "proc", "sys")
	if _, err := os.Stat(procSys); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	c.mu.Lock()
	paths := make([]string, 0, len(DefaultKeys)+len(c.extra))
	for _, k := range DefaultKeys {
		p, _ := KeyPath(k)
		paths = append(paths, p)
	}
	paths = append(paths, c.extra...)
	c.mu.Unlock()

	var files []string
	for _, p := range paths {
		if !strings.Contains(p, "*") {
			files = append(files, p)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(procSys, filepath.FromSlash(p)))
		if err != nil {
			continue // KeyPath admits no bad pattern
		}
		for _, m := range matches {
			if rel, err := filepath.Rel(procSys, m); err == nil {
				files = append(files, filepath.ToSlash(rel))
			}
		}
	}
	slices.Sort(files)
	files = slices.Compact(files)
	var unreadable uint64
	out := make([]event.Asset, 0, len(files))
	for _, p := range files {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", Name, err)
		}
		b, err := readValue(filepath.Join(procSys, filepath.FromSlash(p)))
		if errors.Is(err, fs.ErrNotExist) {
			continue // this kernel lacks it
		}
		if err != nil {
			unreadable++
			continue
		}
		key := PathKey(p)
		f := event.Event{}
		f.Set("vigil.sysctl.value", ParseValue(b))
		out = append(out, event.Asset{Kind: event.AssetSysctl, Key: key, Name: key, Fields: f})
	}
	c.unreadable.Store(unreadable)
	return out, nil
}

// readValue reads a parameter; a directory is no parameter (ErrNotExist).
func readValue(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory: %w", p, fs.ErrNotExist)
	}
	return io.ReadAll(io.LimitReader(f, maxValue))
}

// ParseValue returns a parameter's value as sysctl shows it, with each
// run of blanks and line breaks made one space (the kernel separates the
// numbers of some parameters with tabs) and invalid UTF-8 replaced.
func ParseValue(b []byte) string {
	return strings.ToValidUTF8(strings.Join(strings.Fields(string(b)), " "), "\uFFFD")
}

// KeyPath turns a parameter's name into its path below /proc/sys, as
// sysctl does: in the dotted form ("net.ipv4.conf.eth0/100.rp_filter") a
// '/' stands for a '.' in a component; a name whose first separator is
// '/' is a path already. '*' may stand for any part of a component.
func KeyPath(name string) (string, error) {
	if name == "" || len(name) > maxKeyLen {
		return "", fmt.Errorf("parameter name of %d bytes", len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '/' || c == '_' || c == '-' || c == '*' || c == ':' || c == '@' || c == '+') {
			return "", fmt.Errorf("parameter name %q: character %q", name, c)
		}
	}
	p := name
	if i := strings.IndexAny(name, "./"); i >= 0 && name[i] == '.' {
		p = strings.Map(func(r rune) rune {
			switch r {
			case '.':
				return '/'
			case '/':
				return '.'
			}
			return r
		}, name)
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." {
			return "", fmt.Errorf("parameter name %q: empty or relative component", name)
		}
	}
	return p, nil
}

// PathKey turns a path below /proc/sys into the parameter's dotted name
// (the inverse of KeyPath): dots inside a component become '/'.
func PathKey(p string) string {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		parts[i] = strings.ReplaceAll(part, ".", "/")
	}
	return strings.Join(parts, ".")
}
