package hardware

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// dumpAttempts bounds the retries of a netlink dump the kernel
// interrupted because the configuration changed during it.
const dumpAttempts = 5

// hostInterfaces lists the interfaces of the agent's network namespace
// with netlink; sysRoot is the sysfs the drivers are read from.
func hostInterfaces(sysRoot string) ([]Interface, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	defer h.Close()
	return listInterfaces(h, sysRoot)
}

// listInterfaces lists the interfaces and addresses h sees.
func listInterfaces(h *netlink.Handle, sysRoot string) ([]Interface, error) {
	links, err := retryDump(h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	addrs, err := retryDump(func() ([]netlink.Addr, error) { return h.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	return interfacesFrom(links, addrs, func(name string) sysNet { return readSysNet(sysRoot, name) }), nil
}

// retryDump runs a dump again while the kernel reports it interrupted.
func retryDump[T any](list func() ([]T, error)) ([]T, error) {
	var err error
	for range dumpAttempts {
		var out []T
		if out, err = list(); err == nil {
			return out, nil
		}
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return nil, err
		}
	}
	return nil, err
}

// sysNet is what sysfs adds to netlink about one interface.
type sysNet struct {
	Driver   string
	Wireless bool
}

// readSysNet reads sysRoot/class/net/NAME: the driver of the device
// behind it and whether it is a Wi-Fi card.
func readSysNet(sysRoot, name string) sysNet {
	var s sysNet
	dir := filepath.Join(sysRoot, "class/net", name)
	if target, err := os.Readlink(filepath.Join(dir, "device/driver")); err == nil {
		s.Driver = filepath.Base(target)
	}
	for _, p := range []string{"wireless", "phy80211"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			s.Wireless = true
		}
	}
	return s
}

// interfacesFrom converts the library's links and addresses; sys reads
// an interface's sysfs facts.
func interfacesFrom(links []netlink.Link, addrs []netlink.Addr, sys func(string) sysNet) []Interface {
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	byIndex := map[int][]netip.Prefix{}
	for _, a := range addrs {
		if a.Flags&unix.IFA_F_TEMPORARY != 0 {
			continue // rotates every day or so
		}
		if p, ok := prefixFrom(a.IPNet); ok {
			byIndex[a.LinkIndex] = append(byIndex[a.LinkIndex], p)
		}
	}
	out := make([]Interface, 0, len(links))
	for _, l := range links {
		a := l.Attrs()
		sn := sys(a.Name)
		in := Interface{
			Name:        a.Name,
			Type:        linkType(l, sn.Wireless),
			MTU:         a.MTU,
			Up:          a.RawFlags&unix.IFF_UP != 0,
			Promiscuous: a.RawFlags&unix.IFF_PROMISC != 0,
			Master:      names[a.MasterIndex],
			Driver:      sn.Driver,
			Alias:       a.Alias,
			Addresses:   byIndex[a.Index],
		}
		if in.Driver == "" && l.Type() != "device" {
			in.Driver = l.Type()
		}
		if a.ParentIndex != 0 && a.ParentIndex != a.Index && a.NetNsID < 0 {
			in.Parent = names[a.ParentIndex]
		}
		if v, ok := l.(*netlink.Vlan); ok {
			in.VLANID = v.VlanId
		}
		if mac := macString(a.HardwareAddr); mac != "" {
			in.MAC = mac
			if perm := macString(a.PermHWAddr); perm != "" && perm != mac {
				in.PermanentMAC = perm
			}
		}
		sortAddresses(in.Addresses)
		out = append(out, in)
	}
	return out
}

// linkType names the interface's type: its kind, tun or tap for a
// tuntap, and for kind-less interfaces the link layer ("ether",
// "loopback" ...) or "wlan" for a Wi-Fi card.
func linkType(l netlink.Link, wireless bool) string {
	switch v := l.(type) {
	case *netlink.Tuntap:
		if v.Mode == netlink.TUNTAP_MODE_TAP {
			return "tap"
		}
		return "tun"
	case *netlink.Device:
		encap := l.Attrs().EncapType
		if encap == "ether" && wireless {
			return "wlan"
		}
		if encap == "" || encap == "generic" {
			return "other"
		}
		return encap
	}
	return l.Type()
}

// macString formats a hardware address, "" when it is absent or all
// zero (loopback, tunnels).
func macString(hw net.HardwareAddr) string {
	for _, b := range hw {
		if b != 0 {
			return hw.String()
		}
	}
	return ""
}

// prefixFrom converts an address with its mask (host bits kept), false
// when the mask is not a prefix.
func prefixFrom(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	p, err := netip.ParsePrefix(n.String())
	if err != nil {
		return netip.Prefix{}, false
	}
	return p, true
}
