//go:build linux

package sockdiag

import (
	"net"
	"os"
	"testing"
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
	if bad := d.takeBad(); bad != 0 {
		t.Errorf("%d malformed messages in real dumps", bad)
	}
}
