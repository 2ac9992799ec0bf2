// Package procstat reads a process's resource use from /proc (resident
// memory, CPU time, open files) and turns samples taken over a window into
// averages.
package procstat

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// Sample is one reading of a process.
type Sample struct {
	At         time.Time
	RSSBytes   uint64
	CPUSeconds float64 // user plus system time since the process started
	OpenFiles  int
	Threads    int
}

// Read takes a sample of process pid.
func Read(pid int) (Sample, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return Sample{}, fmt.Errorf("process %d: %w", pid, err)
	}
	at := time.Now()
	st, err := p.Stat()
	if err != nil {
		return Sample{}, fmt.Errorf("process %d: stat: %w", pid, err)
	}
	fds, err := p.FileDescriptorsLen()
	if err != nil {
		return Sample{}, fmt.Errorf("process %d: open files: %w", pid, err)
	}
	return Sample{At: at, RSSBytes: uint64(max(st.ResidentMemory(), 0)), CPUSeconds: st.CPUTime(), OpenFiles: fds, Threads: st.NumThreads}, nil
}

// OpenFilesLimit returns the soft limit on open files of process pid.
func OpenFilesLimit(pid int) (uint64, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	l, err := p.Limits()
	if err != nil {
		return 0, fmt.Errorf("process %d: limits: %w", pid, err)
	}
	return l.OpenFiles, nil
}

// Usage is a process's resource use over a window.
type Usage struct {
	WindowSeconds float64 `json:"window_s"`
	// CPUPercent is CPU time over wall time, in percent of one core.
	CPUPercent   float64 `json:"cpu_percent"`
	RSSMeanBytes uint64  `json:"rss_mean_bytes"`
	RSSMaxBytes  uint64  `json:"rss_max_bytes"`
	RSSLastBytes uint64  `json:"rss_last_bytes"`
	OpenFiles    int     `json:"open_files"`
	Threads      int     `json:"threads"`
	Samples      int     `json:"samples"`
}

// Summarize turns samples (in time order, at least two) into a Usage.
func Summarize(samples []Sample) (Usage, error) {
	if len(samples) < 2 {
		return Usage{}, fmt.Errorf("want at least two samples, got %d", len(samples))
	}
	first, last := samples[0], samples[len(samples)-1]
	wall := last.At.Sub(first.At)
	if wall <= 0 {
		return Usage{}, fmt.Errorf("samples span no time")
	}
	u := Usage{
		WindowSeconds: wall.Seconds(),
		CPUPercent:    100 * (last.CPUSeconds - first.CPUSeconds) / wall.Seconds(),
		RSSLastBytes:  last.RSSBytes,
		OpenFiles:     last.OpenFiles,
		Threads:       last.Threads,
		Samples:       len(samples),
	}
	var sum uint64
	for _, s := range samples {
		sum += s.RSSBytes
		u.RSSMaxBytes = max(u.RSSMaxBytes, s.RSSBytes)
	}
	u.RSSMeanBytes = sum / uint64(len(samples))
	return u, nil
}

// Measure samples every process in pids every interval for window and
// returns the usage of each, in the order of pids. It stops early with an
// error when ctx is done or a process cannot be read (it exited).
func Measure(ctx context.Context, pids []int, window, interval time.Duration) ([]Usage, error) {
	if interval <= 0 || window < interval {
		return nil, fmt.Errorf("measure: window %s must be at least the interval %s", window, interval)
	}
	samples := make([][]Sample, len(pids))
	take := func() error {
		for i, pid := range pids {
			s, err := Read(pid)
			if err != nil {
				return fmt.Errorf("measure: %w", err)
			}
			samples[i] = append(samples[i], s)
		}
		return nil
	}
	if err := take(); err != nil {
		return nil, err
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	end := time.Now().Add(window)
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("measure: %w", ctx.Err())
		case <-tick.C:
		}
		if err := take(); err != nil {
			return nil, err
		}
	}
	out := make([]Usage, len(pids))
	for i := range pids {
		u, err := Summarize(samples[i])
		if err != nil {
			return nil, fmt.Errorf("measure process %d: %w", pids[i], err)
		}
		out[i] = u
	}
	return out, nil
}

// MachineBusy returns the CPU time, in seconds summed over every core,
// that the machine spent on anything but idling and waiting for I/O since
// it booted.
func MachineBusy() (float64, error) {
	st, err := procfs.NewStat()
	if err != nil {
		return 0, fmt.Errorf("machine CPU: %w", err)
	}
	c := st.CPUTotal
	return c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ + c.Steal, nil
}
