//go:build linux && (amd64 || arm64)

package ebpf_test

import (
	"context"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/net/ebpf"
	"github.com/vigilsec/vigil/internal/agent/sense/net/sockdiag"
	"github.com/vigilsec/vigil/internal/event"
)

// countingEmitter drops events, counting them.
type countingEmitter struct{ events, lost atomic.Uint64 }

func (c *countingEmitter) Emit(event.Event) { c.events.Add(1) }
func (c *countingEmitter) Lost(n uint64)    { c.lost.Add(n) }

// benchSensors are the configurations the overhead benchmarks compare.
var benchSensors = []struct {
	name string
	new  func() plugin.Sensor
}{
	{"none", nil},
	{"ebpf", func() plugin.Sensor { return ebpf.New() }},
	{"sockdiag", func() plugin.Sensor { return sockdiag.New() }},
}

// withSensor runs s (when not nil) with its default settings for the
// length of fn.
func withSensor(b *testing.B, s plugin.Sensor, fn func()) *countingEmitter {
	out := &countingEmitter{}
	if s == nil {
		fn()
		return out
	}
	if err := s.(plugin.Configurer).Configure(plugin.Env{Root: "/", HostID: "bench"}); err != nil {
		b.Fatal(err)
	}
	if err := s.(plugin.Alternative).Probe(context.Background()); err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			b.Fatal(err)
		}
		b.Skipf("%s cannot run here: %v", s.Name(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, out) }()
	time.Sleep(500 * time.Millisecond) // attached, and a first poll done
	fn()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkConnectAccept measures one loopback TCP connection (connect,
// accept, one byte each way, close on both sides) with no sensor, with
// the eBPF sensor and with the sock_diag sensor running.
func BenchmarkConnectAccept(b *testing.B) {
	for _, bs := range benchSensors {
		b.Run(bs.name, func(b *testing.B) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			go func() {
				buf := make([]byte, 1)
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					_, _ = c.Read(buf)
					_, _ = c.Write(buf)
					_ = c.Close()
				}
			}()
			var s plugin.Sensor
			if bs.new != nil {
				s = bs.new()
			}
			buf := make([]byte, 1)
			out := withSensor(b, s, func() {
				for b.Loop() {
					c, err := net.Dial("tcp", l.Addr().String())
					if err != nil {
						b.Fatal(err)
					}
					if _, err := c.Write(buf); err != nil {
						b.Fatal(err)
					}
					if _, err := c.Read(buf); err != nil {
						b.Fatal(err)
					}
					_ = c.Close()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
			b.ReportMetric(float64(out.events.Load())/float64(b.N), "events/conn")
			b.ReportMetric(float64(out.lost.Load()), "lost")
		})
	}
}

// BenchmarkSyscall measures an unrelated system call (getppid) with and
// without the eBPF sensor: its syscall-exit hook runs on every system
// call of the host.
func BenchmarkSyscall(b *testing.B) {
	for _, bs := range benchSensors[:2] {
		b.Run(bs.name, func(b *testing.B) {
			var s plugin.Sensor
			if bs.new != nil {
				s = bs.new()
			}
			withSensor(b, s, func() {
				for b.Loop() {
					_ = syscall.Getppid()
				}
			})
		})
	}
}
