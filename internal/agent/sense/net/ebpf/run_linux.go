//go:build linux && (amd64 || arm64)

package ebpf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/net/sockdiag"
	"github.com/vigilsec/vigil/internal/event"
)

// lostPollInterval is how often the kernel's count of records the ring
// buffer had no room for is read.
const lostPollInterval = time.Second

// Probe implements plugin.Alternative: it loads the programs, checks that
// the cgroup v2 hierarchy is there, and unloads them.
func (s *Sensor) Probe(ctx context.Context) error {
	if _, err := findCgroup2(s.env.Root); err != nil {
		return err
	}
	k, err := load(s.settings)
	if err != nil {
		return err
	}
	if err := k.close(); err != nil {
		return fmt.Errorf("net/ebpf: unload: %w", err)
	}
	return ctx.Err()
}

// Run implements plugin.Sensor. It owns the kernel objects and the ring
// buffer reader and releases them before it returns.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) (err error) {
	if s.info == nil {
		if err := s.Configure(s.env); err != nil {
			return err
		}
	}
	cg, err := findCgroup2(s.env.Root)
	if err != nil {
		return err
	}
	k, err := load(s.settings)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := k.close(); cerr != nil && err == nil {
			err = fmt.Errorf("net/ebpf: detach: %w", cerr)
		}
	}()
	rd, err := ringbuf.NewReader(k.objs.Events)
	if err != nil {
		return fmt.Errorf("net/ebpf: open the ring buffer: %w", err)
	}
	defer rd.Close()
	if err := k.attach(cg); err != nil {
		return err
	}

	clock := newMonoClock()
	conv := &converter{hostID: s.env.HostID, info: s.info, filter: s.filter, wall: clock.wall, counters: &s.counters}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.poll(k, emit, clock, stop)
	}()
	readErr := s.read(ctx, rd, conv, emit)
	close(stop)
	wg.Wait()
	if readErr != nil && ctx.Err() == nil {
		return readErr
	}
	return nil
}

// read hands every ring buffer record to emit until ctx ends.
func (s *Sensor) read(ctx context.Context, rd *ringbuf.Reader, conv *converter, emit plugin.Emitter) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = rd.Close()
		case <-done:
		}
	}()
	var rec ringbuf.Record
	var r record
	for {
		if err := rd.ReadInto(&rec); err != nil {
			if errors.Is(err, ringbuf.ErrClosed) {
				return nil
			}
			return fmt.Errorf("net/ebpf: read the ring buffer: %w", err)
		}
		if err := decodeRecord(rec.RawSample, &r); err != nil {
			emit.Lost(1)
			s.counters.malformedRecords.Add(1)
			s.log.Warn("net/ebpf: record skipped", "err", err)
			continue
		}
		if err := conv.convert(&r, emit); err != nil {
			s.log.Debug("net/ebpf: record not understood", "kind", r.Kind, "err", err)
		}
	}
}

// poll reports the kernel's lost records every second and the flows
// every flow interval, and flushes the flows once more when stop closes.
func (s *Sensor) poll(k *kernel, emit plugin.Emitter, clock *monoClock, stop <-chan struct{}) {
	lostTick := time.NewTicker(lostPollInterval)
	defer lostTick.Stop()
	flowTick := time.NewTicker(time.Duration(s.settings.FlowInterval))
	defer flowTick.Stop()
	flows := newFlowReader(s.env.HostID, s.info, s.filter, time.Now())
	flows.counters = &s.counters
	var lostSeen uint64
	reportLost := func() {
		var perCPU []uint64
		if err := k.objs.Lost.Lookup(uint32(0), &perCPU); err != nil {
			return
		}
		var n uint64
		for _, v := range perCPU {
			n += v
		}
		if n > lostSeen {
			emit.Lost(n - lostSeen)
			s.counters.lostRecords.Add(n - lostSeen)
			lostSeen = n
		}
	}
	for {
		select {
		case <-stop:
			reportLost()
			if s.settings.Flows {
				flows.read(k, time.Now(), emit, s.log)
			}
			return
		case <-lostTick.C:
			reportLost()
		case now := <-flowTick.C:
			clock.sync()
			if s.settings.Flows {
				flows.read(k, now, emit, s.log)
			}
		}
	}
}

// flowState is what the reader remembers of one kernel flow entry.
type flowState struct {
	val  vnetFlowVal
	idle int
}

// flowReader turns the kernel's cumulative flow counters into per-interval
// records. The kernel adds to an entry for as long as it lives; the
// reader reports the growth since its last read, and deletes entries
// that stayed idle for idleReads reads to keep room in the LRU map.
type flowReader struct {
	hostID string
	info   *sockdiag.ProcessInfo
	filter sockdiag.Filter
	last   map[vnetFlowKey]*flowState
	start  time.Time
	// counters, when set, count the entries the kernel evicted.
	counters *counters
}

// idleReads is how many reads without traffic an entry survives.
const idleReads = 2

func newFlowReader(hostID string, info *sockdiag.ProcessInfo, f sockdiag.Filter, start time.Time) *flowReader {
	return &flowReader{hostID: hostID, info: info, filter: f, last: map[vnetFlowKey]*flowState{}, start: start}
}

type flowLogger interface {
	Warn(msg string, args ...any)
}

// read reads every flow entry and emits the flows that grew.
func (f *flowReader) read(k *kernel, now time.Time, emit plugin.Emitter, log flowLogger) {
	var key vnetFlowKey
	var val vnetFlowVal
	seen := make(map[vnetFlowKey]bool, len(f.last))
	var idle []vnetFlowKey
	it := k.objs.Flows.Iterate()
	for it.Next(&key, &val) {
		seen[key] = true
		st := f.last[key]
		var prev vnetFlowVal
		if st != nil && st.val.CreatedNs == val.CreatedNs {
			prev = st.val
		} else if st != nil {
			// Evicted and made anew since the last read.
			f.evicted(1)
		}
		if st == nil {
			st = &flowState{}
			f.last[key] = st
		}
		d := vnetFlowVal{
			BytesOut: val.BytesOut - prev.BytesOut, BytesIn: val.BytesIn - prev.BytesIn,
			PktsOut: val.PktsOut - prev.PktsOut, PktsIn: val.PktsIn - prev.PktsIn, Conns: val.Conns - prev.Conns,
		}
		st.val = val
		if d.BytesOut == 0 && d.BytesIn == 0 && d.PktsOut == 0 && d.PktsIn == 0 && d.Conns == 0 {
			if st.idle++; st.idle >= idleReads {
				idle = append(idle, key)
			}
			continue
		}
		st.idle = 0
		if e := f.event(&key, &val, &d, now); e != nil {
			emit.Emit(e)
		}
	}
	if err := it.Err(); err != nil {
		log.Warn("net/ebpf: read the flow table", "err", err)
	}
	for k := range f.last {
		if !seen[k] {
			// Only the reader deletes entries, after this loop: the
			// kernel evicted this one to make room for another.
			f.evicted(1)
			delete(f.last, k)
		}
	}
	for _, key := range idle {
		// A packet counted between the read above and this delete is
		// lost with the entry: the entry had been idle for two intervals.
		_ = k.objs.Flows.Delete(&key)
		delete(f.last, key)
	}
	if f.counters != nil {
		f.counters.flowEntries.Store(uint64(len(f.last)))
	}
	f.start = now
}

// evicted counts flow entries the kernel evicted before their growth was
// read.
func (f *flowReader) evicted(n uint64) {
	if f.counters != nil {
		f.counters.flowEvictions.Add(n)
	}
}

// event returns the flow record of one entry's growth d; nil when the
// filter leaves it out.
func (f *flowReader) event(key *vnetFlowKey, val, d *vnetFlowVal, now time.Time) event.Event {
	remote := netip.AddrFrom16(key.Raddr).Unmap()
	if f.filter.Ignores(remote, key.Port) {
		return nil
	}
	owner := sockdiag.Process{}
	if key.Tgid != 0 {
		owner = sockdiag.Process{PID: int(key.Tgid), StartTicks: key.StartTicks, UID: val.Uid, HasUID: true, Name: int8String(val.Comm[:])}
	}
	dir := sockdiag.DirectionUnknown
	switch key.Dir {
	case dirEgress:
		dir = sockdiag.DirectionEgress
	case dirIngress:
		dir = sockdiag.DirectionIngress
	}
	return f.info.FlowEvent(Name, f.hostID, sockdiag.Flow{
		Owner: owner, Transport: transport(key.Proto), Direction: dir, Remote: remote, Port: key.Port,
		Sent: d.BytesOut, Received: d.BytesIn, HasBytes: true,
		PacketsSent: d.PktsOut, PacketsReceived: d.PktsIn, HasPackets: true,
		Connections: d.Conns, Start: f.start, End: now,
	})
}

// int8String returns the text of a NUL-terminated C char array.
func int8String(b []int8) string {
	raw := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		raw = append(raw, byte(c))
	}
	return string(raw)
}

// monoClock converts bpf_ktime_get_ns readings (CLOCK_MONOTONIC) into
// wall-clock time, with an offset refreshed at every flow read so that
// clock adjustments are followed.
type monoClock struct {
	offset atomic.Int64 // wall ns - monotonic ns
}

func newMonoClock() *monoClock {
	c := &monoClock{}
	c.sync()
	return c
}

// sync measures the offset between the two clocks.
func (c *monoClock) sync() {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return
	}
	c.offset.Store(time.Now().UnixNano() - ts.Nano())
}

// wall returns the wall-clock time of a monotonic reading.
func (c *monoClock) wall(ktime uint64) time.Time {
	return time.Unix(0, int64(ktime)+c.offset.Load())
}
