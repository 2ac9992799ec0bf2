package hardware

import (
	"net/netip"
	"slices"
)

// Interface is one network interface of the agent's network namespace.
type Interface struct {
	Name string
	// Type is the link kind ("veth", "bridge", "vlan", "tun", "tap",
	// "wireguard", "bond", "macvlan", "vxlan" ...) or, for interfaces
	// without one, the link layer: "ether" (Ethernet and Wi-Fi cards),
	// "loopback", "ppp", "infiniband" ...
	Type string
	MAC  string
	// PermanentMAC is the card's burnt-in address, kept only when it
	// differs from MAC (the address was changed).
	PermanentMAC string
	MTU          int
	// Up is the administrative state (IFF_UP).
	Up bool
	// Promiscuous is IFF_PROMISC as set by user space.
	Promiscuous bool
	// Master is the bridge or bond the interface belongs to; Parent the
	// interface it is linked to in the same namespace: the lower device
	// of a VLAN or macvlan, a veth's peer.
	Master, Parent string
	VLANID         int
	Driver         string
	Alias          string
	// Addresses are the interface's addresses with prefix length,
	// sorted, IPv6 temporary (privacy) addresses left out.
	Addresses []netip.Prefix
}

// sortAddresses sorts prefixes by family, then address, then length.
func sortAddresses(a []netip.Prefix) {
	slices.SortFunc(a, func(x, y netip.Prefix) int {
		if c := x.Addr().Compare(y.Addr()); c != 0 {
			return c
		}
		return x.Bits() - y.Bits()
	})
}
