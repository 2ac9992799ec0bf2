package facts_test

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/collect/host/facts"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// fixtureInterfaces is a loopback, an Ethernet card with IPv4, IPv6 and a
// link-local address, and a bridge sharing an address.
func fixtureInterfaces() ([]facts.Interface, error) {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	return []facts.Interface{
		{Name: "lo", Flags: net.FlagUp | net.FlagLoopback, Addrs: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}},
		{Name: "eth0", MAC: mac("52:54:00:12:34:56"), Flags: net.FlagUp,
			Addrs: []net.IP{net.ParseIP("10.0.0.5"), net.ParseIP("2001:db8::5"), net.ParseIP("fe80::5054:ff:fe12:3456")}},
		{Name: "br0", MAC: mac("02:42:ac:11:00:01"), Flags: net.FlagUp, Addrs: []net.IP{net.ParseIP("10.0.0.5"), net.ParseIP("172.17.0.1")}},
		{Name: "tun0", Flags: net.FlagUp, Addrs: []net.IP{net.ParseIP("100.64.0.1")}},
	}, nil
}

func TestRead(t *testing.T) {
	tests := []struct {
		root string
		want *busv1.HostFacts
	}{
		{"testdata/root", &busv1.HostFacts{
			Hostname: "web-1", Os: runtime.GOOS, Platform: "debian", PlatformVersion: "12",
			Kernel: "6.1.0-28-amd64", Arch: runtime.GOARCH, BootTimeUnix: 1700000000, AgentVersion: "v1.2.3",
			MachineId: "0123456789abcdef0123456789abcdef",
			Ips:       []string{"10.0.0.5", "100.64.0.1", "172.17.0.1", "2001:db8::5"},
			Macs:      []string{"02:42:ac:11:00:01", "52:54:00:12:34:56"},
		}},
		{"testdata/fallback", &busv1.HostFacts{
			Hostname: "db-2", Os: runtime.GOOS, Platform: "rocky", PlatformVersion: "9.4",
			Kernel: "5.14.0-427.el9.x86_64", Arch: runtime.GOARCH, BootTimeUnix: 1700000000, AgentVersion: "v1.2.3",
			MachineId: "fedcba9876543210fedcba9876543210",
			Ips:       []string{"10.0.0.5", "100.64.0.1", "172.17.0.1", "2001:db8::5"},
			Macs:      []string{"02:42:ac:11:00:01", "52:54:00:12:34:56"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			r := facts.Reader{Root: tt.root, AgentVersion: "v1.2.3", Interfaces: fixtureInterfaces}
			got, err := r.Read(context.Background())
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if d := cmp.Diff(tt.want, got, protocmp.Transform()); d != "" {
				t.Errorf("facts (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadPartial(t *testing.T) {
	r := facts.Reader{Root: t.TempDir(), Interfaces: fixtureInterfaces}
	got, err := r.Read(context.Background())
	if err == nil {
		t.Fatal("Read of an empty root: no error")
	}
	if got == nil || got.GetOs() != runtime.GOOS || len(got.GetIps()) != 4 {
		t.Errorf("partial facts = %v, want OS and addresses", got)
	}
}

func TestHostInterfacesSkipLoopback(t *testing.T) {
	f, err := facts.Reader{}.Read(context.Background())
	if err != nil && f == nil {
		t.Fatalf("Read of this host: %v", err)
	}
	for _, ip := range f.GetIps() {
		if p := net.ParseIP(ip); p == nil || p.IsLoopback() {
			t.Errorf("ips hold %q", ip)
		}
	}
}

func TestCollect(t *testing.T) {
	now := time.Unix(1700003600, 0)
	c := &facts.Collector{Interfaces: fixtureInterfaces, Now: func() time.Time { return now }}
	var _ plugin.Collector = c
	evs, err := c.Collect(context.Background(), plugin.Env{Root: "testdata/root", AgentVersion: "v1"})
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	e := evs[0]
	want := map[string]any{
		"event.kind": "state", "event.category": "host", "event.action": "facts",
		"host.hostname": "web-1", "host.name": "web-1", "host.id": "0123456789abcdef0123456789abcdef",
		"host.os.platform": "debian", "host.os.version": "12", "host.os.kernel": "6.1.0-28-amd64",
		"host.os.type": runtime.GOOS, "host.architecture": runtime.GOARCH, "host.uptime": int64(3600),
		"@timestamp": "2023-11-14T23:13:20Z",
		"host.ip":    []any{"10.0.0.5", "100.64.0.1", "172.17.0.1", "2001:db8::5"},
		"host.mac":   []any{"02-42-AC-11-00-01", "52-54-00-12-34-56"},
	}
	for path, w := range want {
		got, ok := e.Get(path)
		if !ok {
			t.Errorf("%s missing", path)
			continue
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", path, d)
		}
	}
	// With the ids the runtime adds, the event is a valid platform event.
	e.Set(event.FieldID, "x")
	e.Set(event.FieldAgentID, "a")
	if err := e.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if c.Name() != facts.Name || c.DefaultInterval() <= 0 {
		t.Errorf("Name %q, DefaultInterval %v", c.Name(), c.DefaultInterval())
	}
}
