package sockdiag

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable"
)

// Name is the sensor's name.
const Name = "net/sockdiag"

// Provides is what the sensor observes, shared with the other network
// sensors it stands in for.
const Provides = "network"

// ErrUnsupported is returned where sock_diag does not exist.
var ErrUnsupported = errors.New("sock_diag is not supported on this system")

// Sensor polls the kernel's socket tables.
type Sensor struct {
	env      plugin.Env
	log      *slog.Logger
	settings Settings
	filter   Filter
	info     *ProcessInfo
	counters counters
}

var (
	_ plugin.Sensor      = (*Sensor)(nil)
	_ plugin.Configurer  = (*Sensor)(nil)
	_ plugin.Alternative = (*Sensor)(nil)
	_ plugin.Tunable     = (*Sensor)(nil)
	_ plugin.Counted     = (*Sensor)(nil)
)

// New returns the sensor with the default settings.
func New() *Sensor {
	return &Sensor{settings: DefaultSettings(), env: plugin.Env{Root: "/"}, log: slog.Default()}
}

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }

// Mechanism implements plugin.Sensor.
func (*Sensor) Mechanism() string { return "sock-diag" }

// Provides implements plugin.Alternative.
func (*Sensor) Provides() string { return Provides }

// Requirements implements plugin.Plugin: reading other processes'
// descriptors needs root.
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// Configure implements plugin.Configurer.
func (s *Sensor) Configure(env plugin.Env) error {
	if env.Root == "" {
		env.Root = "/"
	}
	s.env = env
	if env.Logger != nil {
		s.log = env.Logger
	}
	s.info = NewProcessInfo(env.Root, 1024)
	s.info.UseTable(proctable.Shared(env.Root, env.HostID))
	return nil
}

// ApplySettings implements plugin.Tunable.
func (s *Sensor) ApplySettings(raw json.RawMessage) error {
	st, f, err := parseSettings(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	s.settings, s.filter = st, f
	return nil
}

// Probe implements plugin.Alternative: it runs one dump.
func (s *Sensor) Probe(ctx context.Context) error {
	d, err := newDumper()
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.dumpAll(nil); err != nil {
		return err
	}
	return ctx.Err()
}

// Run implements plugin.Sensor.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) error {
	if s.info == nil {
		if err := s.Configure(s.env); err != nil {
			return err
		}
	}
	d, err := newDumper()
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	defer d.Close()
	finder := newOwnerFinder(s.env.Root)
	t := newTracker(s.env.HostID, s.settings, s.filter, s.info, finder)
	poll := time.NewTicker(time.Duration(s.settings.PollInterval))
	defer poll.Stop()
	flows := time.NewTicker(time.Duration(s.settings.FlowInterval))
	defer flows.Stop()
	var socks []Socket
	failures := 0
	flushDue := false
	for {
		socks, err = d.dumpAll(socks[:0])
		st := d.takeStats()
		s.counters.addDump(st)
		if st.Malformed > 0 {
			emit.Lost(uint64(st.Malformed))
			s.log.Warn("sock_diag: malformed socket messages skipped", "count", st.Malformed)
		}
		if st.Forged > 0 {
			s.log.Warn("sock_diag: netlink messages not sent by the kernel ignored", "count", st.Forged)
		}
		if err != nil {
			// A failed dump is retried at the next poll; the sockets it
			// would have shown are not diffed against a partial table.
			s.counters.failedDumps.Add(1)
			failures++
			s.log.Warn("sock_diag: dump failed", "err", err)
			if failures >= 5 {
				return fmt.Errorf("%s: %d dumps in a row failed: %w", Name, failures, err)
			}
		} else {
			failures = 0
			t.poll(socks, time.Now(), emit)
			s.counters.unreadableProcesses.Add(uint64(finder.takeBad()))
			s.counters.sockets.Store(uint64(len(t.known)))
		}
		if flushDue && s.settings.Flows {
			t.flushFlows(time.Now(), emit)
		}
		flushDue = false
		select {
		case <-ctx.Done():
			if s.settings.Flows {
				t.flushFlows(time.Now(), emit)
			}
			return nil
		case <-poll.C:
		case <-flows.C:
			flushDue = true
		}
	}
}
