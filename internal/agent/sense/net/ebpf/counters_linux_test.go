//go:build linux && (amd64 || arm64)

package ebpf_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sense/net/ebpf"
)

// waitCounter waits until counter name of s is at least min.
func waitCounter(t *testing.T, s *ebpf.Sensor, name string, min uint64) uint64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := s.Counters()[name]
		if n >= min {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("counter %s = %d after 20s, want at least %d (counters %v)", name, n, min, s.Counters())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCountersMove: with the smallest ring buffer and its reader held
// up, a burst of datagrams to a port taken for DNS overflows the ring:
// the kernel's losses are counted in lost_records and through Lost.
// Once the reader goes on, the datagrams that reached it, which are no
// DNS messages, are counted in malformed_dns.
func TestCountersMove(t *testing.T) {
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	go func() { // keep the socket's queue from filling
		buf := make([]byte, 2048)
		for {
			if _, _, err := sink.ReadFromUDP(buf); err != nil {
				return
			}
		}
	}()
	port := sink.LocalAddr().(*net.UDPAddr).Port
	s := ebpf.New()
	r := startSensor(t, s, testHostID, fmt.Sprintf(`{"ring_buffer_kib":64,"dns_ports":[%d]}`, port))
	waitReady(t, r)
	for _, name := range []string{"lost_records", "malformed_dns", "dns_tcp_split"} {
		if n := s.Counters()[name]; n != 0 {
			t.Errorf("%s = %d before anything was lost", name, n)
		}
	}

	release := r.out.Hold()
	released := false
	defer func() {
		if !released {
			release()
		}
	}()
	c, err := net.DialUDP("udp", nil, sink.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The first datagram's udp-peer event holds up the reader; the
	// records of the others (296 bytes each, a 64 KiB ring) overflow.
	junk := make([]byte, 200)
	for range 2000 {
		if _, err := c.Write(junk); err != nil {
			t.Fatal(err)
		}
	}
	lost := waitCounter(t, s, "lost_records", 1)
	release()
	released = true
	waitCounter(t, s, "malformed_dns", 1)
	r.Stop(t)
	if reported := r.out.LostCount(); reported < lost {
		t.Errorf("%d records reported lost through the Emitter, %d counted", reported, lost)
	}
	t.Logf("counters %v", s.Counters())
}
