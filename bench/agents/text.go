package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/vigilsec/vigil/bench/agents/internal/stats"
)

// writeText prints the report for a reader.
func writeText(w io.Writer, r *report) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	where := r.Center
	if r.CenterStarted {
		where += " (started here)"
	}
	if r.CenterPID != 0 {
		where += fmt.Sprintf(", pid %d", r.CenterPID)
	}
	p("Vigil center with %d simulated agents, heartbeat every %gs (%.0f heartbeats/s expected)", r.Agents, r.HeartbeatS, float64(r.Agents)/r.HeartbeatS)
	p("  center      %s", where)
	p("  machine     %d cores; open files: this process %d (hard %d), center %s; needs about %d and %d: %s",
		r.Cores, r.Files.ToolSoft, r.Files.ToolHard, orUnknown(r.Files.CenterLimit), r.Files.ToolNeeds, r.Files.CenterNeeds, fits(r.Files.Fits))
	p("  run label   %s", r.Run)
	p("")
	if e := r.Enroll; e != nil {
		p("Enrollment    %d of %d in %.2f s = %.1f/s; each %s", e.OK, e.Attempted, e.WallS, e.PerSecond, latency(e.Latency))
		p("              %s", phaseDetail(e, r.Cores))
		errorLines(p, e.Errors)
	}
	if c := r.Connect; c != nil {
		p("Bus connect   %d of %d in %.2f s = %.1f/s; each %s", c.OK, c.Attempted, c.WallS, c.PerSecond, latency(c.Latency))
		p("              %s", phaseDetail(c, r.Cores))
		errorLines(p, c.Errors)
	}
	if o := r.Online; o != nil {
		state := fmt.Sprintf("all %d online %.2f s after the first connect call", o.Target, o.AllOnlineS)
		if !o.Complete {
			state = fmt.Sprintf("only %d of %d online (timeout)", o.Reached, o.Target)
		}
		p("Online        %s; last first connect at %.2f s; one count of the listing takes %.0f ms (%d polls)", state, o.LastConnectS, o.CountS*1000, o.Polls)
	}
	if r.Idle != nil || r.Steady != nil {
		p("")
		writeResources(w, r)
	}
	if len(r.Detection) > 0 {
		p("")
		writeDetection(w, r.Detection)
	}
	f := r.Fleet
	p("")
	if r.Enroll != nil {
		p("Fleet totals  heartbeats sent %d (errors %d), connects %d, unexpected disconnects %d, async errors %d",
			f.HeartbeatsSent, f.HeartbeatErrors, f.Connects, f.Disconnects, f.AsyncErrors)
	}
	if c := r.Counters; c != nil {
		p("Center totals heartbeats %.0f (malformed %.0f), status changes to online %.0f and to lost %.0f (%.0f before the take-down), health alerts %.0f",
			c.Heartbeats, c.Malformed, c.OnlineChanges, c.LostChanges, c.LostBeforeTakeDown, c.Alerts)
	}
	p("Wall time     %.1f s", r.WallS)
	for _, n := range append(append([]string{}, r.Files.Notes...), r.Notes...) {
		p("Note: %s", n)
	}
	for _, e := range r.Errors {
		p("ERROR: %s", e)
	}
}

func writeResources(w io.Writer, r *report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "Center (window %gs)\tidle\tsteady\tper agent\t\n", windowOf(r))
	idle, steady, per := r.Idle, r.Steady, r.PerAgent
	row := func(name string, f func(*resources) string, pa func(*perAgent) string) {
		cells := []string{name, "-", "-", "-"}
		if idle != nil {
			cells[1] = f(idle)
		}
		if steady != nil {
			cells[2] = f(steady)
		}
		if per != nil && pa != nil {
			cells[3] = pa(per)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	row("agents connected", func(x *resources) string { return fmt.Sprint(x.Agents) }, nil)
	row("RSS mean", func(x *resources) string { return mib(float64(x.RSSMeanBytes)) }, func(p *perAgent) string { return kib(p.RSSBytes) })
	row("RSS max", func(x *resources) string { return mib(float64(x.RSSMaxBytes)) }, nil)
	row("CPU, % of one core", func(x *resources) string { return fmt.Sprintf("%.2f", x.CPUPercent) },
		func(p *perAgent) string {
			return fmt.Sprintf("%.5f (%.2f per 1000)", p.CPUPercent, p.CPUPercentPer1000)
		})
	row("open files", func(x *resources) string { return fmt.Sprint(x.OpenFiles) }, func(p *perAgent) string { return fmt.Sprintf("%.2f", p.OpenFiles) })
	row("threads", func(x *resources) string { return fmt.Sprint(x.Threads) }, nil)
	row("heartbeats sent/s", func(x *resources) string { return fmt.Sprintf("%.1f", x.HeartbeatsSent) }, nil)
	row("heartbeats received/s", func(x *resources) string { return fmt.Sprintf("%.1f", x.HeartbeatsRecv) }, nil)
	row("online (center gauge)", func(x *resources) string { return fmt.Sprintf("%.0f", x.OnlineMetric) }, nil)
	row("fleet process CPU %", func(x *resources) string { return fmt.Sprintf("%.2f", x.Tool.CPUPercent) }, nil)
	row("fleet process RSS", func(x *resources) string { return mib(float64(x.Tool.RSSMeanBytes)) }, nil)
	row("whole machine CPU %", func(x *resources) string { return fmt.Sprintf("%.2f", x.MachineCPU) }, nil)
	tw.Flush()
}

func writeDetection(w io.Writer, ds []detection) {
	fmt.Fprintln(w, "Offline detection (delay from take-down; visible = GET /agents/{id} answers lost, polled every 100 ms;")
	fmt.Fprintln(w, "                   decided = the center's status_changed_at)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  kind\tlost\tvisible min / median / p95 / max\tdecided min / median / p95 / max\tlost alerts\t")
	for _, d := range ds {
		fmt.Fprintf(tw, "  %s\t%d/%d\t%s\t%s\t%d/%d\t\n", d.Kind, d.Lost, d.Agents, seconds(d.Visible), seconds(d.Decided), d.Alerts, d.Lost)
	}
	tw.Flush()
	for _, d := range ds {
		keys := make([]string, 0, len(d.Reasons))
		for k := range d.Reasons {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s reason (%d): %s\n", d.Kind, d.Reasons[k], k)
		}
		if len(d.NotLost) > 0 {
			fmt.Fprintf(w, "  %s NOT lost in time: %s\n", d.Kind, strings.Join(d.NotLost, " "))
		}
		if len(d.NoAlert) > 0 {
			fmt.Fprintf(w, "  %s lost WITHOUT alert: %s\n", d.Kind, strings.Join(d.NoAlert, " "))
		}
	}
}

func errorLines(p func(string, ...any), errs map[string]int) {
	for msg, n := range errs {
		p("              %d x %s", n, oneLine(msg))
	}
}

func phaseDetail(ph *phase, cores int) string {
	return fmt.Sprintf("first tenth %.0f/s, last tenth %.0f/s; CPU %% of one core: center %.0f, fleet %.0f, whole machine %.0f of %d",
		ph.FirstTenth, ph.LastTenth, ph.CenterCPU, ph.FleetCPU, ph.MachineCPU, 100*cores)
}

func latency(s stats.Summary) string {
	if s.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("median %.1f ms, p95 %.1f ms, max %.1f ms", stats.Millis(s.Median), stats.Millis(s.P95), stats.Millis(s.Max))
}

func seconds(s stats.Summary) string {
	if s.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f / %.3f / %.3f / %.3f s", s.Min.Seconds(), s.Median.Seconds(), s.P95.Seconds(), s.Max.Seconds())
}

func windowOf(r *report) float64 {
	if r.Steady != nil {
		return float64(int(r.Steady.WindowSeconds + 0.5))
	}
	return float64(int(r.Idle.WindowSeconds + 0.5))
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/(1<<10)) }

func fits(ok bool) string {
	if ok {
		return "fits"
	}
	return "DOES NOT FIT"
}

func orUnknown(n uint64) string {
	if n == 0 {
		return "unknown"
	}
	return fmt.Sprint(n)
}
