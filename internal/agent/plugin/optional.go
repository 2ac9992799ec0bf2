package plugin

import (
	"context"
	"encoding/json"
)

// Alternative is implemented by sensors that are one of several ways of
// observing the same thing: process events by eBPF, by the proc connector
// or by audit. Of the sensors that provide the same thing, the runtime
// runs the first in the list whose requirements hold and whose Probe
// succeeds; the others stand by, their status naming the one that runs.
// A sensor is probed only when its turn comes, so a fallback that is not
// needed is never probed.
type Alternative interface {
	// Provides names what the sensor observes ("process", "network" ...).
	Provides() string
	// Probe checks quickly, and without side effects that outlive it,
	// that the mechanism works on this host (loads and unloads its eBPF
	// program, opens and closes its netlink socket ...). The error says
	// why not.
	Probe(ctx context.Context) error
}

// Tunable is implemented by plugins with settings in their policy
// (PluginPolicy.settings_json, a JSON object). The runtime calls
// ApplySettings before the first Run or Collect and again, with the sensor
// stopped, whenever the settings change; empty raw means the plugin's
// defaults. An error keeps the previous settings and is reported as the
// plugin's status.
type Tunable interface {
	ApplySettings(raw json.RawMessage) error
}

// Counted is implemented by plugins that keep counters of their own
// beyond the events, drops and filtered events the runtime counts: input
// they skipped as malformed, records the kernel lost, rescans after an
// overflow. The runtime reads them for every status it reports, so the
// map must be cheap to build and safe to read while the plugin runs.
// Names are snake_case and say what was counted ("malformed_lines",
// "lost_records"); values are totals since the plugin started, or current
// sizes ("watches"). Zero values are left out of the status.
type Counted interface {
	Counters() map[string]uint64
}

// ProcessLister is implemented by the sensor that keeps the table of the
// host's processes; the agent's "processes" command answers with it.
type ProcessLister interface {
	Processes() []ProcessInfo
}

// ProcessInfo is one live process as the process table knows it. Its JSON
// form is the output of the "processes" command (the console's process
// tree).
type ProcessInfo struct {
	EntityID       string   `json:"entity_id"`
	ParentEntityID string   `json:"parent_entity_id,omitempty"`
	PID            int      `json:"pid"`
	PPID           int      `json:"ppid"`
	Name           string   `json:"name"`
	Executable     string   `json:"executable,omitempty"`
	Args           []string `json:"args,omitempty"`
	WorkingDir     string   `json:"working_directory,omitempty"`
	User           string   `json:"user,omitempty"`
	UID            int      `json:"uid"`
	EUID           int      `json:"euid"`
	LoginUser      string   `json:"login_user,omitempty"`
	TTY            string   `json:"tty,omitempty"`
	ContainerID    string   `json:"container_id,omitempty"`
	SHA256         string   `json:"sha256,omitempty"`
	// Start is the process's start time, RFC 3339.
	Start string `json:"start"`
	// Stdio describes file descriptors 0, 1 and 2, one entry each, when
	// at least one is a socket or a pipe ("socket:tcp
	// 127.0.0.1:5555->127.0.0.1:4444", "socket:unix", "pipe"; "" for a
	// descriptor that is neither); empty when none is.
	Stdio []string `json:"stdio,omitempty"`
}
