package plugin

import (
	"context"
	"errors"
	"log/slog"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/event"
)

// ErrUnsupported is wrapped by a Configure error that means the host
// cannot run the plugin (a kernel without the feature it observes),
// rather than that something went wrong.
var ErrUnsupported = errors.New("not supported on this host")

// Kinds of plugin, as reported in busv1.PluginStatus.Kind.
const (
	KindCollector = "collector"
	KindSensor    = "sensor"
)

// Plugin is what every collector and sensor has.
type Plugin interface {
	// Name is the plugin's folder path below collect/ or sense/, such as
	// "host/facts"; policies and statuses refer to it.
	Name() string
	// Requirements says what the host must offer for the plugin to run.
	Requirements() Requirements
}

// Collector takes a snapshot of some part of the host, on a schedule. It
// is an EventCollector (the snapshot is sent as events) or an
// AssetCollector (the snapshot is an inventory, kept by the center and
// synchronised by changes); the runtime refuses any other.
type Collector interface {
	Plugin
	// DefaultInterval is the time between two runs when the policy does
	// not set one.
	DefaultInterval() time.Duration
}

// EventCollector is a collector whose snapshot is a set of events.
type EventCollector interface {
	Collector
	// Collect returns the snapshot as events. An error means the run
	// failed; events returned together with an error are kept (a partial
	// snapshot is better than none).
	Collect(ctx context.Context, env Env) ([]event.Event, error)
}

// AssetCollector is a collector whose snapshot is part of the host's
// inventory: the packages, the listening ports, the users ... The runtime
// sends the center only the items that changed since the inventory the
// center acknowledged; the center keeps the current set and the history
// of its changes.
type AssetCollector interface {
	Collector
	// Kinds are the asset kinds (event.Asset*) the collector reports.
	Kinds() []string
	// Assets returns the complete current set, each item valid
	// (event.Asset.Validate) and with a key unique within its kind. An
	// error means the set is incomplete: it is not sent, since the
	// missing items would count as removed.
	Assets(ctx context.Context, env Env) ([]event.Asset, error)
}

// Sensor streams events as they happen on the host.
type Sensor interface {
	Plugin
	// Mechanism names how the sensor observes the host ("ebpf",
	// "proc-connector", "inotify" ...), for its status. The runtime reads
	// it again after Configure and after ApplySettings, so a sensor may
	// decide it there.
	Mechanism() string
	// Run observes the host and hands each event to emit until ctx is
	// done; it returns nil then. Any other return is a failure, and the
	// runtime starts Run again after a pause.
	Run(ctx context.Context, emit Emitter) error
}

// Emitter takes a sensor's events. It belongs to the runtime, is safe for
// concurrent use and is valid until the sensor's Run returns.
type Emitter interface {
	// Emit hands one event to the runtime, which owns it from then on.
	// It may block for a while when the agent is over its CPU budget.
	Emit(e event.Event)
	// Lost reports n events the sensor could not observe or emit (a
	// kernel buffer overflowed ...), so that the loss is counted.
	Lost(n uint64)
}

// Env is what the runtime tells a plugin about where it runs.
type Env struct {
	// Root is the host's filesystem root ("/"); tests point it at a
	// fixture tree.
	Root string
	// DataDir is the agent's data directory. A plugin keeps its state in
	// DataDir/state/<its name> (or a file named after it there): the top
	// level belongs to the agent, and the selfguard sensor reports every
	// change to it as tampering.
	DataDir string
	// AgentID is the agent's id; empty before enrollment.
	AgentID string
	// HostID is the host's id (host.id of every event: the machine id, or
	// the agent id where the host has none). Process entity ids are
	// derived from it (package procid).
	HostID string
	// AgentVersion is the agent's release version.
	AgentVersion string
	// Logger is the plugin's logger.
	Logger *slog.Logger
}

// Configurer is implemented by plugins that need the environment before
// they run. The runtime calls Configure once, before the first Collect or
// Run; an error keeps the plugin from running and is reported as its
// status: "skipped" when it wraps ErrUnsupported (the host lacks what the
// plugin needs), "failed" otherwise.
type Configurer interface {
	Configure(env Env) error
}

// FactsProvider is implemented by the collector that knows the host's
// facts. The runtime asks it for them at enrollment, after each connect
// and from time to time, to put them into heartbeats.
type FactsProvider interface {
	HostFacts(ctx context.Context, env Env) (*busv1.HostFacts, error)
}
