package ebpf

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable"
	"github.com/vigilsec/vigil/internal/agent/sense/net/sockdiag"
)

// Name is the sensor's name.
const Name = "net/ebpf"

// ErrUnsupported is returned by Probe and Run where the eBPF programs
// cannot run.
var ErrUnsupported = errors.New("eBPF network telemetry is not supported on this system")

// Settings are the sensor's settings (see the package doc).
type Settings struct {
	FlowInterval    plugin.Duration `json:"flow_interval"`
	Flows           bool            `json:"flows"`
	DNS             bool            `json:"dns"`
	DNSPorts        []int           `json:"dns_ports"`
	UDP             bool            `json:"udp"`
	IgnorePorts     []int           `json:"ignore_ports"`
	IgnoreAddresses []string        `json:"ignore_addresses"`
	RingBufferKiB   int             `json:"ring_buffer_kib"`
	// ExactAcceptOwner names the process that accepted each connection
	// (a worker, a socket-activated service) instead of the listener's
	// owner, at the cost of a program on every system call's exit.
	ExactAcceptOwner bool `json:"exact_accept_owner"`
}

// DefaultSettings returns the settings used when the policy sets none.
func DefaultSettings() Settings {
	return Settings{
		FlowInterval:  plugin.Duration(60 * time.Second),
		Flows:         true,
		DNS:           true,
		DNSPorts:      []int{53},
		UDP:           true,
		RingBufferKiB: 1024,
	}
}

// maxDNSPorts is the size of the kernel's table of DNS ports.
const maxDNSPorts = 16

// parseSettings decodes and checks raw on top of the defaults.
func parseSettings(raw []byte) (Settings, sockdiag.Filter, error) {
	s := DefaultSettings()
	if err := plugin.DecodeSettings(raw, &s); err != nil {
		return Settings{}, sockdiag.Filter{}, err
	}
	if err := sockdiag.CheckRange("flow_interval", s.FlowInterval, time.Second, time.Hour); err != nil {
		return Settings{}, sockdiag.Filter{}, err
	}
	if len(s.DNSPorts) > maxDNSPorts {
		return Settings{}, sockdiag.Filter{}, fmt.Errorf("settings: dns_ports lists %d ports, at most %d", len(s.DNSPorts), maxDNSPorts)
	}
	for _, p := range s.DNSPorts {
		if p < 1 || p > 65535 {
			return Settings{}, sockdiag.Filter{}, fmt.Errorf("settings: dns_ports: %d is not a port (1-65535)", p)
		}
	}
	if r := s.RingBufferKiB; r < 64 || r > 256<<10 || r&(r-1) != 0 {
		return Settings{}, sockdiag.Filter{}, fmt.Errorf("settings: ring_buffer_kib %d is not a power of two in 64..262144", r)
	}
	f, err := sockdiag.NewFilter(s.IgnorePorts, s.IgnoreAddresses)
	if err != nil {
		return Settings{}, sockdiag.Filter{}, fmt.Errorf("settings: %w", err)
	}
	return s, f, nil
}

// Sensor is the eBPF network sensor.
type Sensor struct {
	env      plugin.Env
	log      *slog.Logger
	settings Settings
	filter   sockdiag.Filter
	info     *sockdiag.ProcessInfo
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
func (*Sensor) Mechanism() string { return "ebpf" }

// Provides implements plugin.Alternative.
func (*Sensor) Provides() string { return sockdiag.Provides }

// Requirements implements plugin.Plugin.
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{
		OS:       []string{"linux"},
		Root:     true,
		Features: []string{plugin.FeatureBTF, plugin.FeatureCgroup2},
	}
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
	s.info = sockdiag.NewProcessInfo(env.Root, 1024)
	s.info.UseTable(proctable.Shared(env.Root, env.HostID))
	return nil
}

// ApplySettings implements plugin.Tunable. The settings take effect at
// the next Run (the runtime stops the sensor to change them).
func (s *Sensor) ApplySettings(raw json.RawMessage) error {
	st, f, err := parseSettings(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	s.settings, s.filter = st, f
	return nil
}
