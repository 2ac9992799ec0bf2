package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/runner"
)

// Name is the collector's name.
const Name = "risk/accounts"

// command is vigil-scan's command this collector runs.
const command = "passwords"

// Limits of the settings.
const (
	// MaxWords bounds the settings' extra words.
	MaxWords = 10_000
	// MaxWordBytes bounds one extra word (as vigil-scan's word lists).
	MaxWordBytes = 128
)

// Files in the collector's state folder.
const (
	stateFile = "state.json"
	// wordsFile holds the settings' words; vigil-scan names the list
	// after it ("list:policy").
	wordsFile = "policy.txt"
)

// Settings are the collector's policy settings.
type Settings struct {
	// Words are tried after the built-in list.
	Words []string `json:"words,omitempty"`
	// CPU is the fraction of one core the hashing may use on average.
	CPU float64 `json:"cpu,omitempty"`
	// Timeout is the scan's time limit ("4m").
	Timeout plugin.Duration `json:"timeout,omitempty"`
}

// DefaultSettings returns the settings used when the policy sets none.
func DefaultSettings() Settings {
	return Settings{CPU: 0.25, Timeout: plugin.Duration(runner.MaxTimeout)}
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
	if !(s.CPU > 0 && s.CPU <= 1) {
		return Settings{}, fmt.Errorf("%s: settings: cpu %v is not a fraction above 0 and at most 1", Name, s.CPU)
	}
	if len(s.Words) > MaxWords {
		return Settings{}, fmt.Errorf("%s: settings: %d words, at most %d", Name, len(s.Words), MaxWords)
	}
	for i, w := range s.Words {
		switch {
		case w == "" || strings.ContainsAny(w, "\x00\r\n"):
			return Settings{}, fmt.Errorf("%s: settings: words[%d] is empty or holds NUL, carriage return or newline", Name, i)
		case len(w) > MaxWordBytes:
			return Settings{}, fmt.Errorf("%s: settings: words[%d] has %d bytes, at most %d", Name, i, len(w), MaxWordBytes)
		}
	}
	return s, nil
}

// Collector reports the accounts with weak passwords.
type Collector struct {
	// Scanner, when set, is the vigil-scan executable, ahead of the one
	// next to the agent (tests).
	Scanner string

	mu       sync.Mutex
	settings Settings
	found    string // the scanner Configure found

	stats   runner.Stats
	partial atomic.Uint64
	pending atomic.Uint64
	hashes  atomic.Uint64
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

// Requirements implements plugin.Plugin: /etc/shadow is readable by root
// only.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 24 * time.Hour }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetWeakPassword} }

// Configure implements plugin.Configurer: the host must have
// /etc/passwd, and the scanner must be there.
func (c *Collector) Configure(env plugin.Env) error {
	root := runner.AbsRoot(env.Root)
	if _, err := os.Stat(filepath.Join(root, "etc", "passwd")); err != nil {
		return fmt.Errorf("%s: no account database under %s: %w", Name, root, plugin.ErrUnsupported)
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
	m["partial_scans"] = c.partial.Load()
	m["pending_accounts"] = c.pending.Load()
	m["hashes"] = c.hashes.Load()
	return m
}

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
	dir, err := stateDir(env.DataDir)
	if err != nil {
		c.stats.Failed()
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	timeout := time.Duration(s.Timeout)
	args := []string{command, "--root", runner.AbsRoot(env.Root), "--timeout", timeout.String(),
		"--cpu", strconv.FormatFloat(s.CPU, 'g', -1, 64)}
	if dir != "" {
		args = append(args, "--state", filepath.Join(dir, stateFile))
	}
	list, cleanup, err := writeWords(dir, s.Words)
	if err != nil {
		c.stats.Failed()
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	defer cleanup()
	if list != "" {
		args = append(args, "--words", list)
	}

	r := runner.Runner{Path: path, Timeout: timeout}
	res, err := r.Run(ctx, args, c.Kinds())
	partial := false
	switch {
	case err != nil && dir != "" && ctx.Err() == nil && cutByTimeLimit(res):
		// The state keeps the progress: what is known is reported,
		// the rest is checked at the next runs.
		partial, err = true, nil
	case err != nil:
	case res.Summary.Command != command:
		err = fmt.Errorf("scanner answered for %q, not %s", res.Summary.Command, command)
	case res.Summary.Passwords == nil:
		err = errors.New("scanner summary without password counts")
	}
	c.stats.Record(res, err, env.Logger, Name)
	if p := res.Summary.Passwords; p != nil {
		c.hashes.Add(uint64(max(p.Hashes, 0)))
		c.pending.Store(uint64(max(p.Pending, 0)))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	if partial {
		c.partial.Add(1)
		if env.Logger != nil {
			env.Logger.Info("password check continues at the next run", "plugin", Name,
				"pending_accounts", res.Summary.Passwords.Pending, "reason", res.Summary.Reason)
		}
	}
	assets, dups := runner.Unique(res.Assets)
	c.stats.Invalid(dups)
	return assets, nil
}

// cutByTimeLimit reports whether a failed run is a passwords scan that
// stopped at its time limit with its stream intact: every line it
// counted arrived and read.
func cutByTimeLimit(res runner.Result) bool {
	sum := res.Summary
	return sum.Command == command && !sum.Complete && sum.Passwords != nil && sum.Passwords.Pending > 0 &&
		strings.HasPrefix(sum.Reason, "time limit") && res.Read.Lines == sum.Assets && res.Read.Malformed == 0
}

// stateDir returns the collector's state folder under the data
// directory, made with mode 0700, or "" without a data directory.
func stateDir(dataDir string) (string, error) {
	if dataDir == "" {
		return "", nil
	}
	dir := filepath.Join(dataDir, "state", filepath.FromSlash(Name))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("state folder: %w", err)
	}
	return dir, nil
}

// writeWords writes the settings' words, one a line, mode 0600, into dir
// (a temporary file without one) and returns its path ("" for no words)
// and what removes a temporary file.
func writeWords(dir string, words []string) (string, func(), error) {
	nothing := func() {}
	if len(words) == 0 {
		if dir != "" {
			if err := os.Remove(filepath.Join(dir, wordsFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", nothing, fmt.Errorf("word list: %w", err)
			}
		}
		return "", nothing, nil
	}
	data := []byte(strings.Join(words, "\n") + "\n")
	if dir != "" {
		path := filepath.Join(dir, wordsFile)
		if err := writeFile(path, data); err != nil {
			return "", nothing, err
		}
		return path, nothing, nil
	}
	tmpDir, err := os.MkdirTemp("", "vigil-words-")
	if err != nil {
		return "", nothing, fmt.Errorf("word list: %w", err)
	}
	path := filepath.Join(tmpDir, wordsFile)
	if err := writeFile(path, data); err != nil {
		os.RemoveAll(tmpDir)
		return "", nothing, err
	}
	return path, func() { os.RemoveAll(tmpDir) }, nil
}

// writeFile replaces path with data, mode 0600.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("word list: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("word list: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("word list: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("word list: %w", err)
	}
	return nil
}
