package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "container/docker"

// DefaultSockets are the engine sockets looked for, in order, as paths of
// the host.
var DefaultSockets = []string{"/var/run/docker.sock", "/run/docker.sock"}

// Settings are the collector's policy settings.
type Settings struct {
	// Socket is the engine socket's path on the host; empty means the
	// first of DefaultSockets that exists.
	Socket string `json:"socket,omitempty"`
}

// Collector is the container/docker collector.
type Collector struct {
	mu       sync.Mutex
	settings Settings

	malformed atomic.Uint64 // total
	skipped   atomic.Uint64 // of the last run
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Configurer     = (*Collector)(nil)
	_ plugin.Tunable        = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin. Root is not required: a member of
// the socket's group may read it too; a refusal is the run's error.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 10 * time.Minute }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetContainer, event.AssetImage} }

// Counters implements plugin.Counted: malformed_responses (engine answers
// that could not be decoded, total) and skipped_items (containers whose
// inspection failed and items too large to send, in the last run).
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"malformed_responses": c.malformed.Load(),
		"skipped_items":       c.skipped.Load(),
	}
}

// Configure implements plugin.Configurer: a host without an engine socket
// at the default paths does not run Docker, and the collector is skipped.
func (c *Collector) Configure(env plugin.Env) error {
	c.mu.Lock()
	socket := c.settings.Socket
	c.mu.Unlock()
	if _, err := findSocket(env.Root, socket); err != nil {
		return fmt.Errorf("%w: %w", plugin.ErrUnsupported, err)
	}
	return nil
}

// ApplySettings implements plugin.Tunable.
func (c *Collector) ApplySettings(raw json.RawMessage) error {
	var s Settings
	if err := plugin.DecodeSettings(raw, &s); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	if s.Socket != "" && !path.IsAbs(s.Socket) {
		return fmt.Errorf("%s: settings: socket %q is not an absolute path", Name, s.Socket)
	}
	c.mu.Lock()
	c.settings = s
	c.mu.Unlock()
	return nil
}

// findSocket returns the path to dial for the engine socket of the host at
// root: the configured one, or the first default that is a socket.
func findSocket(root, configured string) (string, error) {
	fsys, err := rootfs.New(root)
	if err != nil {
		return "", err
	}
	candidates := DefaultSockets
	if configured != "" {
		candidates = []string{configured}
	}
	for _, p := range candidates {
		r, ok, err := fsys.Resolve(p)
		if err != nil || !ok {
			continue
		}
		host := fsys.Host(r)
		fi, err := os.Stat(host)
		if err == nil && fi.Mode().Type() == fs.ModeSocket {
			return host, nil
		}
	}
	return "", fmt.Errorf("%w: no engine socket at %v", ErrNoEngine, candidates)
}

// Assets implements plugin.AssetCollector.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	c.mu.Lock()
	s := c.settings
	c.mu.Unlock()
	sock, err := findSocket(env.Root, s.Socket)
	if err != nil {
		return nil, err
	}
	hostSock := s.Socket
	if hostSock == "" {
		if fsys, err := rootfs.New(env.Root); err == nil {
			hostSock, _ = fsys.Logical(sock)
		}
	}
	e := newEngine(sock)
	defer e.close()
	assets, st, err := collect(ctx, e, hostSock)
	c.malformed.Add(uint64(st.malformed))
	if err != nil {
		return nil, err
	}
	c.skipped.Store(uint64(st.skipped))
	return assets, nil
}

// runStats counts what one run skipped.
type runStats struct {
	skipped   int // items left out: inspection failed, or invalid item
	malformed int // answers that could not be decoded
}

// collect reads the engine's containers and images. A container whose
// inspection fails is skipped and counted, unless the engine cannot be
// reached any more or every inspection failed: then the run fails.
func collect(ctx context.Context, e *engine, hostSock string) ([]event.Asset, runStats, error) {
	var st runStats
	fail := func(err error) ([]event.Asset, runStats, error) {
		if errors.Is(err, ErrMalformed) {
			st.malformed++
		}
		return nil, st, err
	}
	if _, err := e.negotiate(ctx); err != nil {
		return fail(err)
	}
	list, err := e.containers(ctx)
	if err != nil {
		return fail(err)
	}
	var assets []event.Asset
	var lastErr error
	failed := 0
	for _, s := range list {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		ct, err := e.inspect(ctx, s.ID)
		if err != nil {
			if errors.Is(err, ErrNoEngine) || errors.Is(err, ErrPermission) {
				return fail(err)
			}
			if errors.Is(err, ErrMalformed) {
				st.malformed++
			}
			failed++
			lastErr = err
			continue
		}
		if ct == nil { // removed since the listing
			continue
		}
		a := containerAsset(ct, hostSock)
		if a.Validate() != nil {
			st.skipped++
			continue
		}
		assets = append(assets, a)
	}
	if failed > 0 && failed == len(list) {
		return nil, st, fmt.Errorf("every container's inspection failed, the last: %w", lastErr)
	}
	st.skipped += failed
	images, err := e.images(ctx)
	if err != nil {
		return fail(err)
	}
	for _, im := range images {
		a := imageAsset(im)
		if a.Validate() != nil {
			st.skipped++
			continue
		}
		assets = append(assets, a)
	}
	return assets, st, nil
}
