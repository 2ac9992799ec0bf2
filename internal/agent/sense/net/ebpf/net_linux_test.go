//go:build linux && (amd64 || arm64)

package ebpf_test

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	cebpf "github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/internal/sensetest"
	"github.com/vigilsec/vigil/internal/agent/sense/net/ebpf"
	"github.com/vigilsec/vigil/internal/agent/sense/net/sockdiag"
	"github.com/vigilsec/vigil/internal/event"
)

const testHostID = "net-test-host"

// sensors are the two network sensors, with settings that make them
// report quickly.
var sensors = []struct {
	name     string
	new      func() plugin.Sensor
	settings string
	// seesShort: the sensor sees sockets that live shorter than a poll.
	seesShort bool
}{
	{"ebpf", func() plugin.Sensor { return ebpf.New() }, `{"flow_interval":"1s"}`, true},
	{"ebpf", func() plugin.Sensor { return ebpf.New() }, `{"flow_interval":"1s","exact_accept_owner":true}`, true},
	{"sockdiag", func() plugin.Sensor { return sockdiag.New() }, `{"poll_interval":"100ms","flow_interval":"1s"}`, false},
}

// TestTCP: a client process connects to a listener of this process,
// sends and receives data, and leaves; then the listener closes. Each
// sensor reports the listener opened and closed, the connection made by
// the client and accepted by this process, and the flows with their
// exact byte counts, over IPv4 and IPv6 loopback.
func TestTCP(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const sent, received = 300_000, 70_000
	for _, sn := range sensors {
		for _, loopback := range []string{"127.0.0.1", "::1"} {
			t.Run(sn.name+"/"+loopback, func(t *testing.T) {
				r := startSensor(t, sn.new(), testHostID, sn.settings)
				waitReady(t, r)

				l, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
				me := strconv.Itoa(os.Getpid())
				myEntity := entityOf(t, testHostID, os.Getpid())
				started := r.out.Wait(t, "listen-started", has("event.action", "listen-started", "source.port", port))
				checkFields(t, started, map[string]string{
					"process.pid": me, "process.entity_id": myEntity, "network.transport": "tcp",
					"network.direction": "listening", "source.ip": loopback, "event.dataset": "net/" + sn.name,
					"event.category": "network", "event.kind": "event",
				})

				serverDone := make(chan error, 1)
				go func() {
					c, err := l.Accept()
					if err != nil {
						serverDone <- err
						return
					}
					defer c.Close()
					if _, err := io.ReadFull(c, make([]byte, sent)); err != nil {
						serverDone <- err
						return
					}
					_, err = c.Write(make([]byte, received))
					serverDone <- err
					_, _ = io.Copy(io.Discard, c) // until the client closes
				}()
				client := startHelper(t, "tcp", map[string]string{
					"VIGIL_NET_ADDR": l.Addr().String(),
					"VIGIL_NET_SEND": strconv.Itoa(sent), "VIGIL_NET_RECV": strconv.Itoa(received),
				})
				if err := <-serverDone; err != nil {
					t.Fatal(err)
				}
				clientPID := strconv.Itoa(client.pid)
				clientEntity := entityOf(t, testHostID, client.pid)
				_, clientPort, _ := net.SplitHostPort(client.Ready)

				attempt := r.out.Wait(t, "connection-attempted",
					has("event.action", "connection-attempted", "destination.port", port, "process.pid", clientPID))
				checkFields(t, attempt, map[string]string{
					"process.entity_id": clientEntity, "process.executable": self, "network.direction": "egress",
					"destination.ip": loopback, "source.ip": loopback, "source.port": clientPort, "network.transport": "tcp",
				})
				if attempt.String("process.name") == "" || attempt.String("process.start") == "" {
					t.Errorf("connection-attempted lacks process.name or process.start: %v", attempt)
				}
				accepted := r.out.Wait(t, "connection-accepted",
					has("event.action", "connection-accepted", "destination.port", port, "source.port", clientPort))
				checkFields(t, accepted, map[string]string{
					"process.pid": me, "process.entity_id": myEntity, "network.direction": "ingress",
					"source.ip": loopback, "destination.ip": loopback, "event.outcome": "success",
				})
				// Without exact_accept_owner the eBPF sensor names the
				// listener's owner, and says so.
				wantSource := ""
				if sn.name == "ebpf" && !strings.Contains(sn.settings, "exact_accept_owner") {
					wantSource = "listener"
				}
				if got := accepted.String("vigil.network.owner_source"); got != wantSource {
					t.Errorf("owner_source %q, want %q", got, wantSource)
				}

				// The client's flow, and this process's side of it.
				waitFlow(t, r.out, "egress", clientPID, port, sent, received)
				waitFlow(t, r.out, "ingress", me, port, received, sent)

				client.stop()
				_ = l.Close()
				stopped := r.out.Wait(t, "listen-stopped", has("event.action", "listen-stopped", "source.port", port))
				checkFields(t, stopped, map[string]string{"process.pid": me, "process.entity_id": myEntity})
				r.Stop(t)
				checkEvents(t, r.out)
			})
		}
	}
}

// waitFlow waits until the flow records of process pid, direction dir and
// service port add up to the bytes it sent and received, then checks
// that they add up to exactly that.
func waitFlow(t *testing.T, c *sensetest.Emitter, dir, pid, port string, sent, received uint64) {
	t.Helper()
	match := has("event.action", "flow", "network.direction", dir, "process.pid", pid, "destination.port", port)
	local, peer := "source", "destination"
	if dir == "ingress" {
		local, peer = "destination", "source"
	}
	sum := func() (s, r, conns uint64) {
		for _, e := range c.Matching(match) {
			s += uintField(t, e, local+".bytes")
			r += uintField(t, e, peer+".bytes")
			conns += uintField(t, e, "vigil.flow.connections")
		}
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s, r, _ := sum(); s >= sent && r >= received {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Flows count the bytes on the wire: a segment the kernel sent again
	// (a loaded machine delays the loopback's acknowledgements past the
	// retransmission timer) is counted again, on both sides. So the data
	// are a floor, and retransmissions may add up to a tenth.
	s, r, conns := sum()
	within := func(got, want uint64) bool { return got >= want && got <= want+want/10 }
	if !within(s, sent) || !within(r, received) || conns != 1 {
		t.Errorf("%s flow of pid %s on port %s: %d bytes sent, %d received, %d connections; want %d, %d (up to a tenth more), 1",
			dir, pid, port, s, r, conns, sent, received)
	}
	if s != sent || r != received {
		t.Logf("%s flow of pid %s: %d and %d bytes counted for %d and %d sent: retransmissions", dir, pid, s, r, sent, received)
	}
	for _, e := range c.Matching(match) {
		if e.String("event.kind") != "metric" || e.String("event.start") == "" || e.String("event.end") == "" {
			t.Errorf("flow record: %v", e)
		}
	}
}

// uintField returns a numeric field.
func uintField(t *testing.T, e event.Event, path string) uint64 {
	t.Helper()
	v, ok := e.Get(path)
	if !ok {
		return 0
	}
	switch n := v.(type) {
	case uint64:
		return n
	case int:
		return uint64(n)
	}
	t.Fatalf("%s is %T", path, v)
	return 0
}

// checkFields checks string forms of fields.
func checkFields(t *testing.T, e event.Event, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := e.String(k); got != v {
			t.Errorf("%s %s = %q, want %q (event %v)", e.String("event.action"), k, got, v, e)
		}
	}
}

// checkEvents checks what every event must have.
func checkEvents(t *testing.T, c *sensetest.Emitter) {
	t.Helper()
	for _, e := range c.Matching(func(event.Event) bool { return true }) {
		e.Set(event.FieldAgentID, "agent")
		e.Set(event.FieldID, "id")
		if err := e.Validate(); err != nil {
			t.Errorf("invalid event %v: %v", e, err)
		}
		if e.String("message") == "" || e.String("event.dataset") == "" {
			t.Errorf("event without message or dataset: %v", e)
		}
	}
}

// TestUDPPeer: a datagram to a new peer is reported once per process and
// peer. The eBPF sensor sees unconnected sends; sock_diag sees connected
// UDP sockets only.
func TestUDPPeer(t *testing.T) {
	for _, sn := range sensors {
		t.Run(sn.name, func(t *testing.T) {
			r := startSensor(t, sn.new(), testHostID, sn.settings)
			waitReady(t, r)
			p1, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer p1.Close()
			p2, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer p2.Close()
			port1 := strconv.Itoa(p1.LocalAddr().(*net.UDPAddr).Port)
			port2 := strconv.Itoa(p2.LocalAddr().(*net.UDPAddr).Port)
			var h *helper
			if sn.seesShort {
				h = startHelper(t, "udp", map[string]string{"VIGIL_NET_ADDR": p1.LocalAddr().String() + "," + p2.LocalAddr().String()})
			} else {
				h = startHelper(t, "udp-connected", map[string]string{"VIGIL_NET_ADDR": p1.LocalAddr().String()})
			}
			pid := strconv.Itoa(h.pid)
			e := r.out.Wait(t, "udp-peer", has("event.action", "udp-peer", "process.pid", pid, "destination.port", port1))
			checkFields(t, e, map[string]string{
				"destination.ip": "127.0.0.1", "network.transport": "udp", "network.direction": "egress",
				"process.entity_id": entityOf(t, testHostID, h.pid),
			})
			if sn.seesShort {
				// The ring buffer keeps the kernel's order: once the third
				// datagram's peer is reported, a report of the second would
				// have come before it.
				r.out.Wait(t, "udp-peer of the second peer", has("event.action", "udp-peer", "process.pid", pid, "destination.port", port2))
			} else {
				time.Sleep(500 * time.Millisecond) // several polls
			}
			if n := len(r.out.Matching(has("event.action", "udp-peer", "process.pid", pid, "destination.port", port1))); n != 1 {
				t.Errorf("%d udp-peer events for one peer, want 1", n)
			}
			h.stop()
			r.Stop(t)
			checkEvents(t, r.out)
		})
	}
}

// TestDNS: inside a network namespace of its own, a helper runs a DNS
// server on 127.0.0.1:53 and asks it one question; the eBPF sensor
// reports the query and the answer with the helper as the process.
func TestDNS(t *testing.T) {
	if _, err := exec.LookPath("ip"); err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("the ip command is missing")
		}
		t.Skip("the ip command is missing")
	}
	r := startSensor(t, ebpf.New(), testHostID, `{"flow_interval":"1s"}`)
	waitReady(t, r)
	ns := newNetns(t)
	h := startHelper(t, "dns", nil, "ip", "netns", "exec", ns)
	pid := strconv.Itoa(h.pid)
	q := r.out.Wait(t, "dns-query", has("event.action", "dns-query", "dns.question.name", "www.vigil.test"))
	checkFields(t, q, map[string]string{
		"process.pid": pid, "dns.question.type": "A", "dns.id": strconv.Itoa(0x1234), "destination.ip": "127.0.0.1",
		"destination.port": "53", "network.protocol": "dns", "dns.type": "query",
	})
	a := r.out.Wait(t, "dns-answer", has("event.action", "dns-answer", "dns.question.name", "www.vigil.test"))
	checkFields(t, a, map[string]string{"process.pid": pid, "dns.response_code": "NOERROR", "dns.type": "answer"})
	answers, _ := a.Get("dns.answers")
	list, _ := answers.([]map[string]any)
	if len(list) != 2 || list[0]["type"] != "CNAME" || list[0]["data"] != "web.vigil.test" ||
		list[1]["name"] != "web.vigil.test" || list[1]["data"] != "192.0.2.7" || list[1]["ttl"] != uint32(300) {
		t.Errorf("dns.answers = %v", answers)
	}
	if ips, _ := a.Get("dns.resolved_ip"); len(ips.([]string)) != 1 || ips.([]string)[0] != "192.0.2.7" {
		t.Errorf("dns.resolved_ip = %v", ips)
	}
	// The server's side of the exchange is not reported again.
	time.Sleep(300 * time.Millisecond)
	if n := len(r.out.Matching(has("dns.question.name", "www.vigil.test"))); n != 2 {
		t.Errorf("%d DNS events, want 2", n)
	}
	h.stop()
	r.Stop(t)
	checkEvents(t, r.out)
}

// newNetns creates a network namespace, deleted when the test ends.
func newNetns(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "vigil-test-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatalf("ip netns add: %v: %s", err, out)
		}
		t.Skipf("no network namespaces: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", name, err, out)
		}
	})
	return name
}

// TestDetach: after Run returns, no program of the sensor is left on the
// cgroup hooks, and no goroutine of it is left running.
func TestDetach(t *testing.T) {
	cg := ""
	for _, p := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if _, err := os.Stat(p + "/cgroup.controllers"); err == nil {
			cg = p
			break
		}
	}
	if cg == "" {
		t.Skip("no cgroup v2 hierarchy")
	}
	count := func() int {
		f, err := os.Open(cg)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		n := 0
		for _, a := range []cebpf.AttachType{cebpf.AttachCGroupInetEgress, cebpf.AttachCGroupInetIngress, cebpf.AttachCGroupUDP4Sendmsg} {
			res, err := link.QueryPrograms(link.QueryOptions{Target: int(f.Fd()), Attach: a})
			if err != nil {
				t.Fatal(err)
			}
			n += len(res.Programs)
		}
		return n
	}
	before, goroutines := count(), runtime.NumGoroutine()
	r := startSensor(t, ebpf.New(), testHostID, "")
	waitReady(t, r)
	if during := count(); during != before+3 {
		t.Errorf("%d programs on the cgroup hooks while running, want %d", during, before+3)
	}
	r.Stop(t)
	if after := count(); after != before {
		t.Errorf("%d programs on the cgroup hooks after Run, want %d", after, before)
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("%d goroutines after Run, %d before", n, goroutines)
	}
}
