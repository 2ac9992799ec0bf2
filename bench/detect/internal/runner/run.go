package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/bench/detect/internal/fleet"
	"github.com/vigilsec/vigil/bench/detect/internal/meter"
	"github.com/vigilsec/vigil/bench/detect/internal/workload"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/detect/engine"
	"github.com/vigilsec/vigil/internal/detect/ruleset"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/rules"
)

// consumerWait bounds the wait for the service's consumer.
const consumerWait = 30 * time.Second

// bench is one run.
type bench struct {
	cfg    Config
	log    *slog.Logger
	dir    string
	center *center
	rep    *Report
}

// Run measures and returns the report. An error means the run could not
// be measured; alert events that raised no alert are in the report
// (Report.Missing).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if len(cfg.Fleet) == 0 {
		return nil, errors.New("no command for the fleet")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp("", "vigil-detect-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	c, err := startCenter(ctx, filepath.Join(dir, "center"))
	if err != nil {
		return nil, err
	}
	defer c.shutdown()
	b := &bench{cfg: cfg, log: cfg.Logger, dir: dir, center: c, rep: newReport(cfg)}
	ids, err := c.identities(cfg.Agents)
	if err != nil {
		return nil, err
	}

	backlog, err := b.publishBacklog(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("backlog: %w", err)
	}
	var sets []*ruleset.RuleSet
	for _, n := range cfg.Rules {
		rs, err := b.drain(ctx, n, backlog)
		if err != nil {
			return nil, fmt.Errorf("throughput with %d rules: %w", n, err)
		}
		sets = append(sets, rs)
	}
	if err := b.engineAlone(sets); err != nil {
		return nil, err
	}
	if err := b.latency(ctx, ids); err != nil {
		return nil, fmt.Errorf("latency: %w", err)
	}
	b.rep.LoadAverageEnd = loadAverage()
	return b.rep, nil
}

// publishBacklog has the fleet publish the backlog into the empty
// stream, and measures what receiving it costs the center.
func (b *bench) publishBacklog(ctx context.Context, ids []bus.Identity) (fleet.Result, error) {
	cfg := b.cfg
	if err := b.center.purge(ctx); err != nil {
		return fleet.Result{}, err
	}
	b.log.Info("making the backlog", "events", cfg.Backlog, "agents", cfg.Agents)
	job := fleet.Job{Mode: fleet.Backlog, Agents: ids, Seed: cfg.Seed, AlertEvery: cfg.AlertEvery,
		Events: cfg.Backlog, Run: "backlog"}
	p, err := fleet.Spawn(ctx, cfg.Fleet, job)
	if err != nil {
		return fleet.Result{}, err
	}
	if err := p.Ready(ctx); err != nil {
		return fleet.Result{}, err
	}
	b.log.Info("publishing the backlog")
	phase := meter.Start()
	if err := p.Go(); err != nil {
		p.Abort()
		return fleet.Result{}, err
	}
	res, err := p.Wait(ctx)
	fig := phase.Stop()
	if err != nil {
		return res, err
	}
	if res.Failed > 0 {
		return res, fmt.Errorf("the stream refused %d batches", res.Failed)
	}
	b.rep.Ingest = Ingest{
		Events: res.Events, Batches: res.Batches, BytesPerEvent: float64(res.Bytes) / float64(max(res.Events, 1)),
		MakeSeconds: res.MakeSeconds, Seconds: res.Seconds, EventsPerSecond: float64(res.Events) / res.Seconds,
		CPUSeconds: fig.CPU, CPUPerMillion: perMillion(fig.CPU, res.Events), FleetCPUSeconds: res.CPUSeconds,
		OtherCores:  others(fig, res.CPUSeconds),
		RSSStartMiB: mib(fig.RSSStart), RSSPeakMiB: mib(fig.RSSPeak),
	}
	return res, nil
}

// drain runs the detection service with n rules over the backlog, from
// the stream's first message to its last event, and returns the rules
// for the engine alone.
func (b *bench) drain(ctx context.Context, n int, backlog fleet.Result) (*ruleset.RuleSet, error) {
	set, err := workload.Compose(rules.FS(), n, b.cfg.Seed)
	if err != nil {
		return nil, err
	}
	if err := b.center.forgetConsumer(ctx); err != nil {
		return nil, err
	}
	dir := filepath.Join(b.dir, "throughput-"+strconv.Itoa(n))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	d, err := b.center.newDetection(ctx, dir, set, n, b.cfg.Indicators, b.cfg.Seed)
	if err != nil {
		return nil, err
	}
	defer d.stop()
	b.log.Info("throughput", "rules", n, "events", backlog.Events)
	phase := meter.Start()
	d.start()
	err = d.waitEvents(ctx, uint64(backlog.Events), b.cfg.WaitLimit)
	fig := phase.Stop()
	if err != nil {
		return nil, err
	}
	st := d.svc.Stats()
	raised := d.notes.byEvent(workload.AlertRuleID)
	row := Throughput{
		Rules: n, PackRules: set.PackRules, PackFiles: set.PackFiles, GeneratedRules: len(set.Generated),
		LoadSeconds: d.load.Seconds(), Events: backlog.Events, Seconds: fig.Wall.Seconds(),
		EventsPerSecond: float64(backlog.Events) / fig.Wall.Seconds(),
		CPUSeconds:      fig.CPU, CPUPerMillion: perMillion(fig.CPU, backlog.Events), Cores: fig.Cores(),
		OtherCores: others(fig, 0), RSSStartMiB: mib(fig.RSSStart), RSSPeakMiB: mib(fig.RSSPeak),
		AlertEvents: len(backlog.Published), Matches: st.MatchesTotal, NewAlerts: st.NewAlertsTotal,
		AlertsTotal: st.AlertsTotal,
	}
	for _, p := range backlog.Published {
		if _, ok := raised[p.EventID]; ok {
			row.Raised++
		} else {
			b.rep.missing(fmt.Sprintf("throughput with %d rules", n), p.EventID)
		}
	}
	b.rep.Throughput = append(b.rep.Throughput, row)
	return d.rules.Current(), d.stop()
}

// engineAlone evaluates the first events of the backlog with each rule
// set, in one goroutine, without bus, decoding or store.
func (b *bench) engineAlone(sets []*ruleset.RuleSet) error {
	cfg := b.cfg
	var sample []event.Event
	for i := range cfg.Agents {
		err := workload.Batches(cfg.Seed, i, cfg.AlertEvery, workload.Share(cfg.EngineEvents, cfg.Agents, i), func(batch workload.Batch) error {
			for line := range bytes.Lines(batch.Lines) {
				ev, err := event.Decode(bytes.TrimSuffix(line, []byte("\n")))
				if err != nil {
					return err
				}
				sample = append(sample, ev)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("engine sample: %w", err)
		}
	}
	b.rep.EngineSample = len(sample)
	for i, rs := range sets {
		b.log.Info("engine alone", "rules", cfg.Rules[i], "events", len(sample))
		var buf []*engine.Rule
		var out []ruleset.Detection
		var events, detections int
		phase := meter.Start()
		deadline := time.Now().Add(cfg.EngineTime)
		for time.Now().Before(deadline) {
			for _, ev := range sample {
				buf, out = rs.Evaluate(ev, buf, out[:0])
				detections += len(out)
			}
			events += len(sample)
		}
		fig := phase.Stop()
		b.rep.Throughput[i].Engine = Engine{
			Events: events, EventsPerSecond: float64(events) / fig.Wall.Seconds(),
			CPUPerMillion:        perMillion(fig.CPU, events),
			DetectionsPerMillion: float64(detections) / float64(events) * 1e6,
			OtherCores:           others(fig, 0), RSSPeakMiB: mib(fig.RSSPeak),
		}
	}
	runtime.KeepAlive(sample)
	return nil
}

// latency has the fleet publish at a steady rate while the service runs,
// and measures the time from each alert event's publication to the
// notification of its new alert.
func (b *bench) latency(ctx context.Context, ids []bus.Identity) error {
	cfg := b.cfg
	n := cfg.LatencyRules
	set, err := workload.Compose(rules.FS(), n, cfg.Seed)
	if err != nil {
		return err
	}
	if err := b.center.purge(ctx); err != nil {
		return err
	}
	dir := filepath.Join(b.dir, "latency")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	d, err := b.center.newDetection(ctx, dir, set, n, b.cfg.Indicators, b.cfg.Seed)
	if err != nil {
		return err
	}
	defer d.stop()
	b.log.Info("making the latency run's batches", "rate", cfg.Rate, "duration", cfg.Duration)
	// Other events than the backlog's, from the same agents.
	job := fleet.Job{Mode: fleet.Steady, Agents: ids, Seed: cfg.Seed + 1, AlertEvery: cfg.AlertEvery,
		Rate: cfg.Rate, Duration: cfg.Duration, Interval: cfg.Interval, Run: "steady"}
	p, err := fleet.Spawn(ctx, cfg.Fleet, job)
	if err != nil {
		return err
	}
	if err := p.Ready(ctx); err != nil {
		return err
	}
	d.start()
	if err := d.waitConsumer(ctx, b.center.js, consumerWait); err != nil {
		p.Abort()
		return err
	}
	b.log.Info("latency", "rules", n, "rate", cfg.Rate, "duration", cfg.Duration)
	phase := meter.Start()
	if err := p.Go(); err != nil {
		phase.Stop()
		p.Abort()
		return err
	}
	res, err := p.Wait(ctx)
	fleetEnd := time.Now()
	if err != nil {
		phase.Stop()
		return err
	}
	err = d.waitEvents(ctx, uint64(res.Events), cfg.WaitLimit)
	fig := phase.Stop()
	if err != nil {
		return err
	}
	catchUp := time.Since(fleetEnd)
	raised := d.notes.byEvent(workload.AlertRuleID)
	var lat []time.Duration
	for _, pub := range res.Published {
		at, ok := raised[pub.EventID]
		if !ok {
			b.rep.missing("latency", pub.EventID)
			continue
		}
		lat = append(lat, at.Sub(time.Unix(0, pub.At)))
	}
	slices.Sort(lat)
	st := d.svc.Stats()
	b.rep.Latency = &Latency{
		Rules: n, Rate: cfg.Rate, Duration: cfg.Duration.Seconds(), Interval: cfg.Interval.Seconds(), Agents: cfg.Agents,
		Events: res.Events, Batches: res.Batches, PublishedRate: float64(res.Events) / res.Seconds,
		AlertEvents: len(res.Published), Raised: len(lat), OtherNewAlerts: int(st.NewAlertsTotal) - len(lat),
		P50ms: quantile(lat, 0.50), P90ms: quantile(lat, 0.90), P99ms: quantile(lat, 0.99), Maxms: quantile(lat, 1),
		CatchUpSeconds: catchUp.Seconds(), MaxLagms: ms(res.MaxLag), LateBatches: res.LateBatches, Failed: res.Failed,
		CPUSeconds: fig.CPU, Cores: fig.Cores(), CPUPerMillion: perMillion(fig.CPU, res.Events),
		FleetCores: res.CPUSeconds / fig.Wall.Seconds(), OtherCores: others(fig, res.CPUSeconds),
		RSSStartMiB: mib(fig.RSSStart), RSSPeakMiB: mib(fig.RSSPeak),
	}
	return d.stop()
}

// others is the cores that other processes than the center and the
// fleet kept busy during a phase.
func others(f meter.Figures, fleetCPU float64) float64 {
	if f.Wall <= 0 {
		return 0
	}
	return max(f.MachineCores-(f.CPU+fleetCPU)/f.Wall.Seconds(), 0)
}

// quantile is the q-quantile of sorted durations in milliseconds
// (nearest rank); 0 for none.
func quantile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return ms(sorted[min(max(i, 0), len(sorted)-1)])
}

func perMillion(cpu float64, events int) float64 {
	if events <= 0 {
		return 0
	}
	return cpu / float64(events) * 1e6
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
