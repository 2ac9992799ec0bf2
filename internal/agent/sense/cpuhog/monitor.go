package cpuhog

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/vigilsec/vigil/internal/agent/procid"
)

// Sizes of the monitor's buffers.
const (
	// dirBufSize holds the entries of one getdents64 call (about 1,000
	// processes: /proc is read in several calls when it has more).
	dirBufSize = 32 << 10
	// statBufSize holds a whole /proc/PID/stat line (52 numbers and a
	// command name of at most 64 bytes).
	statBufSize = 2048
	// maxEvictionScan bounds the processes looked at to find one to
	// evict: beyond it, the new process is not measured.
	maxEvictionScan = 64
)

// nsPerTick is the length of a clock tick of /proc in nanoseconds.
const nsPerTick = int64(time.Second) / procid.TicksPerSecond

// tracked is the monitor's state of one process.
type tracked struct {
	// start is the process's start time in ticks after boot: with the
	// pid, its identity. Valid when known is set.
	start uint64
	// cpu is the CPU time used (utime+stime, in ticks) at the last
	// sample, taken at at (nanoseconds after the monitor's base).
	cpu uint64
	at  int64
	// hotSince is when the current hot streak began (the time of the
	// sample before the first hot one), and hotCPU the CPU time then.
	hotSince int64
	hotCPU   uint64
	// reportedAt is when the streak was last reported (or found ignored).
	reportedAt int64
	// seen is the tick that last listed the process.
	seen uint32
	// known: start, cpu and at hold a sample.
	known bool
	// kernel: a kernel thread, never measured.
	kernel   bool
	hot      bool
	reported bool
}

// due is a process that has been hot for the sustain duration.
type due struct {
	pid   int
	start uint64
	// statLine is the stat line of the sample; valid only during the
	// call that is given it.
	statLine []byte
	// since is when the streak began, at the time of the sample; window
	// is the time from then to the sample (measured on the monotonic
	// clock, where the wall clock may have been set meanwhile).
	since, at time.Time
	window    time.Duration
	// cpuTicks is the CPU time used in the streak, in clock ticks.
	cpuTicks uint64
	// rearmed: the streak was reported before, rearm ago.
	rearmed bool
}

// corePct is the use of one core, in percent, over the streak.
func (d due) corePct() float64 {
	if d.window <= 0 {
		return 0
	}
	return float64(d.cpuTicks) * float64(nsPerTick) * 100 / float64(d.window)
}

// monitor samples the processes of one proc directory. It is used by one
// goroutine.
type monitor struct {
	set      Settings
	procPath string
	counters *counters
	// report is called, during tick, for each process that is due.
	report func(due)
	// clock tells the time of each sample: time.Now but in tests.
	clock func() time.Time

	base  time.Time
	procs map[int]*tracked
	// ticks counts the ticks taken; tracked.seen holds one of them.
	ticks uint32
	pids  []int
	// Buffers reused by every tick.
	dirBuf, statBuf, pathBuf []byte
}

// newMonitor returns a monitor of <root>/proc with settings set, whose
// samples are timed by clock.
func newMonitor(root string, set Settings, c *counters, report func(due), clock func() time.Time) *monitor {
	return &monitor{
		set:      set,
		procPath: filepath.Join(root, "proc"),
		counters: c,
		report:   report,
		clock:    clock,
		procs:    map[int]*tracked{},
		dirBuf:   make([]byte, dirBufSize),
		statBuf:  make([]byte, statBufSize),
		pathBuf:  make([]byte, 0, 32),
	}
}

// tick takes one sample of every process.
func (m *monitor) tick() error {
	if m.base.IsZero() {
		m.base = m.clock()
	}
	dir, err := openProcDir(m.procPath)
	if err != nil {
		return err
	}
	defer dir.close()
	m.pids, err = dir.list(m.dirBuf, m.pids[:0])
	if err != nil {
		return fmt.Errorf("list the processes: %w", err)
	}
	m.ticks++
	for _, pid := range m.pids {
		m.sample(dir, pid)
	}
	for pid, p := range m.procs {
		if p.seen != m.ticks {
			delete(m.procs, pid) // exited
		}
	}
	m.counters.processes.Store(uint64(len(m.procs)))
	return nil
}

// sample takes one sample of process pid.
func (m *monitor) sample(dir procDir, pid int) {
	p := m.procs[pid]
	if p == nil {
		if !m.makeRoom() {
			m.counters.untracked.Add(1)
			return
		}
		p = &tracked{}
		m.procs[pid] = p
	}
	p.seen = m.ticks
	n, err := dir.readStat(pid, m.pathBuf, m.statBuf)
	if err != nil {
		if gone(err) {
			delete(m.procs, pid)
			return
		}
		m.counters.readErrors.Add(1)
		*p = tracked{seen: m.ticks}
		return
	}
	// Each sample is timed when it is read: a tick over many processes
	// takes a while, and the time between two samples of a process is
	// what its CPU time is divided by.
	now := m.clock()
	t := now.Sub(m.base).Nanoseconds()
	line := m.statBuf[:n]
	st, err := parseCPUStat(line)
	if err != nil || st.pid != pid {
		m.counters.malformedLines.Add(1)
		*p = tracked{seen: m.ticks}
		return
	}
	if !p.known || p.start != st.startTicks {
		if p.known {
			m.counters.pidReuses.Add(1)
		}
		*p = tracked{seen: m.ticks, known: true, start: st.startTicks, cpu: st.cpuTicks, at: t, kernel: st.kernelThread()}
		return
	}
	if p.kernel {
		return
	}
	m.measure(pid, p, st, line, t, now)
}

// measure updates the streak of process pid with a new sample.
func (m *monitor) measure(pid int, p *tracked, st cpuStat, line []byte, t int64, now time.Time) {
	elapsed := t - p.at
	if elapsed < m.set.Interval.Nanoseconds()/2 {
		// A sample soon after the last one (the ticker caught up after a
		// slow tick) would measure too little time for the tick-sized
		// unit of the CPU time: the next one measures from the last.
		return
	}
	prevCPU, prevAt := p.cpu, p.at
	p.cpu, p.at = st.cpuTicks, t
	if st.cpuTicks < prevCPU {
		return
	}
	used := float64(st.cpuTicks-prevCPU) * float64(nsPerTick)
	if used*100 < m.set.Threshold*float64(elapsed) {
		p.hot, p.reported = false, false
		return
	}
	if !p.hot {
		p.hot, p.hotSince, p.hotCPU = true, prevAt, prevCPU
	}
	if t-p.hotSince < m.set.Sustain.Nanoseconds() {
		return
	}
	rearmed := p.reported
	if p.reported && (m.set.Rearm == 0 || t-p.reportedAt < m.set.Rearm.Nanoseconds()) {
		return
	}
	p.reported, p.reportedAt = true, t
	m.report(due{
		pid: pid, start: p.start, statLine: line, rearmed: rearmed,
		since: m.base.Add(time.Duration(p.hotSince)), at: now, window: time.Duration(t - p.hotSince),
		cpuTicks: st.cpuTicks - p.hotCPU,
	})
}

// makeRoom makes room in the table for one more process, dropping one
// that is not hot when it is full; false when there is no room.
func (m *monitor) makeRoom() bool {
	if len(m.procs) < m.set.MaxProcesses {
		return true
	}
	scanned := 0
	for pid, p := range m.procs {
		if !p.hot {
			delete(m.procs, pid)
			m.counters.evictions.Add(1)
			return true
		}
		if scanned++; scanned >= maxEvictionScan {
			break
		}
	}
	return false
}
