package main

import (
	"time"

	"github.com/vigilsec/vigil/bench/agents/internal/fleet"
	"github.com/vigilsec/vigil/bench/agents/internal/procstat"
	"github.com/vigilsec/vigil/bench/agents/internal/stats"
)

// report is everything one run measured; it is printed as text or JSON.
type report struct {
	Started       time.Time `json:"started"`
	Center        string    `json:"center"`
	CenterPID     int       `json:"center_pid,omitempty"`
	CenterStarted bool      `json:"center_started_here"`
	Cores         int       `json:"cores"`
	Agents        int       `json:"agents"`
	HeartbeatS    float64   `json:"heartbeat_s"`
	Run           string    `json:"run_label"`
	Files         fileCheck `json:"open_files"`

	Enroll  *phase  `json:"enroll,omitempty"`
	Connect *phase  `json:"connect,omitempty"`
	Online  *online `json:"online,omitempty"`

	Idle     *resources `json:"center_idle,omitempty"`
	Steady   *resources `json:"center_steady,omitempty"`
	PerAgent *perAgent  `json:"center_per_agent,omitempty"`

	Detection []detection   `json:"detection,omitempty"`
	Fleet     fleetTotals   `json:"fleet"`
	Counters  *centerTotals `json:"center_counters,omitempty"`

	WallS  float64  `json:"wall_s"`
	Notes  []string `json:"notes,omitempty"`
	Errors []string `json:"errors,omitempty"`
}

// phase is enrollment or connection of the fleet.
type phase struct {
	Attempted int           `json:"attempted"`
	OK        int           `json:"ok"`
	Failed    int           `json:"failed"`
	WallS     float64       `json:"wall_s"`
	PerSecond float64       `json:"per_second"`
	Latency   stats.Summary `json:"latency"`
	// FirstTenth and LastTenth are the rates over the first and the last
	// tenth of the successful calls: a drop shows a center (or fleet)
	// slowing down as it fills.
	FirstTenth float64        `json:"first_tenth_per_second"`
	LastTenth  float64        `json:"last_tenth_per_second"`
	Errors     map[string]int `json:"errors,omitempty"`
	// CenterCPU and FleetCPU are the processes' CPU use over the phase,
	// in percent of one core.
	CenterCPU float64 `json:"center_cpu_percent,omitempty"`
	FleetCPU  float64 `json:"fleet_cpu_percent"`
	// MachineCPU is every process of the machine together: what exceeds
	// the center and the fleet is other load that competed with them.
	MachineCPU float64 `json:"machine_cpu_percent"`
}

func newPhase(attempted int, r fleet.Result) *phase {
	p := &phase{Attempted: attempted, OK: r.OK, Failed: r.Failed, WallS: r.Wall.Seconds(),
		Latency: stats.Summarize(r.Latencies), Errors: r.Errors}
	if r.Wall > 0 {
		p.PerSecond = float64(r.OK) / r.Wall.Seconds()
	}
	if len(p.Errors) == 0 {
		p.Errors = nil
	}
	p.FirstTenth, p.LastTenth = stats.TenthRates(r.Finished)
	return p
}

// online is how long it took until the center listed every connected
// agent online with a last_seen from the bus.
type online struct {
	Target   int  `json:"target"`
	Reached  int  `json:"reached"`
	Complete bool `json:"complete"`
	// AllOnlineS is from the first connect call until the listing showed
	// every agent online.
	AllOnlineS float64 `json:"all_online_s"`
	// LastConnectS is from the first connect call until the last agent's
	// first connection was up.
	LastConnectS float64 `json:"last_connect_s"`
	// CountS is how long one count (every page of the listing) took at
	// the end.
	CountS float64 `json:"count_s"`
	Polls  int     `json:"polls"`
}

// resources is the center's use over one steady window, with the
// heartbeats sent and received meanwhile.
type resources struct {
	procstat.Usage
	Agents         int     `json:"agents_connected"`
	HeartbeatsSent float64 `json:"heartbeats_sent_per_s"`
	HeartbeatsRecv float64 `json:"heartbeats_received_per_s"`
	OnlineMetric   float64 `json:"agents_online_metric"`
	// Tool is this process (the simulated fleet) over the same window.
	Tool procstat.Usage `json:"fleet_process"`
	// MachineCPU is every process together, in percent of one core.
	MachineCPU float64 `json:"machine_cpu_percent"`
}

// perAgent is the steady use minus the idle use, divided by the agents.
type perAgent struct {
	RSSBytes          float64 `json:"rss_bytes"`
	CPUPercent        float64 `json:"cpu_percent"`
	CPUPercentPer1000 float64 `json:"cpu_percent_per_1000"`
	OpenFiles         float64 `json:"open_files"`
}

// detection is how fast the center noticed agents taken down one way.
type detection struct {
	Kind   string `json:"kind"`
	Agents int    `json:"agents"`
	Lost   int    `json:"lost"`
	// Visible is from the take-down until GET /agents/{id} answered lost
	// (polled every 100 ms).
	Visible stats.Summary `json:"visible_delay"`
	// Decided is from the take-down until the status_changed_at the
	// center recorded.
	Decided stats.Summary  `json:"decided_delay"`
	Alerts  int            `json:"alerts"`
	Reasons map[string]int `json:"reasons,omitempty"`
	NotLost []string       `json:"not_lost,omitempty"`
	NoAlert []string       `json:"no_alert,omitempty"`
}

// fleetTotals are the fleet's counters at the end.
type fleetTotals struct {
	HeartbeatsSent  uint64 `json:"heartbeats_sent"`
	HeartbeatErrors uint64 `json:"heartbeat_errors"`
	Connects        uint64 `json:"connects"`
	Disconnects     uint64 `json:"unexpected_disconnects"`
	AsyncErrors     uint64 `json:"async_errors"`
}

func totals(c *fleet.Counters) fleetTotals {
	return fleetTotals{HeartbeatsSent: c.HeartbeatsSent.Load(), HeartbeatErrors: c.HeartbeatErrors.Load(),
		Connects: c.Connects.Load(), Disconnects: c.Disconnects.Load(), AsyncErrors: c.AsyncErrors.Load()}
}

// centerTotals are the center's own counters (from /metrics) at the end
// of the run, with the losses it had recorded before the take-down: any
// there are agents it called lost while they were connected.
type centerTotals struct {
	Heartbeats         float64 `json:"heartbeats"`
	Malformed          float64 `json:"malformed"`
	OnlineChanges      float64 `json:"status_changes_online"`
	LostChanges        float64 `json:"status_changes_lost"`
	LostBeforeTakeDown float64 `json:"status_changes_lost_before_take_down"`
	Alerts             float64 `json:"health_alerts"`
}
