package netcfg

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func ip(s string) netip.Addr    { return netip.MustParseAddr(s) }

// summary lists changes as "action what" lines.
func summary(cs []change) []string {
	var out []string
	for _, c := range cs {
		e := toEvent(c, time.Unix(0, 0), live, false)
		out = append(out, c.action+" "+e.String(event.FieldMessage))
	}
	return out
}

func TestDiff(t *testing.T) {
	lo := Link{Index: 1, Name: "lo", Type: "loopback", MTU: 65536, Up: true}
	eth := Link{Index: 2, Name: "eth0", Type: "device", MAC: "52:54:00:12:34:56", MTU: 1500, Up: true}
	defRoute := Route{Family: familyV4, Table: 254, Dst: pfx("0.0.0.0/0"), Protocol: 3, Type: 1,
		Nexthops: []Nexthop{{Gateway: ip("10.0.0.1"), Index: 2, Interface: "eth0"}}}
	base := &Snapshot{
		Links:  []Link{lo, eth},
		Addrs:  []Addr{{Index: 2, Interface: "eth0", Prefix: pfx("10.0.0.5/24")}},
		Routes: []Route{defRoute},
	}
	with := func(f func(s *Snapshot)) *Snapshot {
		s := &Snapshot{Links: slices.Clone(base.Links), Addrs: slices.Clone(base.Addrs), Routes: slices.Clone(base.Routes)}
		f(s)
		return s
	}
	tests := []struct {
		name   string
		cur    *Snapshot
		byName bool
		want   []string
	}{
		{"nothing", base, false, nil},
		{"nothing across runs", base, true, nil},
		{"interface renamed", with(func(s *Snapshot) { s.Links[1].Name = "wan0" }), false,
			[]string{"interface-changed interface wan0 (device, index 2) changed: name eth0 -> wan0"}},
		{"interface renumbered across runs", with(func(s *Snapshot) {
			s.Links[1].Index = 7
			s.Addrs[0].Index = 7
			s.Routes[0].Nexthops = []Nexthop{{Gateway: ip("10.0.0.1"), Index: 7, Interface: "eth0"}}
		}), true, nil},
		{"interface replaced", with(func(s *Snapshot) {
			s.Links[1] = Link{Index: 3, Name: "tap0", Type: "tap", MTU: 1500}
		}), false, []string{
			"interface-removed interface eth0 (device, index 2) removed",
			"interface-added interface tap0 (tap, index 3) added: mac none, mtu 1500, down",
		}},
		{"promiscuous by flag and mtu", with(func(s *Snapshot) { s.Links[1].PromiscFlag = true; s.Links[1].MTU = 9000 }), false, []string{
			"interface-changed interface eth0 (device, index 2) changed: mtu 1500 -> 9000",
			"promiscuous-enabled interface eth0 (device, index 2) entered promiscuous mode (IFF_PROMISC set)",
		}},
		{"promiscuity count", with(func(s *Snapshot) { s.Links[1].Promiscuity = 1 }), false, []string{
			"promiscuous-enabled interface eth0 (device, index 2) entered promiscuous mode (by a packet socket or a bridge)",
		}},
		{"address moved", with(func(s *Snapshot) { s.Addrs[0].Prefix = pfx("10.0.0.6/24") }), false, []string{
			"address-removed address 10.0.0.5/24 removed from eth0",
			"address-added address 10.0.0.6/24 added to eth0",
		}},
		{"default route replaced", with(func(s *Snapshot) {
			r := defRoute
			r.Nexthops = []Nexthop{{Gateway: ip("10.0.0.66"), Index: 2, Interface: "eth0"}}
			s.Routes = []Route{r}
		}), false, []string{
			"route-changed default route via 10.0.0.66 dev eth0 (table main, proto boot) changed (was via 10.0.0.1 dev eth0)",
		}},
		{"route appended, another removed", with(func(s *Snapshot) {
			r := defRoute
			r.Nexthops = []Nexthop{{Gateway: ip("10.0.0.2"), Index: 2, Interface: "eth0"}}
			scan := Route{Family: familyV4, Table: 254, Dst: pfx("10.20.0.0/16"), Protocol: 4, Type: 1, Priority: 5,
				Nexthops: []Nexthop{{Gateway: ip("10.0.0.9"), Index: 2, Interface: "eth0"}}}
			s.Routes = []Route{defRoute, r, scan}
		}), false, []string{
			"route-added default route via 10.0.0.2 dev eth0 (table main, proto boot) added",
			"route-added route 10.20.0.0/16 via 10.0.0.9 dev eth0 (table main, proto static, metric 5) added",
		}},
		{"everything gone, innermost first", &Snapshot{Links: []Link{lo}}, false, []string{
			"route-removed default route via 10.0.0.1 dev eth0 (table main, proto boot) removed",
			"address-removed address 10.0.0.5/24 removed from eth0",
			"interface-removed interface eth0 (device, index 2) removed",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summary(diff(base, tt.cur, tt.byName))
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("diff (-want +got):\n%s", d)
			}
		})
	}
}

// TestStateRoundTrip: a snapshot of the live state is saved, loaded and
// found equal, with interface names filled in.
func TestStateRoundTrip(t *testing.T) {
	s := newState(16)
	s.putLink(Link{Index: 4, Name: "vg0", Type: "veth", MTU: 1500})
	s.putAddr(Addr{Index: 4, Prefix: pfx("10.99.1.2/24")})
	r := Route{Family: familyV4, Table: 254, Dst: pfx("10.98.0.0/16"), Protocol: 4, Type: 1,
		Nexthops: []Nexthop{{Gateway: ip("10.99.1.254"), Index: 4}}}
	s.addRoute(r)
	if s.findRoute(r) != 0 {
		t.Fatal("route not found")
	}
	snap := s.snapshot("boot-1")
	if snap.Addrs[0].Interface != "vg0" || snap.Routes[0].Nexthops[0].Interface != "vg0" {
		t.Errorf("snapshot lacks interface names: %+v", snap)
	}
	path := filepath.Join(t.TempDir(), "state", "netcfg.json")
	if err := saveSnapshot(path, snap); err != nil {
		t.Fatal(err)
	}
	back, err := loadSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(snap, back, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
		cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
		t.Errorf("round trip (-saved +loaded):\n%s", d)
	}
	if got := diff(snap, stateFromSnapshot(back, 16).snapshot("boot-1"), false); len(got) != 0 {
		t.Errorf("a reloaded state differs: %v", summary(got))
	}
	s.removeRoute(r.key(), 0)
	if s.nroute != 0 || len(s.routes) != 0 {
		t.Errorf("route not removed: %d %v", s.nroute, s.routes)
	}
	if none, err := loadSnapshot(filepath.Join(t.TempDir(), "missing.json")); none != nil || err != nil {
		t.Errorf("missing snapshot: %v, %v", none, err)
	}
}

func TestStateBound(t *testing.T) {
	s := newState(2)
	for i := 1; i <= 3; i++ {
		s.putLink(Link{Index: i, Name: "x"})
		s.addRoute(Route{Family: familyV4, Dst: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 32)})
	}
	if len(s.links) != 2 || s.nroute != 2 || !s.full {
		t.Errorf("bound not kept: %d links, %d routes, full %v", len(s.links), s.nroute, s.full)
	}
}

func TestDecodeSnapshotRejects(t *testing.T) {
	tests := map[string]string{
		"not json":        "{",
		"wrong version":   `{"version":2,"links":[],"addresses":[],"routes":[]}`,
		"unknown field":   `{"version":1,"extra":1}`,
		"bad link":        `{"version":1,"links":[{"index":0,"name":""}]}`,
		"bad address":     `{"version":1,"addresses":[{"index":1,"prefix":"10.0.0.1"}]}`,
		"route no dst":    `{"version":1,"routes":[{"family":2}]}`,
		"trailing data":   `{"version":1} {}`,
		"address no pfx":  `{"version":1,"addresses":[{"index":1}]}`,
		"gateway garbage": `{"version":1,"routes":[{"dst":"0.0.0.0/0","nexthops":[{"gateway":"x"}]}]}`,
	}
	for name, in := range tests {
		if _, err := DecodeSnapshot([]byte(in)); err == nil {
			t.Errorf("%s: accepted %s", name, in)
		}
	}
	if _, err := DecodeSnapshot([]byte(`{"version":1,"links":[{"index":1,"name":"lo","type":"loopback","mtu":65536,"up":true,"flags":73}]}`)); err != nil {
		t.Errorf("valid snapshot refused: %v", err)
	}
}

// FuzzDecodeSnapshot: a damaged snapshot file is refused with an error,
// and an accepted one can be diffed and saved again.
func FuzzDecodeSnapshot(f *testing.F) {
	f.Add([]byte(`{"version":1,"links":[{"index":2,"name":"eth0","type":"device","mtu":1500}],` +
		`"addresses":[{"index":2,"interface":"eth0","prefix":"10.0.0.5/24"}],` +
		`"routes":[{"family":2,"table":254,"dst":"0.0.0.0/0","protocol":3,"scope":0,"type":1,"nexthops":[{"gateway":"10.0.0.1","index":2}]}]}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"routes":[{"family":10,"dst":"::/0","prefsrc":"fe80::1"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSnapshot(data)
		if err != nil {
			return
		}
		st := stateFromSnapshot(s, 64)
		for _, c := range diff(s, st.snapshot(""), true) {
			_ = toEvent(c, time.Unix(0, 0), offline, false)
		}
		if _, err := json.Marshal(st.snapshot("")); err != nil {
			t.Fatalf("accepted snapshot cannot be written again: %v", err)
		}
	})
}

func TestParseSettings(t *testing.T) {
	def := DefaultSettings()
	tests := []struct {
		name, raw string
		want      Settings
		err       string
	}{
		{"empty", "", def, ""},
		{"spaces", "  ", def, ""},
		{"kernel routes", `{"kernel_routes": true}`, func() Settings { s := def; s.KernelRoutes = true; return s }(), ""},
		{"interval", `{"resync_interval": "30s", "max_objects": 500}`,
			func() Settings {
				s := def
				s.ResyncInterval = plugin.Duration(30 * time.Second)
				s.MaxObjects = 500
				return s
			}(), ""},
		{"resync off", `{"resync_interval": "0s"}`, func() Settings { s := def; s.ResyncInterval = 0; return s }(), ""},
		{"unknown", `{"kernel_route": true}`, Settings{}, "unknown field"},
		{"small buffer", `{"receive_buffer_bytes": 100}`, Settings{}, "below 4096"},
		{"few objects", `{"max_objects": 1}`, Settings{}, "below 16"},
		{"bad duration", `{"resync_interval": "soon"}`, Settings{}, "invalid duration"},
		{"number duration", `{"resync_interval": 10}`, Settings{}, "duration is a string"},
		{"tiny interval", `{"resync_interval": "1ms"}`, Settings{}, "below 1s"},
		{"array", `[]`, Settings{}, "cannot unmarshal"},
		{"two objects", `{} {}`, Settings{}, "data after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSettings(json.RawMessage(tt.raw))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	s := New()
	if err := s.ApplySettings(json.RawMessage(`{"max_objects": 3}`)); err == nil {
		t.Error("ApplySettings accepted a bad setting")
	}
	if err := s.ApplySettings(json.RawMessage(`{"kernel_routes": true}`)); err != nil || !s.settings.KernelRoutes {
		t.Errorf("ApplySettings: %v, %+v", err, s.settings)
	}
}

func TestPluginIdentity(t *testing.T) {
	s := New()
	if s.Name() != "netcfg" || s.Mechanism() != "rtnetlink" {
		t.Errorf("name %q mechanism %q", s.Name(), s.Mechanism())
	}
	if r := s.Requirements(); !slices.Equal(r.OS, []string{"linux"}) || r.Root {
		t.Errorf("requirements %+v", r)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "proc/sys/kernel/random"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "proc/sys/kernel/random/boot_id"), []byte("b00t\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Configure(plugin.Env{Root: dir, DataDir: filepath.Join(dir, "data")}); err != nil {
		t.Fatal(err)
	}
	_, path, boot, _ := s.config()
	if path != filepath.Join(dir, "data", "state", "netcfg.json") {
		t.Errorf("state path %q", path)
	}
	if want := "b00t"; runtime.GOOS == "linux" && boot != want {
		t.Errorf("boot id %q, want %q", boot, want)
	}
}
