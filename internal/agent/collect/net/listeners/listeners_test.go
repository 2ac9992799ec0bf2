package listeners_test

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/net/listeners"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

func TestFixtureGolden(t *testing.T) {
	c := listeners.New()
	assets := collecttest.Assets(t, c, plugin.Env{Root: "testdata/root"})
	collecttest.Golden(t, "testdata/golden/root.json", assets)
	var keys []string
	for _, a := range assets {
		keys = append(keys, a.Key)
	}
	want := []string{
		"tcp/0.0.0.0:22", "tcp/0.0.0.0:631", "tcp/0.0.0.0:80", "tcp/0.0.0.0:8080", "tcp/127.0.0.1:9000",
		"tcp/[::]:22", "tcp/[::ffff:127.0.0.1]:8443", "udp/0.0.0.0:4444", "udp/0.0.0.0:51820", "udp/[::1]:323",
	}
	if d := cmp.Diff(want, keys); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
	owner := func(key string) string {
		for _, a := range assets {
			if a.Key == key {
				return event.Event(a.Fields).String("process.executable")
			}
		}
		return "?"
	}
	for key, exe := range map[string]string{
		"tcp/[::]:22":     "/usr/sbin/sshd",           // sshd rather than pid 1
		"tcp/0.0.0.0:631": "/usr/lib/systemd/systemd", // pid 1 alone
		"tcp/0.0.0.0:80":  "/usr/sbin/nginx",
	} {
		if got := owner(key); got != exe {
			t.Errorf("%s: owner %q, want %q", key, got, exe)
		}
	}
	cnt := c.Counters()
	if cnt["malformed_lines"] != 1 {
		t.Errorf("counters %v, want one malformed line", cnt)
	}
}

func TestSnapshotPorts(t *testing.T) {
	snap, err := listeners.Scan(context.Background(), "testdata/root")
	if err != nil {
		t.Fatal(err)
	}
	for pid, want := range map[int][]string{
		1:   {"tcp/0.0.0.0:631", "tcp/[::]:22"},
		500: {"tcp/0.0.0.0:22", "tcp/[::]:22"},
		601: {"tcp/0.0.0.0:80"},
		2:   {},
	} {
		if d := cmp.Diff(want, snap.Ports(pid)); d != "" {
			t.Errorf("pid %d (-want +got):\n%s", pid, d)
		}
	}
}

func TestMissingTables(t *testing.T) {
	root := t.TempDir()
	if _, err := listeners.Scan(context.Background(), root); err == nil {
		t.Error("no socket tables: no error")
	}
	// IPv4 only: the IPv6 tables are missing, which is no error.
	if err := os.MkdirAll(filepath.Join(root, "proc/net"), 0o755); err != nil {
		t.Fatal(err)
	}
	hdr := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	line := "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0 100 0 0 10 0\n"
	if err := os.WriteFile(filepath.Join(root, "proc/net/tcp"), []byte(hdr+line), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := listeners.Scan(context.Background(), root)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(snap.Listeners) != 1 || snap.Listeners[0].Key() != "tcp/0.0.0.0:22" {
		t.Errorf("listeners %+v", snap.Listeners)
	}
	// A table too long a line cannot be trusted.
	if err := os.WriteFile(filepath.Join(root, "proc/net/udp"), []byte(hdr+strings.Repeat("x", 8192)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := listeners.Scan(context.Background(), root); err == nil {
		t.Error("a line of 8 KiB: no error")
	}
}

func TestParseNetTable(t *testing.T) {
	hdr := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	tests := []struct {
		name    string
		in      string
		ipv6    bool
		want    []listeners.Socket
		skipped int
	}{
		{"ipv4 listener", hdr + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 ffff 100 0 0 10 0\n", false,
			[]listeners.Socket{{Transport: "tcp", Local: netip.MustParseAddrPort("127.0.0.1:8080"), State: 10, UID: 1000, Inode: 12345}}, 0},
		{"ipv6", hdr + "0: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 0:0 0:0 0 0 0 9\n", true,
			[]listeners.Socket{{Transport: "tcp", Local: netip.MustParseAddrPort("[::1]:53"), State: 7, Inode: 9}}, 0},
		{"short line", hdr + "0: 0100007F:1F90 00000000:0000 0A\n", false, nil, 1},
		{"bad address", hdr + "0: 0100007:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1\n", false, nil, 1},
		{"v4 address in a v6 table", hdr + "0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1\n", true, nil, 1},
		{"bad state", hdr + "0: 0100007F:1F90 00000000:0000 XYZ 0:0 0:0 0 0 0 1\n", false, nil, 1},
		{"bad uid", hdr + "0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 -1 0 1\n", false, nil, 1},
		{"bad inode", hdr + "0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 x\n", false, nil, 1},
		{"header only", hdr, false, nil, 0},
		{"empty", "", false, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, probs := listeners.ParseNetTable([]byte(tt.in), "tcp", tt.ipv6)
			if d := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if probs.Skipped != tt.skipped {
				t.Errorf("skipped %d, want %d", probs.Skipped, tt.skipped)
			}
		})
	}
}

func TestListening(t *testing.T) {
	ap := netip.MustParseAddrPort
	for _, tt := range []struct {
		s    listeners.Socket
		want bool
	}{
		{listeners.Socket{Transport: "tcp", Local: ap("0.0.0.0:22"), State: 0x0a}, true},
		{listeners.Socket{Transport: "tcp", Local: ap("0.0.0.0:22"), State: 0x01}, false},
		{listeners.Socket{Transport: "tcp", Local: ap("0.0.0.0:22"), State: 0x07}, false},
		{listeners.Socket{Transport: "udp", Local: ap("0.0.0.0:53"), State: 0x07}, true},
		{listeners.Socket{Transport: "udp", Local: ap("0.0.0.0:53"), State: 0x01}, false},
		{listeners.Socket{Transport: "udp", Local: ap("0.0.0.0:0"), State: 0x07}, false},
	} {
		if got := tt.s.Listening(); got != tt.want {
			t.Errorf("%+v: Listening %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestExecutable(t *testing.T) {
	for link, want := range map[string]struct {
		path    string
		deleted bool
	}{
		"/usr/sbin/sshd":           {"/usr/sbin/sshd", false},
		"/usr/sbin/sshd (deleted)": {"/usr/sbin/sshd", true},
		"/memfd:x (deleted)":       {"/memfd:x", true},
		"/opt/a (deleted) b":       {"/opt/a (deleted) b", false},
	} {
		p, d := listeners.Executable(link)
		if p != want.path || d != want.deleted {
			t.Errorf("Executable(%q) = %q, %v; want %q, %v", link, p, d, want.path, want.deleted)
		}
	}
}

func FuzzParseNetTable(f *testing.F) {
	f.Add([]byte("hdr\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1\n"), false)
	f.Add([]byte("hdr\n0: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 0:0 0:0 0 0 0 9\n"), true)
	f.Add([]byte("\n\n: : : : : : : : : :"), true)
	f.Fuzz(func(t *testing.T, data []byte, ipv6 bool) {
		socks, probs := listeners.ParseNetTable(data, "udp", ipv6)
		if probs.Skipped < 0 || len(probs.List) > probs.Skipped {
			t.Fatalf("problems %+v", probs)
		}
		for _, s := range socks {
			if !s.Local.IsValid() || s.Local.Addr().Is6() != ipv6 {
				t.Fatalf("socket %+v from a table with ipv6=%v", s, ipv6)
			}
		}
	})
}

// openListeners opens a TCP and a UDP listener on the IPv4 and IPv6
// loopback addresses, closed when the test ends; it returns their keys.
func openListeners(t *testing.T) []string {
	t.Helper()
	var keys []string
	for _, n := range []struct{ network, addr string }{{"tcp4", "127.0.0.1:0"}, {"tcp6", "[::1]:0"}} {
		l, err := net.Listen(n.network, n.addr)
		if err != nil {
			t.Fatalf("listen %s: %v", n.network, err)
		}
		t.Cleanup(func() { l.Close() })
		keys = append(keys, "tcp/"+l.Addr().String())
	}
	for _, n := range []struct{ network, addr string }{{"udp4", "127.0.0.1:0"}, {"udp6", "[::1]:0"}} {
		c, err := net.ListenPacket(n.network, n.addr)
		if err != nil {
			t.Fatalf("listen %s: %v", n.network, err)
		}
		t.Cleanup(func() { c.Close() })
		keys = append(keys, "udp/"+c.LocalAddr().String())
	}
	return keys
}

// sameSet reports whether two listener sets are equal.
func sameSet(a, b map[string][]string) bool {
	return cmp.Equal(a, b)
}
