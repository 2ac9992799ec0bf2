//go:build linux && (amd64 || arm64)

package ebpf_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/net/ebpf"
	"github.com/vigilsec/vigil/internal/event"
)

// frame prefixes a DNS message with its length, as DNS over TCP does.
func frame(m []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(m))), m...)
}

// serveDNSTCP answers every query of a connection; the answers to the
// queries that arrive together are written together.
func serveDNSTCP(c net.Conn) {
	defer c.Close()
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		n, err := c.Read(chunk)
		if err != nil {
			return
		}
		buf = append(buf, chunk[:n]...)
		var out []byte
		for len(buf) >= 2 {
			l := int(binary.BigEndian.Uint16(buf))
			if len(buf) < 2+l {
				break
			}
			out = append(out, frame(dnsAnswer(buf[2:2+l]))...)
			buf = buf[2+l:]
		}
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

// dnsTCPHelper runs, inside a network namespace of its own, a DNS
// server on TCP 127.0.0.1:53 and asks it over one connection: a query
// alone, two queries in one segment, a query written in two parts (the
// message split across segments), and a query whose length prefix goes
// in a segment of its own.
func dnsTCPHelper() error {
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return fmt.Errorf("ip link set lo up: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:53")
	if err != nil {
		return err
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveDNSTCP(c)
		}
	}()
	c, err := net.Dial("tcp", "127.0.0.1:53")
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	answers := func(n int) error {
		for range n {
			var l [2]byte
			if _, err := io.ReadFull(c, l[:]); err != nil {
				return fmt.Errorf("read an answer: %w", err)
			}
			if _, err := io.ReadFull(c, make([]byte, binary.BigEndian.Uint16(l[:]))); err != nil {
				return fmt.Errorf("read an answer: %w", err)
			}
		}
		return nil
	}
	// Each write is a segment of its own (Go sets TCP_NODELAY); the
	// pauses keep the parts of a query apart. The names have a first
	// label of three letters, which dnsAnswer needs.
	steps := []struct {
		writes  [][]byte
		answers int
	}{
		{[][]byte{frame(dnsQuery(0x0101, "one.vigil.test"))}, 1},
		{[][]byte{append(frame(dnsQuery(0x0202, "two.vigil.test")), frame(dnsQuery(0x0303, "six.vigil.test"))...)}, 2},
		{[][]byte{frame(dnsQuery(0x0404, "cut.vigil.test"))[:9], frame(dnsQuery(0x0404, "cut.vigil.test"))[9:]}, 1},
		{[][]byte{frame(dnsQuery(0x0505, "len.vigil.test"))[:2], dnsQuery(0x0505, "len.vigil.test")}, 1},
	}
	for _, s := range steps {
		for i, w := range s.writes {
			if i > 0 {
				time.Sleep(100 * time.Millisecond)
			}
			if _, err := c.Write(w); err != nil {
				return err
			}
		}
		if err := answers(s.answers); err != nil {
			return err
		}
	}
	fmt.Printf("ready %s\n", c.LocalAddr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// TestDNSOverTCP: inside a network namespace of its own, a helper runs a
// DNS server on TCP 127.0.0.1:53 (the default DNS port) and asks it
// questions over one connection. The eBPF sensor reports the queries
// and answers with the helper as the process, several per segment; the
// query split across two segments is skipped and counted.
func TestDNSOverTCP(t *testing.T) {
	if _, err := exec.LookPath("ip"); err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("the ip command is missing")
		}
		t.Skip("the ip command is missing")
	}
	s := ebpf.New()
	r := startSensor(t, s, testHostID, `{"flow_interval":"1s"}`)
	waitReady(t, r)
	ns := newNetns(t)
	h := startHelper(t, "dns-tcp", nil, "ip", "netns", "exec", ns)
	pid := strconv.Itoa(h.pid)
	_, clientPort, _ := net.SplitHostPort(h.Ready)
	query := func(name string) func(event.Event) bool {
		return has("event.action", "dns-query", "dns.question.name", name)
	}
	answer := func(name string) func(event.Event) bool {
		return has("event.action", "dns-answer", "dns.question.name", name)
	}
	for i, name := range []string{"one.vigil.test", "two.vigil.test", "six.vigil.test", "len.vigil.test"} {
		q := r.out.Wait(t, "dns-query "+name, query(name))
		checkFields(t, q, map[string]string{
			"process.pid": pid, "network.transport": "tcp", "network.protocol": "dns", "dns.type": "query",
			"dns.question.type": "A", "destination.ip": "127.0.0.1", "destination.port": "53", "source.port": clientPort,
			"dns.id": strconv.Itoa([]int{0x0101, 0x0202, 0x0303, 0x0505}[i]),
		})
	}
	for _, name := range []string{"one.vigil.test", "two.vigil.test", "six.vigil.test", "cut.vigil.test", "len.vigil.test"} {
		a := r.out.Wait(t, "dns-answer "+name, answer(name))
		checkFields(t, a, map[string]string{
			"process.pid": pid, "network.transport": "tcp", "dns.response_code": "NOERROR", "dns.type": "answer",
			"destination.port": "53", "source.port": clientPort,
		})
		if ips, _ := a.Get("dns.resolved_ip"); fmt.Sprint(ips) != "[192.0.2.7]" {
			t.Errorf("%s: dns.resolved_ip = %v", name, ips)
		}
	}
	if got := r.out.Matching(query("cut.vigil.test")); len(got) != 0 {
		t.Errorf("the query split across segments was reported: %v", got[0])
	}
	if n := s.Counters()["dns_tcp_split"]; n < 1 {
		t.Errorf("dns_tcp_split = %d, want at least 1", n)
	}
	// Nothing twice, and the server's side not at all.
	time.Sleep(300 * time.Millisecond)
	for _, name := range []string{"one.vigil.test", "two.vigil.test", "six.vigil.test", "len.vigil.test"} {
		if n := len(r.out.Matching(has("dns.question.name", name))); n != 2 {
			t.Errorf("%d DNS events for %s, want 2", n, name)
		}
	}
	h.stop()
	r.Stop(t)
	checkEvents(t, r.out)
}

var _ plugin.Counted = (*ebpf.Sensor)(nil)
