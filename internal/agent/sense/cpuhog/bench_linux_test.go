//go:build linux

package cpuhog

import (
	"os/exec"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkTick measures one tick over the host's real /proc: the
// sampling cost per process, in wall time and in CPU time of the thread
// (the machine may be shared: its wall time counts waiting for a CPU
// too), and what it comes to at the default interval of 10 s for 1,000
// processes. "1000-processes" first starts sleeping processes until the
// host has 1,000.
func BenchmarkTick(b *testing.B) {
	b.Run("host", func(b *testing.B) { benchTick(b) })
	b.Run("1000-processes", func(b *testing.B) {
		n := countProcesses(b)
		var sleepers []*exec.Cmd
		b.Cleanup(func() {
			for _, c := range sleepers {
				_ = c.Process.Kill()
				_ = c.Wait()
			}
		})
		for ; n < 1000; n++ {
			c := exec.Command("/usr/bin/sleep", "3600")
			if err := c.Start(); err != nil {
				b.Fatalf("start process %d: %v", n, err)
			}
			sleepers = append(sleepers, c)
		}
		benchTick(b)
	})
}

func benchTick(b *testing.B) {
	set := DefaultSettings()
	set.Interval = time.Nanosecond // every sample is measured, as at the real interval
	reports := 0
	m := newMonitor("/", set, &counters{}, func(due) { reports++ }, time.Now)
	if err := m.tick(); err != nil {
		b.Fatal(err)
	}
	procs := len(m.procs)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadCPU(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := m.tick(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := threadCPU(b) - before
	perProc := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(procs)
	cpuPerProc := float64(cpu.Nanoseconds()) / float64(b.N) / float64(procs)
	b.ReportMetric(float64(procs), "processes")
	b.ReportMetric(perProc/1000, "µs/process")
	b.ReportMetric(cpuPerProc/1000, "cpu-µs/process")
	// 1,000 processes every 10 s, as a percentage of one core.
	b.ReportMetric(cpuPerProc*1000/float64(10*time.Second)*100, "%core@1000procs/10s")
}

// threadCPU returns the CPU time the calling thread has used.
func threadCPU(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countProcesses counts the processes in /proc.
func countProcesses(b *testing.B) int {
	d, err := openProcDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	defer d.close()
	pids, err := d.list(make([]byte, dirBufSize), nil)
	if err != nil {
		b.Fatal(err)
	}
	return len(pids)
}

// TestTickAllocates: a tick allocates nothing per process (opening the
// proc directory allocates its path, once per tick).
func TestTickAllocates(t *testing.T) {
	f := newProcTree(t)
	for pid := 1; pid <= 200; pid++ {
		f.put(pid, 0, 0, uint64(pid))
	}
	set := DefaultSettings()
	set.Interval = time.Nanosecond
	now := time.Now()
	m := newMonitor(f.root, set, &counters{}, func(due) {}, func() time.Time { return now })
	if err := m.tick(); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		now = now.Add(time.Second)
		if err := m.tick(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 || len(m.procs) != 200 {
		t.Errorf("a tick over %d processes allocates %v times", len(m.procs), allocs)
	}
}
