//go:build linux

package netcfg_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/internal/sensetest"
	"github.com/vigilsec/vigil/internal/agent/sense/netcfg"
	"github.com/vigilsec/vigil/internal/event"
)

// needKernel skips a test that needs root and network namespaces, unless
// VIGIL_REQUIRE_KERNEL=1 says they must be there.
func needKernel(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
		t.Fatalf("required kernel feature missing: %s", why)
	}
	t.Skip(why)
}

// testNS is a network namespace the test created.
type testNS struct {
	name string
	// path names the namespace for Sensor.Namespace.
	path string
	h    *netlink.Handle
	// net is the third octet of the test's IPv4 networks, random so that
	// concurrent runs do not look alike.
	net byte
}

// newNamespace creates a network namespace, deleted when the test ends.
func newNamespace(t *testing.T) *testNS {
	t.Helper()
	if os.Geteuid() != 0 {
		needKernel(t, "network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		needKernel(t, "the ip command (iproute2) is missing")
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "vigil-test-" + hex.EncodeToString(b[:])
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		needKernel(t, fmt.Sprintf("ip netns add: %v: %s", err, out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", name, err, out)
		}
	})
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ns.Close() })
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Delete)
	return &testNS{name: name, path: fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), int(ns)), h: h, net: 1 + b[0]%250}
}

func (n *testNS) ip(last byte) net.IP { return net.IPv4(10, 99, n.net, last).To4() }

func (n *testNS) cidr(t *testing.T, s string) *net.IPNet {
	t.Helper()
	ip, ipn, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	ipn.IP = ip
	if ip4 := ip.To4(); ip4 != nil {
		ipn.IP = ip4
	}
	return ipn
}

func (n *testNS) link(t *testing.T, name string) netlink.Link {
	t.Helper()
	l, err := n.h.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s: %v", name, err)
	}
	return l
}

func (n *testNS) addVeth(t *testing.T, name, peer string) netlink.Link {
	t.Helper()
	if err := n.h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: peer}); err != nil {
		t.Fatalf("add veth %s: %v", name, err)
	}
	return n.link(t, name)
}

// waitLinkLocal waits until l has its IPv6 link-local address.
func (n *testNS) waitLinkLocal(t *testing.T, l netlink.Link) {
	t.Helper()
	deadline := time.Now().Add(sensetest.WaitLimit)
	for time.Now().Before(deadline) {
		addrs, err := n.h.AddrList(l, netlink.FAMILY_V6)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			if a.IP.IsLinkLocalUnicast() {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s got no IPv6 link-local address", l.Attrs().Name)
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// action matches events by action and interface name.
func action(act, ifname string) func(event.Event) bool {
	return func(e event.Event) bool {
		return e.String(event.FieldAction) == act && (ifname == "" || e.String("interface.name") == ifname)
	}
}

// start runs s until the test stops it, after its first snapshot was
// written (it then watches).
func start(t *testing.T, s *netcfg.Sensor, emit plugin.Emitter, dataDir string) *sensetest.Running {
	t.Helper()
	state := filepath.Join(dataDir, "state", "netcfg.json")
	before, _ := os.Stat(state)
	r := sensetest.Start(s, emit)
	t.Cleanup(func() { r.Stop(t) })
	deadline := time.Now().Add(sensetest.WaitLimit)
	for {
		if fi, err := os.Stat(state); err == nil && (before == nil || !fi.ModTime().Equal(before.ModTime()) || !os.SameFile(fi, before)) {
			return r
		}
		if done, err := r.Returned(); done {
			t.Fatalf("Run returned %v before watching", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the sensor wrote no snapshot")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newSensor(t *testing.T, n *testNS, dataDir, settings string) *netcfg.Sensor {
	t.Helper()
	s := netcfg.New()
	s.Namespace = n.path
	must(t, "Configure", s.Configure(plugin.Env{Root: "/", DataDir: dataDir}))
	must(t, "ApplySettings", s.ApplySettings(json.RawMessage(settings)))
	return s
}

// openFDs counts this process's open files.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// settle waits until the number of goroutines and of open files is back
// to what it was: the sensor left nothing behind.
func settle(t *testing.T, goroutines, fds int) {
	t.Helper()
	deadline := time.Now().Add(sensetest.WaitLimit)
	for {
		g, f := runtime.NumGoroutine(), openFDs(t)
		if g <= goroutines && f <= fds {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("left behind: %d goroutines (was %d), %d files (was %d)\n%s", g, goroutines, f, fds, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAttackerNIC plays the attacker's story inside a namespace: a new
// virtual interface with a fake address, brought up and made
// promiscuous, a route and a default route through it to scan from, then
// all of it removed. Every step must be reported with its fields.
func TestAttackerNIC(t *testing.T) {
	n := newNamespace(t)
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)
	data := t.TempDir()
	c := &sensetest.Emitter{}
	r := start(t, newSensor(t, n, data, ""), c, data)

	// The virtual NIC pair.
	veth := n.addVeth(t, "vg-scan", "vg-peer")
	peer := n.link(t, "vg-peer")
	e := c.Take(t, "interface-added vg-scan", action(netcfg.ActionInterfaceAdded, "vg-scan"))
	checkFields(t, e, map[string]any{
		event.FieldCategory:                   "network",
		"event.type":                          []string{"creation"},
		event.FieldKind:                       "event",
		event.FieldDataset:                    "netcfg",
		"vigil.netcfg.object":                 "interface",
		"interface.id":                        fmt.Sprint(veth.Attrs().Index),
		"vigil.netcfg.interface.type":         "veth",
		"vigil.netcfg.interface.mac":          veth.Attrs().HardwareAddr.String(),
		"vigil.netcfg.interface.mtu":          veth.Attrs().MTU,
		"vigil.netcfg.interface.state":        "down",
		"vigil.netcfg.interface.index":        veth.Attrs().Index,
		"vigil.netcfg.interface.promiscuous":  false,
		"vigil.netcfg.interface.parent_index": peer.Attrs().Index,
	})
	e = c.Take(t, "interface-added vg-peer", action(netcfg.ActionInterfaceAdded, "vg-peer"))
	checkFields(t, e, map[string]any{"vigil.netcfg.interface.type": "veth"})
	if _, ok := e.Get("vigil.offline"); ok {
		t.Errorf("a live event is marked offline: %v", e)
	}

	// A fake address on it, IPv4 and IPv6.
	v4 := &net.IPNet{IP: n.ip(2), Mask: net.CIDRMask(24, 32)}
	must(t, "add IPv4 address", n.h.AddrAdd(veth, &netlink.Addr{IPNet: v4}))
	e = c.Take(t, "address-added IPv4", action(netcfg.ActionAddressAdded, "vg-scan"))
	checkFields(t, e, map[string]any{
		"event.type":                         []string{"creation"},
		"vigil.netcfg.object":                "address",
		"network.type":                       "ipv4",
		"interface.id":                       fmt.Sprint(veth.Attrs().Index),
		"vigil.netcfg.address.ip":            n.ip(2).String(),
		"vigil.netcfg.address.prefix_length": 24,
		"vigil.netcfg.address.cidr":          v4.String(),
		"vigil.netcfg.address.family":        "ipv4",
		"vigil.netcfg.address.scope":         "global",
	})
	v6 := n.cidr(t, fmt.Sprintf("fd00:99:%x::2/64", n.net))
	must(t, "add IPv6 address", n.h.AddrAdd(veth, &netlink.Addr{IPNet: v6, Flags: unix.IFA_F_NODAD}))
	e = c.Take(t, "address-added IPv6", func(e event.Event) bool {
		return action(netcfg.ActionAddressAdded, "vg-scan")(e) && e.String("network.type") == "ipv6" &&
			e.String("vigil.netcfg.address.scope") == "global"
	})
	checkFields(t, e, map[string]any{
		"vigil.netcfg.address.ip":            v6.IP.String(),
		"vigil.netcfg.address.prefix_length": 64,
		"vigil.netcfg.address.family":        "ipv6",
	})

	// Up.
	must(t, "peer up", n.h.LinkSetUp(peer))
	must(t, "up", n.h.LinkSetUp(veth))
	e = c.Take(t, "interface-changed state", func(e event.Event) bool {
		return action(netcfg.ActionInterfaceChanged, "vg-scan")(e) && e.String("vigil.netcfg.interface.state") == "up"
	})
	checkFields(t, e, map[string]any{
		"event.type":                  []string{"change"},
		"vigil.netcfg.changes":        []string{"state"},
		"vigil.netcfg.previous.state": "down",
	})

	// MTU and alias.
	must(t, "mtu", n.h.LinkSetMTU(veth, 1400))
	e = c.Take(t, "interface-changed mtu", func(e event.Event) bool {
		return action(netcfg.ActionInterfaceChanged, "vg-scan")(e) && e.String("vigil.netcfg.interface.mtu") == "1400"
	})
	checkFields(t, e, map[string]any{"vigil.netcfg.changes": []string{"mtu"}, "vigil.netcfg.previous.mtu": veth.Attrs().MTU})
	must(t, "alias", n.h.LinkSetAlias(veth, "ops-tool"))
	e = c.Take(t, "interface-changed alias", func(e event.Event) bool {
		return action(netcfg.ActionInterfaceChanged, "vg-scan")(e) && e.String("interface.alias") == "ops-tool"
	})
	checkFields(t, e, map[string]any{"vigil.netcfg.changes": []string{"alias"}, "vigil.netcfg.interface.alias": "ops-tool"})

	// Promiscuous mode through the flag.
	must(t, "promisc on", n.h.SetPromiscOn(veth))
	e = c.Take(t, "promiscuous-enabled", action(netcfg.ActionPromiscuousEnabled, "vg-scan"))
	checkFields(t, e, map[string]any{
		"event.type":                         []string{"change"},
		"vigil.netcfg.promiscuous.source":    "flag",
		"vigil.netcfg.interface.promiscuous": true,
	})
	must(t, "promisc off", n.h.SetPromiscOff(veth))
	c.Take(t, "promiscuous-disabled", action(netcfg.ActionPromiscuousDisabled, "vg-scan"))

	// Promiscuous mode the way a sniffer gets it: a packet socket.
	sniffer := packetPromisc(t, n, peer.Attrs().Index)
	e = c.Take(t, "promiscuous-enabled by a packet socket", action(netcfg.ActionPromiscuousEnabled, "vg-peer"))
	checkFields(t, e, map[string]any{"vigil.netcfg.promiscuous.source": "count", "vigil.netcfg.interface.promiscuity": 1})
	must(t, "close the sniffer", unix.Close(sniffer))
	c.Take(t, "promiscuous-disabled after the sniffer", action(netcfg.ActionPromiscuousDisabled, "vg-peer"))

	// The peer joins a bridge.
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "vg-br"}}
	must(t, "add bridge", n.h.LinkAdd(br))
	e = c.Take(t, "interface-added vg-br", action(netcfg.ActionInterfaceAdded, "vg-br"))
	checkFields(t, e, map[string]any{"vigil.netcfg.interface.type": "bridge"})
	must(t, "enslave", n.h.LinkSetMaster(peer, br))
	e = c.Take(t, "interface-changed master", func(e event.Event) bool {
		return action(netcfg.ActionInterfaceChanged, "vg-peer")(e) && e.String("vigil.netcfg.interface.master") == "vg-br"
	})
	checkFields(t, e, map[string]any{"vigil.netcfg.changes": []string{"master"}, "vigil.netcfg.previous.master_index": 0})
	must(t, "release", n.h.LinkSetNoMaster(peer))
	c.Take(t, "interface-changed no master", func(e event.Event) bool {
		return action(netcfg.ActionInterfaceChanged, "vg-peer")(e) && e.String("vigil.netcfg.previous.master") == "vg-br"
	})
	must(t, "delete bridge", n.h.LinkDel(br))
	c.Take(t, "interface-removed vg-br", action(netcfg.ActionInterfaceRemoved, "vg-br"))
	for _, e := range c.All() {
		if e.String("interface.name") == "vg-br" && e.String("vigil.netcfg.interface.mac") == "" {
			t.Errorf("bridge reported without its address: %s", e.String(event.FieldMessage))
		}
	}

	// A route to scan through, and a default route, later replaced.
	scanNet := n.cidr(t, "10.98.0.0/16")
	route := &netlink.Route{Dst: scanNet, Gw: n.ip(254), LinkIndex: veth.Attrs().Index, Protocol: unix.RTPROT_STATIC, Priority: 50}
	must(t, "add route", n.h.RouteAdd(route))
	e = c.Take(t, "route-added", func(e event.Event) bool {
		return e.String(event.FieldAction) == netcfg.ActionRouteAdded && e.String("vigil.netcfg.route.destination") == "10.98.0.0/16"
	})
	checkFields(t, e, map[string]any{
		"event.type":                         []string{"creation"},
		"vigil.netcfg.object":                "route",
		"network.type":                       "ipv4",
		"interface.name":                     "vg-scan",
		"vigil.netcfg.route.gateway":         n.ip(254).String(),
		"vigil.netcfg.route.interface":       "vg-scan",
		"vigil.netcfg.route.interface_index": veth.Attrs().Index,
		"vigil.netcfg.route.table":           254,
		"vigil.netcfg.route.table_name":      "main",
		"vigil.netcfg.route.protocol":        "static",
		"vigil.netcfg.route.metric":          50,
		"vigil.netcfg.route.type":            "unicast",
		"vigil.netcfg.route.default":         false,
	})
	def := &netlink.Route{Gw: n.ip(254), LinkIndex: veth.Attrs().Index}
	must(t, "add default route", n.h.RouteAdd(def))
	e = c.Take(t, "default route-added", func(e event.Event) bool {
		return e.String(event.FieldAction) == netcfg.ActionRouteAdded && e.String("vigil.netcfg.route.default") == "true"
	})
	checkFields(t, e, map[string]any{"vigil.netcfg.route.destination": "0.0.0.0/0", "vigil.netcfg.route.protocol": "boot"})
	must(t, "replace default route", n.h.RouteReplace(&netlink.Route{Gw: n.ip(253), LinkIndex: veth.Attrs().Index}))
	e = c.Take(t, "default route-changed", action(netcfg.ActionRouteChanged, ""))
	checkFields(t, e, map[string]any{
		"event.type":                    []string{"change"},
		"vigil.netcfg.route.default":    true,
		"vigil.netcfg.route.gateway":    n.ip(253).String(),
		"vigil.netcfg.previous.gateway": n.ip(254).String(),
	})
	v6route := &netlink.Route{Dst: n.cidr(t, "fd00:98::/48"), Gw: net.ParseIP(fmt.Sprintf("fd00:99:%x::1", n.net)), LinkIndex: veth.Attrs().Index}
	must(t, "add IPv6 route", n.h.RouteAdd(v6route))
	e = c.Take(t, "IPv6 route-added", func(e event.Event) bool {
		return e.String(event.FieldAction) == netcfg.ActionRouteAdded && e.String("vigil.netcfg.route.destination") == "fd00:98::/48"
	})
	checkFields(t, e, map[string]any{"network.type": "ipv6", "vigil.netcfg.route.gateway": v6route.Gw.String()})

	// Take it all down again.
	must(t, "delete route", n.h.RouteDel(route))
	e = c.Take(t, "route-removed", func(e event.Event) bool {
		return e.String(event.FieldAction) == netcfg.ActionRouteRemoved && e.String("vigil.netcfg.route.destination") == "10.98.0.0/16"
	})
	checkFields(t, e, map[string]any{"event.type": []string{"deletion"}, "vigil.netcfg.route.gateway": n.ip(254).String()})
	must(t, "delete IPv4 address", n.h.AddrDel(veth, &netlink.Addr{IPNet: v4}))
	e = c.Take(t, "address-removed", func(e event.Event) bool {
		return action(netcfg.ActionAddressRemoved, "vg-scan")(e) && e.String("vigil.netcfg.address.cidr") == v4.String()
	})
	checkFields(t, e, map[string]any{"event.type": []string{"deletion"}})
	must(t, "delete veth", n.h.LinkDel(veth))
	c.Take(t, "interface-removed vg-scan", action(netcfg.ActionInterfaceRemoved, "vg-scan"))
	c.Take(t, "interface-removed vg-peer", action(netcfg.ActionInterfaceRemoved, "vg-peer"))
	// The routes through it went with it, announced or not.
	c.Take(t, "default route-removed", func(e event.Event) bool {
		return e.String(event.FieldAction) == netcfg.ActionRouteRemoved && e.String("vigil.netcfg.route.default") == "true" &&
			e.String("interface.name") == "vg-scan"
	})
	c.Take(t, "IPv6 route-removed", func(e event.Event) bool {
		return e.String(event.FieldAction) == netcfg.ActionRouteRemoved && e.String("vigil.netcfg.route.destination") == "fd00:98::/48"
	})
	c.Take(t, "IPv6 address-removed", func(e event.Event) bool {
		return action(netcfg.ActionAddressRemoved, "vg-scan")(e) && e.String("vigil.netcfg.address.cidr") == v6.String()
	})

	r.Stop(t)
	// Routes the kernel makes by itself are not reported by default, and
	// nothing outside the namespace leaks in.
	for _, e := range c.All() {
		t.Log(e.String(event.FieldMessage))
		if e.String("vigil.netcfg.route.protocol") == "kernel" {
			t.Errorf("kernel route reported: %s", e.String(event.FieldMessage))
		}
		if name := e.String("interface.name"); name != "" && name != "vg-scan" && name != "vg-peer" && name != "vg-br" {
			t.Errorf("event about an interface outside the test: %s", e.String(event.FieldMessage))
		}
		if e.String(event.FieldMessage) == "" {
			t.Errorf("event without message: %v", e)
		}
	}
	if lost := c.LostCount(); lost != 0 {
		t.Errorf("lost %d without an overflow", lost)
	}
	settle(t, goroutines, fds)
}

// packetPromisc opens a packet socket in the namespace that puts
// interface index in promiscuous mode, as tcpdump does; the caller closes
// it.
func packetPromisc(t *testing.T, n *testNS, index int) int {
	t.Helper()
	fd := -1
	inNamespace(t, n, func() {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Errorf("packet socket: %v", err)
			return
		}
		mreq := &unix.PacketMreq{Ifindex: int32(index), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, mreq); err != nil {
			t.Errorf("PACKET_MR_PROMISC: %v", err)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	return fd
}

// inNamespace runs f on a thread inside the namespace.
func inNamespace(t *testing.T, n *testNS, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		// The thread is not unlocked: it dies with the goroutine rather
		// than go back to the pool in the wrong namespace.
		target, err := netns.GetFromName(n.name)
		if err != nil {
			t.Errorf("namespace: %v", err)
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			t.Errorf("enter namespace: %v", err)
			return
		}
		f()
	}()
	<-done
}

// TestChangesWhileStopped: what changed between two runs is reported at
// the next start, marked offline, and nothing else is.
func TestChangesWhileStopped(t *testing.T) {
	n := newNamespace(t)
	data := t.TempDir()
	keep := n.addVeth(t, "vg-keep", "vg-keep-p")
	must(t, "peer up", n.h.LinkSetUp(n.link(t, "vg-keep-p")))
	must(t, "up", n.h.LinkSetUp(keep))
	must(t, "address", n.h.AddrAdd(keep, &netlink.Addr{IPNet: &net.IPNet{IP: n.ip(2), Mask: net.CIDRMask(24, 32)}}))
	old := &netlink.Route{Dst: n.cidr(t, "10.97.0.0/16"), Gw: n.ip(254), LinkIndex: keep.Attrs().Index}
	must(t, "route", n.h.RouteAdd(old))
	changing := &netlink.Route{Dst: n.cidr(t, "10.96.0.0/16"), Gw: n.ip(254), LinkIndex: keep.Attrs().Index}
	must(t, "route", n.h.RouteAdd(changing))
	// IPv6 gives the interfaces their link-local addresses a moment after
	// they come up: let that happen before the first snapshot.
	n.waitLinkLocal(t, keep)
	n.waitLinkLocal(t, n.link(t, "vg-keep-p"))

	first := &sensetest.Emitter{}
	r := start(t, newSensor(t, n, data, ""), first, data)
	r.Stop(t)
	if evs := first.All(); len(evs) != 0 {
		t.Errorf("first run (no snapshot yet) reported %d events, first %v", len(evs), evs[0])
	}

	// While the agent is stopped.
	must(t, "delete route", n.h.RouteDel(old))
	must(t, "replace route", n.h.RouteReplace(&netlink.Route{Dst: changing.Dst, Gw: n.ip(253), LinkIndex: keep.Attrs().Index}))
	must(t, "new address", n.h.AddrAdd(keep, &netlink.Addr{IPNet: &net.IPNet{IP: n.ip(3), Mask: net.CIDRMask(24, 32)}}))
	n.addVeth(t, "vg-new", "vg-new-p")
	must(t, "mtu", n.h.LinkSetMTU(keep, 1280))
	must(t, "promisc", n.h.SetPromiscOn(keep))

	second := &sensetest.Emitter{}
	r = start(t, newSensor(t, n, data, ""), second, data)
	want := []struct {
		desc  string
		match func(event.Event) bool
	}{
		{"route-removed 10.97.0.0/16", func(e event.Event) bool {
			return e.String(event.FieldAction) == netcfg.ActionRouteRemoved && e.String("vigil.netcfg.route.destination") == "10.97.0.0/16"
		}},
		{"route-changed 10.96.0.0/16", func(e event.Event) bool {
			return e.String(event.FieldAction) == netcfg.ActionRouteChanged && e.String("vigil.netcfg.route.destination") == "10.96.0.0/16" &&
				e.String("vigil.netcfg.route.gateway") == n.ip(253).String() && e.String("vigil.netcfg.previous.gateway") == n.ip(254).String()
		}},
		{"address-added .3", func(e event.Event) bool {
			return e.String(event.FieldAction) == netcfg.ActionAddressAdded && e.String("vigil.netcfg.address.ip") == n.ip(3).String() &&
				e.String("interface.name") == "vg-keep"
		}},
		{"interface-added vg-new", action(netcfg.ActionInterfaceAdded, "vg-new")},
		{"interface-added vg-new-p", action(netcfg.ActionInterfaceAdded, "vg-new-p")},
		{"interface-changed mtu", func(e event.Event) bool {
			return action(netcfg.ActionInterfaceChanged, "vg-keep")(e) && e.String("vigil.netcfg.interface.mtu") == "1280"
		}},
		{"promiscuous-enabled", action(netcfg.ActionPromiscuousEnabled, "vg-keep")},
	}
	for _, w := range want {
		e := second.Take(t, w.desc, w.match)
		if e.String("vigil.offline") != "true" {
			t.Errorf("%s: not marked offline: %v", w.desc, e)
		}
	}
	r.Stop(t)
	if evs := second.All(); len(evs) != len(want) {
		for _, e := range evs {
			t.Log(e.String(event.FieldMessage))
		}
		t.Errorf("%d events at the second start, want %d", len(evs), len(want))
	}

	// The snapshot now holds the new state: a third start reports nothing.
	third := &sensetest.Emitter{}
	r = start(t, newSensor(t, n, data, ""), third, data)
	r.Stop(t)
	if evs := third.All(); len(evs) != 0 {
		t.Errorf("third start reported %d events, first: %s", len(evs), evs[0].String(event.FieldMessage))
	}
}

// TestOverflowResync: a sensor stuck while hundreds of addresses are
// added overflows its netlink socket; it must count the loss, resubscribe
// and still report every address exactly once.
func TestOverflowResync(t *testing.T) {
	n := newNamespace(t)
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)
	data := t.TempDir()
	c := &sensetest.Emitter{}
	s := newSensor(t, n, data, `{"receive_buffer_bytes": 4096}`)
	r := start(t, s, c, data)

	release := c.Hold()
	veth := n.addVeth(t, "vg-many", "vg-many-p")
	const count = 400
	for i := range count {
		ip := net.IPv4(10, 95, byte(i/250), byte(1+i%250)).To4()
		must(t, "add address", n.h.AddrAdd(veth, &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(32, 32)}}))
	}
	release()

	for i := range count {
		ip := net.IPv4(10, 95, byte(i/250), byte(1+i%250)).String()
		c.Take(t, "address-added "+ip, func(e event.Event) bool {
			return e.String(event.FieldAction) == netcfg.ActionAddressAdded && e.String("vigil.netcfg.address.ip") == ip
		})
	}
	if c.LostCount() == 0 {
		t.Error("no loss counted although the socket overflowed")
	}
	counts := s.Counters()
	if counts["overflow_resyncs"] == 0 || counts["resyncs"] < counts["overflow_resyncs"] {
		t.Errorf("counters after an overflow: %v", counts)
	}
	if counts["addresses"] < count || counts["interfaces"] < 3 {
		t.Errorf("state sizes with %d addresses on a veth pair: %v", count, counts)
	}
	r.Stop(t)
	resynced := 0
	seen := map[string]int{}
	for _, e := range c.All() {
		if e.String(event.FieldAction) == netcfg.ActionAddressAdded {
			seen[e.String("vigil.netcfg.address.cidr")]++
		}
		if e.String("vigil.netcfg.resync") == "true" {
			resynced++
		}
	}
	for cidr, k := range seen {
		if k != 1 {
			t.Errorf("%s reported %d times", cidr, k)
		}
	}
	if resynced == 0 {
		t.Error("no event found by resynchronisation")
	}
	t.Logf("lost %d, %d events found by resynchronisation", c.LostCount(), resynced)
	settle(t, goroutines, fds)
}

// checkFields compares fields of e with want, by their JSON form.
func checkFields(t *testing.T, e event.Event, want map[string]any) {
	t.Helper()
	for path, w := range want {
		got, ok := e.Get(path)
		if !ok {
			t.Errorf("%s: no %s in %v", e.String(event.FieldAction), path, e)
			continue
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(w)
		if string(gj) != string(wj) {
			t.Errorf("%s: %s = %s, want %s", e.String(event.FieldAction), path, gj, wj)
		}
	}
	if e.String(event.FieldTimestamp) == "" || e.Timestamp().IsZero() {
		t.Errorf("no @timestamp in %v", e)
	}
}

// TestKernelRoutesSetting: with kernel_routes on, the prefix route the
// kernel adds for an address is reported too; with the default, only
// the address is (TestAttackerNIC checks that).
func TestKernelRoutesSetting(t *testing.T) {
	n := newNamespace(t)
	data := t.TempDir()
	c := &sensetest.Emitter{}
	r := start(t, newSensor(t, n, data, `{"kernel_routes": true}`), c, data)
	veth := n.addVeth(t, "vg-k", "vg-k-p")
	must(t, "up", n.h.LinkSetUp(veth))
	must(t, "address", n.h.AddrAdd(veth, &netlink.Addr{IPNet: &net.IPNet{IP: n.ip(2), Mask: net.CIDRMask(24, 32)}}))
	prefix := fmt.Sprintf("10.99.%d.0/24", n.net)
	e := c.Take(t, "kernel prefix route", func(e event.Event) bool {
		return e.String(event.FieldAction) == netcfg.ActionRouteAdded && e.String("vigil.netcfg.route.destination") == prefix
	})
	checkFields(t, e, map[string]any{
		"vigil.netcfg.route.protocol": "kernel",
		"vigil.netcfg.route.scope":    "link",
		"vigil.netcfg.route.source":   n.ip(2).String(),
		"interface.name":              "vg-k",
	})
	c.Take(t, "kernel local route", func(e event.Event) bool {
		return e.String(event.FieldAction) == netcfg.ActionRouteAdded && e.String("vigil.netcfg.route.table_name") == "local" &&
			e.String("vigil.netcfg.route.destination") == n.ip(2).String()+"/32" && e.String("vigil.netcfg.route.type") == "local"
	})
	r.Stop(t)
}

// TestSnapshotSavedWhileRunning: a change is saved shortly after it
// happens, not only when the sensor stops: an agent killed outright
// still knows it at its next start.
func TestSnapshotSavedWhileRunning(t *testing.T) {
	n := newNamespace(t)
	data := t.TempDir()
	c := &sensetest.Emitter{}
	r := start(t, newSensor(t, n, data, ""), c, data)
	n.addVeth(t, "vg-saved", "vg-saved-p")
	c.Take(t, "interface-added", action(netcfg.ActionInterfaceAdded, "vg-saved"))
	state := filepath.Join(data, "state", "netcfg.json")
	deadline := time.Now().Add(sensetest.WaitLimit)
	for {
		b, err := os.ReadFile(state)
		if err == nil && strings.Contains(string(b), `"vg-saved"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new interface was not saved while running: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.Stop(t)
}

// TestForgedNotification: a process with CAP_NET_ADMIN in the namespace
// sends an RTM_NEWLINK of its own to the link group. The sensor ignores
// it (no interface appears) and counts it.
func TestForgedNotification(t *testing.T) {
	n := newNamespace(t)
	data := t.TempDir()
	c := &sensetest.Emitter{}
	s := newSensor(t, n, data, "")
	r := start(t, s, c, data)

	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE)
	info := nl.NewIfInfomsg(unix.AF_UNSPEC)
	info.Index = 4242
	req.AddData(info)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated("vg-forged")))
	inNamespace(t, n, func() {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err != nil {
			t.Errorf("netlink socket: %v", err)
			return
		}
		defer unix.Close(fd)
		to := &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}
		if err := unix.Sendto(fd, req.Serialize(), 0, to); err != nil {
			t.Errorf("send to the link group: %v", err)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	deadline := time.Now().Add(sensetest.WaitLimit)
	for s.Counters()["forged_messages"] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the forged notification was not counted: %v", s.Counters())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A real change after it is still seen, and the forged one is not.
	n.addVeth(t, "vg-real", "vg-real-p")
	c.Take(t, "interface-added vg-real", action(netcfg.ActionInterfaceAdded, "vg-real"))
	r.Stop(t)
	for _, e := range c.All() {
		if e.String("interface.name") == "vg-forged" {
			t.Errorf("forged interface reported: %s", e.String(event.FieldMessage))
		}
	}
	if lost := c.LostCount(); lost != 0 {
		t.Errorf("a forged notification counted as %d lost", lost)
	}
}
