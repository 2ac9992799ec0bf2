// Package meter measures a phase of this process: wall time, CPU time
// (getrusage: user and system, every thread) and resident memory (RSS at
// the start and the peak during the phase).
package meter

import (
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Figures are what a phase cost.
type Figures struct {
	Wall time.Duration
	// CPU is user plus system seconds of the whole process.
	CPU float64
	// MachineCores is the cores the whole machine kept busy meanwhile
	// (/proc/stat): this process, its children and every other process.
	MachineCores float64
	// RSSStart is the resident memory when the phase began (after the
	// garbage the previous phases left was returned), RSSPeak its peak
	// during the phase, both in bytes.
	RSSStart, RSSPeak uint64
}

// Cores is the CPU time over the wall time: the cores the phase kept busy.
func (f Figures) Cores() float64 {
	if f.Wall <= 0 {
		return 0
	}
	return f.CPU / f.Wall.Seconds()
}

// sampleEvery is how often the resident memory is read, for kernels that
// do not let the peak be reset.
const sampleEvery = 10 * time.Millisecond

// Phase is a phase being measured.
type Phase struct {
	wall0    time.Time
	cpu0     float64
	machine0 machineTicks
	rss0     uint64
	hwmReset bool

	mu   sync.Mutex
	peak uint64
	stop chan struct{}
	done chan struct{}
}

// Start returns the garbage of earlier phases to the system and begins a
// phase: the kernel's peak of resident memory (VmHWM) is reset when it
// allows it, and the resident memory is sampled meanwhile.
func Start() *Phase {
	debug.FreeOSMemory()
	p := &Phase{stop: make(chan struct{}), done: make(chan struct{})}
	p.rss0 = rss()
	p.peak = p.rss0
	p.hwmReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	go p.sample()
	p.machine0 = readMachine()
	p.wall0, p.cpu0 = time.Now(), CPUSeconds()
	return p
}

func (p *Phase) sample() {
	defer close(p.done)
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			r := rss()
			p.mu.Lock()
			p.peak = max(p.peak, r)
			p.mu.Unlock()
		}
	}
}

// Stop ends the phase and returns its figures.
func (p *Phase) Stop() Figures {
	f := Figures{Wall: time.Since(p.wall0), CPU: CPUSeconds() - p.cpu0, RSSStart: p.rss0}
	if m := readMachine(); m.total > p.machine0.total {
		f.MachineCores = float64(m.busy-p.machine0.busy) / float64(m.total-p.machine0.total) * float64(m.cpus)
	}
	close(p.stop)
	<-p.done
	f.RSSPeak = max(p.peak, rss())
	if p.hwmReset {
		f.RSSPeak = max(f.RSSPeak, statusBytes("VmHWM"))
	}
	return f
}

// CPUSeconds is the user and system time of this process so far.
func CPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return seconds(ru.Utime) + seconds(ru.Stime)
}

func seconds(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// rss is the resident memory now, in bytes (/proc/self/statm).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := bytes.Fields(b)
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(string(fields[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// statusBytes reads a kB field of /proc/self/status, in bytes.
func statusBytes(field string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}

// machineTicks are the machine's CPU times (/proc/stat, all CPUs).
type machineTicks struct {
	busy, total uint64
	cpus        int
}

// readMachine reads /proc/stat: busy is every time but idle, iowait and
// steal (time the hypervisor gave to other machines).
func readMachine() machineTicks {
	var m machineTicks
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 || !strings.HasPrefix(fields[0], "cpu") {
			continue
		}
		if fields[0] != "cpu" {
			m.cpus++
			continue
		}
		// user nice system idle iowait irq softirq steal; guest time
		// is counted in user and nice already.
		for i, f := range fields[1:min(len(fields), 9)] {
			n, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				continue
			}
			m.total += n
			if i != 3 && i != 4 && i != 7 {
				m.busy += n
			}
		}
	}
	return m
}
