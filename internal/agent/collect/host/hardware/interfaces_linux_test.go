package hardware

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// TestInterfacesFrom converts links of every kind the library decodes,
// as a kernel would report them.
func TestInterfacesFrom(t *testing.T) {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	attrs := func(index int, name, encap string, flags uint32) netlink.LinkAttrs {
		return netlink.LinkAttrs{Index: index, Name: name, EncapType: encap, RawFlags: flags, MTU: 1500, NetNsID: -1}
	}
	lo := attrs(1, "lo", "loopback", unix.IFF_UP|unix.IFF_LOOPBACK)
	lo.MTU, lo.HardwareAddr = 65536, mac("00:00:00:00:00:00")
	eth := attrs(2, "eth0", "ether", unix.IFF_UP|unix.IFF_PROMISC)
	eth.HardwareAddr, eth.PermHWAddr, eth.MasterIndex = mac("02:00:00:00:00:01"), mac("52:54:00:12:34:56"), 3
	wlan := attrs(7, "wlp2s0", "ether", 0)
	wlan.HardwareAddr, wlan.PermHWAddr = mac("9c:b6:d0:01:02:03"), mac("9c:b6:d0:01:02:03")
	br := attrs(3, "br0", "ether", unix.IFF_UP)
	br.HardwareAddr = mac("02:00:00:00:00:01")
	vlan := attrs(4, "br0.10", "ether", unix.IFF_UP)
	vlan.ParentIndex = 3
	veth := attrs(5, "veth1a2b", "ether", unix.IFF_UP)
	veth.ParentIndex, veth.NetNsID = 12, 0 // peer in another namespace
	tun := attrs(6, "tun0", "none", unix.IFF_UP)
	tap := attrs(8, "tap0", "ether", 0)
	wg := attrs(9, "wg0", "none", unix.IFF_UP)
	links := []netlink.Link{
		&netlink.Device{LinkAttrs: lo}, &netlink.Device{LinkAttrs: eth}, &netlink.Bridge{LinkAttrs: br},
		&netlink.Vlan{LinkAttrs: vlan, VlanId: 10}, &netlink.Veth{LinkAttrs: veth},
		&netlink.Tuntap{LinkAttrs: tun, Mode: netlink.TUNTAP_MODE_TUN}, &netlink.Device{LinkAttrs: wlan},
		&netlink.Tuntap{LinkAttrs: tap, Mode: netlink.TUNTAP_MODE_TAP}, &netlink.Wireguard{LinkAttrs: wg},
	}
	ipnet := func(s string) *net.IPNet {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	addrs := []netlink.Addr{
		{LinkIndex: 3, IPNet: ipnet("2001:db8::5/64")},
		{LinkIndex: 3, IPNet: ipnet("10.0.0.5/24")},
		{LinkIndex: 3, IPNet: ipnet("2001:db8::a1b2:c3d4/64"), Flags: unix.IFA_F_TEMPORARY},
		{LinkIndex: 1, IPNet: ipnet("127.0.0.1/8")},
		{LinkIndex: 9, IPNet: ipnet("100.64.0.1/32")},
		{LinkIndex: 9, IPNet: nil},
	}
	sys := func(name string) sysNet {
		switch name {
		case "eth0":
			return sysNet{Driver: "e1000e"}
		case "wlp2s0":
			return sysNet{Driver: "iwlwifi", Wireless: true}
		}
		return sysNet{}
	}
	p := netip.MustParsePrefix
	want := []Interface{
		{Name: "lo", Type: "loopback", MTU: 65536, Up: true, Addresses: []netip.Prefix{p("127.0.0.1/8")}},
		{Name: "eth0", Type: "ether", MAC: "02:00:00:00:00:01", PermanentMAC: "52:54:00:12:34:56", MTU: 1500, Up: true,
			Promiscuous: true, Master: "br0", Driver: "e1000e"},
		{Name: "br0", Type: "bridge", MAC: "02:00:00:00:00:01", MTU: 1500, Up: true, Driver: "bridge",
			Addresses: []netip.Prefix{p("10.0.0.5/24"), p("2001:db8::5/64")}},
		{Name: "br0.10", Type: "vlan", MTU: 1500, Up: true, Parent: "br0", VLANID: 10, Driver: "vlan"},
		{Name: "veth1a2b", Type: "veth", MTU: 1500, Up: true, Driver: "veth"},
		{Name: "tun0", Type: "tun", MTU: 1500, Up: true, Driver: "tuntap"},
		{Name: "wlp2s0", Type: "wlan", MAC: "9c:b6:d0:01:02:03", MTU: 1500, Driver: "iwlwifi"},
		{Name: "tap0", Type: "tap", MTU: 1500, Driver: "tuntap"},
		{Name: "wg0", Type: "wireguard", MTU: 1500, Up: true, Driver: "wireguard", Addresses: []netip.Prefix{p("100.64.0.1/32")}},
	}
	got := interfacesFrom(links, addrs, sys)
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// ipAddr is one interface of `ip -j -d addr`.
type ipAddr struct {
	Name     string   `json:"ifname"`
	Flags    []string `json:"flags"`
	MTU      int      `json:"mtu"`
	LinkType string   `json:"link_type"`
	Address  string   `json:"address"`
	Master   string   `json:"master"`
	LinkInfo struct {
		Kind string         `json:"info_kind"`
		Data map[string]any `json:"info_data"`
	} `json:"linkinfo"`
	AddrInfo []struct {
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
		Temporary bool   `json:"temporary"`
	} `json:"addr_info"`
}

// ipTool lists interfaces with `ip -j -d addr` (in namespace ns if set).
func ipTool(t *testing.T, ns string) map[string]ipAddr {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) is not installed")
	}
	args := []string{"-j", "-d", "addr"}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	out, err := exec.Command("ip", args...).Output()
	if err != nil {
		t.Fatalf("ip %v: %v", args, err)
	}
	var list []ipAddr
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("ip output: %v", err)
	}
	m := map[string]ipAddr{}
	for _, in := range list {
		m[in.Name] = in
	}
	return m
}

// compareWithIP checks interfaces against the ip tool's view.
func compareWithIP(t *testing.T, got []Interface, want map[string]ipAddr) {
	t.Helper()
	var names []string
	for _, in := range got {
		names = append(names, in.Name)
		w, ok := want[in.Name]
		if !ok {
			t.Errorf("%s: not listed by ip", in.Name)
			continue
		}
		if in.MTU != w.MTU {
			t.Errorf("%s: mtu %d, ip says %d", in.Name, in.MTU, w.MTU)
		}
		wantMAC := w.Address
		if strings.Trim(wantMAC, "0:") == "" || w.LinkType == "none" {
			wantMAC = ""
		}
		if in.MAC != wantMAC {
			t.Errorf("%s: mac %q, ip says %q", in.Name, in.MAC, wantMAC)
		}
		if up := slices.Contains(w.Flags, "UP"); in.Up != up {
			t.Errorf("%s: up %v, ip flags %v", in.Name, in.Up, w.Flags)
		}
		if promisc := slices.Contains(w.Flags, "PROMISC"); in.Promiscuous != promisc {
			t.Errorf("%s: promiscuous %v, ip flags %v", in.Name, in.Promiscuous, w.Flags)
		}
		if in.Master != w.Master {
			t.Errorf("%s: master %q, ip says %q", in.Name, in.Master, w.Master)
		}
		wantType := w.LinkInfo.Kind
		switch {
		case wantType == "tun":
			wantType = fmt.Sprint(w.LinkInfo.Data["type"])
		case wantType == "":
			wantType = w.LinkType
		}
		if in.Type != wantType && !(in.Type == "wlan" && wantType == "ether") {
			t.Errorf("%s: type %q, ip says %q", in.Name, in.Type, wantType)
		}
		var wantAddrs []string
		for _, a := range w.AddrInfo {
			if !a.Temporary {
				wantAddrs = append(wantAddrs, netip.PrefixFrom(netip.MustParseAddr(a.Local), a.PrefixLen).String())
			}
		}
		var gotAddrs []string
		for _, p := range in.Addresses {
			gotAddrs = append(gotAddrs, p.String())
		}
		slices.Sort(wantAddrs)
		slices.Sort(gotAddrs)
		if d := cmp.Diff(wantAddrs, gotAddrs); d != "" {
			t.Errorf("%s: addresses (-ip +collector):\n%s", in.Name, d)
		}
	}
	for name := range want {
		if !slices.Contains(names, name) {
			t.Errorf("%s: listed by ip, missing", name)
		}
	}
}

func TestHostInterfacesMatchIP(t *testing.T) {
	// Other programs may change interfaces meanwhile: compare the ip
	// tool's view with two listings around it that agree.
	for range 5 {
		before, err := hostInterfaces("/sys")
		if err != nil {
			t.Fatal(err)
		}
		ip := ipTool(t, "")
		after, err := hostInterfaces("/sys")
		if err != nil {
			t.Fatal(err)
		}
		if cmp.Equal(before, after, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })) {
			compareWithIP(t, after, ip)
			return
		}
	}
	t.Skip("the interfaces kept changing while listed")
}

// TestInterfacesInNamespace builds interfaces of several kinds in a
// network namespace of its own and lists them.
func TestInterfacesInNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating a network namespace needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) is not installed")
	}
	name := fmt.Sprintf("vigil-hw-%d", os.Getpid())
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.NewNamed(name) // also enters it
	if err != nil {
		t.Fatalf("new namespace: %v", err)
	}
	defer func() {
		if err := netns.Set(orig); err != nil {
			t.Errorf("back to the original namespace: %v", err)
		}
		ns.Close()
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("delete namespace: %v", err)
		}
	}()
	// No IPv6 link-local addresses: the kernel adds them a moment after
	// a link comes up, between this listing and the ip tool's.
	// /proc/sys/net is the namespace of the thread that opens it.
	if err := os.WriteFile("/proc/sys/net/ipv6/conf/default/addr_gen_mode", []byte("1"), 0o644); err != nil {
		t.Fatalf("addr_gen_mode: %v", err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	la := func(name string) netlink.LinkAttrs { a := netlink.NewLinkAttrs(); a.Name = name; return a }
	v0 := la("v0")
	v0.MTU = 1400
	must("veth", h.LinkAdd(&netlink.Veth{LinkAttrs: v0, PeerName: "v1"}))
	must("bridge", h.LinkAdd(&netlink.Bridge{LinkAttrs: la("br0")}))
	br, err := h.LinkByName("br0")
	must("bridge", err)
	v1, err := h.LinkByName("v1")
	must("veth peer", err)
	must("bridge port", h.LinkSetMaster(v1, br))
	must("promisc", h.SetPromiscOn(br))
	must("tun", h.LinkAdd(&netlink.Tuntap{LinkAttrs: la("tun0"), Mode: netlink.TUNTAP_MODE_TUN, Flags: netlink.TUNTAP_DEFAULTS}))
	must("tap", h.LinkAdd(&netlink.Tuntap{LinkAttrs: la("tap0"), Mode: netlink.TUNTAP_MODE_TAP, Flags: netlink.TUNTAP_DEFAULTS}))
	v0link, err := h.LinkByName("v0")
	must("veth", err)
	mv := la("mv0")
	mv.ParentIndex = v0link.Attrs().Index
	must("macvlan", h.LinkAdd(&netlink.Macvlan{LinkAttrs: mv, Mode: netlink.MACVLAN_MODE_BRIDGE}))
	for _, n := range []string{"v0", "v1", "br0", "lo"} {
		l, err := h.LinkByName(n)
		must("link "+n, err)
		must("up "+n, h.LinkSetUp(l))
	}
	for _, a := range []string{"10.9.0.1/24", "2001:db8:9::1/64"} {
		addr, err := netlink.ParseAddr(a)
		must("address", err)
		if strings.Contains(a, ":") {
			addr.Flags = unix.IFA_F_NODAD
		}
		must("address "+a, h.AddrAdd(v0link, addr))
	}

	got, err := listInterfaces(h, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, in := range got {
		types[in.Name] = in.Type
	}
	wantTypes := map[string]string{"lo": "loopback", "v0": "veth", "v1": "veth", "br0": "bridge", "tun0": "tun", "tap0": "tap", "mv0": "macvlan"}
	if d := cmp.Diff(wantTypes, types); d != "" {
		t.Errorf("types (-want +got):\n%s", d)
	}
	compareWithIP(t, got, ipTool(t, name))
	for _, in := range got {
		switch in.Name {
		case "v1":
			if in.Master != "br0" || in.Parent != "v0" {
				t.Errorf("v1: master %q, parent %q; want br0, v0", in.Master, in.Parent)
			}
		case "mv0":
			if in.Parent != "v0" {
				t.Errorf("mv0: parent %q, want v0", in.Parent)
			}
		case "br0":
			if !in.Promiscuous {
				t.Error("br0: not promiscuous")
			}
		}
	}
}
