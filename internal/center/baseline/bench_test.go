package baseline

import (
	"fmt"
	"net/netip"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// shardCounts are the layouts the parallel benchmarks compare: one
// mutex, and the default shards.
var shardCounts = []int{1, defaultShards}

// cpuClock measures the processor time the process spends (all its
// threads, the collector's included): unlike the wall clock, it does not
// count the time other programs held the processors.
type cpuClock struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) cpuClock { return cpuClock{b: b, start: processCPU(b)} }

// report adds the processor time per operation and the operations per
// processor second to the benchmark's figures.
func (c cpuClock) report() {
	spent := processCPU(c.b) - c.start
	if spent <= 0 || c.b.N == 0 {
		return
	}
	c.b.ReportMetric(float64(spent.Nanoseconds())/float64(c.b.N), "cpu-ns/op")
	c.b.ReportMetric(float64(c.b.N)/spent.Seconds(), "ops/cpu-s")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkObserveNonLogin measures Observe on the events it passes
// over: process, network and failed login events.
func BenchmarkObserveNonLogin(b *testing.B) {
	failed := loginEvent("ag-1", "alice", t0, "203.0.113.5")
	failed.Set("event.action", "login-failed")
	failed.Set("event.outcome", "failure")
	sudo := loginEvent("ag-1", "alice", t0, "")
	sudo.Set("event.category", "iam")
	sudo.Set("event.action", "sudo")
	events := []event.Event{
		{
			"@timestamp": t0.Format(time.RFC3339Nano), "agent": map[string]any{"id": "ag-1"},
			"event":   map[string]any{"id": "ev-p", "category": "process", "action": "exec", "outcome": "success"},
			"process": map[string]any{"executable": "/usr/bin/id", "pid": 4242},
		},
		{
			"@timestamp": t0.Format(time.RFC3339Nano), "agent": map[string]any{"id": "ag-1"},
			"event":  map[string]any{"id": "ev-n", "category": "network", "action": "connection-attempted"},
			"source": map[string]any{"ip": "10.0.0.5"}, "destination": map[string]any{"ip": "203.0.113.9", "port": 443},
		},
		failed,
		sudo,
	}
	for _, n := range shardCounts {
		b.Run(fmt.Sprintf("shards=%d", n), func(b *testing.B) {
			s := newService(testConfig(nil), n)
			b.ReportAllocs()
			cpu := startCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if s.Observe(events[i%len(events)]) {
						b.Error("Observe took a non-login")
						return
					}
					i++
				}
			})
			cpu.report()
		})
	}
}

// BenchmarkObserveLogin measures Observe on successful logins of 1,000
// users on 100 hosts from several addresses each, from parallel
// goroutines (each with its own events, built before the timing).
func BenchmarkObserveLogin(b *testing.B) {
	const users, agents, sets = 1000, 100, 16
	eventSets := make([][]event.Event, sets)
	for w := range eventSets {
		events := make([]event.Event, 4096)
		for i := range events {
			k := (i*7919 + w*104729) % users
			at := t0.Add(time.Duration(i) * 7 * time.Minute)
			ip := fmt.Sprintf("198.51.%d.%d", k%200, i%5)
			if i%3 == 0 {
				ip = fmt.Sprintf("2001:db8:%x::%x", k, i%5)
			}
			events[i] = loginEvent(fmt.Sprintf("ag-%d", k%agents), fmt.Sprintf("user-%d", k), at, ip)
		}
		eventSets[w] = events
	}
	for _, n := range shardCounts {
		b.Run(fmt.Sprintf("shards=%d", n), func(b *testing.B) {
			s := newService(testConfig(nil), n)
			var worker atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				events := eventSets[int(worker.Add(1))%sets]
				i := 0
				for pb.Next() {
					if !s.Observe(events[i%len(events)]) {
						b.Error("Observe missed a login")
						return
					}
					i++
				}
			})
			cpu.report()
		})
	}
}

// BenchmarkProfileMemory reports the heap held per profile with 100,000
// profiles: with the 2 addresses most users log in from, learned
// through Observe, and with the full MaxSources (64), learned directly
// into the profiles (6.4 million events through Observe take long and
// hold the same memory).
func BenchmarkProfileMemory(b *testing.B) {
	const profiles = 100_000
	for _, sources := range []int{2, DefaultMaxSources} {
		b.Run(fmt.Sprintf("sources=%d", sources), func(b *testing.B) {
			var perProfile float64
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				s := New(testConfig(nil))
				for p := range profiles {
					agent, user := fmt.Sprintf("agent-%06d", p/20), fmt.Sprintf("user-%02d", p%20)
					if sources <= 2 {
						ev := loginEvent(agent, user, t0, "")
						for i := range sources {
							ev.Set("@timestamp", t0.Add(time.Duration(i)*time.Hour).Format(time.RFC3339Nano))
							ev.Set("source.ip", netip.AddrFrom4([4]byte{10, byte(p >> 8), byte(p), byte(i)}).String())
							s.Observe(ev)
						}
						continue
					}
					k := profileKey{agentID: agent, user: user}
					prof := &profile{}
					s.shardOf(k).profiles[k] = prof
					for i := range sources {
						at := t0.Add(time.Duration(i) * time.Hour)
						prof.learn(login{at: at.UnixNano(), hour: at.Hour(), hasSource: true,
							addr: netip.AddrFrom4([4]byte{10, byte(p >> 8), byte(p), byte(i)})}, s.cfg.MaxSources)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perProfile = (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / profiles
				runtime.KeepAlive(s)
			}
			b.ReportMetric(perProfile, "bytes/profile")
		})
	}
}
