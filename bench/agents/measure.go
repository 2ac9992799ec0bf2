package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/bench/agents/internal/fleet"
	"github.com/vigilsec/vigil/bench/agents/internal/procstat"
)

// Metrics of the center read around each window.
const (
	metricHeartbeats = "vigil_health_heartbeats_total"
	metricOnline     = "vigil_agents_online"
	metricMalformed  = "vigil_health_malformed_total"
	metricChanges    = "vigil_agent_status_changes_total"
	metricAlerts     = "vigil_health_alerts_total"
)

// counters reads the center's health counters; lostBefore is the number
// of losses recorded before the take-down.
func (b *bench) counters(ctx context.Context, lostBefore float64) (*centerTotals, error) {
	m, err := b.api.metrics(ctx, metricHeartbeats, metricMalformed, metricChanges, metricAlerts)
	if err != nil {
		return nil, err
	}
	return &centerTotals{
		Heartbeats: m[metricHeartbeats], Malformed: m[metricMalformed],
		OnlineChanges: m[metricChanges+"{status=online}"], LostChanges: m[metricChanges+"{status=lost}"],
		LostBeforeTakeDown: lostBefore, Alerts: m[metricAlerts],
	}, nil
}

// measure samples the center's and this process's resource use every
// second for the window, and the heartbeat rates meanwhile.
func (b *bench) measure(ctx context.Context, agents int) (*resources, error) {
	var sent0 uint64
	if b.fleet != nil {
		sent0 = b.fleet.Counters().HeartbeatsSent.Load()
	}
	m0, err0 := b.api.metrics(ctx, metricHeartbeats, metricOnline)
	t0 := time.Now()
	machine := machineMeter()
	u, err := procstat.Measure(ctx, []int{b.pid, os.Getpid()}, b.cfg.window, time.Second)
	if err != nil {
		return nil, fmt.Errorf("center resources: %w", err)
	}
	machineCPU := machine()
	m1, err1 := b.api.metrics(ctx, metricHeartbeats, metricOnline)
	wall := time.Since(t0).Seconds()
	r := &resources{Usage: u[0], Tool: u[1], Agents: agents, MachineCPU: machineCPU}
	if b.fleet != nil {
		r.HeartbeatsSent = float64(b.fleet.Counters().HeartbeatsSent.Load()-sent0) / wall
	}
	if err0 == nil && err1 == nil {
		r.HeartbeatsRecv = (m1[metricHeartbeats] - m0[metricHeartbeats]) / wall
		r.OnlineMetric = m1[metricOnline]
	} else {
		b.log.Warn("center metrics", "err", fmt.Errorf("%w %w", err0, err1))
	}
	return r, nil
}

// perAgentOf divides the growth from idle to steady by the agents.
func perAgentOf(idle, steady *resources) *perAgent {
	if idle == nil || steady == nil || steady.Agents == 0 {
		return nil
	}
	n := float64(steady.Agents)
	cpu := (steady.CPUPercent - idle.CPUPercent) / n
	return &perAgent{
		RSSBytes:          (float64(steady.RSSMeanBytes) - float64(idle.RSSMeanBytes)) / n,
		CPUPercent:        cpu,
		CPUPercentPer1000: cpu * 1000,
		OpenFiles:         float64(steady.OpenFiles-idle.OpenFiles) / n,
	}
}

// deleteAgents deletes the enrolled agents, 16 at a time, and returns how
// many deletions failed.
func deleteAgents(ctx context.Context, api *centerAPI, agents []*fleet.Agent) int {
	var failed atomic.Int64
	work := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				if err := api.DeleteAgent(ctx, id); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	for _, a := range agents {
		if a.ID() != "" {
			work <- a.ID()
		}
	}
	close(work)
	wg.Wait()
	return int(failed.Load())
}

// cpuMeter returns a function that gives the CPU use of process pid, in
// percent of one core, since cpuMeter was called (0 when pid is 0 or the
// process cannot be read).
func cpuMeter(pid int) func() float64 {
	if pid == 0 {
		return func() float64 { return 0 }
	}
	s0, err := procstat.Read(pid)
	return func() float64 {
		s1, err1 := procstat.Read(pid)
		wall := s1.At.Sub(s0.At).Seconds()
		if err != nil || err1 != nil || wall <= 0 {
			return 0
		}
		return 100 * (s1.CPUSeconds - s0.CPUSeconds) / wall
	}
}

// machineMeter is cpuMeter for the whole machine (every process).
func machineMeter() func() float64 {
	t0 := time.Now()
	b0, err := procstat.MachineBusy()
	return func() float64 {
		b1, err1 := procstat.MachineBusy()
		wall := time.Since(t0).Seconds()
		if err != nil || err1 != nil || wall <= 0 {
			return 0
		}
		return 100 * (b1 - b0) / wall
	}
}

// phaseCPU meters the center, this process and the machine over a phase.
type phaseCPU struct{ center, fleet, machine func() float64 }

func (b *bench) meterPhase() phaseCPU {
	return phaseCPU{center: cpuMeter(b.pid), fleet: cpuMeter(os.Getpid()), machine: machineMeter()}
}

// done stores the CPU use in p.
func (m phaseCPU) done(p *phase) {
	p.CenterCPU, p.FleetCPU, p.MachineCPU = m.center(), m.fleet(), m.machine()
}
