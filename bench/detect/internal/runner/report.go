package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Report is the figures of a run.
type Report struct {
	CPUs       int    `json:"cpus"`
	GoMaxProcs int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	// LoadAverage and LoadAverageEnd are the machine's one-minute load
	// average when the run began and ended.
	LoadAverage    float64 `json:"load_average"`
	LoadAverageEnd float64 `json:"load_average_end"`
	Agents         int     `json:"agents"`
	AlertEvery     int     `json:"alert_every"`
	// EngineSample is the events the engine alone evaluates over and over.
	EngineSample int `json:"engine_sample_events"`

	Ingest     Ingest       `json:"ingest"`
	Throughput []Throughput `json:"throughput"`
	Latency    *Latency     `json:"latency"`
	// Missing are alert events that raised no alert, by phase.
	Missing map[string][]string `json:"missing,omitempty"`
}

// Ingest is the backlog's publication: what receiving it cost the center.
type Ingest struct {
	Events          int     `json:"events"`
	Batches         int     `json:"batches"`
	BytesPerEvent   float64 `json:"bytes_per_event"`
	MakeSeconds     float64 `json:"make_seconds"`
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	CPUSeconds      float64 `json:"cpu_seconds"`
	CPUPerMillion   float64 `json:"cpu_seconds_per_million_events"`
	FleetCPUSeconds float64 `json:"fleet_cpu_seconds"`
	OtherCores      float64 `json:"other_processes_cores"`
	RSSStartMiB     float64 `json:"rss_start_mib"`
	RSSPeakMiB      float64 `json:"rss_peak_mib"`
}

// Throughput is one rule count's drain of the backlog.
type Throughput struct {
	Rules           int     `json:"rules"`
	PackRules       int     `json:"pack_rules"`
	PackFiles       int     `json:"pack_files"`
	GeneratedRules  int     `json:"generated_rules"`
	LoadSeconds     float64 `json:"load_seconds"`
	Events          int     `json:"events"`
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	CPUSeconds      float64 `json:"cpu_seconds"`
	CPUPerMillion   float64 `json:"cpu_seconds_per_million_events"`
	Cores           float64 `json:"cores"`
	OtherCores      float64 `json:"other_processes_cores"`
	RSSStartMiB     float64 `json:"rss_start_mib"`
	RSSPeakMiB      float64 `json:"rss_peak_mib"`
	AlertEvents     int     `json:"alert_events"`
	Raised          int     `json:"raised"`
	Matches         uint64  `json:"matches"`
	AlertsTotal     uint64  `json:"alerts_total"`
	NewAlerts       uint64  `json:"new_alerts"`
	Engine          Engine  `json:"engine_alone"`
}

// Engine is the rule engine alone over the same events.
type Engine struct {
	Events               int     `json:"events"`
	EventsPerSecond      float64 `json:"events_per_second"`
	CPUPerMillion        float64 `json:"cpu_seconds_per_million_events"`
	DetectionsPerMillion float64 `json:"detections_per_million_events"`
	OtherCores           float64 `json:"other_processes_cores"`
	RSSPeakMiB           float64 `json:"rss_peak_mib"`
}

// Latency is the steady publication's figures.
type Latency struct {
	Rules          int     `json:"rules"`
	Rate           float64 `json:"rate"`
	Duration       float64 `json:"duration_seconds"`
	Interval       float64 `json:"interval_seconds"`
	Agents         int     `json:"agents"`
	Events         int     `json:"events"`
	Batches        int     `json:"batches"`
	PublishedRate  float64 `json:"published_events_per_second"`
	AlertEvents    int     `json:"alert_events"`
	Raised         int     `json:"raised"`
	OtherNewAlerts int     `json:"other_new_alerts"`
	P50ms          float64 `json:"p50_ms"`
	P90ms          float64 `json:"p90_ms"`
	P99ms          float64 `json:"p99_ms"`
	Maxms          float64 `json:"max_ms"`
	CatchUpSeconds float64 `json:"catch_up_seconds"`
	MaxLagms       float64 `json:"publisher_max_lag_ms"`
	LateBatches    int     `json:"late_batches"`
	Failed         int     `json:"failed_batches"`
	CPUSeconds     float64 `json:"cpu_seconds"`
	Cores          float64 `json:"cores"`
	CPUPerMillion  float64 `json:"cpu_seconds_per_million_events"`
	FleetCores     float64 `json:"fleet_cores"`
	OtherCores     float64 `json:"other_processes_cores"`
	RSSStartMiB    float64 `json:"rss_start_mib"`
	RSSPeakMiB     float64 `json:"rss_peak_mib"`
}

func newReport(cfg Config) *Report {
	return &Report{CPUs: runtime.NumCPU(), GoMaxProcs: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		LoadAverage: loadAverage(), Agents: cfg.Agents, AlertEvery: cfg.AlertEvery}
}

// loadAverage is the machine's one-minute load average, 0 when unknown.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, _ := strconv.ParseFloat(f, 64)
	return v
}

// missing records an alert event of phase that raised no alert.
func (r *Report) missing(phase, eventID string) {
	if r.Missing == nil {
		r.Missing = map[string][]string{}
	}
	r.Missing[phase] = append(r.Missing[phase], eventID)
}

// Complete says whether every alert event raised its alert.
func (r *Report) Complete() bool { return len(r.Missing) == 0 }

// Print writes the report as text or json.
func (r *Report) Print(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	p := &printer{w: w}
	p.f("Vigil detection on %d CPUs (GOMAXPROCS %d, %s); load average %.2f at the start, %.2f at the end.\n",
		r.CPUs, r.GoMaxProcs, r.GoVersion, r.LoadAverage, r.LoadAverageEnd)
	p.f("%d simulated agents, in a process of their own, publish to the center's bus over TLS on 127.0.0.1", r.Agents)
	if r.AlertEvery > 0 {
		p.f(";\none event in %d of each agent is a reverse shell that must raise a new alert", r.AlertEvery)
	}
	p.f(".\nOTHERS: cores that other processes of the machine kept busy meanwhile (figures are fair when near 0).\n")

	in := r.Ingest
	p.f("\nBacklog: %s events in %s batches (%.0f B/event compressed), made in %.1f s, published in %.2f s (%s events/s);\n",
		num(in.Events), num(in.Batches), in.BytesPerEvent, in.MakeSeconds, in.Seconds, num(int(in.EventsPerSecond)))
	p.f("storing them cost the center %.2f CPU s (%.1f s per million events), RSS %.0f -> %.0f MiB; fleet %.2f CPU s, OTHERS %.2f.\n",
		in.CPUSeconds, in.CPUPerMillion, in.RSSStartMiB, in.RSSPeakMiB, in.FleetCPUSeconds, in.OtherCores)

	p.f("\nThroughput: the detection service reads the whole backlog from the stream (consume, decode, rules, alerts, acks).\n")
	p.f("CPU S/M: CPU seconds per million events, of the whole center process (bus server, service, store); EV/S/CORE = 1e6 / CPU S/M.\n")
	p.f("ENGINE: RuleSet.Evaluate alone, one goroutine, over the backlog's first %s events (decoded beforehand).\n\n", num(r.EngineSample))
	if err := p.err; err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "RULES\tSHIPPED+GEN\tLOAD\tEVENTS/S\tCPU S/M\tEV/S/CORE\tCORES\tOTHERS\tRSS START\tRSS PEAK\tALERTS\t\tENGINE EV/S\tCPU S/M\tEV/S/CORE\tOTHERS\tRSS PEAK\t")
	for _, t := range r.Throughput {
		e := t.Engine
		fmt.Fprintf(tw, "%d\t%d+%d\t%.2f s\t%s\t%.1f\t%s\t%.2f\t%.2f\t%.0f MiB\t%.0f MiB\t%d/%d\t\t%s\t%.2f\t%s\t%.2f\t%.0f MiB\t\n",
			t.Rules, t.PackRules, t.GeneratedRules, t.LoadSeconds, num(int(t.EventsPerSecond)), t.CPUPerMillion,
			num(int(perCore(t.CPUPerMillion))), t.Cores, t.OtherCores, t.RSSStartMiB, t.RSSPeakMiB, t.Raised, t.AlertEvents,
			num(int(e.EventsPerSecond)), e.CPUPerMillion, num(int(perCore(e.CPUPerMillion))), e.OtherCores, e.RSSPeakMiB)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	p.f("LOAD: rules read from the store and compiled; ALERTS: alert events whose new alert was stored / alert events.\n")

	if l := r.Latency; l != nil {
		p.f("\nLatency: %s events/s for %.0f s with %d rules; each agent publishes one batch every %.0f ms.\n",
			num(int(l.Rate)), l.Duration, l.Rules, l.Interval*1000)
		p.f("Published %s events in %s batches at %s events/s (publisher max lag %.1f ms, %d batches late, %d refused).\n",
			num(l.Events), num(l.Batches), num(int(l.PublishedRate)), l.MaxLagms, l.LateBatches, l.Failed)
		verdict := "all"
		if l.Raised != l.AlertEvents {
			verdict = fmt.Sprintf("%d MISSING", l.AlertEvents-l.Raised)
		}
		p.f("Alert events %d; their new alert stored and notified: %d (%s); other new alerts %d.\n\n",
			l.AlertEvents, l.Raised, verdict, l.OtherNewAlerts)
		if err := p.err; err != nil {
			return err
		}
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "PUBLICATION TO ALERT\tP50\tP90\tP99\tMAX\t")
		fmt.Fprintf(tw, "\t%.1f ms\t%.1f ms\t%.1f ms\t%.1f ms\t\n", l.P50ms, l.P90ms, l.P99ms, l.Maxms)
		if err := tw.Flush(); err != nil {
			return err
		}
		p.f("\nCenter meanwhile: %.2f cores (%.1f CPU s, %.1f s per million events), RSS %.0f -> %.0f MiB;\n",
			l.Cores, l.CPUSeconds, l.CPUPerMillion, l.RSSStartMiB, l.RSSPeakMiB)
		p.f("fleet %.2f cores, OTHERS %.2f; the service had evaluated every event %.2f s after the last batch was acknowledged.\n",
			l.FleetCores, l.OtherCores, l.CatchUpSeconds)
	}
	if busy := r.busiestOthers(); busy > othersWarning {
		p.f("\nOther processes kept up to %.2f cores busy during a phase: the center had less than the machine's %d CPUs;\n", busy, r.CPUs)
		p.f("compare CPU seconds per million events across runs rather than rates and latencies.\n")
	}
	for _, phase := range slices.Sorted(maps.Keys(r.Missing)) {
		ids := r.Missing[phase]
		p.f("\nMISSING in %s: %d alert events raised no alert, first %s\n", phase, len(ids), strings.Join(ids[:min(5, len(ids))], ", "))
	}
	return p.err
}

// othersWarning is the load of other processes, in cores, above which
// the report says that they disturbed the figures.
const othersWarning = 0.25

// busiestOthers is the most cores other processes kept busy in a phase.
func (r *Report) busiestOthers() float64 {
	busy := r.Ingest.OtherCores
	for _, t := range r.Throughput {
		busy = max(busy, t.OtherCores, t.Engine.OtherCores)
	}
	if r.Latency != nil {
		busy = max(busy, r.Latency.OtherCores)
	}
	return busy
}

func perCore(cpuPerMillion float64) float64 {
	if cpuPerMillion <= 0 {
		return 0
	}
	return 1e6 / cpuPerMillion
}

// printer keeps the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// num writes n with thousands separators.
func num(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
