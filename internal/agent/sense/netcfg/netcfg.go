// Package netcfg is the netcfg sensor: it reports changes to the host's
// network configuration — interfaces, their addresses and the routing
// tables — as rtnetlink announces them, and the changes made while the
// agent was not running.
//
// # How it observes
//
// The sensor subscribes to the kernel's rtnetlink groups for links, IPv4
// and IPv6 addresses and IPv4 and IPv6 routes (vishvananda/netlink) in
// the agent's network namespace (or the one named by Sensor.Namespace),
// then dumps the current configuration. It keeps that configuration in
// memory and turns every notification into the difference it makes:
// an identical notification (a re-announced address, an IPv6 address
// finishing duplicate address detection) is no event.
//
// At start the dump is compared with the snapshot saved in the agent's
// data directory when it last ran (state/netcfg.json); what differs is
// reported with vigil.offline: true, so that an interface added and a
// route changed while the agent was stopped are not missed. The snapshot
// is rewritten shortly after every change and when the sensor stops.
//
// Netlink gives no acting process, so these events carry none.
//
// # Losses and resynchronisation
//
// A netlink socket whose receive buffer overflows (ENOBUFS) has dropped
// notifications the sensor can never read. The subscription is then
// opened again, the configuration dumped afresh and compared with what
// the sensor believed; the differences are reported with
// vigil.netcfg.resync: true and the overflow is counted as lost
// (Emitter.Lost). Notifications that cannot be decoded are counted as
// lost too; those a process sent rather than the kernel (one with
// CAP_NET_ADMIN can send to the groups) are ignored and counted. The
// kernel also removes IPv4 routes silently when their interface goes
// down or away; the sensor therefore resynchronises its routes shortly
// after such a link change, and every resync_interval as a safety net.
//
// The sensor's counters (plugin.Counted): overflow_resyncs, resyncs (for
// any reason), resync_failures, malformed_messages, forged_messages and
// snapshot_errors (a saved snapshot unreadable or not written), totals
// since the sensor was created; and interfaces, addresses and routes,
// the sizes of the configuration it remembers.
//
// # Events
//
// Every event has event.category "network", event.kind "event",
// event.dataset "netcfg", vigil.netcfg.object ("interface", "address" or
// "route") and the ECS interface.name / interface.id (the kernel's
// interface index) / interface.alias of the interface concerned.
//
//   - interface-added, interface-removed (event.type creation, deletion)
//     and interface-changed (change): vigil.netcfg.interface.{index,
//     name, type, mac, mtu, state, oper_state, promiscuous, promiscuity,
//     master, master_index, parent_index, link_netnsid, flags}; a change
//     lists the attributes that changed in vigil.netcfg.changes and their
//     former values in vigil.netcfg.previous.
//   - promiscuous-enabled, promiscuous-disabled (change): the interface
//     entered or left promiscuous mode. vigil.netcfg.promiscuous.source
//     says how: "flag" (IFF_PROMISC set through ip link or SIOCSIFFLAGS)
//     or "count" (a packet socket such as a sniffer's, or a bridge or
//     bond the interface belongs to, raised its promiscuity count); the
//     interface's master tells the last case apart.
//   - address-added, address-removed (creation, deletion):
//     vigil.netcfg.address.{ip, prefix_length, cidr, family, scope,
//     peer}, network.type (ipv4, ipv6).
//   - route-added, route-removed (creation, deletion) and route-changed
//     (change, a route replaced in place): vigil.netcfg.route.{
//     destination, default, gateway, interface, interface_index, table,
//     table_name, protocol, metric, scope, type, source, tos, nexthops};
//     a change has the former gateway, interface and nexthops in
//     vigil.netcfg.previous. network.type is ipv4 or ipv6.
//
// # Settings
//
// A JSON object; every field is optional.
//
//   - kernel_routes (bool, default false): also report the routes the
//     kernel creates by itself (protocol "kernel": the prefix, local and
//     broadcast routes of every address, IPv6 link-local and multicast
//     routes). They follow from the address events, so they are left out
//     by default.
//   - receive_buffer_bytes (int, default 4194304, at least 4096): the
//     receive buffer of each netlink socket; larger buffers overflow
//     less under bursts of changes.
//   - max_objects (int, default 100000, at least 16): how many
//     interfaces, addresses and routes (each) the sensor remembers.
//     Beyond it changes are still reported but not remembered: their
//     removals and replacements may then be reported without the former
//     values.
//   - resync_interval (Go duration, default "10m", "0" disables): how
//     often the whole configuration is dumped and compared with what the
//     sensor believes, to catch changes the kernel did not announce.
package netcfg

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Name is the sensor's name.
const Name = "netcfg"

// Actions of the events.
const (
	ActionInterfaceAdded      = "interface-added"
	ActionInterfaceRemoved    = "interface-removed"
	ActionInterfaceChanged    = "interface-changed"
	ActionPromiscuousEnabled  = "promiscuous-enabled"
	ActionPromiscuousDisabled = "promiscuous-disabled"
	ActionAddressAdded        = "address-added"
	ActionAddressRemoved      = "address-removed"
	ActionRouteAdded          = "route-added"
	ActionRouteRemoved        = "route-removed"
	ActionRouteChanged        = "route-changed"
)

// Objects named by vigil.netcfg.object.
const (
	ObjectInterface = "interface"
	ObjectAddress   = "address"
	ObjectRoute     = "route"
)

// stateDir is the agent's folder for the state of its parts, inside its
// data directory, and stateFile the sensor's snapshot in it.
const (
	stateDir  = "state"
	stateFile = "netcfg.json"
)

// Settings are the sensor's settings (see the package documentation).
type Settings struct {
	KernelRoutes       bool            `json:"kernel_routes"`
	ReceiveBufferBytes int             `json:"receive_buffer_bytes"`
	MaxObjects         int             `json:"max_objects"`
	ResyncInterval     plugin.Duration `json:"resync_interval"`
}

// DefaultSettings returns the settings used when the policy sets none.
func DefaultSettings() Settings {
	return Settings{
		ReceiveBufferBytes: 4 << 20,
		MaxObjects:         100_000,
		ResyncInterval:     plugin.Duration(10 * time.Minute),
	}
}

// ParseSettings decodes and checks settings; empty raw gives the
// defaults, fields not given keep their defaults.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	s := DefaultSettings()
	if err := plugin.DecodeSettings(raw, &s); err != nil {
		return Settings{}, fmt.Errorf("netcfg %w", err)
	}
	switch {
	case s.ReceiveBufferBytes < 4096:
		return Settings{}, fmt.Errorf("netcfg settings: receive_buffer_bytes %d is below 4096", s.ReceiveBufferBytes)
	case s.ReceiveBufferBytes > 1<<30:
		return Settings{}, fmt.Errorf("netcfg settings: receive_buffer_bytes %d is above 1 GiB", s.ReceiveBufferBytes)
	case s.MaxObjects < 16:
		return Settings{}, fmt.Errorf("netcfg settings: max_objects %d is below 16", s.MaxObjects)
	case s.ResyncInterval < 0:
		return Settings{}, fmt.Errorf("netcfg settings: resync_interval %s is negative", time.Duration(s.ResyncInterval))
	case s.ResyncInterval > 0 && s.ResyncInterval < plugin.Duration(time.Second):
		return Settings{}, fmt.Errorf("netcfg settings: resync_interval %s is below 1s", time.Duration(s.ResyncInterval))
	}
	return s, nil
}

// Sensor reports changes to interfaces, addresses and routes.
type Sensor struct {
	// Namespace is the path of the network namespace to watch
	// ("/run/netns/NAME", "/proc/PID/ns/net"); empty means the agent's
	// own.
	Namespace string

	mu        sync.Mutex
	settings  Settings
	statePath string
	bootID    string
	log       *slog.Logger
	counters  counters
}

var (
	_ plugin.Sensor     = (*Sensor)(nil)
	_ plugin.Configurer = (*Sensor)(nil)
	_ plugin.Tunable    = (*Sensor)(nil)
	_ plugin.Counted    = (*Sensor)(nil)
)

// New returns the sensor with its default settings.
func New() *Sensor { return &Sensor{settings: DefaultSettings()} }

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }

// Mechanism implements plugin.Sensor.
func (*Sensor) Mechanism() string { return "rtnetlink" }

// Requirements implements plugin.Plugin. Subscribing to rtnetlink needs
// no privilege; without root the receive buffers stay within the
// system's limit (net.core.rmem_max) and other namespaces may be out of
// reach.
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}}
}

// Configure implements plugin.Configurer: it places the snapshot in the
// data directory (none without one: changes while the agent was stopped
// are then not reported) and reads the boot id.
func (s *Sensor) Configure(env plugin.Env) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("sensor", Name)
	if env.DataDir != "" {
		s.statePath = filepath.Join(env.DataDir, stateDir, stateFile)
	}
	root := env.Root
	if root == "" {
		root = "/"
	}
	if runtime.GOOS == "linux" {
		s.bootID = readBootID(root)
	}
	return nil
}

// ApplySettings implements plugin.Tunable.
func (s *Sensor) ApplySettings(raw json.RawMessage) error {
	st, err := ParseSettings(raw)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.settings = st
	s.mu.Unlock()
	return nil
}

// config returns what Run needs, under the lock.
func (s *Sensor) config() (Settings, string, string, *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.settings.MaxObjects == 0 {
		s.settings = DefaultSettings()
	}
	log := s.log
	if log == nil {
		log = slog.Default().With("sensor", Name)
	}
	return s.settings, s.statePath, s.bootID, log
}
