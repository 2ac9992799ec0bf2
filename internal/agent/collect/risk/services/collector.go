package services

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "risk/services"

// parallel bounds the checks that run at the same time (each service's
// attempts are paced on their own).
const parallel = 8

// Collector is the risk/services collector.
type Collector struct {
	// Words, when set, gives the dictionary of common passwords, tried
	// after each product's own defaults and the words of the settings.
	Words func() []string

	mu       sync.Mutex
	settings Settings
	// previous holds the items of each check's scope from the last run,
	// kept for a scope whose check cannot conclude.
	previous map[string][]event.Asset

	probes, refused, skipped, errs atomic.Uint64
	findings                       atomic.Uint64 // of the last run
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Tunable        = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector with the default settings.
func New() *Collector { return &Collector{settings: DefaultSettings()} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: the configuration files read
// (pg_hba.conf, tomcat-users.xml) and the descriptors that tie sockets to
// processes are readable by root only.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 24 * time.Hour }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetWeakPassword} }

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

// Counters implements plugin.Counted: probes (attempts made against
// services, total), refused_connections (total), services_skipped
// (services not probed because they listen only on addresses other than
// loopback, total), errors (checks that could not conclude and files
// that could not be read, total) and findings (items of the last run).
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"probes":              c.probes.Load(),
		"refused_connections": c.refused.Load(),
		"services_skipped":    c.skipped.Load(),
		"errors":              c.errs.Load(),
		"findings":            c.findings.Load(),
	}
}

// check is one unit of a run: the findings of one scope (a service, a
// configuration file). An error means it could not conclude.
type check struct {
	scope string
	run   func(ctx context.Context) ([]finding, error)
}

// run is one collection.
type run struct {
	c   *Collector
	s   Settings
	log *slog.Logger
	// host reads the host's own files.
	host view
	// live is true on the host itself (root "/"): only then are
	// services probed over the network.
	live bool
	d    *discovery
}

// Assets implements plugin.AssetCollector: one item per finding.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	c.mu.Lock()
	s := c.settings
	c.mu.Unlock()
	root := env.Root
	if root == "" {
		root = "/"
	}
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d, err := discover(ctx, root)
	if err != nil {
		c.errs.Add(1)
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	r := &run{c: c, s: s, log: log, host: view{top: root}, live: root == "/", d: d}
	var checks []check
	for _, plan := range []func() []check{
		r.redis, r.mysql, r.postgres, r.ssh, r.tomcat, r.memcached, r.mongodb, r.elasticsearch,
	} {
		checks = append(checks, plan()...)
	}
	results := make([][]finding, len(checks))
	errs := make([]error, len(checks))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, ch := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			results[i], errs[i] = ch.run(ctx)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.previous
	c.previous = map[string][]event.Asset{}
	var out []event.Asset
	seen := map[string]bool{}
	for i, ch := range checks {
		var items []event.Asset
		if errs[i] != nil {
			c.errs.Add(1)
			log.Warn("check could not conclude; its previous findings are kept", "check", ch.scope, "error", errs[i])
			items = prev[ch.scope]
		} else {
			for _, f := range results[i] {
				items = append(items, f.asset())
			}
		}
		if _, dup := c.previous[ch.scope]; !dup {
			c.previous[ch.scope] = items
		}
		for _, a := range items {
			if !seen[a.Key] {
				seen[a.Key] = true
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, func(a, b event.Asset) int { return cmp.Compare(a.Key, b.Key) })
	c.findings.Store(uint64(len(out)))
	return out, nil
}

// skip counts and logs a service not probed because it listens only on
// addresses other than loopback.
func (r *run) skip(in *instance) {
	r.c.skipped.Add(1)
	r.log.Info("service not probed: it listens on no loopback or wildcard address",
		"product", in.name, "pid", in.pid, "listen", addrStrings(in.tcp, "tcp"))
}

// targets returns the loopback addresses to probe a service at, one per
// port (preferred ports first, avoided ones left out); when it has TCP
// listeners but none reachable on loopback it is counted as skipped.
func (r *run) targets(in *instance, preferred []uint16, avoid ...uint16) []netip.AddrPort {
	var out []netip.AddrPort
	for _, p := range ports(in.tcp, preferred, avoid...) {
		if a, ok := loopbackTarget(in.tcp, p); ok {
			out = append(out, a)
		}
	}
	if len(out) == 0 && len(in.tcp) > 0 {
		r.skip(in)
	}
	return out
}

// errorf counts a problem that does not stop a check (an unreadable
// file) and logs it.
func (r *run) errorf(msg string, args ...any) {
	r.c.errs.Add(1)
	r.log.Warn(msg, args...)
}

// isNotExist reports whether err says a file is missing.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
