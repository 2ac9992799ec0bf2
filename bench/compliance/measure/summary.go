package measure

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// Goals of a full CIS Debian 12 evaluation.
const (
	GoalWall = 5 * time.Second
	// GoalMaxRSS is 60 MB (57.2 MiB).
	GoalMaxRSS = 60_000_000
)

// Spread is the minimum, median and maximum of a figure over the runs.
type Spread[T int64 | uint64 | time.Duration] struct {
	Min    T `json:"min"`
	Median T `json:"median"`
	Max    T `json:"max"`
}

func spread[T int64 | uint64 | time.Duration](vs []T) Spread[T] {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s) == 0 {
		return Spread[T]{}
	}
	return Spread[T]{Min: s[0], Median: s[len(s)/2], Max: s[len(s)-1]}
}

// EvalSummary sums up the evaluation runs.
type EvalSummary struct {
	Runs   int `json:"runs"`
	Checks int `json:"checks"`
	// Wall is the child process from start to exit; Eval eval.Run alone.
	Wall Spread[time.Duration] `json:"wall_ns"`
	Eval Spread[time.Duration] `json:"eval_ns"`
	// CPU is user+system of the child and the commands it ran; SelfCPU
	// that of the evaluation process alone.
	CPU     Spread[time.Duration] `json:"cpu_ns"`
	SelfCPU Spread[time.Duration] `json:"self_cpu_ns"`
	// SelfMaxRSS is the evaluation process's peak resident set;
	// MaxRSS the wait4 figure, the largest of it and its commands.
	SelfMaxRSS Spread[int64]  `json:"self_max_rss_bytes"`
	MaxRSS     Spread[int64]  `json:"max_rss_bytes"`
	Alloc      Spread[uint64] `json:"alloc_bytes"`
	Mallocs    Spread[uint64] `json:"mallocs"`
}

// Summarize sums up runs.
func Summarize(runs []EvalRun) EvalSummary {
	s := EvalSummary{Runs: len(runs)}
	var wall, ev, cpu, self []time.Duration
	var selfRSS, rss []int64
	var alloc, mallocs []uint64
	for _, r := range runs {
		s.Checks = r.Stats.Report.Counts.Total
		wall = append(wall, r.Usage.Wall)
		ev = append(ev, r.Stats.Eval)
		cpu = append(cpu, r.Usage.CPU())
		self = append(self, r.Stats.SelfUser+r.Stats.SelfSys)
		selfRSS = append(selfRSS, r.Stats.SelfMaxRSS)
		rss = append(rss, r.Usage.MaxRSS)
		alloc = append(alloc, r.Stats.Alloc)
		mallocs = append(mallocs, r.Stats.Mallocs)
	}
	s.Wall, s.Eval, s.CPU, s.SelfCPU = spread(wall), spread(ev), spread(cpu), spread(self)
	s.SelfMaxRSS, s.MaxRSS = spread(selfRSS), spread(rss)
	s.Alloc, s.Mallocs = spread(alloc), spread(mallocs)
	return s
}

// WriteEvalRuns prints one line per run and the summary with the goals.
func WriteEvalRuns(w io.Writer, runs []EvalRun) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tprocess wall\tpolicy parse\teval.Run\tCPU user+sys\tof which commands\tpeak RSS (eval)\tpeak RSS (with commands)\tallocated\tallocations\t")
	for i, r := range runs {
		st := r.Stats
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", i+1, ms(r.Usage.Wall), ms(st.Load), ms(st.Eval),
			ms(r.Usage.CPU()), ms(st.CommandsUser+st.CommandsSys), mib(st.SelfMaxRSS), mib(r.Usage.MaxRSS), mib(int64(st.Alloc)), st.Mallocs)
	}
	tw.Flush()
	s := Summarize(runs)
	fmt.Fprintf(w, "\nmedian of %d runs: %s wall (eval.Run %s), %s CPU, peak RSS %s; range %s-%s wall, %s-%s peak RSS\n",
		s.Runs, ms(s.Wall.Median), ms(s.Eval.Median), ms(s.CPU.Median), mib(s.SelfMaxRSS.Median),
		ms(s.Wall.Min), ms(s.Wall.Max), mib(s.SelfMaxRSS.Min), mib(s.SelfMaxRSS.Max))
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	fmt.Fprintf(w, "goal: the whole policy in under %s wall and %d MB: %s (slowest run %s, largest peak RSS %s)\n",
		GoalWall, GoalMaxRSS/1_000_000, verdict(s.Wall.Max < GoalWall && s.SelfMaxRSS.Max < GoalMaxRSS), ms(s.Wall.Max), mib(s.SelfMaxRSS.Max))
}

// WriteLynis prints the figures of a Lynis audit.
func WriteLynis(w io.Writer, r LynisRun) {
	rep := r.Audit.Report
	done, _ := rep.Value("lynis_tests_done")
	fmt.Fprintf(w, "Lynis %s `audit system --quick`: %s wall, %s CPU (user %s, sys %s, Lynis and every process it ran), largest process %s; %s tests performed, %d skipped\n",
		r.Audit.Version(), sec(r.Usage.Wall), sec(r.Usage.CPU()), sec(r.Usage.User), sec(r.Usage.Sys), mib(r.Usage.MaxRSS),
		done, len(rep.Skipped))
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func sec(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func mib(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
