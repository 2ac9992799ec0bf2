package agent

import (
	"errors"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/pidfile"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/version"
)

// Files and folders in the data directory.
const (
	PIDFile  = pidfile.Name
	SpoolDir = "spool"
	StateDir = "state"
)

// Defaults of the built-in policy, the same as the center's.
const (
	DefaultHeartbeatInterval = 5 * time.Second
	DefaultSpoolMB           = 256
)

// Timing of the runtime.
const (
	// goodbyeWait bounds the wait for the center's answer to a Goodbye.
	goodbyeWait = 2 * time.Second
	// drainWait is how long a stopping agent keeps sending its spool.
	drainWait = 2 * time.Second
	// factsRefresh is how often the host facts are read again.
	factsRefresh = time.Minute
	// collectTimeout bounds one collector run.
	collectTimeout = 5 * time.Minute
	// stopWait bounds the wait for a sensor to return after its context
	// ended.
	stopWait = 10 * time.Second
	// restartMin and restartMax bound the pause before a failed sensor is
	// started again.
	restartMin = time.Second
	restartMax = time.Minute
	// commandSlots is how many commands run at the same time.
	commandSlots = 4
	// commandTimeout is the deadline of a command that names none, and
	// commandMaxTimeout the longest one accepted.
	commandTimeout    = 30 * time.Second
	commandMaxTimeout = 10 * time.Minute
	// throttledRate is the pace, in events per second, at which sensors
	// emit while the agent is over its CPU budget.
	throttledRate = 1000
)

// Config configures an agent. DataDir is required; CenterURL and
// JoinToken are needed only until the agent is enrolled.
type Config struct {
	// DataDir holds the identity, the pid file, the spool and the
	// sender's state.
	DataDir string
	// CenterURL (https://host:port) and JoinToken enroll the agent on its
	// first run.
	CenterURL string
	JoinToken string
	// Logger receives the agent's log (default: slog.Default()).
	Logger *slog.Logger
	// Collectors and Sensors are the plugins the agent may run.
	Collectors []plugin.Collector
	Sensors    []plugin.Sensor
	// Version is the agent's release version (default: version.Version).
	Version string
	// HostRoot is the host's filesystem root (default "/").
	HostRoot string
	// HeartbeatInterval is used when the policy sets none (default 5 s).
	HeartbeatInterval time.Duration
	// DefaultPolicy is the policy in force until the center's arrives and
	// after it is deleted (default: the built-in defaults).
	DefaultPolicy *busv1.AgentPolicy
	// MaxProcs caps GOMAXPROCS when above zero.
	MaxProcs int
	// BusOptions are extra options for the bus connection.
	BusOptions []nats.Option
}

// withDefaults fills the defaults and checks the configuration.
func (c Config) withDefaults() (Config, error) {
	if c.DataDir == "" {
		return c, errors.New("agent: a data directory is required")
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return c, err
	}
	c.DataDir = abs
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Version == "" {
		c.Version = version.Version
	}
	if c.HostRoot == "" {
		c.HostRoot = "/"
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	return c, nil
}
