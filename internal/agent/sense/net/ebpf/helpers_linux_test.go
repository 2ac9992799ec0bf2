//go:build linux && (amd64 || arm64)

package ebpf_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/sense/internal/sensetest"
	"github.com/vigilsec/vigil/internal/event"
)

// helperEnv selects what a re-executed test binary does instead of
// running tests.
const helperEnv = "VIGIL_NET_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if err := runHelper(mode); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHelper runs one client of the tests. It prints "ready ..." when it
// has done its part, then waits for its standard input to close before
// releasing its sockets and exiting, so that a polling sensor can see
// them and the owner can still be found in /proc.
func runHelper(mode string) error {
	addr := os.Getenv("VIGIL_NET_ADDR")
	switch mode {
	case "tcp":
		send, _ := strconv.Atoi(os.Getenv("VIGIL_NET_SEND"))
		recv, _ := strconv.Atoi(os.Getenv("VIGIL_NET_RECV"))
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.Write(make([]byte, send)); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, make([]byte, recv)); err != nil {
			return fmt.Errorf("read the reply: %w", err)
		}
		fmt.Printf("ready %s\n", c.LocalAddr())
	case "udp":
		// Two datagrams to the first peer, then one to the second.
		c, err := net.ListenUDP("udp", nil)
		if err != nil {
			return err
		}
		defer c.Close()
		peers := strings.Split(addr, ",")
		for _, p := range []string{peers[0], peers[0], peers[1]} {
			ua, err := net.ResolveUDPAddr("udp", p)
			if err != nil {
				return err
			}
			if _, err := c.WriteToUDP([]byte("x"), ua); err != nil {
				return err
			}
		}
		fmt.Printf("ready %s\n", c.LocalAddr())
	case "udp-connected":
		c, err := net.Dial("udp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		for range 2 {
			if _, err := c.Write([]byte("x")); err != nil {
				return err
			}
		}
		fmt.Printf("ready %s\n", c.LocalAddr())
	case "dns":
		return dnsHelper()
	case "dns-tcp":
		return dnsTCPHelper()
	case "uring-accept":
		if err := uringAcceptHelper(); err != nil {
			return err
		}
	case "uring-accept-multishot":
		if err := uringAcceptMultishotHelper(); err != nil {
			return err
		}
	case "uring-accept-fixed":
		if err := uringAcceptFixedHelper(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// dnsHelper runs, inside a network namespace of its own, a DNS server on
// 127.0.0.1:53 and one query to it.
func dnsHelper() error {
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return fmt.Errorf("ip link set lo up: %v: %s", err, out)
	}
	srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53})
	if err != nil {
		return err
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := srv.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = srv.WriteToUDP(dnsAnswer(buf[:n]), from)
		}
	}()
	c, err := net.Dial("udp", "127.0.0.1:53")
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write(dnsQuery(0x1234, "www.vigil.test")); err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		return fmt.Errorf("read the answer: %w", err)
	}
	fmt.Printf("ready %d\n", n)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// dnsQuery builds a query for the A record of name.
func dnsQuery(id uint16, name string) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD; one question
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0, 0, 1, 0, 1)
}

// dnsAnswer answers a query with a CNAME and an A record, the name
// compressed.
func dnsAnswer(q []byte) []byte {
	b := append([]byte(nil), q...)
	b[2], b[3] = 0x81, 0x80 // QR RD RA, NOERROR
	b[6], b[7] = 0, 2       // two answers
	b = append(b, 0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'w', 'e', 'b', 0xc0, 16)
	return append(b, 0xc0, byte(len(b)-6), 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 7)
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	// Ready is what the helper printed after "ready ".
	Ready string
	pid   int
}

// startHelper re-executes the test binary in mode, wrapped by the
// command prefix (such as ip netns exec NAME), and waits until it is
// ready.
func startHelper(t *testing.T, mode string, env map[string]string, prefix ...string) *helper {
	t.Helper()
	return startHelperFiles(t, mode, env, nil, prefix...)
}

// startHelperFiles is startHelper handing the helper files as
// descriptors 3 and up.
func startHelperFiles(t *testing.T, mode string, env map[string]string, files []*os.File, prefix ...string) *helper {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, prefix...), self, "-test.run=^$")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = os.Stderr
	cmd.ExtraFiles = files
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdin, pid: cmd.Process.Pid}
	t.Cleanup(func() { h.stop() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		if !strings.HasPrefix(s, "ready ") {
			t.Fatalf("helper %s: %q", mode, s)
		}
		h.Ready = strings.TrimSpace(strings.TrimPrefix(s, "ready "))
	case <-time.After(20 * time.Second):
		t.Fatalf("helper %s not ready", mode)
	}
	return h
}

// stop closes the helper's input and waits for it to exit.
func (h *helper) stop() {
	_ = h.stdin.Close()
	done := make(chan struct{})
	go func() { _ = h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = h.cmd.Process.Kill()
		<-done
	}
}

// startTicks returns field 22 of /proc/PID/stat.
func startTicks(t *testing.T, pid int) uint64 {
	t.Helper()
	p, err := procfs.NewProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return st.Starttime
}

// has returns a matcher of events whose fields have the given values
// (compared as strings).
func has(kv ...string) func(event.Event) bool {
	return func(e event.Event) bool {
		for i := 0; i+1 < len(kv); i += 2 {
			if e.String(kv[i]) != kv[i+1] {
				return false
			}
		}
		return true
	}
}

// running is a sensor started by startSensor.
type running struct {
	*sensetest.Running
	out *sensetest.Emitter
}

// startSensor configures s with settings and runs it.
func startSensor(t *testing.T, s plugin.Sensor, hostID, settings string) *running {
	t.Helper()
	if c, ok := s.(plugin.Configurer); ok {
		if err := c.Configure(plugin.Env{Root: "/", HostID: hostID, DataDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.(plugin.Tunable).ApplySettings([]byte(settings)); err != nil {
		t.Fatal(err)
	}
	if err := s.(plugin.Alternative).Probe(context.Background()); err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") != "1" {
			t.Skipf("%s cannot run here: %v", s.Name(), err)
		}
		t.Fatalf("%s: Probe: %v", s.Name(), err)
	}
	r := &running{out: &sensetest.Emitter{}}
	r.Running = sensetest.Start(s, r.out)
	t.Cleanup(func() { r.Stop(t) })
	return r
}

// waitReady opens listeners until the sensor reports one: from then on
// it sees the host.
func waitReady(t *testing.T, r *running) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		until := time.Now().Add(2 * time.Second)
		for time.Now().Before(until) {
			if len(r.out.Matching(has("event.action", "listen-started", "source.port", port))) > 0 {
				_ = l.Close()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = l.Close()
	}
	t.Fatal("the sensor never saw a listener")
}

// entityOf returns the entity id of process pid.
func entityOf(t *testing.T, hostID string, pid int) string {
	t.Helper()
	return procid.EntityID(hostID, pid, startTicks(t, pid))
}
