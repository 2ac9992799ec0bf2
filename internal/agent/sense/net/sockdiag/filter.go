package sockdiag

import (
	"fmt"
	"net/netip"
	"strings"
)

// Filter says which traffic a network sensor leaves out of its events:
// connections, listeners, peers and flows on ignored ports, and those
// whose remote address is in an ignored range.
type Filter struct {
	ports    map[uint16]bool
	prefixes []netip.Prefix
}

// NewFilter returns the filter ignoring ports (1-65535) and addresses
// (IP addresses or CIDR ranges, IPv4 or IPv6).
func NewFilter(ports []int, addrs []string) (Filter, error) {
	f := Filter{ports: map[uint16]bool{}}
	for _, p := range ports {
		if p < 1 || p > 65535 {
			return Filter{}, fmt.Errorf("ignore_ports: %d is not a port (1-65535)", p)
		}
		f.ports[uint16(p)] = true
	}
	for _, a := range addrs {
		var pfx netip.Prefix
		var err error
		if strings.Contains(a, "/") {
			pfx, err = netip.ParsePrefix(a)
		} else {
			var ip netip.Addr
			if ip, err = netip.ParseAddr(a); err == nil {
				pfx = netip.PrefixFrom(ip, ip.BitLen())
			}
		}
		if err != nil {
			return Filter{}, fmt.Errorf("ignore_addresses: %q is neither an IP address nor a CIDR range: %w", a, err)
		}
		f.prefixes = append(f.prefixes, pfx.Masked())
	}
	return f, nil
}

// Ignores reports whether traffic with the remote address remote on any
// of ports is ignored. An IPv4 address mapped into IPv6 matches IPv4
// ranges.
func (f Filter) Ignores(remote netip.Addr, ports ...uint16) bool {
	for _, p := range ports {
		if f.ports[p] {
			return true
		}
	}
	if !remote.IsValid() {
		return false
	}
	remote = remote.Unmap()
	for _, pfx := range f.prefixes {
		if pfx.Contains(remote) {
			return true
		}
	}
	return false
}
