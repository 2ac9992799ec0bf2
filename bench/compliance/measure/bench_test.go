package measure

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/eval"
)

func cpuNow(who int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkShippedCISDebian12 evaluates the shipped CIS Debian 12
// policy on this host with the real command runner, as the agent does:
// wall time per run (ns/op), CPU of this process and of the commands it
// runs per run, allocations.
func BenchmarkShippedCISDebian12(b *testing.B) {
	p, err := LoadShipped("cis_debian12")
	if err != nil {
		b.Fatal(err)
	}
	env, err := Env("/")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	self0, cmds0 := cpuNow(syscall.RUSAGE_SELF), cpuNow(syscall.RUSAGE_CHILDREN)
	var rep eval.Report
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep = eval.Run(context.Background(), p, env)
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuNow(syscall.RUSAGE_SELF)-self0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64((cpuNow(syscall.RUSAGE_CHILDREN)-cmds0).Microseconds())/1000/float64(b.N), "cmd-cpu-ms/op")
	b.ReportMetric(float64(rep.Counts.Total), "checks")
}

func TestSummarize(t *testing.T) {
	runs := []EvalRun{
		{Usage: Usage{Wall: 3 * time.Millisecond, User: 2 * time.Millisecond, MaxRSS: 30 << 20}, Stats: EvalStats{Eval: 2 * time.Millisecond, SelfMaxRSS: 20 << 20, Alloc: 5}},
		{Usage: Usage{Wall: 1 * time.Millisecond, User: 1 * time.Millisecond, MaxRSS: 10 << 20}, Stats: EvalStats{Eval: 1 * time.Millisecond, SelfMaxRSS: 10 << 20, Alloc: 1}},
		{Usage: Usage{Wall: 2 * time.Millisecond, Sys: 4 * time.Millisecond, MaxRSS: 20 << 20}, Stats: EvalStats{Eval: 3 * time.Millisecond, SelfMaxRSS: 30 << 20, Alloc: 3}},
	}
	s := Summarize(runs)
	if s.Runs != 3 || s.Wall != (Spread[time.Duration]{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}) {
		t.Errorf("wall %+v", s.Wall)
	}
	if s.CPU != (Spread[time.Duration]{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}) {
		t.Errorf("cpu %+v", s.CPU)
	}
	if s.SelfMaxRSS.Max != 30<<20 || s.MaxRSS.Min != 10<<20 || s.Alloc.Median != 3 {
		t.Errorf("summary %+v", s)
	}
}
