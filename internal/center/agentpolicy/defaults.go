package agentpolicy

import busv1 "github.com/vigilsec/vigil/api/bus/v1"

// Defaults of the built-in policy.
const (
	// DefaultName names the effective policy of an agent no stored policy
	// selects.
	DefaultName             = "default"
	DefaultHeartbeatSeconds = 5
	DefaultCPUPercent       = 10
	DefaultMemoryMB         = 256
	DefaultSpoolMB          = 256
)

// Ranges Validate enforces. Zero means "the default" wherever a spec may
// leave a field out.
const (
	MinHeartbeatSeconds = 1
	MaxHeartbeatSeconds = 300
	MinCPUPercent       = 1
	MaxCPUPercent       = 100
	MinMemoryMB         = 32
	MaxMemoryMB         = 1 << 20 // 1 TiB
	MinSpoolMB          = 16
	MaxSpoolMB          = 1 << 20
	MinIntervalSeconds  = 10
	MaxIntervalSeconds  = 30 * 24 * 3600
	MaxPlugins          = 256
	maxPluginNameLen    = 64
	// MaxSensorEventsPerSecond bounds one sensor's own rate limit.
	MaxSensorEventsPerSecond = 1_000_000
	// MaxDropFilters and MaxFilterValues bound one sensor's drop filters.
	MaxDropFilters    = 64
	MaxFilterValues   = 256
	maxFilterValueLen = 1024
	// MaxSettingsBytes bounds one plugin's settings document.
	MaxSettingsBytes = 64 << 10
)

// Default returns the built-in policy every agent starts from: every
// collector and sensor enabled with its own defaults (a plugin the maps do
// not name runs with its defaults), a heartbeat every 5 s, a budget of 10 %
// of one core and 256 MB of memory, a 256 MB spool and no rate limit.
func Default() *busv1.AgentPolicy {
	return &busv1.AgentPolicy{
		Name:                     DefaultName,
		Collectors:               map[string]*busv1.PluginPolicy{},
		Sensors:                  map[string]*busv1.PluginPolicy{},
		Budget:                   &busv1.Budget{CpuPercent: DefaultCPUPercent, MemoryMb: DefaultMemoryMB},
		HeartbeatIntervalSeconds: DefaultHeartbeatSeconds,
		SpoolMaxMb:               DefaultSpoolMB,
	}
}
