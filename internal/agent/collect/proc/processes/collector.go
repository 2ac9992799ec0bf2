package processes

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/pkgowner"
	"github.com/vigilsec/vigil/internal/agent/collect/net/listeners"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
	"github.com/vigilsec/vigil/internal/agent/proctable/userdb"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "proc/processes"

// Defaults and bounds of the settings.
const (
	DefaultMinAge     = 60 * time.Second
	maxMinAge         = 24 * time.Hour
	defaultHashMaxMiB = 64
	// hashBudget bounds the time one run waits for hashes; the ones not
	// ready are left out and come with a later run.
	hashBudget = 2 * time.Minute
)

// Settings are the collector's policy settings (see the package doc).
type Settings struct {
	MinAge     *plugin.Duration `json:"min_age,omitempty"`
	Hash       *bool            `json:"hash,omitempty"`
	HashMaxMiB int              `json:"hash_max_mib,omitempty"`
}

// config is the settings with the defaults applied.
type config struct {
	minAge     time.Duration
	hash       bool
	hashMaxMiB int
}

// Collector is the proc/processes collector.
type Collector struct {
	mu        sync.Mutex
	cfg       config
	hasher    *exehash.Hasher
	users     *userdb.DB
	usersRoot string

	unreadable, noExe atomic.Uint64 // of the last run
	indexErrors       atomic.Uint64
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Tunable        = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector with the default settings.
func New() *Collector {
	c := &Collector{}
	if err := c.ApplySettings(nil); err != nil {
		panic(err) // the defaults are valid
	}
	return c
}

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: other users' executables and
// descriptors can be read by root only.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 10 * time.Minute }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetProcess} }

// Counters implements plugin.Counted (see the package doc).
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"unreadable_processes":   c.unreadable.Load(),
		"unreadable_executables": c.noExe.Load(),
		"package_index_errors":   c.indexErrors.Load(),
	}
}

// ApplySettings implements plugin.Tunable.
func (c *Collector) ApplySettings(raw json.RawMessage) error {
	var s Settings
	if err := plugin.DecodeSettings(raw, &s); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	cfg := config{minAge: DefaultMinAge, hash: true, hashMaxMiB: defaultHashMaxMiB}
	if s.MinAge != nil {
		cfg.minAge = time.Duration(*s.MinAge)
		if cfg.minAge < 0 || cfg.minAge > maxMinAge {
			return fmt.Errorf("%s: settings: min_age %v: want 0s to %v", Name, cfg.minAge, maxMinAge)
		}
	}
	if s.Hash != nil {
		cfg.hash = *s.Hash
	}
	if s.HashMaxMiB != 0 {
		if s.HashMaxMiB < 1 || s.HashMaxMiB > 4096 {
			return fmt.Errorf("%s: settings: hash_max_mib %d: want 1 to 4096", Name, s.HashMaxMiB)
		}
		cfg.hashMaxMiB = s.HashMaxMiB
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg = cfg
	if c.hasher == nil {
		c.hasher = exehash.New(exehash.Config{MaxSize: int64(cfg.hashMaxMiB) << 20})
	} else {
		c.hasher.SetMaxSize(int64(cfg.hashMaxMiB) << 20)
	}
	return nil
}

// Assets implements plugin.AssetCollector.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	root := env.Root
	if root == "" {
		root = "/"
	}
	c.mu.Lock()
	cfg, hasher := c.cfg, c.hasher
	if c.users == nil || c.usersRoot != root {
		c.users, c.usersRoot = userdb.New(root), root
	}
	users := c.users
	c.mu.Unlock()

	procDir := filepath.Join(root, "proc")
	uptime, err := readUptime(procDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	pids, err := listeners.ListPIDs(procDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	ports, err := listeners.Scan(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("%s: listening ports: %w", Name, err)
	}
	all := map[int]*proc{}
	var unreadable, noExe uint64
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", Name, err)
		}
		p, err := readProc(procDir, pid)
		switch {
		case err == errSkip || err != nil && gone(err):
			continue
		case err != nil:
			unreadable++
			continue
		}
		all[pid] = p
	}
	minTicks := uint64(cfg.minAge / (time.Second / procid.TicksPerSecond))
	groups := map[string]*group{}
	for _, p := range all {
		if p.startTicks > uptime || uptime-p.startTicks < minTicks {
			continue
		}
		if p.exe == "" {
			noExe++
		}
		id := identityOf(p, all, users)
		g, ok := groups[id.key]
		if !ok {
			g = &group{id: id}
			groups[id.key] = g
		}
		g.members = append(g.members, p)
	}
	c.unreadable.Store(unreadable)
	c.noExe.Store(noExe)

	if cfg.hash {
		hashAll(ctx, hasher, procDir, groups)
	}
	ix := pkgowner.Current(root, &c.indexErrors)
	out := make([]event.Asset, 0, len(groups))
	for _, g := range groups {
		f := g.fields(ports)
		if g.id.container != "" {
			f.Set("container.id", g.id.container)
		} else if g.id.exe != "" {
			ix.Annotate(f, g.id.exe)
		}
		out = append(out, event.Asset{Kind: event.AssetProcess, Key: g.id.key, Name: g.id.comm, Fields: f})
	}
	slices.SortFunc(out, func(a, b event.Asset) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

// identity is what makes processes one item: the container, executable,
// effective user, command name, arguments and parent (executable and
// command name).
type identity struct {
	key                   string
	container, exe, user  string
	uid                   uint32
	comm                  string
	args                  []string
	truncated             bool
	parentExe, parentComm string
}

// maxKeyExe bounds the executable's part of a key (the hash stands for
// the whole identity).
const maxKeyExe = 900

func identityOf(p *proc, all map[int]*proc, users *userdb.DB) identity {
	id := identity{container: p.container, exe: p.exe, uid: p.euid, comm: p.comm, args: p.args, truncated: p.truncated}
	id.user = users.UserName(p.euid)
	if parent, ok := all[p.ppid]; ok {
		id.parentExe, id.parentComm = parent.exe, parent.comm
	}
	h := sha256.New()
	for _, s := range []string{id.container, id.exe, strconv.FormatUint(uint64(id.uid), 10), id.comm,
		id.parentExe, id.parentComm, strconv.Itoa(len(id.args))} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, a := range id.args {
		h.Write([]byte(a))
		h.Write([]byte{0})
	}
	who := id.user
	if who == "" {
		who = strconv.FormatUint(uint64(id.uid), 10)
	}
	what := id.exe
	if what == "" {
		what = "[" + id.comm + "]"
	}
	if len(what) > maxKeyExe {
		what = strings.ToValidUTF8(what[:maxKeyExe], "")
	}
	id.key = who + "@" + what + "#" + hex.EncodeToString(h.Sum(nil))[:16]
	return id
}

// group is the processes of one item.
type group struct {
	id      identity
	members []*proc
	sha256  string
}

// first returns the member that speaks for the group: the one that
// started first, then the lowest pid.
func (g *group) first() *proc {
	return slices.MinFunc(g.members, func(a, b *proc) int {
		if c := cmp.Compare(a.startTicks, b.startTicks); c != 0 {
			return c
		}
		return cmp.Compare(a.pid, b.pid)
	})
}

// fields returns the item's fields but the package and container.
func (g *group) fields(ports *listeners.Snapshot) event.Event {
	f := event.Event{}
	p := g.first()
	f.Set("process.name", g.id.comm)
	if g.id.exe != "" {
		f.Set("process.executable", g.id.exe)
		if p.deleted {
			f.Set("vigil.process.executable_deleted", true)
		}
	}
	if len(g.id.args) > 0 {
		args := make([]any, len(g.id.args))
		for i, a := range g.id.args {
			args[i] = a
		}
		f.Set("process.args", args)
		f.Set("process.command_line", strings.Join(g.id.args, " "))
	}
	if g.id.truncated {
		f.Set("vigil.process.args_truncated", true)
	}
	if g.id.parentExe != "" {
		f.Set("process.parent.executable", g.id.parentExe)
	}
	if g.id.parentComm != "" {
		f.Set("process.parent.name", g.id.parentComm)
	}
	f.Set("user.id", strconv.FormatUint(uint64(g.id.uid), 10))
	if g.id.user != "" {
		f.Set("user.name", g.id.user)
	}
	if g.sha256 != "" {
		f.Set("process.hash.sha256", g.sha256)
	}
	var listening []string
	for _, m := range g.members {
		listening = append(listening, ports.Ports(m.pid)...)
	}
	if len(listening) > 0 {
		slices.Sort(listening)
		listening = slices.Compact(listening)
		l := make([]any, len(listening))
		for i, s := range listening {
			l[i] = s
		}
		f.Set("vigil.process.listening", l)
	}
	return f
}

// hashAll sets the hash of each group's first member's executable, one
// file at a time (the hasher caches each version of a file), within
// hashBudget and ctx.
func hashAll(ctx context.Context, h *exehash.Hasher, procDir string, groups map[string]*group) {
	deadline := time.Now().Add(hashBudget)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	// The groups sorted, so that a run cut short hashes the same ones.
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		g := groups[k]
		p := g.first()
		if !p.key.Valid() {
			continue
		}
		exePath := filepath.Join(procDir, strconv.Itoa(p.pid), "exe")
		r := h.Hash(p.key, exePath)
		select {
		case <-r.Done():
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		}
		if sum, st := r.Sum(); st == exehash.StatusOK {
			g.sha256 = sum
		}
	}
}
