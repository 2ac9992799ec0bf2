//go:build linux

package sockdiag

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// TestDumpAndOwner: a real dump shows a listener of this process with
// its cookie and inode, and the owner scan of /proc finds this process.
func TestDumpAndOwner(t *testing.T) {
	d, err := newDumper()
	if err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	defer d.Close()
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := uint16(l.Addr().(*net.TCPAddr).Port)
		socks, err := d.dumpAll(nil)
		if err != nil {
			t.Fatal(err)
		}
		var found *Socket
		for i := range socks {
			if socks[i].Listening() && socks[i].Local.Port() == port {
				found = &socks[i]
			}
		}
		if found == nil {
			t.Fatalf("%s listener on port %d not in a dump of %d sockets", addr, port, len(socks))
		}
		if found.Cookie == 0 || found.Inode == 0 {
			t.Errorf("listener without cookie or inode: %+v", found)
		}
		want := map[uint32]*Process{found.Inode: {}}
		f := newOwnerFinder("/")
		f.find(want)
		if p := want[found.Inode]; p.PID != os.Getpid() || p.StartTicks == 0 || !p.HasUID || p.Name == "" {
			t.Errorf("owner %+v, want this process (%d)", p, os.Getpid())
		}
	}
	if st := d.takeStats(); st.Malformed != 0 || st.Forged != 0 {
		t.Errorf("real dumps: %+v", st)
	}
}

// TestForgedMessage: a process with CAP_NET_ADMIN can send a netlink
// message to the dumper's socket; a forged socket is not taken into the
// dump, and is counted.
func TestForgedMessage(t *testing.T) {
	d, err := newDumper()
	if err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	defer d.Close()
	sa, err := unix.Getsockname(d.fd)
	if err != nil {
		t.Fatal(err)
	}
	forger, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(forger)
	fake := Socket{Proto: protoTCP, Family: familyV4, State: tcpListen, Cookie: 0xf0f0,
		Local: netip.MustParseAddrPort("127.0.0.1:1"), Remote: netip.MustParseAddrPort("0.0.0.0:0"), Inode: 1}
	to := &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: sa.(*unix.SockaddrNetlink).Pid}
	if err := unix.Sendto(forger, diagMsg(fake), 0, to); err != nil {
		if errors.Is(err, unix.EPERM) && os.Getenv("VIGIL_REQUIRE_KERNEL") != "1" {
			t.Skipf("sending to another netlink socket needs CAP_NET_ADMIN: %v", err)
		}
		t.Fatal(err)
	}
	socks, err := d.dumpAll(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range socks {
		if s.Cookie == fake.Cookie {
			t.Errorf("the forged socket is in the dump: %+v", s)
		}
	}
	if st := d.takeStats(); st.Forged != 1 || st.Malformed != 0 {
		t.Errorf("stats %+v, want one forged message", st)
	}
}

// TestSensorCounters: the sensor's counters are there while it runs,
// and the count of sockets it tracks follows the host's sockets.
func TestSensorCounters(t *testing.T) {
	s := New()
	if err := s.Configure(plugin.Env{Root: "/"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySettings([]byte(`{"poll_interval":"100ms"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Probe(context.Background()); err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, discard{}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	wait := func(what string, ok func(n uint64) bool) uint64 {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if n := s.Counters()["sockets"]; ok(n) {
				return n
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("sockets never %s: counters %v", what, s.Counters())
		return 0
	}
	base := wait("counted", func(n uint64) bool { return n > 0 })
	var ls []net.Listener
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	wait("grew by the 20 listeners", func(n uint64) bool { return n >= base+20 })
	for _, l := range ls {
		_ = l.Close()
	}
	wait("shrank", func(n uint64) bool { return n < base+20 })
	for _, name := range []string{"malformed_messages", "forged_messages", "interrupted_dumps", "failed_dumps", "unreadable_processes"} {
		if _, ok := s.Counters()[name]; !ok {
			t.Errorf("no counter %s", name)
		}
	}
}

// discard is an Emitter that drops everything.
type discard struct{}

func (discard) Emit(event.Event) {}
func (discard) Lost(uint64)      {}
