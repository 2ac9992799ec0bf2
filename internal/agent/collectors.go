package agent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/invsync"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/event"
	"google.golang.org/protobuf/proto"
)

// firstRunSpread spreads the first runs of the collectors over this
// time, so that they do not all start at once.
const firstRunSpread = 2 * time.Second

// collectorRunner schedules one collector.
type collectorRunner struct {
	runner
	c        plugin.Collector
	interval time.Duration // under the agent's supMu
	runMu    sync.Mutex    // one run at a time: schedule and commands
	inv      atomic.Pointer[invsync.Syncer]
}

// startCollector starts the collector's schedule; supMu is held.
func (a *Agent) startCollector(ctx context.Context, r *collectorRunner) {
	ctx, cancel := context.WithCancel(ctx)
	r.cancel, r.done = cancel, make(chan struct{})
	a.status.set(r.st, StateIdle, "")
	interval := r.interval
	go func() {
		defer close(r.done)
		wait := rand.N(firstRunSpread)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			// Over budget, scheduled runs wait until the agent is under it.
			if err := a.gov.Wait(ctx); err != nil {
				return
			}
			_, _ = a.collect(ctx, r)
			wait = interval
		}
	}()
}

// collect runs the collector once: an event collector's events are
// spooled, an asset collector's inventory is synchronised with the center.
// It returns a summary of the run (the collect command's output).
func (a *Agent) collect(ctx context.Context, r *collectorRunner) (map[string]any, error) {
	r.runMu.Lock()
	defer r.runMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, collectTimeout)
	defer cancel()
	a.status.set(r.st, StateRunning, "")
	var (
		out map[string]any
		err error
	)
	switch c := r.c.(type) {
	case plugin.AssetCollector:
		out, err = a.collectAssets(ctx, r, c)
	case plugin.EventCollector:
		out, err = a.collectEvents(ctx, r, c)
	default:
		err = fmt.Errorf("collector %s is neither an event nor an asset collector", r.c.Name())
	}
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) && err != nil {
		// Stopped by policy or shutdown: not the collector's failure.
		err = nil
	}
	if err != nil {
		a.log.Warn("collector failed", "plugin", r.c.Name(), "err", err)
		err = fmt.Errorf("collect: %w", err)
	}
	a.status.finished(r.st, err, StateIdle)
	return out, err
}

// collectEvents runs an event collector and spools its events.
func (a *Agent) collectEvents(ctx context.Context, r *collectorRunner, c plugin.EventCollector) (map[string]any, error) {
	var evs []event.Event
	err := a.safely(c.Name(), func() error {
		var cerr error
		evs, cerr = c.Collect(ctx, a.env)
		return cerr
	})
	n, perr := a.pipe.add(evs)
	r.st.events.Add(uint64(n))
	r.st.dropped.Add(uint64(len(evs) - n))
	if perr != nil {
		a.log.Warn("collector events not spooled", "plugin", c.Name(), "dropped", len(evs)-n, "err", perr)
	}
	return map[string]any{"collector": c.Name(), "events": n}, err
}

// inventoryWait bounds one inventory request to the center.
const inventoryWait = 30 * time.Second

// collectAssets runs an asset collector and sends the inventory's changes
// to the center. An incomplete inventory is not sent: its missing items
// would count as removed.
func (a *Agent) collectAssets(ctx context.Context, r *collectorRunner, c plugin.AssetCollector) (map[string]any, error) {
	var assets []event.Asset
	takenAt := time.Now()
	err := a.safely(c.Name(), func() error {
		var cerr error
		assets, cerr = c.Assets(ctx, a.env)
		return cerr
	})
	if err != nil {
		return nil, fmt.Errorf("inventory incomplete, not sent: %w", err)
	}
	res, err := r.syncer(a).Sync(ctx, assets, c.Kinds(), takenAt)
	// A run allocates much that it drops at once (a package index, every
	// process's details, the items and their encodings): give the memory
	// back to the host now rather than keep it for the next run, minutes
	// away. The idle agent's resident memory is what hosts notice.
	debug.FreeOSMemory()
	if res.Invalid > 0 {
		a.log.Warn("inventory items skipped", "plugin", c.Name(), "skipped", res.Invalid, "reasons", res.InvalidReasons)
	}
	out := map[string]any{"collector": c.Name(), "assets": res.Items, "skipped": res.Invalid,
		"unchanged": res.Unchanged, "added": res.Added, "changed": res.Changed, "removed": res.Removed,
		"messages": res.Messages, "bytes": res.Bytes, "resynced": res.Resynced, "digest": res.Digest}
	if err != nil {
		return out, fmt.Errorf("inventory not sent: %w", err)
	}
	return out, nil
}

// syncer returns the collector's inventory syncer, made on first use.
func (r *collectorRunner) syncer(a *Agent) *invsync.Syncer {
	if s := r.inv.Load(); s != nil {
		return s
	}
	name := strings.ReplaceAll(r.c.Name(), "/", "_")
	s := invsync.New(a.agentID, r.c.Name(), filepath.Join(a.cfg.DataDir, "state", "inventory", name+".json"), a.inventoryRequest)
	r.inv.Store(s)
	return s
}

// counters returns the collector's own counters and, for an asset
// collector, its inventory's.
func (r *collectorRunner) counters() map[string]uint64 {
	out := map[string]uint64{}
	if own, ok := r.c.(plugin.Counted); ok {
		for k, v := range own.Counters() {
			out[k] = v
		}
	}
	if s := r.inv.Load(); s != nil {
		for k, v := range s.Counters() {
			out[k] = v
		}
	}
	return out
}

// inventoryRequest sends an inventory request to the center and waits for
// its reply.
func (a *Agent) inventoryRequest(ctx context.Context, req *busv1.InventoryRequest) (*busv1.InventoryReply, error) {
	data, err := proto.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, inventoryWait)
	defer cancel()
	msg, err := a.nc.RequestWithContext(ctx, bus.InventorySubject(a.agentID), data)
	if err != nil {
		return nil, err
	}
	if err := bus.ReplyError(msg); err != nil {
		return nil, err
	}
	reply := &busv1.InventoryReply{}
	if err := proto.Unmarshal(msg.Data, reply); err != nil {
		return nil, fmt.Errorf("decode the reply: %w", err)
	}
	return reply, nil
}
